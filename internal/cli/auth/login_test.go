package auth

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

const (
	goodToken = "sxt_live_GoodToken0123456789abcdefABCDEF"
	badToken  = "sxt_live_WrongToken0123456789abcdefABCDE"
)

// loginFixture runs loginRun on a terminal against the reference service,
// with scripted answers to the token prompt.
type loginFixture struct {
	f      *cmdutil.Factory
	opts   *LoginOptions
	store  secrets.Store
	svc    *servicetest.Server
	fake   *prompt.Fake
	stderr interface{ String() string }
	url    string
}

func newLogin(t *testing.T, lang i18n.Lang, answers ...any) *loginFixture {
	t.Helper()
	svc, url := servicetest.StartTest(t, goodToken, "sub@example.com", []string{"btc-spot"})
	ios, _, _, errOut := iostreams.Test()
	ios.SetTTY(true, true, true)
	env := map[string]string{"SMARTRADEX_SERVICE_URL": url, "SMARTRADEX_CONFIG_DIR": t.TempDir()}
	f := cmdutil.New(ios, func(k string) string { return env[k] })
	f.SetLang(lang)
	store := secrets.NewMemory()
	fake := &prompt.Fake{Answers: answers}
	opts := &LoginOptions{
		IO: ios, Msg: f.Messages(), Debugf: f.Debugf, Store: func() (secrets.Store, error) { return store, nil },
		Save: f.SaveServiceToken,
		AskToken: func(ctx context.Context, p prompt.Prompter, title, desc string, check func(string) (*service.Me, error)) (string, *service.Me, error) {
			return cmdutil.AskToken(ctx, f.Messages(), p, title, desc, check)
		},
		Client: func(token string) (Account, error) {
			c, err := f.ServiceWithToken(token)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Prompter: func() prompt.Prompter { return fake },
	}
	return &loginFixture{f: f, opts: opts, store: store, svc: svc, fake: fake, stderr: errOut, url: url}
}

func (lf *loginFixture) meCalls() int {
	n := 0
	for _, r := range lf.svc.Requests() {
		if r.Path == "/v1/me" {
			n++
		}
	}
	return n
}

func TestInteractiveLoginAsksAgainAfterARefusedToken(t *testing.T) {
	lf := newLogin(t, i18n.FR, badToken, "  "+goodToken+"\n")
	if err := loginRun(context.Background(), lf.opts); err != nil {
		t.Fatalf("login: %v", err)
	}
	if len(lf.fake.Asked) != 1 || len(lf.fake.Asked[0].Rejected) != 1 {
		t.Fatalf("want one question with one refused answer, got %+v", lf.fake.Asked)
	}
	// At the prompt the fix is to paste again, here: not to run a command.
	if msg := lf.fake.Asked[0].Rejected[0]; !strings.Contains(msg, "SmartradeX a refusé ce jeton") || !strings.Contains(msg, "collez-le ici") ||
		strings.Contains(msg, "auth login") || strings.Contains(msg, badToken) {
		t.Errorf("the refusal shown at the prompt should explain in French without quoting the token: %q", msg)
	}
	got, err := lf.store.Get(context.Background(), secrets.ServiceTokenName)
	if err != nil || got != goodToken {
		t.Fatalf("stored token = %q, %v; want the good one, trimmed", got, err)
	}
	// One question to the service per token typed, however often huh
	// validates the field.
	if n := lf.meCalls(); n != 2 {
		t.Errorf("the service was asked %d times, want 2", n)
	}
	if strings.Contains(lf.stderr.String(), goodToken) || strings.Contains(lf.stderr.String(), badToken) {
		t.Error("a token was printed")
	}
}

func TestInteractiveLoginUnreachableEndsTheCommand(t *testing.T) {
	lf := newLogin(t, i18n.EN, goodToken)
	lf.svc.SetDown(true)
	err := loginRun(context.Background(), lf.opts)
	if apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("got %v (kind %d), want exit 5", err, apperr.KindOf(err))
	}
	if lf.fake.Remaining() != 0 || len(lf.fake.Asked[0].Rejected) != 0 {
		t.Errorf("an unreachable service is not a wrong token: %+v", lf.fake.Asked)
	}
	if _, err := lf.store.Get(context.Background(), secrets.ServiceTokenName); err == nil {
		t.Error("a token that could not be checked was saved")
	}
}

