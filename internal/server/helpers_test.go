package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

// clock is a settable clock for the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// logBuffer collects the JSON logs; the handler writes from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *logBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// records returns the log records, decoded.
func (b *logBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomKey returns 64 random letters and digits: an API key or HMAC secret.
func randomKey() string {
	b := make([]byte, 64)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

const pemKey = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIExampleExampleExampleExampleExampleExa\n-----END PRIVATE KEY-----\n"

type env struct {
	t      *testing.T
	srv    *Server
	url    string
	mem    *memstore.Store
	st     store.Store // what the handler uses (mem, or a wrapper)
	vault  *seal.PrivateKey
	clock  *clock
	logs   *logBuffer
	token  string // ada@example.com, subscribed to btc-spot
	engine string // engine token "engine-1"
}

type envOption func(*Config, *store.Store)

func withConfig(f func(*Config)) envOption { return func(c *Config, _ *store.Store) { f(c) } }
func withStore(wrap func(store.Store) store.Store) envOption {
	return func(_ *Config, s *store.Store) { *s = wrap(*s) }
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, mem: memstore.New(), clock: &clock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}, logs: &logBuffer{}}
	var err error
	if e.vault, err = seal.GenerateKey(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.mem.AddSubscriber(ctx, "ada@example.com", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.mem.Subscribe(ctx, "ada@example.com", "btc-spot"); err != nil {
		t.Fatal(err)
	}
	e.token = NewToken()
	if err := e.mem.AddToken(ctx, "ada@example.com", HashToken(e.token), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	e.engine = NewToken()
	if err := e.mem.AddEngineToken(ctx, "engine-1", HashToken(e.engine), e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Now: e.clock.Now, RateLimit: RateLimit{Rate: 1000, Burst: 1000}, AddressLimit: RateLimit{Rate: 1000, Burst: 1000}}
	e.st = e.mem
	for _, o := range opts {
		o(&cfg, &e.st)
	}
	logger := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.srv = New(cfg, e.st, e.vault, logger)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	return e
}

// addSubscriber adds an account with a token, subscribed to bots.
func (e *env) addSubscriber(email string, bots ...string) string {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.mem.AddSubscriber(ctx, email, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	for _, b := range bots {
		if err := e.mem.Subscribe(ctx, email, b); err != nil {
			e.t.Fatal(err)
		}
	}
	tok := NewToken()
	if err := e.mem.AddToken(ctx, email, HashToken(tok), e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
	return tok
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) code() string {
	var b errorBody
	json.Unmarshal(a.body, &b)
	return b.Error.Code
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %q: %v", a.status, a.body, err)
	}
}

func (e *env) do(method, path, token string, body any) answer {
	e.t.Helper()
	return e.doWith(method, path, token, body, nil)
}

// doWith is do with extra request headers.
func (e *env) doWith(method, path, token string, body any, header http.Header) answer {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return answer{res.StatusCode, res.Header, data}
}

// putBody is a PUT body whose secret is sealed for (sealBot, apiKey, keyType).
type putBody struct {
	APIKey       string  `json:"api_key"`
	SealedSecret string  `json:"sealed_secret"`
	VaultKeyID   string  `json:"vault_key_id"`
	KeyType      string  `json:"key_type"`
	Label        *string `json:"label,omitempty"`
}

func (e *env) sealed(bot, apiKey, keyType, secret string) putBody {
	e.t.Helper()
	s, err := seal.Seal(e.vault.Public(), bot, apiKey, keyType, []byte(secret))
	if err != nil {
		e.t.Fatal(err)
	}
	return putBody{APIKey: apiKey, SealedSecret: base64.StdEncoding.EncodeToString(s), VaultKeyID: e.vault.Public().ID(), KeyType: keyType}
}
