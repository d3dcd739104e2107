package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/bots"
)

// Migration is one versioned change of the schema.
type Migration struct {
	Version int
	Name    string // the file name, for schema_migrations and errors
	SQL     string
}

// LoadMigrations reads the NNNN_name.sql files at the top of fsys. Versions
// must run 1, 2, 3… without a gap or a repeat, so that a missing file is
// found by the tests, not by a database in production.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var ms []Migration
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 {
			return nil, fmt.Errorf("migration %s: the name must be NNNN_name.sql", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		ms = append(ms, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].Version < ms[j].Version })
	for i, m := range ms {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.Name, i+1)
		}
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations")
	}
	return ms, nil
}

// Migrate applies the pending migrations and seeds the bot catalogue, in
// one transaction: a failure leaves the schema as it was. Two processes
// migrating at once take turns (MigrateLock on PostgreSQL, the write lock
// on SQLite); the second finds nothing to do.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := LoadMigrations(s.d.Migrations)
	if err != nil {
		return err
	}
	return s.tx(ctx, s.d.MigrateTx, true, func(tx *sql.Tx) error {
		if s.d.MigrateLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.MigrateLock); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.d.MigrationsTable); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		latest := 0
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				closeRows(rows)
				return err
			}
			applied[v] = true
			latest = max(latest, v)
		}
		closeRows(rows)
		if err := rows.Err(); err != nil {
			return err
		}
		if latest > len(ms) {
			return fmt.Errorf("the database schema is at version %d, newer than this smartradexd knows (%d): run a newer smartradexd", latest, len(ms))
		}
		for _, m := range ms {
			if applied[m.Version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.Version, m.Name, s.t(time.Now())); err != nil {
				return err
			}
		}
		// The catalogue is data: a bot an operator renamed keeps its name.
		for _, b := range bots.All() {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO bots (id, name, label) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`),
				b.ID, b.Name, b.Label); err != nil {
				return err
			}
		}
		return nil
	})
}
