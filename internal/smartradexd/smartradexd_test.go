package smartradexd

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// lines is a writer the server logs to, read by the test as it goes.
type lines struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	seen chan struct{}
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.buf.Write(p)
	select {
	case l.seen <- struct{}{}:
	default:
	}
	return n, err
}

func (l *lines) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

type served struct {
	url    string
	logs   *lines
	stop   func() int    // cancels the run (as SIGTERM does) and returns its exit code
	cancel func()        // cancels the run without waiting
	exited chan struct{} // closed when the run has returned
	code   *int          // its exit code, once exited
}

// serve starts `smartradexd serve args…` in process and returns once it
// has logged "listening on ADDR".
func serve(t *testing.T, env map[string]string, scheme string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := &lines{seen: make(chan struct{}, 1)}
	exited := make(chan struct{})
	code := new(int)
	go func() {
		*code = Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, io.Discard, logs)
		close(exited)
	}()
	stop := func() int { cancel(); <-exited; return *code }
	t.Cleanup(func() { stop() })
	deadline := time.After(30 * time.Second)
	for {
		for _, line := range strings.Split(logs.String(), "\n") {
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(rec.Msg, "listening on ") {
				if rec.Msg != "listening on "+rec.Addr || strings.HasSuffix(rec.Addr, ":0") {
					t.Fatalf("listening record = %s", line)
				}
				return &served{url: scheme + "://" + rec.Addr, logs: logs, stop: stop, cancel: cancel, exited: exited, code: code}
			}
		}
		select {
		case <-logs.seen:
		case <-exited:
			t.Fatalf("serve exited with %d before listening: %s", *code, logs.String())
		case <-deadline:
			t.Fatalf("serve did not listen: %s", logs.String())
		}
	}
}

