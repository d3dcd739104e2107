// Package servicetest runs the SmartradeX service (internal/server, the
// handler smartradexd serves) on an in-memory store (memstore), for the
// tests and for `smartradex --sandbox`. The contract of
// docs/service-api.md is implemented once, in internal/server; this package
// only adds what tests need around it: accounts opened by arbitrary tokens,
// what the service holds with the secrets opened, the requests received,
// injected faults that play a misbehaving or unreachable service, and a
// state the sandbox saves between runs.
package servicetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

// Route is one operation of the service; Pattern uses the OpenAPI path
// template syntax, so docs/openapi.yaml can be checked against it.
type Route struct {
	Method  string
	Pattern string
}

// Routes lists every operation the handler serves: those of
// server.Routes, the operator endpoints (/healthz, /readyz, /metrics) and
// the trading engine's included.
func Routes() []Route {
	var out []Route
	for _, r := range server.Routes() {
		out = append(out, Route{Method: r[0], Pattern: r[1]})
	}
	return out
}

// The error codes of the contract, as the handler sends them.
const (
	CodeUnauthorized     = server.CodeUnauthorized
	CodeNotSubscribed    = server.CodeNotSubscribed
	CodeKeyInUse         = server.CodeKeyInUse
	CodeVaultKeyChanged  = server.CodeVaultKeyChanged
	CodeInvalidRequest   = server.CodeInvalidRequest
	CodeUnknownBot       = server.CodeUnknownBot
	CodeNotFound         = server.CodeNotFound
	CodeNoSuchEndpoint   = server.CodeNoSuchEndpoint
	CodeMethodNotAllowed = server.CodeMethodNotAllowed
	CodeRateLimited      = server.CodeRateLimited
	CodeInternal         = server.CodeInternal
	CodeUnavailable      = server.CodeUnavailable
)

// ErrorCodes lists every code the handler can send.
func ErrorCodes() []string { return server.ErrorCodes() }

// StatusActive is the status of every registration the service holds.
const StatusActive = "active"

// maxRequestBody is the contract's cap on a request body (64 KiB), the
// handler's default.
const maxRequestBody = 64 << 10

// The handler's per-token rate limit, set far above what a test or the
// sandbox sends, and its per-address limit off: a 429 is played with a
// Fault, never by accident.
const (
	rateLimit = 1e6
	rateBurst = 1 << 20
)

// Stored is what the service holds for one bot of one account: the secret
// sealed to the vault key. APISecret is filled only in what Registration
// and Registrations return, opened with the vault key, so that tests can
// prove what SmartradeX received; the store never holds it.
type Stored struct {
	Email string `json:"email"` // the account, lower-case as the store keeps it
	// Token is the token whose PUT registered the key, as this process saw
	// it; empty after LoadState (the state holds token hashes only).
	Token        string    `json:"token"`
	Bot          string    `json:"bot"`
	APIKey       string    `json:"api_key"`
	SealedSecret []byte    `json:"sealed_secret"` // enc ‖ ciphertext, as the PUT carried it
	VaultKeyID   string    `json:"vault_key_id"`
	APISecret    string    `json:"-"`
	KeyType      string    `json:"key_type"`
	Label        string    `json:"label"`
	RegisteredAt time.Time `json:"registered_at"`
}

// Request is one request the server received.
type Request struct {
	Method    string
	Path      string
	Status    int    // 0 when the connection was dropped
	Token     string // the bearer token presented, "" if none
	UserAgent string
}

// Fault makes matching requests misbehave. A request matches when Method
// is empty or equal, and its path starts with Path (empty matches all).
type Fault struct {
	Method string
	Path   string
	Status int           // answer with this status instead of serving (0: serve normally, after Delay)
	Body   string        // answer body; empty: a contract error body for Status
	Header http.Header   // extra answer headers, e.g. Retry-After
	Times  int           // how many requests it affects; 0 or less: every one until ClearFaults
	Delay  time.Duration // wait before answering (or before Reset)
	Reset  bool          // drop the connection without an answer
	// Detach serves the request after Delay even if the client has gone
	// meanwhile: a service that commits what it received, whatever the
	// client does (Ctrl-C, SIGKILL). Only with Status 0.
	Detach bool
}

