package cmdutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

const (
	tokA = "srx_TokenForServiceA0123456789abcdefABCD"
	tokB = "srx_TokenForServiceB0123456789abcdefABCD"
	urlA = "http://127.0.0.1:8700"
	urlB = "http://127.0.0.1:8701"
)

// countingStore is a memory store that counts reads, to show that a
// mismatch is found before the store is asked.
type countingStore struct {
	secrets.Store
	gets int
	fail error // returned by Set when non-nil
}

func (s *countingStore) Get(ctx context.Context, name string) (string, error) {
	s.gets++
	return s.Store.Get(ctx, name)
}

func (s *countingStore) Set(ctx context.Context, name, value string) error {
	if s.fail != nil {
		return s.fail
	}
	return s.Store.Set(ctx, name, value)
}

// tokenFactory is a Factory over dir whose secret stores are store.
func tokenFactory(t *testing.T, env map[string]string, store secrets.Store) *Factory {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := New(ios, func(k string) string { return env[k] })
	f.stores.stores = map[string]secrets.Store{secrets.BackendSystem: store, secrets.BackendFile: store}
	return f
}

func TestCanonicalServiceURL(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: service.DefaultBaseURL()},
		{in: "https://API.SmartradeX.fr/", want: "https://api.smartradex.fr"},
		{in: "https://api.smartradex.fr:443", want: "https://api.smartradex.fr"},
		{in: "https://api.smartradex.fr:8443/v", want: "https://api.smartradex.fr:8443/v"},
		{in: " http://127.0.0.1:8700/?x=1#f ", want: "http://127.0.0.1:8700"},
		// localhost may be ::1, another listener than 127.0.0.1: not
		// taken for the same service.
		{in: "http://LOCALHOST:8700", want: "http://localhost:8700"},
		{in: "http://[::1]:8700", want: "http://[::1]:8700"},
		{in: "http://127.0.0.1:80", want: "http://127.0.0.1"},
		{in: "https://user:pw@api.smartradex.fr", bad: true},
		{in: "http://example.com", bad: true},
		{in: "api.smartradex.fr", bad: true},
	}
	for _, c := range cases {
		got, err := CanonicalServiceURL(c.in)
		if c.bad {
			if apperr.KindOf(err) != apperr.Usage || strings.Contains(err.Error(), "pw") {
				t.Errorf("%q: %q, %v; want a usage error not quoting the password", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestSavedTokenIsSentOnlyToItsService(t *testing.T) {
	def, _ := CanonicalServiceURL(service.DefaultBaseURL())
	cases := []struct {
		name      string
		recordFor string // "" : no record (an earlier version's token)
		token     string // saved; "" : none
		stale     bool   // the store holds another token than the recorded one
		flag      string
		env       map[string]string
		wantURL   string // ServiceURL
		wantTok   string
		wantCode  string
		wantGets  int // store reads
	}{
		{name: "followed", recordFor: urlA, token: tokA, wantURL: urlA, wantTok: tokA, wantGets: 1},
		{name: "same service by flag", recordFor: urlA, token: tokA, flag: "http://127.0.0.1:8700/", wantURL: "http://127.0.0.1:8700/", wantTok: tokA, wantGets: 1},
		{name: "same service by variable", recordFor: urlA, token: tokA, env: map[string]string{"SMARTRADEX_SERVICE_URL": urlA}, wantURL: urlA, wantTok: tokA, wantGets: 1},
		{name: "other service by flag", recordFor: urlA, token: tokA, flag: urlB, wantURL: urlB, wantCode: "service.token_other_service"},
		{name: "other service by variable", recordFor: urlA, token: tokA, env: map[string]string{"SMARTRADEX_SERVICE_URL": urlB}, wantURL: urlB, wantCode: "service.token_other_service"},
		{name: "flag over variable", recordFor: urlA, token: tokA, flag: urlB, env: map[string]string{"SMARTRADEX_SERVICE_URL": urlA}, wantURL: urlB, wantCode: "service.token_other_service"},
		{name: "legacy token, production", token: tokA, wantURL: service.DefaultBaseURL(), wantTok: tokA, wantGets: 1},
		{name: "legacy token, other service", token: tokA, flag: urlB, wantURL: urlB, wantCode: "service.token_other_service", wantGets: 1},
		{name: "replaced by an earlier version", recordFor: urlA, token: tokB, stale: true, wantURL: urlA, wantCode: "service.token_record_stale", wantGets: 1},
		{name: "not logged in", wantURL: service.DefaultBaseURL(), wantCode: "service.not_logged_in", wantGets: 1},
		{name: "not logged in, flag", flag: urlB, wantURL: urlB, wantCode: "service.not_logged_in", wantGets: 1},
		{name: "environment token goes where asked", recordFor: urlA, token: tokA, flag: urlB, env: map[string]string{"SMARTRADEX_TOKEN": tokB}, wantURL: urlB, wantTok: tokB},
		{name: "environment token ignores the record", recordFor: urlA, token: tokA, env: map[string]string{"SMARTRADEX_TOKEN": tokB}, wantURL: service.DefaultBaseURL(), wantTok: tokB},
		{name: "bad address", recordFor: urlA, token: tokA, flag: "http://example.com", wantCode: "service.bad_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"SMARTRADEX_CONFIG_DIR": dir}
			for k, v := range tc.env {
				env[k] = v
			}
			store := &countingStore{Store: secrets.NewMemory()}
			ctx := context.Background()
			if tc.token != "" {
				if err := store.Store.Set(ctx, secrets.ServiceTokenName, tc.token); err != nil {
					t.Fatal(err)
				}
			}
			if tc.recordFor != "" {
				recorded := tc.token
				if tc.stale {
					recorded = tokA
				}
				if err := state.OpenTokenService(dir).Set(ctx, tc.recordFor, recorded); err != nil {
					t.Fatal(err)
				}
			}
			f := tokenFactory(t, env, store)
			f.Globals.ServiceURL = tc.flag
			got, err := f.ServiceURL()
			switch {
			case tc.wantURL == "" && errCode(err) != "service.bad_url":
				// An address that cannot be one is refused before it is
				// shown or compared.
				t.Errorf("ServiceURL = %q, %v; want service.bad_url", got, err)
			case tc.wantURL != "" && (err != nil || got != tc.wantURL):
				t.Errorf("ServiceURL = %q, %v; want %q", got, err, tc.wantURL)
			}
			tok, _, err := f.ServiceToken(ctx)
			if errCode(err) != tc.wantCode || tok != tc.wantTok {
				t.Fatalf("ServiceToken = %q, %v; want %q, code %q", tok, err, tc.wantTok, tc.wantCode)
			}
			if store.gets != tc.wantGets {
				t.Errorf("the store was read %d times, want %d", store.gets, tc.wantGets)
			}
			if tc.wantCode == "service.token_other_service" || tc.wantCode == "service.token_record_stale" {
				if apperr.KindOf(err) != apperr.Rejected {
					t.Errorf("kind %d, want 4", apperr.KindOf(err))
				}
				if _, err := f.Service(ctx); errCode(err) != tc.wantCode {
					t.Errorf("Service = %v, want the same refusal", err)
				}
			}
			if tc.wantCode == "service.token_other_service" {
				tokenURL := tc.recordFor
				if tokenURL == "" {
					tokenURL = def
				}
				for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
					d := DescribeError(lang, f.Redactor, err)
					text := d.Message + "\n" + strings.Join(d.Hints, "\n")
					for _, want := range []string{tokenURL, tc.wantURL, "smartradex auth login --service-url " + tc.wantURL, "SMARTRADEX_SERVICE_URL=" + tokenURL} {
						if !strings.Contains(text, want) {
							t.Errorf("%s: %q lacks %q", lang, text, want)
						}
					}
					if strings.Contains(text, tokA) || len(d.Hints) != 2 {
						t.Errorf("%s: %q", lang, text)
					}
				}
			}
		})
	}
}

func TestSaveServiceToken(t *testing.T) {
	ctx := context.Background()
	t.Run("records the login service, not the followed one", func(t *testing.T) {
		dir := t.TempDir()
		store := &countingStore{Store: secrets.NewMemory()}
		f := tokenFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": dir}, store)
		f.Globals.ServiceURL = "http://127.0.0.1:8700/?from=readme"
		got, err := f.SaveServiceToken(ctx, store, tokA)
		if err != nil || got != urlA {
			t.Fatalf("SaveServiceToken = %q, %v", got, err)
		}
		// Without a flag, a later run follows the token; login itself
		// goes to production.
		f2 := tokenFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": dir}, store)
		if u, _ := f2.ServiceURL(); u != urlA {
			t.Errorf("followed %q", u)
		}
		if u, _ := f2.loginServiceURL(); u != service.DefaultBaseURL() {
			t.Errorf("login to %q", u)
		}
		if tok, _, err := f2.ServiceToken(ctx); err != nil || tok != tokA {
			t.Errorf("ServiceToken = %q, %v", tok, err)
		}
		data, err := os.ReadFile(filepath.Join(dir, state.TokenServiceFile))
		if err != nil || strings.Contains(string(data), tokA) || strings.Contains(string(data), tokA[4:20]) || !strings.Contains(string(data), urlA) {
			t.Errorf("record %q, %v", data, err)
		}
	})
	t.Run("a token that cannot be saved leaves the old binding", func(t *testing.T) {
		dir := t.TempDir()
		store := &countingStore{Store: secrets.NewMemory()}
		f := tokenFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": dir}, store)
		f.Globals.ServiceURL = urlA
		if _, err := f.SaveServiceToken(ctx, store, tokA); err != nil {
			t.Fatal(err)
		}
		store.fail = errors.New("keyring locked")
		f.Globals.ServiceURL = urlB
		if _, err := f.SaveServiceToken(ctx, store, tokB); err == nil {
			t.Fatal("saved")
		}
		rec, ok, err := state.OpenTokenService(dir).Get()
		if err != nil || !ok || rec.ServiceURL != urlA || rec.TokenCheck != state.TokenCheck(tokA) {
			t.Fatalf("record %+v, %v, %v; want A's", rec, ok, err)
		}
		f.Globals.ServiceURL = urlB
		if _, _, err := f.ServiceToken(ctx); errCode(err) != "service.token_other_service" {
			t.Errorf("A's token would go to B: %v", err)
		}
	})
	t.Run("first save failing leaves no record", func(t *testing.T) {
		dir := t.TempDir()
		store := &countingStore{Store: secrets.NewMemory(), fail: errors.New("keyring locked")}
		f := tokenFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": dir}, store)
		f.Globals.ServiceURL = urlB
		if _, err := f.SaveServiceToken(ctx, store, tokB); err == nil {
			t.Fatal("saved")
		}
		if _, ok, err := state.OpenTokenService(dir).Get(); ok || err != nil {
			t.Errorf("a record was left: %v, %v", ok, err)
		}
	})
	t.Run("forget removes token and record", func(t *testing.T) {
		dir := t.TempDir()
		store := &countingStore{Store: secrets.NewMemory()}
		f := tokenFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": dir}, store)
		f.Globals.ServiceURL = urlA
		if _, err := f.SaveServiceToken(ctx, store, tokA); err != nil {
			t.Fatal(err)
		}
		deleted, u, err := f.ForgetServiceToken(ctx, store)
		if err != nil || !deleted || u != urlA {
			t.Fatalf("Forget = %v, %q, %v", deleted, u, err)
		}
		if _, err := os.Stat(filepath.Join(dir, state.TokenServiceFile)); !os.IsNotExist(err) {
			t.Errorf("record left: %v", err)
		}
		if _, err := store.Store.Get(ctx, secrets.ServiceTokenName); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("token left: %v", err)
		}
		deleted, u, err = f.ForgetServiceToken(ctx, store)
		if err != nil || deleted || u != "" {
			t.Errorf("second Forget = %v, %q, %v", deleted, u, err)
		}
	})
}

func TestUnreadableRecordSendsNothing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, state.TokenServiceFile), []byte(`{"version":1,"service_url":"`+urlA+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	store := &countingStore{Store: secrets.NewMemory()}
	_ = store.Store.Set(context.Background(), secrets.ServiceTokenName, tokA)
	f := tokenFactory(t, map[string]string{"SMARTRADEX_CONFIG_DIR": dir}, store)
	// Public requests still have a service; the token goes nowhere.
	if u, err := f.ServiceURL(); err != nil || u != service.DefaultBaseURL() {
		t.Errorf("ServiceURL = %q, %v", u, err)
	}
	if _, _, err := f.ServiceToken(context.Background()); errCode(err) != "state.token_service_corrupt" || store.gets != 0 {
		t.Fatalf("ServiceToken = %v after %d reads", err, store.gets)
	}
	// Logging in again is the fix: it does not depend on the record.
	if u, err := f.loginServiceURL(); err != nil || u != service.DefaultBaseURL() {
		t.Errorf("LoginServiceURL = %q, %v", u, err)
	}
	f.Globals.ServiceURL = urlA
	if _, err := f.SaveServiceToken(context.Background(), store, tokA); err != nil {
		t.Fatalf("login over a damaged record: %v", err)
	}
	if tok, _, err := f.ServiceToken(context.Background()); err != nil || tok != tokA {
		t.Errorf("after login: %q, %v", tok, err)
	}
}
