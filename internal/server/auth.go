package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

type ctxKey int

const (
	principalKey ctxKey = iota
	requestIDKey
	clientKey
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
//
// A failed authentication (no token, an unknown or revoked one) takes from
// the client address's bucket of failures, and once that is empty the
// address is answered 429 before any lookup, even with a valid token: that is what
// keeps a flood of guessed tokens from costing a store lookup each.
func authenticated[T any](s *Server, lookup func(context.Context, []byte) (T, error), limitKey func(T) string,
	next func(http.ResponseWriter, *http.Request, T)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.heldBack(w) {
			return
		}
		tok := bearer(r)
		if tok == "" {
			s.authFailed(w, r)
			return
		}
		if !s.addressNotEmpty(w, r) {
			return
		}
		who, err := lookup(r.Context(), HashToken(tok))
		if errors.Is(err, store.ErrNotFound) {
			s.authFailed(w, r)
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

// authFailed answers a request without a valid token: 401, or 429 once
// its address has used up its bucket.
func (s *Server) authFailed(w http.ResponseWriter, r *http.Request) {
	if s.addressLimit(w, r, authBucket) {
		unauthorized(w)
	}
}

// Why a request was answered 429, for the metrics.
const (
	limitedToken   = "token"   // the credential's bucket
	limitedAddress = "address" // the client address's bucket
	limitedChecks  = "checks"  // the process's budget of checks with Binance
)

func (s *Server) rateLimit(w http.ResponseWriter, id string) bool {
	ok, wait := s.limiter.allow(id)
	if !ok {
		s.tooMany(w, limitedToken, wait)
	}
	return ok
}

// An address has two buckets of Config.AddressLimit's size: one for the
// public endpoints, one for failed authentications, so that reading the
// public endpoints never keeps a valid token out.
const (
	publicBucket = "public "
	authBucket   = "auth "
)

// addressLimit takes one request from the kind bucket of r's client
// address; when it is empty it answers 429 and returns false.
func (s *Server) addressLimit(w http.ResponseWriter, r *http.Request, kind string) bool {
	if s.addrLimiter == nil {
		return true
	}
	ok, wait := s.addrLimiter.allow(kind + clientFrom(r.Context()).bucket())
	if !ok {
		s.tooMany(w, limitedAddress, wait)
	}
	return ok
}

// addressNotEmpty answers 429, without taking from it, when the failed
// authentications' bucket of r's client address is empty.
func (s *Server) addressNotEmpty(w http.ResponseWriter, r *http.Request) bool {
	if s.addrLimiter == nil {
		return true
	}
	empty, wait := s.addrLimiter.empty(authBucket + clientFrom(r.Context()).bucket())
	if empty {
		s.tooMany(w, limitedAddress, wait)
	}
	return !empty
}

// limitedByAddress serves the endpoints without a token (and the answers
// to unknown paths and methods) within the client address's bucket.
func (s *Server) limitedByAddress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.addressLimit(w, r, publicBucket) {
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) tooMany(w http.ResponseWriter, reason string, wait time.Duration) {
	s.metrics.limited(reason)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many requests, try again later")
}
