// Package pgtest gives each test its own empty schema on the PostgreSQL
// that scripts/with-postgres starts.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// Env names the variable scripts/with-postgres sets.
const Env = "SMARTRADEXD_TEST_POSTGRES"

// Base returns the server's URL; without one, the test is skipped, or
// fails under CI, where PostgreSQL is part of the run.
func Base(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI: run the tests through scripts/with-postgres", Env)
		}
		t.Skipf("%s is not set: run under scripts/with-postgres to test against PostgreSQL (bash scripts/with-postgres go test ./internal/server/store/...)", Env)
	}
	return u
}

// URL creates a new schema, dropped at the end of the test, and returns a
// URL whose connections work in it alone: tests run in parallel on one
// server without seeing each other's tables.
func URL(t testing.TB) string {
	t.Helper()
	base := Base(t)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	name := "t_" + rand.Text()[:16]
	if _, err := db.ExecContext(context.Background(), `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("creating a test schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer func() { _ = db.Close() }()
		if _, err := db.ExecContext(context.Background(), `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("dropping the test schema: %v", err)
		}
	})
	return WithParam(t, base, "search_path", name)
}

// WithParam returns u with a query parameter set.
func WithParam(t testing.TB, u, key, value string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}
