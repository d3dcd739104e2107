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
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.heldBack(w) {
			return
		}
		tok := bearer(r)
		if tok == "" {
			unauthorized(w)
			return
		}
		p, err := s.store.Authenticate(r.Context(), HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			unauthorized(w)
			return
		}
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		if !s.rateLimit(w, "s:"+strconv.FormatInt(p.TokenID, 10)) {
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// engine lets through requests whose token is an engine token.
func (s *Server) engine(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.heldBack(w) {
			return
		}
		tok := bearer(r)
		if tok == "" {
			unauthorized(w)
			return
		}
		name, err := s.store.AuthenticateEngine(r.Context(), HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			unauthorized(w)
			return
		}
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		if !s.rateLimit(w, "e:"+name) {
			return
		}
		next.ServeHTTP(w, r)
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
