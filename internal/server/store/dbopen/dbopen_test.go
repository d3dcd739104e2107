package dbopen

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/pgstore"
	"github.com/smartradex/smartradex/internal/server/store/pgstore/pgtest"
	"github.com/smartradex/smartradex/internal/server/store/sqldb"
	"github.com/smartradex/smartradex/internal/server/store/sqlitestore"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		dsn, kind, target, err string
	}{
		{"/var/lib/smartradexd/smartradexd.db", "sqlite", "/var/lib/smartradexd/smartradexd.db", ""},
		{"smartradexd.db", "sqlite", "smartradexd.db", ""},
		{`C:\smartradexd\smartradexd.db`, "sqlite", `C:\smartradexd\smartradexd.db`, ""},
		{"sqlite:/var/lib/x.db", "sqlite", "/var/lib/x.db", ""},
		{"sqlite:x.db", "sqlite", "x.db", ""},
		{"sqlite:///var/lib/x.db", "sqlite", "/var/lib/x.db", ""},
		{"SQLite:x.db", "sqlite", "x.db", ""},
		{"postgres://u:p@db.internal/smartradexd", "postgres", "postgres://u:p@db.internal/smartradexd", ""},
		{"postgresql://db.internal/smartradexd?sslmode=verify-full", "postgres", "postgresql://db.internal/smartradexd?sslmode=verify-full", ""},
		{"PostgreSQL://db.internal/smartradexd", "postgres", "postgresql://db.internal/smartradexd", ""},
		{"", "", "", "no database given"},
		{"  ", "", "", "no database given"},
		{"sqlite:", "", "", "no path"},
		{"mysql://u:secretpw@h/db", "", "", `unsupported database "mysql://…"`},
	} {
		kind, target, err := parse(tc.dsn)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrAddress) {
				t.Errorf("parse(%q) error = %v, want %q, an ErrAddress", tc.dsn, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), "secretpw") {
				t.Errorf("parse(%q) error shows the password: %v", tc.dsn, err)
			}
			continue
		}
		if err != nil || kind != tc.kind || target != tc.target {
			t.Errorf("parse(%q) = %q, %q, %v; want %q, %q", tc.dsn, kind, target, err, tc.kind, tc.target)
		}
	}
}

