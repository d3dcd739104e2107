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
	"unicode/utf8"

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
		i18n.FR: {"Gestion des API", "Créer une API", "Sous-compte", "SmartradeX BTC Spot", "Permettre la lecture", "Activer le trading Spot et sur marge", "Sans restriction IP", "Activer les retraits", "vérification de sécurité", "un par bot"},
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
	demo := []DemoKeyInfo{{Name: "ok", APIKey: "demo_pass_key", Secret: "demo_pass_secret", Description: "passe"}}
	cases := []struct {
		name     string
		opts     Options
		keys     []string
		wantKey  string
		wantSec  string
		wantBack bool
		shown    []string
	}{
		// Swapped: the error shows inline with how to empty a field; the
		// user goes back to the key, empties it with Ctrl+U, pastes the
		// right one and submits again without retyping the secret.
		{"swap fixed in place", Options{}, []string{"SECRETLOOKING", "enter", secret, "enter", "shift+tab", "ctrl+u", apiKey, "enter", "enter"},
			apiKey, secret, false, []string{"look swapped: [REDACTED]", "un nouveau collage remplace le contenu du champ"}},
		// A new paste replaces the field's value instead of adding to it.
		{"paste replaces", Options{}, []string{"paste:SECRETLOOKING", "enter", "paste:" + secret, "enter", "shift+tab", "paste:" + apiKey, "enter", "paste:" + secret, "enter"},
			apiKey, secret, false, []string{"look swapped: [REDACTED]"}},
		// A key alone: the secret is asked for, then given.
		{"empty secret", Options{}, []string{apiKey, "enter", "enter", secret, "enter"},
			apiKey, secret, false, []string{"la clé secrète est vide"}},
		{"empty key", Options{}, []string{"enter", secret, "enter", "shift+tab", apiKey, "enter", "ctrl+u", secret, "enter"},
			apiKey, secret, false, []string{"la clé API est vide"}},
		// Nothing typed: back to the steps.
		{"back", Options{}, []string{"enter", "enter"}, "", "", true, []string{"Deux champs vides et Entrée : retour aux étapes"}},
		// The sandbox: a demo key's name stands for its two values.
		{"demo name", Options{Sandbox: true, DemoKeys: demo}, []string{"OK", "enter", "enter"},
			"demo_pass_key", "demo_pass_secret", false, []string{"[BAC À SABLE]", "Clés de démonstration", "tapez l'un de ces noms comme clé API, sans secret : ok."}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, d := driven(i18n.FR, c.opts, c.keys...)
			k, s, err := u.AskCredentials(context.Background(), btc, swapCheck)
			if c.wantBack {
				if !errors.Is(err, ErrBackToSteps) {
					t.Fatalf("err = %v, want ErrBackToSteps", err)
				}
			} else if err != nil {
				t.Fatalf("AskCredentials: %v\n%s", err, d.AllScreens())
			}
			if k != c.wantKey || s != c.wantSec || d.Left() != 0 {
				t.Fatalf("got key %q, secret len %d, keys left %d", k, len(s), d.Left())
			}
			all := d.AllScreens()
			flat := prompttest.Flat(all)
			for _, w := range append(c.shown, "Collez la clé API de BOT BTC Spot", "Clé API", "Clé secrète") {
				if !strings.Contains(flat, w) {
					t.Errorf("screens lack %q", w)
				}
			}
			// Both fields are masked: a secret pasted as the key never shows.
			for _, v := range []string{secret[:16], apiKey[:16], "SECRETLOOKING", "demo_pass"} {
				if strings.Contains(all, v) {
					t.Errorf("%q appeared on screen", v)
				}
			}
		})
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
		{[]string{"down", "down", "enter"}, RecheckSteps},
		{[]string{"down", "down", "down", "enter"}, RecheckQuit},
	}
	for _, c := range cases {
		u, d := driven(i18n.EN, Options{Sandbox: true}, c.keys...)
		got, err := u.AskRecheck(context.Background(), fixes)
		if err != nil || got != c.want {
			t.Errorf("keys %v: %v, %v; want %v", c.keys, got, err, c.want)
		}
		flat := prompttest.Flat(d.AllScreens())
		for _, w := range append(fixes, "I changed it: check again", "Paste another key", "Back to the steps", "Quit", "no need to paste it again", "[SANDBOX]") {
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
	if !strings.Contains(f.Asked[5].Description, "sans secret\u00a0: ok.") || strings.Contains(f.Asked[5].Description, "demo_pass_key") {
		t.Errorf("demo keys not shown: %q", f.Asked[5].Description)
	}
	if r := f.Asked[6].Rejected; len(r) != 1 || !strings.Contains(r[0], "[REDACTED]") || strings.Contains(r[0], secret) {
		t.Errorf("swap error not shown, or shown with the secret: %q", r)
	}
	if !strings.Contains(f.Asked[0].Description, "C'est fait sur Binance\u00a0?") {
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
	full := SummaryInfo{Bot: btc, MaskedKey: "vmPU…eh8A", UID: 354937868, TradingExpiresAt: &in29, Registered: true, Next: "smartradex keys verify"}
	cases := []struct {
		name  string
		lang  i18n.Lang
		width int
		s     SummaryInfo
		want  []string
		not   []string
	}{
		{"registered en", i18n.EN, 0, full,
			[]string{"Your API key for BOT BTC Spot is set up: you are done.", "SmartradeX now trades for BOT BTC Spot", "vmPU…eh8A", "  Sub-account number     354937868", "(in 29 days)", "registered", "To check it later: smartradex keys verify\n"}, []string{"SANDBOX", "Next", "•"}},
		// Too narrow for the table: a list, nothing past the edge.
		{"registered en 40", i18n.EN, 40, full,
			[]string{"• Sub-account number: 354937868", "• Trading right expires: 2026-03-30\n  13:00 UTC (in 29 days)"}, nil},
		// A command that does not fit goes whole on a line of its own.
		{"command fr 40", i18n.FR, 40, SummaryInfo{Bot: btc, MaskedKey: "vmPU…eh8A", Registered: true, Sandbox: true, Next: "smartradex --sandbox keys verify"},
			[]string{"Pour la vérifier plus tard\u00a0:\n  smartradex --sandbox keys verify\n"}, nil},
		{"pending fr sandbox", i18n.FR, 0, SummaryInfo{Bot: btc, MaskedKey: "vmPU…eh8A", Sandbox: true, Next: "smartradex keys sync"},
			[]string{"[BAC À SABLE]", "SmartradeX ne l'a\npas encore", "aucune fin annoncée", "• SmartradeX\u00a0: rangée", "Ensuite\u00a0: tapez smartradex keys sync"}, []string{"UID", "terminé"}},
		{"expired", i18n.FR, 200, SummaryInfo{Bot: btc, TradingExpiresAt: &past, Registered: true},
			[]string{"c'est terminé", "déjà passée", "Activer le trading Spot et sur marge"}, []string{"•"}},
	}
	for _, c := range cases {
		var out bytes.Buffer
		New(nil, io.Discard, c.lang, Options{Now: func() time.Time { return now }, Width: c.width}).Summary(&out, c.s)
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
		width := c.width
		if width == 0 {
			width = 80
		}
		for _, line := range strings.Split(out.String(), "\n") {
			if utf8.RuneCountInString(line) > width {
				t.Errorf("%s: line wider than %d: %q", c.name, width, line)
			}
		}
	}
}

func TestWrap(t *testing.T) {
	cases := []struct {
		text, indent string
		width        int
		want         string
	}{
		{"one two three", "", 7, "one two\nthree"},
		{"one two three", "  ", 7, "one two\n  three"},
		{"a\u00a0: b c", "", 4, "a\u00a0:\nb c"},
		// A word longer than the width is kept whole for copying.
		{"see smartradex-keys-verify now", "", 8, "see\nsmartradex-keys-verify\nnow"},
		{"line one\nline two", "", 0, "line one\nline two"},
		{"a b\nc d", "", 3, "a b\nc d"},
	}
	for _, c := range cases {
		if got := Wrap(c.text, c.width, c.indent); got != c.want {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.text, c.width, got, c.want)
		}
	}
}
