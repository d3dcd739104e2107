package server

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
)

// restart serves e's store anew, as serve restarted with the vault key cur
// and the previous keys prev would: the same settings otherwise.
func (e *checkEnv) restart(cfg Config, cur *seal.PrivateKey, prev ...*seal.PrivateKey) (*Server, *env) {
	e.t.Helper()
	cfg.PreviousVaultKeys = prev
	srv := New(cfg, e.st, cur, slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	ts := httptest.NewServer(srv)
	e.t.Cleanup(ts.Close)
	next := *e.env
	next.srv, next.url, next.vault = srv, ts.URL, cur
	return srv, &next
}

func storedKeysGauge(t *testing.T, e *env) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, line := range strings.Split(string(e.do("GET", "/metrics", "", nil).body), "\n") {
		if rest, ok := strings.CutPrefix(line, `smartradexd_stored_keys{vault_key="`); ok {
			state, n, _ := strings.Cut(rest, `"} `)
			out[state] = n
		}
	}
	return out
}

// After a restart with a new vault key and the old one as previous, the
// periodic and live checks still open and check the keys sealed to the old
// key; a key sealed to a key the process does not hold is still skipped.
// The published key and the PUT contract are those of the new key alone,
// and the metrics count the keys by where their vault key stands.
func TestChecksWithPreviousVaultKey(t *testing.T) {
	var cfg Config
	e := newCheckEnv(t, "off", func(c *Config) { cfg = *c })
	ctx := context.Background()
	old := e.vault
	adaKey, adaSecret := e.binanceKey(101, nil, nil)
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", adaKey, "HMAC", adaSecret)); a.status != 200 {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	bob := e.addSubscriber("bob@example.com", "btc-spot")
	bobKey, bobSecret := e.binanceKey(102, nil, nil)
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", bob, e.sealed("btc-spot", bobKey, "HMAC", bobSecret)); a.status != 200 {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	// A key sealed to a third vault key, which no process holds any more.
	lost, _ := seal.GenerateKey()
	e.addSubscriber("cy@example.com", "btc-spot")
	cy, err := e.mem.Subscriber(ctx, "cy@example.com")
	if err != nil {
		t.Fatal(err)
	}
	cyKey, cySecret := e.binanceKey(103, nil, nil)
	cySealed, _ := seal.Seal(lost.Public(), "btc-spot", cyKey, "HMAC", []byte(cySecret))
	if _, err := e.mem.PutKey(ctx, store.Key{SubscriberID: cy.ID, Bot: "btc-spot", APIKey: cyKey, KeyType: "HMAC",
		SealedSecret: cySealed, VaultKeyID: lost.Public().ID(), RegisteredAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}

	next, _ := seal.GenerateKey()
	e.clock.Add(time.Hour)

	// Without the previous key, nothing sealed to the old one is checked.
	bare, bareEnv := e.restart(cfg, next)
	if n, err := bare.CheckKeys(ctx, time.Minute); err != nil || n != 3 {
		t.Fatalf("CheckKeys = %d, %v", n, err)
	}
	for _, k := range []string{adaKey, bobKey, cyKey} {
		if got := lastCheckOf(t, e, k); got != nil {
			t.Errorf("key %s checked without the key that opens it: %+v", MaskAPIKey(k), got)
		}
	}
	if got := storedKeysGauge(t, bareEnv); got[vaultCurrent] != "0" || got[vaultPrevious] != "0" || got[vaultOther] != "3" {
		t.Errorf("stored keys without the previous key = %v", got)
	}

	srv, re := e.restart(cfg, next, old)
	var vk seal.VaultKey
	re.do("GET", "/v1/vault-key", "", nil).decode(t, &vk)
	if vk.KeyID != next.Public().ID() {
		t.Errorf("GET /v1/vault-key published %s, want only the current key %s", vk.KeyID, next.Public().ID())
	}
	again := e.sealed("btc-spot", adaKey, "HMAC", adaSecret) // e.vault is still the old key
	if a := re.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, again); a.status != 409 || a.code() != CodeVaultKeyChanged {
		t.Errorf("PUT sealed to the previous key = %d %s; want 409 %s", a.status, a.body, CodeVaultKeyChanged)
	}
	if got := storedKeysGauge(t, re); got[vaultCurrent] != "0" || got[vaultPrevious] != "2" || got[vaultOther] != "1" {
		t.Errorf("stored keys = %v; want current 0, previous 2, other 1", got)
	}

	// The periodic check opens the old seals with the previous key.
	if n, err := srv.CheckKeys(ctx, time.Minute); err != nil || n != 3 {
		t.Fatalf("CheckKeys = %d, %v", n, err)
	}
	for k, want := range map[string]bool{adaKey: true, bobKey: true, cyKey: false} {
		got := lastCheckOf(t, e, k)
		if want && (got == nil || got.Outcome != OutcomeOK || !got.At.Equal(e.clock.Now())) {
			t.Errorf("key %s after the periodic check: %+v; want ok now", MaskAPIKey(k), got)
		}
		if !want && got != nil {
			t.Errorf("key %s sealed to a key not held was checked: %+v", MaskAPIKey(k), got)
		}
	}
	if !strings.Contains(e.logs.String(), "key not checked: sealed to another vault key") {
		t.Error("the skipped key was not logged")
	}

	// A live read too.
	e.clock.Add(time.Hour)
	var reg registration
	a := re.do("GET", "/v1/bots/btc-spot/binance-key?live=1", bob, nil)
	a.decode(t, &reg)
	if a.status != 200 || reg.LastCheck == nil || reg.LastCheck.Outcome != OutcomeOK || !reg.LastCheck.CheckedAt.Equal(e.clock.Now()) {
		t.Errorf("live read of a key sealed to the previous key: %d %s", a.status, a.body)
	}

	// Resealed to the current key, a key counts as current.
	k, err := e.mem.GetKey(ctx, 1, "btc-spot")
	if err != nil {
		t.Fatal(err)
	}
	resealedSecret, _ := seal.Seal(next.Public(), k.Bot, k.APIKey, k.KeyType, []byte(adaSecret))
	if ok, err := e.mem.ResealKey(ctx, k, resealedSecret, next.Public().ID()); err != nil || !ok {
		t.Fatalf("ResealKey = %v, %v", ok, err)
	}
	if got := storedKeysGauge(t, re); got[vaultCurrent] != "1" || got[vaultPrevious] != "1" || got[vaultOther] != "1" {
		t.Errorf("stored keys after one reseal = %v; want current 1, previous 1, other 1", got)
	}
	// Held, the gauge is left out rather than made up.
	srv.Hold()
	if got := storedKeysGauge(t, re); len(got) != 0 {
		t.Errorf("held: stored keys = %v, want no gauge", got)
	}
	srv.Release()
}

func lastCheckOf(t *testing.T, e *checkEnv, apiKey string) *store.Check {
	t.Helper()
	keys, err := e.mem.ActiveKeys(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.APIKey == apiKey {
			return k.LastCheck
		}
	}
	t.Fatalf("no key %s", MaskAPIKey(apiKey))
	return nil
}
