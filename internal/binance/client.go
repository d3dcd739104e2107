// Package binance is smartradex's Binance client: it reads what an API key
// is allowed to do (the raw apiRestrictions body) and which account owns it,
// on top of github.com/adshao/go-binance, and turns every failure into an
// *apperr.Error that tells the user what to do.
package binance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	gobinance "github.com/adshao/go-binance/v2"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/safetext"
)

// DefaultBaseURL is Binance's REST API.
const DefaultBaseURL = "https://api.binance.com"

// MaxBody caps every response body read from Binance.
const MaxBody = 1 << 20

// maxMsg caps, in characters, Binance's msg quoted in one of our messages.
const maxMsg = 200

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	BaseURL    string                                     // default DefaultBaseURL; checked with httpx.CheckBaseURL
	HTTP       *http.Client                               // default httpx.NewClient(10*time.Second); hardened by httpx.Secure
	Log        httpx.Logf                                 // --debug sink (nil = off)
	Backoff    httpx.Backoff                              // default httpx.DefaultBackoff
	Sleep      func(context.Context, time.Duration) error // default httpx.Sleep
	RecvWindow time.Duration                              // default 5s
}

// Client talks to one Binance base URL. It is safe for concurrent use; the
// clock offset learnt from a -1021 is kept for later calls.
type Client struct {
	base       string
	http       *http.Client
	log        httpx.Logf
	backoff    httpx.Backoff
	sleep      func(context.Context, time.Duration) error
	recvWindow time.Duration
	now        func() time.Time

	mu     sync.Mutex
	offset int64 // milliseconds, local minus server, as go-binance's TimeOffset
}

// New checks the options and builds a Client. No connection is opened.
func New(opts Options) (*Client, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := httpx.CheckBaseURL(raw)
	if err != nil {
		return nil, apperr.Wrap(apperr.Usage, "binance.bad_url", err, i18n.M("binance.bad_url", urlProblem(err)), i18n.M("binance.bad_url_hint"))
	}
	if opts.Log != nil {
		// The two calls of Inspect run in parallel; a debug sink need not
		// be safe for concurrent use.
		var mu sync.Mutex
		inner := opts.Log
		opts.Log = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			inner(format, args...)
		}
	}
	own := httpx.Secure(httpx.SecureOptions{Base: u, HTTP: opts.HTTP, Timeout: 10 * time.Second, MaxBody: MaxBody, Log: opts.Log})
	own.Transport = &captureTransport{base: own.Transport}
	c := &Client{
		base:       u.String(),
		http:       own,
		log:        opts.Log,
		backoff:    opts.Backoff,
		sleep:      opts.Sleep,
		recvWindow: opts.RecvWindow,
		now:        time.Now,
	}
	if c.backoff.Attempts <= 0 {
		c.backoff = httpx.DefaultBackoff
	}
	if c.sleep == nil {
		c.sleep = httpx.Sleep
	}
	if c.recvWindow <= 0 {
		c.recvWindow = 5 * time.Second
	}
	if c.recvWindow > time.Minute {
		c.recvWindow = time.Minute
	}
	return c, nil
}

// urlProblem says in the user's language why CheckBaseURL refused a URL.
func urlProblem(err error) i18n.Message {
	var ue *httpx.URLError
	if !errors.As(err, &ue) {
		return i18n.M("binance.url_not_absolute")
	}
	switch ue.Problem {
	case httpx.URLCredentials:
		return i18n.M("binance.url_credentials", ue.URL)
	case httpx.URLPlainHTTP:
		return i18n.M("binance.url_plain_http", ue.URL)
	default:
		// Not an address at all: maybe something pasted in the wrong
		// place, so it is not quoted back.
		return i18n.M("binance.url_not_absolute")
	}
}

// BaseURL is the validated base URL.
func (c *Client) BaseURL() string { return c.base }

func (c *Client) logf(format string, args ...any) {
	if c.log != nil {
		c.log(format, args...)
	}
}

// goBinance returns a go-binance client for one set of credentials, wired
// to our HTTP client. Never Debug: it would log signed URLs and the key.
func (c *Client) goBinance(creds Credentials) *gobinance.Client {
	bc := gobinance.NewClient(creds.APIKey, creds.Secret)
	bc.KeyType = string(creds.Type)
	if bc.KeyType == "" {
		bc.KeyType = string(HMAC)
	}
	bc.BaseURL = c.base
	bc.HTTPClient = c.http
	bc.UserAgent = "smartradex"
	bc.Logger = log.New(io.Discard, "", 0)
	bc.Debug = false
	c.mu.Lock()
	bc.TimeOffset = c.offset
	c.mu.Unlock()
	return bc
}

