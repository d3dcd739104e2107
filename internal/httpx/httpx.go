// Package httpx holds what the Binance and SmartradeX clients share about
// HTTP: the one hardened client credentials travel through (Secure), bounded
// reads, Retry-After, backoff, loopback detection and a redacting debug log.
package httpx

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/safetext"
)

// NewClient returns an *http.Client with an overall timeout. Its transport is
// a clone of Go's default one, so HTTPS_PROXY, HTTP_PROXY and NO_PROXY are
// honoured exactly as Go's tools honour them, TLS is verified, and only
// HTTP/1.1 is spoken (see HTTP1Only). A client that sends credentials must
// still go through Secure.
func NewClient(timeout time.Duration) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyFromEnvironment
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ResponseHeaderTimeout = timeout
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Timeout: timeout, Transport: HTTP1Only(t)}
}

// SecureOptions describe the one client through which credentials travel.
type SecureOptions struct {
	Base    *url.URL      // a base URL accepted by CheckBaseURL
	HTTP    *http.Client  // nil = NewClient(Timeout); its transport is copied, never changed
	Timeout time.Duration // for a nil HTTP
	MaxBody int64         // > 0: a response body longer than this fails with ErrTooLarge
	Log     Logf          // --debug sink; nil = off
}

// Secure returns the client every request carrying a key, a signature, a
// token or a secret goes through (Binance, the SmartradeX service, doctor's
// probe), so that its rules are built in this one place:
//   - redirects are never followed (one would carry the headers, or replay a
//     PUT body, to wherever the Location points);
//   - HTTP/1.1 only: Go's HTTP/2 code prints every header and body it
//     handles when GODEBUG=http2debug is set, past any redactor;
//   - plain http goes to loopback only, and never through a proxy;
//   - response bodies are capped;
//   - transport errors read as clean text (a certificate's names, chosen by
//     whoever runs the server, are quoted raw in Go's TLS errors);
//   - the debug log names method, host, path, status and time, nothing else.
func Secure(o SecureOptions) *http.Client {
	hc := o.HTTP
	if hc == nil {
		hc = NewClient(o.Timeout)
	}
	own := *hc
	rt := HTTP1Only(own.Transport)
	if o.Base != nil && o.Base.Scheme == "http" {
		rt = LoopbackOnly(rt)
	}
	if o.MaxBody > 0 {
		rt = &capTransport{base: rt, max: o.MaxBody}
	}
	rt = cleanErrors{rt}
	if o.Log != nil {
		rt = &LoggingTransport{Base: rt, Log: o.Log}
	}
	own.Transport = rt
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &own
}

// HTTP1Only returns a copy of rt (nil means http.DefaultTransport) that
// speaks HTTP/1.1 only, over TLS too: HTTP/2 is neither offered in ALPN nor
// configured, so Go's HTTP/2 debug logger (GODEBUG=http2debug=1 prints
// headers, =2 bodies) never runs on these connections. A RoundTripper that
// is not an *http.Transport cannot be made so, and every request through
// the result fails with ErrNotHardened.
func HTTP1Only(rt http.RoundTripper) http.RoundTripper {
	t, refused := cloned(rt, ErrNotHardened)
	if refused != nil {
		return refused
	}
	t.ForceAttemptHTTP2 = false
	// A non-nil empty map is Go's documented switch that turns HTTP/2 off.
	t.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	var p http.Protocols
	p.SetHTTP1(true)
	t.Protocols = &p
	if t.TLSClientConfig != nil {
		cfg := t.TLSClientConfig.Clone()
		protos := cfg.NextProtos[:0:0]
		for _, np := range cfg.NextProtos {
			if np != "h2" {
				protos = append(protos, np)
			}
		}
		cfg.NextProtos = protos
		t.TLSClientConfig = cfg
	}
	return t
}

// cleanErrors makes the text of every transport error safe to print:
// Go's own errors quote what the server sent in places (the names in its
// certificate, for one: "certificate is valid for …"). The error is kept
// underneath, for errors.Is and errors.As.
type cleanErrors struct{ base http.RoundTripper }

func (t cleanErrors) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, &CleanError{err: err}
	}
	return resp, nil
}

// CleanError is an error whose text went through safetext.Clean.
type CleanError struct{ err error }

