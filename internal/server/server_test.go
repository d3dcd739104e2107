package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
)

// Every route, with every error it can answer, in the contract's order:
// an unknown path or method before the token, the token before the bot,
// the bot before the subscription.
func TestRoutesAndErrors(t *testing.T) {
	e := newEnv(t)
	other := e.addSubscriber("bob@example.com") // subscribed to nothing
	const key = "/v1/bots/btc-spot/binance-key"
	cases := []struct {
		name, method, path, token string
		status                    int
		code                      string
		allow                     string
	}{
		{"unknown path", "GET", "/v2/me", "", 404, CodeNoSuchEndpoint, ""},
		{"unknown path under bots", "GET", "/v1/bots/btc-spot/other", e.token, 404, CodeNoSuchEndpoint, ""},
		{"bot with a slash", "GET", "/v1/bots/a/b/binance-key", e.token, 404, CodeNoSuchEndpoint, ""},
		{"me: wrong method before token", "POST", "/v1/me", "", 405, CodeMethodNotAllowed, "GET"},
		{"me: no token", "GET", "/v1/me", "", 401, CodeUnauthorized, ""},
		{"me: unknown token", "GET", "/v1/me", NewToken(), 401, CodeUnauthorized, ""},
		{"me: engine token", "GET", "/v1/me", "ENGINE", 401, CodeUnauthorized, ""},
		{"me", "GET", "/v1/me", e.token, 200, "", ""},
		{"bots: no token needed", "GET", "/v1/bots", "", 200, "", ""},
		{"bots: wrong method", "DELETE", "/v1/bots", "", 405, CodeMethodNotAllowed, "GET"},
		{"vault key: no token needed", "GET", "/v1/vault-key", "", 200, "", ""},
		{"vault key: wrong method", "PUT", "/v1/vault-key", "", 405, CodeMethodNotAllowed, "GET"},
		{"key: wrong method", "PATCH", key, e.token, 405, CodeMethodNotAllowed, "PUT, GET, DELETE"},
		{"key: no token before unknown bot", "GET", "/v1/bots/doge-spot/binance-key", "", 401, CodeUnauthorized, ""},
		{"key: engine token", "GET", key, "ENGINE", 401, CodeUnauthorized, ""},
		{"key: unknown bot before subscription", "GET", "/v1/bots/doge-spot/binance-key", other, 404, CodeUnknownBot, ""},
		{"key: bot IDs are exact", "GET", "/v1/bots/BTC-SPOT/binance-key", e.token, 404, CodeUnknownBot, ""},
		{"key: not subscribed", "GET", key, other, 403, CodeNotSubscribed, ""},
		{"key: PUT not subscribed before body", "PUT", "/v1/bots/eth-spot/binance-key", e.token, 403, CodeNotSubscribed, ""},
		{"key: DELETE not subscribed", "DELETE", "/v1/bots/eth-spot/binance-key", e.token, 403, CodeNotSubscribed, ""},
		{"key: GET nothing registered", "GET", key, e.token, 404, CodeNotFound, ""},
		{"key: DELETE nothing registered", "DELETE", key, e.token, 404, CodeNotFound, ""},
		{"key: PUT bad body", "PUT", key, e.token, 422, CodeInvalidRequest, ""},
		{"engine: no token", "GET", "/internal/v1/keys?bot=btc-spot", "", 401, CodeUnauthorized, ""},
		{"engine: no token before no bot", "GET", "/internal/v1/keys", "", 401, CodeUnauthorized, ""},
		{"engine: subscriber token", "GET", "/internal/v1/keys?bot=btc-spot", e.token, 401, CodeUnauthorized, ""},
		{"engine: wrong method", "POST", "/internal/v1/keys", "ENGINE", 405, CodeMethodNotAllowed, "GET"},
		{"engine: unknown bot", "GET", "/internal/v1/keys?bot=doge-spot", "ENGINE", 404, CodeUnknownBot, ""},
		{"engine", "GET", "/internal/v1/keys?bot=btc-spot", "ENGINE", 200, "", ""},
		{"engine: bot required", "GET", "/internal/v1/keys", "ENGINE", 422, CodeInvalidRequest, ""},
		{"engine: malformed bot", "GET", "/internal/v1/keys?bot=BTC%20spot", "ENGINE", 422, CodeInvalidRequest, ""},
		{"healthz", "GET", "/healthz", "", 200, "", ""},
		{"healthz: wrong method", "POST", "/healthz", "", 405, CodeMethodNotAllowed, "GET"},
		{"readyz", "GET", "/readyz", "", 200, "", ""},
		{"metrics", "GET", "/metrics", "", 200, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tok := tc.token
			if tok == "ENGINE" {
				tok = e.engine
			}
			var body any
			if tc.method == "PUT" {
				body = "not json"
			}
			a := e.do(tc.method, tc.path, tok, body)
			if a.status != tc.status || a.code() != tc.code {
				t.Fatalf("%s %s = %d %q, want %d %q (%s)", tc.method, tc.path, a.status, a.code(), tc.status, tc.code, a.body)
			}
			if got := a.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
			if tc.status == 401 && a.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if a.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tc.status >= 400 {
				var b errorBody
				a.decode(t, &b)
				if b.Error.Message == "" {
					t.Error("error without a message")
				}
			}
		})
	}
}