// Inspection is what Binance says about a key.
type Inspection struct {
	Restrictions json.RawMessage // the raw body of /sapi/v1/account/apiRestrictions
	UID          int64           // /api/v3/account uid: the (sub-)account owning the key
	AccountType  string
	Resynced     bool // a -1021 or -1022 made us resync the clock
}

// Inspect reads the key's restrictions and its account in parallel. On
// -1021 (clock) or -1022 (signature) it resynchronises the clock with
// /api/v3/time and retries once, so that a -1022 that remains is really a
// secret that does not match the key.
func (c *Client) Inspect(ctx context.Context, creds Credentials) (*Inspection, error) {
	if creds.APIKey == "" || creds.Secret == "" {
		return nil, apperr.New(apperr.Usage, "binance.empty_credentials", i18n.M("binance.creds.key_empty"), i18n.M("binance.creds.key_empty_hint"))
	}
	bc := c.goBinance(creds)
	recv := gobinance.WithRecvWindow(c.recvWindow.Milliseconds())
	calls := []struct {
		name string
		do   func(context.Context) error
		body []byte
		err  error
		need bool
	}{
		{name: "apiRestrictions", need: true, do: func(ctx context.Context) error {
			_, err := bc.NewGetAPIKeyPermission().Do(ctx, recv)
			return err
		}},
		{name: "account", need: true, do: func(ctx context.Context) error {
			_, err := bc.NewGetAccountService().OmitZeroBalances(true).Do(ctx, recv)
			return err
		}},
	}
	resynced := false
	for {
		var wg sync.WaitGroup
		for i := range calls {
			if !calls[i].need {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				calls[i].body, calls[i].err = c.fetch(ctx, calls[i].name, calls[i].do)
			}()
		}
		wg.Wait()
		clock := false
		for i := range calls {
			calls[i].need = false
			if calls[i].err == nil {
				continue
			}
			if !resynced && isClockCode(calls[i].err) {
				calls[i].need, clock = true, true
				continue
			}
			return nil, c.explain(calls[i].err)
		}
		if !clock {
			break
		}
		if err := c.resync(ctx, bc); err != nil {
			return nil, err
		}
		resynced = true
	}

	uid, accountType, err := DecodeAccount(calls[1].body)
	if err != nil {
		return nil, badResponse(i18n.M("binance.why.no_uid"), err)
	}
	return &Inspection{
		Restrictions: json.RawMessage(calls[0].body),
		UID:          uid,
		AccountType:  accountType,
		Resynced:     resynced,
	}, nil
}

// ErrBadAccount is the cause of every refusal of DecodeAccount.
var ErrBadAccount = errors.New("malformed account answer")

// DecodeAccount reads the uid (and the account type) of an /api/v3/account
// answer strictly, because the uid decides the one-sub-account-per-bot
// rule: exactly one member named exactly "uid" (encoding/json would also
// take "UID" or "Uid", and the last of two), whose value is a positive
// integer written as one (not 0, not negative, not 1.0 or 1e3, not a
// string). Anything else is an error wrapping ErrBadAccount. accountType
// is optional; when present it is a string, shown cleaned.
func DecodeAccount(body []byte) (uid int64, accountType string, err error) {
	bad := func(format string, args ...any) (int64, string, error) {
		return 0, "", fmt.Errorf("%w: "+format, append([]any{ErrBadAccount}, args...)...)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return bad("not a JSON object")
	}
	seen := map[string]bool{}
	var rawUID, rawType json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return bad("not JSON")
		}
		name, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return bad("not JSON")
		}
		key := strings.ToLower(name)
		if key == "uid" || key == "accounttype" {
			if seen[key] {
				return bad("%s given twice", key)
			}
			seen[key] = true
		}
		switch {
		case name == "uid":
			rawUID = val
		case name == "accountType":
			rawType = val
		case key == "uid":
			return bad("the uid is spelt %q", safetext.Clean(name, safetext.MaxName))
		}
	}
	if _, err := dec.Token(); err != nil {
		return bad("not JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("something after the object")
	}
	if rawUID == nil {
		return bad("no uid")
	}
	uid, ok := positiveInt(rawUID)
	if !ok {
		return bad("the uid is not a positive integer")
	}
	if rawType != nil && string(rawType) != "null" {
		var t string
		if json.Unmarshal(rawType, &t) != nil {
			return bad("accountType is not a string")
		}
		accountType = safetext.Clean(t, safetext.MaxName)
	}
	return uid, accountType, nil
}

