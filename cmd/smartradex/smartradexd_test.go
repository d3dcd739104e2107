package main

// The CLI against the real service: the smartradexd binary, built once per
// test from ./cmd/smartradexd, serving on loopback from a SQLite file in the
// script's work directory, or from a schema of its own on the PostgreSQL
// that scripts/with-postgres starts.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/secrets"
)

// postgresEnv names the variable scripts/with-postgres sets (the same as
// internal/server/store/pgstore/pgtest's, which this package does not
// import: the CLI's tests link no database driver).
const postgresEnv = "SMARTRADEXD_TEST_POSTGRES"

const srxdKey = "smartradexd"

// TestServiceJourney runs testdata/smartradexd against the real service on
// SQLite.
func TestServiceJourney(t *testing.T) {
	testscript.Run(t, srxdParams(t, "sqlite", ""))
}

// TestServiceJourneyPostgres runs the same scripts on PostgreSQL. Without
// one it is skipped, saying how to run it; under CI it fails instead.
func TestServiceJourneyPostgres(t *testing.T) {
	base := os.Getenv(postgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set under CI: run the tests through scripts/with-postgres", postgresEnv)
		}
		t.Skipf("%s is not set: run under scripts/with-postgres to run the journey on PostgreSQL (bash scripts/with-postgres go test ./cmd/smartradex -run TestServiceJourneyPostgres)", postgresEnv)
	}
	for _, tool := range []string{"psql", "pg_dump"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (Debian: postgresql-client): %v", tool, err)
		}
	}
	testscript.Run(t, srxdParams(t, "postgres", base))
}

// buildSmartradexd builds ./cmd/smartradexd into a temporary directory and
// returns that directory.
func buildSmartradexd(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building smartradexd needs the go command: %v", err)
	}
	name := "smartradexd"
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	cmd := exec.Command(goBin, "build", "-o", filepath.Join(dir, name), "github.com/smartradex/smartradex/cmd/smartradexd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building smartradexd: %v\n%s", err, out)
	}
	return dir
}

func srxdParams(t *testing.T, engine, pgBase string) testscript.Params {
	if runtime.GOOS == "windows" {
		// The scripts stop the service with SIGTERM, as systemd does.
		t.Skip("the journey scripts send SIGTERM, which Windows does not have")
	}
	binDir := buildSmartradexd(t)
	p := scriptParams(t, "testdata/smartradexd")
	baseSetup, baseCond := p.Setup, p.Condition
	p.Setup = func(env *testscript.Env) error {
		if err := baseSetup(env); err != nil {
			return err
		}
		dir := filepath.Join(env.WorkDir, "srxd")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		d := &daemon{bin: filepath.Join(binDir, "smartradexd"), dir: dir, engine: engine, pgBase: pgBase}
		switch engine {
		case "postgres":
			schema := "journey_" + strings.ToLower(rand.Text()[:12])
			if err := psql(pgBase, `CREATE SCHEMA `+schema); err != nil {
				return err
			}
			env.Defer(func() {
				if err := psql(pgBase, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
					env.T().Log(err)
				}
			})
			d.pgSchema = schema
			d.db = withParam(pgBase, "search_path", schema)
		default:
			d.db = "sqlite:" + filepath.Join(dir, "smartradexd.db")
		}
		env.Values[srxdKey] = d
		env.Defer(d.killAll)
		env.Setenv("PATH", binDir+string(os.PathListSeparator)+env.Getenv("PATH"))
		env.Setenv("SRXD_DIR", dir)
		env.Setenv("SMARTRADEXD_DB", d.db)
		env.Setenv("SMARTRADEXD_VAULT_KEY", filepath.Join(dir, "vault.key"))
		env.Setenv("SMARTRADEXD_BINANCE_URL", env.Getenv("SMARTRADEX_BINANCE_URL"))
		// Nothing answers here until srxd-serve starts the service: no
		// script talks to the reference stand-in by mistake.
		env.Setenv("SMARTRADEX_SERVICE_URL", "http://127.0.0.1:1")
		out, err := exec.Command(d.bin, "vault-key", "generate", "--out", filepath.Join(dir, "vault.key")).CombinedOutput()
		if err != nil {
			return fmt.Errorf("vault-key generate: %v: %s", err, out)
		}
		env.Setenv("VAULT_KEY_ID", strings.TrimSpace(string(out)))
		return nil
	}
	p.Condition = func(cond string) (bool, error) {
		switch cond {
		case "postgres", "sqlite":
			return cond == engine, nil
		}
		return baseCond(cond)
	}
	p.Cmds = mergeCmds(p.Cmds, map[string]func(*testscript.TestScript, bool, []string){
		"srxd-serve":       cmdSrxdServe,
		"srxd-get":         cmdSrxdGet,
		"srxd-holds":       cmdSrxdHolds,
		"srxd-leaks":       cmdSrxdLeaks,
		"srxd-dbdown":      cmdSrxdDBDown,
		"srxd-race":        cmdSrxdRace,
		"srxd-sigterm-put": cmdSrxdSigtermPut,
	})
	return p
}

