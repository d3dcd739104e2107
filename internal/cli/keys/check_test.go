package keys

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
)

func TestNewCmdCheckFlags(t *testing.T) {
	cases := []struct {
		args    []string
		key     string
		stdin   bool
		wantErr bool
	}{
		{nil, "", false, false},
		{[]string{"--api-key", "abc"}, "abc", false, false},
		{[]string{"--secret-stdin"}, "", true, false},
		{[]string{"--secret", "x"}, "", false, true},
	}
	for _, c := range cases {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios, func(string) string { return "" })
		var got *CheckOptions
		cmd := NewCmdCheck(f, func(o *CheckOptions) error { got = o; return nil })
		cmd.SetArgs(c.args)
		cmd.SetOut(ios.Out)
		cmd.SetErr(ios.ErrOut)
		err := cmd.Execute()
		if (err != nil) != c.wantErr {
			t.Errorf("%v: err = %v", c.args, err)
			continue
		}
		if err == nil && (got.APIKey != c.key || got.SecretStdin != c.stdin) {
			t.Errorf("%v: got %+v", c.args, got)
		}
	}
}

type fakeInspector struct {
	insp  *binance.Inspection
	err   error
	calls int
	creds binance.Credentials
}

func (f *fakeInspector) Inspect(_ context.Context, c binance.Credentials) (*binance.Inspection, error) {
	f.calls++
	f.creds = c
	return f.insp, f.err
}

const (
	testKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	testSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
)

func testOptions(fake *fakeInspector, env map[string]string) (*CheckOptions, *iostreams.IOStreams) {
	ios, _, _, _ := iostreams.Test()
	return &CheckOptions{
		IO:      ios,
		Lang:    i18n.EN,
		Getenv:  func(k string) string { return env[k] },
		Now:     func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) },
		Binance: func() (Inspector, error) { return fake, nil },
	}, ios
}

func TestCheckRunPromptsWhenInteractive(t *testing.T) {
	fake := &fakeInspector{insp: &binance.Inspection{UID: 7, Restrictions: json.RawMessage(`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false}`)}}
	opts, ios := testOptions(fake, map[string]string{"SMARTRADEX_API_KEY": testKey})
	ios.SetTTY(true, true, false)
	var askedKey *bool
	opts.Prompt = func(_ context.Context, askKey bool) (string, string, error) {
		askedKey = &askKey
		return "ignored", "  " + testSecret + "\n", nil
	}
	if err := checkRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if askedKey == nil || *askedKey {
		t.Errorf("prompt asked for the key although SMARTRADEX_API_KEY was set")
	}
	if fake.creds.APIKey != testKey || fake.creds.Secret != testSecret {
		t.Errorf("credentials = %v", fake.creds)
	}
}

func TestCheckRunPromptCancelled(t *testing.T) {
	fake := &fakeInspector{}
	opts, ios := testOptions(fake, nil)
	ios.SetTTY(true, true, true)
	opts.Prompt = func(context.Context, bool) (string, string, error) {
		return "", "", apperr.Wrap(apperr.Cancelled, "cancelled", apperr.ErrCancelled, i18n.M("error.cancelled"))
	}
	err := checkRun(context.Background(), opts)
	if apperr.KindOf(err) != apperr.Cancelled || fake.calls != 0 {
		t.Errorf("err = %v, calls = %d", err, fake.calls)
	}
}

func TestCheckRunNeverPromptsWithoutTerminal(t *testing.T) {
	fake := &fakeInspector{}
	opts, _ := testOptions(fake, nil)
	opts.Prompt = func(context.Context, bool) (string, string, error) {
		t.Fatal("prompted without a terminal")
		return "", "", nil
	}
	err := checkRun(context.Background(), opts)
	if apperr.KindOf(err) != apperr.Usage || fake.calls != 0 {
		t.Errorf("err = %v, calls = %d", err, fake.calls)
	}
}

