package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

const (
	token      = "srx_tok_Zk3QmT9vLp2WcX8nR4yB6uHd1sJf0aGe"
	otherToken = "srx_tok_OTHERaccount00000000000000000000"
	apiKey     = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	apiKey2    = "wnQVAF7nw0TE6WOIl5ImXGtPs7bLF3awtx1NvJhxDJQz7vuJdp25z8Kv02evFi9B"
	secret     = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
)

var reg = KeyRegistration{APIKey: apiKey, APISecret: secret, KeyType: "HMAC", Label: "SmartradeX BTC Spot"}

// sleeps records the waits the client asks for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) list() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// logBuf is a --debug sink.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type fixture struct {
	svc    *servicetest.Server
	url    string
	sleeps *sleeps
	log    *logBuf
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	svc := servicetest.New()
	svc.AddAccount(token, "ada@example.com", []string{"btc-spot"})
	svc.AddAccount(otherToken, "bob@example.com", []string{"btc-spot", "eth-spot"})
	ts := httptest.NewServer(svc.Handler())
	t.Cleanup(func() { svc.Close(); ts.Close() })
	return &fixture{svc: svc, url: ts.URL, sleeps: &sleeps{}, log: &logBuf{}}
}

func (f *fixture) client(t *testing.T, mod ...func(*Options)) *Client {
	t.Helper()
	opts := Options{BaseURL: f.url, Token: token, Sleep: f.sleeps.sleep, Log: f.log.logf,
		HTTP: httpx.NewClient(5 * time.Second), UserAgent: "smartradex/test"}
	for _, m := range mod {
		m(&opts)
	}
	c, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func withToken(tok string) func(*Options) { return func(o *Options) { o.Token = tok } }

func appErr(t *testing.T, err error) *apperr.Error {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *apperr.Error", err, err)
	}
	return e
}

// rendered is everything a user or a log could see of err, in both languages.
func rendered(err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v\n%+v\n%#v\n", err, err, err)
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, l := range i18n.Langs {
			b.WriteString(l.Render(e.Message) + "\n")
			for _, h := range e.Hints {
				b.WriteString(l.Render(h) + "\n")
			}
		}
		for c := e.Err; c != nil; c = errors.Unwrap(c) {
			fmt.Fprintf(&b, "%v\n%#v\n", c, c)
		}
	}
	return b.String()
}

func TestAgainstReference(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	ctx := context.Background()

	me, err := c.Me(ctx)
	if err != nil {
		t.Fatalf("Me: %v", err)
	}
	if me.Email != "ada@example.com" || len(me.Bots) != 1 || me.Bots[0] != "btc-spot" {
		t.Errorf("Me = %+v", me)
	}

	got, err := c.PutKey(ctx, "btc-spot", reg)
	if err != nil {
		t.Fatalf("PutKey: %v", err)
	}
	if got.Bot != "btc-spot" || got.APIKey != apiKey || got.Status != servicetest.StatusActive || got.RegisteredAt.IsZero() {
		t.Errorf("PutKey = %+v", got)
	}
	st, ok := f.svc.Registration("btc-spot")
	if !ok || st.APISecret != secret || st.KeyType != "HMAC" || st.Label != reg.Label || st.Email != "ada@example.com" {
		t.Errorf("service holds %+v, %v", st, ok)
	}

	again, err := c.PutKey(ctx, "btc-spot", reg)
	if err != nil || !again.RegisteredAt.Equal(got.RegisteredAt) {
		t.Errorf("PutKey again = %+v, %v; want the same registered_at %v", again, err, got.RegisteredAt)
	}

	read, err := c.GetKey(ctx, "btc-spot")
	if err != nil || read.APIKey != apiKey || !read.RegisteredAt.Equal(got.RegisteredAt) {
		t.Errorf("GetKey = %+v, %v", read, err)
	}

	if err := c.DeleteKey(ctx, "btc-spot"); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if _, ok := f.svc.Registration("btc-spot"); ok {
		t.Error("the registration survived DeleteKey")
	}
	_, err = c.GetKey(ctx, "btc-spot")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("GetKey after delete = %v, want ErrNotFound", err)
	}
	if err := c.DeleteKey(ctx, "btc-spot"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteKey again = %v, want ErrNotFound", err)
	}

	vaultGets := 0
	for _, r := range f.svc.Requests() {
		want := token
		if r.Path == "/v1/vault-key" {
			// Public: the token is not sent where it is not needed.
			want = ""
			vaultGets++
		}
		if r.Token != want || r.UserAgent != "smartradex/test" {
			t.Errorf("%s %s carried token %q, User-Agent %q", r.Method, r.Path, r.Token, r.UserAgent)
		}
	}
	if vaultGets != 1 {
		t.Errorf("the vault key was fetched %d times for two PUTs, want once", vaultGets)
	}
	if n := len(f.svc.Requests()); n != 8 {
		t.Errorf("%d requests sent, want 8 (no retries)", n)
	}
	if len(f.sleeps.list()) != 0 {
		t.Errorf("slept %v without any failure", f.sleeps.list())
	}
}

