package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/seal"
)

func TestStatePersistsPrivately(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "home")
	sb, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sb.BinanceURL, "http://127.0.0.1:") || !strings.HasPrefix(sb.ServiceURL, "http://127.0.0.1:") {
		t.Fatalf("not on loopback: %s %s", sb.BinanceURL, sb.ServiceURL)
	}
	sb.Binance.RemoveKey(DemoKeys()[1].Key.APIKey)
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{binanceStateFile, serviceStateFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v", name, fi.Mode(), err)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("home mode %v", fi.Mode())
	}
	// The next run sees the saved state, with the demo data restored.
	sb2, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sb2.Close(ctx)
	data, _ := sb2.Binance.MarshalState()
	for _, k := range DemoKeys() {
		if !strings.Contains(string(data), k.Key.APIKey) {
			t.Errorf("demo key %s missing after restart", k.Name)
		}
	}
}

// A sandbox home saved by an earlier smartradex (the service state of
// version 2, the old reference's own) keeps its registrations and vault
// key; the next save is the store's snapshot, with the token only hashed.
func TestEarlierServiceStateIsMigrated(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	vault, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	vaultText, _ := vault.MarshalText()
	demo := DemoKeys()[0].Key
	sealed, err := seal.Seal(vault.Public(), "btc-spot", demo.APIKey, "HMAC", []byte(demo.Secret))
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := json.Marshal(map[string]any{
		"version": 2, "vault_key": strings.TrimSpace(string(vaultText)),
		"accounts": map[string]any{Token: map[string]any{"email": Email, "bots": []string{"btc-spot", "eth-spot"}}},
		"registrations": []map[string]any{{"email": Email, "token": Token, "bot": "btc-spot", "api_key": demo.APIKey,
			"sealed_secret": sealed, "vault_key_id": vault.Public().ID(), "key_type": "HMAC", "label": "SmartradeX BTC Spot",
			"registered_at": "2026-11-23T10:00:00Z"}},
	})
	if err := os.WriteFile(filepath.Join(dir, serviceStateFile), v2, 0o600); err != nil {
		t.Fatal(err)
	}
	sb, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, ok := sb.Service.Registration("btc-spot")
	if !ok || reg.APIKey != demo.APIKey || reg.APISecret != demo.Secret || sb.Service.VaultKey().ID() != vault.Public().ID() {
		t.Fatalf("after migration: registration %v %s, vault key %s", ok, reg.APIKey, sb.Service.VaultKey().ID())
	}
	// The sandbox's token still opens its account, over HTTP.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, sb.ServiceURL+"/v1/bots/btc-spot/binance-key", nil)
	req.Header.Set("Authorization", "Bearer "+Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"registered_at":"2026-11-23T10:00:00Z"`) {
		t.Errorf("GET the registration = %d %s", resp.StatusCode, body)
	}
	if err := sb.Close(ctx); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(filepath.Join(dir, serviceStateFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(saved), `"version": 3`) || strings.Contains(string(saved), Token) || strings.Contains(string(saved), demo.Secret) {
		t.Errorf("saved again as %s", saved)
	}
	// and read back.
	sb2, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer sb2.Close(ctx)
	if reg, ok := sb2.Service.Registration("btc-spot"); !ok || reg.APISecret != demo.Secret {
		t.Errorf("after a second start: %v %s", ok, reg.APIKey)
	}
}

func TestDirAndEnabled(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if d, err := DefaultDir(env(map[string]string{"SMARTRADEX_SANDBOX_DIR": "/x/y"})); err != nil || d != "/x/y" {
		t.Errorf("dir %q %v", d, err)
	}
	for v, want := range map[string]bool{"1": true, "true": true, "": false, "0": false, "no": false} {
		if Enabled(env(map[string]string{"SMARTRADEX_SANDBOX": v})) != want {
			t.Errorf("SMARTRADEX_SANDBOX=%q", v)
		}
	}
}

// TestDocsListEveryDemoKey keeps the sandbox guides in step with the demo keys.
func TestDocsListEveryDemoKey(t *testing.T) {
	for _, doc := range []string{"../../docs/sandbox.md", "../../docs/fr/bac-a-sable.md"} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range DemoKeys() {
			if !strings.Contains(string(data), k.Key.APIKey) || !strings.Contains(string(data), k.Key.Secret) {
				t.Errorf("%s does not list demo key %s", doc, k.Name)
			}
		}
	}
}

func TestCreateSelfGeneratedKey(t *testing.T) {
	ctx := context.Background()
	sb, err := Start(ctx, filepath.Join(t.TempDir(), "home"))
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close(ctx)
	pair, err := keygen.New(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := sb.CreateSelfGeneratedKey(pair.PublicPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != binance.KeyLen || !strings.HasPrefix(key, "DEMOSelfGenerated") {
		t.Errorf("API key %q: not the shape of a Binance key", key)
	}
	// The same public key, pasted with other spacing, gives the same key.
	again, err := sb.CreateSelfGeneratedKey("\n  " + pair.PublicPEM + "\n")
	if err != nil || again != key {
		t.Errorf("again: %q, %v", again, err)
	}
	// The key is checked like any other: signed with the private key, it
	// has the two accepted rights.
	c, err := binance.New(binance.Options{BaseURL: sb.BinanceURL})
	if err != nil {
		t.Fatal(err)
	}
	ins, err := c.Inspect(ctx, keygen.Credentials(key, pair.PrivatePEM))
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	if ins.UID < 910000000 || !strings.Contains(string(ins.Restrictions), `"enableSpotAndMarginTrading":true`) {
		t.Errorf("inspection %+v", ins)
	}
	for _, bad := range []string{"", "hello", pair.PrivatePEM, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"} {
		if _, err := sb.CreateSelfGeneratedKey(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
