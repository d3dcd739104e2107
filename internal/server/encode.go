package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/smartradex/smartradex/internal/server/store"
)

// The error codes of the contract, plus vault_key_changed.
const (
	CodeUnauthorized     = "unauthorized"
	CodeNotSubscribed    = "not_subscribed"
	CodeKeyInUse         = "key_in_use"
	CodeVaultKeyChanged  = "vault_key_changed"
	CodeInvalidRequest   = "invalid_request"
	CodeUnknownBot       = "unknown_bot"
	CodeNotFound         = "not_found"
	CodeNoSuchEndpoint   = "no_such_endpoint"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeRateLimited      = "rate_limited"
	CodeInternal         = "internal"
	CodeUnavailable      = "unavailable"
	// The service's checks of keys with Binance (IP-locked keys).
	CodeBinanceRejected    = "binance_rejected"
	CodeBinanceUnreachable = "binance_unreachable"
	CodeKeyRefused         = "key_refused"
)

// ErrorCodes lists every code the handler can send, for the contract tests.
func ErrorCodes() []string {
	return []string{CodeUnauthorized, CodeNotSubscribed, CodeKeyInUse, CodeVaultKeyChanged, CodeInvalidRequest,
		CodeUnknownBot, CodeNotFound, CodeNoSuchEndpoint, CodeMethodNotAllowed, CodeRateLimited, CodeInternal, CodeUnavailable,
		CodeBinanceRejected, CodeBinanceUnreachable, CodeKeyRefused}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// encode writes v as the JSON answer. It is marshalled first, so a value
// that cannot be encoded is a 500, not half an answer.
func encode(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"the answer could not be encoded"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	encode(w, status, b)
}

// retryAfterUnavailable is the wait suggested when the database is down.
const retryAfterUnavailable = 5

// storeFailed answers a store error: 503 unavailable when the database
// cannot be used or did not answer in time (nothing was written), 500
// otherwise. The error is logged
// with scrub's values masked, since a driver may quote them.
func (s *Server) storeFailed(w http.ResponseWriter, r *http.Request, err error, scrub ...string) {
	status, code, msg := http.StatusInternalServerError, CodeInternal, "the service failed"
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) {
		status, code, msg = http.StatusServiceUnavailable, CodeUnavailable, "the service is unavailable, try again in a few minutes"
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
	}
	s.log.LogAttrs(r.Context(), levelFor(status), "store error",
		requestIDAttr(r.Context()), routeAttr(r), errAttr(err, scrub...))
	writeError(w, status, code, msg)
}

// heldBack answers 503 while the server is held (see Hold); it reports
// whether it did.
func (s *Server) heldBack(w http.ResponseWriter) bool {
	if !s.held.Load() {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
	writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the service is unavailable, try again in a few minutes")
	return true
}

func methodNotAllowed(methods string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", methods)
		writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+r.Method+" is not allowed here; allowed: "+methods)
	})
}

func noSuchEndpoint() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, CodeNoSuchEndpoint, "no such endpoint")
	})
}