func TestDefaultUserAgentAndBaseURL(t *testing.T) {
	if DefaultBaseURL() != "https://api.smartradex.fr" {
		t.Errorf("DefaultBaseURL = %q", DefaultBaseURL())
	}
	c, err := New(Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != DefaultBaseURL() || !strings.HasPrefix(c.ua, "smartradex/") {
		t.Errorf("defaults: base %q, user agent %q", c.BaseURL(), c.ua)
	}
}

// TestReferenceRules checks the error mapping against the reference
// service's own answers.
func TestReferenceRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// bob holds apiKey for his eth-spot: ada cannot register it too.
	if _, err := f.client(t, withToken(otherToken)).PutKey(ctx, "eth-spot", reg); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		tok  string
		run  func(*Client) error
		kind apperr.Kind
		code string
		text string // in the English message
	}{
		{"bad token", "srx_tok_unknown_token_0000000000", func(c *Client) error { _, err := c.Me(ctx); return err },
			apperr.Rejected, "service.unauthorized", "access token"},
		{"not subscribed", token, func(c *Client) error { _, err := c.PutKey(ctx, "eth-spot", reg); return err },
			apperr.Rejected, "service.not_subscribed", "eth-spot"},
		{"key in use", token, func(c *Client) error { _, err := c.PutKey(ctx, "btc-spot", reg); return err },
			apperr.Refused, "service.key_in_use", "already registered for another bot"},
		{"bad key type", token, func(c *Client) error {
			r := reg
			r.APIKey, r.KeyType = apiKey2, "DSA"
			_, err := c.PutKey(ctx, "btc-spot", r)
			return err
		}, apperr.Refused, "service.invalid", "key_type must be HMAC, ED25519 or RSA"},
		{"short api key", token, func(c *Client) error {
			r := reg
			r.APIKey = "abc"
			_, err := c.PutKey(ctx, "btc-spot", r)
			return err
		}, apperr.Refused, "service.invalid", "64 letters and digits"},
		{"unknown bot", token, func(c *Client) error { _, err := c.GetKey(ctx, "doge-spot"); return err },
			apperr.Usage, "service.unknown_bot", "doge-spot"},
		{"nothing registered", token, func(c *Client) error { _, err := c.GetKey(ctx, "btc-spot"); return err },
			apperr.Unexpected, "service.not_registered", "btc-spot"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(f.client(t, withToken(tc.tok)))
			e := appErr(t, err)
			if e.Kind != tc.kind || e.Code != tc.code {
				t.Errorf("kind %d code %q, want %d %q (%v)", e.Kind, e.Code, tc.kind, tc.code, err)
			}
			if msg := i18n.EN.Render(e.Message); !strings.Contains(msg, tc.text) {
				t.Errorf("message %q does not contain %q", msg, tc.text)
			}
			if len(e.Hints) == 0 {
				t.Error("no hint says what to do next")
			}
		})
	}
}