// psql runs one statement on the PostgreSQL at base.
func psql(base, stmt string) error {
	out, err := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", base, "-c", stmt).CombinedOutput()
	if err != nil {
		return fmt.Errorf("psql %q: %v: %s", stmt, err, out)
	}
	return nil
}

func withParam(u, key, value string) string {
	p, err := url.Parse(u)
	if err != nil {
		panic(err)
	}
	q := p.Query()
	q.Set(key, value)
	p.RawQuery = q.Encode()
	return p.String()
}

// daemon is the script's smartradexd: one `serve` process at a time (or
// several, named, for replicas), its logs appended to srxd/serve.log.
type daemon struct {
	bin, dir, engine, db string
	pgBase, pgSchema     string

	mu    sync.Mutex
	procs map[string]*proc
	proxy *dbProxy
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{}
	err  error
}

func srxd(ts *testscript.TestScript) *daemon { return ts.Value(srxdKey).(*daemon) }

func (d *daemon) logPath() string { return filepath.Join(d.dir, "serve.log") }

// start runs `smartradexd serve --addr ADDR args…` and waits for its
// "listening on" record.
func (d *daemon) start(ts *testscript.TestScript, name, addr string, args []string) *proc {
	logf, err := os.OpenFile(d.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	ts.Check(err)
	defer logf.Close()
	before, err := logf.Seek(0, io.SeekEnd)
	ts.Check(err)
	cmd := exec.Command(d.bin, append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = []string{
		"HOME=" + ts.Getenv("HOME"),
		"TMPDIR=" + ts.Getenv("TMPDIR"),
		"PATH=" + ts.Getenv("PATH"),
	}
	for _, k := range []string{"SMARTRADEXD_DB", "SMARTRADEXD_VAULT_KEY", "SMARTRADEXD_BINANCE_URL"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	ts.Check(cmd.Start())
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	d.mu.Lock()
	if d.procs == nil {
		d.procs = map[string]*proc{}
	}
	d.procs[name] = p
	d.mu.Unlock()

	deadline := time.Now().Add(60 * time.Second)
	for {
		data, _ := os.ReadFile(d.logPath())
		if int64(len(data)) > before {
			for _, line := range strings.Split(string(data[before:]), "\n") {
				var rec struct{ Msg, Addr string }
				if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening on "+rec.Addr && rec.Addr != "" {
					p.addr = rec.Addr
					return p
				}
			}
		}
		select {
		case <-p.done:
			ts.Fatalf("smartradexd serve exited before listening (%v):\n%s", p.err, data[before:])
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ts.Fatalf("smartradexd serve did not listen within a minute:\n%s", data[before:])
		}
	}
}

// stop sends sig (SIGTERM, SIGKILL; nil: none, it is already stopping),
// waits for the process and returns its exit code.
func (d *daemon) stop(ts *testscript.TestScript, name string, sig os.Signal) int {
	d.mu.Lock()
	p := d.procs[name]
	delete(d.procs, name)
	d.mu.Unlock()
	if p == nil {
		ts.Fatalf("no smartradexd %q is running", name)
	}
	if sig != nil {
		ts.Check(p.cmd.Process.Signal(sig))
	}
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		ts.Fatalf("smartradexd %q did not stop within a minute", name)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return ee.ExitCode()
	}
	ts.Check(p.err)
	return 0
}

func (d *daemon) killAll() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, p := range d.procs {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	d.procs = nil
	if d.proxy != nil {
		d.proxy.close()
	}
}

// srxd-serve start [-name N] [-db DSN] [ARGS...] | stop [-name N] [-exit CODE] | restart [-name N] [-db DSN] | kill [-name N]
//
// start runs `smartradexd serve` on a free loopback port (with -db, on
// that database instead of the script's) and points SMARTRADEX_SERVICE_URL
// at it (SRXD_URL_<N> too, for a named one); restart stops it with SIGTERM
// and starts it again on the same address; stop asserts the exit code
// (default 0); kill sends SIGKILL, as a crash would.
func cmdSrxdServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: srxd-serve start|stop|restart|kill [-name N] [-db DSN] [-exit CODE] [serve ARGS...]")
	}
	fs := flag.NewFlagSet("srxd-serve", flag.ContinueOnError)
	name := fs.String("name", "main", "which serve process")
	db := fs.String("db", "", "database for this process")
	exit := fs.Int("exit", 0, "expected exit code of stop")
	if err := fs.Parse(args[1:]); err != nil {
		ts.Fatalf("srxd-serve: %v", err)
	}
	d := srxd(ts)
	setURL := func(p *proc) {
		u := "http://" + p.addr
		if *name == "main" {
			ts.Setenv("SMARTRADEX_SERVICE_URL", u)
		}
		ts.Setenv("SRXD_URL_"+strings.ToUpper(*name), u)
	}
	switch args[0] {
	case "start":
		extra := fs.Args()
		if *db != "" {
			extra = append([]string{"--db", *db}, extra...)
		}
		setURL(d.start(ts, *name, "127.0.0.1:0", extra))
	case "stop":
		if code := d.stop(ts, *name, syscall.SIGTERM); code != *exit {
			ts.Fatalf("smartradexd %q exited with %d after SIGTERM, want %d", *name, code, *exit)
		}
	case "kill":
		d.stop(ts, *name, os.Kill)
	case "restart":
		d.mu.Lock()
		p := d.procs[*name]
		d.mu.Unlock()
		if p == nil {
			ts.Fatalf("no smartradexd %q is running", *name)
		}
		if code := d.stop(ts, *name, syscall.SIGTERM); code != 0 {
			ts.Fatalf("smartradexd %q exited with %d after SIGTERM", *name, code)
		}
		// The same address: the CLI's pins and settings name the URL.
		extra := fs.Args()
		if *db != "" {
			extra = append([]string{"--db", *db}, extra...)
		}
		setURL(d.start(ts, *name, p.addr, extra))
	default:
		ts.Fatalf("srxd-serve: unknown action %q", args[0])
	}
}

