package onboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/prompt/forms"
	"github.com/smartradex/smartradex/internal/prompt/prompttest"
)

const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
const apiKey = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"

var btc, _ = bots.Lookup("btc-spot")

// driven returns a huh-mode UI whose forms are played by a key driver.
func driven(lang i18n.Lang, opts Options, keys ...string) (*UI, *prompttest.Driver) {
	d := prompttest.NewDriver(prompttest.Keys(keys...)...)
	opts.Prompter = forms.NewWithRunner(lang, d.Run, io.Discard)
	return New(strings.NewReader(""), io.Discard, lang, opts), d
}

func wantCancelled(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Cancelled {
		t.Fatalf("err = %v, want Kind Cancelled", err)
	}
}

func TestStepsQuoteBinanceLabels(t *testing.T) {
	cases := map[i18n.Lang][]string{
		i18n.EN: {"API Management", "Create API", "Sub-account", "SmartradeX BTC Spot", "Enable Reading", "Enable Spot & Margin Trading", "Unrestricted (less secure)", "Enable Withdrawals", "security check"},
		i18n.FR: {"Gestion des API", "Créer une API", "Sous-compte", "« SmartradeX BTC Spot »", "Permettre la lecture", "Activer le trading Spot et sur marge", "Sans restriction IP", "Activer les retraits", "vérification de sécurité"},
	}
	steps := Steps(btc, nil)
	if len(steps) != 4 || steps[0].ID != StepBefore || steps[3].ID != StepRestrictions {
		t.Fatalf("steps: %+v", steps)
	}
	for lang, wants := range cases {
		var all strings.Builder
		for _, s := range steps {
			title, body := lang.Render(s.Title), lang.Render(s.Body)
			if title == s.Title.Key || body == s.Body.Key || strings.Contains(body, "%!") {
				t.Errorf("%s: step %s is not in the catalogue or misformatted: %q", lang, s.ID, body)
			}
			all.WriteString(title + "\n" + body + "\n")
		}
		for _, w := range wants {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s tutorial lacks %q", lang, w)
			}
		}
	}
}