func TestMeBotsAndVaultKey(t *testing.T) {
	e := newEnv(t)
	var me struct {
		Email string   `json:"email"`
		Bots  []string `json:"bots"`
	}
	e.do("GET", "/v1/me", e.token, nil).decode(t, &me)
	if me.Email != "ada@example.com" || len(me.Bots) != 1 || me.Bots[0] != "btc-spot" {
		t.Errorf("me = %+v", me)
	}
	// bots is an array even when empty.
	if a := e.do("GET", "/v1/me", e.addSubscriber("bob@example.com"), nil); !bytes.Contains(a.body, []byte(`"bots":[]`)) {
		t.Errorf("me with no bots = %s", a.body)
	}
	var bots struct {
		Bots []struct{ ID, Name, Label string } `json:"bots"`
	}
	e.do("GET", "/v1/bots", "", nil).decode(t, &bots)
	if len(bots.Bots) != 2 || bots.Bots[0].ID != "btc-spot" || bots.Bots[0].Label != "SmartradeX BTC Spot" || bots.Bots[1].ID != "eth-spot" {
		t.Errorf("bots = %+v", bots)
	}
	var vk seal.VaultKey
	e.do("GET", "/v1/vault-key", "", nil).decode(t, &vk)
	pub, err := vk.Parse()
	if err != nil || pub.ID() != e.vault.Public().ID() {
		t.Fatalf("vault key %+v: %v", vk, err)
	}
}

