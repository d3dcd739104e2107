package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

func TestIntakeRead(t *testing.T) {
	const otherKey = "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv12Wx34Yz56Ab78Cd90Ef12"
	cases := []struct {
		name     string
		env      map[string]string
		flagKey  string
		stdin    string // with --secret-stdin
		tty      bool
		prompt   []string // the prompt's answers: key, secret
		wantKey  string
		wantCode string // error code, or "" for success
		wantMsg  string
		askedKey bool
		debug    string
	}{
		{name: "flag key, env secret", env: map[string]string{"SMARTRADEX_API_SECRET": " " + testSecret + "\n"}, flagKey: testKey,
			wantKey: testKey, debug: "keys add: key (HMAC) from --api-key, secret from SMARTRADEX_API_SECRET"},
		{name: "flag key wins over env", env: map[string]string{"SMARTRADEX_API_KEY": otherKey, "SMARTRADEX_API_SECRET": testSecret}, flagKey: testKey,
			wantKey: testKey},
		{name: "env only", env: map[string]string{"SMARTRADEX_API_KEY": testKey, "SMARTRADEX_API_SECRET": testSecret},
			wantKey: testKey, debug: "from SMARTRADEX_API_KEY, secret from SMARTRADEX_API_SECRET"},
		{name: "stdin", flagKey: testKey, stdin: testSecret + "\n", wantKey: testKey, debug: "secret from stdin"},
		{name: "stdin without key", stdin: testSecret, wantCode: "keys.missing_credentials", wantMsg: "keys.check.missing_key"},
		{name: "stdin empty", flagKey: testKey, stdin: "\x00", wantCode: "binance.empty_secret"},
		{name: "nothing, no terminal", wantCode: "keys.missing_credentials", wantMsg: "keys.check.missing_both"},
		{name: "secret missing, no terminal", flagKey: testKey, wantCode: "keys.missing_credentials", wantMsg: "keys.check.missing_secret"},
		{name: "prompt for both", tty: true, prompt: []string{testKey, testSecret}, wantKey: testKey, askedKey: true, debug: "from prompt, secret from prompt"},
		{name: "prompt for the secret only", tty: true, flagKey: testKey, prompt: []string{"ignored", testSecret}, wantKey: testKey},
		{name: "swapped, parsed once", env: map[string]string{"SMARTRADEX_API_SECRET": testKey}, flagKey: "-----BEGIN PRIVATE KEY-----", wantCode: "binance.key_is_pem"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ios, in, _, _ := iostreams.Test()
			ios.SetTTY(c.tty, c.tty, c.tty)
			var registered [][]string
			var debug []string
			var asked *bool
			intake := &Intake{
				IO: ios, Lang: i18n.EN, Getenv: func(k string) string { return c.env[k] },
				AddSecret: func(s ...string) { registered = append(registered, s) },
				Debugf:    func(f string, a ...any) { debug = append(debug, strings.TrimSpace(fmt.Sprintf(f, a...))) },
				APIKey:    c.flagKey, Name: "keys add",
			}
			if c.stdin != "" {
				intake.SecretStdin = true
				in.WriteString(strings.TrimPrefix(c.stdin, "\x00"))
			}
			if c.prompt != nil {
				intake.Prompt = func(_ context.Context, askKey bool) (string, string, error) {
					asked = &askKey
					return c.prompt[0], c.prompt[1], nil
				}
			}
			creds, err := intake.Read(context.Background())
			if c.wantCode != "" {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Code != c.wantCode || (c.wantMsg != "" && ae.Message.Key != c.wantMsg) {
					t.Fatalf("err %v, want code %s (%s)", err, c.wantCode, c.wantMsg)
				}
				return
			}
			if err != nil || creds.APIKey != c.wantKey || creds.Secret != testSecret || creds.Type != binance.HMAC {
				t.Fatalf("Read = %v, %v", creds, err)
			}
			if c.prompt != nil && (asked == nil || *asked != c.askedKey) {
				t.Errorf("prompt asked for the key: %v, want %v", asked, c.askedKey)
			}
			// Registered once, where it was parsed: as given and as parsed.
			if len(registered) != 1 || registered[0][1] != testSecret {
				t.Errorf("secret registered %d times: %q", len(registered), registered)
			}
			if c.debug != "" && (len(debug) != 1 || !strings.Contains(debug[0], c.debug)) {
				t.Errorf("debug %q, want %q", debug, c.debug)
			}
			for _, d := range debug {
				if strings.Contains(d, testSecret) || strings.Contains(d, c.wantKey) {
					t.Errorf("debug line shows the key or the secret: %q", d)
				}
			}
		})
	}
}

// TestIntakeChecksTheTerminalOnce: --secret-stdin on a terminal is refused
// before anything is read, and the answer is kept rather than asked again.
func TestIntakeChecksTheTerminalOnce(t *testing.T) {
	ios, in, _, _ := iostreams.Test()
	in.WriteString(testSecret)
	ios.SetTTY(true, true, true)
	intake := &Intake{IO: ios, Lang: i18n.EN, APIKey: testKey, SecretStdin: true, Command: "smartradex keys add --bot btc-spot --api-key KEY"}
	err := intake.CheckTerminal()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "keys.secret_stdin_terminal" || !strings.Contains(i18n.EN.Render(ae.Hints[1]), "keys add --bot btc-spot") {
		t.Fatalf("CheckTerminal = %v", err)
	}
	ios.SetTTY(false, false, false)
	if _, err := intake.Read(context.Background()); !errors.Is(err, ae) {
		t.Errorf("Read looked at the terminal again: %v", err)
	}
	if in.Len() != len(testSecret) {
		t.Error("standard input was read")
	}
}

// TestIntakeParseRegistersEvenWhenRefused: a malformed secret is still
// kept out of every output.
func TestIntakeParseRegistersEvenWhenRefused(t *testing.T) {
	var registered []string
	intake := &Intake{AddSecret: func(s ...string) { registered = append(registered, s...) }}
	if _, err := intake.Parse(testKey, " short-but-secret-value "); err == nil {
		t.Fatal("a malformed secret was accepted")
	}
	if len(registered) == 0 || registered[0] != "short-but-secret-value" {
		t.Errorf("registered %q", registered)
	}
}

func TestKeyViewShowsNoSecret(t *testing.T) {
	v := viewOf(binance.Credentials{APIKey: testKey, Secret: testSecret, Type: binance.HMAC})
	if v.Masked() != "vmPU…Eh8A" || v.Type != binance.HMAC || strings.Contains(fmt.Sprintf("%+v", v), testSecret) {
		t.Errorf("view %+v, masked %q", v, v.Masked())
	}
}

func TestCommandLinePlaceholderInTheUsersLanguage(t *testing.T) {
	cases := []struct {
		lang    i18n.Lang
		command string
		want    string
	}{
		{i18n.EN, "", "smartradex keys check --api-key KEY"},
		{i18n.FR, "", "smartradex keys check --api-key CLÉ"},
		{i18n.FR, "smartradex keys add --bot btc-spot --api-key KEY", "smartradex keys add --bot btc-spot --api-key CLÉ"},
		{i18n.EN, "smartradex keys add --bot btc-spot --api-key KEY", "smartradex keys add --bot btc-spot --api-key KEY"},
	}
	for _, c := range cases {
		in := &Intake{Lang: c.lang, Command: c.command}
		if got := in.commandLine(); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.lang, c.command, got, c.want)
		}
	}
}