// positiveInt reads a JSON number written as a plain positive integer
// that fits an int64: digits only, no leading zero.
func positiveInt(raw json.RawMessage) (int64, bool) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || len(s) > 19 || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

func isClockCode(err error) bool {
	var ae *apiError
	return errors.As(err, &ae) && (ae.Code == -1021 || ae.Code == -1022)
}

// resync measures the offset between our clock and Binance's, as go-binance's
// SetServerTimeService does, but with the midpoint of the round trip and a
// strict reading of the answer.
func (c *Client) resync(ctx context.Context, bc *gobinance.Client) error {
	server, rtt, err := c.serverTime(ctx, bc)
	if err != nil {
		return err
	}
	local := c.now().Add(-rtt / 2)
	offset := local.UnixMilli() - server.UnixMilli()
	bc.TimeOffset = offset
	c.mu.Lock()
	c.offset = offset
	c.mu.Unlock()
	c.logf("binance: clock resynchronised, local clock is %d ms ahead of Binance", offset)
	return nil
}

// ServerTime asks Binance for its time (for `doctor`): the server's time and
// the round-trip time of the request.
func (c *Client) ServerTime(ctx context.Context) (server time.Time, rtt time.Duration, err error) {
	return c.serverTime(ctx, c.goBinance(Credentials{}))
}

func (c *Client) serverTime(ctx context.Context, bc *gobinance.Client) (time.Time, time.Duration, error) {
	var rtt time.Duration
	body, err := c.fetch(ctx, "time", func(ctx context.Context) error {
		start := time.Now()
		_, err := bc.NewServerTimeService().Do(ctx)
		rtt = time.Since(start)
		return err
	})
	if err != nil {
		return time.Time{}, 0, c.explain(err)
	}
	var st struct {
		ServerTime *int64 `json:"serverTime"`
	}
	if err := json.Unmarshal(body, &st); err != nil || st.ServerTime == nil || *st.ServerTime <= 0 {
		return time.Time{}, 0, badResponse(i18n.M("binance.why.no_time"), err)
	}
	return time.UnixMilli(*st.ServerTime), rtt, nil
}

// exchange is what the capturing transport saw of one request.
type exchange struct {
	started bool // the request reached the transport: it was built and signed
	status  int
	header  http.Header
	body    []byte
	readErr error
}

type exchangeKey struct{}

