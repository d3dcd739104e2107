package prompt

import (
	"context"
	"fmt"
	"sync"
)

// Fake is a Prompter with scripted answers, for command tests. Answers are
// consumed in order: a string answers Input, Password and Select (with the
// option's Value), a bool answers Confirm, and an error is returned by the
// question it answers (use Cancelled(nil) to play Ctrl-C). Like the real
// prompts, an answer that validate rejects is recorded in Rejected and the
// next answer is tried. Every question is recorded in Asked; a Password's
// answers are never recorded.
type Fake struct {
	Answers []any

	mu    sync.Mutex
	Asked []Question
}

// Question is what a Fake was asked.
type Question struct {
	Kind        string // "input", "password", "confirm" or "select"
	Title       string
	Description string
	Options     []Option // Select only
	Default     string   // Select's def, or "true"/"false" for Confirm
	Rejected    []string // validation messages shown, in order
}

var _ Prompter = (*Fake)(nil)

// Remaining is the number of answers not consumed yet.
func (f *Fake) Remaining() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.Answers)
}

func (f *Fake) ask(ctx context.Context, q Question) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return 0, Cancelled(err)
	}
	f.Asked = append(f.Asked, q)
	return len(f.Asked) - 1, nil
}

func (f *Fake) next(i int) (any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.Answers) == 0 {
		return nil, fmt.Errorf("prompt.Fake: no answer left for %s %q", f.Asked[i].Kind, f.Asked[i].Title)
	}
	a := f.Answers[0]
	f.Answers = f.Answers[1:]
	if err, ok := a.(error); ok {
		return nil, err
	}
	return a, nil
}

func (f *Fake) reject(i int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Asked[i].Rejected = append(f.Asked[i].Rejected, msg)
}

func (f *Fake) text(ctx context.Context, kind, title, description string, validate func(string) error) (string, error) {
	i, err := f.ask(ctx, Question{Kind: kind, Title: title, Description: description})
	if err != nil {
		return "", err
	}
	for {
		a, err := f.next(i)
		if err != nil {
			return "", err
		}
		s, ok := a.(string)
		if !ok {
			return "", fmt.Errorf("prompt.Fake: %s %q needs a string answer, got %T", kind, title, a)
		}
		if validate != nil {
			if verr := validate(s); verr != nil {
				if kind == "password" {
					f.reject(i, scrub(verr.Error(), s))
				} else {
					f.reject(i, verr.Error())
				}
				continue
			}
		}
		return s, nil
	}
}

// Input implements Prompter.
func (f *Fake) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	return f.text(ctx, "input", title, description, validate)
}

// Password implements Prompter.
func (f *Fake) Password(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	return f.text(ctx, "password", title, description, validate)
}

// Confirm implements Prompter.
func (f *Fake) Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error) {
	i, err := f.ask(ctx, Question{Kind: "confirm", Title: title, Description: description, Default: fmt.Sprint(def)})
	if err != nil {
		return false, err
	}
	a, err := f.next(i)
	if err != nil {
		return false, err
	}
	b, ok := a.(bool)
	if !ok {
		return false, fmt.Errorf("prompt.Fake: confirm %q needs a bool answer, got %T", title, a)
	}
	return b, nil
}

// Select implements Prompter.
func (f *Fake) Select(ctx context.Context, title, description string, options []Option, def string) (string, error) {
	i, err := f.ask(ctx, Question{Kind: "select", Title: title, Description: description, Options: append([]Option(nil), options...), Default: def})
	if err != nil {
		return "", err
	}
	a, err := f.next(i)
	if err != nil {
		return "", err
	}
	s, ok := a.(string)
	if !ok {
		return "", fmt.Errorf("prompt.Fake: select %q needs a string answer, got %T", title, a)
	}
	for _, o := range options {
		if o.Value == s {
			return s, nil
		}
	}
	return "", fmt.Errorf("prompt.Fake: %q is not an option of select %q", s, title)
}

// Report records why a screen's answers were refused, as Rejected of the
// last question asked, with the screen's secrets scrubbed.
func (f *Fake) Report(err error, secrets ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.Asked) == 0 {
		return
	}
	q := &f.Asked[len(f.Asked)-1]
	q.Rejected = append(q.Rejected, scrub(err.Error(), secrets...))
}
