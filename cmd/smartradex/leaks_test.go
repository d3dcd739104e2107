package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/sandbox"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

// TestNoSecretLeaks runs the real binary (this test binary re-executed as
// smartradex, see TestMain) for every command in its main outcomes, always
// with --debug, against loopback stand-ins driven from here. Secrets reach
// it only through standard input and the environment. Afterwards no
// secret may show, whole or in part (any 16-byte window) or encoded, in:
// standard output and error; any file under the directories the process
// may write (config directory, home, temporary directory, sandbox home);
// the argv the test gave it; the argv of the process and of its
// descendants, read from /proc while it runs. The encrypted secret file is
// scanned like any other file and must also be an age-encrypted store.
//
// It runs with the encrypted file store, and with the system keyring when
// the throwaway Secret Service of scripts/test is there.
func TestNoSecretLeaks(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads the argv of running processes from /proc")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	backends := []string{secrets.BackendFile}
	if ok, _ := secretServiceCondition("secretservice"); ok {
		backends = append(backends, secrets.BackendSystem)
	} else {
		t.Log("system keyring not covered: run bash scripts/test for its throwaway Secret Service")
	}
	for _, backend := range backends {
		pinFilesScanned.Store(0)
		registrations.Store(0)
		t.Run(backend, func(t *testing.T) {
			for _, c := range leakCases() {
				if c.sandbox && backend != secrets.BackendFile {
					continue // the sandbox has its own store, whatever the backend
				}
				t.Run(c.name, func(t *testing.T) {
					if backend == secrets.BackendFile {
						// Every case has its own directories and stand-ins; the
						// system keyring is shared, so its cases run one by one.
						t.Parallel()
					}
					runLeakCase(t, exe, backend, c)
				})
			}
		})
		// A registration pins the vault key beside the index: that file
		// must have been there to scan.
		if registrations.Load() > 0 && pinFilesScanned.Load() == 0 {
			t.Errorf("%s: %d registrations, and no %s was scanned", backend, registrations.Load(), state.VaultPinsFile)
		}
	}
}

// pinFilesScanned counts the vault key pin files the scans read, and
// registrations the runs that registered a key outside the sandbox.
var pinFilesScanned, registrations atomic.Int32

// leakCase is one scenario: a prepared world, then one or more runs.
type leakCase struct {
	name    string
	sandbox bool // every run with --sandbox
	prepare func(t *testing.T, w *leakWorld)
	steps   []leakStep
	// holds is what the secret store must hold at the end (name → value):
	// it shows that the secret file does contain the secrets, encrypted.
	holds func(w *leakWorld) map[string]string
}

type leakStep struct {
	args  []string                             // after `smartradex --debug`
	more  func(w *leakWorld) []string          // more arguments, known once earlier runs are done
	stdin func(w *leakWorld) string            // nil: no input
	env   func(w *leakWorld) map[string]string // added to the world's; "" unsets
	exit  int
	after func(t *testing.T, w *leakWorld, stdout []byte)
}

func withJSON(c leakCase) leakCase {
	c.name += " (json)"
	steps := make([]leakStep, len(c.steps))
	for i, s := range c.steps {
		s.args = append(append([]string(nil), s.args...), "--json")
		steps[i] = s
	}
	c.steps = steps
	return c
}

func apiEnv(k func(w *leakWorld) leakKey) func(w *leakWorld) map[string]string {
	return func(w *leakWorld) map[string]string {
		return map[string]string{"SMARTRADEX_API_KEY": k(w).apiKey, "SMARTRADEX_API_SECRET": k(w).secret}
	}
}

func keyOnlyEnv(k func(w *leakWorld) leakKey) func(w *leakWorld) map[string]string {
	return func(w *leakWorld) map[string]string { return map[string]string{"SMARTRADEX_API_KEY": k(w).apiKey} }
}

func secretOf(k func(w *leakWorld) leakKey) func(w *leakWorld) string {
	return func(w *leakWorld) string { return k(w).secret + "\n" }
}

func okKey(w *leakWorld) leakKey      { return w.ok }
func okSameKey(w *leakWorld) leakKey  { return w.okSame }
func refusedKey(w *leakWorld) leakKey { return w.refused }
func edKey(w *leakWorld) leakKey      { return w.ed }

func holdsBot(k func(w *leakWorld) leakKey) func(w *leakWorld) map[string]string {
	return func(w *leakWorld) map[string]string {
		return map[string]string{secrets.BotSecretName("btc-spot"): k(w).secret}
	}
}

