// Package secrets keeps API secrets and the service token out of plain
// files: in the operating system's keyring ("system", the default) or, only
// when the user asks for it, in a passphrase-encrypted file ("file").
package secrets

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/safetext"
)

// ErrNotFound is returned by Get and Delete when no secret has that name.
var ErrNotFound = errors.New("secret not found")

// Store holds secrets by name. Implementations are safe for concurrent use.
type Store interface {
	Get(ctx context.Context, name string) (string, error) // ErrNotFound when absent
	Set(ctx context.Context, name, value string) error
	Delete(ctx context.Context, name string) error // ErrNotFound when absent
	Backend() string                               // "system" or "file"
}

// Preparer is a Store with slow or interactive work to do before its first
// read or write (asking for a passphrase, deriving a key from it).
type Preparer interface {
	Prepare(ctx context.Context) error
}

// Prepare does store's preliminary work now, if it has any, so that a
// caller about to write while holding a lock that other smartradex
// processes wait for does not hold it while a person types a passphrase.
func Prepare(ctx context.Context, store Store) error {
	if p, ok := store.(Preparer); ok {
		return p.Prepare(ctx)
	}
	return nil
}

// Backend names, as accepted by --keyring and SMARTRADEX_KEYRING.
const (
	BackendSystem = "system"
	BackendFile   = "file"
)

// ServiceName is the go-keyring service under which every secret is kept.
const ServiceName = "smartradex"

// ServiceTokenName is the name of the SmartradeX service token.
const ServiceTokenName = "service-token"

// BotSecretName is the name of the secret of a bot's API key.
func BotSecretName(bot string) string { return "bot/" + bot }

// BotNextSecretName is the second slot of a bot: a rotation stores the new
// secret in whichever of the two slots the key in force does not use.
func BotNextSecretName(bot string) string { return "bot/" + bot + "/next" }

// BotGeneratedSecretName is the name under which `keys generate` keeps a
// bot's Ed25519 private key until Binance gives it an API key.
func BotGeneratedSecretName(bot string) string { return "bot/" + bot + "/generated" }

// DefaultTimeout bounds every call to the system keyring.
const DefaultTimeout = 3 * time.Second

// MaxSystemSecretLen is the largest secret Windows Credential Manager and
// the macOS Keychain (through go-keyring) accept.
const MaxSystemSecretLen = 2560

// Options configures Open.
type Options struct {
	Backend          string                                    // "system" (default) or "file"
	Dir              string                                    // config dir (file backend writes Dir/secrets.age)
	Timeout          time.Duration                             // system backend: per call, default 3s
	Passphrase       func(ctx context.Context) (string, error) // file backend: asked lazily, at most once per process
	GOOS             string                                    // default runtime.GOOS (for the 2,560-byte limit on windows/darwin)
	ScryptWorkFactor int                                       // file backend: 0 = age default
}

// Open returns the store selected by opts. It does no I/O: the keyring is
// first contacted, and the passphrase first asked, by the first call that
// needs them.
func Open(opts Options) (Store, error) {
	if opts.GOOS == "" {
		opts.GOOS = runtime.GOOS
	}
	switch strings.ToLower(strings.TrimSpace(opts.Backend)) {
	case "", BackendSystem:
		if opts.Timeout <= 0 {
			opts.Timeout = DefaultTimeout
		}
		return newSystem(opts, goKeyring{}), nil
	case BackendFile:
		if opts.Dir == "" {
			return nil, errors.New("secrets: the file backend needs a directory")
		}
		if opts.Passphrase == nil {
			return nil, errors.New("secrets: the file backend needs a passphrase source")
		}
		if opts.ScryptWorkFactor < 0 || opts.ScryptWorkFactor > 30 {
			return nil, errors.New("secrets: the scrypt work factor must be between 1 and 30")
		}
		return newFile(opts), nil
	}
	return nil, BadBackendError(opts.Backend)
}

// BadBackendError is the usage error for an unknown backend name. The
// name is not quoted: it is whatever was typed, maybe a pasted secret.
func BadBackendError(name string) error {
	return apperr.New(apperr.Usage, "secrets.bad_backend", i18n.M("secrets.bad_backend"), i18n.M("secrets.bad_backend_hint"))
}

// NewMemory returns an in-memory store, for tests of other packages. Its
// Backend is "system".
func NewMemory() Store { return &memory{m: map[string]string{}} }

type memory struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *memory) Get(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[name]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (s *memory) Set(ctx context.Context, name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[name] = value
	return nil
}

func (s *memory) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[name]; !ok {
		return ErrNotFound
	}
	delete(s.m, name)
	return nil
}

func (s *memory) Backend() string { return BackendSystem }

// scrub removes value from an error's text, in case a backend echoes what
// it was given, and makes the text clean (the keyring daemon's words are
// not smartradex's: no control or format character reaches the terminal).
func scrub(err error, value string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if len(value) >= 4 {
		msg = strings.ReplaceAll(msg, value, "[REDACTED]")
	}
	msg = safetext.Clean(msg, 500)
	if len(value) >= 4 {
		msg = strings.ReplaceAll(msg, value, "[REDACTED]")
	}
	if msg == err.Error() {
		return err
	}
	return scrubbed{msg: msg, err: err}
}

type scrubbed struct {
	msg string
	err error
}

func (s scrubbed) Error() string { return s.msg }

// Is lets errors.Is see the sentinels of the original chain without
// exposing its text through Unwrap.
func (s scrubbed) Is(target error) bool { return errors.Is(s.err, target) }
