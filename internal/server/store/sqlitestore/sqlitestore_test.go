package sqlitestore_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/sqlitestore"
	"github.com/smartradex/smartradex/internal/server/store/storetest"
)

func open(t testing.TB, path string, opts sqlitestore.Options) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return open(t, filepath.Join(t.TempDir(), "smartradexd.db"), sqlitestore.Options{})
	})
}

func TestShared(t *testing.T) {
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		path := filepath.Join(t.TempDir(), "smartradexd.db")
		return open(t, path, sqlitestore.Options{}), open(t, path, sqlitestore.Options{})
	})
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "smartradexd")
	path := filepath.Join(dir, "smartradexd.db")
	s := open(t, path, sqlitestore.Options{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{dir: 0o700 | fs.ModeDir, path: 0o600, path + "-wal": 0o600, path + "-shm": 0o600} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", filepath.Base(name), fi.Mode(), want)
		}
	}
	var mode string
	if err := s.DB().QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var fk int
	if err := s.DB().QueryRow(`PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v; want 1", fk, err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path        string
		unavailable bool
	}{
		{"", false},
		{filepath.Join(dir, "what?.db"), false},
		{filepath.Join(notDir, "smartradexd.db"), true},
		{dir, true}, // a directory, not a database
	} {
		s, err := sqlitestore.Open(t.Context(), tc.path, sqlitestore.Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", tc.path)
			continue
		}
		if errors.Is(err, store.ErrUnavailable) != tc.unavailable {
			t.Errorf("Open(%q) = %v; ErrUnavailable: %v, want %v", tc.path, err, !tc.unavailable, tc.unavailable)
		}
	}
}

// A writer that holds the lock longer than the busy timeout makes a write
// fail with ErrUnavailable, and write nothing.
func TestLockedTooLong(t *testing.T) {
	path := filepath.Join(t.TempDir(), "smartradexd.db")
	s := open(t, path, sqlitestore.Options{BusyTimeout: 50 * time.Millisecond})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	_, err = s.AddSubscriber(t.Context(), "late@example.com", time.Now())
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("AddSubscriber while locked: %v, want ErrUnavailable", err)
	}
	// Reads go on (WAL).
	if _, err := s.Bots(t.Context()); err != nil {
		t.Errorf("Bots while locked: %v", err)
	}
	if _, err := conn.ExecContext(t.Context(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Subscriber(t.Context(), "late@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused subscriber: %v, want ErrNotFound", err)
	}
	if _, err := s.AddSubscriber(t.Context(), "late@example.com", time.Now()); err != nil {
		t.Errorf("AddSubscriber once the lock is gone: %v", err)
	}
}

// A database of a newer smartradexd is not touched.
func TestMigrateNewerSchema(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "smartradexd.db"), sqlitestore.Options{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', '2030-01-01T00:00:00.000000Z')`); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err == nil {
		t.Error("Migrate on a newer schema succeeded")
	}
}

func BenchmarkKeys(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "smartradexd.db"), sqlitestore.Options{})
	storetest.Bench(b, s)
}

// A change whose audit row SQLite refuses is rolled back with it.
func TestAuditRefused(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "smartradexd.db"), sqlitestore.Options{})
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.RunAuditRefused(t, s, func(t *testing.T) {
		_, err := s.DB().ExecContext(t.Context(), `CREATE TRIGGER audit_refused BEFORE INSERT ON audit
			WHEN NEW.actor = '`+storetest.RefusedActor+`' BEGIN SELECT RAISE(ABORT, 'audit refused'); END`)
		if err != nil {
			t.Fatal(err)
		}
	})
}
