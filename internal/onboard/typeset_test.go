package onboard

import (
	"context"
	"testing"

	"github.com/smartradex/smartradex/internal/i18n"
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
