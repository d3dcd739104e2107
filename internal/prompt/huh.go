package prompt

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

type huhPrompter struct {
	lang i18n.Lang
	run  FormRunner
}

func (p *huhPrompter) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	var v string
	in := huh.NewInput().Title(title).Description(description).Value(&v).
		Validate(Validator(p.lang, validate, false))
	if err := Run(ctx, p.run, NewForm(p.lang, huh.NewGroup(in))); err != nil {
		return "", err
	}
	return v, nil
}

func (p *huhPrompter) Password(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	var v string
	in := huh.NewInput().Title(title).Description(description).Value(&v).
		EchoMode(huh.EchoModePassword).
		Validate(Validator(p.lang, validate, true))
	if err := Run(ctx, p.run, NewForm(p.lang, huh.NewGroup(in))); err != nil {
		return "", err
	}
	return v, nil
}

func (p *huhPrompter) Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error) {
	v := def
	c := huh.NewConfirm().Title(title).Description(description).
		Affirmative(or(affirmative, p.lang.T("prompt.yes"))).
		Negative(or(negative, p.lang.T("prompt.no"))).
		Value(&v)
	if err := Run(ctx, p.run, NewForm(p.lang, huh.NewGroup(c))); err != nil {
		return false, err
	}
	return v, nil
}

func (p *huhPrompter) Select(ctx context.Context, title, description string, options []Option, def string) (string, error) {
	if len(options) == 0 {
		return "", errNoOptions
	}
	v := def
	s := huh.NewSelect[string]().Title(title).Description(description).
		Options(HuhOptions(options)...).Value(&v)
	if err := Run(ctx, p.run, NewForm(p.lang, huh.NewGroup(s))); err != nil {
		return "", err
	}
	return v, nil
}

// HuhOptions converts options for huh.Select.
func HuhOptions(options []Option) []huh.Option[string] {
	out := make([]huh.Option[string], len(options))
	for i, o := range options {
		out[i] = huh.NewOption(o.Label, o.Value)
	}
	return out
}

// errNoOptions is a programming error: a question nobody can answer.
var errNoOptions = apperr.New(apperr.Unexpected, "prompt.no_options", i18n.M("error.unexpected", "a choice was asked with no options"))

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Validator adapts validate for a huh field: its error is shown inline in
// lang, and for a secret field the typed value is scrubbed from the text
// so that a careless validator cannot display the secret. A nil validate
// accepts everything.
func Validator(lang i18n.Lang, validate func(string) error, secret bool) func(string) error {
	if validate == nil {
		return func(string) error { return nil }
	}
	return func(v string) error {
		err := validate(v)
		if err == nil {
			return nil
		}
		if secret {
			return UserError(lang, err, v)
		}
		return UserError(lang, err)
	}
}

// UserError renders err for display under a field: the localised message
// and hints of an *apperr.Error (never its technical cause), or err's text,
// with every one of secrets replaced by "[REDACTED]".
func UserError(lang i18n.Lang, err error, secrets ...string) error {
	msg := err.Error()
	var ae *apperr.Error
	if errors.As(err, &ae) {
		parts := []string{lang.Render(ae.Message)}
		for _, h := range ae.Hints {
			parts = append(parts, lang.T("error.hint_prefix")+lang.Render(h))
		}
		msg = strings.Join(parts, "\n")
	}
	return errors.New(scrub(msg, secrets...))
}

// scrub removes secrets, and their trimmed forms, from s. Very short values
// are left alone: scrubbing "a" would shred the text and protect nothing.
func scrub(s string, secrets ...string) string {
	for _, sec := range secrets {
		for _, v := range []string{sec, strings.TrimSpace(sec)} {
			if len(v) >= 4 {
				s = strings.ReplaceAll(s, v, "[REDACTED]")
			}
		}
	}
	return s
}