func get(t *testing.T, client *http.Client, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// The journey an operator makes, on the default SQLite database of the
// data directory: a subscriber, a token, a subscription, then the token
// opens /v1/me on the running server (the admin commands and serve share
// the database); it still does after a restart; a revoked token no longer
// does; SIGTERM stops the server with exit 0.
func TestServeAndAdmin(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_DATA_HOME": dir}
	srv := serve(t, env, "http")
	if _, err := os.Stat(filepath.Join(dir, "smartradexd", "smartradexd.db")); err != nil {
		t.Fatalf("no database in the data directory: %v", err)
	}

	// The vault key was generated in the data directory, 0600 in a 0700 directory.
	keyFile := filepath.Join(dir, "smartradexd", "vault.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("vault.key: %v %v", fi, err)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "smartradexd")); fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v", fi.Mode().Perm())
	}
	k, err := loadVaultKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(keyFile)
	if strings.Contains(srv.logs.String(), strings.TrimSpace(string(text))) {
		t.Fatal("the vault private key is in the logs")
	}
	if !strings.Contains(srv.logs.String(), `"key_id":"`+k.Public().ID()+`"`) {
		t.Errorf("the key ID is not logged: %s", srv.logs.String())
	}

	steps := []struct {
		args   []string
		code   int
		stdout string
	}{
		{[]string{"admin", "subscriber", "add", "ada@example.com"}, 0, "subscriber ada@example.com added\n"},
		{[]string{"admin", "subscriber", "add", "ada@example.com"}, 1, ""},
		{[]string{"admin", "subscribe", "ada@example.com", "btc-spot"}, 0, "ada@example.com subscribed to btc-spot\n"},
		{[]string{"admin", "subscribe", "ada@example.com", "doge-spot"}, 1, ""},
		{[]string{"admin", "subscribe", "bob@example.com", "btc-spot"}, 1, ""},
		{[]string{"admin", "subscribe", "--json", "ada@example.com", "eth-spot"}, 0, `{"bot":"eth-spot","email":"ada@example.com","subscribed":true}` + "\n"},
		{[]string{"admin", "unsubscribe", "ada@example.com", "eth-spot"}, 0, "ada@example.com unsubscribed from eth-spot\n"},
		{[]string{"admin", "token", "issue", "bob@example.com"}, 1, ""},
	}
	for _, s := range steps {
		r := run(t, env, s.args...)
		if r.code != s.code || (s.stdout != "" || s.code != 0) && r.stdout != s.stdout {
			t.Fatalf("%v = %d %q %q, want %d %q", s.args, r.code, r.stdout, r.stderr, s.code, s.stdout)
		}
	}
	r := run(t, env, "admin", "token", "issue", "ada@example.com")
	token := strings.TrimSuffix(r.stdout, "\n")
	if r.code != 0 || !strings.HasPrefix(token, "srx_") || strings.Contains(token, "\n") {
		t.Fatalf("token issue = %d %q", r.code, r.stdout)
	}
	if code, body := get(t, http.DefaultClient, srv.url+"/v1/me", token); code != 200 || body != `{"bots":["btc-spot"],"email":"ada@example.com"}`+"\n" {
		t.Fatalf("GET /v1/me = %d %s", code, body)
	}
	// A restart keeps everything: the database and the vault key.
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve after SIGTERM = %d: %s", code, srv.logs.String())
	}
	srv = serve(t, env, "http")
	if code, body := get(t, http.DefaultClient, srv.url+"/v1/me", token); code != 200 {
		t.Fatalf("GET /v1/me after a restart = %d %s", code, body)
	}
	if !strings.Contains(srv.logs.String(), `"key_id":"`+k.Public().ID()+`"`) {
		t.Errorf("the restart did not keep the vault key: %s", srv.logs.String())
	}
	var js struct{ Token string }
	r = run(t, env, "admin", "token", "issue", "--json", "ada@example.com")
	if json.Unmarshal([]byte(r.stdout), &js) != nil || !strings.HasPrefix(js.Token, "srx_") || js.Token == token {
		t.Fatalf("token issue --json = %q", r.stdout)
	}
	r = run(t, env, "admin", "subscriber", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "ada@example.com  btc-spot") {
		t.Errorf("subscriber list = %q", r.stdout)
	}
	r = run(t, env, "admin", "subscriber", "list", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"email":"ada@example.com","bots":["btc-spot"]`) {
		t.Errorf("subscriber list --json = %q", r.stdout)
	}
	r = run(t, env, "admin", "engine-token", "issue", "engine-1")
	engine := strings.TrimSpace(r.stdout)
	if code, _ := get(t, http.DefaultClient, srv.url+"/internal/v1/keys?bot=btc-spot", engine); r.code != 0 || code != 200 {
		t.Errorf("engine token: %d, GET = %d", r.code, code)
	}
	if r := run(t, env, "admin", "engine-token", "issue", "engine-1"); r.code != 1 {
		t.Errorf("a second token for engine-1 = %d", r.code)
	}
	if r := run(t, env, "admin", "token", "revoke", "--json", "ada@example.com"); r.code != 0 || r.stdout != `{"email":"ada@example.com","revoked":2}`+"\n" {
		t.Errorf("revoke = %d %q", r.code, r.stdout)
	}
	if code, _ := get(t, http.DefaultClient, srv.url+"/v1/me", token); code != 401 {
		t.Errorf("revoked token = %d", code)
	}
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/v1/bots", "/v1/vault-key"} {
		if code, _ := get(t, http.DefaultClient, srv.url+p, ""); code != 200 {
			t.Errorf("GET %s = %d", p, code)
		}
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("serve after SIGTERM = %d: %s", code, srv.logs.String())
	}
	for _, v := range []string{token, js.Token, engine} {
		if strings.Contains(srv.logs.String(), v) {
			t.Error("a token is in the server's logs")
		}
	}
	if !strings.Contains(srv.logs.String(), `"msg":"shutting down"`) {
		t.Error("no shutdown record")
	}
}

func TestVaultKeyGenerate(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "vault.key")
	r := run(t, nil, "vault-key", "generate", "--out", out)
	if r.code != 0 {
		t.Fatalf("generate = %d %s", r.code, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", fi, err)
	}
	text, _ := os.ReadFile(out)
	k, err := seal.ParsePrivateKey(text)
	if err != nil || r.stdout != k.Public().ID()+"\n" {
		t.Fatalf("stdout %q, key %v", r.stdout, err)
	}
	if strings.Contains(r.stdout+r.stderr, strings.TrimSpace(string(text))) {
		t.Fatal("the private key was printed")
	}
	// Never overwritten.
	if r := run(t, nil, "vault-key", "generate", "--out", out); r.code != 1 || !strings.Contains(r.stderr, "already exists") {
		t.Errorf("second generate = %d %s", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(out); !bytes.Equal(again, text) {
		t.Error("the key file changed")
	}
	// The environment names the file too.
	out2 := filepath.Join(dir, "second.key")
	if r := run(t, map[string]string{"SMARTRADEXD_OUT": out2}, "vault-key", "generate"); r.code != 0 {
		t.Errorf("SMARTRADEXD_OUT = %d %s", r.code, r.stderr)
	}
	// A --vault-key file that does not exist is named, with what to do;
	// none is generated in its place.
	missing := filepath.Join(dir, "missing.key")
	r = run(t, map[string]string{"SMARTRADEXD_DB": "memory:x"}, "serve", "--addr", "127.0.0.1:0", "--vault-key", missing)
	if want := "smartradexd: error: the vault key file " + missing + " does not exist: check --vault-key (SMARTRADEXD_VAULT_KEY), or make one with smartradexd vault-key generate --out " + missing + "\n"; r.code != 1 || r.stderr != want {
		t.Errorf("serve with a missing key = %d %q, want 1 and %q", r.code, r.stderr, want)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("serve generated the --vault-key file it was given")
	}
	// A key others can read is refused by serve.
	os.Chmod(out, 0o644)
	r = run(t, map[string]string{"SMARTRADEXD_DB": "memory:x"}, "serve", "--addr", "127.0.0.1:0", "--vault-key", out)
	if r.code != 1 || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("serve with a 0644 key = %d %s", r.code, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		msg  string
	}{
		{nil, []string{"bogus"}, "unknown command"},
		{nil, []string{"serve", "--bogus"}, "unknown flag"},
		{nil, []string{"serve", "extra"}, "no argument"},
		{nil, []string{"serve", "--ip-lock", "maybe"}, "--ip-lock"},
		{map[string]string{"SMARTRADEXD_IP_LOCK": "maybe"}, []string{"serve"}, "--ip-lock"},
		{nil, []string{"serve", "--ip-lock", "required"}, "--egress-ips"},
		{nil, []string{"serve", "--egress-ips", "1.2.3.4,nope"}, "--egress-ips"},
		{nil, []string{"serve", "--binance-source-addr", "host"}, "--binance-source-addr"},
		{nil, []string{"serve", "--binance-url", "ftp://x"}, "--binance-url"},
		{nil, []string{"serve", "--tls-cert", "c.pem"}, "--tls-key"},
		{nil, []string{"serve", "--addr", "nope"}, "--addr"},
		{nil, []string{"serve", "--db", "mysql://u:secretpw@h/db"}, `--db: unsupported database "mysql://…": use a file path, sqlite:PATH or a postgres:// URL`},
		{map[string]string{"SMARTRADEXD_DB": "mysql://u:secretpw@h/db"}, []string{"migrate"}, `--db: unsupported database "mysql://…"`},
		{nil, []string{"admin", "subscriber", "list", "--db", "sqlite:"}, "--db: sqlite: no path"},
		{nil, []string{"serve", "--trusted-proxies", "10.0.0.0/33"}, `--trusted-proxies: "10.0.0.0/33" is not a CIDR`},
		{map[string]string{"SMARTRADEXD_TRUSTED_PROXIES": "10.0.0.0/8,nginx"}, []string{"serve"}, `--trusted-proxies: "nginx" is not a CIDR`},
		{nil, []string{"serve", "--address-rate", "-1"}, "--address-rate"},
		{nil, []string{"serve", "--address-rate", "NaN"}, "--address-rate"},
		{map[string]string{"SMARTRADEXD_ADDRESS_RATE": "fast"}, []string{"serve"}, "SMARTRADEXD_ADDRESS_RATE"},
		{nil, []string{"serve", "--address-burst", "0"}, "--address-burst must be at least 1"},
		{nil, []string{"vault-key", "generate"}, "--out"},
		{nil, []string{"vault-key"}, "subcommand"},
		{nil, []string{"admin"}, "subcommand"},
		{nil, []string{"admin", "token", "issue"}, "EMAIL"},
		{nil, []string{"admin", "token", "issue", "not-an-email"}, "e-mail"},
		{nil, []string{"admin", "subscriber", "add", "Ada <ada@example.com>"}, "e-mail"},
		{nil, []string{"admin", "subscribe", "ada@example.com", "BTC spot"}, "bot"},
		{nil, []string{"admin", "engine-token", "issue", "a b"}, "engine name"},
		{nil, []string{"admin", "subscriber", "list", "extra"}, "no argument"},
	} {
		r := run(t, tc.env, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.msg) || r.stdout != "" {
			t.Errorf("%v = %d %q %q, want 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.msg)
		}
	}
}

