// Package binancetest is a loopback stand-in for Binance's REST API: it
// checks API keys, signatures and timestamps as Binance does and serves the
// endpoints smartradex uses. Tests drive it, and the sandbox mode of the
// real binary runs on it, so it does not import testing.
package binancetest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/redact"
)

// Key is an API key the stand-in knows.
type Key struct {
	APIKey       string          `json:"api_key"`
	Secret       string          `json:"secret,omitempty"`         // HMAC secret (empty for ED25519/RSA)
	PublicKeyPEM string          `json:"public_key_pem,omitempty"` // ED25519/RSA: signatures are verified with it
	Restrictions json.RawMessage `json:"restrictions"`             // apiRestrictions body, verbatim
	UID          int64           `json:"uid"`
	// IPs is the key's list of trusted addresses ("Restrict access to
	// trusted IPs only"). When it is not empty, as on Binance, the key
	// works only from those addresses (any other caller gets HTTP 401,
	// code -2015) and apiRestrictions shows "ipRestrict": true.
	IPs []string `json:"ips,omitempty"`
}

// Fault replaces the answer to the next Times requests to Path ("" or "*"
// for any path). A zero Times means once.
type Fault struct {
	Path   string
	Status int
	Body   string
	Header http.Header
	Times  int
	Delay  time.Duration // wait before answering
	Hang   bool          // never answer (until the client gives up or Close)
	// CutShort sends the status line, the headers announcing the whole
	// answer and half of it, then drops the connection.
	CutShort bool
}

// Request is what the stand-in saw of one request.
type Request struct {
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	APIKey         string    `json:"api_key"` // masked
	SignatureValid bool      `json:"signature_valid"`
	Status         int       `json:"status"`
	Code           int       `json:"code,omitempty"` // Binance error code answered, if any
	At             time.Time `json:"at"`
	From           string    `json:"from"` // the caller's address, as the key's IP list is checked against
}

// Server is the stand-in. The zero value is not usable: call New.
type Server struct {
	URL string // set by Start

	mu       sync.Mutex
	keys     map[string]Key
	offset   time.Duration
	latency  time.Duration
	faults   []*Fault
	requests []Request
	weight   map[int64]int // used weight per minute
	srv      *http.Server
	aliases  []*http.Server
	closed   chan struct{}
	once     sync.Once
}

// New returns a stand-in with no keys.
func New() *Server {
	return &Server{keys: map[string]Key{}, weight: map[int64]int{}, closed: make(chan struct{})}
}

// Start listens on 127.0.0.1 on a free port and returns the base URL.
func (s *Server) Start() (string, error) {
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	s.URL = "http://" + ln.Addr().String()
	return s.URL, nil
}

// ListenAs listens on another free port of 127.0.0.1 and returns its base
// URL: a request that arrives there is treated as coming from addr, for
// the keys' IP lists. It stands for a caller on another address where
// only 127.0.0.1 exists (macOS and Windows have no 127.0.0.2 by default):
// the sandbox gives this URL to its in-process service alone, so that the
// service calls "Binance" from its published address while the CLI, given
// the main URL, calls from 127.0.0.1. Which listener a connection reached
// is decided by the kernel, not by anything in the request, so a caller
// cannot claim the address with a header; anyone on this computer who
// learns the port can, which is fine for a stand-in that holds fake keys.
func (s *Server) ListenAs(addr string) (string, error) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "", fmt.Errorf("binancetest: ListenAs: %w", err)
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	seen := ip.String()
	h := s.Handler()
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, seen)))
		})}
	s.mu.Lock()
	s.aliases = append(s.aliases, srv)
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

type callerKey struct{}

// caller is the address a request is judged to come from: the one its
// listener stands for (ListenAs), else the peer's address.
func caller(r *http.Request) string {
	if a, ok := r.Context().Value(callerKey{}).(string); ok {
		return a
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap().String()
	}
	return host
}

