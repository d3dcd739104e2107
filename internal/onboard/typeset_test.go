package onboard

import (
	"context"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/prompt"
)

func TestTypeset(t *testing.T) {
	cases := []struct {
		lang     i18n.Lang
		in, want string
	}{
		{i18n.FR, "Pourquoi : « Compte » ; oui ! non ?", "Pourquoi\u00a0: «\u00a0Compte\u00a0»\u00a0; oui\u00a0! non\u00a0?"},
		{i18n.FR, "déjà\u00a0: rien", "déjà\u00a0: rien"},
		{i18n.FR, "https://smartradex.fr", "https://smartradex.fr"},
		{i18n.EN, "Why : \"Account\" ?", "Why : \"Account\" ?"},
	}
	for _, c := range cases {
		got := Typeset(c.lang, c.in)
		if got != c.want {
			t.Errorf("Typeset(%s, %q) = %q, want %q", c.lang, c.in, got, c.want)
		}
		if again := Typeset(c.lang, got); again != got {
			t.Errorf("Typeset twice changed %q to %q", got, again)
		}
	}
}

func TestTypesettingPrompter(t *testing.T) {
	f := &prompt.Fake{Answers: []any{true, "a"}}
	p := Typesetting(f, i18n.FR)
	if _, err := p.Confirm(context.Background(), "La remplacer ?", "L'ancienne : gardée", "Oui", "Non", false); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Select(context.Background(), "Lequel ?", "", []prompt.Option{{Value: "a", Label: "« a »"}}, "a"); err != nil {
		t.Fatal(err)
	}
	if f.Asked[0].Title != "La remplacer\u00a0?" || f.Asked[0].Description != "L'ancienne\u00a0: gardée" || f.Asked[1].Options[0].Label != "«\u00a0a\u00a0»" {
		t.Errorf("not typeset: %+v", f.Asked)
	}
	if Typesetting(f, i18n.EN) != prompt.Prompter(f) {
		t.Error("English questions are wrapped for nothing")
	}
}

// worstRefusal is a key with every kind of box wrong at once.
var worstRefusal = []policy.Finding{
	{Code: policy.CodeForbiddenPermission, Field: "enableWithdrawals"},
	{Code: policy.CodeForbiddenPermission, Field: "enableFutures"},
	{Code: policy.CodeForbiddenPermission, Field: "enableMargin"},
	{Code: policy.CodeMissingPermission, Field: policy.FieldSpotTrading},
	{Code: policy.CodeIPRestricted, Field: policy.FieldIPRestrict},
	{Code: policy.CodeTradingExpired, Field: policy.FieldSpotTrading, Message: i18n.M("policy.trading_expired", policy.Label(policy.FieldSpotTrading), "2026-01-01")},
}

func TestBoxFixes(t *testing.T) {
	cases := map[i18n.Lang][]string{
		i18n.EN: {`Untick "Enable Withdrawals", "Enable Futures", "Enable Margin Loan, Repay & Transfer".`, `Tick "Enable Spot & Margin Trading".`,
			`IP access restrictions: choose "Unrestricted (less secure)".`, "expired on 2026-01-01"},
		i18n.FR: {"Décochez «\u00a0Activer les retraits\u00a0», «\u00a0Activer les contrats à terme\u00a0»", "Cochez «\u00a0Activer le trading Spot et sur marge\u00a0».",
			"Restriction d'accès IP\u00a0: choisissez «\u00a0Sans restriction IP\u00a0».", "a expiré le 2026-01-01"},
	}
	for lang, want := range cases {
		got := New(nil, nil, lang, Options{}).BoxFixes(worstRefusal)
		if len(got) != 4 {
			t.Fatalf("%s: %d lines, want one per kind of fix: %q", lang, len(got), got)
		}
		for i, w := range want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: line %d = %q, want %q", lang, i, got[i], w)
			}
		}
	}
}