// An address already in use stops serve at once, exit 1, with a message
// that names the address and what to do: the run does not wait for a
// SIGTERM with its background work (the periodic checks, the retried
// migrations) still running.
func TestServeOnAnAddressInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"database ready", func(t *testing.T) string { return "memory:" + t.Name() }},
		// PostgreSQL down: the migrations are retried in the background.
		{"database down", func(*testing.T) string { return "postgres://smartradex@127.0.0.1:1/srx?connect_timeout=1" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"XDG_DATA_HOME": t.TempDir(), "SMARTRADEXD_DB": tc.db(t)}
			done := make(chan result, 1)
			go func() {
				var out, errb bytes.Buffer
				code := Run(context.Background(), []string{"serve", "--addr", addr}, func(k string) string { return env[k] }, &out, &errb)
				done <- result{code, out.String(), errb.String()}
			}()
			var r result
			select {
			case r = <-done:
			case <-time.After(time.Minute): // a hang, not a measure
				t.Fatal("serve on an address in use did not return")
			}
			want := "smartradexd: error: cannot listen on " + addr + ": the address is already in use"
			if r.code != 1 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "--addr") {
				t.Errorf("serve on an address in use = %d %q, want 1 and %q", r.code, r.stderr, want)
			}
		})
	}
}

