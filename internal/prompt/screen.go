package prompt

import (
	"context"
	"fmt"
	"strings"
)

// Screen is one page of a dialogue, described once as data: notes to read,
// then fields to fill in. The terminal forms show it as one page; the line
// prompts and the Fake ask its fields in turn, the notes introducing the
// first question.
type Screen struct {
	// Banner tops a form (the sandbox explanation); line prompts label
	// each question instead.
	Banner string
	Notes  []Note
	Fields []Field
	// Check, when set, runs once every field holds a valid value. Its
	// error is shown (with the Password values scrubbed) and the user
	// corrects the fields: on a form without leaving it, in turn by
	// answering every field again.
	Check func() error
}

// Note is text to read on a Screen.
type Note struct {
	Title string
	Body  string
}

// FieldKind says which question a Field is.
type FieldKind int

// The kinds of Field.
const (
	FieldInput FieldKind = iota
	FieldPassword
	FieldConfirm
	FieldSelect
)

// Field is one question of a Screen. The value it points at is also its
// default (Confirm's and Select's first choice).
type Field struct {
	Kind        FieldKind
	Title       string
	Description string
	Validate    func(string) error // Input and Password; may be nil
	Text        *string            // Input, Password and Select
	Bool        *bool              // Confirm
	Affirmative string             // Confirm; "" is the localised Yes
	Negative    string             // Confirm; "" is the localised No
	Options     []Option           // Select
}

// InputField asks for a line of text into v.
func InputField(v *string, title, description string, validate func(string) error) Field {
	return Field{Kind: FieldInput, Title: title, Description: description, Validate: validate, Text: v}
}

// PasswordField asks for a secret into v, masked.
func PasswordField(v *string, title, description string, validate func(string) error) Field {
	return Field{Kind: FieldPassword, Title: title, Description: description, Validate: validate, Text: v}
}

// ConfirmField asks a yes/no question into v; *v is the default.
func ConfirmField(v *bool, title, description, affirmative, negative string) Field {
	return Field{Kind: FieldConfirm, Title: title, Description: description, Bool: v, Affirmative: affirmative, Negative: negative}
}

// SelectField asks for one of options into v; *v is the default.
func SelectField(v *string, title, description string, options []Option) Field {
	return Field{Kind: FieldSelect, Title: title, Description: description, Text: v, Options: options}
}

// Secrets are the values typed into the screen's Password fields.
func (s Screen) Secrets() []string {
	var out []string
	for _, f := range s.Fields {
		if f.Kind == FieldPassword && f.Text != nil {
			out = append(out, *f.Text)
		}
	}
	return out
}

// ScreenAsker is a Prompter that shows a whole Screen at once.
type ScreenAsker interface {
	AskScreen(ctx context.Context, s Screen) error
}

// reporter shows why a Screen's Check refused the answers.
type reporter interface {
	Report(err error, secrets ...string)
}

// Ask shows s on p: as one page when p can (the terminal forms), else as
// questions in turn. The answers are in the fields' values when it returns
// nil; Ctrl-C or an ended ctx is a Cancelled error.
func Ask(ctx context.Context, p Prompter, s Screen) error {
	if sa, ok := p.(ScreenAsker); ok {
		return sa.AskScreen(ctx, s)
	}
	return askInTurn(ctx, p, s)
}

func askInTurn(ctx context.Context, p Prompter, s Screen) error {
	if err := ctx.Err(); err != nil {
		return Cancelled(err)
	}
	for {
		for i, f := range s.Fields {
			title, desc := f.Title, f.Description
			if i == 0 {
				title, desc = s.intro(title, desc)
			}
			if err := askField(ctx, p, f, title, desc); err != nil {
				return err
			}
		}
		if s.Check == nil {
			return nil
		}
		err := s.Check()
		if err == nil {
			return nil
		}
		if r, ok := p.(reporter); ok {
			r.Report(err, s.Secrets()...)
		}
	}
}

// intro folds the notes into the first question: the first note's title
// is its title, and the notes' text comes before the field's own.
func (s Screen) intro(title, desc string) (string, string) {
	if len(s.Notes) == 0 {
		return title, desc
	}
	var parts []string
	for i, n := range s.Notes {
		switch {
		case i == 0:
			parts = append(parts, n.Body)
		case n.Title == "":
			parts = append(parts, n.Body)
		default:
			parts = append(parts, n.Title+"\n"+n.Body)
		}
	}
	field := strings.TrimSpace(title + "\n" + desc)
	if field != "" {
		parts = append(parts, field)
	}
	return s.Notes[0].Title, strings.Join(nonEmpty(parts), "\n\n")
}

func nonEmpty(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			out = append(out, s)
		}
	}
	return out
}

func askField(ctx context.Context, p Prompter, f Field, title, desc string) error {
	var err error
	switch f.Kind {
	case FieldInput:
		*f.Text, err = p.Input(ctx, title, desc, f.Validate)
	case FieldPassword:
		*f.Text, err = p.Password(ctx, title, desc, f.Validate)
	case FieldConfirm:
		*f.Bool, err = p.Confirm(ctx, title, desc, f.Affirmative, f.Negative, *f.Bool)
	case FieldSelect:
		*f.Text, err = p.Select(ctx, title, desc, f.Options, *f.Text)
	default:
		err = fmt.Errorf("prompt: unknown field kind %d", f.Kind)
	}
	return err
}
