package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/smartradex/smartradex/internal/server/store"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	requestIDKey
)

func principalFrom(ctx context.Context) store.Principal {
	p, _ := ctx.Value(principalKey).(store.Principal)
	return p
}

func unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="smartradex"`)
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the access token is invalid or has expired")
}

// subscriber lets through requests whose token is a live subscriber token
// (401 otherwise), within the token's rate limit (429).
func (s *Server) subscriber(next http.Handler) http.Handler {
	return authenticated(s, func(ctx context.Context, hash []byte) (store.Principal, error) {
		return s.store.Authenticate(ctx, hash)
	}, func(p store.Principal) string { return "s:" + strconv.FormatInt(p.TokenID, 10) },
		func(w http.ResponseWriter, r *http.Request, p store.Principal) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
		})
}

// engine lets through requests whose token is an engine token.
func (s *Server) engine(next http.Handler) http.Handler {
	return authenticated(s, func(ctx context.Context, hash []byte) (string, error) {
		return s.store.AuthenticateEngine(ctx, hash)
	}, func(name string) string { return "e:" + name },
		func(w http.ResponseWriter, r *http.Request, _ string) { next.ServeHTTP(w, r) })
}

// authenticated is the one gate of both credential kinds: a bearer token
// that lookup finds by its hash (401 otherwise, 503 when the store cannot
// say), within the rate limit of the credential limitKey names (429).
func authenticated[T any](s *Server, lookup func(context.Context, []byte) (T, error), limitKey func(T) string,
	next func(http.ResponseWriter, *http.Request, T)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.heldBack(w) {
			return
		}
		tok := bearer(r)
		if tok == "" {
			unauthorized(w)
			return
		}
		who, err := lookup(r.Context(), HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			unauthorized(w)
			return
		}
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		if !s.rateLimit(w, limitKey(who)) {
			return
		}
		next(w, r, who)
	})
}

func (s *Server) rateLimit(w http.ResponseWriter, id string) bool {
	ok, wait := s.limiter.allow(id)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests, try again later")
	}
	return ok
}
