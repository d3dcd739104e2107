package secrets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

const testSecret = "Zq8RvT3nW6yLk2Pm9Xc4Vb7Nh5Jd1Fg0SaQwErTyUiOp"

// rendered is everything a user could see of err, in both languages.
func rendered(err error) string {
	var b strings.Builder
	b.WriteString(err.Error())
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, l := range i18n.Langs {
			b.WriteString("\n" + l.Render(e.Message))
			for _, h := range e.Hints {
				b.WriteString("\n" + l.Render(h))
			}
		}
	}
	return b.String()
}

func asAppErr(t *testing.T, err error) *apperr.Error {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apperr.Error", err, err)
	}
	return e
}

func hasHint(e *apperr.Error, key string) bool {
	for _, h := range e.Hints {
		if h.Key == key {
			return true
		}
	}
	return false
}

func openSystem(t *testing.T, goos string) Store {
	t.Helper()
	s, err := Open(Options{Backend: "system", GOOS: goos})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSystemRoundTripWithMock(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	s := openSystem(t, "linux")
	if s.Backend() != BackendSystem {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	if _, err := s.Get(ctx, BotSecretName("btc-spot")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of an absent secret = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, BotSecretName("btc-spot")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete of an absent secret = %v, want ErrNotFound", err)
	}
	if err := s.Set(ctx, BotSecretName("btc-spot"), testSecret); err != nil {
		t.Fatal(err)
	}
	// Stored under the documented service name.
	if v, err := keyring.Get("smartradex", "bot/btc-spot"); err != nil || v != testSecret {
		t.Fatalf("keyring holds %q, %v", v, err)
	}
	if v, err := s.Get(ctx, BotSecretName("btc-spot")); err != nil || v != testSecret {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete(ctx, BotSecretName("btc-spot")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, BotSecretName("btc-spot")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v, want ErrNotFound", err)
	}
}

func TestSystemErrorsNameBackendAndCarryKeyringMessage(t *testing.T) {
	cases := []struct {
		name     string
		cause    string
		wantHint string
	}{
		{"no secret service", "The name org.freedesktop.secrets was not provided by any .service files", "secrets.hint_no_service"},
		{"locked collection", "failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'", "secrets.hint_locked"},
		{"no session bus", "dbus: couldn't determine address of session bus", "secrets.hint_no_service"},
		{"other", "something else went wrong", ""},
	}
	ops := []struct {
		name string
		do   func(Store) error
	}{
		{"get", func(s Store) error { _, err := s.Get(context.Background(), "bot/btc-spot"); return err }},
		{"set", func(s Store) error { return s.Set(context.Background(), "bot/btc-spot", testSecret) }},
		{"delete", func(s Store) error { return s.Delete(context.Background(), "bot/btc-spot") }},
	}
	for _, c := range cases {
		for _, op := range ops {
			t.Run(c.name+"/"+op.name, func(t *testing.T) {
				keyring.MockInitWithError(errors.New(c.cause))
				err := op.do(openSystem(t, "linux"))
				e := asAppErr(t, err)
				if e.Kind != apperr.Unexpected || e.Code != "secrets.keyring_failed" {
					t.Fatalf("kind %d code %q, want 1 secrets.keyring_failed", e.Kind, e.Code)
				}
				if !strings.Contains(err.Error(), c.cause) {
					t.Errorf("error %q does not carry the keyring's message", err)
				}
				if msg := i18n.EN.Render(e.Message); !strings.Contains(msg, "system keyring (Secret Service)") {
					t.Errorf("message %q does not name the backend", msg)
				}
				if msg := i18n.FR.Render(e.Message); !strings.Contains(msg, "trousseau du système") {
					t.Errorf("French message %q does not name the backend", msg)
				}
				if !hasHint(e, "secrets.hint_use_file") {
					t.Errorf("hints %v lack the SMARTRADEX_KEYRING=file hint", e.Hints)
				}
				if c.wantHint != "" && !hasHint(e, c.wantHint) {
					t.Errorf("hints %v lack %s", e.Hints, c.wantHint)
				}
				if strings.Contains(rendered(err), testSecret) {
					t.Errorf("the secret leaked into the error")
				}
			})
		}
	}
	if !strings.Contains(i18n.EN.T("secrets.hint_use_file"), "set SMARTRADEX_KEYRING=file to keep secrets in an encrypted file instead") {
		t.Errorf("the file hint lost its wording")
	}
	// Without a terminal the file store asks for its passphrase in the
	// environment: the hint says so, or a script fails a second time.
	for _, c := range i18n.Langs {
		if !strings.Contains(c.T("secrets.hint_use_file"), "SMARTRADEX_PASSPHRASE") {
			t.Errorf("the file hint %q does not name SMARTRADEX_PASSPHRASE", c.T("secrets.hint_use_file"))
		}
	}
}

func TestSystemScrubsSecretEchoedByKeyring(t *testing.T) {
	keyring.MockInitWithError(errors.New("cannot store password " + testSecret + " for smartradex"))
	err := openSystem(t, "linux").Set(context.Background(), "bot/btc-spot", testSecret)
	if err == nil {
		t.Fatal("Set succeeded")
	}
	if strings.Contains(rendered(err), testSecret) {
		t.Fatalf("the secret leaked into the error: %v", err)
	}
	if !strings.Contains(err.Error(), "cannot store password [REDACTED]") {
		t.Fatalf("error %q lost the keyring's message", err)
	}
}

// blockingKeyring never answers, like a Secret Service waiting on an
// unlock prompt nobody sees.
type blockingKeyring struct{ release chan struct{} }

func (b blockingKeyring) Get(string, string) (string, error) { <-b.release; return "", nil }
func (b blockingKeyring) Set(string, string, string) error   { <-b.release; return nil }
func (b blockingKeyring) Delete(string, string) error        { <-b.release; return nil }

func TestSystemTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := newSystem(Options{Timeout: 10 * time.Millisecond, GOOS: "linux"}, blockingKeyring{release})
	for _, op := range []func() error{
		func() error { _, err := s.Get(context.Background(), "bot/btc-spot"); return err },
		func() error { return s.Set(context.Background(), "bot/btc-spot", testSecret) },
		func() error { return s.Delete(context.Background(), "bot/btc-spot") },
	} {
		err := op()
		e := asAppErr(t, err)
		if e.Kind != apperr.Unexpected || e.Code != "secrets.keyring_timeout" {
			t.Fatalf("kind %d code %q, want 1 secrets.keyring_timeout", e.Kind, e.Code)
		}
		if !strings.Contains(err.Error(), "timed out") || !strings.Contains(i18n.EN.Render(e.Message), "system keyring (Secret Service) did not answer within 10ms") {
			t.Errorf("error %q / %q does not explain the timeout", err, i18n.EN.Render(e.Message))
		}
		if !hasHint(e, "secrets.hint_timeout") || !hasHint(e, "secrets.hint_use_file") {
			t.Errorf("hints %v", e.Hints)
		}
		if strings.Contains(rendered(err), testSecret) {
			t.Errorf("the secret leaked into the error")
		}
	}
}

func TestSystemHonoursContext(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	s := newSystem(Options{Timeout: time.Hour, GOOS: "linux"}, blockingKeyring{release})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "bot/btc-spot"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context = %v", err)
	}
}

// recordingKeyring remembers whether Set was reached.
type recordingKeyring struct {
	mu   sync.Mutex
	sets int
	err  error
}

func (r *recordingKeyring) Get(string, string) (string, error) { return "", keyring.ErrNotFound }
func (r *recordingKeyring) Set(string, string, string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sets++
	return r.err
}
func (r *recordingKeyring) Delete(string, string) error { return nil }

func TestSystemSizeLimit(t *testing.T) {
	long := strings.Repeat("A", MaxSystemSecretLen+1)
	exact := strings.Repeat("B", MaxSystemSecretLen)
	cases := []struct {
		goos    string
		value   string
		refused bool
	}{
		{"windows", long, true},
		{"darwin", long, true},
		{"linux", long, false},
		{"windows", exact, false},
		{"darwin", exact, false},
	}
	for _, c := range cases {
		kr := &recordingKeyring{}
		s := newSystem(Options{Timeout: time.Second, GOOS: c.goos}, kr)
		err := s.Set(context.Background(), "bot/btc-spot", c.value)
		if !c.refused {
			if err != nil || kr.sets != 1 {
				t.Errorf("%s, %d bytes: err %v, sets %d", c.goos, len(c.value), err, kr.sets)
			}
			continue
		}
		e := asAppErr(t, err)
		if e.Code != "secrets.too_big" || e.Kind != apperr.Usage {
			t.Errorf("%s: code %q kind %d", c.goos, e.Code, e.Kind)
		}
		if kr.sets != 0 {
			t.Errorf("%s: the keyring was written before the size check", c.goos)
		}
		msg := i18n.EN.Render(e.Message)
		if !strings.Contains(msg, "2561 bytes") || !strings.Contains(msg, "at most 2560 bytes") {
			t.Errorf("%s: message %q does not say why", c.goos, msg)
		}
		if strings.Contains(rendered(err), long) {
			t.Errorf("the secret leaked into the error")
		}
	}
	// The keyring's own refusal is reported the same way.
	kr := &recordingKeyring{err: keyring.ErrSetDataTooBig}
	err := newSystem(Options{Timeout: time.Second, GOOS: "linux"}, kr).Set(context.Background(), "bot/x", long)
	if e := asAppErr(t, err); e.Code != "secrets.too_big" {
		t.Errorf("ErrSetDataTooBig gave %q", e.Code)
	}
}

func TestOpenOptions(t *testing.T) {
	pass := func(context.Context) (string, error) { return "pw", nil }
	cases := []struct {
		name    string
		opts    Options
		backend string
		usage   bool
	}{
		{"default is system", Options{}, BackendSystem, false},
		{"system", Options{Backend: "system"}, BackendSystem, false},
		{"case and space", Options{Backend: " File ", Dir: t.TempDir(), Passphrase: pass}, BackendFile, false},
		{"file", Options{Backend: "file", Dir: t.TempDir(), Passphrase: pass}, BackendFile, false},
		{"unknown", Options{Backend: "plaintext"}, "", true},
		{"file without dir", Options{Backend: "file", Passphrase: pass}, "", false},
		{"file without passphrase", Options{Backend: "file", Dir: t.TempDir()}, "", false},
		{"bad work factor", Options{Backend: "file", Dir: t.TempDir(), Passphrase: pass, ScryptWorkFactor: 31}, "", false},
	}
	for _, c := range cases {
		s, err := Open(c.opts)
		if c.backend != "" {
			if err != nil || s.Backend() != c.backend {
				t.Errorf("%s: Open = %v, %v", c.name, s, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if got := apperr.KindOf(err) == apperr.Usage; got != c.usage {
			t.Errorf("%s: usage error = %v, want %v (%v)", c.name, got, c.usage, err)
		}
	}
}

func TestNames(t *testing.T) {
	if BotSecretName("btc-spot") != "bot/btc-spot" || BotNextSecretName("btc-spot") != "bot/btc-spot/next" ||
		BotGeneratedSecretName("btc-spot") != "bot/btc-spot/generated" || ServiceTokenName != "service-token" {
		t.Fatal("secret names changed")
	}
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "a", "1"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, "a"); err != nil || v != "1" {
		t.Fatal(v, err)
	}
	if err := s.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
}

// godbus starts dbus-launch from PATH (with the whole environment) when no
// session bus address is set and no bus socket is found, and a unixexec:
// address runs the program it names: the system store refuses both before
// the library is called.
func TestSessionBusCheck(t *testing.T) {
	env := func(addr string) func(string) string {
		return func(k string) string {
			if k == "DBUS_SESSION_BUS_ADDRESS" {
				return addr
			}
			return ""
		}
	}
	_, statErr := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid()))
	hasSocket := statErr == nil
	cases := []struct {
		addr, goos string
		want       error
	}{
		{"unix:path=/run/user/1000/bus", "linux", nil},
		{"unix:abstract=/tmp/dbus-x,guid=1", "linux", nil},
		{"tcp:host=127.0.0.1,port=1", "freebsd", nil},
		{"unix:path=/a;tcp:host=h,port=1", "linux", nil},
		{"unixexec:path=/bin/sh,argv1=-c", "linux", errBusLaunches},
		{"unix:path=/nowhere;unixexec:path=/tmp/x", "linux", errBusLaunches},
		{"launchd:env=X", "linux", errBusLaunches},
		{"", "darwin", nil},
		{"", "windows", nil},
	}
	if !hasSocket {
		cases = append(cases,
			struct {
				addr, goos string
				want       error
			}{"", "linux", errNoSessionBus},
			struct {
				addr, goos string
				want       error
			}{"autolaunch:", "linux", errBusLaunches})
	}
	for _, c := range cases {
		if got := sessionBusCheck(env(c.addr), c.goos); !errors.Is(got, c.want) {
			t.Errorf("sessionBusCheck(%q, %s) = %v, want %v", c.addr, c.goos, got, c.want)
		}
	}
}

// The keyring daemon's words reach the terminal as the cause of an error:
// they come out clean, with the secret still scrubbed even when invisible
// characters are put inside it.
func TestKeyringErrorsAreCleanText(t *testing.T) {
	hidden := testSecret[:10] + "\u200b" + testSecret[10:]
	kr := &recordingKeyring{err: errors.New("org.freedesktop.Secret.Error\x1b]0;pwned\x07\x1b[2J: refused " + hidden)}
	err := newSystem(Options{Timeout: time.Second, GOOS: "linux"}, kr).Set(context.Background(), "bot/x", testSecret)
	text := rendered(err)
	if strings.ContainsAny(text, "\x1b\x07\u200b") {
		t.Errorf("raw text in %q", text)
	}
	if strings.Contains(text, testSecret) || !strings.Contains(text, "org.freedesktop.Secret.Error") {
		t.Errorf("error %q: the secret shows, or the keyring's message is gone", text)
	}
}
