package cmdutil

import (
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/prompt/forms"
)

// Prompter is the one Prompter of the run, through which every question
// is asked: huh forms on the terminal, or plain line prompts when
// SMARTRADEX_ACCESSIBLE=1 (or ACCESSIBLE=1). It is built once, so that
// the line prompts read standard input through one buffer. Callers ask
// only when f.IO.CanPrompt(). Tests set f.Prompt.
func (f *Factory) Prompter() prompt.Prompter {
	if f.Prompt == nil {
		f.Prompt = forms.New(f.IO.In, f.IO.ErrOut, f.lang, prompt.Accessible(f.env))
	}
	return f.Prompt
}
