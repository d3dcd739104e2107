package cmdutil

import (
	"fmt"
	"io"

	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
)

// Messages is what a command needs to speak to the user, resolved once the
// language is known: the language, standard error and the redactor every
// line passes through. Commands' Options hold it instead of the Factory.
type Messages struct {
	Lang     i18n.Lang
	ErrOut   io.Writer
	Redactor *redact.Redactor
}

// Messages is the run's Messages.
func (f *Factory) Messages() Messages {
	return Messages{Lang: f.lang, ErrOut: f.IO.ErrOut, Redactor: f.Redactor}
}

// T renders a catalogue message in the user's language.
func (m Messages) T(key string, args ...any) string { return m.Lang.T(key, args...) }

// Render renders a Message in the user's language.
func (m Messages) Render(msg i18n.Message) string { return m.Lang.Render(msg) }

// Redact hides every registered secret in s.
func (m Messages) Redact(s string) string {
	if m.Redactor == nil {
		return s
	}
	return m.Redactor.Redact(s)
}

// Errf writes a localised line to stderr, redacted.
func (m Messages) Errf(key string, args ...any) {
	fmt.Fprintln(m.ErrOut, Wrapped(m.ErrOut, m.Redact(m.T(key, args...)), ""))
}

// AddSecret registers values that must never be printed.
func (m Messages) AddSecret(secrets ...string) {
	if m.Redactor != nil {
		m.Redactor.Add(secrets...)
	}
}

// PrintError writes err's human form on stderr, for the cases where
// stdout already carries a result of its own.
func (m Messages) PrintError(err error) {
	DescribeError(m.Lang, m.Redactor, err).Print(m.ErrOut, m.Lang)
}

// Wrapped is s wrapped by words to the width of w when w is a terminal
// (lines after the first of a paragraph start with indent), and s itself
// otherwise: what scripts read stays one line per message.
func Wrapped(w io.Writer, s, indent string) string {
	if width := prompt.TermWidth(w); width > 0 {
		return prompt.Wrap(s, width, indent)
	}
	return s
}