func (e *CleanError) Error() string { return safetext.Clean(e.err.Error(), 500) }
func (e *CleanError) Unwrap() error { return e.err }

// capTransport makes reading past max bytes of a body fail with
// ErrTooLarge, so that no caller can buffer an answer without bound.
type capTransport struct {
	base http.RoundTripper
	max  int64
}

func (t *capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &cappedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n + int(b.left), ErrTooLarge
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }

// ErrTooLarge is returned by ReadLimited when a body exceeds its cap.
var ErrTooLarge = errors.New("response body too large")

// ReadLimited reads at most max bytes of r and fails with ErrTooLarge past that.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > max {
		return data[:max], ErrTooLarge
	}
	return data, nil
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func ParseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(h); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// Backoff is a bounded retry schedule.
type Backoff struct {
	Attempts int           // total attempts, including the first
	Base     time.Duration // delay before the second attempt
	Max      time.Duration // cap of one delay
	Budget   time.Duration // the longest a server-requested wait (Retry-After) may be honoured
}

// DefaultBackoff is used by both remote clients: three attempts, 200 ms then
// 400 ms (with jitter), and at most 10 s of server-requested waiting.
var DefaultBackoff = Backoff{Attempts: 3, Base: 200 * time.Millisecond, Max: 2 * time.Second, Budget: 10 * time.Second}

// Delay returns the wait before attempt n (n >= 1 is the first retry).
func (b Backoff) Delay(n int) time.Duration {
	d := b.Base << (n - 1)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	// ±20 % jitter so that many scripted clients do not retry in step.
	j := time.Duration(float64(d) * (0.8 + 0.4*rand.Float64())) //nolint:gosec // jitter needs no unpredictability
	return j
}

// Sleep waits d or until ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// IsLoopbackHost reports whether host (no port) may be reached over plain
// http: exactly "localhost" (in any case, without a trailing dot) or a
// literal address in 127.0.0.0/8 or ::1. Nothing else, because Go's proxy
// settings exempt only these forms, and a name such as x.localhost or
// "localhost." may go through a proxy or be resolved by DNS to any address.
func IsLoopbackHost(host string) bool {
	_, ok := canonicalLoopback(host)
	return ok
}

