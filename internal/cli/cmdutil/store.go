package cmdutil

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// factoryStores are a Factory's secret stores, built once each, so that
// the file backend's passphrase is asked at most once per process.
type factoryStores struct {
	mu     sync.Mutex
	stores map[string]secrets.Store
}

// ConfigDir is the configuration directory: --config-dir, else
// SMARTRADEX_CONFIG_DIR, else the user's configuration directory.
func (f *Factory) ConfigDir() (string, error) {
	if f.SandboxOn() {
		sb, err := f.Sandbox()
		if err != nil {
			return "", err
		}
		return sb.Dir, nil
	}
	if d := strings.TrimSpace(f.Globals.ConfigDir); d != "" {
		return filepath.Abs(d)
	}
	return state.DefaultDir(f.Getenv)
}

// Index is the local key index in the configuration directory.
func (f *Factory) Index() (*state.Index, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return nil, err
	}
	return state.Open(dir), nil
}

// KeyringBackend is the selected secret store: --keyring, else
// SMARTRADEX_KEYRING, else "system". An unknown name is a usage error.
func (f *Factory) KeyringBackend() (string, error) {
	if f.SandboxOn() {
		return secrets.BackendFile, nil
	}
	name := strings.TrimSpace(f.Globals.Keyring)
	if name == "" {
		name = f.env("SMARTRADEX_KEYRING")
	}
	name = strings.ToLower(name)
	switch name {
	case "":
		return secrets.BackendSystem, nil
	case secrets.BackendSystem, secrets.BackendFile:
		return name, nil
	}
	return "", secrets.BadBackendError(name)
}

// SecretStore is the selected secret store, built once per process.
func (f *Factory) SecretStore() (secrets.Store, error) {
	backend, err := f.KeyringBackend()
	if err != nil {
		return nil, err
	}
	return f.SecretStoreFor(backend)
}

// SecretStoreFor is the store of a given backend, built once per process;
// commands that act on an existing key use the backend its index entry
// names, whatever the current selection.
func (f *Factory) SecretStoreFor(backend string) (secrets.Store, error) {
	fs := &f.stores
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.stores == nil {
		fs.stores = map[string]secrets.Store{}
	}
	if s, ok := fs.stores[backend]; ok {
		return s, nil
	}
	if f.SandboxOn() {
		dir, err := f.ConfigDir()
		if err != nil {
			return nil, err
		}
		s, err := f.sandboxStore(dir)
		if err != nil {
			return nil, err
		}
		fs.stores[backend] = s
		return s, nil
	}
	timeout, err := f.keyringTimeout()
	if err != nil {
		return nil, err
	}
	dir, err := f.ConfigDir()
	if err != nil {
		return nil, err
	}
	s, err := secrets.Open(secrets.Options{
		Backend:    backend,
		Dir:        dir,
		Timeout:    timeout,
		Passphrase: f.passphraseFunc(filepath.Join(dir, secrets.FileName)),
	})
	if err != nil {
		return nil, err
	}
	fs.stores[backend] = s
	return s, nil
}

// keyringTimeout reads SMARTRADEX_KEYRING_TIMEOUT: a Go duration ("5s") or
// a number of seconds ("5").
func (f *Factory) keyringTimeout() (time.Duration, error) {
	v := f.env("SMARTRADEX_KEYRING_TIMEOUT")
	if v == "" {
		return secrets.DefaultTimeout, nil
	}
	d, ok := parseTimeout(v)
	if !ok {
		return 0, apperr.New(apperr.Usage, "secrets.bad_timeout",
			i18n.M("secrets.bad_timeout"), i18n.M("secrets.bad_timeout_hint"))
	}
	return d, nil
}

// parseTimeout reads a positive Go duration ("5s") or a number of seconds
// ("5", "0.5").
func parseTimeout(v string) (time.Duration, bool) {
	d, err := time.ParseDuration(v)
	if err != nil {
		if n, nerr := strconv.ParseFloat(v, 64); nerr == nil {
			d, err = time.Duration(n*float64(time.Second)), nil
		}
	}
	return d, err == nil && d > 0
}

// askPassphrase asks for the secret file's passphrase, masked; confirm
// asks twice, for a new file.
func (f *Factory) askPassphrase(ctx context.Context, path string, confirm bool) (string, error) {
	var pass, again string
	title := f.T("secrets.prompt_passphrase", path)
	if confirm {
		title = f.T("secrets.prompt_new_passphrase", path)
	}
	screen := prompt.Screen{Fields: []prompt.Field{
		prompt.PasswordField(&pass, title, "", func(s string) error {
			if s == "" {
				return errors.New(f.T("secrets.passphrase_empty"))
			}
			return nil
		}),
	}}
	if confirm {
		screen.Fields = append(screen.Fields, prompt.PasswordField(&again, f.T("secrets.prompt_passphrase_again"), "", func(s string) error {
			if s != pass {
				return errors.New(f.T("secrets.passphrase_mismatch"))
			}
			return nil
		}))
	}
	if err := prompt.Ask(ctx, f.Prompter(), screen); err != nil {
		return "", err
	}
	return pass, nil
}

// passphraseFunc gives the file backend its passphrase: SMARTRADEX_PASSPHRASE,
// else a masked prompt on a terminal, else a usage error naming the
// variable. Whatever it returns is registered with the redactor.
func (f *Factory) passphraseFunc(path string) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if p := f.Getenv("SMARTRADEX_PASSPHRASE"); p != "" {
			f.Redactor.Add(p)
			return p, nil
		}
		if !f.IO.CanPrompt() {
			return "", apperr.New(apperr.Usage, "secrets.passphrase_needed",
				i18n.M("secrets.passphrase_needed", path), i18n.M("secrets.passphrase_needed_hint"))
		}
		_, statErr := os.Stat(path)
		p, err := f.askPassphrase(ctx, path, errors.Is(statErr, os.ErrNotExist))
		if err != nil {
			return "", err
		}
		f.Redactor.Add(p)
		return p, nil
	}
}