// A PUT's checks, in the order of issue 12: malformed body → unknown
// vault_key_id → a seal that does not open → key_in_use. Each case holds
// the fault of its row and those of the rows below it, so a check done too
// late shows.
func TestPutOrderOfChecks(t *testing.T) {
	e := newEnv(t)
	taken := randomKey()
	bob := e.addSubscriber("bob@example.com", "btc-spot")
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", bob, e.sealed("btc-spot", taken, "HMAC", randomKey())); a.status != 200 {
		t.Fatalf("bob's PUT = %d %s", a.status, a.body)
	}
	other, _ := seal.GenerateKey()
	foreign := func(b putBody) putBody {
		s, _ := seal.Seal(other.Public(), "btc-spot", b.APIKey, b.KeyType, []byte(randomKey()))
		b.SealedSecret = base64.StdEncoding.EncodeToString(s)
		b.VaultKeyID = other.Public().ID()
		return b
	}
	mismatched := e.sealed("eth-spot", taken, "HMAC", randomKey()) // sealed for another bot
	long := strings.Repeat("é", 101)
	ok100 := strings.Repeat("é", 100)
	withLabel := func(b putBody, l string) putBody { b.Label = &l; return b }
	withID := func(b putBody, id string) putBody { b.VaultKeyID = id; return b }
	clearSecret := fmt.Sprintf(`{"api_key":%q,"api_secret":%q,"key_type":"HMAC","sealed_secret":%q,"vault_key_id":"nope"}`,
		taken, randomKey(), mismatched.SealedSecret)
	cases := []struct {
		name   string
		body   any
		status int
		code   string
		msg    string
	}{
		{"secret in clear, before everything", clearSecret, 422, CodeInvalidRequest, "send sealed_secret"},
		{"not JSON", "{", 422, CodeInvalidRequest, "JSON object"},
		{"JSON but not an object", `["x"]`, 422, CodeInvalidRequest, "JSON object"},
		{"null", `null`, 422, CodeInvalidRequest, "JSON object"},
		{"missing fields", `{"api_key":"` + taken + `"}`, 422, CodeInvalidRequest, "required"},
		{"api_key shape", foreign(putBody{APIKey: "short", KeyType: "HMAC"}), 422, CodeInvalidRequest, "api_key"},
		{"key_type", foreign(putBody{APIKey: taken, KeyType: "hmac"}), 422, CodeInvalidRequest, "key_type"},
		{"label too long", withLabel(foreign(putBody{APIKey: taken, KeyType: "HMAC"}), long), 422, CodeInvalidRequest, "label"},
		{"sealed_secret not base64", putBody{APIKey: taken, KeyType: "HMAC", SealedSecret: "%%%", VaultKeyID: "x"}, 422, CodeInvalidRequest, "base64"},
		{"vault_key_id not a key ID, before the unknown vault key", withID(foreign(putBody{APIKey: taken, KeyType: "HMAC"}), "3F1C0E9A5B7D2C4E6F8A0B1C2D3E4F50"), 422, CodeInvalidRequest, "vault_key_id"},
		{"vault_key_id empty", withID(foreign(putBody{APIKey: taken, KeyType: "HMAC"}), ""), 422, CodeInvalidRequest, "vault_key_id"},
		{"unknown vault key, before the seal and key_in_use", foreign(putBody{APIKey: taken, KeyType: "HMAC"}), 409, CodeVaultKeyChanged, "vault key"},
		{"seal does not open, before key_in_use", mismatched, 422, CodeInvalidRequest, "does not open"},
		{"HMAC secret of the wrong shape", e.sealed("btc-spot", taken, "HMAC", "short"), 422, CodeInvalidRequest, "64 letters"},
		{"PEM expected", e.sealed("btc-spot", taken, "ED25519", randomKey()), 422, CodeInvalidRequest, "PKCS#8"},
		{"key in use", withLabel(e.sealed("btc-spot", taken, "HMAC", randomKey()), ok100), 409, CodeKeyInUse, "another bot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, tc.body)
			if a.status != tc.status || a.code() != tc.code || !strings.Contains(string(a.body), tc.msg) {
				t.Fatalf("= %d %s, want %d %s %q", a.status, a.body, tc.status, tc.code, tc.msg)
			}
		})
	}
	if _, err := e.mem.GetKey(context.Background(), 1, "btc-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused PUT registered something: %v", err)
	}
}

