// Package servicetest is the reference implementation of the SmartradeX
// service contract (docs/service-api.md): an in-memory http.Handler that the
// tests, and `--sandbox`, talk to instead of the real service. It holds a
// vault key of its own and keeps secrets sealed, as the real service does.
// Faults can be injected to play a misbehaving or unreachable service.
package servicetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/seal"
)

// Route is one operation of the contract; Pattern uses the OpenAPI path
// template syntax, so docs/openapi.yaml can be checked against it.
type Route struct {
	Method  string
	Pattern string
}

// Routes lists every operation the handler serves.
func Routes() []Route {
	return []Route{
		{http.MethodGet, "/v1/vault-key"},
		{http.MethodGet, "/v1/bots"},
		{http.MethodGet, "/v1/me"},
		{http.MethodPut, "/v1/bots/{bot}/binance-key"},
		{http.MethodGet, "/v1/bots/{bot}/binance-key"},
		{http.MethodDelete, "/v1/bots/{bot}/binance-key"},
	}
}

// The error codes of the contract.
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
)

// ErrorCodes lists every code the handler can send.
func ErrorCodes() []string {
	return []string{CodeUnauthorized, CodeNotSubscribed, CodeKeyInUse, CodeVaultKeyChanged, CodeInvalidRequest, CodeUnknownBot,
		CodeNotFound, CodeNoSuchEndpoint, CodeMethodNotAllowed, CodeRateLimited, CodeInternal, CodeUnavailable}
}

// StatusActive is the status of every registration the reference holds.
const StatusActive = "active"

// maxRequestBody caps a PUT body: an RSA-4096 PEM is about 3.2 KB.
const maxRequestBody = 64 << 10

