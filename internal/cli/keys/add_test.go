package keys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

const guidedToken = "guided-token-0123456789"

// hookPrompter runs onSelect before each Select: the test plays the user
// changing the key's boxes on Binance while the recheck question is shown.
type hookPrompter struct {
	*prompt.Fake
	onSelect func()
}

func (h *hookPrompter) Select(ctx context.Context, title, description string, options []prompt.Option, def string) (string, error) {
	if h.onSelect != nil {
		h.onSelect()
	}
	return h.Fake.Select(ctx, title, description, options, def)
}

type guided struct {
	f              *cmdutil.Factory
	ios            *iostreams.IOStreams
	bin            *binancetest.Server
	svc            *servicetest.Server
	dir            string
	fake           *prompt.Fake
	hook           *hookPrompter
	stdout, stderr interface{ String() string }
}

func newGuided(t *testing.T, lang i18n.Lang, env map[string]string, answers ...any) *guided {
	t.Helper()
	bin := binancetest.StartTest(t)
	burl := bin.URL
	svc, surl := servicetest.StartTest(t, guidedToken, "sub@example.com", bots.IDs())
	dir := t.TempDir()
	vars := map[string]string{
		"SMARTRADEX_BINANCE_URL": burl, "SMARTRADEX_SERVICE_URL": surl, "SMARTRADEX_TOKEN": guidedToken,
		"SMARTRADEX_CONFIG_DIR": dir, "SMARTRADEX_KEYRING": "file", "SMARTRADEX_PASSPHRASE": "pw",
		"SMARTRADEX_SANDBOX_DIR": t.TempDir(),
	}
	for k, v := range env {
		vars[k] = v
	}
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(true, true, true)
	f := cmdutil.New(ios, func(k string) string { return vars[k] })
	f.SetLang(lang)
	t.Cleanup(f.Finish)
	fake := &prompt.Fake{Answers: answers}
	return &guided{f: f, ios: ios, bin: bin, svc: svc, dir: dir, fake: fake, hook: &hookPrompter{Fake: fake}, stdout: out, stderr: errOut}
}

func (g *guided) run(opts AddOptions) error {
	opts.Env, opts.IO, opts.Prompter = newCmdEnv(g.f), g.ios, g.hook
	return addRun(context.Background(), &opts)
}