// TestStatusMapping is the table of HTTP answers → exit code and code.
func TestStatusMapping(t *testing.T) {
	jsonErr := func(code, msg string) string {
		return fmt.Sprintf(`{"error":{"code":%q,"message":%q}}`, code, msg)
	}
	cases := []struct {
		name     string
		status   int
		body     string
		op       string // me, put, get, delete
		kind     apperr.Kind
		code     string
		notFound bool
		attempts int
	}{
		{"401", 401, jsonErr("unauthorized", "expired"), "me", apperr.Rejected, "service.unauthorized", false, 1},
		{"401 without body", 401, "", "put", apperr.Rejected, "service.unauthorized", false, 1},
		{"403 not_subscribed", 403, jsonErr("not_subscribed", "no"), "put", apperr.Rejected, "service.not_subscribed", false, 1},
		{"403 other", 403, jsonErr("suspended", "account suspended"), "put", apperr.Rejected, "service.forbidden", false, 1},
		{"403 on me", 403, jsonErr("not_subscribed", "no"), "me", apperr.Rejected, "service.forbidden", false, 1},
		{"409 key_in_use", 409, jsonErr("key_in_use", "used by eth-spot"), "put", apperr.Refused, "service.key_in_use", false, 1},
		{"409 other", 409, jsonErr("locked", "try later"), "put", apperr.Refused, "service.conflict", false, 1},
		{"422", 422, jsonErr("invalid_request", "label too long"), "put", apperr.Refused, "service.invalid", false, 1},
		{"400", 400, "bad", "put", apperr.Refused, "service.invalid", false, 1},
		{"404 get", 404, jsonErr("not_found", "none"), "get", apperr.Unexpected, "service.not_registered", true, 1},
		{"404 delete no body", 404, "", "delete", apperr.Unexpected, "service.not_registered", true, 1},
		{"404 unknown_bot", 404, jsonErr("unknown_bot", "?"), "put", apperr.Usage, "service.unknown_bot", false, 1},
		{"404 on me (wrong base URL)", 404, "<html>Not Found</html>", "me", apperr.Unavailable, "service.bad_response", false, 1},
		{"404 on put", 404, jsonErr("not_found", "?"), "put", apperr.Unavailable, "service.bad_response", false, 1},
		{"302", 302, "", "put", apperr.Unavailable, "service.bad_response", false, 1},
		{"418", 418, "", "get", apperr.Unavailable, "service.bad_response", false, 1},
		{"429 without Retry-After", 429, jsonErr("rate_limited", "slow down"), "get", apperr.Unavailable, "service.unavailable", false, 3},
		{"500", 500, "", "put", apperr.Unavailable, "service.unavailable", false, 3},
		{"502 HTML", 502, "<html><body>Bad Gateway</body></html>", "me", apperr.Unavailable, "service.unavailable", false, 3},
		{"503", 503, jsonErr("unavailable", "maintenance"), "delete", apperr.Unavailable, "service.unavailable", false, 3},
		{"200 garbage", 200, `{"email": ` + "\x00", "me", apperr.Unavailable, "service.bad_response", false, 1},
		{"200 HTML", 200, "<!doctype html><title>Wi-Fi login</title>", "get", apperr.Unavailable, "service.bad_response", false, 1},
		{"200 empty object", 200, `{}`, "me", apperr.Unavailable, "service.bad_response", false, 1},
		{"200 wrong key", 200, `{"bot":"btc-spot","api_key":"` + apiKey2 + `","status":"active","registered_at":"2026-01-02T03:04:05Z"}`, "put", apperr.Unavailable, "service.bad_response", false, 1},
		{"200 wrong bot", 200, `{"bot":"eth-spot","api_key":"` + apiKey + `","status":"active","registered_at":"2026-01-02T03:04:05Z"}`, "get", apperr.Unavailable, "service.bad_response", false, 1},
		{"200 huge", 200, `{"email":"` + strings.Repeat("a", 2*maxBody) + `"}`, "me", apperr.Unavailable, "service.bad_response", false, 1},
		{"422 huge", 422, strings.Repeat("x", 2*maxBody), "put", apperr.Unavailable, "service.bad_response", false, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			fault := servicetest.Fault{Status: tc.status, Body: tc.body + " ", Path: "/v1/bots/btc-spot/binance-key"}
			switch tc.op {
			case "me":
				fault.Method, fault.Path = http.MethodGet, "/v1/me"
			case "put":
				fault.Method = http.MethodPut
			case "get":
				fault.Method = http.MethodGet
			case "delete":
				fault.Method = http.MethodDelete
			}
			f.svc.Inject(fault)
			c := f.client(t)
			ctx := context.Background()
			var err error
			switch tc.op {
			case "me":
				_, err = c.Me(ctx)
			case "put":
				_, err = c.PutKey(ctx, "btc-spot", reg)
			case "get":
				_, err = c.GetKey(ctx, "btc-spot")
			case "delete":
				err = c.DeleteKey(ctx, "btc-spot")
			}
			e := appErr(t, err)
			if e.Kind != tc.kind || e.Code != tc.code {
				t.Errorf("kind %d code %q, want %d %q (%v)", e.Kind, e.Code, tc.kind, tc.code, err)
			}
			if errors.Is(err, ErrNotFound) != tc.notFound {
				t.Errorf("errors.Is(err, ErrNotFound) = %v, want %v", !tc.notFound, tc.notFound)
			}
			if n := countRequests(f.svc, fault.Method, fault.Path); n != tc.attempts {
				t.Errorf("%d requests, want %d", n, tc.attempts)
			}
			if len(e.Hints) == 0 {
				t.Error("no hint")
			}
		})
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f := newFixture(t)
	f.svc.Inject(servicetest.Fault{Method: "PUT", Status: 429, Header: http.Header{"Retry-After": {"3"}}, Times: 1})
	got, err := f.client(t).PutKey(context.Background(), "btc-spot", reg)
	if err != nil || got.APIKey != apiKey {
		t.Fatalf("PutKey = %+v, %v", got, err)
	}
	if s := f.sleeps.list(); len(s) != 1 || s[0] != 3*time.Second {
		t.Errorf("slept %v, want [3s] as the server asked", s)
	}
	if n := countRequests(f.svc, http.MethodPut, ""); n != 2 {
		t.Errorf("%d PUTs, want 2", n)
	}
}