// Stored is what the service holds for one bot of one account: the secret
// sealed to the vault key. APISecret is filled only in what Registration
// and Registrations return, opened with the vault key, so that tests can
// prove what SmartradeX received; it is never stored nor saved.
type Stored struct {
	Email        string    `json:"email"` // the account
	Token        string    `json:"token"` // the token that registered it
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

type account struct {
	Email string   `json:"email"`
	Bots  []string `json:"bots"`
}

type regKey struct{ email, bot string }

// Server is the in-memory service. The zero value is not usable; call New.
type Server struct {
	mu       sync.Mutex
	vault    *seal.PrivateKey
	catalog  []bots.Bot
	accounts map[string]account // by token
	regs     map[regKey]Stored
	requests []Request
	arrived  []Request // every request whose body was read, answered or not yet
	faults   []*Fault
	latency  time.Duration
	down     bool
	now      func() time.Time

	srv    *http.Server
	closed chan struct{}
}

// New returns an empty service with a new vault key and the built-in bots:
// no account, no registration.
func New() *Server {
	vault, err := seal.GenerateKey()
	if err != nil {
		// The system's random source failed: nothing can work.
		panic("servicetest: generating a vault key: " + err.Error())
	}
	return &Server{
		vault:    vault,
		catalog:  bots.Builtin(),
		accounts: map[string]account{},
		regs:     map[regKey]Stored{},
		now:      func() time.Time { return time.Now().UTC().Truncate(time.Second) },
		closed:   make(chan struct{}),
	}
}

// AddAccount creates (or replaces) the account that token opens.
func (s *Server) AddAccount(token, email string, botIDs []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[token] = account{Email: email, Bots: append([]string(nil), botIDs...)}
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
}

// RotateVaultKey replaces the vault key by a new one and returns its ID.
func (s *Server) RotateVaultKey() string {
	k, err := seal.GenerateKey()
	if err != nil {
		panic("servicetest: generating a vault key: " + err.Error())
	}
	s.SetVaultKey(k)
	return k.Public().ID()
}

// SetBots replaces the bot catalogue that GET /v1/bots publishes and the
// key endpoints accept.
func (s *Server) SetBots(list []bots.Bot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catalog = append([]bots.Bot(nil), list...)
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
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Stored, 0, len(s.regs))
	for _, st := range s.regs {
		st.SealedSecret = append([]byte(nil), st.SealedSecret...)
		if st.VaultKeyID == s.vault.Public().ID() {
			if pt, err := seal.Open(s.vault, st.Bot, st.APIKey, st.KeyType, st.SealedSecret); err == nil {
				st.APISecret = string(pt)
			}
		}
		out = append(out, st)
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

// state is the persisted form, for the sandbox. Version 2 added the vault
// key and keeps secrets sealed; a version 1 state (secrets in clear) is
// not read.
type state struct {
	Version       int                `json:"version"`
	VaultKey      string             `json:"vault_key"` // seal's text form of the private key
	Accounts      map[string]account `json:"accounts"`
	Registrations []Stored           `json:"registrations"`
}

const stateVersion = 2

// MarshalState returns the vault private key, the accounts and the sealed
// registrations as JSON. The result holds tokens and a private key that
// opens the secrets: whoever writes it to disk must treat it as a secret.
func (s *Server) MarshalState() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, err := s.vault.MarshalText()
	if err != nil {
		return nil, err
	}
	st := state{Version: stateVersion, VaultKey: strings.TrimSpace(string(key)), Accounts: map[string]account{}}
	for t, a := range s.accounts {
		st.Accounts[t] = a
	}
	for _, r := range s.regs {
		st.Registrations = append(st.Registrations, r)
	}
	sort.Slice(st.Registrations, func(i, j int) bool {
		a, b := st.Registrations[i], st.Registrations[j]
		return a.Email < b.Email || (a.Email == b.Email && a.Bot < b.Bot)
	})
	return json.MarshalIndent(st, "", "  ")
}

// LoadState replaces the vault key, the accounts and the registrations by
// those of data.
func (s *Server) LoadState(data []byte) error {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("servicetest: reading state: %w", err)
	}
	if st.Version == 1 {
		return s.loadStateV1(data)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("servicetest: state version %d is not supported", st.Version)
	}
	vault, err := seal.ParsePrivateKey([]byte(st.VaultKey))
	if err != nil {
		return fmt.Errorf("servicetest: reading state: %w", err)
	}
	regs := map[regKey]Stored{}
	for _, r := range st.Registrations {
		r.APISecret = ""
		regs[regKey{r.Email, r.Bot}] = r
	}
	accounts := map[string]account{}
	for t, a := range st.Accounts {
		accounts[t] = a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vault, s.accounts, s.regs = vault, accounts, regs
	return nil
}

// loadStateV1 reads a sandbox state saved before secrets were sealed: each
// secret is sealed to the current vault key, and the next save writes
// version 2 without it.
func (s *Server) loadStateV1(data []byte) error {
	var st struct {
		Accounts      map[string]account `json:"accounts"`
		Registrations []struct {
			Stored
			APISecret string `json:"api_secret"`
		} `json:"registrations"`
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("servicetest: reading state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	regs := map[regKey]Stored{}
	for _, r := range st.Registrations {
		sealed, err := seal.Seal(s.vault.Public(), r.Bot, r.APIKey, r.KeyType, []byte(r.APISecret))
		if err != nil {
			return fmt.Errorf("servicetest: reading state: %w", err)
		}
		r.Stored.SealedSecret, r.Stored.VaultKeyID, r.Stored.APISecret = sealed, s.vault.Public().ID(), ""
		regs[regKey{r.Email, r.Bot}] = r.Stored
	}
	accounts := map[string]account{}
	for t, a := range st.Accounts {
		accounts[t] = a
	}
	s.accounts, s.regs = accounts, regs
	return nil
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
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

// Close stops the server started by Start and ends any delayed answer.
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
		srv.Close()
	}
}

// Handler returns the contract as an http.Handler.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serve) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	token := bearer(r)
	rec := Request{Method: r.Method, Path: r.URL.Path, Token: token, UserAgent: r.UserAgent()}
	// The body is read first: until it is, net/http does not notice a client
	// that hangs up, and a delayed answer would outlive it.
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		s.record(rec)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

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
			ctx = context.Background()
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
				io.WriteString(w, f.Body)
				return
			}
			writeError(w, f.Status, codeForStatus(f.Status), http.StatusText(f.Status))
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	s.route(sw, r, token)
	rec.Status = sw.status
	s.record(rec)
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
				tc.SetLinger(0)
			}
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, ok := strings.CutPrefix(h, "Bearer "); ok {
		return strings.TrimSpace(t)
	}
	return ""
}

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

