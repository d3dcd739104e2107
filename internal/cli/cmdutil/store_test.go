package cmdutil

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
)

func testFactory(t *testing.T, env map[string]string) (*Factory, *iostreams.IOStreams) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := New(ios, func(k string) string { return env[k] })
	return f, ios
}

func errCode(err error) string {
	if e, ok := err.(*apperr.Error); ok {
		return e.Code
	}
	return ""
}

func TestKeyringBackendSelection(t *testing.T) {
	cases := []struct {
		name, flag, env, want, code string
	}{
		{"default", "", "", "system", ""},
		{"env", "", "file", "file", ""},
		{"flag wins", "system", "file", "system", ""},
		{"case", "FILE", "", "file", ""},
		{"bad flag", "plaintext", "", "", "secrets.bad_backend"},
		{"bad env", "", "keychain", "", "secrets.bad_backend"},
	}
	for _, c := range cases {
		f, _ := testFactory(t, map[string]string{"SMARTRADEX_KEYRING": c.env})
		f.Globals.Keyring = c.flag
		got, err := f.KeyringBackend()
		if got != c.want || errCode(err) != c.code {
			t.Errorf("%s: %q, %v", c.name, got, err)
		}
		if c.code != "" && apperr.KindOf(err) != apperr.Usage {
			t.Errorf("%s: kind %d, want usage", c.name, apperr.KindOf(err))
		}
		if c.code != "" {
			if _, err := f.SecretStore(); errCode(err) != c.code {
				t.Errorf("%s: SecretStore = %v", c.name, err)
			}
		}
	}
}

func TestConfigDir(t *testing.T) {
	envDir, flagDir := t.TempDir(), t.TempDir()
	f, _ := testFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": envDir})
	if d, err := f.ConfigDir(); err != nil || d != envDir {
		t.Fatalf("env: %q, %v", d, err)
	}
	f.Globals.ConfigDir = flagDir
	if d, err := f.ConfigDir(); err != nil || d != flagDir {
		t.Fatalf("flag: %q, %v", d, err)
	}
	ix, err := f.Index()
	if err != nil || ix.Path() != filepath.Join(flagDir, "index.json") {
		t.Fatalf("Index: %v, %v", ix, err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	cases := []struct {
		env  string
		want time.Duration
		bad  bool
	}{
		{"", secrets.DefaultTimeout, false},
		{"10s", 10 * time.Second, false},
		{"500ms", 500 * time.Millisecond, false},
		{"7", 7 * time.Second, false},
		{"0", 0, true},
		{"-1s", 0, true},
		{"soon", 0, true},
	}
	for _, c := range cases {
		f, _ := testFactory(t, map[string]string{"SMARTRADEX_KEYRING_TIMEOUT": c.env})
		got, err := f.keyringTimeout()
		if c.bad {
			if errCode(err) != "secrets.bad_timeout" || apperr.KindOf(err) != apperr.Usage {
				t.Errorf("%q: %v", c.env, err)
			}
			if _, err := f.SecretStoreFor("system"); errCode(err) != "secrets.bad_timeout" {
				t.Errorf("%q: SecretStoreFor = %v", c.env, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %v, %v", c.env, got, err)
		}
	}
}

func TestSecretStoreIsBuiltOnce(t *testing.T) {
	f, _ := testFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": t.TempDir(), "SMARTRADEX_KEYRING": "file", "SMARTRADEX_PASSPHRASE": "pw"})
	a, err := f.SecretStore()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := f.SecretStoreFor("file")
	if a != b || a.Backend() != "file" {
		t.Fatalf("two stores for one backend: %p %p", a, b)
	}
	sys, _ := f.SecretStoreFor("system")
	if sys.Backend() != "system" {
		t.Fatalf("system store is %q", sys.Backend())
	}
}

func TestPassphraseSources(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, secrets.FileName)

	// Environment first, and it is then scrubbed from output.
	f, _ := testFactory(t, map[string]string{"SMARTRADEX_PASSPHRASE": "from the environment"})
	if p, err := f.passphraseFunc(path)(ctx); err != nil || p != "from the environment" {
		t.Fatalf("env: %q, %v", p, err)
	}
	if got := f.Redactor.Redact("x from the environment y"); strings.Contains(got, "from the environment") {
		t.Errorf("the passphrase is not redacted: %q", got)
	}

	// No terminal, no variable: a usage error naming the variable.
	f, _ = testFactory(t, nil)
	_, err := f.passphraseFunc(path)(ctx)
	if errCode(err) != "secrets.passphrase_needed" || apperr.KindOf(err) != apperr.Usage {
		t.Fatalf("no tty: %v", err)
	}
	if !strings.Contains(f.Lang().Render(err.(*apperr.Error).Hints[0]), "SMARTRADEX_PASSPHRASE") {
		t.Errorf("hint does not name SMARTRADEX_PASSPHRASE")
	}

	// A terminal: the prompt, asking twice for a new file (a mismatch
	// refused) and once for an existing one; the passphrase is registered
	// with the redactor.
	fake := &prompt.Fake{Answers: []any{"", "typed passphrase", "typed passphrasE", "typed passphrase", "typed passphrase"}}
	f, ios := testFactory(t, nil)
	f.Prompt = fake
	ios.SetTTY(true, true, true)
	if p, err := f.passphraseFunc(path)(ctx); err != nil || p != "typed passphrase" {
		t.Fatalf("prompt: %q, %v", p, err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.passphraseFunc(path)(ctx); err != nil {
		t.Fatal(err)
	}
	if fake.Remaining() != 0 || len(fake.Asked) != 3 {
		t.Fatalf("asked %+v, %d answers left", fake.Asked, fake.Remaining())
	}
	for i, q := range fake.Asked {
		if q.Kind != "password" || !strings.Contains(q.Title, path) != (i == 1) {
			t.Errorf("question %d: %+v", i, q)
		}
	}
	if !strings.Contains(fake.Asked[0].Title, "new") || len(fake.Asked[0].Rejected) != 1 || len(fake.Asked[1].Rejected) != 1 {
		t.Errorf("new file: empty and mismatched passphrases not refused: %+v", fake.Asked[:2])
	}
	if strings.Contains(fake.Asked[2].Title, "new") {
		t.Errorf("existing file asked for a new passphrase: %q", fake.Asked[2].Title)
	}
	if got := f.Redactor.Redact("x typed passphrase y"); strings.Contains(got, "typed passphrase") {
		t.Errorf("passphrase not registered with the redactor: %q", got)
	}
	// --no-input forbids the prompt.
	ios.SetNeverPrompt(true)
	if _, err := f.passphraseFunc(path)(ctx); errCode(err) != "secrets.passphrase_needed" {
		t.Errorf("--no-input: %v", err)
	}
}
