package service

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// testVault is a vault key for handlers written in the tests.
var testVault = sync.OnceValue(func() *seal.PrivateKey {
	k, err := seal.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
})

// withVault serves GET /v1/vault-key with testVault, and the rest with h.
func withVault(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/vault-key" {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(testVault().Public().Describe())
			return
		}
		h.ServeHTTP(w, r)
	})
}

// memStore is a PinStore that counts its writes.
type memStore struct {
	pins   map[string][2]string
	writes int
}

func (m *memStore) GetPin(_ context.Context, origin string) (string, string, bool, error) {
	p, ok := m.pins[origin]
	return p[0], p[1], ok, nil
}

func (m *memStore) SetPin(_ context.Context, origin, id, source string) error {
	if m.pins == nil {
		m.pins = map[string][2]string{}
	}
	m.pins[origin] = [2]string{id, source}
	m.writes++
	return nil
}

func TestPutSealsTheSecret(t *testing.T) {
	f := newFixture(t)
	var bodies []string
	var mu sync.Mutex
	h := f.svc.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c := f.client(t, func(o *Options) { o.BaseURL = ts.URL })
	for _, k := range []KeyRegistration{reg, {APIKey: apiKey2, APISecret: pemKey, KeyType: "ED25519", Label: "l"}} {
		if _, err := c.PutKey(context.Background(), "btc-spot", k); err != nil {
			t.Fatalf("PutKey: %v", err)
		}
		st, _ := f.svc.Registration("btc-spot")
		if st.APISecret != k.APISecret || st.VaultKeyID != f.svc.VaultKey().ID() {
			t.Errorf("the service opened %q with key %s", st.APISecret, st.VaultKeyID)
		}
	}
	if len(bodies) != 3 {
		t.Fatalf("%d requests, want 3 (one GET of the vault key, two PUTs)", len(bodies))
	}
	put := bodies[1]
	var got map[string]any
	if err := json.Unmarshal([]byte(put), &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["api_secret"]; ok {
		t.Error("the PUT carries api_secret")
	}
	if got["vault_key_id"] != f.svc.VaultKey().ID() || got["api_key"] != apiKey || got["key_type"] != "HMAC" {
		t.Errorf("PUT body %v", got)
	}
	// The sealed secret opens with the vault key, bound to this bot, key
	// and type, and to nothing else.
	sealed, err := base64.StdEncoding.Strict().DecodeString(got["sealed_secret"].(string))
	if err != nil {
		t.Fatal(err)
	}
	vault := vaultOf(t, f.svc)
	if pt, err := seal.Open(vault, "btc-spot", apiKey, "HMAC", sealed); err != nil || string(pt) != secret {
		t.Errorf("Open = %q, %v", pt, err)
	}
	for _, other := range [][3]string{{"eth-spot", apiKey, "HMAC"}, {"btc-spot", apiKey2, "HMAC"}, {"btc-spot", apiKey, "RSA"}} {
		if _, err := seal.Open(vault, other[0], other[1], other[2], sealed); err == nil {
			t.Errorf("the sealed secret opens for %v", other)
		}
	}
	for _, b := range bodies {
		for _, form := range secretForms(secret) {
			if strings.Contains(b, form) {
				t.Errorf("a request body holds the secret (%q)", form)
			}
		}
	}
}

// vaultOf reads the service's private key through its saved state, as
// the sandbox does.
func vaultOf(t *testing.T, s *servicetest.Server) *seal.PrivateKey {
	t.Helper()
	data, err := s.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		VaultKey string `json:"vault_key"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	k, err := seal.ParsePrivateKey([]byte(st.VaultKey))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// secretForms are the ways a secret could be written: raw, base64, hex.
func secretForms(s string) []string {
	return []string{s, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)), fmt.Sprintf("%x", s)}
}

const pemKey = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBvMnQ5rZZZZ\n-----END PRIVATE KEY-----\n"

func TestVaultKeyPinning(t *testing.T) {
	f := newFixture(t)
	firstKey := testVault()
	first := firstKey.Public().ID()
	other := strings.Repeat("ab", 16)
	cases := []struct {
		name      string
		trust     trustOpts
		stored    [2]string // pinned before: id, source
		rotate    bool      // the service offers a new key
		wantErr   string    // apperr code
		wantPin   string    // "first", "new" or "" (unchanged)
		wantShown []string  // in the rendered error
	}{
		{name: "first use pins", wantPin: "first"},
		{name: "first use, pinned key", stored: [2]string{"first", PinFirstUse}},
		{name: "changed key refused", stored: [2]string{"first", PinFirstUse}, rotate: true, wantErr: "service.vault_key_changed", wantShown: []string{"first", "new", "--accept-vault-key new"}},
		{name: "accepted on the command line", stored: [2]string{"first", PinFirstUse}, rotate: true, trust: trustOpts{Accept: "new"}, wantPin: "new"},
		{name: "another ID accepted than offered", stored: [2]string{"first", PinFirstUse}, rotate: true, trust: trustOpts{Accept: other}, wantErr: "service.vault_key_changed", wantShown: []string{other, "new"}},
		{name: "explicit pin matches", trust: trustOpts{Explicit: "first"}},
		{name: "explicit pin mismatch", trust: trustOpts{Explicit: other}, wantErr: "service.vault_key_changed", wantShown: []string{other, "first", "SMARTRADEX_VAULT_KEY_ID"}},
		{name: "explicit pin wins over the stored one", stored: [2]string{other, PinAccepted}, trust: trustOpts{Explicit: "first"}},
		{name: "accepted earlier", stored: [2]string{"first", PinAccepted}},
		{name: "compiled ID ignored for another URL", trust: trustOpts{Compiled: other}, wantPin: "first"},
		{name: "asked on first use: yes", trust: trustOpts{Ask: yes}, wantPin: "first"},
		{name: "asked on first use: no", trust: trustOpts{Ask: no}, wantErr: "service.vault_key_declined"},
		{name: "asked on a change: yes", stored: [2]string{"first", PinFirstUse}, rotate: true, trust: trustOpts{Ask: yes}, wantPin: "new"},
		{name: "asked on a change: no", stored: [2]string{"first", PinFirstUse}, rotate: true, trust: trustOpts{Ask: no}, wantErr: "service.vault_key_changed"},
		{name: "an explicit pin is not asked about", trust: trustOpts{Explicit: other, Ask: yes}, wantErr: "service.vault_key_changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.svc.SetVaultKey(firstKey)
			ids := map[string]string{"first": first}
			if tc.rotate {
				ids["new"] = f.svc.RotateVaultKey()
			}
			subst := func(s string) string {
				if id, ok := ids[s]; ok {
					return id
				}
				return s
			}
			store := &memStore{}
			if tc.stored[0] != "" {
				store.SetPin(context.Background(), f.url, subst(tc.stored[0]), tc.stored[1])
				store.writes = 0
			}
			trust := &Trust{Store: store, Accept: subst(tc.trust.Accept), Explicit: subst(tc.trust.Explicit),
				Compiled: tc.trust.Compiled, Ask: tc.trust.Ask}
			c := f.client(t, func(o *Options) { o.Trust = trust })
			before := countRequests(f.svc, http.MethodPut, "")
			_, err := c.PutKey(context.Background(), "btc-spot", reg)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("PutKey: %v", err)
				}
			} else {
				e := appErr(t, err)
				if e.Code != tc.wantErr || e.Kind != apperr.Refused {
					t.Fatalf("error %d %s, want 3 %s: %v", e.Kind, e.Code, tc.wantErr, err)
				}
				if n := countRequests(f.svc, http.MethodPut, ""); n != before {
					t.Error("a PUT was sent with an untrusted vault key")
				}
				shown := rendered(err)
				for _, w := range tc.wantShown {
					if !strings.Contains(shown, subst(strings.ReplaceAll(w, "new", ids["new"]))) && !strings.Contains(shown, subst(w)) {
						t.Errorf("the error does not show %q:\n%s", subst(w), shown)
					}
				}
			}
			pin, _, ok, _ := store.GetPin(context.Background(), f.url)
			switch {
			case tc.wantPin == "" && store.writes != 0:
				t.Errorf("the pin was rewritten to %s", pin)
			case tc.wantPin != "" && (!ok || pin != ids[tc.wantPin]):
				t.Errorf("pinned %q, want %s", pin, ids[tc.wantPin])
			}
		})
	}
}

type trustOpts struct {
	Accept, Explicit, Compiled string
	Ask                        func(context.Context, string, string, string) (bool, error)
}

func yes(context.Context, string, string, string) (bool, error) { return true, nil }
func no(context.Context, string, string, string) (bool, error)  { return false, nil }

func TestCompiledPinAppliesToTheDefaultURLOnly(t *testing.T) {
	tr := &Trust{Compiled: "aa", Store: &memStore{}}
	if err := tr.check(context.Background(), defaultBaseURL, true, "bb"); apperrCode(err) != "service.vault_key_changed" {
		t.Errorf("default URL, another key than the compiled one: %v", err)
	}
	if err := tr.check(context.Background(), defaultBaseURL, true, "aa"); err != nil {
		t.Errorf("default URL, the compiled key: %v", err)
	}
	// A key accepted on this computer replaces the compiled one (the
	// service rotated after the release).
	tr.Store.SetPin(context.Background(), defaultBaseURL, "bb", PinAccepted)
	if err := tr.check(context.Background(), defaultBaseURL, true, "bb"); err != nil {
		t.Errorf("accepted key over the compiled one: %v", err)
	}
	// A first-use pin does not: the release knows better.
	tr.Store.SetPin(context.Background(), defaultBaseURL, "cc", PinFirstUse)
	if err := tr.check(context.Background(), defaultBaseURL, true, "cc"); apperrCode(err) != "service.vault_key_changed" {
		t.Errorf("first-use pin over the compiled one: %v", err)
	}
	if msg := i18n.EN.Render(appErrOf(tr.check(context.Background(), defaultBaseURL, true, "cc")).Message); !strings.Contains(msg, "built into this release") {
		t.Errorf("the message does not say where the trusted key comes from: %s", msg)
	}
}

func apperrCode(err error) string {
	if e := appErrOf(err); e != nil {
		return e.Code
	}
	return ""
}

func appErrOf(err error) *apperr.Error {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// TestVaultKeyChangedMidway plays a service that rotates its key between
// the client's GET and its PUT.
func TestVaultKeyChangedMidway(t *testing.T) {
	for _, trustNew := range []bool{false, true} {
		t.Run(fmt.Sprintf("new key pinned %v", trustNew), func(t *testing.T) {
			f := newFixture(t)
			old := f.svc.VaultKey().ID()
			var newID string
			h := f.svc.Handler()
			rotated := false
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut && !rotated {
					rotated = true
					newID = f.svc.RotateVaultKey()
				}
				h.ServeHTTP(w, r)
			}))
			defer ts.Close()
			trust := &Trust{Store: &memStore{}}
			if trustNew {
				// The user accepts the new key when asked.
				trust.Ask = yes
			}
			c := f.client(t, func(o *Options) { o.BaseURL = ts.URL; o.Trust = trust })
			_, err := c.PutKey(context.Background(), "btc-spot", reg)
			gets := countRequests(f.svc, http.MethodGet, "/v1/vault-key")
			puts := countRequests(f.svc, http.MethodPut, "")
			if gets != 2 {
				t.Errorf("%d GETs of the vault key, want 2 (one refetch)", gets)
			}
			if trustNew {
				if err != nil || puts != 2 {
					t.Fatalf("PutKey = %v after %d PUTs, want success after 2", err, puts)
				}
				if st, _ := f.svc.Registration("btc-spot"); st.VaultKeyID != newID || st.APISecret != secret {
					t.Errorf("registered with key %s, want %s", st.VaultKeyID, newID)
				}
				return
			}
			e := appErr(t, err)
			if e.Code != "service.vault_key_changed" || puts != 1 {
				t.Fatalf("error %s after %d PUTs, want service.vault_key_changed after 1", e.Code, puts)
			}
			shown := rendered(err)
			if !strings.Contains(shown, old) || !strings.Contains(shown, newID) {
				t.Errorf("the error does not show both IDs:\n%s", shown)
			}
		})
	}
}

func TestBadVaultKeyAnswers(t *testing.T) {
	good := testVault().Public().Describe()
	otherKey, _ := seal.GenerateKey()
	cases := map[string]string{
		"404":            "",
		"not JSON":       "<html>",
		"wrong suite":    mustJSON(seal.VaultKey{KeyID: good.KeyID, KEM: 0x20, KDF: 1, AEAD: 3, PublicKey: good.PublicKey}),
		"ID of another":  mustJSON(seal.VaultKey{KeyID: otherKey.Public().ID(), KEM: good.KEM, KDF: good.KDF, AEAD: good.AEAD, PublicKey: good.PublicKey}),
		"key not base64": mustJSON(seal.VaultKey{KeyID: good.KeyID, KEM: good.KEM, KDF: good.KDF, AEAD: good.AEAD, PublicKey: "%%"}),
		"truncated key":  mustJSON(seal.VaultKey{KeyID: good.KeyID, KEM: good.KEM, KDF: good.KDF, AEAD: good.AEAD, PublicKey: good.PublicKey[:40]}),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			puts := 0
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPut {
					puts++
				}
				if body == "" {
					http.NotFound(w, r)
					return
				}
				io.WriteString(w, body)
			}))
			defer ts.Close()
			c, err := New(Options{BaseURL: ts.URL, Token: token, Sleep: (&sleeps{}).sleep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.PutKey(context.Background(), "btc-spot", reg)
			if e := appErr(t, err); e.Code != "service.bad_response" || e.Kind != apperr.Unavailable {
				t.Errorf("error %d %s, want 5 service.bad_response", e.Kind, e.Code)
			}
			if puts != 0 {
				t.Error("a PUT was sent without a valid vault key")
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestBots(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		body    string
		delay   bool
		want    string // IDs joined, "" for an error
		wantErr bool
	}{
		{name: "the service's list", status: 200, body: `{"bots":[{"id":"sol-spot","name":"BOT SOL Spot","label":"SmartradeX SOL Spot"},{"id":"btc-spot","name":"BOT BTC Spot","label":"SmartradeX BTC Spot"}]}`, want: "btc-spot sol-spot"},
		{name: "bad entries dropped", status: 200, body: `{"bots":[{"id":"../etc","name":"x","label":"x"},{"id":"BTC","name":"x","label":"x"},{"id":"ok-1","name":"\u001b[31mRed\u202e bot\u0000","label":""},{"id":"ok-1","name":"dup","label":"dup"},{"id":"no-name","name":"\u200b","label":"x"}]}`, want: "ok-1"},
		{name: "404", status: 404, body: `{"error":{"code":"no_such_endpoint","message":"no"}}`, wantErr: true},
		{name: "503", status: 503, body: ``, wantErr: true},
		{name: "not JSON", status: 200, body: `<html>`, wantErr: true},
		{name: "empty list", status: 200, body: `{"bots":[]}`, wantErr: true},
		{name: "wrong shape", status: 200, body: `{"bots":"btc-spot"}`, wantErr: true},
		{name: "timeout", delay: true, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hits, withToken atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				if r.Header.Get("Authorization") != "" {
					withToken.Add(1)
				}
				if tc.delay {
					<-r.Context().Done()
					return
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer ts.Close()
			c, err := NewPublic(Options{BaseURL: ts.URL, Sleep: (&sleeps{}).sleep, HTTP: httpx.NewClient(50 * time.Millisecond)})
			if err != nil {
				t.Fatal(err)
			}
			list, err := c.Bots(context.Background())
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Bots = %v, want an error", list)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, b := range list {
					ids = append(ids, b.ID)
					for _, s := range []string{b.Name, b.Label} {
						if strings.ContainsAny(s, "\x1b\x00\u202e\u200b") || s == "" {
							t.Errorf("unclean text %q", s)
						}
					}
				}
				if got := strings.Join(ids, " "); got != tc.want {
					t.Errorf("IDs %q, want %q", got, tc.want)
				}
			}
			if hits.Load() != 1 || withToken.Load() != 0 {
				t.Errorf("%d requests (%d with a token), want 1 without", hits.Load(), withToken.Load())
			}
		})
	}
}

func TestPublicClientSendsNoToken(t *testing.T) {
	f := newFixture(t)
	c, err := NewPublic(Options{BaseURL: f.url, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(context.Background()); apperrCode(err) != "service.not_logged_in" {
		t.Errorf("Me without a token = %v", err)
	}
	if len(f.svc.Requests()) != 0 {
		t.Error("a call that needs a token was sent without one")
	}
	if _, err := c.VaultKeyID(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.svc.Requests() {
		if r.Token != "" {
			t.Errorf("%s carried a token", r.Path)
		}
	}
}

// TestConcurrentPutsFetchTheKeyOnce: keys sync sends several keys at once;
// they share one fetch of the vault key and one pin.
func TestConcurrentPutsFetchTheKeyOnce(t *testing.T) {
	f := newFixture(t)
	f.svc.AddAccount(token, "ada@example.com", []string{"btc-spot", "eth-spot"})
	store := &memStore{}
	notified := 0
	var mu sync.Mutex
	trust := &Trust{Store: store, Notify: func(string, string, bool) { mu.Lock(); notified++; mu.Unlock() }}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, k := range []struct{ bot, key string }{{"btc-spot", apiKey}, {"eth-spot", apiKey2}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := f.client(t, func(o *Options) { o.Trust = trust })
			_, errs[i] = c.PutKey(context.Background(), k.bot, KeyRegistration{APIKey: k.key, APISecret: secret, KeyType: "HMAC"})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := countRequests(f.svc, http.MethodGet, "/v1/vault-key"); n != 1 || store.writes != 1 || notified != 1 {
		t.Errorf("%d fetches, %d pin writes, %d notices; want one each", n, store.writes, notified)
	}
}