// canonicalLoopback returns the canonical spelling of a loopback host:
// "localhost", or the IP address as Go prints it (bracketed for IPv6).
func canonicalLoopback(host string) (string, bool) {
	if strings.EqualFold(host, "localhost") {
		return "localhost", true
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if ip == nil || !ip.IsLoopback() {
		return "", false
	}
	if ip.To4() != nil {
		return ip.To4().String(), true
	}
	return "[" + ip.String() + "]", true
}

// URLProblem says why CheckBaseURL refused a base URL, so that each caller
// can tell the user what to correct in their own words.
type URLProblem int

const (
	// URLNotAbsolute: not an absolute http:// or https:// URL.
	URLNotAbsolute URLProblem = iota + 1
	// URLCredentials: the URL carries a user name or a password.
	URLCredentials
	// URLPlainHTTP: plain http:// to a host that is not loopback.
	URLPlainHTTP
)

// URLError is CheckBaseURL's refusal. URL is the value made safe to quote
// (see SafeURL).
type URLError struct {
	Problem URLProblem
	URL     string
}

func (e *URLError) Error() string {
	switch e.Problem {
	case URLCredentials:
		return fmt.Sprintf("%q must not carry credentials", e.URL)
	case URLPlainHTTP:
		return fmt.Sprintf("%q uses plain http to a host that is not loopback; only https is allowed there", e.URL)
	default:
		// Not an address at all: maybe something pasted in the wrong
		// place, so it is not quoted back.
		return "the value given is not an absolute http(s) URL"
	}
}

// CheckBaseURL validates a base URL to which credentials will be sent: it must
// be absolute https, or http on a loopback host (see IsLoopbackHost), which
// is then spelt canonically. It is called before any connection is opened;
// an http base URL must also be used with a LoopbackOnly transport. A
// refusal is a *URLError.
func CheckBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, &URLError{Problem: URLNotAbsolute, URL: SafeURL(raw)}
	}
	if u.User != nil {
		return nil, &URLError{Problem: URLCredentials, URL: SafeURL(raw)}
	}
	if u.Scheme == "http" {
		host, ok := canonicalLoopback(u.Hostname())
		if !ok {
			return nil, &URLError{Problem: URLPlainHTTP, URL: SafeURL(raw)}
		}
		if port := u.Port(); port != "" {
			host += ":" + port
		}
		u.Host = host
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// LoopbackOnly returns the transport to use with a plain-http base URL: a
// copy of rt (nil means http.DefaultTransport) that never uses a proxy,
// whatever HTTP_PROXY says, and that connects only to loopback addresses,
// checked after name resolution. A RoundTripper that is not an
// *http.Transport cannot be made so, and every request through the result
// fails.
func LoopbackOnly(rt http.RoundTripper) http.RoundTripper {
	t, refused := cloned(rt, ErrNotLoopback)
	if refused != nil {
		return refused
	}
	t.Proxy = nil
	t.DialTLSContext = nil
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	t.DialContext = loopbackDial(dial)
	return t
}

// ErrNotLoopback is returned by a LoopbackOnly transport asked to connect
// elsewhere than this computer.
var ErrNotLoopback = errors.New("plain http is only allowed to a loopback address")

// ErrNotHardened is returned by a transport HTTP1Only could not restrict.
var ErrNotHardened = errors.New("this HTTP transport cannot be restricted to HTTP/1.1, so it is not used")

// refuseTransport fails every request with its error, sending nothing.
type refuseTransport struct{ err error }

func (t refuseTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	return nil, t.err
}

// loopbackDial resolves the host itself and hands dial only literal
// loopback addresses, so no later resolution can lead elsewhere.
func loopbackDial(dial func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return nil, err
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("%s: %w", host, ErrNotLoopback)
		}
		for _, ip := range ips {
			if !ip.IP.IsLoopback() {
				return nil, fmt.Errorf("%s resolves to %s: %w", host, ip.IP, ErrNotLoopback)
			}
		}
		var lastErr error
		for _, ip := range ips {
			conn, err := dial(ctx, network, net.JoinHostPort(ip.IP.String(), port))
			if err == nil {
				return conn, nil
			}
			lastErr = err
		}
		return nil, lastErr
	}
}

// userinfo is compiled on first use, not at every start of the CLI.
var userinfo = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(//)[^/@?#]*@`) })

// SafeURL returns raw fit to quote in a message: no user:password part, no
// query string and no fragment, even when raw does not parse.
func SafeURL(raw string) string {
	s := userinfo().ReplaceAllString(strings.TrimSpace(raw), "${1}…@")
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// Logf is a debug sink; nil discards.
type Logf func(format string, args ...any)

// LoggingTransport logs each request's method, host, path, status and time.
// It never logs query strings, headers or bodies: they carry signatures,
// API keys, tokens and secrets.
type LoggingTransport struct {
	Base http.RoundTripper
	Log  Logf
}

func (t *LoggingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	start := time.Now()
	resp, err := t.Base.RoundTrip(req)
	if t.Log != nil {
		target := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
		if err != nil {
			t.Log("http %s %s: error after %s: %v", req.Method, target, time.Since(start).Round(time.Millisecond), StripURLs(err))
		} else {
			t.Log("http %s %s: %d in %s", req.Method, target, resp.StatusCode, time.Since(start).Round(time.Millisecond))
		}
	}
	return resp, err
}

// StripURLs returns err with any *url.Error's URL reduced to scheme, host and
// path, so that a query string (a signature, a timestamp) never reaches a
// message or a log.
func StripURLs(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery, u.User, u.Fragment = "", nil, ""
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// IsTimeout reports whether err is a timeout of the network or of a deadline.
func IsTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// cloned is a copy of rt (nil: http.DefaultTransport) to restrict, or,
// when rt is not an *http.Transport and so cannot be restricted, a
// RoundTripper that fails every request with refusal.
func cloned(rt http.RoundTripper, refusal error) (*http.Transport, http.RoundTripper) {
	if rt == nil {
		rt = http.DefaultTransport
	}
	t, ok := rt.(*http.Transport)
	if !ok {
		return nil, refuseTransport{refusal}
	}
	return t.Clone(), nil
}