// srxd-get [-token FILE] [-url URL] [-H 'NAME: VALUE']... [-show NAME] PATH
// prints the status code of GET PATH at the service on a first line (with
// -show, then the answer's header NAME as "NAME: VALUE"), then the body,
// to stdout. -H adds a request header, as a reverse proxy would.
func cmdSrxdGet(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("srxd-get", flag.ContinueOnError)
	tokenFile := fs.String("token", "", "file holding the bearer token")
	base := fs.String("url", "", "base URL (default: SMARTRADEX_SERVICE_URL)")
	show := fs.String("show", "", "answer header to print")
	header := http.Header{}
	fs.Func("H", "request header NAME: VALUE", func(v string) error {
		k, val, ok := strings.Cut(v, ":")
		if !ok {
			return fmt.Errorf("-H %q: want NAME: VALUE", v)
		}
		header.Add(strings.TrimSpace(k), strings.TrimSpace(val))
		return nil
	})
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 || neg {
		ts.Fatalf("usage: srxd-get [-token FILE] [-url URL] [-H 'NAME: VALUE']... [-show NAME] PATH")
	}
	if *base == "" {
		*base = ts.Getenv("SMARTRADEX_SERVICE_URL")
	}
	status, answer, body := srxdRequest(ts, *base+fs.Arg(0), *tokenFile, header)
	fmt.Fprintf(ts.Stdout(), "%d\n", status)
	if *show != "" {
		fmt.Fprintf(ts.Stdout(), "%s: %s\n", *show, answer.Get(*show))
	}
	fmt.Fprintf(ts.Stdout(), "%s", body)
}

