// Package prompt asks the user questions in a terminal, in their language,
// behind a small Prompter interface so that commands can be tested with a
// scripted Fake. It also holds what every huh form of smartradex shares:
// localised key help, the mapping of Ctrl-C to a "cancelled" error, and a
// seam (FormRunner) through which tests drive forms without a terminal.
package prompt

import (
	"context"
	"errors"
	"io"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"

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

// New returns the terminal Prompter: huh forms on in/out, or plain line
// prompts when accessible is set (screen readers, SMARTRADEX_ACCESSIBLE=1).
// Callers must only use it when the streams are a terminal.
func New(in io.Reader, out io.Writer, lang i18n.Lang, accessible bool) Prompter {
	if accessible {
		return newLine(in, out, lang)
	}
	return &huhPrompter{lang: lang, run: TerminalRunner(in, out)}
}

// Cancelled is the error of a question the user gave up on.
func Cancelled(cause error) *apperr.Error {
	return apperr.Wrap(apperr.Cancelled, "cancelled", cause, i18n.M("error.cancelled"))
}

// FormRunner runs a huh form until it is completed or aborted.
type FormRunner func(ctx context.Context, f *huh.Form) error

// TerminalRunner draws forms on a terminal: input from in, drawing on out.
func TerminalRunner(in io.Reader, out io.Writer) FormRunner {
	return func(ctx context.Context, f *huh.Form) error {
		return f.WithInput(in).WithOutput(out).RunWithContext(ctx)
	}
}

// Run runs f with run and turns huh's outcomes into smartradex errors:
// Ctrl-C (huh.ErrUserAborted) and an ended ctx become Cancelled, anything
// else a terminal failure. The form's values are only meaningful on nil.
func Run(ctx context.Context, run FormRunner, f *huh.Form) error {
	if err := ctx.Err(); err != nil {
		return Cancelled(err)
	}
	err := run(ctx, f)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, huh.ErrUserAborted):
		return Cancelled(err)
	case ctx.Err() != nil:
		// bubbletea reports an ended context as "program was killed".
		return Cancelled(ctx.Err())
	case errors.Is(err, huh.ErrTimeout):
		return Cancelled(err)
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apperr.Wrap(apperr.Unexpected, "prompt.terminal", err, i18n.M("prompt.terminal_failed"), i18n.M("prompt.terminal_failed_hint"))
}

// NewForm builds a form with smartradex's key help and error display.
func NewForm(lang i18n.Lang, groups ...*huh.Group) *huh.Form {
	return huh.NewForm(groups...).
		WithKeyMap(KeyMap(lang)).
		WithTheme(Theme()).
		WithShowHelp(true).
		WithShowErrors(true)
}

// Theme is huh's Charm theme with the chosen button drawn between brackets,
// so that "Yes" and "No" can be told apart without colours (NO_COLOR, a
// monochrome terminal, a screen magnifier with inverted colours).
func Theme() *huh.Theme {
	t := huh.ThemeCharm()
	chosen := lipgloss.Border{Left: "[", Right: "]"}
	other := lipgloss.Border{Left: " ", Right: " "}
	for _, fs := range []*huh.FieldStyles{&t.Focused, &t.Blurred} {
		fs.FocusedButton = fs.FocusedButton.Border(chosen, false, true, false, true)
		fs.BlurredButton = fs.BlurredButton.Border(other, false, true, false, true)
	}
	return t
}

// KeyMap is huh's default key map with its help texts in lang. The keys
// themselves are huh's: the help line shows which to press.
func KeyMap(lang i18n.Lang) *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	h := func(b *key.Binding, msgKey string) {
		b.SetHelp(b.Help().Key, lang.T(msgKey))
	}
	h(&km.Input.AcceptSuggestion, "prompt.key.complete")
	h(&km.Input.Prev, "prompt.key.back")
	h(&km.Input.Next, "prompt.key.next")
	h(&km.Input.Submit, "prompt.key.submit")

	h(&km.Confirm.Prev, "prompt.key.back")
	h(&km.Confirm.Next, "prompt.key.next")
	h(&km.Confirm.Submit, "prompt.key.submit")
	h(&km.Confirm.Toggle, "prompt.key.toggle")

	h(&km.Note.Prev, "prompt.key.back")
	h(&km.Note.Next, "prompt.key.next")
	h(&km.Note.Submit, "prompt.key.submit")

	h(&km.Select.Prev, "prompt.key.back")
	h(&km.Select.Next, "prompt.key.select")
	h(&km.Select.Submit, "prompt.key.submit")
	h(&km.Select.Up, "prompt.key.up")
	h(&km.Select.Down, "prompt.key.down")
	h(&km.Select.Filter, "prompt.key.filter")
	h(&km.Select.SetFilter, "prompt.key.set_filter")
	h(&km.Select.ClearFilter, "prompt.key.clear_filter")
	h(&km.Select.HalfPageUp, "prompt.key.half_page_up")
	h(&km.Select.HalfPageDown, "prompt.key.half_page_down")
	h(&km.Select.GotoTop, "prompt.key.go_to_start")
	h(&km.Select.GotoBottom, "prompt.key.go_to_end")
	if lang == i18n.FR {
		// "o" for "oui"; huh still labels the key "y" in its help line,
		// so "y" keeps working too.
		km.Confirm.Accept = key.NewBinding(key.WithKeys("y", "Y", "o", "O"), key.WithHelp("y", lang.T("prompt.yes")))
	}
	return km
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