// Close stops the server and releases hanging requests.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closed) })
	if s.srv != nil {
		_ = s.srv.Close()
	}
	s.mu.Lock()
	aliases := s.aliases
	s.mu.Unlock()
	for _, a := range aliases {
		_ = a.Close()
	}
}

// AddKey adds or replaces a key.
func (s *Server) AddKey(k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.APIKey] = k
}

// RemoveKey deletes a key, as deleting it on Binance does.
func (s *Server) RemoveKey(apiKey string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, apiKey)
}

// SetIPs replaces a key's list of trusted addresses (nil or empty: none,
// the key works from anywhere), as editing its restrictions on Binance
// does.
func (s *Server) SetIPs(apiKey string, ips []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[apiKey]; ok {
		k.IPs = append([]string(nil), ips...)
		s.keys[apiKey] = k
	}
}

// SetRestrictions changes what apiRestrictions answers for a key.
func (s *Server) SetRestrictions(apiKey string, raw json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[apiKey]; ok {
		k.Restrictions = raw
		s.keys[apiKey] = k
	}
}

// SetClockOffset makes the server's time the real time plus d.
func (s *Server) SetClockOffset(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offset = d
}

// SetLatency adds d to every request.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops the faults not yet used up.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// Requests returns the requests seen so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

type state struct {
	Keys        []Key         `json:"keys"`
	ClockOffset time.Duration `json:"clock_offset"`
}

// MarshalState saves the keys and the clock offset (sandbox persistence).
func (s *Server) MarshalState() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := state{ClockOffset: s.offset, Keys: []Key{}}
	for _, k := range s.keys {
		st.Keys = append(st.Keys, k)
	}
	return json.Marshal(st)
}

// LoadState replaces the keys and clock offset with saved ones.
func (s *Server) LoadState(data []byte) error {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("binancetest: bad state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = map[string]Key{}
	for _, k := range st.Keys {
		s.keys[k.APIKey] = k
	}
	s.offset = st.ClockOffset
	return nil
}

func (s *Server) serverTime() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Now().Add(s.offset)
}

// Handler serves the stand-in's endpoints.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serve)
}

type answer struct {
	status int
	code   int
	body   []byte
	header http.Header
}

func binanceError(status, code int, msg string) answer {
	b, _ := json.Marshal(map[string]any{"code": code, "msg": msg})
	return answer{status: status, code: code, body: b}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, APIKey: redact.MaskKey(r.Header.Get("X-MBX-APIKEY")), At: time.Now(), From: caller(r)}
	s.mu.Lock()
	latency := s.latency
	fault := s.takeFault(r.URL.Path)
	s.mu.Unlock()

	if !s.wait(r.Context(), latency) {
		return
	}
	var a answer
	if fault != nil {
		if fault.Hang {
			s.record(rec)
			select {
			case <-r.Context().Done():
			case <-s.closed:
			}
			return
		}
		if !s.wait(r.Context(), fault.Delay) {
			return
		}
		a = faultAnswer(fault)
	} else {
		a = s.route(r, &rec)
	}

	h := w.Header()
	for k, v := range a.header {
		h[k] = v
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json;charset=UTF-8")
	}
	h.Set("X-MBX-USED-WEIGHT-1M", strconv.Itoa(s.addWeight(r.URL.Path)))
	if fault != nil && fault.CutShort {
		h.Set("Content-Length", strconv.Itoa(len(a.body)))
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body[:len(a.body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		rec.Status = a.status
		s.record(rec)
		panic(http.ErrAbortHandler) // closes the connection mid-answer
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
	rec.Status, rec.Code = a.status, a.code
	s.record(rec)
}

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
	case <-s.closed:
	}
	return false
}

func (s *Server) record(rec Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, rec)
}

func (s *Server) takeFault(path string) *Fault {
	for i, f := range s.faults {
		if f.Path == "" || f.Path == "*" || f.Path == path {
			f.Times--
			if f.Times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			return f
		}
	}
	return nil
}

