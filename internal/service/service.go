// Package service is the client of the SmartradeX API (contract v1, see
// docs/service-api.md): who the subscriber is, and the Binance key
// registered for each of their bots. Every failure is an *apperr.Error
// whose Kind is the exit code the command should end with.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/buildinfo"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/safetext"
)

const defaultBaseURL = "https://api.smartradex.fr"

// DefaultBaseURL is the production service, used when neither
// --service-url nor SMARTRADEX_SERVICE_URL is set.
func DefaultBaseURL() string { return defaultBaseURL }

// maxBody caps what is read of any response: the contract's bodies are a few
// hundred bytes, and a proxy's error page or a hostile server must not make
// the CLI buffer without bound.
const maxBody = 64 << 10

// Options configures a Client. Only Token is required.
type Options struct {
	BaseURL   string                                     // default DefaultBaseURL(); https, or http on loopback only
	Token     string                                     // bearer token; never logged, never in errors
	HTTP      *http.Client                               // default httpx.NewClient(15*time.Second)
	Log       httpx.Logf                                 // --debug sink; nil discards
	Backoff   httpx.Backoff                              // default httpx.DefaultBackoff
	Sleep     func(context.Context, time.Duration) error // default httpx.Sleep
	UserAgent string                                     // default buildinfo.UserAgent()
	// Trust decides which vault key secrets are sealed to; share one per
	// process. Default: a Trust of the client's own, with pins in memory.
	Trust *Trust
	// Origin is the name the vault key is pinned under; default the
	// normalised base URL.
	Origin string
}

// Client talks to one SmartradeX service with one subscriber's token. It is
// safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	http    *http.Client
	log     httpx.Logf
	backoff httpx.Backoff
	sleep   func(context.Context, time.Duration) error
	ua      string
	now     func() time.Time
	trust   *Trust
	origin  string
}

// New checks opts and returns a Client. The base URL is validated here,
// before any connection can be opened, so that a token or a secret is never
// sent in clear text to a host that is not this computer.
func New(opts Options) (*Client, error) { return newClient(opts, true) }

// NewPublic is New without a token, for the endpoints that need none
// (GET /v1/bots, GET /v1/vault-key). Its other calls fail as not logged in.
func NewPublic(opts Options) (*Client, error) {
	opts.Token = ""
	return newClient(opts, false)
}

func newClient(opts Options, needToken bool) (*Client, error) {
	raw := opts.BaseURL
	if strings.TrimSpace(raw) == "" {
		raw = defaultBaseURL
	}
	base, err := checkURL(raw)
	if err != nil {
		return nil, err
	}
	token := strings.TrimSpace(opts.Token)
	if token == "" && needToken {
		return nil, apperr.New(apperr.Rejected, "service.not_logged_in",
			i18n.M("service.not_logged_in"), i18n.M("service.login_hint"))
	}
	if token != "" && !validToken(token) {
		return nil, apperr.New(apperr.Rejected, "service.bad_token",
			i18n.M("service.bad_token"), i18n.M("service.login_hint"), i18n.M("service.env_token_hint"))
	}

	own := httpx.Secure(httpx.SecureOptions{Base: base, HTTP: opts.HTTP, Timeout: 15 * time.Second, MaxBody: maxBody, Log: opts.Log})

	c := &Client{
		base:    base,
		token:   token,
		http:    own,
		log:     opts.Log,
		backoff: opts.Backoff,
		sleep:   opts.Sleep,
		ua:      opts.UserAgent,
		now:     time.Now,
		trust:   opts.Trust,
		origin:  opts.Origin,
	}
	if c.trust == nil {
		c.trust = &Trust{}
	}
	if c.origin == "" {
		c.origin = base.String()
	}
	if c.backoff.Attempts <= 0 {
		c.backoff = httpx.DefaultBackoff
	}
	if c.sleep == nil {
		c.sleep = httpx.Sleep
	}
	if c.ua == "" {
		c.ua = buildinfo.UserAgent()
	}
	return c, nil
}

// BaseURL is the validated base URL the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// isDefault tells whether the client talks to the production service.
func (c *Client) isDefault() bool { return c.base.String() == defaultBaseURL }

// validToken accepts what can travel in an HTTP header unchanged: visible
// ASCII. Anything else is a copy-paste accident, and Go's own error for a
// bad header value would be less helpful.
func validToken(t string) bool {
	if len(t) > 4096 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] > '~' {
			return false
		}
	}
	return true
}

