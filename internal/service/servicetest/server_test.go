package servicetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server"
)

const (
	tokA      = "token-ada-000000000000"
	tokB      = "token-bob-000000000000"
	tokEngine = "token-engine-000000000"
	keyA      = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	keyB      = "wnQVAF7nw0TE6WOIl5ImXGtPs7bLF3awtx1NvJhxDJQz7vuJdp25z8Kv02evFi9B"
	hmac      = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	pemEd     = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBvMnQ5r\n-----END PRIVATE KEY-----\n"
)

type env struct {
	s   *Server
	url string
	now time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{s: New(), now: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	e.s.now = func() time.Time { return e.now }
	e.s.AddAccount(tokA, "ada@example.com", []string{"btc-spot"})
	e.s.AddAccount(tokB, "bob@example.com", []string{"eth-spot", "btc-spot"})
	ts := httptest.NewServer(e.s.Handler())
	t.Cleanup(func() { e.s.Close(); ts.Close() })
	e.url = ts.URL
	return e
}

type answer struct {
	status int
	code   string
	body   map[string]any
}

func (e *env) do(t *testing.T, method, path, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode}
	data, _ := io.ReadAll(resp.Body)
	if path == "/metrics" && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		return a // Prometheus' text format: the one answer that is not JSON
	}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &a.body); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %q", method, path, data)
		}
		if eb, ok := a.body["error"].(map[string]any); ok {
			a.code, _ = eb["code"].(string)
			if msg, _ := eb["message"].(string); msg == "" {
				t.Errorf("%s %s: error %q without a message", method, path, a.code)
			}
		}
	}
	return a
}

// addEngine gives the trading engine name a token, as `smartradexd admin
// engine-token issue` does.
func (e *env) addEngine(t *testing.T, name, token string) {
	t.Helper()
	if err := e.s.store.AddEngineToken(context.Background(), name, server.HashToken(token), e.now); err != nil {
		t.Fatal(err)
	}
}

// putBody is a PUT body for btc-spot, the secret sealed to the service's
// vault key.
func (e *env) putBody(key, secret, typ, label string) string {
	return e.putBodyFor("btc-spot", key, secret, typ, label)
}

func (e *env) putBodyFor(bot, key, secret, typ, label string) string {
	pub := e.s.VaultKey()
	sealed, err := seal.Seal(pub, bot, key, typ, []byte(secret))
	if err != nil {
		panic(err)
	}
	b, _ := json.Marshal(map[string]string{"api_key": key, "sealed_secret": base64.StdEncoding.EncodeToString(sealed),
		"vault_key_id": pub.ID(), "key_type": typ, "label": label})
	return string(b)
}

const keyPath = "/v1/bots/btc-spot/binance-key"