// holdsRotated: a rotation stores the new secret in the bot's other slot,
// which the index then names.
func holdsRotated(k func(w *leakWorld) leakKey) func(w *leakWorld) map[string]string {
	return func(w *leakWorld) map[string]string {
		return map[string]string{secrets.BotNextSecretName("btc-spot"): k(w).secret}
	}
}

func noToken(*leakWorld) map[string]string { return map[string]string{"SMARTRADEX_TOKEN": ""} }

func leakCases() []leakCase {
	check := func(exit int, env func(*leakWorld) map[string]string, stdin func(*leakWorld) string, extra ...string) leakStep {
		args := append([]string{"keys", "check"}, extra...)
		if stdin != nil {
			args = append(args, "--secret-stdin")
		}
		return leakStep{args: args, env: env, stdin: stdin, exit: exit}
	}
	add := func(exit int, extra ...string) leakStep {
		return leakStep{
			args: append([]string{"keys", "add", "--bot", "btc-spot", "--secret-stdin"}, extra...),
			env:  keyOnlyEnv(okKey), stdin: secretOf(okKey), exit: exit,
		}
	}
	serviceFault := func(status int) func(*testing.T, *leakWorld) {
		return func(_ *testing.T, w *leakWorld) {
			w.service.Inject(servicetest.Fault{Method: http.MethodPut, Path: "/v1/bots/", Status: status})
		}
	}
	serviceDown := func(_ *testing.T, w *leakWorld) { w.service.SetDown(true) }
	registered := func(t *testing.T, w *leakWorld) { w.seedRegistered(t, "btc-spot", w.ok) }
	pending := func(t *testing.T, w *leakWorld) { w.seed(t, "btc-spot", w.ok, state.StatusPending) }
	then := func(fs ...func(*testing.T, *leakWorld)) func(*testing.T, *leakWorld) {
		return func(t *testing.T, w *leakWorld) {
			for _, f := range fs {
				f(t, w)
			}
		}
	}

	cases := []leakCase{
		{name: "check accepted, secret in the environment", steps: []leakStep{check(0, apiEnv(okKey), nil)}},
		{name: "check accepted, secret on stdin", steps: []leakStep{check(0, keyOnlyEnv(okKey), secretOf(okKey), "--json")}},
		{name: "check accepted, Ed25519 PEM on stdin", steps: []leakStep{check(0, keyOnlyEnv(edKey), secretOf(edKey))}},
		{name: "check refused", steps: []leakStep{check(3, apiEnv(refusedKey), nil)}},
		{name: "check rejected -2015 (unknown key)", steps: []leakStep{check(4, apiEnv(func(w *leakWorld) leakKey { return w.stranger }), nil)}},
		{name: "check rejected -1022 (wrong secret)", steps: []leakStep{check(4, func(w *leakWorld) map[string]string {
			return map[string]string{"SMARTRADEX_API_KEY": w.ok.apiKey, "SMARTRADEX_API_SECRET": w.eth.secret}
		}, nil)}},
		{name: "check, Binance answers 503", prepare: func(_ *testing.T, w *leakWorld) {
			w.binance.Inject(binancetest.Fault{Path: "/sapi/v1/account/apiRestrictions", Status: http.StatusServiceUnavailable, Times: 3})
		}, steps: []leakStep{check(5, apiEnv(okKey), nil)}},
		{name: "check, Binance answers HTML", prepare: func(_ *testing.T, w *leakWorld) {
			w.binance.Inject(binancetest.Fault{Path: "/sapi/v1/account/apiRestrictions", Status: http.StatusOK,
				Body: "<html><body>Please log in</body></html>", Header: http.Header{"Content-Type": {"text/html"}}})
		}, steps: []leakStep{check(5, apiEnv(okKey), nil)}},

		{name: "sync ok", prepare: pending, steps: []leakStep{{args: []string{"keys", "sync"}}}},
		{name: "sync, service failing", prepare: then(pending, serviceDown), steps: []leakStep{{args: []string{"keys", "sync"}, exit: 5}}},

		{name: "rotate ok", prepare: registered, steps: []leakStep{{
			args: []string{"keys", "rotate", "--bot", "btc-spot", "--secret-stdin"},
			env:  keyOnlyEnv(okSameKey), stdin: secretOf(okSameKey),
		}}, holds: holdsRotated(okSameKey)},
		{name: "rotate refused", prepare: registered, steps: []leakStep{{
			args: []string{"keys", "rotate", "--bot", "btc-spot"}, env: apiEnv(refusedKey), exit: 3,
		}}, holds: holdsBot(okKey)},
		{name: "rotate, service failing", prepare: then(registered, serviceFault(http.StatusServiceUnavailable)), steps: []leakStep{{
			args: []string{"keys", "rotate", "--bot", "btc-spot", "--secret-stdin"},
			env:  keyOnlyEnv(okSameKey), stdin: secretOf(okSameKey), exit: 5,
		}}, holds: holdsBot(okKey)},

		{name: "verify ok", prepare: then(registered, func(t *testing.T, w *leakWorld) { w.seedRegistered(t, "eth-spot", w.eth) }),
			steps: []leakStep{{args: []string{"keys", "verify"}}}},
		{name: "verify, a key deleted on Binance", prepare: then(registered, func(_ *testing.T, w *leakWorld) { w.binance.RemoveKey(w.ok.apiKey) }),
			steps: []leakStep{{args: []string{"keys", "verify"}, exit: 4}}},
		{name: "verify, service down", prepare: then(registered, serviceDown),
			steps: []leakStep{{args: []string{"keys", "verify", "--json"}, exit: 5}}},

		{name: "list", prepare: then(registered, func(t *testing.T, w *leakWorld) { w.seed(t, "eth-spot", w.eth, state.StatusPending) }),
			steps: []leakStep{{args: []string{"keys", "list"}}, {args: []string{"keys", "list", "--json"}}}},

		{name: "remove ok", prepare: registered, steps: []leakStep{{args: []string{"keys", "remove", "--bot", "btc-spot", "--yes"}}}},
		{name: "remove, service failing", prepare: then(registered, serviceDown),
			steps: []leakStep{{args: []string{"keys", "remove", "--bot", "btc-spot", "--yes"}, exit: 5}}, holds: holdsBot(okKey)},
		{name: "remove --force, service failing", prepare: then(registered, serviceDown),
			steps: []leakStep{{args: []string{"keys", "remove", "--bot", "btc-spot", "--yes", "--force"}}}},

		{name: "generate, then carry on with --api-key", steps: []leakStep{
			{args: []string{"keys", "generate", "--bot", "btc-spot", "--json"}, after: learnGeneratedKey},
			{args: []string{"keys", "generate", "--bot", "btc-spot"}, more: func(w *leakWorld) []string {
				return []string{"--api-key", w.generated.apiKey}
			}},
		}, holds: func(w *leakWorld) map[string]string {
			return map[string]string{secrets.BotSecretName("btc-spot"): w.generated.secret}
		}},
		{name: "generate, then add --use-generated", steps: []leakStep{
			{args: []string{"keys", "generate", "--bot", "btc-spot", "--json"}, after: learnGeneratedKey},
			{args: []string{"keys", "add", "--bot", "btc-spot", "--use-generated"}, env: func(w *leakWorld) map[string]string {
				return map[string]string{"SMARTRADEX_API_KEY": w.generated.apiKey}
			}},
		}, holds: func(w *leakWorld) map[string]string {
			return map[string]string{secrets.BotSecretName("btc-spot"): w.generated.secret}
		}},

		{name: "auth login, valid token", steps: []leakStep{{
			args: []string{"auth", "login", "--with-token"}, env: noToken,
			stdin: func(w *leakWorld) string { return w.token + "\n" },
		}}, holds: func(w *leakWorld) map[string]string { return map[string]string{secrets.ServiceTokenName: w.token} }},
		{name: "auth login, invalid token", steps: []leakStep{{
			args: []string{"auth", "login", "--with-token"}, env: noToken, exit: 4,
			stdin: func(w *leakWorld) string { return w.wrongToken + "\n" },
		}}},
		{name: "auth status, saved token", prepare: savedToken, steps: []leakStep{
			{args: []string{"auth", "status"}, env: noToken},
			{args: []string{"auth", "status", "--json"}, env: noToken},
		}},
		{name: "auth status, token for another service", prepare: savedTokenElsewhere, steps: []leakStep{
			{args: []string{"auth", "status"}, env: noToken, exit: 4},
			{args: []string{"auth", "status", "--json"}, env: noToken, exit: 4},
		}},
		{name: "auth status, token in the environment", steps: []leakStep{{args: []string{"auth", "status"}}}},
		{name: "auth logout", prepare: savedToken, steps: []leakStep{{args: []string{"auth", "logout"}, env: noToken}}},

		{name: "doctor", prepare: registered, steps: []leakStep{{args: []string{"doctor"}}, {args: []string{"doctor", "--json"}}}},

		{name: "sandbox add, then verify", sandbox: true, steps: []leakStep{
			{args: []string{"keys", "add", "--bot", "btc-spot"}, env: demoEnv},
			{args: []string{"keys", "verify"}},
			{args: []string{"keys", "verify", "--json"}},
		}, holds: func(w *leakWorld) map[string]string {
			return map[string]string{secrets.BotSecretName("btc-spot"): demoOK().Key.Secret}
		}},
		{name: "sandbox add, a real key", sandbox: true, steps: []leakStep{{
			// Not a demo key: the sandbox's Binance does not know it.
			args: []string{"keys", "add", "--bot", "btc-spot"}, env: apiEnv(okKey), exit: 4,
		}}},
		{name: "sandbox add, secret on stdin", sandbox: true, steps: []leakStep{{
			args: []string{"keys", "add", "--bot", "btc-spot", "--secret-stdin", "--json"},
			env: func(*leakWorld) map[string]string {
				return map[string]string{"SMARTRADEX_API_KEY": demoOK().Key.APIKey}
			},
			stdin: func(*leakWorld) string { return demoOK().Key.Secret + "\n" },
		}}},
	}

	// keys add in each outcome, in text and in JSON.
	adds := []leakCase{
		{name: "add accepted and registered", steps: []leakStep{add(0)}, holds: holdsBot(okKey)},
		{name: "add accepted, Ed25519 PEM in the environment", steps: []leakStep{{
			args: []string{"keys", "add", "--bot", "btc-spot"}, env: apiEnv(edKey),
		}}, holds: holdsBot(edKey)},
		{name: "add refused", steps: []leakStep{{args: []string{"keys", "add", "--bot", "btc-spot"}, env: apiEnv(refusedKey), exit: 3}}},
		{name: "add, service 401", prepare: serviceFault(http.StatusUnauthorized), steps: []leakStep{add(4)}, holds: holdsBot(okKey)},
		{name: "add, service 403", prepare: serviceFault(http.StatusForbidden), steps: []leakStep{add(4)}, holds: holdsBot(okKey)},
		{name: "add, service 409", prepare: serviceFault(http.StatusConflict), steps: []leakStep{add(3)}},
		{name: "add, service 422", prepare: serviceFault(http.StatusUnprocessableEntity), steps: []leakStep{add(3)}},
		{name: "add, service 500", prepare: serviceFault(http.StatusInternalServerError), steps: []leakStep{add(5)}, holds: holdsBot(okKey)},
		{name: "add, service down", prepare: serviceDown, steps: []leakStep{add(5)}, holds: holdsBot(okKey)},
		{name: "add --no-register", steps: []leakStep{add(0, "--no-register")}, holds: holdsBot(okKey)},
	}
	for _, c := range adds {
		cases = append(cases, c, withJSON(c))
	}
	return cases
}