func TestRedact(t *testing.T) {
	for dsn, want := range map[string]string{
		"postgres://app:s3cret@db/x":                    "postgres://app:xxxxx@db/x",
		"postgres://app:s%40cret@db/x":                  "postgres://app:xxxxx@db/x",
		"postgres://app@db/x?password=s3cret&sslmode=x": "postgres://app@db/x?password=xxxxx&sslmode=x",
		"postgres://app:s3cret@db:port/x":               "postgres://app:xxxxx@db:port/x",
		"postgres://db/x":                               "postgres://db/x",
		"/var/lib/smartradexd.db":                       "/var/lib/smartradexd.db",
		// Only the password field: the same letters elsewhere stay.
		"postgres://postgres:p@postgres-1/postgres":             "postgres://postgres:xxxxx@postgres-1/postgres",
		"postgres://app:db@db/db?password=db":                   "postgres://app:xxxxx@db/db?password=xxxxx",
		"postgres://app@db/x?sslmode=disable&PassWord=s3cret#f": "postgres://app@db/x?sslmode=disable&PassWord=xxxxx#f",
		"postgres://app@db/x?sslmode=disable&user=password":     "postgres://app@db/x?sslmode=disable&user=password",
		"postgres://app:@db/x":                                  "postgres://app:@db/x",
		// Characters that should have been escaped: the whole password
		// is still masked, as net/url would read it.
		"postgres://app:pa@ss/w0rd@db:5432/x":                    "postgres://app:xxxxx@db:5432/x",
		"postgres://app:s3cret@db:notaport/x?connect_timeout=2":  "postgres://app:xxxxx@db:notaport/x?connect_timeout=2",
		"postgresql://app:s3cret@db/x?password=s3cret&password=": "postgresql://app:xxxxx@db/x?password=xxxxx&password=",
	} {
		if got := Redact(dsn); got != want {
			t.Errorf("Redact(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestOpenSQLite(t *testing.T) {
	dir := t.TempDir()
	for _, dsn := range []string{filepath.Join(dir, "a", "plain.db"), "sqlite:" + filepath.Join(dir, "b", "prefixed.db")} {
		s, err := Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		if _, ok := s.(*sqlitestore.Store); !ok {
			t.Errorf("Open(%q) = %T, want a SQLite store", dsn, s)
		}
		// Open does not migrate.
		if _, err := s.Bots(t.Context()); err == nil {
			t.Errorf("Open(%q) migrated: Bots works before Migrate", dsn)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if bots, err := s.Bots(t.Context()); err != nil || len(bots) != 2 {
			t.Errorf("Bots after Migrate = %v, %v", bots, err)
		}
		s.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "b", "prefixed.db")); err != nil {
		t.Error(err)
	}
}

func TestOpenPostgres(t *testing.T) {
	u := pgtest.URL(t)
	s, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, ok := s.(*pgstore.Store); !ok {
		t.Errorf("Open(postgres://…) = %T, want a PostgreSQL store", s)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrorsHidePassword(t *testing.T) {
	const pw = "Zq8-never-shown"
	for _, dsn := range []string{
		"postgres://u:" + pw + "@127.0.0.1:notaport/db",
		"postgresql://u:" + pw + "@127.0.0.1/db?sslmode=sometimes",
		"postgres://u@127.0.0.1/db?password=" + pw + "&sslmode=sometimes",
		"redis://u:" + pw + "@h/0",
	} {
		s, err := Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", Redact(dsn))
			continue
		}
		if strings.Contains(err.Error(), pw) {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

func TestScrubKeepsTheKind(t *testing.T) {
	err := scrub(errors.Join(store.ErrUnavailable, errors.New("cannot reach u:pw123@h")), "postgres://u:pw123@h/db")
	if !errors.Is(err, store.ErrUnavailable) || strings.Contains(err.Error(), "pw123") {
		t.Errorf("scrub = %v", err)
	}
	if errors.Unwrap(err) != store.ErrUnavailable {
		t.Errorf("the scrubbed error unwraps to %v, not to the sentinel alone", errors.Unwrap(err))
	}
}

func TestDefaultPath(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_DATA_HOME": "/data", "HOME": "/home/u"}, "/data/smartradexd/smartradexd.db"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.local/share/smartradexd/smartradexd.db"},
		{map[string]string{"XDG_DATA_HOME": "relative", "HOME": "/home/u"}, "/home/u/.local/share/smartradexd/smartradexd.db"},
		{map[string]string{}, ""},
	} {
		got, err := DefaultPath(func(k string) string { return tc.env[k] })
		if tc.want == "" {
			if err == nil {
				t.Errorf("DefaultPath(%v) = %q, want an error", tc.env, got)
			}
			continue
		}
		if err != nil || got != filepath.FromSlash(tc.want) {
			t.Errorf("DefaultPath(%v) = %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
}

// Both engines have the same migrations, version for version.
func TestSameMigrations(t *testing.T) {
	names := func(fsys fs.FS) []string {
		ms, err := sqldb.LoadMigrations(fsys)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if a, b := names(sqlitestore.Migrations()), names(pgstore.Migrations()); !slices.Equal(a, b) {
		t.Errorf("sqlite migrations %v, postgres %v", a, b)
	}
}

// The smartradex CLI links no database driver: its start-up and size
// targets depend on it.
func TestCLILinksNoDriver(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/smartradex/smartradex/cmd/smartradex").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, driver := range []string{"modernc.org/sqlite", "modernc.org/libc", "github.com/jackc/", "internal/server/store/dbopen", "internal/server/store/sqldb"} {
			if strings.Contains(dep, driver) {
				t.Errorf("cmd/smartradex depends on %s", dep)
			}
		}
	}
}