func writeError(w http.ResponseWriter, status int, code, message string) {
	var b errorBody
	b.Error.Code, b.Error.Message = code, message
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// route dispatches by path, then method, so that a known path with a wrong
// method is a 405 and an unknown path a 404, both with a JSON body.
func (s *Server) route(w http.ResponseWriter, r *http.Request, token string) {
	path := r.URL.Path
	allow := func(methods ...string) bool {
		for _, m := range methods {
			if r.Method == m {
				return true
			}
		}
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed, "method "+r.Method+" is not allowed on "+path)
		return false
	}
	switch path {
	case "/v1/me":
		if allow(http.MethodGet) {
			s.me(w, token)
		}
		return
	case "/v1/vault-key":
		if allow(http.MethodGet) {
			writeJSON(w, http.StatusOK, s.VaultKey().Describe())
		}
		return
	case "/v1/bots":
		if allow(http.MethodGet) {
			s.mu.Lock()
			list := append([]bots.Bot{}, s.catalog...)
			s.mu.Unlock()
			writeJSON(w, http.StatusOK, map[string]any{"bots": list})
		}
		return
	}
	if rest, ok := strings.CutPrefix(path, "/v1/bots/"); ok {
		if bot, ok := strings.CutSuffix(rest, "/binance-key"); ok && bot != "" && !strings.Contains(bot, "/") {
			if allow(http.MethodPut, http.MethodGet, http.MethodDelete) {
				s.binanceKey(w, r, token, bot)
			}
			return
		}
	}
	writeError(w, http.StatusNotFound, CodeNoSuchEndpoint, "no such endpoint: "+path)
}

func (s *Server) me(w http.ResponseWriter, token string) {
	s.mu.Lock()
	acc, ok := s.accounts[token]
	s.mu.Unlock()
	if token == "" || !ok {
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the access token is invalid or has expired")
		return
	}
	list := append([]string{}, acc.Bots...)
	sort.Strings(list)
	writeJSON(w, http.StatusOK, map[string]any{"email": acc.Email, "bots": list})
}

type registrationBody struct {
	Bot          string    `json:"bot"`
	APIKey       string    `json:"api_key"`
	Status       string    `json:"status"`
	RegisteredAt time.Time `json:"registered_at"`
}

func toBody(st Stored) registrationBody {
	return registrationBody{Bot: st.Bot, APIKey: st.APIKey, Status: StatusActive, RegisteredAt: st.RegisteredAt}
}

// binanceKey checks in the documented order: token (401), bot known (404),
// subscription (403), then the operation.
func (s *Server) binanceKey(w http.ResponseWriter, r *http.Request, token, bot string) {
	s.mu.Lock()
	acc, ok := s.accounts[token]
	s.mu.Unlock()
	if token == "" || !ok {
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the access token is invalid or has expired")
		return
	}
	s.mu.Lock()
	known := false
	for _, b := range s.catalog {
		known = known || b.ID == bot
	}
	s.mu.Unlock()
	if !known {
		writeError(w, http.StatusNotFound, CodeUnknownBot, "there is no bot "+bot)
		return
	}
	if !contains(acc.Bots, bot) {
		writeError(w, http.StatusForbidden, CodeNotSubscribed, "this account has no subscription to "+bot)
		return
	}
	key := regKey{acc.Email, bot}
	switch r.Method {
	case http.MethodGet:
		s.mu.Lock()
		st, ok := s.regs[key]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, CodeNotFound, "no key is registered for "+bot)
			return
		}
		writeJSON(w, http.StatusOK, toBody(st))
	case http.MethodDelete:
		s.mu.Lock()
		_, ok := s.regs[key]
		delete(s.regs, key)
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, CodeNotFound, "no key is registered for "+bot)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case http.MethodPut:
		s.put(w, r, token, acc, key)
	}
}

