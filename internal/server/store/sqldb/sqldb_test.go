package sqldb

import (
	"errors"
	"fmt"
	"testing"
	"testing/fstest"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		dollar   bool
		in, want string
	}{
		{false, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = ? AND c = ?`},
		{true, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{true, `INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`},
		{true, `SELECT 1`, `SELECT 1`},
	} {
		s := &Store{d: Dialect{Dollar: tc.dollar}}
		if got := s.q(tc.in); got != tc.want {
			t.Errorf("q(%q, dollar %v) = %q, want %q", tc.in, tc.dollar, got, tc.want)
		}
	}
}

func TestScanTime(t *testing.T) {
	want := time.Date(2026, 12, 6, 7, 0, 0, 123456000, time.UTC)
	paris := time.FixedZone("CET", 3600)
	for _, v := range []any{want, want.In(paris), want.Format(TimeLayout), []byte(want.Format(TimeLayout)), "2026-12-06T08:00:00.123456+01:00"} {
		var d dbTime
		if err := d.Scan(v); err != nil || !d.Valid || !d.T.Equal(want) || d.T.Location() != time.UTC {
			t.Errorf("Scan(%v) = %+v, %v; want %v in UTC", v, d, err, want)
		}
	}
	var d dbTime
	if err := d.Scan(nil); err != nil || d.Valid {
		t.Errorf("Scan(nil) = %+v, %v", d, err)
	}
	for _, v := range []any{"yesterday", 42} {
		if err := d.Scan(v); err == nil {
			t.Errorf("Scan(%v) succeeded", v)
		}
	}
	// The layout keeps text order and time order the same.
	a, b := time.Date(2026, 1, 2, 3, 4, 5, 9000, time.UTC), time.Date(2026, 1, 2, 3, 4, 5, 10000, time.UTC)
	if !(a.Format(TimeLayout) < b.Format(TimeLayout)) {
		t.Errorf("%s sorts after %s", a.Format(TimeLayout), b.Format(TimeLayout))
	}
	if got := Micro(time.Date(2026, 1, 2, 3, 4, 5, 123456789, paris)); !got.Equal(time.Date(2026, 1, 2, 2, 4, 5, 123456000, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("Micro = %v", got)
	}
}

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name  string
		fsys  fstest.MapFS
		want  []string
		error bool
	}{
		{"in order", fstest.MapFS{"0002_b.sql": file("B"), "0001_a.sql": file("A"), "README": file("x")}, []string{"0001_a.sql", "0002_b.sql"}, false},
		{"a gap", fstest.MapFS{"0001_a.sql": file("A"), "0003_c.sql": file("C")}, nil, true},
		{"a repeat", fstest.MapFS{"0001_a.sql": file("A"), "0001_b.sql": file("B")}, nil, true},
		{"a bad name", fstest.MapFS{"first.sql": file("A")}, nil, true},
		{"none", fstest.MapFS{}, nil, true},
	} {
		ms, err := LoadMigrations(tc.fsys)
		if tc.error {
			if err == nil {
				t.Errorf("%s: no error", tc.name)
			}
			continue
		}
		var got []string
		for _, m := range ms {
			got = append(got, m.Name)
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
}

func TestFail(t *testing.T) {
	down := errors.New("connection refused")
	bug := errors.New("syntax error")
	s := &Store{d: Dialect{Name: "test", Unavailable: func(err error) bool { return errors.Is(err, down) }}}
	for _, tc := range []struct {
		in   error
		want error
	}{
		{fmt.Errorf("subscriber x: %w", store.ErrNotFound), store.ErrNotFound},
		{store.ErrKeyInUse, store.ErrKeyInUse},
		{down, store.ErrUnavailable},
		{bug, bug},
	} {
		got := s.fail(tc.in)
		if !errors.Is(got, tc.want) {
			t.Errorf("fail(%v) = %v, want %v", tc.in, got, tc.want)
		}
		if tc.in == bug && errors.Is(got, store.ErrUnavailable) {
			t.Errorf("fail(%v) says unavailable", tc.in)
		}
	}
	if s.fail(nil) != nil {
		t.Error("fail(nil) != nil")
	}
}