func TestContractRules(t *testing.T) {
	e := newEnv(t)
	// bob registers keyB for eth-spot, so that it is "in use".
	if a := e.do(t, "PUT", "/v1/bots/eth-spot/binance-key", tokB, e.putBodyFor("eth-spot", keyB, hmac, "HMAC", "l")); a.status != 200 {
		t.Fatalf("setup PUT = %d %s", a.status, a.code)
	}
	cases := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"me", "GET", "/v1/me", tokA, "", 200, ""},
		{"me without token", "GET", "/v1/me", "", "", 401, CodeUnauthorized},
		{"me unknown token", "GET", "/v1/me", "nope", "", 401, CodeUnauthorized},
		{"put without token", "PUT", keyPath, "", e.putBody(keyA, hmac, "HMAC", "l"), 401, CodeUnauthorized},
		{"unknown bot", "GET", "/v1/bots/doge-spot/binance-key", tokA, "", 404, CodeUnknownBot},
		{"unknown bot, capitals", "GET", "/v1/bots/BTC-SPOT/binance-key", tokA, "", 404, CodeUnknownBot},
		{"not subscribed", "PUT", "/v1/bots/eth-spot/binance-key", tokA, e.putBody(keyA, hmac, "HMAC", "l"), 403, CodeNotSubscribed},
		{"bad JSON", "PUT", keyPath, tokA, `{"api_key":`, 422, CodeInvalidRequest},
		{"JSON array", "PUT", keyPath, tokA, `[]`, 422, CodeInvalidRequest},
		{"empty body", "PUT", keyPath, tokA, ``, 422, CodeInvalidRequest},
		{"missing secret", "PUT", keyPath, tokA, without(e.putBody(keyA, hmac, "HMAC", "l"), "sealed_secret"), 422, CodeInvalidRequest},
		{"missing vault key id", "PUT", keyPath, tokA, without(e.putBody(keyA, hmac, "HMAC", "l"), "vault_key_id"), 422, CodeInvalidRequest},
		{"missing key type", "PUT", keyPath, tokA, without(e.putBody(keyA, hmac, "HMAC", "l"), "key_type"), 422, CodeInvalidRequest},
		{"secret in clear", "PUT", keyPath, tokA, `{"api_key":"` + keyA + `","api_secret":"` + hmac + `","key_type":"HMAC"}`, 422, CodeInvalidRequest},
		{"secret in clear beside a sealed one", "PUT", keyPath, tokA, with(e.putBody(keyA, hmac, "HMAC", "l"), "api_secret", hmac), 422, CodeInvalidRequest},
		{"sealed secret not base64", "PUT", keyPath, tokA, with(e.putBody(keyA, hmac, "HMAC", "l"), "sealed_secret", "%%%"), 422, CodeInvalidRequest},
		{"vault key id not hex", "PUT", keyPath, tokA, with(e.putBody(keyA, hmac, "HMAC", "l"), "vault_key_id", "X"), 422, CodeInvalidRequest},
		{"unknown vault key", "PUT", keyPath, tokA, with(e.putBody(keyA, hmac, "HMAC", "l"), "vault_key_id", strings.Repeat("0", 32)), 409, CodeVaultKeyChanged},
		{"malformed body before unknown vault key", "PUT", keyPath, tokA, with(e.putBody(keyA[:10], hmac, "HMAC", "l"), "vault_key_id", strings.Repeat("0", 32)), 422, CodeInvalidRequest},
		{"unknown vault key before a seal that does not open", "PUT", keyPath, tokA, with(e.putBodyFor("eth-spot", keyA, hmac, "HMAC", "l"), "vault_key_id", strings.Repeat("0", 32)), 409, CodeVaultKeyChanged},
		{"sealed for another bot", "PUT", keyPath, tokA, e.putBodyFor("eth-spot", keyA, hmac, "HMAC", "l"), 422, CodeInvalidRequest},
		{"sealed for another key", "PUT", keyPath, tokA, with(e.putBody(keyA, hmac, "HMAC", "l"), "api_key", keyB), 422, CodeInvalidRequest},
		{"sealed for another key type", "PUT", keyPath, tokA, with(e.putBody(keyA, pemEd, "ED25519", "l"), "key_type", "RSA"), 422, CodeInvalidRequest},
		{"a seal that does not open before key in use", "PUT", keyPath, tokA, e.putBodyFor("eth-spot", keyB, hmac, "HMAC", "l"), 422, CodeInvalidRequest},
		{"unknown key type", "PUT", keyPath, tokA, e.putBody(keyA, hmac, "DSA", "l"), 422, CodeInvalidRequest},
		{"lower-case key type", "PUT", keyPath, tokA, e.putBody(keyA, hmac, "hmac", "l"), 422, CodeInvalidRequest},
		{"short api key", "PUT", keyPath, tokA, e.putBody(keyA[:63], hmac, "HMAC", "l"), 422, CodeInvalidRequest},
		{"api key with a dash", "PUT", keyPath, tokA, e.putBody(keyA[:63]+"-", hmac, "HMAC", "l"), 422, CodeInvalidRequest},
		{"HMAC secret not 64", "PUT", keyPath, tokA, e.putBody(keyA, hmac[:10], "HMAC", "l"), 422, CodeInvalidRequest},
		{"ED25519 secret not PEM", "PUT", keyPath, tokA, e.putBody(keyA, hmac, "ED25519", "l"), 422, CodeInvalidRequest},
		{"label too long", "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", strings.Repeat("x", 101)), 422, CodeInvalidRequest},
		{"body too large", "PUT", keyPath, tokA, `{"label":"` + strings.Repeat("x", maxRequestBody) + `"}`, 422, CodeInvalidRequest},
		{"key in use by another account's bot", "PUT", keyPath, tokA, e.putBody(keyB, hmac, "HMAC", "l"), 409, CodeKeyInUse},
		{"get none", "GET", keyPath, tokA, "", 404, CodeNotFound},
		{"delete none", "DELETE", keyPath, tokA, "", 404, CodeNotFound},
		{"ED25519 ok", "PUT", keyPath, tokA, e.putBody(keyA, pemEd, "ED25519", ""), 200, ""},
		{"wrong method", "POST", keyPath, tokA, "", 405, CodeMethodNotAllowed},
		{"wrong method on me", "DELETE", "/v1/me", tokA, "", 405, CodeMethodNotAllowed},
		{"no such endpoint", "GET", "/v1/nope", tokA, "", 404, CodeNoSuchEndpoint},
		{"vault key without a token", "GET", "/v1/vault-key", "", "", 200, ""},
		{"bots without a token", "GET", "/v1/bots", "", "", 200, ""},
		{"wrong method on vault key", "PUT", "/v1/vault-key", tokA, "", 405, CodeMethodNotAllowed},
		{"nested bot path", "GET", "/v1/bots/btc-spot/x/binance-key", tokA, "", 404, CodeNoSuchEndpoint},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, tc.method, tc.path, tc.token, tc.body)
			if a.status != tc.status || a.code != tc.code {
				t.Errorf("%s %s = %d %q, want %d %q", tc.method, tc.path, a.status, a.code, tc.status, tc.code)
			}
		})
	}
	if st, _ := e.s.Registration("eth-spot"); st.APIKey != keyB || st.Email != "bob@example.com" || st.Token != tokB || st.APISecret != hmac {
		t.Errorf("eth-spot holds %+v", st)
	}
}