func TestInteractiveLoginCtrlCSavesNothing(t *testing.T) {
	lf := newLogin(t, i18n.EN, prompt.Cancelled(nil))
	err := loginRun(context.Background(), lf.opts)
	if apperr.KindOf(err) != apperr.Cancelled {
		t.Fatalf("got %v, want cancelled", err)
	}
	if _, err := lf.store.Get(context.Background(), secrets.ServiceTokenName); err == nil {
		t.Error("a token was saved")
	}
}

// withVault gives the fixture the real vault key step, its pins in dir,
// asking on the terminal as auth login does.
func (lf *loginFixture) withVault(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	f := lf.f
	getenv := f.Getenv
	f.Getenv = func(k string) string {
		if k == "SMARTRADEX_CONFIG_DIR" {
			return dir
		}
		return getenv(k)
	}
	lf.opts.VaultKey = func(ctx context.Context, token string) (string, error) {
		trust, err := f.VaultTrust()
		if err != nil {
			return "", err
		}
		trust.Ask = askVaultKey(f, lf.opts.Prompter)
		c, err := f.ServiceWithToken(token)
		if err != nil {
			return "", err
		}
		return c.VaultKeyID(ctx)
	}
	return dir
}

func TestLoginAsksAboutTheVaultKey(t *testing.T) {
	cases := []struct {
		name    string
		rotate  bool // the service changes its key after a first login
		answers []any
		wantErr string
		saved   bool
		asked   string
	}{
		{name: "first use, yes", answers: []any{goodToken, true}, saved: true, asked: "Trust the SmartradeX vault key"},
		{name: "first use, no", answers: []any{goodToken, false}, wantErr: "service.vault_key_declined", asked: "Trust the SmartradeX vault key"},
		{name: "changed, yes", rotate: true, answers: []any{goodToken, true}, saved: true, asked: "changed from"},
		{name: "changed, no", rotate: true, answers: []any{goodToken, false}, wantErr: "service.vault_key_changed", asked: "changed from"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lf := newLogin(t, i18n.EN)
			dir := lf.withVault(t)
			first := lf.svc.VaultKey().ID()
			if tc.rotate {
				// A first login pinned the key; the service then rotated it.
				if err := state.OpenVaultPins(dir).SetPin(context.Background(), lf.url, first, service.PinFirstUse); err != nil {
					t.Fatal(err)
				}
				lf.svc.RotateVaultKey()
			}
			offered := lf.svc.VaultKey().ID()
			lf.fake.Answers = tc.answers
			err := loginRun(context.Background(), lf.opts)
			if tc.wantErr != "" {
				var e *apperr.Error
				if !errors.As(err, &e) || e.Code != tc.wantErr || e.Kind != apperr.Refused {
					t.Fatalf("login = %v, want %s", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("login: %v", err)
			}
			if _, err := lf.store.Get(context.Background(), secrets.ServiceTokenName); (err == nil) != tc.saved {
				t.Errorf("token saved = %v, want %v", err == nil, tc.saved)
			}
			if len(lf.fake.Asked) != 2 || !strings.Contains(lf.fake.Asked[1].Title, tc.asked) || !strings.Contains(lf.fake.Asked[1].Title, offered) {
				t.Fatalf("questions %+v, want the token then the vault key %s", lf.fake.Asked, offered)
			}
			pin, _, ok, _ := state.OpenVaultPins(dir).GetPin(context.Background(), lf.url)
			switch {
			case tc.saved && (!ok || pin != offered):
				t.Errorf("pinned %q, want %s", pin, offered)
			case !tc.saved && tc.rotate && pin != first:
				t.Errorf("a declined key replaced the pin: %q", pin)
			case !tc.saved && !tc.rotate && ok:
				t.Errorf("a declined key was pinned")
			}
			if tc.saved && !strings.Contains(lf.stderr.String(), "SmartradeX vault key: "+offered) {
				t.Errorf("the vault key is not shown: %s", lf.stderr.String())
			}
		})
	}
}