func (g *guided) entry(t *testing.T, bot string) *state.Entry {
	t.Helper()
	s, err := state.Open(g.dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	return s.Entries[bot]
}

// asked is every screen's title and description, in order.
func (g *guided) asked() string {
	var b strings.Builder
	for _, q := range g.fake.Asked {
		b.WriteString(q.Title + "\n" + q.Description + "\n")
	}
	return b.String()
}

// wantShown fails t for each of words that no screen showed.
func (g *guided) wantShown(t *testing.T, words []string) {
	t.Helper()
	asked := g.asked()
	for _, w := range words {
		if !strings.Contains(asked, w) {
			t.Errorf("no screen says %q:\n%s", w, asked)
		}
	}
}

// wantInForce fails t unless bot's key is apiKey, registered, here and at
// SmartradeX.
func (g *guided) wantInForce(t *testing.T, bot, apiKey string) {
	t.Helper()
	if reg, found := g.svc.Registration(bot); !found || reg.APIKey != apiKey {
		t.Fatalf("registered %+v (found %v), want %s", reg, found, apiKey)
	}
	if e := g.entry(t, bot); e == nil || e.APIKey != apiKey || e.Status != state.StatusRegistered {
		t.Fatalf("stored %+v, want %s registered", e, apiKey)
	}
}

func demoKey(t *testing.T, name string) binancetest.Key {
	t.Helper()
	k, err := binancetest.DemoKeyByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return k.Key
}

func TestGuidedAddRecheckWithoutRepasting(t *testing.T) {
	wd := demoKey(t, "withdrawals")
	ok := demoKey(t, "ok")
	g := newGuided(t, i18n.EN, nil, true, true, true, true, wd.APIKey, wd.Secret, "now")
	g.hook.onSelect = func() { g.bin.SetRestrictions(wd.APIKey, ok.Restrictions) }
	if err := g.run(AddOptions{Bot: "btc-spot"}); err != nil {
		t.Fatalf("add: %v\n%s", err, g.stderr.String())
	}
	passwords := 0
	var titles []string
	for _, q := range g.fake.Asked {
		titles = append(titles, q.Kind+": "+q.Title)
		if q.Kind == "password" {
			passwords++
		}
	}
	// The key and the secret, each masked: the tutorial's confirmations,
	// one paste, then the recheck choice.
	if passwords != 2 || len(g.fake.Asked) != 7 {
		t.Errorf("questions asked: %q", titles)
	}
	if !strings.Contains(g.fake.Asked[0].Title, "Step 1 of 4") {
		t.Errorf("the tutorial did not start: %q", titles)
	}
	e := g.entry(t, "btc-spot")
	if e == nil || e.Status != state.StatusRegistered || e.APIKey != wd.APIKey {
		t.Fatalf("entry %+v", e)
	}
	if reg, found := g.svc.Registration("btc-spot"); !found || reg.APIKey != wd.APIKey {
		t.Fatal("not registered")
	}
	out := g.stdout.String()
	// The refusal is on the recheck screen only; no table of rights.
	if strings.Contains(out, "refused") || strings.Contains(out, "BINANCE RIGHT") {
		t.Errorf("the refusal or the table is printed besides the screen:\n%s", out)
	}
	for _, want := range []string{"never outside them", "you are done", "To check it later: smartradex keys verify"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^  SmartradeX +registered$`).MatchString(out) {
		t.Errorf("the summary does not say SmartradeX has the key:\n%s", out)
	}
	if strings.Contains(out+g.stderr.String(), wd.Secret) {
		t.Error("the secret was printed")
	}
}

func TestGuidedCtrlCChangesNothing(t *testing.T) {
	for _, at := range []int{0, 2, 4, 5} {
		answers := []any{true, true, true, true, demoKey(t, "ok").APIKey, demoKey(t, "ok").Secret}
		answers = append(answers[:at:at], prompt.Cancelled(nil))
		g := newGuided(t, i18n.FR, nil, answers...)
		err := g.run(AddOptions{Bot: "btc-spot"})
		if apperr.KindOf(err) != apperr.Cancelled {
			t.Fatalf("at %d: %v", at, err)
		}
		if g.entry(t, "btc-spot") != nil || len(g.svc.Registrations()) != 0 {
			t.Fatalf("at %d: something was stored", at)
		}
	}
}

func TestGuidedInlineLogin(t *testing.T) {
	ok := demoKey(t, "ok")
	g := newGuided(t, i18n.EN, map[string]string{"SMARTRADEX_TOKEN": ""},
		true, "wrong-token-zzzzzzzz", guidedToken, ok.APIKey, ok.Secret)
	if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true}); err != nil {
		t.Fatalf("add: %v", err)
	}
	if q := g.fake.Asked[1]; q.Kind != "password" || len(q.Rejected) != 1 {
		t.Fatalf("token question: %+v", q)
	} else if msg := q.Rejected[0]; !strings.Contains(msg, "paste it here") || strings.Contains(msg, "auth login") || strings.Contains(msg, "wrong-token") {
		t.Errorf("the refusal at the prompt should say to paste again, without the token: %q", msg)
	}
	store, _ := g.f.SecretStore()
	if tok, err := store.Get(context.Background(), secrets.ServiceTokenName); err != nil || tok != guidedToken {
		t.Fatalf("token not stored: %v", err)
	}
	if _, found := g.svc.Registration("btc-spot"); !found {
		t.Fatal("not registered")
	}
}

func TestGuidedSandboxLabelsAndDemoKeys(t *testing.T) {
	ok := demoKey(t, "ok")
	// A demo key is named, not copied: "ok" as the key, no secret.
	g := newGuided(t, i18n.FR, map[string]string{"SMARTRADEX_SANDBOX": "1", "SMARTRADEX_TOKEN": ""}, "ok", "")
	if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true, JSON: true}); err != nil {
		t.Fatalf("add: %v", err)
	}
	q := g.fake.Asked[0]
	if !strings.HasPrefix(q.Title, "[BAC À SABLE]") || !strings.Contains(q.Description, "ok, withdrawals, ") || strings.Contains(q.Description, ok.APIKey) {
		t.Errorf("key question not labelled or without demo keys: %+v", q)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(g.stdout.String()), &res); err != nil {
		t.Fatalf("json: %v\n%s", err, g.stdout.String())
	}
	if res["sandbox"] != true || res["status"] != "registered" {
		t.Errorf("result %v", res)
	}
	if e := g.entry(t, "btc-spot"); e != nil {
		t.Error("the sandbox wrote to the real config dir")
	}
}

// TestGuidedMistakesEndAccepted plays each mistake a person can make on the
// paste screen: every one leads, in the same run, to a key accepted and
// registered, without a new command.
func TestGuidedMistakesEndAccepted(t *testing.T) {
	ok, okEth, wd := demoKey(t, "ok"), demoKey(t, "ok-eth"), demoKey(t, "withdrawals")
	same := demoKey(t, "same-subaccount")
	steps := []any{true, true, true, true}
	seq := func(parts ...[]any) []any {
		var out []any
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	unknown := strings.Repeat("Zq7", 21) + "Z"
	cases := []struct {
		name    string
		first   []any // a first run, adding "ok" for eth-spot, when set
		answers []any
		want    string // the registered key
		shown   []string
		stderr  string
	}{
		{"swapped", nil, seq(steps, []any{ok.Secret, ok.APIKey}), ok.APIKey, nil, "were swapped"},
		{"unknown key, paste another", nil, seq(steps, []any{unknown, ok.Secret, "repaste", ok.APIKey, ok.Secret}), ok.APIKey,
			[]string{"Binance does not accept this key", "Binance refused this API key"}, ""},
		{"back to the steps from the paste screen", nil, seq(steps, []any{"", ""}, steps, []any{ok.APIKey, ok.Secret}), ok.APIKey, nil, ""},
		{"refused box, back to the steps", nil, seq(steps, []any{wd.APIKey, wd.Secret, "steps"}, steps, []any{ok.APIKey, ok.Secret}), ok.APIKey,
			[]string{"This key is not accepted yet"}, ""},
		{"another bot's sub-account", []any{ok.APIKey, ok.Secret}, seq(steps, []any{same.APIKey, same.Secret, "repaste", okEth.APIKey, okEth.Secret}), okEth.APIKey,
			[]string{"This key belongs to another bot"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := newGuided(t, i18n.EN, nil, append(append([]any{}, c.first...), c.answers...)...)
			if c.first != nil {
				if err := g.run(AddOptions{Bot: "eth-spot", SkipTutorial: true}); err != nil {
					t.Fatalf("first add: %v", err)
				}
			}
			if err := g.run(AddOptions{Bot: "btc-spot"}); err != nil {
				t.Fatalf("add: %v\n%s", err, g.stderr.String())
			}
			if g.fake.Remaining() != 0 {
				t.Errorf("%d answers left", g.fake.Remaining())
			}
			if reg, found := g.svc.Registration("btc-spot"); !found || reg.APIKey != c.want {
				t.Fatalf("registered %+v (found %v), want %s", reg, found, c.want)
			}
			asked := g.asked()
			g.wantShown(t, c.shown)
			out := g.stdout.String()
			// Once for the first run's key, once for the last: never for
			// the key on another bot's sub-account.
			if c.first != nil && strings.Count(out, "is set up: you are done") != 2 {
				t.Errorf("a key set up for the key of another bot's sub-account:\n%s", out)
			}
			if !strings.Contains(g.stderr.String(), c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, g.stderr.String())
			}
			for _, s := range []string{ok.Secret, okEth.Secret, wd.Secret, same.Secret} {
				if strings.Contains(out+g.stderr.String()+asked, s) {
					t.Fatal("a secret was shown")
				}
			}
		})
	}
}

// TestGuidedPreflight: what would stop the run at its end is found before
// the first Binance step.
func TestGuidedPreflight(t *testing.T) {
	ok, okEth := demoKey(t, "ok"), demoKey(t, "ok-eth")
	t.Run("not subscribed", func(t *testing.T) {
		g := newGuided(t, i18n.EN, map[string]string{"SMARTRADEX_TOKEN": "eth-only-token-0123456789"})
		g.svc.AddAccount("eth-only-token-0123456789", "eth@example.com", []string{"eth-spot"})
		err := g.run(AddOptions{Bot: "btc-spot"})
		if apperr.KindOf(err) != apperr.Usage || !strings.Contains(i18n.EN.Render(err.(*apperr.Error).Hints[0]), "BOT ETH Spot (--bot eth-spot)") {
			t.Fatalf("err = %v", err)
		}
		if len(g.fake.Asked) != 0 {
			t.Errorf("asked %d questions before saying the bot is not subscribed", len(g.fake.Asked))
		}
	})
	for _, replace := range []bool{true, false} {
		t.Run(fmt.Sprintf("bot has a key, replace=%v", replace), func(t *testing.T) {
			g := newGuided(t, i18n.FR, nil, ok.APIKey, ok.Secret, replace, okEth.APIKey, okEth.Secret)
			if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true}); err != nil {
				t.Fatal(err)
			}
			err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true})
			q := g.fake.Asked[2]
			if q.Kind != "confirm" || !strings.Contains(q.Title, "BOT BTC Spot a déjà une clé (DEMO…OK01)") {
				t.Fatalf("replace question: %+v", q)
			}
			want := okEth.APIKey
			if !replace {
				want = ok.APIKey
				if apperr.KindOf(err) != apperr.Cancelled || g.fake.Remaining() != 2 {
					t.Fatalf("declined: err %v, %d answers left", err, g.fake.Remaining())
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if reg, found := g.svc.Registration("btc-spot"); !found || reg.APIKey != want {
				t.Fatalf("registered %+v, want %s", reg, want)
			}
		})
	}
}

// A desktop password store that does not answer is found before the first
// step, and the encrypted file, accepted in plain words, takes its place.
func TestGuidedPreflightStoreFallsBackToTheFile(t *testing.T) {
	// The keyring library reads the bus address from the process, not from
	// the command's environment: under scripts/test a real Secret Service
	// answers there, so the test points the process at a bus that is not.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+t.TempDir()+"/no-bus")
	ok := demoKey(t, "ok")
	g := newGuided(t, i18n.EN, map[string]string{
		"SMARTRADEX_KEYRING": "system", "DBUS_SESSION_BUS_ADDRESS": "unix:path=" + t.TempDir() + "/no-bus",
		"SMARTRADEX_KEYRING_TIMEOUT": "1s",
	}, true, ok.APIKey, ok.Secret)
	if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true}); err != nil {
		t.Fatalf("add: %v\n%s", err, g.stderr.String())
	}
	q := g.fake.Asked[0]
	if q.Kind != "confirm" || !strings.Contains(q.Title, "encrypted file") {
		t.Fatalf("first question: %+v", q)
	}
	if !strings.Contains(g.stderr.String(), "password store of your Linux desktop") && !strings.Contains(g.stderr.String(), "does not answer") {
		t.Errorf("the failure is not said in plain words:\n%s", g.stderr.String())
	}
	e := g.entry(t, "btc-spot")
	if e == nil || e.Backend != secrets.BackendFile || e.Status != state.StatusRegistered {
		t.Fatalf("entry %+v", e)
	}
}

// lockKeys makes g's service want keys locked to its address (ip_lock
// recommended, as the sandbox does) and check them with Binance from that
// address, and adds the locked demo keys.
func (g *guided) lockKeys(t *testing.T) {
	t.Helper()
	as, err := g.bin.ListenAs(binancetest.SandboxServiceIP)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.svc.SetNetwork(servicetest.Network{IPLock: "recommended", EgressIPs: []string{binancetest.SandboxServiceIP}, BinanceURL: as}); err != nil {
		t.Fatal(err)
	}
	g.bin.AddLockedDemoKeys()
}

// lockedKey is a key locked to the service's address on sub-account uid,
// with the locked demo key's rights changed by set.
func lockedKey(t *testing.T, tag string, uid int64, set map[string]any) binancetest.Key {
	t.Helper()
	base := demoKey(t, "locked")
	var rights map[string]any
	if err := json.Unmarshal(base.Restrictions, &rights); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		rights[k] = v
	}
	raw, err := json.Marshal(rights)
	if err != nil {
		t.Fatal(err)
	}
	pad := func(s string) string { return s + strings.Repeat("x", 64-len(s)) }
	return binancetest.Key{APIKey: pad("DEMOTestLockedApiKey" + tag), Secret: pad("DEMOTestLockedSecret" + tag),
		Restrictions: raw, UID: uid, IPs: []string{binancetest.SandboxServiceIP}}
}

// TestGuidedLockedMistakesEndAccepted plays each mistake that, with a key
// locked to SmartradeX's address, only SmartradeX can find as it registers
// the key: each shows its cause and the recheck menu with nothing kept for
// the refused key, and the run ends with a key accepted and registered.
func TestGuidedLockedMistakesEndAccepted(t *testing.T) {
	locked, elsewhere := demoKey(t, "locked"), demoKey(t, "locked-elsewhere")
	other := lockedKey(t, "Other", 900000099, nil)
	sameSub := lockedKey(t, "SameSub", binancetest.DemoUIDLocked, nil)
	withdrawing := lockedKey(t, "Withdraw", 900000098, map[string]any{"enableWithdrawals": true})
	unknown := strings.Repeat("Zq7", 21) + "Z"
	cases := []struct {
		name    string
		first   bool  // "locked" is added for eth-spot first
		answers []any // after the tutorial
		// mend plays the user fixing the key on Binance while the menu is shown.
		mend  func(g *guided)
		fault *servicetest.Fault
		want  string // the registered key
		shown []string
	}{
		{"IP list without SmartradeX's address, check again", false,
			[]any{elsewhere.APIKey, elsewhere.Secret, "now"},
			func(g *guided) { g.bin.SetIPs(elsewhere.APIKey, []string{binancetest.SandboxServiceIP}) }, nil, elsewhere.APIKey,
			[]string{"Binance does not accept this key", binancetest.SandboxServiceIP}},
		{"a key Binance does not know, paste another", false,
			[]any{unknown, locked.Secret, "repaste", locked.APIKey, locked.Secret}, nil, nil, locked.APIKey,
			[]string{"Binance does not accept this key"}},
		{"a secret that does not match, paste again", false,
			[]any{locked.APIKey, elsewhere.Secret, "repaste", locked.APIKey, locked.Secret}, nil, nil, locked.APIKey,
			[]string{"Binance does not accept this key", "the Secret Key does not match this API Key"}},
		{"another bot's sub-account, paste another", true,
			[]any{sameSub.APIKey, sameSub.Secret, "repaste", other.APIKey, other.Secret}, nil, nil, other.APIKey,
			[]string{"This key belongs to another bot", "sub-account"}},
		{"rights SmartradeX refuses, check again", false,
			[]any{withdrawing.APIKey, withdrawing.Secret, "now"},
			func(g *guided) {
				g.bin.SetRestrictions(withdrawing.APIKey, lockedKey(t, "", 0, nil).Restrictions)
			}, nil, withdrawing.APIKey,
			[]string{"SmartradeX does not accept this key"}},
		{"SmartradeX holds the key for another bot, paste another", false,
			[]any{locked.APIKey, locked.Secret, "repaste", other.APIKey, other.Secret}, nil,
			&servicetest.Fault{Method: "PUT", Path: "/v1/bots/btc-spot/binance-key", Status: 409, Times: 1,
				Body: `{"error":{"code":"key_in_use","message":"registered for bot eth-spot"}}`}, other.APIKey,
			[]string{"This key belongs to another bot", "already registered for another bot"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answers := c.answers
			if c.first {
				answers = append([]any{locked.APIKey, locked.Secret}, answers...)
			}
			g := newGuided(t, i18n.EN, nil, answers...)
			g.lockKeys(t)
			for _, k := range []binancetest.Key{other, sameSub, withdrawing} {
				g.bin.AddKey(k)
			}
			if c.first {
				if err := g.run(AddOptions{Bot: "eth-spot", SkipTutorial: true}); err != nil {
					t.Fatalf("first add: %v\n%s", err, g.stderr.String())
				}
			}
			if c.fault != nil {
				g.svc.Inject(*c.fault)
			}
			menus := 0
			g.hook.onSelect = func() {
				menus++
				// The refused key is kept nowhere while the menu is shown.
				if e := g.entry(t, "btc-spot"); e != nil {
					t.Errorf("a key is stored for the bot at the menu: %s", e.APIKey)
				}
				if reg, found := g.svc.Registration("btc-spot"); found {
					t.Errorf("a key is registered for the bot at the menu: %s", reg.APIKey)
				}
				if c.mend != nil {
					c.mend(g)
				}
			}
			if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true}); err != nil {
				t.Fatalf("add: %v\n%s", err, g.stderr.String())
			}
			if menus != 1 || g.fake.Remaining() != 0 {
				t.Errorf("%d menus shown, %d answers left", menus, g.fake.Remaining())
			}
			g.wantInForce(t, "btc-spot", c.want)
			asked := g.asked()
			g.wantShown(t, c.shown)
			out := g.stdout.String()
			want := 1
			if c.first {
				want = 2
			}
			// Never for the refused key: "accepted" comes only once it is.
			if n := strings.Count(out, "is set up: you are done"); n != want {
				t.Errorf("%d keys said set up, want %d:\n%s", n, want, out)
			}
			for _, s := range []string{locked.Secret, elsewhere.Secret, other.Secret, sameSub.Secret, withdrawing.Secret} {
				if strings.Contains(out+g.stderr.String()+asked, s) {
					t.Fatal("a secret was shown")
				}
			}
		})
	}
}

// TestGuidedLockedRotateMistakesEndRotated: a locked key that would
// replace another is checked by SmartradeX before it is registered, so
// that each mistake leads to the same menu as for a first key, while the
// old key stays in force here and at SmartradeX — never to an error after
// the new one was registered.
func TestGuidedLockedRotateMistakesEndRotated(t *testing.T) {
	locked, elsewhere := demoKey(t, "locked"), demoKey(t, "locked-elsewhere")
	current := lockedKey(t, "Current", 900000097, nil)
	other := lockedKey(t, "Other", 900000099, nil)
	sameSub := lockedKey(t, "SameSub", binancetest.DemoUIDLocked, nil)
	withdrawing := lockedKey(t, "Withdraw", 900000098, map[string]any{"enableWithdrawals": true})
	cases := []struct {
		name    string
		answers []any
		mend    func(g *guided)
		want    string
		shown   []string
	}{
		{"another bot's sub-account, paste another",
			[]any{sameSub.APIKey, sameSub.Secret, "repaste", other.APIKey, other.Secret}, nil, other.APIKey,
			[]string{"This key belongs to another bot", "sub-account", "still in force"}},
		{"rights SmartradeX refuses, check again",
			[]any{withdrawing.APIKey, withdrawing.Secret, "now"},
			func(g *guided) {
				g.bin.SetRestrictions(withdrawing.APIKey, lockedKey(t, "", 0, nil).Restrictions)
			}, withdrawing.APIKey,
			[]string{"This key is not accepted yet"}},
		{"IP list without SmartradeX's address, check again",
			[]any{elsewhere.APIKey, elsewhere.Secret, "now"},
			func(g *guided) { g.bin.SetIPs(elsewhere.APIKey, []string{binancetest.SandboxServiceIP}) }, elsewhere.APIKey,
			[]string{"Binance does not accept this key", binancetest.SandboxServiceIP, "still in force"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			answers := append([]any{locked.APIKey, locked.Secret, current.APIKey, current.Secret}, c.answers...)
			g := newGuided(t, i18n.EN, nil, answers...)
			g.lockKeys(t)
			for _, k := range []binancetest.Key{current, other, sameSub, withdrawing} {
				g.bin.AddKey(k)
			}
			if err := g.run(AddOptions{Bot: "eth-spot", SkipTutorial: true}); err != nil {
				t.Fatalf("eth-spot: %v\n%s", err, g.stderr.String())
			}
			if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true}); err != nil {
				t.Fatalf("btc-spot: %v\n%s", err, g.stderr.String())
			}
			puts := func() int {
				n := 0
				for _, r := range g.svc.Arrived() {
					if r.Method == http.MethodPut && r.Path == "/v1/bots/btc-spot/binance-key" {
						n++
					}
				}
				return n
			}
			before := puts()
			menus := 0
			g.hook.onSelect = func() {
				menus++
				// Nothing was sent, and the old key is in force on both sides.
				if n := puts(); n != before {
					t.Errorf("%d PUTs sent before the menu", n-before)
				}
				if e := g.entry(t, "btc-spot"); e == nil || e.APIKey != current.APIKey {
					t.Errorf("stored at the menu: %+v, want the old key", e)
				}
				if reg, found := g.svc.Registration("btc-spot"); !found || reg.APIKey != current.APIKey {
					t.Errorf("registered at the menu: %+v, want the old key", reg)
				}
				if c.mend != nil {
					c.mend(g)
				}
			}
			if err := g.run(AddOptions{Bot: "btc-spot", Rotate: true, SkipTutorial: true}); err != nil {
				t.Fatalf("rotate: %v\n%s", err, g.stderr.String())
			}
			if menus != 1 || g.fake.Remaining() != 0 {
				t.Errorf("%d menus shown, %d answers left", menus, g.fake.Remaining())
			}
			g.wantInForce(t, "btc-spot", c.want)
			asked := g.asked()
			g.wantShown(t, c.shown)
			for _, s := range []string{locked.Secret, elsewhere.Secret, current.Secret, other.Secret, sameSub.Secret, withdrawing.Secret} {
				if strings.Contains(g.stdout.String()+g.stderr.String()+asked, s) {
					t.Fatal("a secret was shown")
				}
			}
		})
	}
}

// TestGuidedQuitReportsWhatStoodInTheWay: giving up at the menu reports
// the error the screen explained, with its exit code — not a count of
// the screen's lines as "refused boxes", nor "0 problems" for a key that
// has none — and for a rotation, that the old key is still in force.
func TestGuidedQuitReportsWhatStoodInTheWay(t *testing.T) {
	locked, elsewhere, wd := demoKey(t, "locked"), demoKey(t, "locked-elsewhere"), demoKey(t, "withdrawals")
	sameSub := lockedKey(t, "SameSub", binancetest.DemoUIDLocked, nil)
	withdrawing := lockedKey(t, "Withdraw", 900000098, map[string]any{"enableWithdrawals": true})
	unknown := strings.Repeat("Zq7", 21) + "Z"
	cases := []struct {
		name    string
		rotate  bool
		answers []any
		kind    apperr.Kind
		code    string
		want    []string // in the error and its hints, in English
		not     []string
	}{
		{"IP list without SmartradeX's address", false, []any{elsewhere.APIKey, elsewhere.Secret, "quit"},
			apperr.Rejected, "service.binance_rejected", []string{"lacks " + binancetest.SandboxServiceIP}, []string{"problem", "boxes"}},
		{"a key Binance does not know", false, []any{unknown, locked.Secret, "quit"},
			apperr.Rejected, "service.binance_rejected", []string{"or the key was deleted"}, []string{"problem", "boxes"}},
		{"another bot's sub-account", false, []any{sameSub.APIKey, sameSub.Secret, "quit"},
			apperr.Refused, "enroll.same_subaccount", []string{"sub-account 900000007"}, []string{"0 problems", "boxes"}},
		{"rights SmartradeX refuses", false, []any{withdrawing.APIKey, withdrawing.Secret, "quit"},
			apperr.Refused, "service.key_refused", []string{"not the ones required", "Enable Withdrawals"}, []string{"0 problems"}},
		{"refused boxes, seen here", false, []any{wd.APIKey, wd.Secret, "quit"},
			apperr.Refused, "enroll.refused", []string{"refused (1 problem)", "boxes"}, nil},
		{"rotation: another bot's sub-account", true, []any{sameSub.APIKey, sameSub.Secret, "quit"},
			apperr.Refused, "enroll.same_subaccount", []string{"sub-account 900000007", "still in force"}, []string{"0 problems"}},
		{"rotation: IP list without SmartradeX's address", true, []any{elsewhere.APIKey, elsewhere.Secret, "quit"},
			apperr.Rejected, "service.binance_rejected", []string{"lacks", "still in force"}, []string{"problem"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			current := lockedKey(t, "Current", 900000097, nil)
			answers := []any{locked.APIKey, locked.Secret}
			if c.rotate {
				answers = append(answers, current.APIKey, current.Secret)
			}
			g := newGuided(t, i18n.EN, nil, append(answers, c.answers...)...)
			g.lockKeys(t)
			for _, k := range []binancetest.Key{current, sameSub, withdrawing} {
				g.bin.AddKey(k)
			}
			if err := g.run(AddOptions{Bot: "eth-spot", SkipTutorial: true}); err != nil {
				t.Fatalf("eth-spot: %v\n%s", err, g.stderr.String())
			}
			if c.rotate {
				if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true}); err != nil {
					t.Fatalf("btc-spot: %v\n%s", err, g.stderr.String())
				}
			}
			err := g.run(AddOptions{Bot: "btc-spot", Rotate: c.rotate, SkipTutorial: true})
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Kind != c.kind || ae.Code != c.code {
				t.Fatalf("gave up with %v (%#v), want %v %s", err, ae, c.kind, c.code)
			}
			text := i18n.EN.Render(ae.Message)
			for _, h := range ae.Hints {
				text += "\n" + i18n.EN.Render(h)
			}
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("the error lacks %q:\n%s", w, text)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("the error says %q:\n%s", w, text)
				}
			}
			// The same error in French is French throughout.
			fr := i18n.FR.Render(ae.Message)
			for _, h := range ae.Hints {
				fr += "\n" + i18n.FR.Render(h)
			}
			for _, w := range []string{" the ", " key ", " is ", "rejected", "refused"} {
				if strings.Contains(fr, w) {
					t.Errorf("the French error has %q:\n%s", w, fr)
				}
			}
			e := g.entry(t, "btc-spot")
			reg, found := g.svc.Registration("btc-spot")
			if c.rotate {
				if e == nil || e.APIKey != current.APIKey || !found || reg.APIKey != current.APIKey {
					t.Errorf("after giving up a rotation: stored %+v, registered %+v: want the old key on both sides", e, reg)
				}
			} else if e != nil || found {
				t.Errorf("after giving up: stored %+v, registered %v", e, found)
			}
		})
	}
}

// TestGuidedSeenRefusedIsTakenBack: SmartradeX's checking PUT registers a
// locked key whose rights, as it saw them, this version refuses (two
// versions of the policy that disagree): the key is taken back, here and
// at SmartradeX, the menu lists the boxes to change, and giving up says
// the key was refused for them.
func TestGuidedSeenRefusedIsTakenBack(t *testing.T) {
	locked := demoKey(t, "locked")
	withdrawing := lockedKey(t, "", 0, map[string]any{"enableWithdrawals": true})
	g := newGuided(t, i18n.EN, nil, locked.APIKey, locked.Secret, "quit")
	g.lockKeys(t)
	body, err := json.Marshal(map[string]any{
		"bot": "btc-spot", "api_key": locked.APIKey, "status": "active", "registered_at": time.Now().UTC().Format(time.RFC3339),
		"last_check": map[string]any{"seen_from": binancetest.SandboxServiceIP, "checked_at": time.Now().UTC().Format(time.RFC3339),
			"outcome": "ok", "api_restrictions": withdrawing.Restrictions, "uid": binancetest.DemoUIDLocked, "binance_code": 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	g.svc.Inject(servicetest.Fault{Method: "PUT", Path: "/v1/bots/btc-spot/binance-key", Status: 200, Times: 1, Body: string(body)})
	menus := 0
	g.hook.onSelect = func() {
		menus++
		if e := g.entry(t, "btc-spot"); e != nil {
			t.Errorf("a key is stored for the bot at the menu: %+v", e)
		}
	}
	err = g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "enroll.refused" || !strings.Contains(i18n.EN.Render(ae.Message), "refused (1 problem)") {
		t.Fatalf("gave up with %v, want the key refused for 1 problem", err)
	}
	if menus != 1 || g.fake.Remaining() != 0 {
		t.Errorf("%d menus shown, %d answers left", menus, g.fake.Remaining())
	}
	g.wantShown(t, []string{"Enable Withdrawals"})
	// The PUT's answer was the fault's, so SmartradeX holds nothing: the
	// take-back asks it which key it holds before deleting anything.
	var after []string
	put := false
	for _, r := range g.svc.Arrived() {
		if r.Path != "/v1/bots/btc-spot/binance-key" {
			continue
		}
		if put {
			after = append(after, r.Method)
		}
		put = put || r.Method == http.MethodPut
	}
	if len(after) == 0 {
		t.Error("SmartradeX was not asked to take the key back after the PUT")
	}
	if e := g.entry(t, "btc-spot"); e != nil {
		t.Errorf("stored after giving up: %+v", e)
	}
	if _, found := g.svc.Registration("btc-spot"); found {
		t.Error("registered at SmartradeX after giving up")
	}
}

// TestGuidedFrenchIsFrench: a French guided run through the steps and
// several mistakes (a right to untick, a key of another bot's
// sub-account, a key locked elsewhere) shows no English on any screen or
// line it prints, the demo keys' and Binance's own names aside.
func TestGuidedFrenchIsFrench(t *testing.T) {
	locked, elsewhere := demoKey(t, "locked"), demoKey(t, "locked-elsewhere")
	other := lockedKey(t, "Other", 900000099, nil)
	sameSub := lockedKey(t, "SameSub", binancetest.DemoUIDLocked, nil)
	withdrawing := lockedKey(t, "Withdraw", 900000098, map[string]any{"enableWithdrawals": true})
	g := newGuided(t, i18n.FR, nil,
		locked.APIKey, locked.Secret, // eth-spot, without the tutorial
		true, true, true, // the steps
		withdrawing.APIKey, withdrawing.Secret, "repaste",
		sameSub.APIKey, sameSub.Secret, "repaste",
		elsewhere.APIKey, elsewhere.Secret, "repaste",
		other.APIKey, other.Secret)
	g.lockKeys(t)
	for _, k := range []binancetest.Key{other, sameSub, withdrawing} {
		g.bin.AddKey(k)
	}
	if err := g.run(AddOptions{Bot: "eth-spot", SkipTutorial: true}); err != nil {
		t.Fatalf("eth-spot: %v\n%s", err, g.stderr.String())
	}
	if err := g.run(AddOptions{Bot: "btc-spot"}); err != nil {
		t.Fatalf("btc-spot: %v\n%s", err, g.stderr.String())
	}
	if g.fake.Remaining() != 0 {
		t.Errorf("%d answers left", g.fake.Remaining())
	}
	if reg, found := g.svc.Registration("btc-spot"); !found || reg.APIKey != other.APIKey {
		t.Fatalf("registered %+v (found %v)", reg, found)
	}
	var all strings.Builder
	for _, q := range g.fake.Asked {
		all.WriteString(q.Title + "\n" + q.Description + "\n")
		for _, o := range q.Options {
			all.WriteString(o.Label + "\n")
		}
		for _, r := range q.Rejected {
			all.WriteString(r + "\n")
		}
	}
	all.WriteString(g.stdout.String() + g.stderr.String())
	text := all.String()
	for _, k := range []binancetest.Key{locked, elsewhere, other, sameSub, withdrawing} {
		text = strings.ReplaceAll(text, k.APIKey, "")
	}
	english := regexp.MustCompile(`(?i)\b(the|your|key|paste|check|done|step|again|accepted|refused|rejected|nothing|sub-account|address(es)?|please|click|enter)\b`)
	for i, line := range strings.Split(text, "\n") {
		if m := english.FindString(line); m != "" {
			t.Errorf("line %d is English (%q): %s", i+1, m, line)
		}
	}
	if !strings.Contains(text, "sous-compte") || !strings.Contains(text, "c'est terminé") {
		t.Errorf("the run does not read as the French guided flow:\n%s", text)
	}
}
