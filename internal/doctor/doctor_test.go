package doctor

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

const token = "sx_unit_token_0123456789abcdef"

// env is a working set-up on loopback stand-ins that each test breaks in
// one way.
type env struct {
	deps    Deps
	binance *binancetest.Server
	service *servicetest.Server
	store   secrets.Store
	dir     string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	b := binancetest.New()
	bs := httptest.NewServer(b.Handler())
	t.Cleanup(bs.Close)
	s := servicetest.New()
	s.AddAccount(token, "alice@example.com", []string{"btc-spot"})
	ss := httptest.NewServer(s.Handler())
	t.Cleanup(ss.Close)
	dir := filepath.Join(t.TempDir(), "config")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	store := secrets.NewMemory()
	e := &env{binance: b, service: s, store: store, dir: dir}
	e.deps = Deps{
		Backend:   func() (string, error) { return secrets.BackendSystem, nil },
		StoreFor:  func(string) (secrets.Store, error) { return e.store, nil },
		ConfigDir: func() (string, error) { return dir, nil },
		Index:     func() (*state.Index, error) { return state.Open(dir), nil },
		Binance: func() (TimeSource, error) {
			return binance.New(binance.Options{BaseURL: bs.URL, Sleep: func(context.Context, time.Duration) error { return nil }})
		},
		ServiceURL: ss.URL,
		Service: func(context.Context) (Account, error) {
			return service.New(service.Options{BaseURL: ss.URL, Token: token, Sleep: func(context.Context, time.Duration) error { return nil }})
		},
		GOOS: "linux",
	}
	return e
}

func byID(t *testing.T, rep Report, id string) Result {
	t.Helper()
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result %q", id)
	return Result{}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		breakf func(t *testing.T, e *env)
		id     string
		status Status
		key    string
		exit   apperr.Kind
	}{
		{"all ok", func(*testing.T, *env) {}, IDClock, OK, "doctor.clock_ok", apperr.OK},
		{"clock 3s behind", func(_ *testing.T, e *env) { e.binance.SetClockOffset(3 * time.Second) }, IDClock, Warn, "doctor.clock_behind", apperr.OK},
		{"clock 3s ahead", func(_ *testing.T, e *env) { e.binance.SetClockOffset(-3 * time.Second) }, IDClock, Warn, "doctor.clock_ahead", apperr.OK},
		{"clock 10s off", func(_ *testing.T, e *env) { e.binance.SetClockOffset(10 * time.Second) }, IDClock, Fail, "doctor.clock_behind", apperr.Unexpected},
		{"binance 503", func(_ *testing.T, e *env) {
			e.binance.Inject(binancetest.Fault{Path: "/api/v3/time", Status: 503, Times: 3})
		}, IDBinance, Fail, "doctor.because", apperr.Unavailable},
		{"service down", func(_ *testing.T, e *env) { e.service.SetDown(true) }, IDService, Fail, "doctor.because", apperr.Unavailable},
		{"not logged in", func(_ *testing.T, e *env) {
			e.deps.Service = func(context.Context) (Account, error) {
				return nil, apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"))
			}
		}, IDAccount, Fail, "doctor.because", apperr.Rejected},
		{"loose dir", func(t *testing.T, e *env) {
			if err := os.Chmod(e.dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}, IDConfigDir, Warn, "doctor.dir_loose", apperr.OK},
		{"missing secret", func(t *testing.T, e *env) {
			err := state.Open(e.dir).Update(context.Background(), func(s *state.Snapshot) error {
				s.Entries["btc-spot"] = &state.Entry{Bot: "btc-spot", APIKey: "k", KeyType: "HMAC", Backend: "system",
					SecretName: secrets.BotSecretName("btc-spot"), Status: state.StatusRegistered}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}, IDKeys, Fail, "doctor.keys_missing", apperr.Unexpected},
		{"bad backend", func(_ *testing.T, e *env) {
			e.deps.Backend = func() (string, error) { return "", secrets.BadBackendError("vault") }
		}, IDSecretStore, Fail, "doctor.because", apperr.Usage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			tt.breakf(t, e)
			rep := Run(context.Background(), e.deps)
			r := byID(t, rep, tt.id)
			if r.Status != tt.status || r.Message.Key != tt.key {
				t.Fatalf("%s = %s %q (%v), want %s %q", tt.id, r.Status, r.Message.Key, i18n.EN.Render(r.Message), tt.status, tt.key)
			}
			if got := rep.ExitKind(); got != tt.exit {
				t.Fatalf("exit %d, want %d: %+v", got, tt.exit, rep.Results)
			}
			if rep.OK() != (tt.exit == apperr.OK) {
				t.Fatalf("OK() = %v with exit %d", rep.OK(), tt.exit)
			}
		})
	}
}

// The system keyring where no Secret Service runs: the store check fails
// with the keyring's explanation, and nothing is written.
func TestRunKeyringMissing(t *testing.T) {
	keyring.MockInitWithError(errors.New("no dbus session"))
	t.Cleanup(keyring.MockInit)
	e := newEnv(t)
	sys, err := secrets.Open(secrets.Options{Backend: secrets.BackendSystem})
	if err != nil {
		t.Fatal(err)
	}
	e.store = sys
	rep := Run(context.Background(), e.deps)
	r := byID(t, rep, IDSecretStore)
	if r.Status != Fail || rep.ExitKind() != apperr.Unexpected {
		t.Fatalf("store check = %+v, exit %d", r, rep.ExitKind())
	}
	msg := i18n.EN.Render(r.Message)
	if !strings.Contains(msg, "system keyring does not answer") || len(r.Fix) == 0 {
		t.Fatalf("message %q, fix %v", msg, r.Fix)
	}
}

// blockingStore never answers, like a keyring waiting on an unlock prompt
// that ignores its context.
type blockingStore struct {
	secrets.Store
	release chan struct{}
}

func (b blockingStore) Get(context.Context, string) (string, error) {
	<-b.release
	return "", secrets.ErrNotFound
}

func TestRunNeverHangs(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	defer close(release)
	e.store = blockingStore{Store: secrets.NewMemory(), release: release}
	e.deps.Timeout = 50 * time.Millisecond
	rep := Run(context.Background(), e.deps)
	r := byID(t, rep, IDSecretStore)
	if r.Status != Fail || r.Message.Key != "doctor.timed_out" || r.Kind != apperr.Unavailable {
		t.Fatalf("store check = %+v", r)
	}
}

func TestExitKindPrecedence(t *testing.T) {
	tests := []struct {
		kinds []apperr.Kind
		want  apperr.Kind
	}{
		{nil, apperr.OK},
		{[]apperr.Kind{apperr.Unavailable, apperr.Rejected}, apperr.Rejected},
		{[]apperr.Kind{apperr.Unavailable, apperr.Unexpected, apperr.Rejected}, apperr.Unexpected},
		{[]apperr.Kind{apperr.Unexpected, apperr.Usage}, apperr.Usage},
		{[]apperr.Kind{apperr.Unavailable}, apperr.Unavailable},
	}
	for _, tt := range tests {
		rep := Report{Results: []Result{{ID: "x", Status: Warn, Kind: apperr.Usage}}}
		for _, k := range tt.kinds {
			rep.Results = append(rep.Results, Result{ID: "y", Status: Fail, Kind: k})
		}
		if got := rep.ExitKind(); got != tt.want {
			t.Errorf("%v: exit %d, want %d", tt.kinds, got, tt.want)
		}
	}
}
