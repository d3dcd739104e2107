// Package pgstore is smartradexd's store on PostgreSQL, for several
// `smartradexd serve` replicas over one database. It goes through
// database/sql with pgx's stdlib driver, so that the SQL of sqldb is the
// one implementation both engines run. Changes run READ COMMITTED: each
// statement sees the latest commits, the unique constraints and row locks
// decide between racing transactions, and a transaction that finds a row
// changed under it (sqldb's errRaced, a deadlock, a unique violation) is run
// again, so two replicas racing the same PUT get the answer a single process
// would give, and PUTs of different keys never conflict.
package pgstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/sqldb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations are the schema's versions, for tests comparing engines.
func Migrations() fs.FS { return sqldb.MigrationsDir(migrations) }

// Options tune Open; the zero value is the production setting.
type Options struct {
	// MaxConns bounds the connections of this process (default 16): with
	// several replicas, their sum must stay under max_connections.
	MaxConns int
}

// Store is a store.Store on a PostgreSQL database.
type Store struct{ *sqldb.Store }

// Open parses the postgres:// URL (or key=value DSN) and prepares a pool; it
// connects on first use, so a database down at start makes the store
// answer store.ErrUnavailable until it is back. Open does not migrate.
// Its errors never quote the password.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors already mask the password; the URL itself is
		// not repeated here.
		return nil, fmt.Errorf("postgres: invalid connection URL: %w", err)
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{sqldb.New(db, dialect)}, nil
}

// migrateLockID is the advisory lock that keeps two processes from
// migrating one database at once ("smartrdx" in ASCII).
const migrateLockID = 0x736d617274726478

var dialect = sqldb.Dialect{
	Name:   "postgres",
	Dollar: true,
	Time:   func(t time.Time) any { return t },
	// READ COMMITTED, not SERIALIZABLE: on small tables the predicate
	// locks of SERIALIZABLE cover whole pages or relations, so PUTs of
	// different subscribers failed each other (40001) until the retries
	// ran out (docs/performance.md). sqldb writes only the rows it read,
	// by their api_key, and runs the transaction again when one changed.
	WriteTx: &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	ReadTx:  &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	// READ COMMITTED: after waiting for the lock, the migration must see
	// what the process that held it committed.
	MigrateTx:   &sql.TxOptions{Isolation: sql.LevelReadCommitted},
	MigrateLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", int64(migrateLockID)),
	Migrations:  Migrations(),
	MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL
	)`,
	Retryable:   retryable,
	Unavailable: unavailable,
}

func retryable(err error) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"23505": // unique_violation: a racing insert won; read again
		return true
	}
	return false
}

// unavailable: an error from the server about itself (connection, resources,
// shutdown, read-only), or no answer from the server at all.
func unavailable(err error) bool {
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		// Not an answer from PostgreSQL: the connection failed, was lost or
		// timed out.
		return true
	}
	switch e.Code[:2] {
	case "08", // connection exception
		"53", // insufficient resources: disk full, out of memory, too many connections
		"57", // operator intervention: shutdown, cancelled
		"58", // system error: I/O
		"40": // serialization failures that outlasted the retries
		return true
	}
	return e.Code == "25006" // read_only_sql_transaction (a standby)
}

var _ store.Store = (*Store)(nil)
