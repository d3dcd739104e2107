package secrets

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// keyringAPI is the part of go-keyring the system backend uses; tests put a
// blocking implementation behind it to exercise the timeout.
type keyringAPI interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

type goKeyring struct{}

func (goKeyring) Get(service, user string) (string, error) {
	if err := sessionBusCheck(os.Getenv, runtime.GOOS); err != nil {
		return "", err
	}
	return keyring.Get(service, user)
}

func (goKeyring) Set(service, user, password string) error {
	if err := sessionBusCheck(os.Getenv, runtime.GOOS); err != nil {
		return err
	}
	return keyring.Set(service, user, password)
}

func (goKeyring) Delete(service, user string) error {
	if err := sessionBusCheck(os.Getenv, runtime.GOOS); err != nil {
		return err
	}
	return keyring.Delete(service, user)
}

// errNoSessionBus and errBusLaunches stop a keyring call before the D-Bus
// library sees the session bus address. With no address (or
// "autolaunch:") and no bus socket in the user's runtime directory,
// godbus runs `dbus-launch` found on PATH, with smartradex's whole
// environment; a "unixexec:" address runs the program it names. Either
// would start a program of someone else's choosing next to the secrets,
// so smartradex never lets it: no bus is a keyring error, like a bus that
// does not answer.
var (
	errNoSessionBus = errors.New("dbus: no session bus: DBUS_SESSION_BUS_ADDRESS is not set, and smartradex does not start one")
	errBusLaunches  = errors.New("dbus: the session bus address asks to start a program (autolaunch: or unixexec:), which smartradex does not do")
)

// sessionBusCheck returns nil when godbus will connect to an existing bus
// without starting any program: on the systems where go-keyring uses the
// Secret Service (not macOS, not Windows), DBUS_SESSION_BUS_ADDRESS names
// only transports that connect (unix:, tcp:, nonce-tcp:), or it is unset
// and the socket godbus looks for next, /run/user/<uid>/bus, exists.
func sessionBusCheck(getenv func(string) string, goos string) error {
	if goos == "darwin" || goos == "windows" {
		return nil
	}
	addr := strings.TrimSpace(getenv("DBUS_SESSION_BUS_ADDRESS"))
	if addr == "" || addr == "autolaunch:" {
		if fi, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil && fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		if addr == "" {
			return errNoSessionBus
		}
		return errBusLaunches
	}
	for _, a := range strings.Split(addr, ";") {
		transport, _, _ := strings.Cut(strings.TrimSpace(a), ":")
		switch transport {
		case "unix", "tcp", "nonce-tcp", "":
		default:
			return errBusLaunches
		}
	}
	return nil
}

type system struct {
	kr      keyringAPI
	timeout time.Duration
	goos    string
}

func newSystem(opts Options, kr keyringAPI) *system {
	return &system{kr: kr, timeout: opts.Timeout, goos: opts.GOOS}
}

func (s *system) Backend() string { return BackendSystem }

func (s *system) Get(ctx context.Context, name string) (string, error) {
	var v string
	err := s.call(ctx, "secrets.op_get", name, "", func() error {
		var err error
		v, err = s.kr.Get(ServiceName, name)
		return err
	})
	if err != nil {
		return "", err
	}
	return v, nil
}

func (s *system) Set(ctx context.Context, name, value string) error {
	if (s.goos == "windows" || s.goos == "darwin") && len(value) > MaxSystemSecretLen {
		return s.tooBig(name, len(value), nil)
	}
	return s.call(ctx, "secrets.op_set", name, value, func() error {
		return s.kr.Set(ServiceName, name, value)
	})
}

func (s *system) Delete(ctx context.Context, name string) error {
	return s.call(ctx, "secrets.op_delete", name, "", func() error {
		return s.kr.Delete(ServiceName, name)
	})
}

// keyringName names the keyring in the user's terms.
func (s *system) keyringName() i18n.Message {
	switch s.goos {
	case "darwin":
		return i18n.M("secrets.keyring_darwin")
	case "windows":
		return i18n.M("secrets.keyring_windows")
	}
	return i18n.M("secrets.keyring_unix")
}

func (s *system) tooBig(name string, size int, cause error) error {
	return apperr.Wrap(apperr.Usage, "secrets.too_big", cause,
		i18n.M("secrets.too_big", name, size, s.keyringName(), MaxSystemSecretLen),
		i18n.M("secrets.too_big_hint"), i18n.M("secrets.hint_use_file"))
}

// call runs fn with the per-call timeout. A Secret Service can wait forever
// on an unlock prompt, so fn runs in its own goroutine and is abandoned when
// the time is up; go-keyring offers no way to cancel it.
func (s *system) call(ctx context.Context, op, name, value string, fn func() error) error {
	done := make(chan error, 1)
	go func() { done <- fn() }()
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		return s.classify(op, name, value, err)
	case <-timer.C:
		return apperr.Wrap(apperr.Unexpected, "secrets.keyring_timeout",
			fmt.Errorf("keyring call timed out after %s", s.timeout),
			i18n.M("secrets.keyring_timeout", s.keyringName(), s.timeout.String(), i18n.M(op), name),
			i18n.M("secrets.hint_timeout"), i18n.M("secrets.hint_use_file"))
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *system) classify(op, name, value string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, keyring.ErrNotFound) {
		return ErrNotFound
	}
	err = scrub(err, value)
	if errors.Is(err, keyring.ErrSetDataTooBig) {
		return s.tooBig(name, len(value), err)
	}
	hints := []i18n.Message{}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unlock"), strings.Contains(msg, "locked"):
		hints = append(hints, i18n.M("secrets.hint_locked"))
	case strings.Contains(msg, "was not provided by any .service files"),
		strings.Contains(msg, "org.freedesktop.secrets"),
		strings.Contains(msg, "dbus"), // "dbus: couldn't determine address of session bus", "dbus-launch" missing
		strings.Contains(msg, "dial unix"):
		hints = append(hints, i18n.M("secrets.hint_no_service"))
	}
	hints = append(hints, i18n.M("secrets.hint_use_file"))
	return apperr.Wrap(apperr.Unexpected, "secrets.keyring_failed", err,
		i18n.M("secrets.keyring_failed", i18n.M(op), name, s.keyringName()), hints...)
}
