// Package dbopen turns smartradexd's --db value into a store. It is the one
// package that links both database drivers, so that a binary which does not
// import it (the smartradex CLI, its sandbox) carries neither.
package dbopen

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/pgstore"
	"github.com/smartradex/smartradex/internal/server/store/sqlitestore"
)

// Check returns the error Open would return for a dsn that names no
// database (an ErrAddress), without opening anything.
func Check(dsn string) error {
	_, _, err := parse(dsn)
	return err
}

// Open opens the store dsn names: a file path or sqlite:PATH (SQLite), or a
// postgres:// or postgresql:// URL (PostgreSQL). It does not migrate: the
// caller calls Migrate. Its errors never quote a password from the URL.
func Open(ctx context.Context, dsn string) (store.Store, error) {
	kind, target, err := parse(dsn)
	if err != nil {
		return nil, err
	}
	var s store.Store
	switch kind {
	case "postgres":
		var ps *pgstore.Store
		ps, err = pgstore.Open(ctx, target, pgstore.Options{})
		if ps != nil {
			s = ps
		}
	default:
		var ss *sqlitestore.Store
		ss, err = sqlitestore.Open(ctx, target, sqlitestore.Options{})
		if ss != nil {
			s = ss
		}
	}
	if err != nil {
		return nil, scrub(err, dsn)
	}
	return s, nil
}

var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// ErrAddress is, to errors.Is, the error of a --db value that names no
// database smartradexd can open: a mistake of the command line, found
// before anything is opened.
var ErrAddress = errors.New("not a database address")

type addressError struct{ msg string }

func (e addressError) Error() string      { return e.msg }
func (addressError) Is(target error) bool { return target == ErrAddress }

// parse tells the engine of dsn and what to give it.
func parse(dsn string) (kind, target string, err error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.TrimSpace(dsn) == "":
		return "", "", addressError{"no database given: a file path, sqlite:PATH or a postgres:// URL"}
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		// pgx knows the scheme in lower case only.
		scheme, rest, _ := strings.Cut(dsn, "://")
		return "postgres", strings.ToLower(scheme) + "://" + rest, nil
	case strings.HasPrefix(lower, "sqlite:"):
		path := dsn[len("sqlite:"):]
		// sqlite:///var/lib/x.db is the URL form of sqlite:/var/lib/x.db.
		if strings.HasPrefix(path, "///") {
			path = path[2:]
		}
		if path == "" {
			return "", "", addressError{"sqlite: no path after sqlite: in the database address"}
		}
		return "sqlite", path, nil
	case scheme.MatchString(dsn):
		s, _, _ := strings.Cut(dsn, "://")
		return "", "", addressError{fmt.Sprintf("unsupported database %q: use a file path, sqlite:PATH or a postgres:// URL", s+"://…")}
	}
	return "sqlite", dsn, nil
}

// Redact returns dsn with its password, if any, replaced by xxxxx: what a
// log line or a message may show of a --db value. Only the password field
// of the URL and a password= query parameter are masked, where they stand:
// a password that also spells part of the host or the database name (say
// "p" in "postgres") leaves those as they are.
func Redact(dsn string) string {
	spans := passwordSpans(dsn)
	for i := len(spans) - 1; i >= 0; i-- {
		dsn = dsn[:spans[i][0]] + "xxxxx" + dsn[spans[i][1]:]
	}
	return dsn
}

// passwordSpans returns where the password of a URL is written, in order:
// the userinfo's password, then each password= query parameter's value. It
// reads the text the way net/url does (the userinfo ends at the last @ of
// the authority) but also when the URL does not parse, so that a typo does
// not print the password either.
func passwordSpans(dsn string) [][2]int {
	m := scheme.FindStringIndex(dsn)
	if m == nil {
		return nil
	}
	var spans [][2]int
	start := m[1]
	end := len(dsn)
	if i := strings.IndexAny(dsn[start:], "?#"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndexByte(dsn[start:end], '@'); at >= 0 {
		if colon := strings.IndexByte(dsn[start:start+at], ':'); colon >= 0 && colon+1 < at {
			spans = append(spans, [2]int{start + colon + 1, start + at})
		}
	}
	if end < len(dsn) && dsn[end] == '?' {
		q := end + 1
		qEnd := len(dsn)
		if i := strings.IndexByte(dsn[q:], '#'); i >= 0 {
			qEnd = q + i
		}
		for pos := q; pos <= qEnd; {
			next := qEnd
			if i := strings.IndexByte(dsn[pos:qEnd], '&'); i >= 0 {
				next = pos + i
			}
			if k, v, ok := strings.Cut(dsn[pos:next], "="); ok && v != "" {
				if name, err := url.QueryUnescape(k); err == nil && strings.EqualFold(name, "password") {
					spans = append(spans, [2]int{next - len(v), next})
				}
			}
			pos = next + 1
		}
	}
	return spans
}

// passwords returns the password of a URL as written and as decoded: the
// strings an error from a driver may quote, masked wherever they appear in
// its text (an error may quote them anywhere, so there a short password
// masks more than it needs to).
func passwords(dsn string) []string {
	var out []string
	for _, sp := range passwordSpans(dsn) {
		pw := dsn[sp[0]:sp[1]]
		out = append(out, pw)
		if dec, err := url.QueryUnescape(pw); err == nil && dec != pw && dec != "" {
			out = append(out, dec)
		}
	}
	return out
}

// scrub keeps err's meaning (errors.Is still works) and masks dsn's
// password in its text.
func scrub(err error, dsn string) error {
	pws := passwords(dsn)
	msg := err.Error()
	clean := msg
	for _, pw := range pws {
		clean = strings.ReplaceAll(clean, pw, "xxxxx")
	}
	if clean == msg {
		return err
	}
	e := &scrubbed{msg: clean}
	for _, sentinel := range []error{store.ErrUnavailable, store.ErrNotFound, store.ErrExists, context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, sentinel) {
			e.kind = sentinel
			break
		}
	}
	return e
}

// scrubbed is an error whose text had a password; it keeps only the masked
// text and the sentinel callers decide on, not the original error.
type scrubbed struct {
	msg  string
	kind error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.kind }

// DefaultPath is the database file when none is given:
// $XDG_DATA_HOME/smartradexd/smartradexd.db, where XDG_DATA_HOME defaults to
// ~/.local/share (and must be absolute to count, as the XDG spec says).
func DefaultPath(getenv func(string) string) (string, error) {
	dir := getenv("XDG_DATA_HOME")
	if dir == "" || !filepath.IsAbs(dir) {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("no data directory: neither XDG_DATA_HOME nor HOME is set; give --db")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "smartradexd", "smartradexd.db"), nil
}
