package smartradexd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/dbopen"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

// dataDir is where serve keeps what --db and --vault-key leave to their
// defaults: $XDG_DATA_HOME/smartradexd, or ~/.local/share/smartradexd,
// created readable by its owner only.
func dataDir(getenv func(string) string) (string, error) {
	db, err := dbopen.DefaultPath(getenv)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(db)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the data directory: %w", err)
	}
	return dir, nil
}

// defaultDB is the database used without --db: smartradexd.db in the data
// directory.
func defaultDB(getenv func(string) string) (string, error) {
	if _, err := dataDir(getenv); err != nil {
		return "", err
	}
	return dbopen.DefaultPath(getenv)
}

// openStore opens the database a --db value names and applies pending
// migrations. "memory:NAME" is an in-memory store shared by the commands
// run in this process (tests, demonstrations); it is lost at exit.
func openStore(ctx context.Context, dsn string) (store.Store, error) {
	st, err := openUnmigrated(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		_ = st.Close()
		return nil, migrateError(dsn, err)
	}
	return st, nil
}

// openUnmigrated opens the database without touching it: a PostgreSQL that
// is down is found at the first use.
func openUnmigrated(ctx context.Context, dsn string) (store.Store, error) {
	if name, ok := strings.CutPrefix(dsn, "memory:"); ok {
		return memoryStore(name), nil
	}
	st, err := dbopen.Open(ctx, dsn)
	if errors.Is(err, dbopen.ErrAddress) {
		return nil, usageError{fmt.Errorf("--db: %w", err)}
	}
	if err != nil {
		return nil, fmt.Errorf("opening the database %s: %w", dbopen.Redact(dsn), err)
	}
	return st, nil
}

func migrateError(dsn string, err error) error {
	return fmt.Errorf("applying the migrations to %s: %w", dbopen.Redact(dsn), err)
}

// Waits between attempts to migrate a database that was unreachable at
// start: doubling from the first to the last.
var (
	migrateRetryFirst = time.Second
	migrateRetryMax   = 30 * time.Second
)

// migrateLater retries the migrations until they are applied, then
// releases h; it gives up when ctx ends or on an error other than
// store.ErrUnavailable (logged: the service stays unready).
func migrateLater(ctx context.Context, st store.Store, h *server.Server, dsn string, log *slog.Logger) {
	wait := migrateRetryFirst
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		err := st.Migrate(ctx)
		switch {
		case err == nil:
			log.Info("database ready", "db", dbopen.Redact(dsn))
			h.Release()
			return
		case ctx.Err() != nil:
			return
		case !errors.Is(err, store.ErrUnavailable):
			log.Error("the migrations failed: the service stays unready", errorAttr(migrateError(dsn, err)))
			return
		}
		log.Warn("database still unavailable", errorAttr(migrateError(dsn, err)))
		wait = min(2*wait, migrateRetryMax)
	}
}

func errorAttr(err error) slog.Attr { return slog.String("error", err.Error()) }

var (
	memoryMu     sync.Mutex
	memoryStores = map[string]*sharedMemory{}
)

// sharedMemory is a named memstore whose Close does not close it: the next
// command of the process finds it as it was.
type sharedMemory struct{ *memstore.Store }

func (sharedMemory) Close() error { return nil }

func memoryStore(name string) store.Store {
	memoryMu.Lock()
	defer memoryMu.Unlock()
	s, ok := memoryStores[name]
	if !ok {
		s = &sharedMemory{memstore.New()}
		memoryStores[name] = s
	}
	return s
}

// vaultKeyPath is the file of the current vault key: flag (--vault-key, or
// SMARTRADEXD_VAULT_KEY), else vault.key in the data directory, which
// isDefault reports. serve and vault-key reseal find it the same way.
func vaultKeyPath(e *env, flag string) (path string, isDefault bool, err error) {
	if flag != "" {
		return flag, false, nil
	}
	dir, err := dataDir(e.getenv)
	if err != nil {
		return "", false, err
	}
	return filepath.Join(dir, "vault.key"), true, nil
}

// loadVaultKey reads the vault private key from path. The file must be
// readable by its owner only.
func loadVaultKey(path string) (*seal.PrivateKey, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, noVaultKeyError{path}
	}
	if err != nil {
		return nil, fmt.Errorf("vault key: %w", err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("vault key %s: its mode is %#o, others can read it; run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("vault key: %w", err)
	}
	defer clear(text)
	k, err := seal.ParsePrivateKey(text)
	if err != nil {
		return nil, fmt.Errorf("vault key %s: %w", path, err)
	}
	return k, nil
}

// noVaultKeyError is a vault key file that does not exist; it is
// fs.ErrNotExist to errors.Is.
type noVaultKeyError struct{ path string }

func (e noVaultKeyError) Error() string { return "the vault key file " + e.path + " does not exist" }
func (e noVaultKeyError) Unwrap() error { return fs.ErrNotExist }

// writeVaultKey generates a vault key into path, created 0600; an existing
// file is never overwritten.
func writeVaultKey(path string) (*seal.PrivateKey, error) {
	k, err := seal.GenerateKey()
	if err != nil {
		return nil, err
	}
	text, err := k.MarshalText()
	if err != nil {
		return nil, err
	}
	defer clear(text)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s already exists: it is not overwritten (a vault key lost is every sealed secret lost)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("vault key: %w", err)
	}
	if _, err := f.Write(text); err != nil {
		f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("writing the vault key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		_ = os.Remove(path)
		return nil, fmt.Errorf("writing the vault key: %w", err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return nil, fmt.Errorf("writing the vault key: %w", err)
	}
	return k, nil
}