// The data directory's vault.key is generated on a first start only: over
// a database that already holds registered keys (its vault key file not
// restored, say), serve stops, exit 1, names the file to restore and
// writes none; over a database without keys it generates one.
func TestServeGeneratesNoVaultKeyOverRegisteredKeys(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := "memory:" + t.Name()
	st := memoryStore(t.Name())
	sub, err := st.AddSubscriber(ctx, "ada@example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_DATA_HOME": dir, "SMARTRADEXD_DB": db}
	// Subscribers but no key yet: a first start.
	srv := serve(t, env, "http", "--check-interval", "0")
	if !strings.Contains(srv.logs.String(), "vault key generated") {
		t.Fatalf("no vault key generated over a database without keys: %s", srv.logs.String())
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}
	keyFile := filepath.Join(dir, "smartradexd", "vault.key")
	k, err := loadVaultKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := seal.Seal(k.Public(), "btc-spot", strings.Repeat("K", 64), "HMAC", []byte(strings.Repeat("s", 64)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PutKey(ctx, store.Key{SubscriberID: sub.ID, Bot: "btc-spot", APIKey: strings.Repeat("K", 64), KeyType: "HMAC",
		SealedSecret: sealed, VaultKeyID: k.Public().ID(), RegisteredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}

	// The key file lost: serve refuses to replace it.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	r := serveUntilListening(t, env, "--check-interval", "0")
	want := "smartradexd: error: there is no vault key file " + keyFile + ", but the database holds 1 registered key(s) sealed to a vault key: " +
		"restore that key's file from its backup to " + keyFile + ", or name it with --vault-key (SMARTRADEXD_VAULT_KEY)"
	if r.code != 1 || !strings.Contains(r.stderr, want) || strings.Contains(r.stderr, "listening on") {
		t.Errorf("serve without the vault key of its registered keys = %d %q, want 1 and %q", r.code, r.stderr, want)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Error("a vault key was generated over registered keys")
	}
}

// serveUntilListening runs `smartradexd serve args…` expected to fail
// before it listens: if it listens, it is stopped, and its result has
// "listening on" in stderr.
func serveUntilListening(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &lines{seen: make(chan struct{}, 1)}
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), func(k string) string { return env[k] }, io.Discard, logs)
	}()
	for {
		select {
		case code := <-done:
			return result{code: code, stderr: logs.String()}
		case <-logs.seen:
			if strings.Contains(logs.String(), "listening on") {
				cancel()
				return result{code: <-done, stderr: logs.String()}
			}
		}
	}
}