func TestSealedRoundTripIdempotenceAndAudit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	apiKey, secret := randomKey(), randomKey()
	body := e.sealed("btc-spot", apiKey, "HMAC", secret)
	var reg registrationBody
	a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body)
	if a.status != 200 {
		t.Fatalf("PUT = %d %s", a.status, a.body)
	}
	a.decode(t, &reg)
	first := e.clock.Now()
	if reg.Bot != "btc-spot" || reg.APIKey != apiKey || reg.Status != "active" || !reg.RegisteredAt.Equal(first) {
		t.Fatalf("PUT answer = %+v", reg)
	}
	held, err := e.mem.GetKey(ctx, 1, "btc-spot")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(held.SealedSecret, []byte(secret)) || held.VaultKeyID != e.vault.Public().ID() {
		t.Fatalf("held = %+v", held)
	}
	opened, err := seal.Open(e.vault, "btc-spot", apiKey, "HMAC", held.SealedSecret)
	if err != nil || string(opened) != secret {
		t.Fatalf("the stored seal does not open to the secret: %v", err)
	}

	// The same PUT later: 200 with the original time.
	e.clock.Add(time.Hour)
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", apiKey, "HMAC", secret)).decode(t, &reg)
	if !reg.RegisteredAt.Equal(first) {
		t.Errorf("idempotent PUT moved registered_at to %v", reg.RegisteredAt)
	}
	var got registrationBody
	e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil).decode(t, &got)
	if got != reg {
		t.Errorf("GET = %+v, want %+v", got, reg)
	}
	// Another key replaces it, with a new time; an ED25519 key in PEM form.
	newKey := randomKey()
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", newKey, "ED25519", pemKey)).decode(t, &reg)
	if reg.APIKey != newKey || !reg.RegisteredAt.Equal(e.clock.Now()) {
		t.Errorf("replacing PUT = %+v", reg)
	}
	if a := e.do("DELETE", "/v1/bots/btc-spot/binance-key", e.token, nil); a.status != 204 || len(a.body) != 0 {
		t.Errorf("DELETE = %d %q", a.status, a.body)
	}
	if a := e.do("DELETE", "/v1/bots/btc-spot/binance-key", e.token, nil); a.status != 404 || a.code() != CodeNotFound {
		t.Errorf("second DELETE = %d %s", a.status, a.body)
	}

	log, _ := e.mem.AuditLog(ctx, 0)
	want := []struct{ action, key string }{{"key.register", apiKey}, {"key.replace", newKey}, {"key.remove", newKey}}
	if len(log) != len(want) {
		t.Fatalf("audit = %+v", log)
	}
	for i, w := range want {
		ev := log[i]
		if ev.Action != w.action || ev.APIKey != w.key[:4]+"…"+w.key[60:] || ev.Actor != "subscriber:ada@example.com" ||
			ev.Bot != "btc-spot" || ev.SubscriberID != 1 || ev.RemoteAddr != "127.0.0.1" || ev.At.IsZero() {
			t.Errorf("audit[%d] = %+v, want %s of %s", i, ev, w.action, w.key)
		}
	}
}

