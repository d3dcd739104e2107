package prompt

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// linePrompter asks questions as plain lines, for screen readers. It is
// written here rather than taken from huh's accessible mode because that
// mode (huh v1.0.0) answers "" for a password when stdin has no file
// descriptor instead of failing, treats end of input as the default answer
// (skipping validation), gives each field its own input buffer, ignores the
// context and speaks English only.
type linePrompter struct {
	in   io.Reader
	out  io.Writer
	lang i18n.Lang

	mu      sync.Mutex
	r       *bufio.Reader
	pending chan lineResult // a read that outlived a cancelled question
}

type lineResult struct {
	line string
	err  error
}

func newLine(in io.Reader, out io.Writer, lang i18n.Lang) *linePrompter {
	return &linePrompter{in: in, out: out, lang: lang, r: bufio.NewReader(in)}
}

// readLine returns the next line without its end of line. End of input and
// an ended ctx are Cancelled: the user closed the terminal or gave up.
func (p *linePrompter) readLine(ctx context.Context) (string, error) {
	p.mu.Lock()
	ch := p.pending
	if ch == nil {
		ch = make(chan lineResult, 1)
		p.pending = ch
		go func() {
			s, err := p.r.ReadString('\n')
			if err == io.EOF && s != "" {
				err = nil
			}
			ch <- lineResult{strings.TrimRight(s, "\r\n"), err}
		}()
	}
	p.mu.Unlock()
	select {
	case <-ctx.Done():
		return "", Cancelled(ctx.Err())
	case res := <-ch:
		p.mu.Lock()
		p.pending = nil
		p.mu.Unlock()
		if res.err != nil {
			return "", Cancelled(res.err)
		}
		return res.line, nil
	}
}

// header prints a question's title and description wrapped by words to
// the terminal's width, so that no word is cut across lines (a terminal
// that wraps by itself cuts anywhere). Piped output is left as it is.
func (p *linePrompter) header(title, description string) {
	w := TermWidth(p.out)
	fmt.Fprintln(p.out, Wrap(title, w, ""))
	if description != "" {
		fmt.Fprintln(p.out, Wrap(description, w, ""))
	}
}

func (p *linePrompter) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", Cancelled(err)
	}
	p.header(title, description)
	check := Validator(p.lang, validate, false)
	for {
		fmt.Fprint(p.out, "> ")
		v, err := p.readLine(ctx)
		if err != nil {
			return "", err
		}
		if err := check(v); err != nil {
			fmt.Fprintln(p.out, err)
			continue
		}
		return v, nil
	}
}

func (p *linePrompter) Password(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", Cancelled(err)
	}
	f, ok := p.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		// Reading it as a visible line would show the secret on screen.
		return "", apperr.New(apperr.Usage, "prompt.secret_needs_terminal", i18n.M("prompt.secret_needs_terminal"), i18n.M("prompt.secret_needs_terminal_h"))
	}
	p.header(title, description)
	check := Validator(p.lang, validate, true)
	for {
		fmt.Fprint(p.out, "> ")
		v, err := readPassword(ctx, int(f.Fd()))
		fmt.Fprintln(p.out)
		if err != nil {
			return "", err
		}
		if err := check(v); err != nil {
			fmt.Fprintln(p.out, err)
			continue
		}
		return v, nil
	}
}

// readPassword reads a line with echo off. If ctx ends first, the
// terminal's state is restored before returning, so that the shell does
// not stay without echo.
func readPassword(ctx context.Context, fd int) (string, error) {
	state, err := term.GetState(fd)
	if err != nil {
		return "", apperr.Wrap(apperr.Unexpected, "prompt.terminal", err, i18n.M("prompt.terminal_failed"), i18n.M("prompt.terminal_failed_hint"))
	}
	ch := make(chan lineResult, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		ch <- lineResult{string(b), err}
	}()
	select {
	case <-ctx.Done():
		_ = term.Restore(fd, state)
		return "", Cancelled(ctx.Err())
	case res := <-ch:
		if res.err != nil {
			return "", Cancelled(res.err)
		}
		return res.line, nil
	}
}

func (p *linePrompter) Confirm(ctx context.Context, title, description string, affirmative, negative string, def bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, Cancelled(err)
	}
	p.header(title, description)
	yes, no := or(affirmative, p.lang.T("prompt.yes")), or(negative, p.lang.T("prompt.no"))
	hint := p.lang.T("prompt.line.yn_default_no")
	if def {
		hint = p.lang.T("prompt.line.yn_default_yes")
	}
	for {
		fmt.Fprintf(p.out, "%s / %s %s ", yes, no, hint)
		v, err := p.readLine(ctx)
		if err != nil {
			return false, err
		}
		switch a := strings.ToLower(strings.TrimSpace(v)); {
		case a == "":
			return def, nil
		case a == "y" || a == "yes" || a == "o" || a == "oui" || a == strings.ToLower(yes):
			return true, nil
		case a == "n" || a == "no" || a == "non" || a == strings.ToLower(no):
			return false, nil
		}
		fmt.Fprintln(p.out, p.lang.T("prompt.line.bad_bool"))
	}
}

func (p *linePrompter) Select(ctx context.Context, title, description string, options []Option, def string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", Cancelled(err)
	}
	if len(options) == 0 {
		return "", errNoOptions
	}
	p.header(title, description)
	defIdx := 0
	for i, o := range options {
		fmt.Fprintf(p.out, "%d. %s\n", i+1, o.Label)
		if o.Value == def {
			defIdx = i + 1
		}
	}
	for {
		if defIdx > 0 {
			fmt.Fprintln(p.out, p.lang.T("prompt.line.choose_default", len(options), defIdx))
		} else {
			fmt.Fprintln(p.out, p.lang.T("prompt.line.choose", len(options)))
		}
		fmt.Fprint(p.out, "> ")
		v, err := p.readLine(ctx)
		if err != nil {
			return "", err
		}
		v = strings.TrimSpace(v)
		if v == "" && defIdx > 0 {
			return options[defIdx-1].Value, nil
		}
		if n, err := strconv.Atoi(v); err == nil && n >= 1 && n <= len(options) {
			return options[n-1].Value, nil
		}
		fmt.Fprintln(p.out, p.lang.T("prompt.line.bad_choice", v, len(options)))
	}
}

// Report shows why a screen's answers were refused; they are asked again.
func (p *linePrompter) Report(err error, secrets ...string) {
	fmt.Fprintln(p.out, Wrap(UserError(p.lang, err, secrets...).Error(), TermWidth(p.out), ""))
}

// NewLine returns the accessible Prompter: plain line questions on in/out,
// for screen readers. Callers must only use it when the streams are a
// terminal.
func NewLine(in io.Reader, out io.Writer, lang i18n.Lang) Prompter {
	return newLine(in, out, lang)
}