func TestTutorialNextBackAndLabels(t *testing.T) {
	cases := []struct {
		name    string
		lang    i18n.Lang
		sandbox bool
		keys    []string
		forms   int
		shown   []string
		absent  []string
	}{
		{"straight through", i18n.EN, false, []string{"enter", "enter", "enter", "enter"}, 4,
			[]string{"Step 1 of 4", "Step 4 of 4", "Next", "Back", "Enable Spot & Margin Trading"}, []string{"SANDBOX"}},
		// Back on step 1 stays there; Back on step 3 returns to step 2.
		{"back", i18n.FR, false, []string{"left", "enter", "enter", "enter", "left", "enter", "enter", "enter", "enter"}, 7,
			[]string{"Étape 1 sur 4", "Suivant", "Retour", "Permettre la lecture", "valider"}, []string{"BAC À SABLE"}},
		{"sandbox fr", i18n.FR, true, []string{"enter", "enter", "enter", "enter"}, 4, []string{"[BAC À SABLE]", "aucun argent réel"}, nil},
		{"sandbox en", i18n.EN, true, []string{"enter", "enter", "enter", "enter"}, 4, []string{"[SANDBOX]", "no real money"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, d := driven(c.lang, Options{Sandbox: c.sandbox}, c.keys...)
			if err := u.Tutorial(context.Background(), btc); err != nil {
				t.Fatal(err)
			}
			if d.Forms() != c.forms || d.Left() != 0 {
				t.Errorf("forms shown %d (want %d), keys left %d", d.Forms(), c.forms, d.Left())
			}
			all := prompttest.Flat(d.AllScreens())
			for _, s := range c.shown {
				if !strings.Contains(all, s) {
					t.Errorf("screens lack %q", s)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(all, s) {
					t.Errorf("screens show %q", s)
				}
			}
			if c.sandbox {
				for i, s := range d.Screens() {
					if !strings.Contains(s, "SANDBOX") && !strings.Contains(s, "BAC À SABLE") {
						t.Errorf("screen %d has no sandbox label:\n%s", i, s)
					}
				}
			}
		})
	}
}

func TestTutorialBackSequence(t *testing.T) {
	// Which step each screen shows, to prove Back goes back exactly one.
	u, d := driven(i18n.EN, Options{}, "enter", "enter", "left", "enter", "left", "enter", "enter", "enter", "enter", "enter")
	if err := u.Tutorial(context.Background(), btc); err != nil {
		t.Fatal(err)
	}
	var seen []string
	last := ""
	for _, s := range d.Screens() {
		for i := 1; i <= 4; i++ {
			if tag := fmt.Sprintf("Step %d of 4", i); strings.Contains(s, tag) && tag != last {
				seen = append(seen, fmt.Sprint(i))
				last = tag
			}
		}
	}
	if got := strings.Join(seen, ""); got != "12321234" {
		t.Errorf("step order %s, want 12321234", got)
	}
}

func TestTutorialCtrlC(t *testing.T) {
	u, d := driven(i18n.FR, Options{}, "enter", "ctrl+c", "enter")
	wantCancelled(t, u.Tutorial(context.Background(), btc))
	if d.Forms() != 2 || d.Left() != 1 {
		t.Errorf("forms %d, keys left %d: the tutorial went on after Ctrl-C", d.Forms(), d.Left())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u, _ = driven(i18n.EN, Options{}, "enter")
	wantCancelled(t, u.Tutorial(ctx, btc))
}

func swapCheck(key, sec string) error {
	if strings.HasPrefix(key, "SECRET") {
		return apperr.New(apperr.Usage, "binance.swapped", i18n.M("error.flag", "the key and the secret look swapped: "+sec))
	}
	return nil
}

func TestAskCredentials(t *testing.T) {
	// First the fields are swapped: the error shows inline, the user goes
	// back to the key, fixes it, and submits again without retyping the
	// secret.
	u, d := driven(i18n.FR, Options{Sandbox: true, DemoKeys: []DemoKeyInfo{{Name: "ok", APIKey: "demo_pass_key", Description: "passe"}}},
		"enter",                                   // empty key: refused
		"SECRETLOOKING", "enter", secret, "enter", // swap: refused on the secret
		"shift+tab", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
		"backspace", "backspace", "backspace", "backspace", "backspace", "backspace",
		apiKey, "enter", "enter")
	k, s, err := u.AskCredentials(context.Background(), btc, swapCheck)
	if err != nil {
		t.Fatalf("AskCredentials: %v\n%s", err, d.AllScreens())
	}
	if k != apiKey || s != secret {
		t.Fatalf("got key %q, secret len %d", k, len(s))
	}
	all := d.AllScreens()
	flat := prompttest.Flat(all)
	for _, w := range []string{"[BAC À SABLE]", "Collez la clé API de BOT BTC Spot", "Clé API", "Clé secrète",
		"la clé API est vide", "look swapped: [REDACTED]", "demo_pass_key", "Clés de démonstration"} {
		if !strings.Contains(flat, w) {
			t.Errorf("screens lack %q", w)
		}
	}
	if strings.Contains(all, secret) || strings.Contains(flat, secret[:16]) {
		t.Fatal("the secret appeared on screen")
	}
}

func TestAskCredentialsCtrlC(t *testing.T) {
	u, _ := driven(i18n.EN, Options{}, apiKey, "enter", secret[:10], "ctrl+c")
	k, s, err := u.AskCredentials(context.Background(), btc, nil)
	wantCancelled(t, err)
	if k != "" || s != "" {
		t.Error("values returned with a cancelled form")
	}
	if strings.Contains(err.Error(), secret[:10]) {
		t.Error("the secret is in the error")
	}
}

func TestAskRecheck(t *testing.T) {
	fixes := []string{"untick \"Enable Withdrawals\"", "choose \"Unrestricted\""}
	cases := []struct {
		keys []string
		want RecheckChoice
	}{
		{[]string{"enter"}, RecheckNow},
		{[]string{"down", "enter"}, RecheckRepaste},
		{[]string{"down", "down", "enter"}, RecheckQuit},
	}
	for _, c := range cases {
		u, d := driven(i18n.EN, Options{Sandbox: true}, c.keys...)
		got, err := u.AskRecheck(context.Background(), fixes)
		if err != nil || got != c.want {
			t.Errorf("keys %v: %v, %v; want %v", c.keys, got, err, c.want)
		}
		flat := prompttest.Flat(d.AllScreens())
		for _, w := range append(fixes, "I changed it: check again", "Paste another key", "Quit", "no need to paste it again", "[SANDBOX]") {
			if !strings.Contains(flat, w) {
				t.Errorf("screen lacks %q", w)
			}
		}
	}
	u, _ := driven(i18n.FR, Options{}, "ctrl+c")
	_, err := u.AskRecheck(context.Background(), fixes)
	wantCancelled(t, err)
}

// TestPlainModeThroughPrompter is how `keys add` tests drive the UI: every
// screen becomes a question to a prompt.Fake.
func TestPlainModeThroughPrompter(t *testing.T) {
	f := &prompt.Fake{Answers: []any{
		false, true, true, true, true, // Back on step 1 (stays), then Next ×4
		"SECRETLOOKING", secret, // swapped: both are asked again
		apiKey, secret,
		"repaste",
	}}
	var out bytes.Buffer
	u := New(nil, &out, i18n.FR, Options{Prompter: f, Sandbox: true, DemoKeys: []DemoKeyInfo{{Name: "ok", APIKey: "demo_pass_key"}}})
	ctx := context.Background()
	if err := u.Tutorial(ctx, btc); err != nil {
		t.Fatal(err)
	}
	k, s, err := u.AskCredentials(ctx, btc, swapCheck)
	if err != nil || k != apiKey || s != secret {
		t.Fatalf("AskCredentials = %q, len %d, %v", k, len(s), err)
	}
	choice, err := u.AskRecheck(ctx, []string{"décochez « Activer les retraits »"})
	if err != nil || choice != RecheckRepaste {
		t.Fatalf("AskRecheck = %v, %v", choice, err)
	}
	if f.Remaining() != 0 || len(f.Asked) != 10 {
		t.Fatalf("asked %d questions, %d answers left", len(f.Asked), f.Remaining())
	}
	for _, q := range f.Asked {
		if !strings.HasPrefix(q.Title, "[BAC À SABLE] ") {
			t.Errorf("question %q lacks the sandbox label", q.Title)
		}
	}
	if !strings.Contains(f.Asked[0].Title, "Étape 1 sur 4") || !strings.Contains(f.Asked[1].Title, "Étape 1 sur 4") {
		t.Errorf("Back on step 1 did not stay on step 1: %q, %q", f.Asked[0].Title, f.Asked[1].Title)
	}
	if !strings.Contains(f.Asked[5].Description, "demo_pass_key") {
		t.Errorf("demo keys not shown: %q", f.Asked[5].Description)
	}
	if r := f.Asked[6].Rejected; len(r) != 1 || !strings.Contains(r[0], "[REDACTED]") || strings.Contains(r[0], secret) {
		t.Errorf("swap error not shown, or shown with the secret: %q", r)
	}
	if !strings.Contains(f.Asked[0].Description, "Suivant passe à l'étape suivante") {
		t.Errorf("step question lacks its help: %q", f.Asked[0].Description)
	}
}

func TestSpin(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name  string
		fnErr error
	}{
		{"ok", nil},
		{"error", boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			u := New(nil, &out, i18n.FR, Options{Sandbox: true, Prompter: &prompt.Fake{}})
			ran := false
			err := u.Spin(context.Background(), "Vérification auprès de Binance", func(context.Context) error {
				ran = true
				return c.fnErr
			})
			if !ran || !errors.Is(err, c.fnErr) || (c.fnErr == nil) != (err == nil) {
				t.Fatalf("ran %v, err %v", ran, err)
			}
			if !strings.Contains(out.String(), "[BAC À SABLE] Vérification auprès de Binance") {
				t.Errorf("title not shown: %q", out.String())
			}
		})
	}
}