func srxdGet(ts *testscript.TestScript, u, tokenFile string) (int, []byte) {
	status, _, body := srxdRequest(ts, u, tokenFile, nil)
	return status, body
}

func srxdRequest(ts *testscript.TestScript, u, tokenFile string, header http.Header) (int, http.Header, []byte) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	ts.Check(err)
	for k, v := range header {
		req.Header[k] = v
	}
	if tokenFile != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(ts.ReadFile(tokenFile)))
	}
	res, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	ts.Check(err)
	return res.StatusCode, res.Header, body
}

// [!] srxd-holds -token FILE BOT [APIKEY [SECRET]] asserts what the service
// gives the trading engine for BOT (with the engine token in FILE): one
// active key, APIKEY, whose sealed secret opens, with the vault private
// key, to SECRET. With !, that it holds no key for BOT (or not APIKEY).
func cmdSrxdHolds(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("srxd-holds", flag.ContinueOnError)
	tokenFile := fs.String("token", "", "file holding an engine token")
	if err := fs.Parse(args); err != nil || *tokenFile == "" || fs.NArg() < 1 || fs.NArg() > 3 {
		ts.Fatalf("usage: [!] srxd-holds -token FILE BOT [APIKEY [SECRET]]")
	}
	bot := fs.Arg(0)
	status, body := srxdGet(ts, ts.Getenv("SMARTRADEX_SERVICE_URL")+"/internal/v1/keys?bot="+url.QueryEscape(bot), *tokenFile)
	if status != http.StatusOK {
		ts.Fatalf("GET /internal/v1/keys?bot=%s = %d %s", bot, status, body)
	}
	var out struct {
		Keys []engineKey `json:"keys"`
	}
	ts.Check(json.Unmarshal(body, &out))
	if neg {
		for _, k := range out.Keys {
			if fs.NArg() == 1 || k.APIKey == fs.Arg(1) {
				ts.Fatalf("the service holds a key for %s", bot)
			}
		}
		return
	}
	if len(out.Keys) != 1 {
		ts.Fatalf("the service holds %d keys for %s, want 1: %s", len(out.Keys), bot, body)
	}
	k := out.Keys[0]
	if fs.NArg() > 1 && k.APIKey != fs.Arg(1) {
		ts.Fatalf("the service holds another key for %s", bot)
	}
	priv := scriptVaultKey(ts)
	if k.VaultKeyID != priv.Public().ID() {
		ts.Fatalf("the key of %s is sealed to vault key %s, not %s", bot, k.VaultKeyID, priv.Public().ID())
	}
	sealed, err := base64.StdEncoding.DecodeString(k.SealedSecret)
	ts.Check(err)
	secret, err := seal.Open(priv, bot, k.APIKey, k.KeyType, sealed)
	if err != nil {
		ts.Fatalf("the sealed secret of %s does not open: %v", bot, err)
	}
	if fs.NArg() > 2 && string(secret) != fs.Arg(2) {
		ts.Fatalf("the service holds another secret for %s", bot)
	}
}

// engineKey is one key of GET /internal/v1/keys.
type engineKey struct {
	Bot          string `json:"bot"`
	Email        string `json:"email"`
	APIKey       string `json:"api_key"`
	KeyType      string `json:"key_type"`
	SealedSecret string `json:"sealed_secret"`
	VaultKeyID   string `json:"vault_key_id"`
}

// scriptFatal lets the leak scanner fail a script.
type scriptFatal struct{ ts *testscript.TestScript }

func (scriptFatal) Helper()                             {}
func (f scriptFatal) Fatalf(format string, args ...any) { f.ts.Fatalf(format, args...) }