// A sealed secret is bound to its bot, API key and key type: sent for any
// other, it does not open.
func TestSealedSecretReplayRefused(t *testing.T) {
	e := newEnv(t)
	e.mem.Subscribe(context.Background(), "ada@example.com", "eth-spot")
	apiKey := randomKey()
	orig := e.sealed("btc-spot", apiKey, "HMAC", randomKey())
	for _, tc := range []struct {
		name string
		bot  string
		edit func(*putBody)
	}{
		{"another bot", "eth-spot", func(*putBody) {}},
		{"another api_key", "btc-spot", func(b *putBody) { b.APIKey = randomKey() }},
		{"another key type", "btc-spot", func(b *putBody) { b.KeyType = "RSA" }},
	} {
		b := orig
		tc.edit(&b)
		a := e.do("PUT", "/v1/bots/"+tc.bot+"/binance-key", e.token, b)
		if a.status != 422 || !strings.Contains(string(a.body), "does not open") {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
	}
	if keys, _ := e.mem.ActiveKeys(context.Background(), ""); len(keys) != 0 {
		t.Errorf("a replayed seal registered %d keys", len(keys))
	}
}

func TestConcurrentIdenticalPuts(t *testing.T) {
	e := newEnv(t)
	body := e.sealed("btc-spot", randomKey(), "HMAC", randomKey())
	var wg sync.WaitGroup
	regs := make([]registrationBody, 50)
	status := make([]int, 50)
	for i := range regs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body)
			status[i] = a.status
			if a.status == 200 {
				a.decode(t, &regs[i])
			}
		}()
	}
	wg.Wait()
	for i := range regs {
		if status[i] != 200 || regs[i] != regs[0] {
			t.Fatalf("PUT %d = %d %+v, want 200 %+v", i, status[i], regs[i], regs[0])
		}
	}
	log, _ := e.mem.AuditLog(context.Background(), 0)
	if len(log) != 1 {
		t.Errorf("%d audit rows, want 1", len(log))
	}
	m := string(e.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{`smartradexd_key_registrations_total{outcome="created"} 1`, `smartradexd_key_registrations_total{outcome="unchanged"} 49`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestEngineEndpoint(t *testing.T) {
	e := newEnv(t)
	bob := e.addSubscriber("bob@example.com", "eth-spot")
	k1, s1, k2 := randomKey(), randomKey(), randomKey()
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", k1, "HMAC", s1))
	e.do("PUT", "/v1/bots/eth-spot/binance-key", bob, e.sealed("eth-spot", k2, "ED25519", pemKey))
	if err := e.mem.RecordCheck(context.Background(), 1, "btc-spot", k1,
		store.Check{At: e.clock.Now(), SeenFrom: "203.0.113.7", Outcome: "ok", Restrictions: []byte(`{"enableSpotAndMarginTrading":true}`)}); err != nil {
		t.Fatal(err)
	}
	var out struct{ Keys []engineKeyBody }
	e.do("GET", "/internal/v1/keys?bot=btc-spot", e.engine, nil).decode(t, &out)
	if len(out.Keys) != 1 {
		t.Fatalf("keys = %+v", out.Keys)
	}
	k := out.Keys[0]
	if k.Bot != "btc-spot" || k.APIKey != k1 || k.Email != "ada@example.com" || k.KeyType != "HMAC" ||
		k.VaultKeyID != e.vault.Public().ID() || k.LastCheck == nil || !k.LastCheck.Equal(e.clock.Now()) {
		t.Fatalf("key = %+v", k)
	}
	sealed, err := base64.StdEncoding.DecodeString(k.SealedSecret)
	if err != nil {
		t.Fatal(err)
	}
	if opened, err := seal.Open(e.vault, k.Bot, k.APIKey, k.KeyType, sealed); err != nil || string(opened) != s1 {
		t.Fatalf("the engine's copy does not open: %v", err)
	}
	a := e.do("GET", "/internal/v1/keys?bot=eth-spot", e.engine, nil)
	a.decode(t, &out)
	if len(out.Keys) != 1 || out.Keys[0].APIKey != k2 || out.Keys[0].LastCheck != nil || !strings.Contains(string(a.body), `"last_check":null`) {
		t.Errorf("eth-spot keys = %s", a.body)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.RateLimit = RateLimit{Rate: 0.5, Burst: 3} }))
	bob := e.addSubscriber("bob@example.com")
	for i := range 3 {
		if a := e.do("GET", "/v1/me", e.token, nil); a.status != 200 {
			t.Fatalf("request %d = %d", i, a.status)
		}
	}
	a := e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil)
	if a.status != 429 || a.code() != CodeRateLimited || a.header.Get("Retry-After") != "2" {
		t.Fatalf("4th request = %d %s, Retry-After %q", a.status, a.body, a.header.Get("Retry-After"))
	}
	if a := e.do("GET", "/v1/me", bob, nil); a.status != 200 {
		t.Errorf("another token was limited: %d", a.status)
	}
	// Unknown tokens are refused before any bucket is made for them.
	if a := e.do("GET", "/v1/me", NewToken(), nil); a.status != 401 {
		t.Errorf("unknown token = %d", a.status)
	}
	e.clock.Add(2 * time.Second)
	if a := e.do("GET", "/v1/me", e.token, nil); a.status != 200 {
		t.Errorf("after Retry-After = %d", a.status)
	}
	if a := e.do("GET", "/v1/me", e.token, nil); a.status != 429 {
		t.Errorf("the bucket refilled more than the rate: %d", a.status)
	}
	// The engine has a bucket of its own.
	for range 3 {
		e.do("GET", "/internal/v1/keys", e.engine, nil)
	}
	if a := e.do("GET", "/internal/v1/keys", e.engine, nil); a.status != 429 {
		t.Errorf("engine not limited: %d", a.status)
	}
}

func TestBodyLimit(t *testing.T) {
	e := newEnv(t)
	body := e.sealed("btc-spot", randomKey(), "HMAC", randomKey())
	data := []byte(fmt.Sprintf(`{"api_key":%q,"sealed_secret":%q,"vault_key_id":%q,"key_type":"HMAC"}`,
		body.APIKey, body.SealedSecret, body.VaultKeyID))
	pad := func(n int) []byte {
		return append(append([]byte(nil), data...), bytes.Repeat([]byte(" "), n-len(data))...)
	}
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, pad(64<<10)); a.status != 200 {
		t.Errorf("a 64 KiB body = %d %s", a.status, a.body)
	}
	a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, pad(64<<10+1))
	if a.status != 422 || !strings.Contains(string(a.body), "too large") {
		t.Errorf("a body over 64 KiB = %d %s", a.status, a.body)
	}
}