// savedToken saves the token as auth login does: in the store, and its
// service (the stand-in) beside the index.
func savedToken(t *testing.T, w *leakWorld) {
	t.Helper()
	savedTokenFor(t, w, w.serviceURL)
}

// savedTokenElsewhere saves the token for another service than the
// stand-in: commands refuse to send it.
func savedTokenElsewhere(t *testing.T, w *leakWorld) {
	t.Helper()
	savedTokenFor(t, w, "https://other.smartradex.example")
}

func savedTokenFor(t *testing.T, w *leakWorld, serviceURL string) {
	t.Helper()
	if err := state.OpenTokenService(w.config).Set(context.Background(), serviceURL, w.token); err != nil {
		t.Fatal(err)
	}
	if err := w.store(t).Set(context.Background(), secrets.ServiceTokenName, w.token); err != nil {
		t.Fatal(err)
	}
}

func demoOK() binancetest.DemoKey {
	k, err := binancetest.DemoKeyByName("ok")
	if err != nil {
		panic(err)
	}
	return k
}

func demoEnv(*leakWorld) map[string]string {
	k := demoOK()
	return map[string]string{"SMARTRADEX_API_KEY": k.Key.APIKey, "SMARTRADEX_API_SECRET": k.Key.Secret}
}

// learnGeneratedKey follows `keys generate --json`: it reads the private
// key from the store (to look for it everywhere, including in the output
// of the run that made it) and gives Binance the public key, as the user
// does in Binance's form.
func learnGeneratedKey(t *testing.T, w *leakWorld, stdout []byte) {
	t.Helper()
	var out struct {
		PublicKeyPEM string `json:"public_key_pem"`
	}
	if err := json.Unmarshal(stdout, &out); err != nil || out.PublicKeyPEM == "" {
		t.Fatalf("keys generate --json printed no public key: %v", err)
	}
	priv, err := w.store(t).Get(context.Background(), secrets.BotGeneratedSecretName("btc-spot"))
	if err != nil {
		t.Fatalf("the generated private key is not in the store: %v", err)
	}
	w.generated = leakKey{apiKey: randomAlnum(t, 64), secret: priv}
	w.addSecret(leakSecret{name: "the Ed25519 private key made by keys generate", value: priv, kind: kindPEM, decoys: []string{w.decoyPEM}})
	w.binance.AddKey(binancetest.Key{APIKey: w.generated.apiKey, PublicKeyPEM: out.PublicKeyPEM,
		Restrictions: demoOK().Key.Restrictions, UID: 700000005})
}