// srxd-leaks [-file NAME=FILE]... [-env NAME=VAR]... [-store NAME=ENTRY]...
// asserts that none of the named secrets (a file's content, a variable's
// value, an entry of the script's encrypted secret store) nor the vault
// private key is in what the service keeps or shows: the database (the
// SQLite file and its -wal and -shm, or a pg_dump of the script's schema),
// the service's logs, and its /metrics, fetched now. Each secret is looked
// for raw, in hex and in base64 at any alignment, and in part (any 16
// bytes of any of these forms).
func cmdSrxdLeaks(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! srxd-leaks")
	}
	d := srxd(ts)
	var list []leakSecret
	var store secrets.Store
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) {
			ts.Fatalf("usage: srxd-leaks [-file NAME=FILE]... [-env NAME=VAR]... [-store NAME=ENTRY]...")
		}
		name, src, ok := strings.Cut(args[i+1], "=")
		if !ok {
			ts.Fatalf("srxd-leaks: %q is not NAME=SOURCE", args[i+1])
		}
		var value string
		switch args[i] {
		case "-file":
			value = strings.TrimSpace(ts.ReadFile(src))
		case "-env":
			value = ts.Getenv(src)
		case "-store":
			if store == nil {
				var err error
				store, err = openTestStore(ts.Getenv("SMARTRADEX_CONFIG_DIR"), secrets.BackendFile, ts.Getenv("SMARTRADEX_PASSPHRASE"))
				ts.Check(err)
			}
			v, err := store.Get(context.Background(), src)
			ts.Check(err)
			value = v
		default:
			ts.Fatalf("srxd-leaks: unknown source %s", args[i])
		}
		i++
		if value == "" {
			ts.Fatalf("srxd-leaks: %s is empty: the scan would prove nothing", name)
		}
		kind := kindText
		if strings.Contains(value, "PRIVATE KEY-----") {
			kind = kindPEM
		}
		list = append(list, leakSecret{name: name, value: value, kind: kind})
	}
	// The API keys are public and in the database by design; the demo keys'
	// fillers ("NotRealSandbox000…") are shared with their secrets, so
	// those pieces are not looked for.
	var public []string
	for _, k := range binancetest.DemoKeys() {
		public = append(public, k.Key.APIKey)
	}
	if k := ts.Getenv("ED_KEY"); k != "" {
		public = append(public, k)
	}
	for i := range list {
		list[i].decoys = public
	}
	vaultText, err := os.ReadFile(ts.Getenv("SMARTRADEXD_VAULT_KEY"))
	ts.Check(err)
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(vaultText)))
	ts.Check(err)
	list = append(list,
		leakSecret{name: "the vault private key (as in its file)", value: strings.TrimSpace(string(vaultText))},
		leakSecret{name: "the vault private key (raw)", value: string(seed)})
	sc := newLeakScanner(scriptFatal{ts}, list)

	var arts []artifact
	_, metrics := srxdGet(ts, ts.Getenv("SMARTRADEX_SERVICE_URL")+"/metrics", "")
	if !bytes.Contains(metrics, []byte("smartradexd_key_registrations_total")) {
		ts.Fatalf("/metrics holds no registration count: the scan would prove nothing")
	}
	arts = append(arts, artifact{"/metrics", metrics})
	logs, err := os.ReadFile(d.logPath())
	ts.Check(err)
	arts = append(arts, artifact{"the service's logs", logs})
	var db []byte
	switch d.engine {
	case "postgres":
		out, err := exec.Command("pg_dump", "--no-owner", "--schema="+d.pgSchema, "-d", d.pgBase).Output()
		if err != nil {
			ts.Fatalf("pg_dump: %v", err)
		}
		db = out
		arts = append(arts, artifact{"the pg_dump of the database", out})
	default:
		files, err := filepath.Glob(filepath.Join(d.dir, "smartradexd.db*"))
		ts.Check(err)
		// While the service runs, the latest writes are in the WAL.
		if !slices.Contains(files, filepath.Join(d.dir, "smartradexd.db-wal")) {
			ts.Fatalf("no smartradexd.db-wal to scan (is the service running?): %v", files)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			ts.Check(err)
			db = append(db, b...)
			arts = append(arts, artifact{filepath.Base(f), b})
		}
	}
	// The scan proves something only if the database holds the journey.
	if !bytes.Contains(db, []byte("sealed")) && !bytes.Contains(db, []byte("@example.com")) {
		ts.Fatalf("the database read holds no subscriber: the scan would prove nothing")
	}
	for _, a := range arts {
		for _, h := range sc.scan(a.where, a.data) {
			lo, hi := max(0, h.offset-60), min(len(a.data), h.offset+80)
			ts.Fatalf("%s holds %s (%s) at byte %d: …%s…", a.where, h.secret, h.form, h.offset, sc.mask(a.data[lo:hi]))
		}
	}
	fmt.Fprintf(ts.Stdout(), "scanned %d artifacts for %d secrets\n", len(arts), len(list))
}