// with sets field to value in the JSON object body.
func with(body, field, value string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		panic(err)
	}
	m[field] = value
	b, _ := json.Marshal(m)
	return string(b)
}

// without removes field from the JSON object body.
func without(body, field string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		panic(err)
	}
	delete(m, field)
	b, _ := json.Marshal(m)
	return string(b)
}

func TestVaultKeyAndSealedStorage(t *testing.T) {
	e := newEnv(t)
	a := e.do(t, "GET", "/v1/vault-key", "", "")
	var vk seal.VaultKey
	raw, _ := json.Marshal(a.body)
	if err := json.Unmarshal(raw, &vk); err != nil || a.status != 200 {
		t.Fatalf("GET /v1/vault-key = %d %v", a.status, a.body)
	}
	pub, err := vk.Parse()
	if err != nil || pub.ID() != e.s.VaultKey().ID() {
		t.Fatalf("the published vault key does not parse (%v) or is not the service's", err)
	}
	if a := e.do(t, "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", "l")); a.status != 200 {
		t.Fatalf("PUT = %d %s", a.status, a.code)
	}
	sub, err := e.s.store.Subscriber(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	held, err := e.s.store.GetKey(context.Background(), sub.ID, "btc-spot")
	if err != nil || len(held.SealedSecret) == 0 || held.VaultKeyID != pub.ID() || bytes.Contains(held.SealedSecret, []byte(hmac)) {
		t.Errorf("the store holds %+v (%v), want the sealed form only", held, err)
	}
	if st, _ := e.s.Registration("btc-spot"); st.APISecret != hmac {
		t.Errorf("Registration opened %q, want the secret sent", st.APISecret)
	}

	// After a rotation, the old key's ID is refused, the new one accepted.
	old := e.putBody(keyA, hmac, "HMAC", "l")
	newID := e.s.RotateVaultKey()
	if newID == pub.ID() || e.s.VaultKey().ID() != newID {
		t.Fatalf("RotateVaultKey = %s", newID)
	}
	if a := e.do(t, "PUT", keyPath, tokA, old); a.status != 409 || a.code != CodeVaultKeyChanged {
		t.Errorf("PUT to the rotated-out key = %d %s", a.status, a.code)
	}
	if a := e.do(t, "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", "l")); a.status != 200 {
		t.Errorf("PUT to the new key = %d %s", a.status, a.code)
	}
}

