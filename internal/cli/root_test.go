package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// result is one run of the whole command tree on in-memory streams.
type result struct {
	code           int
	stdout, stderr string
	in             *bytes.Buffer // what is left of standard input
}

// runCLI runs args with stdin holding input; tty makes every stream a
// terminal. Nothing here may reach the network: every case fails first.
func runCLI(t *testing.T, tty bool, input string, env map[string]string, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(input)
	ios.SetTTY(tty, tty, tty)
	vars := map[string]string{"SMARTRADEX_CONFIG_DIR": t.TempDir(), "SMARTRADEX_KEYRING": "file", "SMARTRADEX_PASSPHRASE": "pw"}
	for k, v := range env {
		vars[k] = v
	}
	f := cmdutil.New(ios, func(k string) string { return vars[k] })
	// Only a guard against a run that waits for input that never comes:
	// it turns a hang into a failure of the case.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Run(ctx, f, args)
	return result{code: code, stdout: out.String(), stderr: errOut.String(), in: in}
}

const pasted = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j\n"

// On a terminal, --secret-stdin and --with-token would wait for Ctrl-D
// while the terminal shows what is pasted: they are refused at once,
// without reading standard input, with the two ways to do it right.
func TestStdinFlagsRefuseATerminal(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"keys", "check", "--api-key", "K", "--secret-stdin"},
			[]string{"error: --secret-stdin reads the secret from standard input, which is this terminal", "hint: leave out --secret-stdin", "pass show binance-secret | smartradex keys check --api-key KEY --secret-stdin"}},
		{[]string{"keys", "check", "--secret-stdin"},
			[]string{"error: --secret-stdin reads the secret from standard input", "hint: leave out --secret-stdin"}},
		{[]string{"keys", "add", "--bot", "eth-spot", "--api-key", "K", "--secret-stdin"},
			[]string{"error: --secret-stdin reads the secret from standard input", "pass show binance-secret | smartradex keys add --bot eth-spot --api-key KEY --secret-stdin"}},
		{[]string{"keys", "rotate", "--bot", "x" + strings.Repeat("s", 40), "--secret-stdin"},
			[]string{"error: --secret-stdin reads the secret from standard input", "pass show binance-secret | smartradex keys rotate --bot BOT --api-key KEY --secret-stdin"}},
		{[]string{"auth", "login", "--with-token"},
			[]string{"error: --with-token reads the access token from standard input, which is this terminal", "hint: leave out --with-token", `printf '%s' "$TOKEN" | smartradex auth login --with-token`}},
		{[]string{"--lang", "fr", "auth", "login", "--with-token"},
			[]string{"erreur : --with-token lit le jeton d'accès sur l'entrée standard, qui est ce terminal", "conseil : retirez --with-token"}},
	}
	for _, c := range cases {
		r := runCLI(t, true, pasted, nil, c.args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", c.args, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, w, r.stderr)
			}
		}
		if r.in.String() != pasted {
			t.Errorf("%v: standard input was read", c.args)
		}
	}

	// The control: without a terminal, the same flags do read standard
	// input (here a secret of the wrong shape, refused before any request).
	for _, args := range [][]string{
		{"keys", "check", "--api-key", "K", "--secret-stdin"},
		{"auth", "login", "--with-token", "--service-url", "http://127.0.0.1:1"},
	} {
		r := runCLI(t, false, "too short\n", nil, args...)
		if r.in.Len() != 0 || strings.Contains(r.stderr, "this terminal") {
			t.Errorf("%v without a terminal: input left %q, stderr:\n%s", args, r.in.String(), r.stderr)
		}
	}
}

func TestPreScanBool(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"keys", "check", "--bogus", "--json"}, true},
		{[]string{"--json=true", "bots"}, true},
		{[]string{"--json", "--json=false"}, false},
		{[]string{"--json=maybe"}, false},
		{[]string{"--jsonx", "-json"}, false},
		{[]string{"keys", "--", "--json"}, false},
		{nil, false},
	} {
		if got := preScanBool(c.args, "json"); got != c.want {
			t.Errorf("preScanBool(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