// srxd-dbdown relay|on|off: relay starts a TCP relay to the script's
// PostgreSQL and sets SRXD_RELAY_DB to the database URL through it (for
// srxd-serve -db); on cuts every connection through it and refuses new
// ones, as a database that has gone away; off lets them through again.
func cmdSrxdDBDown(ts *testscript.TestScript, neg bool, args []string) {
	d := srxd(ts)
	if neg || len(args) != 1 {
		ts.Fatalf("usage: srxd-dbdown relay|on|off")
	}
	if d.engine != "postgres" {
		ts.Fatalf("srxd-dbdown needs PostgreSQL ([postgres] scripts only)")
	}
	switch args[0] {
	case "relay":
		u, err := url.Parse(d.db)
		ts.Check(err)
		r, err := newDBProxy(u.Host)
		ts.Check(err)
		d.mu.Lock()
		d.proxy = r
		d.mu.Unlock()
		u.Host = r.addr()
		// Fail fast while it is down.
		q := u.Query()
		q.Set("connect_timeout", "2")
		u.RawQuery = q.Encode()
		ts.Setenv("SRXD_RELAY_DB", u.String())
	case "on", "off":
		if d.proxy == nil {
			ts.Fatalf("srxd-dbdown relay first")
		}
		d.proxy.setDown(args[0] == "on")
	default:
		ts.Fatalf("usage: srxd-dbdown relay|on|off")
	}
}

// srxd-race -token FILE BOT APIKEY SECRET N URL... sends N identical PUTs
// of APIKEY (its SECRET sealed once to the vault key) at the same time,
// spread over the URLs (replicas of the service), and asserts that every
// one is answered 200.
func cmdSrxdRace(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("srxd-race", flag.ContinueOnError)
	tokenFile := fs.String("token", "", "file holding a subscriber token")
	if err := fs.Parse(args); err != nil || neg || *tokenFile == "" || fs.NArg() < 5 {
		ts.Fatalf("usage: srxd-race -token FILE BOT APIKEY SECRET N URL...")
	}
	bot, apiKey, secret := fs.Arg(0), fs.Arg(1), fs.Arg(2)
	n, err := strconv.Atoi(fs.Arg(3))
	ts.Check(err)
	urls := fs.Args()[4:]
	priv := scriptVaultKey(ts)
	body := sealedPutBody(ts, priv, bot, apiKey, secret, "SmartradeX race")
	token := strings.TrimSpace(ts.ReadFile(*tokenFile))
	start := make(chan struct{})
	results := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := urls[i%len(urls)] + "/v1/bots/" + bot + "/binance-key"
			req, err := http.NewRequest(http.MethodPut, u, bytes.NewReader(body))
			if err != nil {
				results[i] = err.Error()
				return
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			<-start
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				results[i] = err.Error()
				return
			}
			answer, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				results[i] = fmt.Sprintf("%d %s", res.StatusCode, answer)
			}
		}()
	}
	close(start)
	wg.Wait()
	var bad []string
	for i, r := range results {
		if r != "" {
			bad = append(bad, fmt.Sprintf("PUT #%d to %s: %s", i, urls[i%len(urls)], r))
		}
	}
	if len(bad) > 0 {
		ts.Fatalf("%d of %d racing PUTs failed:\n%s", len(bad), n, strings.Join(bad, "\n"))
	}
	fmt.Fprintf(ts.Stdout(), "%d PUTs answered 200\n", n)
}

