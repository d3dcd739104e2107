// Package sqlitestore is smartradexd's embedded store: one SQLite file
// (modernc.org/sqlite, pure Go), in WAL mode so that readers never wait,
// with one writer at a time so that `smartradexd admin …` and `smartradexd
// serve` can work on the same file at once.
package sqlitestore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versions, for tests comparing engines.
func Migrations() fs.FS { return sqldb.MigrationsDir(migrations) }

// Options tune Open; the zero value is the production setting.
type Options struct {
	// BusyTimeout is how long a write waits for another process's write
	// before giving up with store.ErrUnavailable (default 5s).
	BusyTimeout time.Duration
}

// Store is a store.Store on one SQLite file.
type Store struct {
	*sqldb.Store
	path string
}

// Open opens (creating it if needed) the database file at path: its
// directory is created 0700 when missing and the file 0600, since it holds
// the sealed secrets and token hashes. Open does not migrate.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("sqlite: no database path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: the database path %q may not contain ? or #", path)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("%w (sqlite): creating the database directory: %w", store.ErrUnavailable, err)
	}
	// Create the file ourselves, 0600, before SQLite creates it with the
	// umask's permissions; its -wal and -shm files copy this mode.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w (sqlite): opening %s: %w", store.ErrUnavailable, path, err)
	}
	f.Close()

	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "1")
	// FULL: a registration is on disk when PutKey returns (NORMAL, in WAL
	// mode, may lose the last commits to a power cut).
	q.Set("_synchronous", "FULL")
	// Every write transaction takes the write lock at BEGIN: a read that
	// turns into a write half-way would fail instead of waiting.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	// Readers run in parallel in WAL mode; a few connections are plenty for
	// a 2-core server, and each holds a page cache.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &Store{Store: sqldb.New(db, dialect), path: path}
	if err := s.Ping(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

var dialect = sqldb.Dialect{
	Name:         "sqlite",
	Time:         func(t time.Time) any { return t.Format(sqldb.TimeLayout) },
	WriteTx:      nil,                            // BEGIN IMMEDIATE, from _txlock
	ReadTx:       &sql.TxOptions{ReadOnly: true}, // a plain BEGIN: one snapshot
	MigrateTx:    nil,
	Migrations:   Migrations(),
	SingleWriter: true,
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TEXT NOT NULL
	)`,
	Unavailable: unavailable,
}

// unavailable tells the SQLite errors that are about the file, not the
// request: busy past the timeout, full, read-only, unreadable.
func unavailable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return errors.Is(err, sql.ErrConnDone) || errors.Is(err, fs.ErrPermission)
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
		sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH:
		return true
	}
	return false
}
