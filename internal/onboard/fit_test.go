package onboard

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/prompt/prompttest"
)

// demoKeys are the sandbox's six demo keys as `keys add` lists them.
var demoKeys = []DemoKeyInfo{
	{Name: "ok", Secret: "s", Description: "passes the check"},
	{Name: "withdrawals", Secret: "s", Description: "refused: Enable Withdrawals is ticked"},
	{Name: "ip-restricted", Secret: "s", Description: "refused: restricted to trusted IPs"},
	{Name: "expired", Secret: "s", Description: "refused: the trading permission has expired"},
	{Name: "same-subaccount", Secret: "s", Description: "passes the check, but shares the sub-account of \"ok\""},
	{Name: "ok-eth", Secret: "s", Description: "passes the check, on another sub-account: for a second bot"},
}

// shownScreens draws every screen of the guided flow at w×h and returns,
// for each, what a person sees and the texts that must all be visible.
func shownScreens(t *testing.T, lang i18n.Lang, sandbox bool, egress []string, w, h int) (shown []string, want [][]string) {
	t.Helper()
	opts := Options{Sandbox: sandbox, EgressIPs: egress}
	n := len(Steps(btc, egress))
	if sandbox {
		opts.DemoKeys = demoKeys
	}
	run := func(keys []string, ask func(u *UI) error) []string {
		u, d := driven(lang, opts, keys...)
		d.Width, d.Height = w, h
		_ = ask(u)
		return d.Screens()
	}
	ctx := context.Background()
	steps := run(strings.Split(strings.Repeat("enter ", n), " ")[:n], func(u *UI) error { return u.Tutorial(ctx, btc) })
	creds := run([]string{"ctrl+c"}, func(u *UI) error { _, _, err := u.AskCredentials(ctx, btc, nil); return err })
	// The longest refusal there is: every kind of box wrong at once.
	fixes := New(nil, nil, lang, Options{}).BoxFixes(worstRefusal)
	recheck := run([]string{"ctrl+c"}, func(u *UI) error { _, err := u.AskRecheck(ctx, fixes); return err })
	shown = append(append(steps, creds...), recheck...)

	u := New(nil, nil, lang, opts)
	var texts []prompt.Screen
	for i, s := range Steps(btc, egress) {
		next := true
		texts = append(texts, u.StepScreen(i, n, s, &next))
	}
	var k, sec string
	var back bool
	texts = append(texts, u.CredsScreen(btc, &k, &sec, &back, nil))
	for _, s := range texts {
		want = append(want, screenText(TypesetScreen(lang, s)))
	}
	want = append(want, fixes)
	return shown, want
}

func screenText(s prompt.Screen) []string {
	parts := []string{s.Banner}
	for _, n := range s.Notes {
		parts = append(parts, n.Title, n.Body)
	}
	for _, f := range s.Fields {
		// Buttons and options are drawn with brackets and cursors: the
		// test looks for them one by one.
		parts = append(parts, f.Title, f.Description)
	}
	return parts
}

// TestEveryScreenFits draws each screen at the sizes people have: all of
// its text is visible (nothing scrolled off, no word split across lines)
// and nothing is drawn past the window's edge.
func TestEveryScreenFits(t *testing.T) {
	for _, size := range []struct{ w, h int }{{80, 24}, {60, 35}, {100, 35}} {
		for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
			for _, sandbox := range []bool{false, true} {
				for _, egress := range [][]string{nil, {"203.0.113.10", "203.0.113.11"}} {
					t.Run(fmt.Sprintf("%dx%d/%s/sandbox=%v/locked=%v", size.w, size.h, lang, sandbox, egress != nil), func(t *testing.T) {
						shown, want := shownScreens(t, lang, sandbox, egress, size.w, size.h)
						if n := len(Steps(btc, egress)) + 2; len(shown) != n {
							t.Fatalf("%d screens drawn, want %d", len(shown), n)
						}
						for i, sc := range shown {
							lines := strings.Split(strings.TrimRight(sc, "\n"), "\n")
							if len(lines) > size.h {
								t.Errorf("screen %d: %d lines in a %d-line window:\n%s", i, len(lines), size.h, sc)
							}
							for _, l := range lines {
								if n := utf8.RuneCountInString(strings.TrimRight(l, " ")); n > size.w {
									t.Errorf("screen %d: a line of %d columns: %q", i, n, l)
								}
							}
							for _, b := range []string{"Next", "Back", "Suivant", "Retour"} {
								if i < len(Steps(btc, egress)) && strings.Contains(strings.Join(want[i], " "), b) && !strings.Contains(sc, b) {
									t.Errorf("screen %d lacks the button %q", i, b)
								}
							}
							if i < len(want) {
								for _, part := range want[i] {
									// A line may break after a hyphen ("collez-/les").
									w := strings.ReplaceAll(prompttest.Flat(part), "- ", "-")
									if !strings.Contains(strings.ReplaceAll(prompttest.Flat(sc), "- ", "-"), w) {
										t.Errorf("screen %d does not show all of its text (cut or a word split):\nwant %s\n---\n%s", i, w, sc)
									}
								}
							}
						}
					})
				}
			}
		}
	}
}

// happyPathWords counts the words a person reads on the way to an
// accepted key: the four steps, the paste screen and the summary.
func happyPathWords(lang i18n.Lang, egress []string) int {
	u := New(nil, nil, lang, Options{EgressIPs: egress})
	var texts []string
	steps := Steps(btc, egress)
	for i, s := range steps {
		next := true
		sc := u.StepScreen(i, len(steps), s, &next)
		texts = append(texts, screenText(sc)...)
		texts = append(texts, sc.Fields[0].Affirmative, sc.Fields[0].Negative)
	}
	var k, sec string
	var back bool
	texts = append(texts, screenText(u.CredsScreen(btc, &k, &sec, &back, nil))...)
	var out strings.Builder
	in := time.Now().Add(90 * 24 * time.Hour)
	u.Summary(&out, SummaryInfo{Bot: btc, MaskedKey: "vmPU…eh8A (HMAC)", UID: 354937868, TradingExpiresAt: &in, Registered: true, Next: "smartradex keys verify"})
	texts = append(texts, out.String())
	// Printed by keys add between the paste screen and the summary.
	texts = append(texts, lang.T("onboard.accepted_note"))
	n := 0
	for _, w := range strings.Fields(strings.Join(texts, " ")) {
		if strings.IndexFunc(w, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0 {
			n++
		}
	}
	return n
}

func TestHappyPathWordCount(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.EN, i18n.FR} {
		for _, egress := range [][]string{nil, {"203.0.113.10", "203.0.113.11"}} {
			n := happyPathWords(lang, egress)
			t.Logf("%s, locked=%v: %d words on the happy path", lang, egress != nil, n)
			if n > 350 || n < 150 {
				t.Errorf("%s, locked=%v: %d words on the happy path, want 150 to 350", lang, egress != nil, n)
			}
		}
	}
}