// Flags come from SMARTRADEXD_<FLAG>; the command line wins.
func TestEnvironmentAndTLS(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "v.key")
	if r := run(t, nil, "vault-key", "generate", "--out", keyFile); r.code != 0 {
		t.Fatal(r.stderr)
	}
	cert, key := writeCert(t, dir)
	env := map[string]string{
		"HOME":                  dir,
		"SMARTRADEXD_DB":        "memory:" + t.Name(),
		"SMARTRADEXD_VAULT_KEY": keyFile,
		"SMARTRADEXD_TLS_CERT":  cert,
		"SMARTRADEXD_TLS_KEY":   key,
		"SMARTRADEXD_ADDR":      "256.0.0.1:1", // overridden by the test's --addr
	}
	// A certificate that cannot be read stops serve before it makes
	// anything, naming both flags.
	empty := t.TempDir()
	r := run(t, map[string]string{"XDG_DATA_HOME": empty}, "serve", "--addr", "127.0.0.1:0", "--tls-cert", key, "--tls-key", cert)
	if want := "smartradexd: error: --tls-cert " + key + ", --tls-key " + cert + ": tls: "; r.code != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("serve with switched certificate files = %d %q, want 1 and %q", r.code, r.stderr, want)
	}
	if _, err := os.Stat(filepath.Join(empty, "smartradexd")); err == nil {
		t.Error("serve made its data directory before reading the certificate")
	}
	srv := serve(t, env, "https")
	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(cert)
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	code, body := get(t, client, srv.url+"/v1/vault-key", "")
	var vk seal.VaultKey
	json.Unmarshal([]byte(body), &vk)
	k, _ := loadVaultKey(keyFile)
	if code != 200 || vk.KeyID != k.Public().ID() {
		t.Fatalf("GET /v1/vault-key over TLS = %d %s", code, body)
	}
	// Nothing was made in the data directory: the environment named both files.
	if _, err := os.Stat(filepath.Join(dir, ".local")); err == nil {
		t.Error("the data directory was created although --db and --vault-key were given")
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

func TestMigrate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for i := range 2 { // idempotent
		if r := run(t, nil, "migrate", "--db", "sqlite:"+db); r.code != 0 || r.stdout != "the database is up to date\n" {
			t.Fatalf("migrate #%d = %d %q %q", i, r.code, r.stdout, r.stderr)
		}
	}
	if r := run(t, map[string]string{"SMARTRADEXD_DB": db}, "admin", "subscriber", "list", "--json"); r.code != 0 || r.stdout != `{"subscribers":[]}`+"\n" {
		t.Errorf("list on the migrated file = %d %q %q", r.code, r.stdout, r.stderr)
	}
	// An unreachable PostgreSQL fails with exit 1, its password never shown.
	r := run(t, nil, "migrate", "--db", "postgres://smartradex:hunter2secret@127.0.0.1:1/srx?connect_timeout=2")
	if r.code != 1 || strings.Contains(r.stdout+r.stderr, "hunter2secret") || !strings.Contains(r.stderr, "xxxxx") ||
		!strings.HasSuffix(r.stderr, "\nhint: the database did not answer, and nothing was changed: check that it runs and that --db (SMARTRADEXD_DB) names it, then run the command again\n") {
		t.Errorf("migrate on an unreachable database = %d %q", r.code, r.stderr)
	}
	// Another error has no such hint.
	if r := run(t, nil, "admin", "subscribe", "nobody@example.com", "btc-spot", "--db", "memory:"+t.Name()); r.code != 1 || strings.Contains(r.stderr, "hint:") {
		t.Errorf("subscribe an unknown subscriber = %d %q", r.code, r.stderr)
	}
}