func faultAnswer(f *Fault) answer {
	a := answer{status: f.Status, body: []byte(f.Body), header: f.Header.Clone()}
	if a.status == 0 {
		a.status = http.StatusOK
	}
	if a.header == nil {
		a.header = http.Header{}
	}
	if f.Body == "" {
		switch {
		case a.status == http.StatusTooManyRequests:
			a = withHeader(binanceError(429, -1003, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."), a.header)
		case a.status == http.StatusTeapot:
			a = withHeader(binanceError(418, -1003, "Way too much request weight used; IP banned until 1700000000000. Please use WebSocket Streams for live updates to avoid bans."), a.header)
		case a.status >= 500:
			a = withHeader(binanceError(a.status, -1001, "Internal error; unable to process your request. Please try again."), a.header)
		}
	}
	if (a.status == http.StatusTooManyRequests || a.status == http.StatusTeapot) && a.header.Get("Retry-After") == "" {
		a.header.Set("Retry-After", "2")
	}
	return a
}

func withHeader(a answer, h http.Header) answer {
	a.header = h
	return a
}

func (s *Server) addWeight(path string) int {
	w := 1
	if path == "/api/v3/account" {
		w = 20
	}
	minute := time.Now().Unix() / 60
	s.mu.Lock()
	defer s.mu.Unlock()
	for m := range s.weight {
		if m != minute {
			delete(s.weight, m)
		}
	}
	s.weight[minute] += w
	return s.weight[minute]
}

func (s *Server) route(r *http.Request, rec *Request) answer {
	if r.Method != http.MethodGet {
		return binanceError(http.StatusMethodNotAllowed, -1000, "An unknown error occurred while processing the request.")
	}
	switch r.URL.Path {
	case "/api/v3/ping":
		return answer{status: 200, body: []byte(`{}`)}
	case "/api/v3/time":
		b, _ := json.Marshal(map[string]int64{"serverTime": s.serverTime().UnixMilli()})
		return answer{status: 200, body: b}
	case "/api/v3/account", "/sapi/v1/account/apiRestrictions":
	default:
		return binanceError(http.StatusNotFound, -1000, "Not found")
	}
	k, a, ok := s.authenticate(r, rec)
	if !ok {
		return a
	}
	if r.URL.Path == "/sapi/v1/account/apiRestrictions" {
		body := append([]byte(nil), k.Restrictions...)
		if len(k.IPs) > 0 {
			body = withIPRestrict(body)
		}
		return answer{status: 200, body: body}
	}
	b, _ := json.Marshal(map[string]any{
		"makerCommission": 0, "takerCommission": 0, "buyerCommission": 0, "sellerCommission": 0,
		"canTrade": true, "canWithdraw": true, "canDeposit": true,
		"brokered": false, "requireSelfTradePrevention": false, "preventSor": false,
		"updateTime": 0, "accountType": "SPOT", "balances": []any{}, "permissions": []string{"SPOT"},
		"uid": k.UID,
	})
	return answer{status: 200, body: b}
}

// authenticate applies Binance's checks in Binance's order: key format,
// known key, mandatory timestamp, recvWindow bound, signature, timestamp.
func (s *Server) authenticate(r *http.Request, rec *Request) (Key, answer, bool) {
	apiKey := r.Header.Get("X-MBX-APIKEY")
	if apiKey == "" {
		return Key{}, binanceError(http.StatusUnauthorized, -2014, "API-key format invalid."), false
	}
	if !wellFormed(apiKey) {
		return Key{}, binanceError(http.StatusUnauthorized, -2014, "API-key format invalid."), false
	}
	s.mu.Lock()
	k, known := s.keys[apiKey]
	s.mu.Unlock()
	if !known || !allowedFrom(k, rec.From) {
		return Key{}, binanceError(http.StatusUnauthorized, -2015, "Invalid API-key, IP, or permissions for action."), false
	}
	payload, sig, hasSig := splitSignature(r.URL.RawQuery)
	q, err := url.ParseQuery(payload)
	if err != nil {
		return Key{}, binanceError(http.StatusBadRequest, -1100, "Illegal characters found in a parameter."), false
	}
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		return Key{}, binanceError(http.StatusBadRequest, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed."), false
	}
	recvWindow := int64(5000)
	if v := q.Get("recvWindow"); v != "" {
		recvWindow, err = strconv.ParseInt(v, 10, 64)
		if err != nil || recvWindow <= 0 || recvWindow > 60000 {
			return Key{}, binanceError(http.StatusBadRequest, -1131, "recvWindow must be less than 60000"), false
		}
	}
	if !hasSig || !verify(k, payload, sig) {
		return Key{}, binanceError(http.StatusBadRequest, -1022, "Signature for this request is not valid."), false
	}
	rec.SignatureValid = true
	now := s.serverTime().UnixMilli()
	if ts >= now+1000 {
		return Key{}, binanceError(http.StatusBadRequest, -1021, "Timestamp for this request was 1000ms ahead of the server's time."), false
	}
	if now-ts > recvWindow {
		return Key{}, binanceError(http.StatusBadRequest, -1021, "Timestamp for this request is outside of the recvWindow."), false
	}
	return k, answer{}, true
}

// allowedFrom applies the key's IP list to the caller's address.
func allowedFrom(k Key, from string) bool {
	if len(k.IPs) == 0 {
		return true
	}
	for _, ip := range k.IPs {
		if a, err := netip.ParseAddr(ip); err == nil && a.Unmap().String() == from {
			return true
		}
	}
	return false
}

// withIPRestrict returns the apiRestrictions body with ipRestrict set to
// true, the other fields in their order; a body that is not a JSON object
// is returned as it is (tests store malformed bodies on purpose).
func withIPRestrict(body []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return body
	}
	out := []byte("{")
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		name, ok := tok.(string)
		if err != nil || !ok {
			return body
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return body
		}
		if name == "ipRestrict" {
			val, seen = json.RawMessage("true"), true
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		n, _ := json.Marshal(name)
		out = append(append(append(out, n...), ':'), val...)
	}
	if !seen {
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = append(out, `"ipRestrict":true`...)
	}
	return append(out, '}')
}

// splitSignature removes the signature parameter from the raw query,
// leaving the exact signed payload.
func splitSignature(raw string) (payload, sig string, ok bool) {
	parts := strings.Split(raw, "&")
	kept := parts[:0:0]
	for _, p := range parts {
		if v, found := strings.CutPrefix(p, "signature="); found {
			if u, err := url.QueryUnescape(v); err == nil {
				sig, ok = u, true
			}
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&"), sig, ok
}

func verify(k Key, payload, sig string) bool {
	if k.Secret != "" {
		mac := hmac.New(sha256.New, []byte(k.Secret))
		mac.Write([]byte(payload))
		want := hex.EncodeToString(mac.Sum(nil))
		return hmac.Equal([]byte(want), []byte(strings.ToLower(sig)))
	}
	block, _ := pem.Decode([]byte(k.PublicKeyPEM))
	if block == nil {
		return false
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return false
	}
	switch pub := pub.(type) {
	case ed25519.PublicKey:
		return ed25519.Verify(pub, []byte(payload), raw)
	case *rsa.PublicKey:
		sum := sha256.Sum256([]byte(payload))
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], raw) == nil
	}
	return false
}

func wellFormed(apiKey string) bool {
	if len(apiKey) != 64 {
		return false
	}
	for i := 0; i < len(apiKey); i++ {
		c := apiKey[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// ErrUnknownDemoKey is returned by DemoKeyByName for a name not in DemoKeys.
var ErrUnknownDemoKey = errors.New("binancetest: unknown demo key")

// StartTest starts a stand-in holding the demo keys for the test t, and
// stops it when t ends.
func StartTest(t TB) *Server {
	t.Helper()
	s := New()
	if _, err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.AddDemoKeys()
	return s
}

// TB is the part of testing.TB that StartTest needs. The stand-in is linked
// into smartradex itself (for --sandbox), which must not import testing.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
}
