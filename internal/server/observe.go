package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// observe wraps every request: a request ID, the client address (once, in
// the context, for the limits and the audit trail), one log line, the
// metrics, and a 500 instead of a dropped connection when a handler panics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		c := clientOf(r, s.cfg.TrustedProxies)
		ctx := withClient(context.WithValue(r.Context(), requestIDKey, id), c)
		ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		if c.ignored && !s.forwardIgnored.Swap(true) {
			// Once per process: a reverse proxy left out of
			// --trusted-proxies, or a client trying its luck.
			s.log.LogAttrs(ctx, slog.LevelWarn, "forwarded header from a peer not trusted ignored; if it is your reverse proxy, add it to --trusted-proxies",
				slog.String("peer", c.String()))
		}
		sw := &StatusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
					panic(v)
				}
				// The value may quote anything the handler held: it is not logged.
				s.log.LogAttrs(r.Context(), slog.LevelError, "handler panic", requestIDAttr(r.Context()), routeAttr(r))
				if sw.Status == 0 {
					writeError(sw, http.StatusInternalServerError, CodeInternal, "the service failed")
				}
			}
			status := sw.Status
			if status == 0 {
				status = http.StatusOK
			}
			d := time.Since(start)
			route := routeLabel(r)
			s.metrics.observe(route, status, d)
			s.log.LogAttrs(r.Context(), levelFor(status), "request",
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.Int("status", status),
				slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("request_id", id),
				slog.String("client", c.String()))
		}()
		next.ServeHTTP(sw, r)
	})
}

// routeLabel is the matched pattern without its method, bounded in number:
// never the path, which may carry anything.
func routeLabel(r *http.Request) string {
	p := r.Pattern
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	if p == "" || p == "/" {
		return "unmatched"
	}
	return p
}

func routeAttr(r *http.Request) slog.Attr { return slog.String("route", routeLabel(r)) }

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelInfo
}

func newRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func requestIDAttr(ctx context.Context) slog.Attr {
	id, _ := ctx.Value(requestIDKey).(string)
	return slog.String("request_id", id)
}

// errAttr is an error's text fit for the log. A database driver may quote
// a row in its errors, so besides the values of scrub, anything that looks
// like a key, a token, a sealed secret (a run of 16 or more letters, digits
// or base64 characters) or an e-mail address is masked.
func errAttr(err error, scrub ...string) slog.Attr {
	msg := err.Error()
	for _, v := range scrub {
		if len(v) >= 4 {
			msg = strings.ReplaceAll(msg, v, MaskAPIKey(v))
		}
	}
	msg = secretLike().ReplaceAllStringFunc(msg, func(m string) string {
		if strings.Contains(m, "@") {
			return "…@…"
		}
		return MaskAPIKey(m)
	})
	return slog.String("error", msg)
}

// secretLike matches what errAttr masks. It is compiled on first use: the
// sandbox links this package into smartradex, whose start-up should not pay
// for it.
var secretLike = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`[^\s<>()"',;]*@[^\s<>()"',;]+|[A-Za-z0-9+/=_-]{16,}`)
})

// StatusWriter records the status of the answer it passes on (200 when the
// handler wrote a body without one): for the request log, the metrics and
// the test stand-in's request record.
type StatusWriter struct {
	http.ResponseWriter
	Status int // the status sent, 0 until the answer starts
}

func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
