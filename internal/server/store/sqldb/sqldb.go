// Package sqldb is the store.Store written once in SQL over database/sql,
// shared by sqlitestore and pgstore. Each engine supplies a Dialect: how it
// numbers parameters, which transactions it opens for a change, which of its
// errors mean "the database cannot be used" and which mean "try again".
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

// Dialect is what differs between engines.
type Dialect struct {
	// Name is the engine's name in errors ("sqlite", "postgres").
	Name string
	// Dollar numbers parameters $1, $2… instead of ?.
	Dollar bool
	// Time converts a time for a parameter (already UTC, whole microseconds).
	Time func(time.Time) any
	// WriteTx opens the transactions that read then change rows; ReadTx
	// those that read several rows that must agree; MigrateTx the one
	// migration transaction (after MigrateLock, it must see what another
	// process committed while it waited).
	WriteTx, ReadTx, MigrateTx *sql.TxOptions
	// MigrateLock, when not empty, is run first in the migration
	// transaction, to keep two processes from migrating at once.
	MigrateLock string
	// MigrationsTable creates the schema_migrations table if missing.
	MigrationsTable string
	// Migrations holds NNNN_name.sql files, applied in order.
	Migrations fs.FS
	// SingleWriter makes the writers of this process take turns before
	// they ask the database (SQLite has one writer at a time: queueing
	// here is fairer and faster than its busy handler's sleeps).
	SingleWriter bool
	// Retryable tells a conflict worth running the transaction again for.
	Retryable func(error) bool
	// Unavailable tells an error that means the database cannot be used
	// now (unreachable, full, read-only, locked too long).
	Unavailable func(error) bool
}

// Store implements store.Store over db.
type Store struct {
	db      *sql.DB
	d       Dialect
	writers chan struct{} // a one-place semaphore when d.SingleWriter
}

// New returns a Store over db; it takes ownership of db (Close closes it).
func New(db *sql.DB, d Dialect) *Store {
	s := &Store{db: db, d: d}
	if d.SingleWriter {
		s.writers = make(chan struct{}, 1)
	}
	return s
}

// DB is the underlying pool, for tests and maintenance.
func (s *Store) DB() *sql.DB { return s.db }

const maxAttempts = 12

// errRaced: the transaction read rows that another one changed before it
// could write (a statement that had to change one row changed none). It is
// run again, whatever the engine; if it keeps losing, the caller is told the
// database is unavailable (try again later) and nothing was written.
var errRaced = errors.New("a concurrent change won the race")

// tx runs fn in a transaction opened with opts, commits, and runs it again
// on a conflict the dialect says is worth retrying. Errors fn returns on
// purpose (store.ErrNotFound…) come back unchanged; database errors are
// classified by fail.
func (s *Store) tx(ctx context.Context, opts *sql.TxOptions, write bool, fn func(*sql.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.txOnce(ctx, opts, write, fn)
		if err == nil {
			return nil
		}
		retry := errors.Is(err, errRaced) || (s.d.Retryable != nil && s.d.Retryable(err))
		if attempt < maxAttempts && retry && ctx.Err() == nil {
			// A short random pause so that racing transactions do not
			// collide again in step (jitter, not a secret: math/rand).
			pause := time.Duration(rand.IntN(2000*attempt)+500) * time.Microsecond //nolint:gosec // G404: jitter
			select {
			case <-time.After(pause):
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return s.fail(err)
	}
}

func (s *Store) txOnce(ctx context.Context, opts *sql.TxOptions, write bool, fn func(*sql.Tx) error) (err error) {
	if write && s.writers != nil {
		select {
		case s.writers <- struct{}{}:
			defer func() { <-s.writers }()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Store) write(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.tx(ctx, s.d.WriteTx, true, fn)
}

func (s *Store) read(ctx context.Context, fn func(*sql.Tx) error) error {
	return s.tx(ctx, s.d.ReadTx, false, fn)
}

// fail turns a database error into what callers decide on.
func (s *Store) fail(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists),
		errors.Is(err, store.ErrKeyInUse), errors.Is(err, store.ErrUnavailable),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, errRaced), s.d.Unavailable(err):
		return fmt.Errorf("%w (%s): %w", store.ErrUnavailable, s.d.Name, err)
	}
	return fmt.Errorf("%s: %w", s.d.Name, err)
}

// q rewrites ? placeholders for the dialect. The SQL here never has a ?
// inside a literal.
func (s *Store) q(query string) string {
	if !s.d.Dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// t is a time as stored: UTC, whole microseconds (what both engines keep).
func (s *Store) t(at time.Time) any { return s.d.Time(Micro(at)) }

// Micro is at in UTC, truncated to the microsecond.
func Micro(at time.Time) time.Time { return at.UTC().Truncate(time.Microsecond) }

// TimeLayout is how SQLite stores times: fixed width, so that text order is
// time order.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// dbTime scans a time stored by either engine.
type dbTime struct {
	T     time.Time
	Valid bool
}

func (d *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d = dbTime{}
	case time.Time:
		*d = dbTime{T: v.UTC(), Valid: true}
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("cannot read a time from %T", v)
	}
	return nil
}

func (d *dbTime) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("cannot read a time from %q", v)
	}
	*d = dbTime{T: t.UTC(), Valid: true}
	return nil
}

func (s *Store) Ping(ctx context.Context) error {
	return s.fail(s.db.PingContext(ctx))
}

func (s *Store) Close() error { return s.db.Close() }

// closeRows closes rows whose error, if any, rows.Err already told.
func closeRows(rows *sql.Rows) { _ = rows.Close() }

// MigrationsDir is the migrations/ folder of an engine's embedded files:
// the versions Migrate applies, in the order of their names.
func MigrationsDir(files fs.FS) fs.FS {
	sub, err := fs.Sub(files, "migrations")
	if err != nil {
		panic(err) // a fixed name in an embedded tree: only a build mistake fails
	}
	return sub
}