// failing is a store whose chosen methods fail with err, for the
// unavailable-database paths; block, if set, holds PutKey until closed.
type failing struct {
	store.Store
	mu      sync.Mutex
	fail    map[string]bool
	err     error
	block   chan struct{}
	entered chan struct{}
}

func (f *failing) failed(m string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail[m] {
		return f.err
	}
	return nil
}

func (f *failing) set(methods ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = map[string]bool{}
	for _, m := range methods {
		f.fail[m] = true
	}
}

func (f *failing) Ping(ctx context.Context) error {
	if err := f.failed("Ping"); err != nil {
		return err
	}
	return f.Store.Ping(ctx)
}
func (f *failing) Bots(ctx context.Context) ([]store.Bot, error) {
	if err := f.failed("Bots"); err != nil {
		return nil, err
	}
	return f.Store.Bots(ctx)
}
func (f *failing) Authenticate(ctx context.Context, h []byte) (store.Principal, error) {
	if err := f.failed("Authenticate"); err != nil {
		return store.Principal{}, err
	}
	return f.Store.Authenticate(ctx, h)
}
func (f *failing) AuthenticateEngine(ctx context.Context, h []byte) (string, error) {
	if err := f.failed("AuthenticateEngine"); err != nil {
		return "", err
	}
	return f.Store.AuthenticateEngine(ctx, h)
}
func (f *failing) PutKey(ctx context.Context, k store.Key, audit ...store.AuditEvent) (store.PutResult, error) {
	if f.block != nil {
		select {
		case f.entered <- struct{}{}:
		default:
		}
		select {
		case <-f.block:
		case <-ctx.Done():
			return store.PutResult{}, ctx.Err()
		}
	}
	if err := f.failed("PutKey"); err != nil {
		return store.PutResult{}, err
	}
	return f.Store.PutKey(ctx, k, audit...)
}
func (f *failing) GetKey(ctx context.Context, id int64, bot string) (store.Key, error) {
	if err := f.failed("GetKey"); err != nil {
		return store.Key{}, err
	}
	return f.Store.GetKey(ctx, id, bot)
}
func (f *failing) DeleteKey(ctx context.Context, id int64, bot string, audit ...store.AuditEvent) (store.Key, error) {
	if err := f.failed("DeleteKey"); err != nil {
		return store.Key{}, err
	}
	return f.Store.DeleteKey(ctx, id, bot, audit...)
}
func (f *failing) ActiveKeys(ctx context.Context, bot string) ([]store.Key, error) {
	if err := f.failed("ActiveKeys"); err != nil {
		return nil, err
	}
	return f.Store.ActiveKeys(ctx, bot)
}
func (f *failing) Audit(ctx context.Context, ev store.AuditEvent) error {
	if err := f.failed("Audit"); err != nil {
		return err
	}
	return f.Store.Audit(ctx, ev)
}