func TestBotsAreServed(t *testing.T) {
	e := newEnv(t)
	a := e.do(t, "GET", "/v1/bots", "", "")
	list, _ := a.body["bots"].([]any)
	if a.status != 200 || len(list) != 2 {
		t.Fatalf("GET /v1/bots = %d %v", a.status, a.body)
	}
	first, _ := list[0].(map[string]any)
	if first["id"] != "btc-spot" || first["name"] != "BOT BTC Spot" || first["label"] != "SmartradeX BTC Spot" {
		t.Errorf("first bot %v", first)
	}
	e.s.SetBots([]bots.Bot{{ID: "sol-spot", Name: "BOT SOL Spot", Label: "SmartradeX SOL Spot"}})
	e.s.AddAccount(tokA, "ada@example.com", []string{"sol-spot"})
	if a := e.do(t, "PUT", "/v1/bots/sol-spot/binance-key", tokA, e.putBodyFor("sol-spot", keyA, hmac, "HMAC", "l")); a.status != 200 {
		t.Errorf("PUT for a bot of the new catalogue = %d %s", a.status, a.code)
	}
	if a := e.do(t, "GET", keyPath, tokA, ""); a.status != 404 || a.code != CodeUnknownBot {
		t.Errorf("a bot no longer in the catalogue = %d %s", a.status, a.code)
	}
}

func TestPutIsIdempotentAndRotates(t *testing.T) {
	e := newEnv(t)
	first := e.do(t, "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", "SmartradeX BTC Spot"))
	if first.status != 200 || first.body["bot"] != "btc-spot" || first.body["api_key"] != keyA || first.body["status"] != StatusActive {
		t.Fatalf("PUT = %d %v", first.status, first.body)
	}
	e.now = e.now.Add(time.Hour)
	again := e.do(t, "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", "SmartradeX BTC Spot"))
	if again.status != 200 || again.body["registered_at"] != first.body["registered_at"] {
		t.Errorf("the same key again = %d %v, want 200 and registered_at %v", again.status, again.body, first.body["registered_at"])
	}
	get := e.do(t, "GET", keyPath, tokA, "")
	if get.status != 200 || get.body["registered_at"] != first.body["registered_at"] || get.body["api_key"] != keyA {
		t.Errorf("GET = %d %v", get.status, get.body)
	}
	if _, leaked := get.body["api_secret"]; leaked {
		t.Error("GET returns the secret")
	}
	// Rotation: a new key replaces the old one, with a new time.
	rot := e.do(t, "PUT", keyPath, tokA, e.putBody(keyB, hmac, "HMAC", "new"))
	if rot.status != 200 || rot.body["registered_at"] == first.body["registered_at"] {
		t.Errorf("rotation = %d %v", rot.status, rot.body)
	}
	// bob may now use keyA elsewhere: it is no longer registered.
	if a := e.do(t, "PUT", "/v1/bots/eth-spot/binance-key", tokB, e.putBodyFor("eth-spot", keyA, hmac, "HMAC", "l")); a.status != 200 {
		t.Errorf("reusing a replaced key = %d %s", a.status, a.code)
	}
	// Two accounts may each register their own key for the same bot.
	if a := e.do(t, "PUT", keyPath, tokB, e.putBody(keyA, hmac, "HMAC", "l")); a.status != 409 {
		t.Errorf("bob registering keyA for btc-spot too = %d, want 409", a.status)
	}
	if got := len(e.s.Registrations()); got != 2 {
		t.Errorf("%d registrations, want 2", got)
	}
	if a := e.do(t, "DELETE", keyPath, tokA, ""); a.status != 204 {
		t.Errorf("DELETE = %d", a.status)
	}
	if a := e.do(t, "GET", keyPath, tokA, ""); a.status != 404 {
		t.Errorf("GET after DELETE = %d", a.status)
	}
}