// SIGTERM while a PUT is in flight (its body half sent): serve logs that it
// is shutting down, waits for the request, which gets its 200, then exits 0.
func TestShutdownLetsRequestsFinish(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "SMARTRADEXD_DB": "memory:" + t.TempDir()}
	srv := serve(t, env, "http")
	for _, args := range [][]string{{"admin", "subscriber", "add", "ada@example.com"}, {"admin", "subscribe", "ada@example.com", "btc-spot"}} {
		if r := run(t, env, args...); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	token := strings.TrimSpace(run(t, env, "admin", "token", "issue", "ada@example.com").stdout)
	_, body := get(t, http.DefaultClient, srv.url+"/v1/vault-key", "")
	var vk seal.VaultKey
	json.Unmarshal([]byte(body), &vk)
	pub, err := vk.Parse()
	if err != nil {
		t.Fatal(err)
	}
	apiKey := strings.Repeat("k", 60) + "0001"
	sealed, _ := seal.Seal(pub, "btc-spot", apiKey, "HMAC", []byte(strings.Repeat("s", 64)))
	put, _ := json.Marshal(map[string]string{"api_key": apiKey, "key_type": "HMAC", "vault_key_id": vk.KeyID,
		"sealed_secret": base64.StdEncoding.EncodeToString(sealed)})

	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Expect: 100-continue makes the server say when the handler starts
	// reading the body: from then on the request is in flight.
	fmt.Fprintf(conn, "PUT /v1/bots/btc-spot/binance-key HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", token, len(put))
	rd := bufio.NewReader(conn)
	if res, err := http.ReadResponse(rd, nil); err != nil || res.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v %v", res, err)
	}
	conn.Write(put[:len(put)/2])

	srv.cancel()
	for !strings.Contains(srv.logs.String(), `"msg":"shutting down"`) {
		select {
		case <-srv.logs.seen:
		case <-srv.exited:
			t.Fatalf("serve exited (%d) with a request in flight: %s", *srv.code, srv.logs.String())
		}
	}
	select {
	case <-srv.exited:
		t.Fatalf("serve exited (%d) with a request in flight", *srv.code)
	default:
	}
	conn.Write(put[len(put)/2:])
	res, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("%v; logs: %s", err, srv.logs.String())
	}
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("in-flight PUT = %d %s", res.StatusCode, b)
	}
	if c := srv.stop(); c != 0 {
		t.Errorf("exit %d", c)
	}
}