// regKey names a registration: one per account and bot.
type regKey struct{ email, bot string }

// registrant is the token whose PUT of apiKey last succeeded.
type registrant struct{ apiKey, token string }

// Server is the real handler on an in-memory store, behind the fault
// injector. The zero value is not usable; call New.
type Server struct {
	store   *memstore.Store
	handler *server.Server

	mu          sync.Mutex
	vault       *seal.PrivateKey
	registrants map[regKey]registrant
	requests    []Request
	arrived     []Request // every request whose body was read, answered or not yet
	faults      []*Fault
	latency     time.Duration
	down        bool
	now         func() time.Time // the handler's clock

	srv    *http.Server
	closed chan struct{}
}

// New returns an empty service with a new vault key and the built-in bots:
// no account, no registration.
func New() *Server {
	vault := generateKey()
	s := &Server{
		store:       memstore.New(),
		vault:       vault,
		registrants: map[regKey]registrant{},
		now:         time.Now,
		closed:      make(chan struct{}),
	}
	s.handler = server.New(server.Config{Now: s.clock, RateLimit: server.RateLimit{Rate: rateLimit, Burst: rateBurst},
		NoAddressLimit: true}, s.store, vault, nil)
	return s
}

func generateKey() *seal.PrivateKey {
	k, err := seal.GenerateKey()
	if err != nil {
		// The system's random source failed: nothing can work.
		panic("servicetest: generating a vault key: " + err.Error())
	}
	return k
}

func (s *Server) clock() time.Time {
	s.mu.Lock()
	now := s.now
	s.mu.Unlock()
	return now()
}

// AddAccount makes token open the account of email, subscribed to exactly
// botIDs: the subscriber is created if need be, the token stored as the
// service stores tokens (its SHA-256), and the subscriptions replaced. Any
// visible ASCII string is a token. It panics when token already opens
// another e-mail's account or a bot is not in the catalogue (SetBots
// first): mistakes in the test, not situations of the contract.
func (s *Server) AddAccount(token, email string, botIDs []string) {
	if err := s.addAccount(context.Background(), token, email, botIDs); err != nil {
		panic("servicetest: AddAccount: " + err.Error())
	}
}

func (s *Server) addAccount(ctx context.Context, token, email string, botIDs []string) error {
	return addAccount(ctx, s.store, token, email, botIDs, s.clock())
}

func addAccount(ctx context.Context, st store.Store, token, email string, botIDs []string, now time.Time) error {
	// Everything is checked before anything is written.
	catalogue, err := st.Bots(ctx)
	if err != nil {
		return err
	}
	for _, b := range botIDs {
		if !slices.ContainsFunc(catalogue, func(c store.Bot) bool { return c.ID == b }) {
			return fmt.Errorf("bot %q is not in the catalogue", b)
		}
	}
	hash := server.HashToken(token)
	p, err := st.Authenticate(ctx, hash)
	known := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	sub, err := st.Subscriber(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound) && !known:
		if sub, err = st.AddSubscriber(ctx, email, now); err != nil {
			return err
		}
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	case known && (err != nil || p.Subscriber.ID != sub.ID):
		return errors.New("the token already opens the account of another e-mail")
	}
	if !known {
		if err := st.AddToken(ctx, sub.Email, hash, now); err != nil {
			return err
		}
		if p, err = st.Authenticate(ctx, hash); err != nil {
			return err
		}
	}
	for _, b := range p.Bots {
		if !slices.Contains(botIDs, b) {
			if err := st.Unsubscribe(ctx, sub.Email, b); err != nil {
				return err
			}
		}
	}
	for _, b := range botIDs {
		if err := st.Subscribe(ctx, sub.Email, b); err != nil {
			return fmt.Errorf("subscribing to %q: %w", b, err)
		}
	}
	return nil
}

