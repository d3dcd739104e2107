package onboard

import (
	"context"
	"github.com/smartradex/smartradex/internal/bots"
	"io"

	"strings"

	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
)

// nbsp is the no-break space French puts before : ; ! ? and inside « »,
// so that a line never starts with the sign or ends with the quote mark.
// Terminal word-wrapping (and huh's) does not break at it.
const nbsp = "\u00a0"

// nbhyphen is a hyphen lines are not broken after.
const nbhyphen = "\u2011"

// botName is the bot's name as screens show it, never cut across lines.
func botName(b bots.Bot) string { return strings.ReplaceAll(b.Name, " ", nbsp) }

var frenchSpaces = strings.NewReplacer(
	" :", nbsp+":",
	" ;", nbsp+";",
	" !", nbsp+"!",
	" ?", nbsp+"?",
	"« ", "«"+nbsp,
	" »", nbsp+"»",
)

// Typeset applies lang's typography to s: in French, the spaces before
// : ; ! ? and inside « » become no-break spaces. Other languages are
// returned as they are. Applying it twice changes nothing more.
func Typeset(lang i18n.Lang, s string) string {
	if lang != i18n.FR {
		return s
	}
	return frenchSpaces.Replace(s)
}

// TypesetScreen is s with Typeset applied to every text a person reads.
func TypesetScreen(lang i18n.Lang, s prompt.Screen) prompt.Screen {
	ts := func(v string) string { return Typeset(lang, v) }
	s.Banner = ts(s.Banner)
	notes := make([]prompt.Note, len(s.Notes))
	for i, n := range s.Notes {
		notes[i] = prompt.Note{Title: ts(n.Title), Body: ts(n.Body)}
	}
	s.Notes = notes
	fields := make([]prompt.Field, len(s.Fields))
	for i, f := range s.Fields {
		f.Title, f.Description = ts(f.Title), ts(f.Description)
		f.Affirmative, f.Negative = ts(f.Affirmative), ts(f.Negative)
		if f.Options != nil {
			opts := make([]prompt.Option, len(f.Options))
			for j, o := range f.Options {
				opts[j] = prompt.Option{Value: o.Value, Label: ts(o.Label)}
			}
			f.Options = opts
		}
		fields[i] = f
	}
	s.Fields = fields
	return s
}

// TermWidth is the width in columns of w when it is a terminal, else 0.
func TermWidth(w io.Writer) int { return prompt.TermWidth(w) }

// Typesetting is p with Typeset applied to every text it shows, for the
// questions a command asks around the onboarding screens (login, replace).
func Typesetting(p prompt.Prompter, lang i18n.Lang) prompt.Prompter {
	if lang != i18n.FR {
		return p
	}
	return &typesetting{p: p, lang: lang}
}

type typesetting struct {
	p    prompt.Prompter
	lang i18n.Lang
}

func (t *typesetting) ts(s string) string { return Typeset(t.lang, s) }

func (t *typesetting) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	return t.p.Input(ctx, t.ts(title), t.ts(description), validate)
}

func (t *typesetting) Password(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	return t.p.Password(ctx, t.ts(title), t.ts(description), validate)
}

func (t *typesetting) Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error) {
	return t.p.Confirm(ctx, t.ts(title), t.ts(description), t.ts(affirmative), t.ts(negative), def)
}

func (t *typesetting) Select(ctx context.Context, title, description string, options []prompt.Option, def string) (string, error) {
	opts := make([]prompt.Option, len(options))
	for i, o := range options {
		opts[i] = prompt.Option{Value: o.Value, Label: t.ts(o.Label)}
	}
	return t.p.Select(ctx, t.ts(title), t.ts(description), opts, def)
}

// AskScreen shows s typeset, as one page when the wrapped Prompter can.
func (t *typesetting) AskScreen(ctx context.Context, s prompt.Screen) error {
	return prompt.Ask(ctx, t.p, TypesetScreen(t.lang, s))
}

// Report passes a screen's refusal on.
func (t *typesetting) Report(err error, secrets ...string) {
	if r, ok := t.p.(interface{ Report(error, ...string) }); ok {
		r.Report(err, secrets...)
	}
}