func TestCheckRunSecretFromStdinIsCapped(t *testing.T) {
	fake := &fakeInspector{}
	opts, ios := testOptions(fake, map[string]string{"SMARTRADEX_API_KEY": testKey})
	opts.SecretStdin = true
	ios.In.(interface{ WriteString(string) (int, error) }).WriteString(strings.Repeat("a", maxSecretInput+1))
	err := checkRun(context.Background(), opts)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != "keys.secret_too_large" || fake.calls != 0 {
		t.Errorf("err = %v, calls = %d", err, fake.calls)
	}
}

// TestSecretNeverLeaks runs `keys check` in-process against the stand-in,
// with an HMAC secret and an Ed25519 PEM, in every outcome, with --debug,
// and looks for any line of the secret in everything printed.
func TestSecretNeverLeaks(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	privDER, _ := x509.MarshalPKCS8PrivateKey(priv)
	pubDER, _ := x509.MarshalPKIXPublicKey(pub)
	pemSecret := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	edKey := strings.Repeat("E", 60) + "D255"

	srv := binancetest.New()
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddDemoKeys()
	srv.AddKey(binancetest.Key{APIKey: edKey, UID: 5, PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})),
		Restrictions: json.RawMessage(`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":true}`)})
	ok, _ := binancetest.DemoKeyByName("ok")
	other, _ := binancetest.DemoKeyByName("ok-eth")

	type outcome struct {
		name        string
		key, secret string
		fault       *binancetest.Fault
		kind        apperr.Kind
	}
	outcomes := []outcome{
		{"hmac accepted", ok.Key.APIKey, ok.Key.Secret, nil, apperr.OK},
		{"ed25519 refused", edKey, pemSecret, nil, apperr.Refused},
		{"ed25519 flattened PEM refused", edKey, strings.ReplaceAll(pemSecret, "\n", " "), nil, apperr.Refused},
		{"ed25519 wrong key", other.Key.APIKey, pemSecret, nil, apperr.Rejected},
		{"hmac wrong secret", other.Key.APIKey, ok.Key.Secret, nil, apperr.Rejected},
		{"hmac swapped", ok.Key.Secret, ok.Key.APIKey, nil, apperr.Rejected},
		{"pem as key", pemSecret, ok.Key.APIKey, nil, apperr.Usage},
		{"hmac 503", ok.Key.APIKey, ok.Key.Secret, &binancetest.Fault{Path: "*", Status: 503, Times: 10}, apperr.Unavailable},
		{"ed25519 html", edKey, pemSecret, &binancetest.Fault{Path: "/sapi/v1/account/apiRestrictions", Status: 200, Body: "<html>x</html>"}, apperr.Unavailable},
	}
	for _, o := range outcomes {
		for _, asJSON := range []bool{false, true} {
			t.Run(o.name, func(t *testing.T) {
				if o.fault != nil {
					srv.Inject(*o.fault)
				}
				ios, in, out, errOut := iostreams.Test()
				in.WriteString(o.secret)
				env := map[string]string{"SMARTRADEX_BINANCE_URL": srv.URL, "SMARTRADEX_API_KEY": o.key}
				f := cmdutil.New(ios, func(k string) string { return env[k] })
				f.Globals.Debug, f.Globals.JSON = true, asJSON
				opts, _ := testOptions(nil, nil)
				opts.IO, opts.Getenv, opts.AddSecret, opts.Debugf, opts.JSON, opts.SecretStdin = ios, f.Getenv, f.Redactor.Add, f.Debugf, asJSON, true
				opts.Binance = func() (Inspector, error) {
					c, err := binance.New(binance.Options{BaseURL: srv.URL, Log: f.Debugf, Sleep: func(context.Context, time.Duration) error { return nil }})
					return c, err
				}
				err := checkRun(context.Background(), opts)
				if got := apperr.KindOf(err); got != o.kind {
					t.Fatalf("kind = %d (%v), want %d", got, err, o.kind)
				}
				// What the command layer would print for the error, too.
				var e *apperr.Error
				printed := out.String() + errOut.String()
				if errors.As(err, &e) {
					printed += e.Error() + f.Lang().Render(e.Message)
					for _, h := range e.Hints {
						printed += f.Lang().Render(h)
					}
				}
				if o.kind != apperr.Usage && !strings.Contains(errOut.String(), "debug:") {
					t.Errorf("no debug output")
				}
				sensitive := o.secret
				if strings.Contains(o.key, "PRIVATE KEY") {
					sensitive += "\n" + o.key
				}
				for _, line := range strings.Fields(sensitive) {
					if len(line) < 8 || strings.HasPrefix(line, "-----") || strings.Contains(line, "PRIVATE") {
						continue
					}
					if strings.Contains(printed, line) {
						t.Errorf("secret part %q printed:\n%s", line, printed)
					}
				}
			})
		}
	}
}

