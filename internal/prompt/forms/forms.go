// Package forms is the terminal implementation of prompt.Prompter: huh
// forms with smartradex's localised key help and a theme that shows the
// chosen button without colours, Ctrl-C mapped to a "cancelled" error in
// one place (Run), and the spinner. It is the only package that imports
// huh and bubbletea; commands reach it through the Prompter it returns.
package forms

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"golang.org/x/term"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
)

// New returns the terminal Prompter: huh forms on in/out, or plain line
// prompts when accessible is set (screen readers, SMARTRADEX_ACCESSIBLE=1).
// Callers must only use it when the streams are a terminal.
func New(in io.Reader, out io.Writer, lang i18n.Lang, accessible bool) prompt.Prompter {
	if accessible {
		return prompt.NewLine(in, out, lang)
	}
	return &Prompter{lang: lang, run: TerminalRunner(in, out), out: out}
}

// NewWithRunner returns the forms Prompter whose forms run is given; tests
// pass a prompttest.Driver's Run.
func NewWithRunner(lang i18n.Lang, run FormRunner, out io.Writer) *Prompter {
	return &Prompter{lang: lang, run: run, out: out}
}

// Prompter asks through huh forms.
type Prompter struct {
	lang i18n.Lang
	run  FormRunner
	out  io.Writer
}

var (
	_ prompt.Prompter    = (*Prompter)(nil)
	_ prompt.ScreenAsker = (*Prompter)(nil)
)

// FormRunner runs a huh form until it is completed or aborted.
type FormRunner func(ctx context.Context, f *huh.Form) error

// TerminalRunner draws forms on a terminal: input from in, drawing on out.
// Before the first form it asks the terminal whether its background is
// dark, so that the theme's colours stay readable on a light one (the
// start of the program does not ask: see internal/termquiet).
func TerminalRunner(in io.Reader, out io.Writer) FormRunner {
	var asked sync.Once
	return func(ctx context.Context, f *huh.Form) error {
		asked.Do(func() { askBackground(out) })
		return f.WithInput(in).WithOutput(out).RunWithContext(ctx)
	}
}

// askBackground tells lipgloss whether the background of the terminal out
// draws on is dark, as the terminal answers (termenv asks it, and reads
// COLORFGBG when it does not answer; a multiplexer, TERM=screen* or tmux*,
// is not asked). Nothing is asked when out is not a terminal.
func askBackground(out io.Writer) {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) { //nolint:gosec // a file descriptor fits an int
		return
	}
	lipgloss.SetHasDarkBackground(termenv.NewOutput(f).HasDarkBackground())
}

// Run runs f with run and turns huh's outcomes into smartradex errors:
// Ctrl-C (huh.ErrUserAborted) and an ended ctx become Cancelled, anything
// else a terminal failure. The form's values are only meaningful on nil.
// It is the one place where an interruption of a question is mapped.
func Run(ctx context.Context, run FormRunner, f *huh.Form) error {
	if err := ctx.Err(); err != nil {
		return prompt.Cancelled(err)
	}
	err := run(ctx, f)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, huh.ErrUserAborted):
		return prompt.Cancelled(err)
	case ctx.Err() != nil:
		// bubbletea reports an ended context as "program was killed".
		return prompt.Cancelled(ctx.Err())
	case errors.Is(err, huh.ErrTimeout):
		return prompt.Cancelled(err)
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
// themselves are huh's, plus "o" for "oui" in French: the help line shows
// which to press.
func KeyMap(lang i18n.Lang) *huh.KeyMap {
	km := huh.NewDefaultKeyMap()
	h := func(b *key.Binding, msgKey string) {
		b.SetHelp(keyName(lang, b.Help().Key), lang.T(msgKey))
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
	// Choices are a handful: filtering them is one more thing to read.
	km.Select.Filter.SetEnabled(false)
	km.Confirm.Accept.SetHelp("y", lang.T("prompt.yes"))
	km.Confirm.Reject.SetHelp("n", lang.T("prompt.no"))
	if lang == i18n.FR {
		// "o" for "oui"; "y" keeps working for those used to it.
		km.Confirm.Accept = key.NewBinding(key.WithKeys("o", "O", "y", "Y"), key.WithHelp("o", lang.T("prompt.yes")))
	}
	return km
}

// frenchKeys are the names of keys as a French keyboard prints them, for
// the help line: no English word on a French screen.
var frenchKeys = strings.NewReplacer(
	"shift+tab", "Maj+Tab",
	"enter", "Entrée",
	"tab", "Tab",
	"esc", "Échap",
	"home", "Début",
	"end", "Fin",
	"ctrl+", "Ctrl+",
	"alt+", "Alt+",
)

// keyName is huh's name of a key in lang.
func keyName(lang i18n.Lang, k string) string {
	if lang != i18n.FR {
		return k
	}
	return frenchKeys.Replace(k)
}

// Input implements prompt.Prompter.
func (p *Prompter) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	var v string
	err := p.AskScreen(ctx, prompt.Screen{Fields: []prompt.Field{prompt.InputField(&v, title, description, validate)}})
	return v, err
}

// Password implements prompt.Prompter.
func (p *Prompter) Password(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	var v string
	err := p.AskScreen(ctx, prompt.Screen{Fields: []prompt.Field{prompt.PasswordField(&v, title, description, validate)}})
	return v, err
}

// Confirm implements prompt.Prompter.
func (p *Prompter) Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error) {
	v := def
	err := p.AskScreen(ctx, prompt.Screen{Fields: []prompt.Field{prompt.ConfirmField(&v, title, description, affirmative, negative)}})
	return v, err
}