func TestMeListsSubscribedBots(t *testing.T) {
	e := newEnv(t)
	a := e.do(t, "GET", "/v1/me", tokB, "")
	bots, _ := a.body["bots"].([]any)
	if a.status != 200 || a.body["email"] != "bob@example.com" || len(bots) != 2 || bots[0] != "btc-spot" {
		t.Errorf("me = %d %v", a.status, a.body)
	}
	e.s.AddAccount("token-none-00000000", "new@example.com", nil)
	a = e.do(t, "GET", "/v1/me", "token-none-00000000", "")
	if bots, ok := a.body["bots"].([]any); !ok || len(bots) != 0 {
		t.Errorf("an account without bots answers bots = %v, want []", a.body["bots"])
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	e.s.Inject(Fault{Method: "GET", Path: "/v1/me", Status: 503, Header: http.Header{"Retry-After": {"7"}}, Times: 2})
	e.s.Inject(Fault{Path: "/v1/bots/", Status: 200, Body: "<html>portal</html>", Times: 1})
	for i := 0; i < 2; i++ {
		if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 503 || a.code != CodeUnavailable {
			t.Errorf("faulted me #%d = %d %q", i, a.status, a.code)
		}
	}
	if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 200 {
		t.Errorf("the fault outlived its Times: %d", a.status)
	}
	resp, err := http.Get(e.url + keyPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "<html>portal</html>" {
		t.Errorf("custom body = %q", body)
	}

	// Without keep-alive, so that net/http does not retry on a new connection.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	e.s.Inject(Fault{Reset: true})
	if _, err := fresh.Get(e.url + "/v1/me"); err == nil {
		t.Error("a Reset fault answered")
	}
	e.s.ClearFaults()
	e.s.SetDown(true)
	if _, err := fresh.Get(e.url + "/v1/me"); err == nil {
		t.Error("a down service answered")
	}
	e.s.SetDown(false)
	if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 200 {
		t.Errorf("after SetDown(false) = %d", a.status)
	}

	reqs := e.s.Requests()
	var statuses []int
	for _, r := range reqs {
		statuses = append(statuses, r.Status)
	}
	want := []int{503, 503, 200, 200, 0, 0, 200}
	if len(statuses) != len(want) {
		t.Fatalf("recorded statuses %v, want %v", statuses, want)
	}
	for i := range want {
		if statuses[i] != want[i] {
			t.Fatalf("recorded statuses %v, want %v", statuses, want)
		}
	}
	if reqs[0].Token != tokA || reqs[0].Path != "/v1/me" || reqs[0].Method != http.MethodGet {
		t.Errorf("first request recorded as %+v", reqs[0])
	}
}

func TestDelayEndsWhenClientGivesUp(t *testing.T) {
	e := newEnv(t)
	e.s.SetLatency(time.Hour)
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Get(e.url + "/v1/me"); err == nil {
		t.Fatal("answered despite an hour of latency")
	}
	// The cleanup's Close must not wait for the hour: the test finishing
	// is the assertion.
}

func TestStateRoundTrip(t *testing.T) {
	e := newEnv(t)
	if a := e.do(t, "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", "l")); a.status != 200 {
		t.Fatal(a.status)
	}
	data, err := e.s.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	s2 := New()
	if err := s2.LoadState(data); err != nil {
		t.Fatal(err)
	}
	st, ok := s2.Registration("btc-spot")
	orig, _ := e.s.Registration("btc-spot")
	if orig.Token != tokA {
		t.Errorf("Registration().Token = %q, want the registering token", orig.Token)
	}
	orig.Token = "" // the state keeps token hashes only
	if !ok || !reflect.DeepEqual(st, orig) || st.APISecret != hmac {
		t.Errorf("reloaded %+v, want %+v", st, orig)
	}
	if s2.VaultKey().ID() != e.s.VaultKey().ID() {
		t.Error("the vault key was not kept")
	}
	if bytes.Contains(data, []byte(hmac)) || bytes.Contains(data, []byte(tokA)) {
		t.Error("the saved state holds the secret or a token in clear")
	}
	if !bytes.Contains(data, []byte(`"version": 3`)) {
		t.Errorf("saved as %s, want version 3", data)
	}
	base, err := s2.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("Start = %q, want a loopback URL", base)
	}
	e2 := &env{s: s2, url: base}
	if a := e2.do(t, "GET", keyPath, tokA, ""); a.status != 200 || a.body["api_key"] != keyA || a.body["registered_at"] != "2026-11-23T10:00:00Z" {
		t.Errorf("reloaded service: GET = %d %v", a.status, a.body)
	}
	if a := e2.do(t, "GET", "/v1/me", tokB, ""); a.status != 200 || a.body["email"] != "bob@example.com" {
		t.Errorf("reloaded service: bob's token = %d %v", a.status, a.body)
	}
	// The reloaded service seals to the reloaded key: a PUT sealed to it opens.
	if a := e2.do(t, "PUT", "/v1/bots/eth-spot/binance-key", tokB, e.putBodyFor("eth-spot", keyB, hmac, "HMAC", "l")); a.status != 200 {
		t.Errorf("reloaded service: PUT = %d %s", a.status, a.code)
	}
}