// After a journey on SQLite (admin set-up, PUT, GET, replace, the engine's
// read, DELETE), neither the database files nor the logs nor the metrics
// hold a token, a secret or the vault private key; the logs and metrics do
// not hold a sealed secret either (the database does: that is its job).
func TestJourneyLeaksNothing(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_DATA_HOME": dir}
	srv := serve(t, env, "http")
	run(t, env, "admin", "subscriber", "add", "ada@example.com")
	run(t, env, "admin", "subscribe", "ada@example.com", "btc-spot")
	token := strings.TrimSpace(run(t, env, "admin", "token", "issue", "ada@example.com").stdout)
	engine := strings.TrimSpace(run(t, env, "admin", "engine-token", "issue", "engine-1").stdout)
	if !strings.HasPrefix(token, "srx_") || !strings.HasPrefix(engine, "srx_") {
		t.Fatal("no tokens")
	}
	_, body := get(t, http.DefaultClient, srv.url+"/v1/vault-key", "")
	var vk seal.VaultKey
	json.Unmarshal([]byte(body), &vk)
	pub, err := vk.Parse()
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, tok string, body []byte) int {
		req, _ := http.NewRequest(method, srv.url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	type key struct{ apiKey, keyType, secret, sealed string }
	keys := []key{
		{strings.Repeat("A", 29) + "journeyKey0000000000000000000000001", "HMAC", "S3cretHmac" + strings.Repeat("x", 54), ""},
		{strings.Repeat("B", 29) + "journeyKey0000000000000000000000002", "ED25519",
			"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJourneyEd25519SecretPartXXXXXXXXXXXXXXXX\n-----END PRIVATE KEY-----\n", ""},
	}
	for i := range keys {
		k := &keys[i]
		sealed, _ := seal.Seal(pub, "btc-spot", k.apiKey, k.keyType, []byte(k.secret))
		k.sealed = base64.StdEncoding.EncodeToString(sealed)
		put, _ := json.Marshal(map[string]string{"api_key": k.apiKey, "key_type": k.keyType, "vault_key_id": vk.KeyID, "sealed_secret": k.sealed})
		for range 2 {
			if c := do("PUT", "/v1/bots/btc-spot/binance-key", token, put); c != 200 {
				t.Fatalf("PUT %s = %d", k.keyType, c)
			}
		}
		if c := do("GET", "/v1/bots/btc-spot/binance-key", token, nil); c != 200 {
			t.Fatalf("GET = %d", c)
		}
		if c := do("GET", "/internal/v1/keys?bot=btc-spot", engine, nil); c != 200 {
			t.Fatalf("engine GET = %d", c)
		}
	}
	// A refused secret in clear, with the token also in the query string.
	clearBody, _ := json.Marshal(map[string]string{"api_key": keys[0].apiKey, "key_type": "HMAC", "api_secret": keys[0].secret})
	if c := do("PUT", "/v1/bots/btc-spot/binance-key?token="+token, token, clearBody); c != 422 {
		t.Fatalf("PUT in clear = %d", c)
	}
	if c := do("DELETE", "/v1/bots/btc-spot/binance-key", token, nil); c != 204 {
		t.Fatalf("DELETE = %d", c)
	}
	_, metrics := get(t, http.DefaultClient, srv.url+"/metrics", "")
	if code := srv.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	vaultText, _ := os.ReadFile(filepath.Join(dir, "smartradexd", "vault.key"))
	seed, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(vaultText)))
	never := map[string][]byte{
		"token": []byte(token), "engine token": []byte(engine),
		"HMAC secret": []byte(keys[0].secret), "ED25519 secret": []byte("JourneyEd25519SecretPart"),
		"vault key (base64)": []byte(strings.TrimSpace(string(vaultText))), "vault key (raw)": seed,
	}
	files, _ := filepath.Glob(filepath.Join(dir, "smartradexd", "smartradexd.db*"))
	if len(files) == 0 {
		t.Fatal("no database file")
	}
	var db []byte
	for _, f := range files {
		b, _ := os.ReadFile(f)
		db = append(db, b...)
	}
	if !bytes.Contains(db, []byte("ada@example.com")) {
		t.Fatal("the database files read do not hold the journey: the scan would prove nothing")
	}
	logs := []byte(srv.logs.String())
	for what, v := range never {
		for where, data := range map[string][]byte{"the database": db, "the logs": logs, "the metrics": []byte(metrics)} {
			if bytes.Contains(data, v) {
				t.Errorf("%s holds the %s", where, what)
			}
		}
	}
	for _, k := range keys {
		for where, data := range map[string][]byte{"the logs": logs, "the metrics": []byte(metrics)} {
			if bytes.Contains(data, []byte(k.sealed)) || bytes.Contains(data, []byte(k.apiKey)) {
				t.Errorf("%s hold a sealed secret or a full API key", where)
			}
		}
	}
}

// A PostgreSQL that is down at start: serve starts all the same, answers
// 503 where the database is needed and fails readiness.
func TestServeWithTheDatabaseDown(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(),
		"SMARTRADEXD_DB": "postgres://smartradexd:pw-" + strings.Repeat("z", 12) + "@127.0.0.1:1/srx?connect_timeout=2"}
	srv := serve(t, env, "http")
	for _, tc := range []struct {
		path   string
		status int
	}{{"/readyz", 503}, {"/v1/me", 503}, {"/v1/bots", 503}, {"/healthz", 200}, {"/v1/vault-key", 200}} {
		if code, body := get(t, http.DefaultClient, srv.url+tc.path, "srx_x"); code != tc.status {
			t.Errorf("GET %s = %d %s", tc.path, code, body)
		}
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("exit %d", code)
	}
	logs := srv.logs.String()
	if !strings.Contains(logs, "serving 503 until it can be migrated") || strings.Contains(logs, strings.Repeat("z", 12)) {
		t.Errorf("logs = %s", logs)
	}
}