// countRequests counts the requests the service received with method
// and a path that starts with prefix.
func countRequests(s *servicetest.Server, method, prefix string) int {
	n := 0
	for _, r := range s.Requests() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func TestRetryAfterBeyondBudgetFailsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.svc.Inject(servicetest.Fault{Status: 503, Header: http.Header{"Retry-After": {"150"}}})
	_, err := f.client(t).PutKey(context.Background(), "btc-spot", reg)
	e := appErr(t, err)
	if e.Kind != apperr.Unavailable || e.Code != "service.unavailable" {
		t.Fatalf("got %d %q: %v", e.Kind, e.Code, err)
	}
	if s := f.sleeps.list(); len(s) != 0 {
		t.Errorf("slept %v; a wait beyond the budget must not be attempted", s)
	}
	text := rendered(err)
	if !strings.Contains(text, "3 min") || !strings.Contains(text, "keys sync") {
		t.Errorf("the error does not say when to retry and to run keys sync:\n%s", text)
	}
}

func TestRetryAfterBudgetIsCumulative(t *testing.T) {
	f := newFixture(t)
	f.svc.Inject(servicetest.Fault{Status: 429, Header: http.Header{"Retry-After": {"6"}}})
	_, err := f.client(t).Me(context.Background())
	if e := appErr(t, err); e.Code != "service.unavailable" {
		t.Fatalf("got %v", err)
	}
	// 6 s fits the 10 s budget once, not twice.
	if s := f.sleeps.list(); len(s) != 1 || s[0] != 6*time.Second {
		t.Errorf("slept %v, want [6s]", s)
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	cases := []struct {
		name  string
		fault servicetest.Fault
	}{
		{"503 then 200", servicetest.Fault{Status: 503, Times: 2}},
		{"connection reset", servicetest.Fault{Reset: true, Times: 1}},
		{"HTML 502 from a proxy", servicetest.Fault{Status: 502, Body: "<html>Bad Gateway</html>", Times: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.svc.Inject(tc.fault)
			got, err := f.client(t).PutKey(context.Background(), "btc-spot", reg)
			if err != nil || got.APIKey != apiKey {
				t.Fatalf("PutKey = %+v, %v", got, err)
			}
			if _, ok := f.svc.Registration("btc-spot"); !ok {
				t.Error("not registered")
			}
			b := httpx.DefaultBackoff
			for i, d := range f.sleeps.list() {
				if d <= 0 || d > b.Max {
					t.Errorf("sleep %d = %v, outside the backoff", i, d)
				}
			}
			if len(f.sleeps.list()) == 0 {
				t.Error("retried without backing off")
			}
		})
	}
}

func TestServiceDown(t *testing.T) {
	f := newFixture(t)
	f.svc.SetDown(true)
	_, err := f.client(t).PutKey(context.Background(), "btc-spot", reg)
	e := appErr(t, err)
	if e.Kind != apperr.Unavailable || e.Code != "service.unavailable" {
		t.Fatalf("got %d %q: %v", e.Kind, e.Code, err)
	}
	if n := len(f.svc.Requests()); n != httpx.DefaultBackoff.Attempts {
		t.Errorf("%d attempts, want %d", n, httpx.DefaultBackoff.Attempts)
	}
	if !strings.Contains(rendered(err), "keys sync") {
		t.Error("a failed PutKey does not point to keys sync")
	}
}

func TestSlowServiceTimesOut(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLatency(time.Minute) // ended by the client giving up, not by waiting
	_, err := f.client(t, func(o *Options) { o.HTTP = httpx.NewClient(50 * time.Millisecond) }).Me(context.Background())
	e := appErr(t, err)
	if e.Kind != apperr.Unavailable || e.Code != "service.unavailable" || !httpx.IsTimeout(err) {
		t.Fatalf("got %d %q timeout=%v: %v", e.Kind, e.Code, httpx.IsTimeout(err), err)
	}
	if n := len(f.sleeps.list()); n != httpx.DefaultBackoff.Attempts-1 {
		t.Errorf("%d backoffs, want %d", n, httpx.DefaultBackoff.Attempts-1)
	}
}

func TestCancelledDuringBackoff(t *testing.T) {
	f := newFixture(t)
	f.svc.Inject(servicetest.Fault{Method: http.MethodPut, Status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	c := f.client(t, func(o *Options) {
		o.Sleep = func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }
	})
	_, err := c.PutKey(ctx, "btc-spot", reg)
	e := appErr(t, err)
	if e.Kind != apperr.Cancelled || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %d %q: %v", e.Kind, e.Code, err)
	}
	if e.Message.Key != "service.cancelled_put" {
		t.Errorf("a cancelled PUT says %q; it must not claim nothing changed", e.Message.Key)
	}
}

func TestCallerDeadline(t *testing.T) {
	f := newFixture(t)
	f.svc.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.client(t).GetKey(ctx, "btc-spot")
	if e := appErr(t, err); e.Kind != apperr.Unavailable || e.Message.Key != "service.unavailable_deadline" {
		t.Fatalf("got %d %q: %v", e.Kind, e.Message.Key, err)
	}
}

func TestUntrustedCertificateIsNotRetried(t *testing.T) {
	svc := servicetest.New()
	ts := httptest.NewUnstartedServer(svc.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ts.StartTLS()
	defer ts.Close()
	s := &sleeps{}
	c, err := New(Options{BaseURL: ts.URL, Token: token, Sleep: s.sleep, HTTP: httpx.NewClient(5 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Me(context.Background())
	if e := appErr(t, err); e.Kind != apperr.Unavailable || e.Code != "service.tls" {
		t.Fatalf("got %d %q: %v", e.Kind, e.Code, err)
	}
	if len(s.list()) != 0 || len(svc.Requests()) != 0 {
		t.Errorf("retried an untrusted certificate: %d sleeps, %d requests", len(s.list()), len(svc.Requests()))
	}
}

func TestNewValidatesToken(t *testing.T) {
	cases := []struct {
		tok  string
		kind apperr.Kind
		code string
	}{
		{"", apperr.Rejected, "service.not_logged_in"},
		{"   \n", apperr.Rejected, "service.not_logged_in"},
		{"two words", apperr.Rejected, "service.bad_token"},
		{"tok\r\nX-Injected: 1", apperr.Rejected, "service.bad_token"},
		{"jeton-é", apperr.Rejected, "service.bad_token"},
	}
	for _, tc := range cases {
		_, err := New(Options{BaseURL: "http://127.0.0.1:1", Token: tc.tok})
		e := appErr(t, err)
		if e.Kind != tc.kind || e.Code != tc.code {
			t.Errorf("token %q: got %d %q", tc.tok, e.Kind, e.Code)
		}
		if tc.tok != "" && strings.TrimSpace(tc.tok) != "" && strings.Contains(rendered(err), strings.TrimSpace(tc.tok)) {
			t.Errorf("the error quotes the token %q", tc.tok)
		}
	}
	if _, err := New(Options{BaseURL: "http://127.0.0.1:1", Token: " " + token + "\n"}); err != nil {
		t.Errorf("a token with surrounding blanks (a pasted line) is refused: %v", err)
	}
}

func TestBadBotIsRefusedBeforeAnyRequest(t *testing.T) {
	f := newFixture(t)
	c := f.client(t)
	for _, bot := range []string{"", "../me", "btc-spot/../../v1/me", "BTC-SPOT", "btc spot", "btc-spot?x=1"} {
		_, err := c.GetKey(context.Background(), bot)
		if e := appErr(t, err); e.Kind != apperr.Usage || e.Code != "service.bad_bot" {
			t.Errorf("bot %q: got %d %q", bot, e.Kind, e.Code)
		}
	}
	if n := len(f.svc.Requests()); n != 0 {
		t.Errorf("%d requests sent for malformed bots", n)
	}
}

// dialRecorder is an HTTP client that records every connection attempt.
type dialRecorder struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialRecorder) client() *http.Client {
	t := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d.mu.Lock()
			d.addrs = append(d.addrs, addr)
			d.mu.Unlock()
			if host, _, _ := net.SplitHostPort(addr); !httpx.IsLoopbackHost(host) {
				return nil, errors.New("test: refusing to dial " + addr)
			}
			return (&net.Dialer{Timeout: 2 * time.Second}).DialContext(ctx, network, addr)
		},
	}
	return &http.Client{Transport: t, Timeout: 5 * time.Second}
}

func (d *dialRecorder) list() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.addrs...)
}

