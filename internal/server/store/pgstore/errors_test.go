package pgstore

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// What each PostgreSQL answer means for the caller: run the transaction
// again, answer 503, or neither (a bug, a 500).
func TestErrorClasses(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("exec: %w", &pgconn.PgError{Code: code}) }
	for _, tc := range []struct {
		name                   string
		err                    error
		retryable, unavailable bool
	}{
		{"serialization failure", pg("40001"), true, true},
		{"deadlock", pg("40P01"), true, true},
		{"unique violation (a racing insert)", pg("23505"), true, false},
		{"server shutting down (pg_ctl stop)", pg("57P01"), false, true},
		{"crash shutdown", pg("57P02"), false, true},
		{"cannot connect now (starting up)", pg("57P03"), false, true},
		{"connection failure", pg("08006"), false, true},
		{"disk full", pg("53100"), false, true},
		{"too many connections", pg("53300"), false, true},
		{"I/O error", pg("58030"), false, true},
		{"read-only transaction (a standby)", pg("25006"), false, true},
		{"undefined table (schema not migrated)", pg("42P01"), false, false},
		{"syntax error", pg("42601"), false, false},
		{"check violation", pg("23514"), false, false},
		{"connection lost", io.ErrUnexpectedEOF, false, true},
		{"connect refused", &pgconn.ConnectError{}, false, true},
		{"plain error", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), false, true},
	} {
		if got := retryable(tc.err); got != tc.retryable {
			t.Errorf("%s: retryable = %v, want %v", tc.name, got, tc.retryable)
		}
		if got := unavailable(tc.err); got != tc.unavailable {
			t.Errorf("%s: unavailable = %v, want %v", tc.name, got, tc.unavailable)
		}
	}
}