// flaky fails Migrate with ErrUnavailable a number of times.
type flaky struct {
	store.Store
	mu    sync.Mutex
	fails int
	calls int
}

func (f *flaky) Migrate(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls <= f.fails {
		return fmt.Errorf("dial: %w", store.ErrUnavailable)
	}
	return f.Store.Migrate(ctx)
}

func TestMigrateLater(t *testing.T) {
	first, last := migrateRetryFirst, migrateRetryMax
	migrateRetryFirst, migrateRetryMax = time.Millisecond, 4*time.Millisecond
	t.Cleanup(func() { migrateRetryFirst, migrateRetryMax = first, last })

	st := &flaky{Store: memstore.New(), fails: 3}
	vault, _ := seal.GenerateKey()
	var logBuf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logBuf, nil))
	h := server.New(server.Config{}, st, vault, log)
	h.Hold()
	migrateLater(context.Background(), st, h, "memory:x", log)
	if st.calls != 4 {
		t.Errorf("%d attempts, want 4", st.calls)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != 200 {
		t.Errorf("readyz after the migration = %d", rec.Code)
	}
	if n := strings.Count(logBuf.String(), "database still unavailable"); n != 3 {
		t.Errorf("%d retry records, want 3: %s", n, logBuf.String())
	}

	// Cancelled, it stops and leaves the server held.
	st = &flaky{Store: memstore.New(), fails: 1 << 30}
	h = server.New(server.Config{}, st, vault, nil)
	h.Hold()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	migrateLater(ctx, st, h, "memory:x", log)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if rec.Code != 503 {
		t.Errorf("readyz after a cancelled retry = %d", rec.Code)
	}
}

// Behind a trusted proxy the service limits and logs each client by the
// address the proxy forwarded; --address-rate 0 turns the limit off.
func TestServeBehindProxy(t *testing.T) {
	env := map[string]string{
		"XDG_DATA_HOME":               t.TempDir(),
		"SMARTRADEXD_DB":              "memory:" + t.Name(),
		"SMARTRADEXD_TRUSTED_PROXIES": "127.0.0.1/32,10.0.0.0/8",
	}
	srv := serve(t, env, "http", "--address-rate", "0.001", "--address-burst", "2")
	client := func(addr string) (int, http.Header) {
		req, _ := http.NewRequest(http.MethodGet, srv.url+"/v1/bots", nil)
		req.Header.Set("X-Forwarded-For", addr)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header
	}
	for range 2 {
		if code, _ := client("198.51.100.1, 10.1.1.1"); code != 200 {
			t.Fatalf("GET /v1/bots = %d", code)
		}
	}
	code, h := client("198.51.100.1, 10.1.1.1")
	if n, err := strconv.Atoi(h.Get("Retry-After")); code != 429 || err != nil || n < 1 {
		t.Fatalf("3rd GET = %d, Retry-After %q; want 429 with a wait", code, h.Get("Retry-After"))
	}
	if code, _ := client("198.51.100.2"); code != 200 {
		t.Fatalf("another client = %d", code)
	}
	logs := srv.logs.String()
	if !strings.Contains(logs, `"trusted_proxies":["127.0.0.1/32","10.0.0.0/8"]`) || !strings.Contains(logs, `"address_limit":"0.001/s, burst 2"`) {
		t.Errorf("the listening record does not say the proxies and the limit:\n%s", logs)
	}
	if strings.Count(logs, `"client":"198.51.100.1"`) != 3 || strings.Count(logs, `"client":"198.51.100.2"`) != 1 {
		t.Errorf("the request records do not name the forwarded clients:\n%s", logs)
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	env["SMARTRADEXD_DB"] = "memory:" + t.Name() + "-off"
	srv = serve(t, env, "http", "--address-rate", "0", "--address-burst", "1")
	for i := range 5 {
		if code, _ := client("198.51.100.1"); code != 200 {
			t.Fatalf("request %d with the limit off = %d", i, code)
		}
	}
	if !strings.Contains(srv.logs.String(), `"address_limit":"off"`) {
		t.Errorf("the listening record does not say the limit is off:\n%s", srv.logs.String())
	}
}
