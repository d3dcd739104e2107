package sandbox

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/keygen"
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