func TestSpinCancelWaitsForFn(t *testing.T) {
	// The spinner's own run is tested in package forms.
	for _, p := range []prompt.Prompter{&prompt.Fake{}, forms.New(nil, io.Discard, i18n.EN, false)} {
		animate := fmt.Sprintf("%T", p)
		u := New(nil, io.Discard, i18n.EN, Options{Prompter: p})
		ctx, cancel := context.WithCancel(context.Background())
		finished := false
		err := u.Spin(ctx, "checking", func(fctx context.Context) error {
			cancel()
			<-fctx.Done()
			finished = true
			return fctx.Err()
		})
		if !finished {
			t.Errorf("animate=%v: Spin returned before fn", animate)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("animate=%v: err %v", animate, err)
		}
		wantCancelled(t, err)
	}
}

func TestSummary(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	in29 := now.Add(29*24*time.Hour + time.Hour)
	past := now.Add(-time.Hour)
	cases := []struct {
		name string
		lang i18n.Lang
		s    SummaryInfo
		want []string
		not  []string
	}{
		{"registered en", i18n.EN, SummaryInfo{Bot: btc, MaskedKey: "vmPU…eh8A", UID: 354937868, TradingExpiresAt: &in29, Registered: true, Next: "smartradex keys verify"},
			[]string{"Your API key for BOT BTC Spot is set up", "vmPU…eh8A", "354937868", "(in 29 days)", "registered", "Next: run smartradex keys verify"}, []string{"SANDBOX"}},
		{"pending fr sandbox", i18n.FR, SummaryInfo{Bot: btc, MaskedKey: "vmPU…eh8A", Sandbox: true, Next: "smartradex keys sync"},
			[]string{"[BAC À SABLE]", "SmartradeX ne l'a pas encore", "aucune fin annoncée", "pas encore envoyée", "Ensuite : tapez smartradex keys sync"}, []string{"UID"}},
		{"expired", i18n.FR, SummaryInfo{Bot: btc, TradingExpiresAt: &past, Registered: true},
			[]string{"déjà passée", "Activer le trading Spot et sur marge"}, nil},
	}
	for _, c := range cases {
		var out bytes.Buffer
		New(nil, io.Discard, c.lang, Options{Now: func() time.Time { return now }}).Summary(&out, c.s)
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: summary lacks %q:\n%s", c.name, w, out.String())
			}
		}
		for _, w := range c.not {
			if strings.Contains(out.String(), w) {
				t.Errorf("%s: summary shows %q:\n%s", c.name, w, out.String())
			}
		}
	}
}