// srxd-sigterm-put -token FILE BOT APIKEY SECRET sends SIGTERM to the
// service while a PUT of APIKEY is in flight (its headers accepted, half its
// body sent), waits until the service says it is shutting down, sends the
// rest, and asserts that the PUT is answered 200 and the service then exits
// 0.
func cmdSrxdSigtermPut(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("srxd-sigterm-put", flag.ContinueOnError)
	tokenFile := fs.String("token", "", "file holding a subscriber token")
	if err := fs.Parse(args); err != nil || neg || *tokenFile == "" || fs.NArg() != 3 {
		ts.Fatalf("usage: srxd-sigterm-put -token FILE BOT APIKEY SECRET")
	}
	bot, apiKey, secret := fs.Arg(0), fs.Arg(1), fs.Arg(2)
	d := srxd(ts)
	d.mu.Lock()
	p := d.procs["main"]
	d.mu.Unlock()
	if p == nil {
		ts.Fatalf("no smartradexd is running")
	}
	priv := scriptVaultKey(ts)
	body := sealedPutBody(ts, priv, bot, apiKey, secret, "SmartradeX test")

	conn, err := net.Dial("tcp", p.addr)
	ts.Check(err)
	defer conn.Close()
	// Expect: 100-continue makes the service say when the handler reads
	// the body: from then on the request is in flight.
	fmt.Fprintf(conn, "PUT /v1/bots/%s/binance-key HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n",
		bot, p.addr, strings.TrimSpace(ts.ReadFile(*tokenFile)), len(body))
	rd := bufio.NewReader(conn)
	res, err := http.ReadResponse(rd, nil)
	if err != nil || res.StatusCode != http.StatusContinue {
		ts.Fatalf("before the body: %v %v", res, err)
	}
	_, err = conn.Write(body[:len(body)/2])
	ts.Check(err)
	logSize := func() int64 {
		fi, err := os.Stat(d.logPath())
		ts.Check(err)
		return fi.Size()
	}
	from := logSize()
	ts.Check(p.cmd.Process.Signal(syscall.SIGTERM))
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, err := os.ReadFile(d.logPath())
		ts.Check(err)
		if bytes.Contains(data[from:], []byte(`"msg":"shutting down"`)) {
			break
		}
		select {
		case <-p.done:
			ts.Fatalf("smartradexd exited (%v) with a request in flight", p.err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			ts.Fatalf("smartradexd did not start shutting down after SIGTERM")
		}
	}
	select {
	case <-p.done:
		ts.Fatalf("smartradexd exited (%v) with a request in flight", p.err)
	default:
	}
	_, err = conn.Write(body[len(body)/2:])
	ts.Check(err)
	res, err = http.ReadResponse(rd, nil)
	ts.Check(err)
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		ts.Fatalf("the PUT in flight at SIGTERM = %d %s", res.StatusCode, answer)
	}
	if code := d.stop(ts, "main", nil); code != 0 {
		ts.Fatalf("smartradexd exited with %d after SIGTERM", code)
	}
	fmt.Fprintf(ts.Stdout(), "in-flight PUT answered %d; smartradexd exited 0\n", res.StatusCode)
}

// scriptVaultKey is the vault private key of the script's smartradexd
// (SMARTRADEXD_VAULT_KEY).
func scriptVaultKey(ts *testscript.TestScript) *seal.PrivateKey {
	text, err := os.ReadFile(ts.Getenv("SMARTRADEXD_VAULT_KEY"))
	ts.Check(err)
	priv, err := seal.ParsePrivateKey(text)
	ts.Check(err)
	return priv
}

// sealedPutBody is the body of a PUT registering apiKey (HMAC) for bot,
// its secret sealed to priv as the CLI seals it.
func sealedPutBody(ts *testscript.TestScript, priv *seal.PrivateKey, bot, apiKey, secret, label string) []byte {
	sealed, err := seal.Seal(priv.Public(), bot, apiKey, "HMAC", []byte(secret))
	ts.Check(err)
	body, err := json.Marshal(map[string]string{"api_key": apiKey, "key_type": "HMAC", "label": label,
		"vault_key_id": priv.Public().ID(), "sealed_secret": base64.StdEncoding.EncodeToString(sealed)})
	ts.Check(err)
	return body
}