// An HMAC secret has the shape of an API key, so a pair pasted the wrong
// way round reaches Binance, which refuses it. Nothing printed along the
// way, on a terminal and with --debug, shows any of the secret: not even
// the masked key's first and last four characters, which are the
// secret's. Once Binance has recognised a key, the masked key is shown.
func TestSwappedPairShowsNoPartOfTheSecret(t *testing.T) {
	srv := binancetest.New()
	if _, err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddKey(binancetest.Key{APIKey: testKey, Secret: testSecret, UID: 9,
		Restrictions: json.RawMessage(`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false}`)})
	secretParts := []string{redact.MaskKey(testSecret), testSecret[:4], testSecret[len(testSecret)-4:]}

	run := func(key, secret string, lang i18n.Lang) (string, error) {
		ios, _, out, errOut := iostreams.Test()
		ios.SetTTY(false, false, true) // the "checking" line is for a terminal
		env := map[string]string{"SMARTRADEX_API_KEY": key, "SMARTRADEX_API_SECRET": secret}
		f := cmdutil.New(ios, func(k string) string { return env[k] })
		f.SetLang(lang)
		f.Globals.Debug = true
		opts, _ := testOptions(nil, env)
		opts.IO, opts.Lang, opts.AddSecret, opts.Debugf = ios, lang, f.Redactor.Add, f.Debugf
		opts.Binance = func() (Inspector, error) {
			return binance.New(binance.Options{BaseURL: srv.URL, Log: f.Debugf, Sleep: func(context.Context, time.Duration) error { return nil }})
		}
		err := checkRun(context.Background(), opts)
		printed := out.String() + errOut.String()
		var e *apperr.Error
		if errors.As(err, &e) {
			printed += e.Error() + "\n" + f.Lang().Render(e.Message) + "\n"
			for _, h := range e.Hints {
				printed += f.Lang().Render(h) + "\n"
			}
		}
		return printed, err
	}

	for _, lang := range i18n.Langs {
		printed, err := run(testSecret, testKey, lang)
		if apperr.KindOf(err) != apperr.Rejected {
			t.Fatalf("%s: swapped pair: %v", lang, err)
		}
		if !strings.Contains(printed, "debug:") || !strings.Contains(printed, "Binance") {
			t.Fatalf("%s: nothing was printed, so nothing was proved:\n%s", lang, printed)
		}
		for _, p := range secretParts {
			if strings.Contains(printed, p) {
				t.Errorf("%s: swapped pair: %q, part of the secret, was printed:\n%s", lang, p, printed)
			}
		}
	}

	// The control: the right pair is recognised, and then its masked key
	// is shown.
	printed, err := run(testKey, testSecret, i18n.EN)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(printed, redact.MaskKey(testKey)) {
		t.Errorf("the recognised key is not shown:\n%s", printed)
	}
	for _, p := range secretParts {
		if strings.Contains(printed, p) {
			t.Errorf("%q, part of the secret, was printed:\n%s", p, printed)
		}
	}
}