// CheckURL is raw as a service base URL, or the usage error that says why
// it cannot be one (service.bad_url, exit 2), quoting no part of it that
// is not an address. Commands check a URL given to them with it before
// they show it or send anything.
func CheckURL(raw string) (string, error) {
	u, err := checkURL(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

func checkURL(raw string) (*url.URL, error) {
	base, err := httpx.CheckBaseURL(raw)
	if err != nil {
		// CheckBaseURL quotes the raw value, which may carry a password or
		// a query: the user sees a cleaned copy instead.
		return nil, apperr.New(apperr.Usage, "service.bad_url", BadURLMessage(raw, err), i18n.M("service.bad_url_hint", defaultBaseURL))
	}
	return base, nil
}

// BadURLMessage explains why a service base URL was refused by
// httpx.CheckBaseURL (err): a user name or password in it, or not https
// (nor http to this computer). raw is quoted cleaned by displayURL.
func BadURLMessage(raw string, err error) i18n.Message {
	var ue *httpx.URLError
	if errors.As(err, &ue) && ue.Problem == httpx.URLCredentials {
		return i18n.M("service.bad_url_credentials", displayURL(raw))
	}
	if !errors.As(err, &ue) || ue.Problem == httpx.URLNotAbsolute {
		// Not an address at all: maybe something pasted in the wrong
		// place, so it is not quoted back.
		return i18n.M("service.bad_url_not_absolute")
	}
	return i18n.M("service.bad_url", displayURL(raw))
}

// displayURL is raw without user info, query or fragment, for messages.
func displayURL(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: keep a short prefix that cannot hold a user-info part.
		if i := strings.IndexAny(raw, "@?#"); i >= 0 {
			raw = raw[:i]
		}
		return sanitizeText(raw, 80)
	}
	u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
	return sanitizeText(u.String(), 200)
}

// Me is the subscriber the token belongs to.
type Me struct {
	Email string   `json:"email"`
	Bots  []string `json:"bots"` // the bots the subscriber pays for
}

// KeyRegistration is a Binance key and its secret for a bot. PutKey seals
// the secret; it is never marshalled (json:"-"). Its String, GoString and
// Format never print APISecret, so that a stray %v in a log or an error
// cannot leak it.
type KeyRegistration struct {
	APIKey    string `json:"api_key"`
	APISecret string `json:"-"`
	KeyType   string `json:"key_type"` // "HMAC", "ED25519" or "RSA"
	Label     string `json:"label"`
}

func (r KeyRegistration) String() string {
	return fmt.Sprintf("{APIKey:%s APISecret:[REDACTED] KeyType:%s Label:%q}", redact.MaskKey(r.APIKey), r.KeyType, r.Label)
}

func (r KeyRegistration) GoString() string {
	return fmt.Sprintf("service.KeyRegistration{APIKey:%q, APISecret:\"[REDACTED]\", KeyType:%q, Label:%q}", redact.MaskKey(r.APIKey), r.KeyType, r.Label)
}

// Format makes every verb (%v, %+v, %#v, %s, %q, %x…) print the redacted form.
func (r KeyRegistration) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, r.GoString())
		return
	}
	io.WriteString(f, r.String())
}

// Registration is what the service holds for a bot.
type Registration struct {
	Bot          string    `json:"bot"`
	APIKey       string    `json:"api_key"`
	Status       string    `json:"status"`
	RegisteredAt time.Time `json:"registered_at"`
	// LastCheck is the service's last check of the key from its addresses:
	// the PUT's own check, the periodic one, or a live read's. nil when the
	// service has not checked it (ip_lock off, or an older service).
	LastCheck *LastCheck `json:"last_check,omitempty"`
}

// errNoToken is what a client made by NewPublic answers for a call that
// needs a token; no caller of NewPublic makes one.
var errNoToken = apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"), i18n.M("service.login_hint"))

// ErrNotFound is the cause of the error GetKey and DeleteKey return when the
// service holds no key for the bot: test it with errors.Is.
var ErrNotFound = errors.New("not found")

