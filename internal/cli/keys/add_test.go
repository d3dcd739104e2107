package keys

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

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
	if passwords != 1 || len(g.fake.Asked) != 7 {
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
	for _, want := range []string{"refused", "accepted", "Next: run smartradex keys verify", "SmartradeX                 registered"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
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
	g := newGuided(t, i18n.FR, map[string]string{"SMARTRADEX_SANDBOX": "1", "SMARTRADEX_TOKEN": ""}, ok.APIKey, ok.Secret)
	if err := g.run(AddOptions{Bot: "btc-spot", SkipTutorial: true, JSON: true}); err != nil {
		t.Fatalf("add: %v", err)
	}
	q := g.fake.Asked[0]
	if !strings.HasPrefix(q.Title, "[BAC À SABLE]") || !strings.Contains(q.Description, ok.APIKey) {
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