// The sandbox's state files of earlier versions are read and migrated to
// the store; the next save is version 3, with no secret and no token in it.
func TestStateOfEarlierVersionsIsMigrated(t *testing.T) {
	v1 := `{"version":1,"accounts":{"` + tokA + `":{"email":"ada@example.com","bots":["btc-spot"]}},"registrations":[{"email":"ada@example.com","token":"` + tokA + `","bot":"btc-spot","api_key":"` + keyA + `","api_secret":"` + hmac + `","key_type":"HMAC","label":"l","registered_at":"2026-11-23T10:00:00Z"}]}`

	// Version 2: the old reference's accounts and sealed registrations,
	// one of them sealed to a key it no longer had.
	old, _ := seal.GenerateKey()
	lost, _ := seal.GenerateKey()
	oldText, _ := old.MarshalText()
	sealedA, _ := seal.Seal(old.Public(), "btc-spot", keyA, "HMAC", []byte(hmac))
	sealedB, _ := seal.Seal(lost.Public(), "eth-spot", keyB, "ED25519", []byte(pemEd))
	v2, _ := json.Marshal(map[string]any{
		"version": 2, "vault_key": strings.TrimSpace(string(oldText)),
		"accounts": map[string]any{
			tokA: map[string]any{"email": "ada@example.com", "bots": []string{"btc-spot"}},
			tokB: map[string]any{"email": "bob@example.com", "bots": []string{"btc-spot", "eth-spot"}},
		},
		"registrations": []map[string]any{
			{"email": "ada@example.com", "token": tokA, "bot": "btc-spot", "api_key": keyA, "sealed_secret": sealedA,
				"vault_key_id": old.Public().ID(), "key_type": "HMAC", "label": "l", "registered_at": "2026-11-23T10:00:00Z"},
			{"email": "bob@example.com", "token": tokB, "bot": "eth-spot", "api_key": keyB, "sealed_secret": sealedB,
				"vault_key_id": lost.Public().ID(), "key_type": "ED25519", "label": "", "registered_at": "2026-11-24T08:00:00Z"},
		},
	})

	for _, tc := range []struct {
		name  string
		data  string
		vault func(*Server) string // the vault key ID expected after loading
		regs  []Stored             // SealedSecret not compared
	}{
		{"version 1, secrets in clear", v1, func(s *Server) string { return s.VaultKey().ID() }, []Stored{
			{Email: "ada@example.com", Bot: "btc-spot", APIKey: keyA, APISecret: hmac, KeyType: "HMAC", Label: "l",
				RegisteredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)},
		}},
		{"version 2, sealed", string(v2), func(*Server) string { return old.Public().ID() }, []Stored{
			{Email: "ada@example.com", Bot: "btc-spot", APIKey: keyA, APISecret: hmac, KeyType: "HMAC", Label: "l",
				VaultKeyID: old.Public().ID(), RegisteredAt: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)},
			{Email: "bob@example.com", Bot: "eth-spot", APIKey: keyB, KeyType: "ED25519", // sealed to a lost key: stays closed
				VaultKeyID: lost.Public().ID(), RegisteredAt: time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New()
			want := tc.vault(s)
			if err := s.LoadState([]byte(tc.data)); err != nil {
				t.Fatalf("LoadState: %v", err)
			}
			if s.VaultKey().ID() != want {
				t.Errorf("vault key %s, want %s", s.VaultKey().ID(), want)
			}
			got := s.Registrations()
			for i := range got {
				if len(got[i].SealedSecret) == 0 || bytes.Contains(got[i].SealedSecret, []byte(hmac)) {
					t.Errorf("%s: sealed secret %q", got[i].Bot, got[i].SealedSecret)
				}
				got[i].SealedSecret = nil
				if tc.regs != nil && i < len(tc.regs) && tc.regs[i].VaultKeyID == "" {
					tc.regs[i].VaultKeyID = want
				}
			}
			if !reflect.DeepEqual(got, tc.regs) {
				t.Errorf("registrations\n%+v\nwant\n%+v", got, tc.regs)
			}
			// The tokens of the old state open their accounts.
			e := &env{s: s, url: serve(t, s)}
			if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 200 || a.body["email"] != "ada@example.com" {
				t.Errorf("ada's token = %d %v", a.status, a.body)
			}
			saved, err := s.MarshalState()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(saved, []byte(hmac)) || bytes.Contains(saved, []byte(tokA)) || !bytes.Contains(saved, []byte(`"version": 3`)) {
				t.Errorf("saved again as %s", saved)
			}
		})
	}
}