// Select implements prompt.Prompter.
func (p *Prompter) Select(ctx context.Context, title, description string, options []prompt.Option, def string) (string, error) {
	v := def
	err := p.AskScreen(ctx, prompt.Screen{Fields: []prompt.Field{prompt.SelectField(&v, title, description, options)}})
	return v, err
}

// AskScreen shows s as one form: its notes, then its fields; s.Check runs
// when the last text field is submitted and its message shows there.
func (p *Prompter) AskScreen(ctx context.Context, s prompt.Screen) error {
	var fields []huh.Field
	for _, n := range s.Notes {
		fields = append(fields, huh.NewNote().Title(n.Title).Description(noteText(n.Body)))
	}
	last := len(s.Fields) - 1
	checkAfter := false
	for i, f := range s.Fields {
		check := f.Validate
		if i == last && s.Check != nil {
			check = withCheck(f.Text, f.Validate, s.Check)
		}
		switch f.Kind {
		case prompt.FieldInput, prompt.FieldPassword:
			secret := f.Kind == prompt.FieldPassword
			in := huh.NewInput().Title(f.Title).Description(f.Description).Value(f.Text).
				Validate(p.validator(s, check, secret))
			if secret {
				in = in.EchoMode(huh.EchoModePassword)
			}
			fields = append(fields, &pasteReplaces{Input: in})
		case prompt.FieldConfirm:
			fields = append(fields, p.confirm(huh.NewConfirm().Title(f.Title).Description(f.Description).
				Affirmative(prompt.Or(f.Affirmative, p.lang.T("prompt.yes"))).
				Negative(prompt.Or(f.Negative, p.lang.T("prompt.no"))).
				Value(f.Bool)))
		case prompt.FieldSelect:
			if len(f.Options) == 0 {
				return prompt.ErrNoOptions()
			}
			fields = append(fields, huh.NewSelect[string]().Title(f.Title).Description(f.Description).
				Options(huhOptions(f.Options)...).Value(f.Text))
		}
		checkAfter = i == last && s.Check != nil && f.Kind != prompt.FieldInput && f.Kind != prompt.FieldPassword
	}
	if err := Run(ctx, p.run, NewForm(p.lang, huh.NewGroup(fields...).Title(s.Banner))); err != nil {
		return err
	}
	if checkAfter {
		// A Check after a confirmation or a choice has no field to show
		// its message under: it is the screen's error.
		return s.Check()
	}
	return nil
}

// confirm gives c the help key of "yes" in the user's language: huh
// draws "y" whatever the key map says.
func (p *Prompter) confirm(c *huh.Confirm) huh.Field {
	if p.lang != i18n.FR {
		return c
	}
	return &yesKeyConfirm{Confirm: c, yes: "o"}
}

// yesKeyConfirm is a Confirm whose help line names yes as the key yes.
type yesKeyConfirm struct {
	*huh.Confirm
	yes string
}

// KeyBinds implements huh.Field.
func (c *yesKeyConfirm) KeyBinds() []key.Binding {
	binds := c.Confirm.KeyBinds()
	for i, b := range binds {
		if h := b.Help(); h.Key == "y" {
			b.SetHelp(c.yes, h.Desc)
			binds[i] = b
		}
	}
	return binds
}

// Update implements huh.Field, keeping the wrapper in the form.
func (c *yesKeyConfirm) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := c.Confirm.Update(msg)
	if cf, ok := m.(*huh.Confirm); ok {
		c.Confirm = cf
		return c, cmd
	}
	return m, cmd
}

// pasteReplaces is an Input where a paste replaces what the field holds:
// a key pasted again after a refusal must not be appended to the old one
// (a masked field would hide the doubled value).
type pasteReplaces struct {
	*huh.Input
}

// Update implements huh.Field, emptying the field before a paste.
func (p *pasteReplaces) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok && k.Paste {
		for _, clear := range []tea.KeyMsg{{Type: tea.KeyEnd}, {Type: tea.KeyCtrlU}} {
			m, _ := p.Input.Update(clear)
			if in, ok := m.(*huh.Input); ok {
				p.Input = in
			}
		}
	}
	m, cmd := p.Input.Update(msg)
	if in, ok := m.(*huh.Input); ok {
		p.Input = in
		return p, cmd
	}
	return m, cmd
}

// validator shows a field's error in the user's language, with every
// secret typed on the screen scrubbed from it.
func (p *Prompter) validator(s prompt.Screen, check func(string) error, secret bool) func(string) error {
	if check == nil {
		return func(string) error { return nil }
	}
	return func(v string) error {
		err := check(v)
		if err == nil {
			return nil
		}
		secrets := s.Secrets()
		if secret {
			secrets = append(secrets, v)
		}
		return prompt.UserError(p.lang, err, secrets...)
	}
}

// withCheck runs the screen's check once the last field's own validation
// passes, with the value being submitted in place.
func withCheck(text *string, validate func(string) error, check func() error) func(string) error {
	return func(v string) error {
		if validate != nil {
			if err := validate(v); err != nil {
				return err
			}
		}
		if text != nil {
			*text = v
		}
		return check()
	}
}

func huhOptions(options []prompt.Option) []huh.Option[string] {
	out := make([]huh.Option[string], len(options))
	for i, o := range options {
		out[i] = huh.NewOption(o.Label, o.Value)
	}
	return out
}

// noteText escapes huh's note markup (_italic_, *bold*, `code`, \) so that
// labels and keys show as typed. Code spans are escaped too: huh v1.0.0
// never closes one, which would style the rest of the note as code.
func noteText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `_`, `\_`, `*`, `\*`, "`", "\\`").Replace(s)
}