// captureTransport caps and records each response, because go-binance
// reads bodies without a limit and hides the HTTP status and headers
// (Retry-After) that decide what to do next. The record travels in the
// request's context, so concurrent requests do not mix.
type captureTransport struct{ base http.RoundTripper }

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if ex != nil {
		ex.started = true
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, rerr := httpx.ReadLimited(resp.Body, MaxBody)
	resp.Body.Close()
	if ex != nil {
		ex.status, ex.header, ex.body, ex.readErr = resp.StatusCode, resp.Header, body, rerr
	}
	if rerr != nil {
		return nil, rerr
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// fetch runs one go-binance call with retries: 5xx and network errors with
// backoff, 429/418 after the Retry-After Binance asks for (within the
// budget). It returns the raw body of a 2xx answer, or an error for explain.
func (c *Client) fetch(ctx context.Context, name string, do func(context.Context) error) ([]byte, error) {
	var waited time.Duration
	for attempt := 1; ; attempt++ {
		ex := &exchange{}
		err := do(context.WithValue(ctx, exchangeKey{}, ex))
		res := c.classify(ex, err)
		if res.body != nil || res.final != nil {
			if res.final != nil {
				return nil, res.final
			}
			return res.body, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		wait := res.retryAfter
		if res.rateLimited {
			if wait <= 0 {
				wait = c.backoff.Delay(attempt)
			}
			if attempt >= c.backoff.Attempts || waited+wait > c.backoff.Budget {
				res.transient.retryAt = c.now().Add(wait)
				return nil, res.transient
			}
			waited += wait
		} else {
			if attempt >= c.backoff.Attempts {
				res.transient.attempts = attempt
				return nil, res.transient
			}
			wait = c.backoff.Delay(attempt)
		}
		c.logf("binance: %s attempt %d failed (%v); retrying in %s", name, attempt, res.transient, wait.Round(time.Millisecond))
		if err := c.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// apiError is a Binance error answer: an HTTP status >= 400 and, when the
// body has one, Binance's code and message.
type apiError struct {
	Status int
	Code   int64
	Msg    string
}

func (e *apiError) Error() string {
	return "binance: HTTP " + itoa(int64(e.Status)) + ", code " + itoa(e.Code) + ": " + e.Msg
}

// transientError is a failure worth retrying; when retries run out it
// becomes an Unavailable error.
type transientError struct {
	status      int   // 0 for network errors
	code        int64 // Binance code, if any
	err         error // network error (URL stripped)
	rateLimited bool
	retryAt     time.Time
	attempts    int
	cutShort    bool // the answer began, then the connection broke
}

func (e *transientError) Error() string {
	switch {
	case e.err != nil:
		return e.err.Error()
	case e.code != 0:
		return "HTTP " + itoa(int64(e.status)) + ", code " + itoa(e.code)
	}
	return "HTTP " + itoa(int64(e.status))
}

type outcome struct {
	body        []byte
	final       error
	transient   *transientError
	rateLimited bool
	retryAfter  time.Duration
}

func (c *Client) classify(ex *exchange, err error) outcome {
	if !ex.started && err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// go-binance failed before sending: the request could not be
		// signed (a key Go will not sign with) or built. Nothing went on
		// the network, and trying again cannot help.
		return outcome{final: apperr.New(apperr.Usage, "binance.cannot_sign", i18n.M("binance.creds.cannot_sign"), i18n.M("binance.creds.rsa_too_small_hint"))}
	}
	if ex.status == 0 || ex.readErr != nil {
		// No complete answer: a network failure, a timeout, or a body cut
		// short or too large.
		if err == nil {
			err = ex.readErr
		}
		err = httpx.StripURLs(err)
		if errors.Is(err, httpx.ErrTooLarge) || errors.Is(ex.readErr, httpx.ErrTooLarge) {
			return outcome{final: badResponse(i18n.M("binance.why.too_large"), nil)}
		}
		if errors.Is(err, context.Canceled) {
			return outcome{final: err}
		}
		// An answer that started (a status line came back) and then broke
		// off is worth another try, but it is not "unreachable".
		return outcome{transient: &transientError{err: err, cutShort: ex.status != 0}}
	}
	var be struct {
		Code *int64 `json:"code"`
		Msg  string `json:"msg"`
	}
	hasCode := json.Unmarshal(ex.body, &be) == nil && be.Code != nil && *be.Code != 0
	code := int64(0)
	if hasCode {
		code = *be.Code
	}
	switch {
	case ex.status == http.StatusTooManyRequests || ex.status == http.StatusTeapot || code == -1003:
		wait, _ := httpx.ParseRetryAfter(ex.header.Get("Retry-After"), c.now())
		return outcome{rateLimited: true, retryAfter: wait,
			transient: &transientError{status: ex.status, code: code, rateLimited: true}}
	case ex.status >= 500:
		return outcome{transient: &transientError{status: ex.status, code: code}}
	case ex.status >= 400 && hasCode:
		// Binance's words are untrusted text: cleaned here, where they enter
		// an error, so that no renderer can print them raw.
		return outcome{final: &apiError{Status: ex.status, Code: code, Msg: safetext.Clean(be.Msg, maxMsg)}}
	case ex.status == http.StatusForbidden:
		return outcome{final: apperr.New(apperr.Unavailable, "binance.blocked", i18n.M("binance.blocked"), i18n.M("binance.blocked_hint"))}
	case ex.status >= 300 || ex.status < 200:
		return outcome{final: badResponse(i18n.M("binance.why.status", ex.status), nil)}
	}
	if why, ok := notJSON(ex.body); !ok {
		return outcome{final: badResponse(why, nil)}
	}
	return outcome{body: ex.body}
}

// notJSON explains why a 2xx body is not one JSON value.
func notJSON(body []byte) (i18n.Message, bool) {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return i18n.M("binance.why.empty"), false
	case trimmed[0] == '<':
		return i18n.M("binance.why.html"), false
	case json.Valid(trimmed):
		return i18n.Message{}, true
	}
	var v any
	if err := json.NewDecoder(bytes.NewReader(trimmed)).Decode(&v); errors.Is(err, io.ErrUnexpectedEOF) {
		return i18n.M("binance.why.truncated"), false
	}
	return i18n.M("binance.why.not_json"), false
}

func badResponse(why i18n.Message, cause error) *apperr.Error {
	return apperr.Wrap(apperr.Unavailable, "binance.bad_response", cause, i18n.M("binance.bad_response", why), i18n.M("policy.bad_response_hint"))
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