// runLeakCase prepares a world, runs the steps, and looks for every secret
// in everything each run left.
func runLeakCase(t *testing.T, exe, backend string, c leakCase) {
	w := newLeakWorld(t, backend)
	if c.prepare != nil {
		c.prepare(t, w)
	}
	var arts []artifact
	for i, st := range c.steps {
		args := append([]string{"--debug"}, st.args...)
		if st.more != nil {
			args = append(args, st.more(w)...)
		}
		if c.sandbox {
			args = append([]string{"--sandbox"}, args...)
		}
		label := fmt.Sprintf("run %d (%s)", i+1, commandWords(st.args))
		var extra map[string]string
		if st.env != nil {
			extra = st.env(w)
		}
		stdin := ""
		if st.stdin != nil {
			stdin = st.stdin(w)
		}
		res := w.run(t, exe, args, w.environ(c.sandbox, extra), stdin)
		if words := commandWords(st.args); res.exit == 0 && !c.sandbox && (words == "keys add" || words == "keys rotate" || words == "keys sync") {
			registrations.Add(1)
		}
		if res.exit != st.exit {
			t.Errorf("%s: exit code %d, want %d; its stderr, secrets masked:\n%s", label, res.exit, st.exit, w.scanner(t).mask(res.stderr))
		}
		if res.rootSamples == 0 {
			t.Errorf("%s: the argv of the smartradex process was never read from /proc", label)
		}
		arts = append(arts,
			artifact{label + ": the argv the test gave", []byte(strings.Join(args, "\x00"))},
			artifact{label + ": stdout", res.stdout},
			artifact{label + ": stderr", res.stderr})
		for _, p := range res.procs {
			who := "the smartradex process"
			if !p.root {
				who = fmt.Sprintf("its descendant %q", p.comm)
			}
			arts = append(arts, artifact{fmt.Sprintf("%s: /proc/%d/cmdline of %s", label, p.pid, who), p.cmdline})
		}
		arts = append(arts, w.files(t, label)...)
		if st.after != nil {
			st.after(t, w, res.stdout)
		}
	}

	// The generated key is known only once made: scan at the end.
	sc := w.scanner(t)
	for _, a := range arts {
		for _, h := range sc.scan(a.where, a.data) {
			// Where is masked too: a file could be named after a secret.
			t.Errorf("LEAK: %s appears in %s (%s, at byte %d)", h.secret, sc.mask([]byte(a.where)), h.form, h.offset)
		}
	}
	if c.holds != nil {
		w.checkHolds(t, c.sandbox, c.holds(w))
	}
}