// botID is the shape of a bot identifier; anything else is refused before a
// request is built, so that no caller can reach another path. It is
// compiled on first use, like errorCode.
var botID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`) })

func checkBot(bot string) error {
	if !botID().MatchString(bot) {
		return apperr.New(apperr.Usage, "service.bad_bot", i18n.M("service.bad_bot"), i18n.M("service.bots_hint"))
	}
	return nil
}

func keyPath(bot string) string { return "/v1/bots/" + url.PathEscape(bot) + "/binance-key" }

// Me returns the subscriber the token belongs to and the bots they pay for.
// It is how a token is validated.
func (c *Client) Me(ctx context.Context) (*Me, error) {
	var me Me
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/me"}, &me); err != nil {
		return nil, err
	}
	if strings.TrimSpace(me.Email) == "" {
		return nil, c.badResponse(errors.New("GET /v1/me: no email in the answer"))
	}
	if !safetext.IsClean(me.Email) || len(me.Email) > 254 {
		return nil, c.badResponse(errors.New("GET /v1/me: the email is not printable text"))
	}
	for _, b := range me.Bots {
		if !botID().MatchString(b) {
			return nil, c.badResponse(fmt.Errorf("GET /v1/me: %q is not a bot identifier", sanitizeText(b, 64)))
		}
	}
	if me.Bots == nil {
		// The contract: bots is always an array, empty for no bot.
		return nil, c.badResponse(errors.New("GET /v1/me: no bots array in the answer"))
	}
	return &me, nil
}

// PutKey registers reg for bot, replacing any key the bot had. The secret
// is sealed to the service's vault key (fetched and judged by the client's
// Trust first: a key that is not trusted stops everything before the PUT)
// and never sent in clear. The same key again is a success (the service
// keeps its first registered_at), so a PUT whose answer was lost can be
// retried safely. A 409 vault_key_changed (the service rotated its key
// meanwhile) fetches the key once more: sealed again if it is trusted,
// refused otherwise.
func (c *Client) PutKey(ctx context.Context, bot string, reg KeyRegistration) (*Registration, error) {
	if err := checkBot(bot); err != nil {
		return nil, err
	}
	var out Registration
	cl := call{method: http.MethodPut, path: keyPath(bot), bot: bot, secrets: []string{reg.APISecret}, registering: true}
	if err := c.sealedDo(ctx, cl, reg, &out); err != nil {
		return nil, err
	}
	// Money is at stake: the caller marks the key registered only if the
	// service confirms this very key for this very bot, in force.
	if out.Bot == bot && out.APIKey == reg.APIKey {
		if err := checkRegistration("PUT", cl.path, bot, &out); err != nil {
			return nil, c.badResponse(err)
		}
	}
	if out.Bot != bot || out.APIKey != reg.APIKey {
		if out.APIKey == reg.APIKey {
			return nil, c.badResponse(fmt.Errorf("PUT %s: the answer confirms bot %q", cl.path, sanitizeText(out.Bot, 64)))
		}
		return nil, c.badResponse(fmt.Errorf("PUT %s: the answer confirms bot %q and another key than the one sent", cl.path, sanitizeText(out.Bot, 64)))
	}
	return &out, nil
}

// maxBots bounds the catalogue taken from the service.
const maxBots = 100

// Bots returns the service's bot catalogue (GET /v1/bots, no token sent),
// sorted by ID. What the service says is untrusted: an entry whose id is
// not a bot identifier, or repeats one, is dropped; name and label lose
// control and formatting characters and are bounded. It makes one attempt
// and fails on anything else than a usable list: callers fall back on the
// built-in catalogue.
func (c *Client) Bots(ctx context.Context) ([]bots.Bot, error) {
	var body struct {
		Bots []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			Label string `json:"label"`
		} `json:"bots"`
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: "/v1/bots", public: true, single: true}, &body); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []bots.Bot
	for _, b := range body.Bots {
		name := sanitizeText(b.Name, 64)
		if !bots.ValidID(b.ID) || seen[b.ID] || name == "" || len(out) == maxBots {
			continue
		}
		seen[b.ID] = true
		label := sanitizeText(b.Label, 100)
		if label == "" {
			label = sanitizeText("SmartradeX "+name, 100)
		}
		out = append(out, bots.Bot{ID: b.ID, Name: name, Label: label})
	}
	if len(out) == 0 {
		return nil, c.badResponse(errors.New("GET /v1/bots: no usable bot in the answer"))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetKey returns the registration of bot. When there is none the error
// wraps ErrNotFound.
func (c *Client) GetKey(ctx context.Context, bot string) (*Registration, error) {
	if err := checkBot(bot); err != nil {
		return nil, err
	}
	var out Registration
	cl := call{method: http.MethodGet, path: keyPath(bot), bot: bot}
	if err := c.do(ctx, cl, &out); err != nil {
		return nil, err
	}
	if err := checkRegistration("GET", cl.path, bot, &out); err != nil {
		return nil, c.badResponse(err)
	}
	return &out, nil
}

// DeleteKey removes the registration of bot. When there was none the error
// wraps ErrNotFound, which `keys remove` treats as done: a DELETE retried
// after a lost answer ends that way too.
func (c *Client) DeleteKey(ctx context.Context, bot string) error {
	if err := checkBot(bot); err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: keyPath(bot), bot: bot}, nil)
}

// call describes one logical request.
type call struct {
	method      string
	path        string
	bot         string   // "" for /v1/me
	body        []byte   // nil for GET and DELETE
	secrets     []string // scrubbed from anything the service says back
	registering bool     // a PUT: on failure the user is told about `keys sync`
	public      bool     // sent without the token
	single      bool     // one attempt: the caller has a fallback
}

// do runs cl with bounded retries and decodes a 2xx answer into out.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	var (
		lastErr error
		waited  time.Duration // server-requested waiting so far, bounded by Budget
	)
	if !cl.public && c.token == "" {
		return errNoToken
	}
	attempts := c.backoff.Attempts
	if cl.single {
		attempts = 1
	}
	for attempt := 1; ; attempt++ {
		res, err := c.once(ctx, cl)
		if err == nil && !retryableStatus(res.status) {
			return c.finish(cl, res, out)
		}
		if cerr := ctxError(ctx, cl); cerr != nil {
			return cerr
		}
		var wait time.Duration
		if err != nil {
			if !retryableNetError(err) {
				return c.networkFailure(cl, err, attempt)
			}
			lastErr = err
			wait = c.backoff.Delay(attempt)
		} else {
			lastErr = fmt.Errorf("HTTP %d%s", res.status, codeSuffix(res.decoded.Code))
			wait = c.backoff.Delay(attempt)
			if ra, ok := httpx.ParseRetryAfter(res.header.Get("Retry-After"), c.now()); ok {
				if waited+ra > c.backoff.Budget {
					return unavailableWait(cl, ra, lastErr)
				}
				wait = ra
				waited += ra
			}
		}
		if attempt >= attempts {
			return unavailable(cl, attempt, lastErr)
		}
		c.logf("service: %s %s failed (%v); attempt %d of %d in %s", cl.method, cl.path, lastErr, attempt+1, attempts, wait.Round(time.Millisecond))
		if err := c.sleep(ctx, wait); err != nil {
			if cerr := ctxError(ctx, cl); cerr != nil {
				return cerr
			}
			return unavailable(cl, attempt, lastErr)
		}
	}
}

type result struct {
	status  int
	header  http.Header
	body    []byte
	tooBig  bool
	decoded apiError
}

// once sends one request. A transport error or a body cut short is returned
// as err (both are worth retrying); an oversized body is flagged.
func (c *Client) once(ctx context.Context, cl call) (*result, error) {
	// The base is normalised (no trailing slash, query or fragment) and the
	// path is built from escaped parts, so concatenation is exact.
	target := c.base.String() + cl.path
	var body io.Reader
	if cl.body != nil {
		body = bytes.NewReader(cl.body)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, target, body)
	if err != nil {
		return nil, err
	}
	if !cl.public {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", c.ua)
	req.Header.Set("Accept", "application/json")
	if cl.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, httpx.StripURLs(err)
	}
	defer resp.Body.Close()
	data, err := httpx.ReadLimited(resp.Body, maxBody)
	res := &result{status: resp.StatusCode, header: resp.Header, body: data}
	switch {
	case errors.Is(err, httpx.ErrTooLarge):
		res.tooBig = true
	case err != nil:
		return nil, err
	}
	if resp.StatusCode >= 400 && !res.tooBig {
		res.decoded = decodeError(data, c.scrubber(cl))
	}
	return res, nil
}

// finish turns a final (non-retryable) answer into out or an error.
func (c *Client) finish(cl call, res *result, out any) error {
	if res.status >= 200 && res.status < 300 {
		if res.tooBig {
			return c.badResponse(fmt.Errorf("%s %s: HTTP %d, body over %d bytes", cl.method, cl.path, res.status, maxBody))
		}
		if !expectedStatus(cl.method, res.status) {
			return c.badResponse(fmt.Errorf("%s %s: HTTP %d is not the documented answer", cl.method, cl.path, res.status))
		}
		if out == nil {
			// A DELETE answers with no body: a page (a proxy's, a login
			// portal's) is not a deletion.
			if len(res.body) != 0 {
				return c.badResponse(fmt.Errorf("%s %s: HTTP %d with a body, not the documented empty answer", cl.method, cl.path, res.status))
			}
			return nil
		}
		if err := decodeStrict(res.body, out); err != nil {
			return c.badResponse(fmt.Errorf("%s %s: HTTP %d, body is not the expected JSON: %w", cl.method, cl.path, res.status, err))
		}
		return nil
	}
	return c.mapStatus(cl, res)
}

func (c *Client) logf(format string, args ...any) {
	if c.log != nil {
		c.log(format, args...)
	}
}

// scrubber removes the token and the call's secrets from text the service
// sent back: a buggy or hostile service must not get them printed.
func (c *Client) scrubber(cl call) *redact.Redactor {
	r := &redact.Redactor{}
	r.Add(c.token)
	r.Add(cl.secrets...)
	return r
}

func codeSuffix(code string) string {
	if code == "" {
		return ""
	}
	return " " + code
}