// serve starts s for the test t and returns its URL.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return base
}

func TestBadStateChangesNothing(t *testing.T) {
	e := newEnv(t)
	if a := e.do(t, "PUT", keyPath, tokA, e.putBody(keyA, hmac, "HMAC", "l")); a.status != 200 {
		t.Fatal(a.status)
	}
	good, _ := e.s.MarshalState()
	key, _ := seal.GenerateKey()
	keyText, _ := key.MarshalText()
	vk := strings.TrimSpace(string(keyText))
	for _, bad := range []string{
		"", "{", `{"version":4}`, `{"version":0}`,
		`{"version":3}`, `{"version":3,"vault_key":"AAAA"}`,
		`{"version":3,"vault_key":"` + vk + `"}`,
		`{"version":3,"vault_key":"` + vk + `","store":{"version":9}}`,
		`{"version":2}`, `{"version":2,"vault_key":"AAAA"}`,
		// a registration for a bot the catalogue does not have
		`{"version":2,"vault_key":"` + vk + `","registrations":[{"email":"a@example.com","bot":"doge-spot","api_key":"` + keyA + `","sealed_secret":"AAAA","vault_key_id":"` + key.Public().ID() + `","key_type":"HMAC"}]}`,
		// one key for two bots
		`{"version":2,"vault_key":"` + vk + `","registrations":[` +
			`{"email":"a@example.com","bot":"btc-spot","api_key":"` + keyA + `","sealed_secret":"AAAA","vault_key_id":"` + key.Public().ID() + `","key_type":"HMAC"},` +
			`{"email":"a@example.com","bot":"eth-spot","api_key":"` + keyA + `","sealed_secret":"AAAA","vault_key_id":"` + key.Public().ID() + `","key_type":"HMAC"}]}`,
		// a version 2 state with a secret in clear
		`{"version":2,"vault_key":"` + vk + `","registrations":[{"email":"a@example.com","bot":"btc-spot","api_key":"` + keyA + `","api_secret":"` + hmac + `","key_type":"HMAC"}]}`,
	} {
		if err := e.s.LoadState([]byte(bad)); err == nil {
			t.Errorf("LoadState(%.80q) accepted", bad)
		}
		if now, _ := e.s.MarshalState(); !bytes.Equal(now, good) {
			t.Fatalf("LoadState(%.80q) changed the service", bad)
		}
	}
	if now, _ := e.s.MarshalState(); !bytes.Equal(now, good) {
		t.Error("a refused state changed the service")
	}
}