// The api_key shape Binance issues. It is compiled on first use: the
// sandbox links this package into smartradex, whose start-up should not pay
// for a regexp it rarely needs.
var apiKeyShape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9]{64}$`) })

// put checks, after the token, the bot and the subscription, in the
// documented order: malformed body 422 → unknown vault_key_id 409 → seal
// that does not open 422 → secret of the wrong shape 422 → key in use 409.
func (s *Server) put(w http.ResponseWriter, r *http.Request, token string, acc account, key regKey) {
	var in putRequest
	data, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the body could not be read")
		return
	}
	if len(data) > maxRequestBody {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the body is too large")
		return
	}
	if err := json.Unmarshal(data, &in); err != nil {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the body is not a JSON object")
		return
	}
	sealed, msg := in.validate()
	if msg != "" {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, msg)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if *in.VaultKeyID != s.vault.Public().ID() {
		writeError(w, http.StatusConflict, CodeVaultKeyChanged, "the service does not hold this vault key: fetch GET /v1/vault-key again")
		return
	}
	secret, err := seal.Open(s.vault, key.bot, *in.APIKey, *in.KeyType, sealed)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "sealed_secret does not open for this bot, api_key and key_type")
		return
	}
	msg = validateSecret(*in.KeyType, string(secret))
	clear(secret)
	if msg != "" {
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, msg)
		return
	}
	for k, st := range s.regs {
		if st.APIKey == *in.APIKey && k != key {
			writeError(w, http.StatusConflict, CodeKeyInUse, "this API key is already registered for another bot")
			return
		}
	}
	st := Stored{Email: acc.Email, Token: token, Bot: key.bot, APIKey: *in.APIKey, SealedSecret: sealed,
		VaultKeyID: *in.VaultKeyID, KeyType: *in.KeyType, RegisteredAt: s.now()}
	if in.Label != nil {
		st.Label = *in.Label
	}
	if old, ok := s.regs[key]; ok && old.APIKey == st.APIKey {
		// The same key again: idempotent, the first registration time stays.
		st.RegisteredAt = old.RegisteredAt
	}
	s.regs[key] = st
	writeJSON(w, http.StatusOK, toBody(st))
}

// putRequest is the body of a PUT. APISecret is read only to refuse it.
type putRequest struct {
	APIKey       *string         `json:"api_key"`
	SealedSecret *string         `json:"sealed_secret"`
	VaultKeyID   *string         `json:"vault_key_id"`
	KeyType      *string         `json:"key_type"`
	Label        *string         `json:"label"`
	APISecret    json.RawMessage `json:"api_secret"`
}

// vaultKeyID is the shape of a key ID: 16 bytes in lower-case hex.
var vaultKeyID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{32}$`) })

// validate returns the sealed secret, or why the fields are malformed.
// Messages never echo a value.
func (in *putRequest) validate() ([]byte, string) {
	switch {
	case in.APISecret != nil:
		return nil, "api_secret is not accepted: send sealed_secret, the secret sealed to GET /v1/vault-key"
	case in.APIKey == nil || in.SealedSecret == nil || in.VaultKeyID == nil || in.KeyType == nil:
		return nil, "api_key, sealed_secret, vault_key_id and key_type are required"
	case !apiKeyShape().MatchString(*in.APIKey):
		return nil, "api_key must be 64 letters and digits"
	case !vaultKeyID().MatchString(*in.VaultKeyID):
		return nil, "vault_key_id must be 32 lower-case hexadecimal digits"
	}
	switch *in.KeyType {
	case "HMAC", "ED25519", "RSA":
	default:
		return nil, "key_type must be HMAC, ED25519 or RSA"
	}
	if in.Label != nil && len([]rune(*in.Label)) > 100 {
		return nil, "label must be at most 100 characters"
	}
	sealed, err := base64.StdEncoding.Strict().DecodeString(*in.SealedSecret)
	if err != nil || len(sealed) == 0 {
		return nil, "sealed_secret must be standard base64"
	}
	return sealed, ""
}

// validateSecret returns why an opened secret does not fit its key type,
// or "". The message never echoes the secret.
func validateSecret(keyType, secret string) string {
	switch keyType {
	case "HMAC":
		if !apiKeyShape().MatchString(secret) {
			return "for an HMAC key, the sealed secret must be 64 letters and digits"
		}
	default:
		if !strings.Contains(secret, "-----BEGIN PRIVATE KEY-----") || !strings.Contains(secret, "-----END PRIVATE KEY-----") {
			return "for an " + keyType + " key, the sealed secret must be the PKCS#8 private key in PEM form"
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
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