func TestPlainHTTPToNonLoopbackIsRefusedBeforeAnyConnection(t *testing.T) {
	bad := []string{
		"http://api.smartradex.fr",
		"http://10.1.2.3:8080",
		"http://192.168.1.10",
		"http://[2001:db8::1]:80",
		"http://127.0.0.1.evil.example",
		"http://localhost.evil.example",
		"http://user:hunter2pass@127.0.0.1:9",
		"https://user:hunter2pass@api.smartradex.fr",
		"ftp://api.smartradex.fr",
		"api.smartradex.fr",
	}
	for _, raw := range bad {
		d := &dialRecorder{}
		c, err := New(Options{BaseURL: raw, Token: token, HTTP: d.client()})
		if c != nil || err == nil {
			t.Errorf("New(%q) accepted", raw)
			continue
		}
		e := appErr(t, err)
		if e.Kind != apperr.Usage || e.Code != "service.bad_url" {
			t.Errorf("New(%q): got %d %q", raw, e.Kind, e.Code)
		}
		if text := rendered(err); strings.Contains(text, "hunter2pass") || strings.Contains(text, token) {
			t.Errorf("New(%q): the error shows a credential:\n%s", raw, text)
		}
		if got := d.list(); len(got) != 0 {
			t.Errorf("New(%q) dialled %v", raw, got)
		}
	}

	// The same recorder does see connections to an accepted address, so the
	// checks above can fail.
	f := newFixture(t)
	d := &dialRecorder{}
	c, err := New(Options{BaseURL: f.url, Token: token, HTTP: d.client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Me(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(d.list()) == 0 {
		t.Fatal("the dial recorder saw nothing: it proves nothing")
	}
}

// A service that redirects a PUT elsewhere must not get the secret or the
// token replayed to the new place.
func TestRedirectsAreNotFollowed(t *testing.T) {
	for _, target := range []string{"http://10.9.9.9/v1/bots/btc-spot/binance-key", "/elsewhere"} {
		var hits int
		var mu sync.Mutex
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits++
			mu.Unlock()
			if r.URL.Path == "/elsewhere" {
				t.Errorf("the redirect to %s was followed", target)
			}
			http.Redirect(w, r, target, http.StatusTemporaryRedirect)
		}))
		d := &dialRecorder{}
		c, err := New(Options{BaseURL: ts.URL, Token: token, HTTP: d.client(), Sleep: (&sleeps{}).sleep})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PutKey(context.Background(), "btc-spot", reg)
		ts.Close()
		if e := appErr(t, err); e.Code != "service.bad_response" {
			t.Errorf("redirect to %s: got %q: %v", target, e.Code, err)
		}
		for _, a := range d.list() {
			if host, _, _ := net.SplitHostPort(a); !httpx.IsLoopbackHost(host) {
				t.Errorf("redirect to %s: dialled %s", target, a)
			}
		}
		if hits != 1 {
			t.Errorf("redirect to %s: %d requests, want 1", target, hits)
		}
	}
}

