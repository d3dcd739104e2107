package onboard

import (
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/i18n"
)

func TestStepsUnderIPLock(t *testing.T) {
	btc, _ := bots.Lookup("btc-spot")
	cases := []struct {
		name    string
		egress  []string
		ids     []string
		want    map[i18n.Lang][]string // in the restrictions step
		notWant map[i18n.Lang][]string
	}{
		{name: "off", egress: nil, ids: []string{StepBefore, StepAccount, StepCreateKey, StepRestrictions},
			want:    map[i18n.Lang][]string{i18n.EN: {"Unrestricted"}, i18n.FR: {"Sans restriction IP"}},
			notWant: map[i18n.Lang][]string{i18n.EN: {"trusted IPs only"}, i18n.FR: {"adresses IP de confiance uniquement"}}},
		{name: "locked", egress: []string{"203.0.113.10", "203.0.113.11"}, ids: []string{StepBefore, StepCreateKey, StepRestrictions},
			want: map[i18n.Lang][]string{
				i18n.EN: {"\"Restrict access to trusted IPs only (Recommended)\"", "\n    203.0.113.10,203.0.113.11\n", "\"Enable Spot & Margin Trading\""},
				i18n.FR: {"« Restreindre l'accès aux adresses IP de confiance uniquement (recommandé) »", "\n    203.0.113.10,203.0.113.11\n"}},
			notWant: map[i18n.Lang][]string{i18n.EN: {"Unrestricted"}, i18n.FR: {"Sans restriction IP"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := Steps(btc, c.egress)
			var ids []string
			for _, s := range steps {
				ids = append(ids, s.ID)
			}
			if strings.Join(ids, " ") != strings.Join(c.ids, " ") {
				t.Fatalf("steps %v, want %v", ids, c.ids)
			}
			last := steps[len(steps)-1]
			for l, words := range c.want {
				body := l.Render(last.Title) + "\n" + l.Render(last.Body)
				for _, w := range words {
					if !strings.Contains(body, w) {
						t.Errorf("%s: the restrictions step lacks %q:\n%s", l, w, body)
					}
				}
				for _, w := range c.notWant[l] {
					if strings.Contains(body, w) {
						t.Errorf("%s: the restrictions step says %q", l, w)
					}
				}
			}
		})
	}
}

func TestSummaryOfAnUncheckedKey(t *testing.T) {
	btc, _ := bots.Lookup("btc-spot")
	for _, unchecked := range []bool{false, true} {
		var b strings.Builder
		u := New(strings.NewReader(""), &b, i18n.EN, Options{})
		u.Summary(&b, SummaryInfo{Bot: btc, MaskedKey: "DEMO…OK01 (HMAC)", Unchecked: unchecked, Next: "smartradex keys sync"})
		out := b.String()
		if strings.Contains(out, "checked and stored") == unchecked || strings.Contains(out, "not yet checked") != unchecked {
			t.Errorf("unchecked %v:\n%s", unchecked, out)
		}
		if unchecked && strings.Contains(out, "no expiry announced by Binance") {
			t.Errorf("an unchecked key's summary speaks of what Binance announced:\n%s", out)
		}
	}
}