// VaultKey is the public half of the service's vault key.
func (s *Server) VaultKey() *seal.PublicKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.vault.Public()
}

// SetVaultKey replaces the vault key. Secrets sealed to the previous one
// stay as they are (and no longer open), as after a rotation that lost
// the old private key; a PUT naming the old key ID answers 409.
func (s *Server) SetVaultKey(k *seal.PrivateKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vault = k
	s.handler.SetVaultKey(k)
}

// RotateVaultKey replaces the vault key by a new one and returns its ID.
func (s *Server) RotateVaultKey() string {
	k := generateKey()
	s.SetVaultKey(k)
	return k.Public().ID()
}

// SetBots replaces the bot catalogue that GET /v1/bots publishes and the
// key endpoints accept. As a database's foreign keys would, it drops the
// subscriptions to, and the keys of, bots no longer in it.
func (s *Server) SetBots(list []bots.Bot) {
	out := make([]store.Bot, 0, len(list))
	for _, b := range list {
		out = append(out, store.Bot{ID: b.ID, Name: b.Name, Label: b.Label})
	}
	s.store.SetBots(out)
}

// Registration returns what the service holds for bot, whichever account
// registered it (the first by email if several did).
func (s *Server) Registration(bot string) (Stored, bool) {
	for _, st := range s.Registrations() {
		if st.Bot == bot {
			return st, true
		}
	}
	return Stored{}, false
}

// Registrations returns everything the service holds, by email then bot,
// each with its secret opened with the vault key (APISecret stays empty
// for a secret sealed to a key the service no longer has).
func (s *Server) Registrations() []Stored {
	keys, err := s.store.ActiveKeys(context.Background(), "")
	if err != nil {
		// memstore fails only once closed, which this package never does.
		panic("servicetest: reading the store: " + err.Error())
	}
	s.mu.Lock()
	vault := s.vault
	out := make([]Stored, 0, len(keys))
	for _, k := range keys {
		st := Stored{Email: k.Email, Bot: k.Bot, APIKey: k.APIKey, SealedSecret: k.SealedSecret, VaultKeyID: k.VaultKeyID,
			KeyType: k.KeyType, Label: k.Label, RegisteredAt: k.RegisteredAt}
		if r, ok := s.registrants[regKey{k.Email, k.Bot}]; ok && r.apiKey == k.APIKey {
			st.Token = r.token
		}
		out = append(out, st)
	}
	s.mu.Unlock()
	for i, st := range out {
		if st.VaultKeyID != vault.Public().ID() {
			continue
		}
		if pt, err := seal.Open(vault, st.Bot, st.APIKey, st.KeyType, st.SealedSecret); err == nil {
			out[i].APISecret = string(pt)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Email != out[j].Email {
			return out[i].Email < out[j].Email
		}
		return out[i].Bot < out[j].Bot
	})
	return out
}

// Requests returns the requests received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Arrived returns the requests received so far, oldest first, including
// those still waiting for their answer: a test uses it to act while a
// request is in flight.
func (s *Server) Arrived() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.arrived...)
}

// Inject adds a fault; faults are tried in the order they were added.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := f
	s.faults = append(s.faults, &c)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// SetLatency delays every answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetDown makes every request fail with a dropped connection.
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Start serves the handler on 127.0.0.1 (a free port) and returns its base
// URL, e.g. "http://127.0.0.1:49152".
func (s *Server) Start() (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	srv := s.srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }() // ends with http.ErrServerClosed at Close
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server started by Start and ends any delayed answer. What
// the service holds stays readable.
func (s *Server) Close() {
	s.mu.Lock()
	srv := s.srv
	select {
	case <-s.closed:
	default:
		close(s.closed)
	}
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close() // the listener's close error tells nothing here
	}
}

