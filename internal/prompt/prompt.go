// Package prompt asks the user questions, in their language, behind a small
// Prompter interface: the terminal forms (package forms), the accessible
// line prompts and a scripted Fake for tests all implement it, and every
// question of smartradex goes through it. A Screen describes a page of text
// and questions once; each Prompter shows it its own way.
package prompt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// Prompter asks one question at a time. Every method returns an
// *apperr.Error of Kind Cancelled when the user presses Ctrl-C or ctx ends.
type Prompter interface {
	// Input asks for a line of text; validate (may be nil) runs on submit
	// and its message is shown until the user fixes the value.
	Input(ctx context.Context, title, description string, validate func(string) error) (string, error)
	// Password is Input with the value masked on screen and never echoed,
	// logged or put in an error.
	Password(ctx context.Context, title, description string, validate func(string) error) (string, error)
	// Confirm asks a yes/no question; empty labels mean the localised Yes/No.
	Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error)
	// Select asks for one of options and returns its Value; def is the
	// Value selected at first.
	Select(ctx context.Context, title, description string, options []Option, def string) (string, error)
}

// Option is one choice of a Select.
type Option struct {
	Value string
	Label string
}

// Accessible reports whether getenv asks for the accessible line prompts
// (SMARTRADEX_ACCESSIBLE=1, or the ACCESSIBLE=1 that huh's users know).
func Accessible(getenv func(string) string) bool {
	return getenv("SMARTRADEX_ACCESSIBLE") == "1" || getenv("ACCESSIBLE") == "1"
}

// Cancelled is the error of a question the user gave up on.
func Cancelled(cause error) *apperr.Error {
	return apperr.Wrap(apperr.Cancelled, "cancelled", cause, i18n.M("error.cancelled"))
}

// Sandboxed labels every question of p with the sandbox label ("SANDBOX",
// "BAC À SABLE") so that a practice run is never mistaken for a real one.
func Sandboxed(p Prompter, lang i18n.Lang) Prompter {
	return &labelled{p: p, label: "[" + lang.T("prompt.sandbox_label") + "] "}
}

type labelled struct {
	p     Prompter
	label string
}

func (l *labelled) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	return l.p.Input(ctx, l.label+title, description, validate)
}

func (l *labelled) Password(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	return l.p.Password(ctx, l.label+title, description, validate)
}

func (l *labelled) Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error) {
	return l.p.Confirm(ctx, l.label+title, description, affirmative, negative, def)
}

func (l *labelled) Select(ctx context.Context, title, description string, options []Option, def string) (string, error) {
	return l.p.Select(ctx, l.label+title, description, options, def)
}

// AskScreen shows s on the wrapped Prompter: a form is labelled once, at
// its top; questions asked in turn are labelled each.
func (l *labelled) AskScreen(ctx context.Context, s Screen) error {
	if sa, ok := l.p.(ScreenAsker); ok {
		s.Banner = l.label + s.Banner
		return sa.AskScreen(ctx, s)
	}
	return askInTurn(ctx, l, s)
}

// Report passes a screen's refusal to the wrapped Prompter.
func (l *labelled) Report(err error, secrets ...string) {
	if r, ok := l.p.(reporter); ok {
		r.Report(err, secrets...)
	}
}

// errNoOptions is a programming error: a question nobody can answer.
var errNoOptions = apperr.New(apperr.Unexpected, "prompt.no_options", i18n.M("error.unexpected", "a choice was asked with no options"))

// ErrNoOptions is returned by Select when it is given no options.
func ErrNoOptions() error { return errNoOptions }

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Or is s, or def when s is empty: an empty Confirm label means def.
func Or(s, def string) string { return or(s, def) }

// Validator adapts validate for a field: its error is shown inline in
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

// Spinner is a Prompter that can show that work is under way.
type Spinner interface {
	// Spin shows title while fn runs. An interruption cancels fn's
	// context, waits for fn, and is a Cancelled error.
	Spin(ctx context.Context, title string, fn func(context.Context) error) error
}

// PlainSpin prints title as a line and runs fn: Spin without animation.
// fn's failure because ctx ended (Ctrl-C while it ran) is Cancelled.
func PlainSpin(ctx context.Context, out io.Writer, title string, fn func(context.Context) error) error {
	fmt.Fprintln(out, title)
	err := fn(ctx)
	if err != nil && ctx.Err() != nil && apperr.KindOf(err) != apperr.Cancelled {
		return Cancelled(err)
	}
	return err
}