func TestUnavailableStore(t *testing.T) {
	f := &failing{err: fmt.Errorf("dial tcp 10.0.0.5:5432: connection refused: %w", store.ErrUnavailable)}
	e := newEnv(t, withStore(func(s store.Store) store.Store { f.Store = s; return f }))
	apiKey := randomKey()
	put := func() answer {
		return e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", apiKey, "HMAC", randomKey()))
	}
	cases := []struct {
		name   string
		fail   string
		do     func() answer
		status int
	}{
		{"token lookup", "Authenticate", func() answer { return e.do("GET", "/v1/me", e.token, nil) }, 503},
		{"engine token lookup", "AuthenticateEngine", func() answer { return e.do("GET", "/internal/v1/keys?bot=btc-spot", e.engine, nil) }, 503},
		{"catalogue", "Bots", func() answer { return e.do("GET", "/v1/bots", "", nil) }, 503},
		{"catalogue for a bot not subscribed", "Bots", func() answer { return e.do("GET", "/v1/bots/eth-spot/binance-key", e.token, nil) }, 503},
		{"PUT", "PutKey", put, 503},
		{"GET", "GetKey", func() answer { return e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil) }, 503},
		{"DELETE", "DeleteKey", func() answer { return e.do("DELETE", "/v1/bots/btc-spot/binance-key", e.token, nil) }, 503},
		{"engine keys", "ActiveKeys", func() answer { return e.do("GET", "/internal/v1/keys?bot=btc-spot", e.engine, nil) }, 503},
		{"readyz", "Ping", func() answer { return e.do("GET", "/readyz", "", nil) }, 503},
		{"healthz does not need the database", "Ping", func() answer { return e.do("GET", "/healthz", "", nil) }, 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.set(tc.fail)
			defer f.set()
			a := tc.do()
			if a.status != tc.status {
				t.Fatalf("= %d %s, want %d", a.status, a.body, tc.status)
			}
			if tc.status == 503 && (a.code() != CodeUnavailable || tc.fail != "Ping" && a.header.Get("Retry-After") == "") {
				t.Errorf("= %s, Retry-After %q", a.body, a.header.Get("Retry-After"))
			}
			if strings.Contains(string(a.body), "10.0.0.5") {
				t.Errorf("the answer shows the database error: %s", a.body)
			}
		})
	}
	if keys, _ := e.mem.ActiveKeys(context.Background(), ""); len(keys) != 0 {
		t.Errorf("a failed PUT left %d keys", len(keys))
	}
	// Any other store error is a 500, and says nothing of itself either.
	f.err = errors.New("constraint failed on " + apiKey)
	f.set("PutKey")
	if a := put(); a.status != 500 || a.code() != CodeInternal || strings.Contains(string(a.body), apiKey) {
		t.Errorf("other error = %d %s", a.status, a.body)
	}
	if strings.Contains(e.logs.String(), apiKey) {
		t.Error("the log shows the full API key a driver quoted")
	}
	// The audit rows go with the changes: none for the failed ones above,
	// one for a change made, none for a DELETE that fails after it.
	if log, err := e.mem.AuditLog(context.Background(), 0); err != nil || len(log) != 0 {
		t.Errorf("after failed changes, the audit trail = %+v, %v; want empty", log, err)
	}
	f.set("Audit") // the change's row does not go through Audit
	if a := put(); a.status != 200 {
		t.Fatalf("PUT = %d %s", a.status, a.body)
	}
	f.set("DeleteKey") // with the "constraint failed" error: a 500
	if a := e.do("DELETE", "/v1/bots/btc-spot/binance-key", e.token, nil); a.status != 500 {
		t.Errorf("DELETE on a failing store = %d %s", a.status, a.body)
	}
	log, err := e.mem.AuditLog(context.Background(), 0)
	if err != nil || len(log) != 1 || log[0].Action != "key.register" || log[0].APIKey != MaskAPIKey(apiKey) {
		t.Errorf("audit trail = %+v, %v; want the one key.register of %s", log, err, MaskAPIKey(apiKey))
	}
}