// AddAccount replaces the account's subscriptions and accepts any token;
// a token of another e-mail or an unknown bot is the test's mistake.
func TestAddAccount(t *testing.T) {
	e := newEnv(t)
	e.s.AddAccount(tokA, "ada@example.com", []string{"eth-spot"})
	if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 200 || fmt.Sprint(a.body["bots"]) != "[eth-spot]" {
		t.Errorf("me after AddAccount = %d %v", a.status, a.body)
	}
	// A second token for the same account.
	e.s.AddAccount("second-token,any/visible~text!", "ada@example.com", []string{"eth-spot", "btc-spot"})
	for _, tok := range []string{tokA, "second-token,any/visible~text!"} {
		if a := e.do(t, "GET", "/v1/me", tok, ""); a.status != 200 || fmt.Sprint(a.body["bots"]) != "[btc-spot eth-spot]" {
			t.Errorf("me with %q = %d %v", tok, a.status, a.body)
		}
	}
	for name, f := range map[string]func(){
		"another e-mail's token":     func() { e.s.AddAccount(tokA, "bob@example.com", nil) },
		"a bot not in the catalogue": func() { e.s.AddAccount("token-new-000", "new@example.com", []string{"sol-spot"}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: AddAccount did not panic", name)
				}
			}()
			f()
		}()
	}
	if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 200 || a.body["email"] != "ada@example.com" {
		t.Errorf("ada's token after the refused AddAccount = %d %v", a.status, a.body)
	}
	if subs, _ := e.s.store.Subscribers(context.Background()); len(subs) != 2 {
		t.Errorf("a refused AddAccount left %d subscribers, want ada and bob: %+v", len(subs), subs)
	}
	// A third token, with fewer bots: the account's subscriptions shrink,
	// whichever token opens it.
	e.s.AddAccount("token-ada-third", "ADA@example.com", []string{"btc-spot"})
	if a := e.do(t, "GET", "/v1/me", tokA, ""); a.status != 200 || fmt.Sprint(a.body["bots"]) != "[btc-spot]" {
		t.Errorf("me after AddAccount with fewer bots = %d %v", a.status, a.body)
	}
}

func TestCloseStopsStart(t *testing.T) {
	s := New()
	base, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s.Close() // twice is harmless
	_, err = http.Get(base + "/v1/me")
	if err == nil {
		t.Errorf("a closed server answered: %v", err)
	}
}

// A detached PUT commits after its delay although the client gave up
// before: the service a killed smartradex leaves behind.
func TestDetachedPutCommitsAfterTheClientLeft(t *testing.T) {
	e := newEnv(t)
	e.s.Inject(Fault{Method: http.MethodPut, Delay: 200 * time.Millisecond, Detach: true})
	client := &http.Client{Timeout: 20 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodPut, e.url+"/v1/bots/btc-spot/binance-key", strings.NewReader(e.putBody(keyA, hmac, "HMAC", "x")))
	req.Header.Set("Authorization", "Bearer "+tokA)
	if _, err := client.Do(req); err == nil {
		t.Fatal("the client was answered before the delay")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if st, ok := e.s.Registration("btc-spot"); ok {
			if st.APIKey != keyA {
				t.Fatalf("holds %s", st.APIKey)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the detached PUT never committed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