// TestSecretsNeverLeak drives every kind of failure with --debug on and a
// service that echoes what it receives, and looks for the token and the
// secret in everything a user or a log could see.
func TestSecretsNeverLeak(t *testing.T) {
	pem := "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIBvMnQ5rEXAMPLEexampleEXAMPLEexample0000\n-----END PRIVATE KEY-----\n"
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			buf := new(bytes.Buffer)
			buf.ReadFrom(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			// The body and the Authorization header, control characters and
			// all, in the message.
			msg := strings.ReplaceAll(buf.String(), secret[:20], secret[:20]+"\x00") + " " + r.Header.Get("Authorization") + " " + secret + " " + pem
			fmt.Fprintf(w, `{"error":{"code":"invalid_request","message":%q}}`, msg)
		}
	}
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return "http://" + addr
	}()

	cases := []struct {
		name    string
		handler http.Handler
		url     string
		timeout time.Duration
		key     KeyRegistration
	}{
		{"422 echoing the body", echo(422), "", 0, reg},
		{"409 echoing the body", echo(409), "", 0, reg},
		{"403 echoing", echo(403), "", 0, reg},
		{"500 echoing", echo(500), "", 0, reg},
		{"PEM secret echoed", echo(422), "", 0, KeyRegistration{APIKey: apiKey, APISecret: pem, KeyType: "ED25519", Label: "x"}},
		{"connection refused (url.Error)", nil, closed, 0, reg},
		{"timeout (url.Error)", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets net/http notice the client hanging up.
			io.Copy(io.Discard, r.Body)
			<-r.Context().Done()
		}), "", 30 * time.Millisecond, reg},
		{"success", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"bot":"btc-spot","api_key":%q,"status":"active","registered_at":"2026-01-02T03:04:05Z"}`, apiKey)
		}), "", 0, reg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.url
			if tc.handler != nil {
				ts := httptest.NewServer(withVault(tc.handler))
				defer ts.Close()
				base = ts.URL
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			log := &logBuf{}
			c, err := New(Options{BaseURL: base, Token: token, Log: log.logf, Sleep: (&sleeps{}).sleep, HTTP: httpx.NewClient(timeout)})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.PutKey(context.Background(), "btc-spot", tc.key)
			seen := rendered(err) + log.String()
			if tc.name != "success" && err == nil {
				t.Fatal("no error")
			}
			if log.String() == "" {
				t.Error("nothing logged: the check proves nothing")
			}
			leaks := []string{token, tc.key.APISecret, "EXAMPLEexampleEXAMPLE"}
			if tc.key.APISecret == secret {
				leaks = append(leaks, secret[:20])
			}
			for _, s := range leaks {
				if strings.Contains(seen, s) {
					t.Errorf("%q leaked in:\n%s", s, seen)
				}
			}
		})
	}
}

func TestKeyRegistrationNeverPrintsTheSecret(t *testing.T) {
	r := reg
	type wrapper struct {
		Reg KeyRegistration
		Ptr *KeyRegistration
	}
	outs := []string{
		fmt.Sprint(r), fmt.Sprintf("%v %+v %#v %s %q %x %X %d", r, r, r, r, r, r, r, r),
		fmt.Sprintf("%v %+v %#v", &r, &r, &r),
		fmt.Sprintf("%v %+v %#v", []KeyRegistration{r}, map[string]KeyRegistration{"k": r}, wrapper{r, &r}),
		r.String(), r.GoString(),
		fmt.Errorf("wrapped: %v", r).Error(),
	}
	for _, o := range outs {
		if strings.Contains(o, secret) || strings.Contains(o, secret[:12]) {
			t.Errorf("secret printed: %s", o)
		}
	}
	if !strings.Contains(r.String(), "[REDACTED]") || !strings.Contains(r.String(), "vmPU…Eh8A") {
		t.Errorf("String() = %q, want the masked key and a redaction mark", r.String())
	}
}