// Drain fails readiness; a request in flight when the server shuts down
// still gets its answer.
func TestGracefulShutdown(t *testing.T) {
	f := &failing{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newEnv(t, withStore(func(s store.Store) store.Store { f.Store = s; return f }))
	httpSrv := &http.Server{Handler: e.srv}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go httpSrv.Serve(ln)
	e.url = "http://" + ln.Addr().String()

	done := make(chan answer, 1)
	go func() {
		done <- e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", randomKey(), "HMAC", randomKey()))
	}()
	<-f.entered // the PUT is in the handler, held in the store

	e.srv.Drain()
	if a := e.do("GET", "/readyz", "", nil); a.status != 503 {
		t.Fatalf("readyz while draining = %d", a.status)
	}
	shut := make(chan error, 1)
	go func() { shut <- httpSrv.Shutdown(context.Background()) }()
	close(f.block)
	if a := <-done; a.status != 200 {
		t.Errorf("in-flight PUT = %d %s", a.status, a.body)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

// A database that does not answer within the request's time is a 503, and
// the registration is not made.
func TestStoreTimeout(t *testing.T) {
	f := &failing{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	e := newEnv(t, withStore(func(s store.Store) store.Store { f.Store = s; return f }),
		withConfig(func(c *Config) { c.RequestTimeout = 50 * time.Millisecond }))
	a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", randomKey(), "HMAC", randomKey()))
	if a.status != 503 || a.code() != CodeUnavailable || a.header.Get("Retry-After") == "" {
		t.Fatalf("PUT on a hung database = %d %s", a.status, a.body)
	}
	if keys, _ := e.mem.ActiveKeys(context.Background(), ""); len(keys) != 0 {
		t.Errorf("%d keys registered", len(keys))
	}
}

// panicking is a store whose GetKey panics with a value quoting a secret.
type panicking struct{ store.Store }

func (panicking) GetKey(context.Context, int64, string) (store.Key, error) {
	panic("boom: secret NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
}

// A handler that panics answers 500 internal, is logged without the
// panic's value, and the server goes on serving.
func TestPanicIsA500(t *testing.T) {
	e := newEnv(t, withStore(func(s store.Store) store.Store { return panicking{s} }))
	a := e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil)
	if a.status != 500 || a.code() != CodeInternal {
		t.Fatalf("= %d %s", a.status, a.body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, `"msg":"handler panic"`) || strings.Contains(logs, "NhqPtmdS") {
		t.Errorf("logs = %s", logs)
	}
	if a := e.do("GET", "/v1/me", e.token, nil); a.status != 200 {
		t.Errorf("after the panic: %d", a.status)
	}
}

// After SetVaultKey, the new key is published and a PUT sealed to the old
// one is 409 vault_key_changed; sealed again to the new one, it is taken.
func TestVaultKeyRotation(t *testing.T) {
	e := newEnv(t)
	apiKey, secret := randomKey(), randomKey()
	old := e.sealed("btc-spot", apiKey, "HMAC", secret)
	next, _ := seal.GenerateKey()
	e.srv.SetVaultKey(next)
	var vk seal.VaultKey
	e.do("GET", "/v1/vault-key", "", nil).decode(t, &vk)
	if vk.KeyID != next.Public().ID() {
		t.Fatalf("published %s, want the new key", vk.KeyID)
	}
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, old); a.status != 409 || a.code() != CodeVaultKeyChanged {
		t.Fatalf("PUT sealed to the old key = %d %s", a.status, a.body)
	}
	e.vault = next
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", apiKey, "HMAC", secret)); a.status != 200 {
		t.Fatalf("PUT sealed to the new key = %d %s", a.status, a.body)
	}
	if k, _ := e.mem.GetKey(context.Background(), 1, "btc-spot"); k.VaultKeyID != next.Public().ID() {
		t.Errorf("stored vault_key_id = %s", k.VaultKeyID)
	}
}

// Held (a database not migrated yet), every route that needs the database
// is 503 with Retry-After, and readiness fails; the others serve.
func TestHold(t *testing.T) {
	e := newEnv(t)
	e.srv.Hold()
	for _, tc := range []struct {
		path, token string
		status      int
	}{
		{"/v1/me", e.token, 503},
		{"/v1/me", "", 503},
		{"/v1/bots", "", 503},
		{"/v1/bots/btc-spot/binance-key", e.token, 503},
		{"/internal/v1/keys?bot=btc-spot", e.engine, 503},
		{"/readyz", "", 503},
		{"/healthz", "", 200},
		{"/v1/vault-key", "", 200},
		{"/metrics", "", 200},
		{"/nope", "", 404},
	} {
		a := e.do("GET", tc.path, tc.token, nil)
		if a.status != tc.status || tc.status == 503 && tc.path != "/readyz" && a.header.Get("Retry-After") == "" {
			t.Errorf("held: GET %s = %d %s", tc.path, a.status, a.body)
		}
	}
	e.srv.Release()
	for _, p := range []string{"/v1/me", "/readyz"} {
		if a := e.do("GET", p, e.token, nil); a.status != 200 {
			t.Errorf("released: GET %s = %d", p, a.status)
		}
	}
}
