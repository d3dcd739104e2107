// Package secretservice_test runs the system backend against a real
// Secret Service. It is its own test binary so that no test has replaced
// go-keyring's provider with a mock.
package secretservice_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/testbus"
)

// These tests talk to a real Secret Service. scripts/test starts one
// (gnome-keyring on a private D-Bus session) and sets
// SMARTRADEX_TEST_SECRET_SERVICE=1.
func realSystem(t *testing.T) secrets.Store {
	t.Helper()
	if os.Getenv("SMARTRADEX_TEST_SECRET_SERVICE") != "1" {
		t.Skip("set SMARTRADEX_TEST_SECRET_SERVICE=1 with a running Secret Service (bash scripts/test does)")
	}
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is Linux's keyring")
	}
	s, err := secrets.Open(secrets.Options{Backend: "system"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

const testSecret = "Zq8RvT3nW6yLk2Pm9Xc4Vb7Nh5Jd1Fg0SaQwErTyUiOp"

func uniqueName(t *testing.T) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "bot/test-" + hex.EncodeToString(b)
	t.Cleanup(func() { _ = keyring.Delete(secrets.ServiceName, name) })
	return name
}

func TestSecretServiceRoundTrip(t *testing.T) {
	s := realSystem(t)
	ctx := context.Background()
	name := uniqueName(t)
	if _, err := s.Get(ctx, name); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get of an absent secret = %v, want secrets.ErrNotFound", err)
	}
	if err := s.Delete(ctx, name); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Delete of an absent secret = %v, want secrets.ErrNotFound", err)
	}
	if err := s.Set(ctx, name, testSecret); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, name); err != nil || v != testSecret {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Set(ctx, name, testSecret+"2"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, name); err != nil || v != testSecret+"2" {
		t.Fatalf("Get after overwrite = %q, %v", v, err)
	}
	if err := s.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, name); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

func TestSecretServiceLongPEMOnLinux(t *testing.T) {
	s := realSystem(t)
	ctx := context.Background()
	name := uniqueName(t)
	pem := "-----BEGIN PRIVATE KEY-----\n" + strings.Repeat("MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQ\n", 70) + "-----END PRIVATE KEY-----\n"
	if len(pem) <= secrets.MaxSystemSecretLen {
		t.Fatal("test PEM too short")
	}
	if err := s.Set(ctx, name, pem); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Get(ctx, name); err != nil || v != pem {
		t.Fatalf("Get of a long PEM = %d bytes, %v", len(v), err)
	}
}

// TestMain lets a test re-execute this binary against another D-Bus
// session: go-keyring connects to the session bus once per process.
func TestMain(m *testing.M) {
	if os.Getenv("SECRETSERVICE_TEST_CHILD") == "get" {
		_, err := realOpen().Get(context.Background(), "bot/btc-spot")
		var e *apperr.Error
		if errors.As(err, &e) {
			fmt.Printf("code=%s\nerror=%s\nmessage=%s\n", e.Code, e.Error(), i18n.EN.Render(e.Message))
			for _, h := range e.Hints {
				fmt.Printf("hint=%s\n", h.Key)
			}
		} else {
			fmt.Printf("error=%v\n", err)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func realOpen() secrets.Store {
	s, err := secrets.Open(secrets.Options{Backend: "system"})
	if err != nil {
		panic(err)
	}
	return s
}

// childGet runs a Get in a child process with the given D-Bus address and
// returns what the child saw.
func childGet(t *testing.T, busAddress string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SECRETSERVICE_TEST_CHILD=get", "DBUS_SESSION_BUS_ADDRESS="+busAddress)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}

// A session bus on which no Secret Service is running or can be started:
// the situation of a headless server, WSL or a CI box.
func TestNoSecretServiceOnTheBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is Linux's keyring")
	}
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		t.Skip("dbus-daemon is not installed")
	}
	addr, stop, err := testbus.Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	out := childGet(t, addr)
	for _, want := range []string{
		"code=secrets.keyring_failed",
		"org.freedesktop.secrets was not provided by any .service files",
		"message=could not read the secret \"bot/btc-spot\" in the system keyring (Secret Service)",
		"hint=secrets.hint_no_service",
		"hint=secrets.hint_use_file",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}

// No session bus at all.
func TestNoSessionBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the Secret Service is Linux's keyring")
	}
	out := childGet(t, "unix:path="+filepath.Join(t.TempDir(), "no-bus"))
	for _, want := range []string{"code=secrets.keyring_failed", "no such file or directory", "hint=secrets.hint_no_service", "hint=secrets.hint_use_file"} {
		if !strings.Contains(out, want) {
			t.Errorf("child output lacks %q:\n%s", want, out)
		}
	}
}