// commandWords names a run by its subcommand, never by its values.
func commandWords(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// A leakKey is a Binance API key and its secret: an HMAC secret or the PEM
// of an Ed25519 private key.
type leakKey struct {
	apiKey, secret string
}

// leakWorld is one case's stand-ins, directories and secrets, all fresh.
type leakWorld struct {
	backend                                string
	root, config, home, tmp, sandboxDir    string
	binance                                *binancetest.Server
	service                                *servicetest.Server
	binanceURL, serviceURL                 string
	probe                                  *procSampler
	ok, okSame, eth, refused, stranger, ed leakKey
	generated                              leakKey
	token, wrongToken, passphrase          string
	decoyPEM                               string

	mu      sync.Mutex
	secrets []leakSecret
}

func newLeakWorld(t *testing.T, backend string) *leakWorld {
	t.Helper()
	root := t.TempDir()
	w := &leakWorld{
		backend: backend, root: root,
		config: filepath.Join(root, "config"), home: filepath.Join(root, "home"),
		tmp: filepath.Join(root, "tmp"), sandboxDir: filepath.Join(root, "sandbox"),
		probe: &procSampler{},
	}
	for _, d := range []string{w.config, w.home, w.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	hmacKey := func() leakKey { return leakKey{apiKey: randomAlnum(t, 64), secret: randomAlnum(t, 64)} }
	w.ok, w.okSame, w.eth, w.refused, w.stranger = hmacKey(), hmacKey(), hmacKey(), hmacKey(), hmacKey()
	edPEM, edPublic := ed25519PEM(t)
	w.ed = leakKey{apiKey: randomAlnum(t, 64), secret: edPEM}
	w.decoyPEM, _ = ed25519PEM(t)
	w.token = "sxt_live_" + randomAlnum(t, 40)
	w.wrongToken = "sxt_live_" + randomAlnum(t, 40)
	w.passphrase = "leak-test-passphrase-" + randomAlnum(t, 24)

	for _, s := range []struct {
		name string
		k    leakKey
	}{{"ok", w.ok}, {"second ok", w.okSame}, {"eth-spot", w.eth}, {"refused", w.refused}, {"unknown", w.stranger}} {
		w.addSecret(leakSecret{name: "the Binance secret of the " + s.name + " key", value: s.k.secret})
	}
	w.addSecret(leakSecret{name: "the pasted Ed25519 private key", value: w.ed.secret, kind: kindPEM, decoys: []string{w.decoyPEM}})
	w.addSecret(leakSecret{name: "the SmartradeX service token", value: w.token})
	w.addSecret(leakSecret{name: "a wrong SmartradeX token", value: w.wrongToken})
	w.addSecret(leakSecret{name: "the file-store passphrase", value: w.passphrase})
	w.addSandboxSecrets()

	restrictions := func(name string) json.RawMessage {
		k, err := binancetest.DemoKeyByName(name)
		if err != nil {
			t.Fatal(err)
		}
		return k.Key.Restrictions
	}
	w.binance = binancetest.New()
	w.binance.AddKey(binancetest.Key{APIKey: w.ok.apiKey, Secret: w.ok.secret, Restrictions: restrictions("ok"), UID: 700000001})
	w.binance.AddKey(binancetest.Key{APIKey: w.okSame.apiKey, Secret: w.okSame.secret, Restrictions: restrictions("ok"), UID: 700000001})
	w.binance.AddKey(binancetest.Key{APIKey: w.eth.apiKey, Secret: w.eth.secret, Restrictions: restrictions("ok"), UID: 700000002})
	w.binance.AddKey(binancetest.Key{APIKey: w.refused.apiKey, Secret: w.refused.secret, Restrictions: restrictions("withdrawals"), UID: 700000003})
	w.binance.AddKey(binancetest.Key{APIKey: w.ed.apiKey, PublicKeyPEM: edPublic, Restrictions: restrictions("ok"), UID: 700000004})
	w.service = servicetest.New()
	w.service.AddAccount(w.token, "subscriber@example.com", bots.IDs())
	w.binanceURL = w.serve(t, w.binance.Handler())
	w.serviceURL = w.serve(t, w.service.Handler())
	t.Cleanup(w.binance.Close)
	t.Cleanup(w.service.Close)

	switch backend {
	case secrets.BackendFile:
		if err := initSecretFile(w.config, w.passphrase); err != nil {
			t.Fatal(err)
		}
	case secrets.BackendSystem:
		clearKeyring(t)
		t.Cleanup(func() { clearKeyring(t) })
	}
	return w
}

// addSandboxSecrets adds the sandbox's own secrets. They are public (demo
// values), but smartradex must treat them like real ones, except that the
// sandbox's stand-ins keep them in their state files, as Binance and
// SmartradeX keep keys and tokens on their side.
func (w *leakWorld) addSandboxSecrets() {
	standIns := func(files ...string) func(string) bool {
		return func(where string) bool {
			for _, f := range files {
				if strings.HasSuffix(where, ": file sandbox/"+f) {
					return true
				}
			}
			return false
		}
	}
	var otherDemos []string
	for _, k := range binancetest.DemoKeys() {
		if k.Name != "ok" {
			otherDemos = append(otherDemos, k.Key.Secret)
		}
	}
	w.addSecret(leakSecret{name: "the sandbox's demo secret", value: demoOK().Key.Secret, decoys: otherDemos,
		allowed: standIns("sandbox-binance.json", "sandbox-service.json")})
	w.addSecret(leakSecret{name: "the sandbox's token", value: sandbox.Token, allowed: standIns("sandbox-service.json")})
	// "smartradex-sandbox" is also the default name of the sandbox home.
	w.addSecret(leakSecret{name: "the sandbox's passphrase", value: sandbox.Passphrase, decoys: []string{"smartradex-sandbox"}})
}

func (w *leakWorld) addSecret(s leakSecret) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.secrets = append(w.secrets, s)
}

func (w *leakWorld) scanner(t *testing.T) *leakScanner {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	return newLeakScanner(t, w.secrets)
}

// serve starts a loopback server for a stand-in, which reads the process
// tree of the running smartradex before answering each request: the
// process is then in the middle of its work, waiting for the answer.
func (w *leakWorld) serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w.probe.sample()
		h.ServeHTTP(rw, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// environ is a clean environment: nothing of the test's own but PATH and
// what the race detector, coverage and the throwaway keyring need.
func (w *leakWorld) environ(sandboxRun bool, extra map[string]string) []string {
	env := map[string]string{
		"PATH": os.Getenv("PATH"), "HOME": w.home, "TMPDIR": w.tmp,
		"XDG_CONFIG_HOME": filepath.Join(w.home, ".config"), "XDG_CACHE_HOME": filepath.Join(w.home, ".cache"),
		"LANG": "C", "NO_COLOR": "1",
		"SMARTRADEX_CONFIG_DIR":  w.config,
		"SMARTRADEX_KEYRING":     w.backend,
		"SMARTRADEX_BINANCE_URL": w.binanceURL,
		"SMARTRADEX_SERVICE_URL": w.serviceURL,
		"SMARTRADEX_TOKEN":       w.token,
	}
	if w.backend == secrets.BackendFile || sandboxRun {
		// In the sandbox it must go unused, like the token.
		env["SMARTRADEX_PASSPHRASE"] = w.passphrase
	}
	if sandboxRun {
		env["SMARTRADEX_SANDBOX_DIR"] = w.sandboxDir
	}
	// Under -race, each process would otherwise sleep a second at exit
	// (waiting for late race reports); the caller's GORACE still wins.
	env["GORACE"] = strings.TrimSpace("atexit_sleep_ms=0 " + os.Getenv("GORACE"))
	pass := []string{"GOCOVERDIR"}
	if w.backend == secrets.BackendSystem {
		pass = append(pass, "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME")
	}
	for _, name := range pass {
		if v := os.Getenv(name); v != "" {
			env[name] = v
		}
	}
	for k, v := range extra {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

func (w *leakWorld) store(t *testing.T) secrets.Store {
	t.Helper()
	s, err := openTestStore(w.config, w.backend, w.passphrase)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *leakWorld) seed(t *testing.T, bot string, k leakKey, status state.Status) {
	t.Helper()
	err := seedSpec{Dir: w.config, Backend: w.backend, Passphrase: w.passphrase,
		Bot: bot, APIKey: k.apiKey, Secret: k.secret, Status: status}.seed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
}

// seedRegistered stores a key as registered, and registers it at the
// service as `keys add` would have.
func (w *leakWorld) seedRegistered(t *testing.T, bot string, k leakKey) {
	t.Helper()
	w.seed(t, bot, k, state.StatusRegistered)
	c, err := service.New(service.Options{BaseURL: w.serviceURL, Token: w.token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutKey(context.Background(), bot, service.KeyRegistration{
		APIKey: k.apiKey, APISecret: k.secret, KeyType: "HMAC", Label: "SmartradeX leak test",
	}); err != nil {
		t.Fatal(err)
	}
}

// checkHolds proves the store holds what it should: the secrets the
// scan did not find in the secret file are in it, encrypted.
func (w *leakWorld) checkHolds(t *testing.T, sandboxRun bool, want map[string]string) {
	t.Helper()
	store := w.store(t)
	if sandboxRun {
		var err error
		store, err = secrets.Open(secrets.Options{Backend: secrets.BackendFile, Dir: w.sandboxDir,
			Passphrase: func(context.Context) (string, error) { return sandbox.Passphrase, nil }})
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, value := range want {
		got, err := store.Get(context.Background(), name)
		if err != nil {
			t.Errorf("the %s store does not hold %s: %v", store.Backend(), name, err)
		} else if got != value {
			t.Errorf("the %s store holds another value for %s", store.Backend(), name)
		}
	}
}

// files reads every file under the case's directories. A secret file is
// also checked to be encrypted, and its decoded age payloads are scanned
// too.
func (w *leakWorld) files(t *testing.T, label string) []artifact {
	t.Helper()
	var arts []artifact
	err := filepath.WalkDir(w.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			rel, _ := filepath.Rel(w.root, path)
			arts = append(arts, artifact{label + ": the name of a folder", []byte(filepath.ToSlash(rel))})
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file renamed away meanwhile
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(w.root, path)
		where := label + ": file " + filepath.ToSlash(rel)
		arts = append(arts, artifact{label + ": the name of a file", []byte(filepath.ToSlash(rel))}, artifact{where, data})
		if d.Name() == state.VaultPinsFile {
			// Key IDs only: 32 hex digits each, nothing else.
			pinFilesScanned.Add(1)
			var pins struct {
				Pins map[string]state.Pin `json:"pins"`
			}
			if err := json.Unmarshal(data, &pins); err != nil || len(pins.Pins) == 0 {
				t.Errorf("%s is not a pin file (%v)", where, err)
			}
			for _, p := range pins.Pins {
				if !state.ValidKeyID(p.KeyID) {
					t.Errorf("%s holds something else than a key ID", where)
				}
			}
		}
		if d.Name() == secrets.FileName {
			payloads, err := ageStorePayloads(data)
			if err != nil {
				t.Errorf("%s is not an encrypted store: %v", where, err)
			}
			for _, p := range payloads {
				arts = append(arts, artifact{where + " (" + p.where + ")", p.data})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return arts
}

// ageStorePayloads checks that data is smartradex's encrypted store, whose
// "key" and "data" lines are base64 age files (the identity encrypted to
// the passphrase with scrypt, the secrets encrypted to that identity), and
// returns those age files.
func ageStorePayloads(data []byte) ([]artifact, error) {
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 3 || lines[0] != "smartradex-secrets v1" {
		return nil, errors.New("not three lines under the smartradex-secrets v1 header")
	}
	var out []artifact
	for i, l := range []struct{ prefix, stanza string }{{"key ", "scrypt"}, {"data ", "X25519"}} {
		b64, ok := strings.CutPrefix(lines[i+1], l.prefix)
		if !ok {
			return out, fmt.Errorf("line %d does not start with %q", i+2, l.prefix)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			return out, fmt.Errorf("the %sline is not base64", l.prefix)
		}
		if !bytes.HasPrefix(raw, []byte("age-encryption.org/v1\n-> "+l.stanza+" ")) {
			return out, fmt.Errorf("the %sline is not an age file encrypted with %s", l.prefix, l.stanza)
		}
		out = append(out, artifact{strings.TrimSpace(l.prefix) + " line, decoded", raw})
	}
	return out, nil
}

// clearKeyring deletes every secret smartradex may have put in the
// throwaway keyring (TestNoSecretLeaks runs its system cases only there).
func clearKeyring(t *testing.T) {
	t.Helper()
	store, err := secrets.Open(secrets.Options{Backend: secrets.BackendSystem})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{secrets.ServiceTokenName}
	for _, b := range bots.IDs() {
		names = append(names, secrets.BotSecretName(b), secrets.BotNextSecretName(b), secrets.BotGeneratedSecretName(b))
	}
	for _, n := range names {
		if err := store.Delete(context.Background(), n); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			t.Fatalf("clearing the throwaway keyring: %v", err)
		}
	}
}

func randomAlnum(t *testing.T, n int) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = alphabet[v.Int64()]
	}
	return string(b)
}

// ed25519PEM makes a key pair: the PKCS#8 PEM of the private key and the
// PEM of the public key, as Binance's key generator would.
func ed25519PEM(t *testing.T) (private, public string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
}
