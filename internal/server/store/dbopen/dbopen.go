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

// parse tells the engine of dsn and what to give it.
func parse(dsn string) (kind, target string, err error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.TrimSpace(dsn) == "":
		return "", "", errors.New("no database given: a file path, sqlite:PATH or a postgres:// URL")
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
			return "", "", errors.New("sqlite: no path after sqlite: in the database address")
		}
		return "sqlite", path, nil
	case scheme.MatchString(dsn):
		s, _, _ := strings.Cut(dsn, "://")
		return "", "", fmt.Errorf("unsupported database %q: use a file path, sqlite:PATH or a postgres:// URL", s+"://…")
	}
	return "sqlite", dsn, nil
}

// Redact returns dsn with its password, if any, replaced by xxxxx: what a
// log line or a message may show of a --db value.
func Redact(dsn string) string {
	for _, pw := range passwords(dsn) {
		dsn = strings.ReplaceAll(dsn, pw, "xxxxx")
	}
	return dsn
}

var userinfo = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://[^/@?#]*?:([^@/?#]*)@`)

// passwords finds the password of a URL, as written and as decoded, also
// when the URL does not parse (a typo must not print it either).
func passwords(dsn string) []string {
	var out []string
	add := func(pw string) {
		if pw != "" {
			out = append(out, pw)
			if dec, err := url.QueryUnescape(pw); err == nil && dec != pw {
				out = append(out, dec)
			}
		}
	}
	if m := userinfo.FindStringSubmatch(dsn); m != nil {
		add(m[1])
	}
	if u, err := url.Parse(dsn); err == nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		for k, vs := range u.Query() {
			if strings.EqualFold(k, "password") {
				for _, v := range vs {
					add(v)
				}
			}
		}
	} else if _, q, ok := strings.Cut(dsn, "?"); ok {
		for _, kv := range strings.Split(q, "&") {
			if k, v, ok := strings.Cut(kv, "="); ok && strings.EqualFold(k, "password") {
				add(v)
			}
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