// Handler returns the service, behind the fault injector, as an
// http.Handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, Token: token, UserAgent: r.UserAgent()}
	// The body is read first: until it is, net/http does not notice a client
	// that hangs up, and a delayed answer would outlive it. The handler
	// reads it again, whole: it judges the size itself.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		s.record(rec)
		return
	}
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))

	s.mu.Lock()
	latency, down := s.latency, s.down
	f := s.takeFault(r)
	s.arrived = append(s.arrived, rec)
	s.mu.Unlock()

	if !s.wait(r.Context(), latency) {
		s.record(rec)
		return
	}
	if down {
		s.record(rec)
		drop(w)
		return
	}
	if f != nil {
		ctx := r.Context()
		if f.Detach && f.Status == 0 && !f.Reset {
			// The handler too must not see the client leave.
			ctx = context.WithoutCancel(ctx)
			r = r.WithContext(ctx)
		}
		if !s.wait(ctx, f.Delay) {
			s.record(rec)
			return
		}
		if f.Reset {
			s.record(rec)
			drop(w)
			return
		}
		if f.Status != 0 {
			for k, vs := range f.Header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			rec.Status = f.Status
			s.record(rec)
			if f.Body != "" {
				w.WriteHeader(f.Status)
				_, _ = io.WriteString(w, f.Body) // the client may have gone: nothing to do about it
				return
			}
			writeError(w, f.Status, codeForStatus(f.Status), http.StatusText(f.Status))
			return
		}
	}
	sw := &server.StatusWriter{ResponseWriter: w}
	s.mu.Lock()
	h := s.handler // SetNetwork may replace it
	s.mu.Unlock()
	h.ServeHTTP(sw, r)
	rec.Status = sw.Status
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	if r.Method == http.MethodPut && rec.Status == http.StatusOK {
		s.noteRegistrant(r, token, body)
	}
	s.record(rec)
}

// noteRegistrant remembers which token registered the key a PUT answered
// 200 for, for Stored.Token.
func (s *Server) noteRegistrant(r *http.Request, token string, body []byte) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/v1/bots/")
	bot, _ := strings.CutSuffix(rest, "/binance-key")
	var in struct {
		APIKey string `json:"api_key"`
	}
	if json.Unmarshal(body, &in) != nil {
		return
	}
	p, err := s.store.Authenticate(context.Background(), server.HashToken(token))
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.registrants[regKey{p.Subscriber.Email, bot}] = registrant{apiKey: in.APIKey, token: token}
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
}

// takeFault returns the first matching fault and uses one of its Times.
// The caller holds s.mu.
func (s *Server) takeFault(r *http.Request) *Fault {
	for i, f := range s.faults {
		if (f.Method != "" && f.Method != r.Method) || !strings.HasPrefix(r.URL.Path, f.Path) {
			continue
		}
		c := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return &c
	}
	return nil
}

// wait sleeps d unless the client goes away or the server closes first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closed:
		return false
	}
}

// drop closes the connection without an answer, with a TCP reset where
// possible, like a crashed server or a cut network.
func drop(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // without it, a plain close: still no answer
			}
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// bearer is the token as presented, for Request.Token; the handler applies
// its own rules to it.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

// codeForStatus is the error code a fault without a Body answers with.
func codeForStatus(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeNotSubscribed
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeKeyInUse
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		return CodeInvalidRequest
	case http.StatusTooManyRequests:
		return CodeRateLimited
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	}
	return CodeInternal
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers a fault with a contract error body.
func writeError(w http.ResponseWriter, status int, code, message string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	data, _ := json.Marshal(b) // two strings: cannot fail
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(data, '\n')) // the client may have gone: nothing to do about it
}

// StartTest starts a service for the test t, with one account for token
// subscribed to bots, and stops it when t ends. It returns the service and
// its base URL.
func StartTest(t TB, token, email string, bots []string) (*Server, string) {
	t.Helper()
	s := New()
	url, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddAccount(token, email, bots)
	return s, url
}

// TB is the part of testing.TB that StartTest needs. The stand-in is linked
// into smartradex itself (for --sandbox), which must not import testing.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}
