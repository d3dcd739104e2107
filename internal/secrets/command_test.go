package secrets_test

import (
	"context"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/cli"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// TestOneKeyDerivationPerCommand runs the real commands, in process, on the
// encrypted file store, and counts the scrypt derivations each one makes:
// one, however many secrets it reads or writes. keys verify reads three
// (the service token and two bots' secrets, concurrently).
func TestOneKeyDerivationPerCommand(t *testing.T) {
	const (
		pass  = "one derivation per command"
		token = "sxt_live_DerivationTest0123456789abcdefABCD"
	)
	bn := binancetest.New()
	bnURL, err := bn.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bn.Close)
	bn.AddDemoKeys()
	svc := servicetest.New()
	svcURL, err := svc.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	svc.AddAccount(token, "subscriber@example.com", []string{"btc-spot", "eth-spot"})

	// The file is created here with a cheap work factor, so that each
	// command unlocks it in milliseconds; the count does not depend on it.
	dir := t.TempDir()
	store, err := secrets.Open(secrets.Options{
		Backend: secrets.BackendFile, Dir: dir, ScryptWorkFactor: 10,
		Passphrase: func(context.Context) (string, error) { return pass, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Set(context.Background(), "test/placeholder", "placeholder"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"SMARTRADEX_KEYRING":     "file",
		"SMARTRADEX_PASSPHRASE":  pass,
		"SMARTRADEX_CONFIG_DIR":  dir,
		"SMARTRADEX_BINANCE_URL": bnURL,
		"SMARTRADEX_SERVICE_URL": svcURL,
		"LANG":                   "C",
	}
	keys := map[string]binancetest.Key{}
	for _, d := range binancetest.DemoKeys() {
		keys[d.Name] = d.Key
	}

	steps := []struct {
		name  string
		args  []string
		stdin string
		reads int // secrets the command reads or writes, for the record
	}{
		{"auth login", []string{"auth", "login", "--with-token"}, token, 1},
		{"keys add btc-spot", []string{"keys", "add", "--bot", "btc-spot", "--api-key", keys["ok"].APIKey, "--secret-stdin"}, keys["ok"].Secret, 2},
		{"keys add eth-spot", []string{"keys", "add", "--bot", "eth-spot", "--api-key", keys["ok-eth"].APIKey, "--secret-stdin"}, keys["ok-eth"].Secret, 2},
		{"keys verify", []string{"keys", "verify"}, "", 3},
		{"keys verify --json", []string{"keys", "verify", "--json"}, "", 3},
	}
	for _, s := range steps {
		ios, in, out, errOut := iostreams.Test()
		in.WriteString(s.stdin)
		f := cmdutil.New(ios, func(k string) string { return env[k] })
		before := secrets.KeyDerivations()
		code := cli.Run(context.Background(), f, s.args)
		n := secrets.KeyDerivations() - before
		if code != 0 {
			t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", s.name, code, out, errOut)
		}
		if n != 1 {
			t.Errorf("%s (%d secrets): %d key derivations, want 1", s.name, s.reads, n)
		}
		if strings.Contains(out.String()+errOut.String(), pass) {
			t.Errorf("%s: the passphrase was printed", s.name)
		}
	}
	if got := len(svc.Registrations()); got != 2 {
		t.Errorf("the service holds %d keys, want 2", got)
	}
}
