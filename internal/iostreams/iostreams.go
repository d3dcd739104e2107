// Package iostreams is the single place where smartradex learns about its
// terminal: which streams are TTYs, whether it may prompt, whether colour is
// wanted. Commands never look at os.Stdin or os.Stdout themselves.
package iostreams

import (
	"bytes"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams bundles the process's standard streams with what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY, stdoutTTY, stderrTTY bool
	neverPrompt                    bool
	colorDisabled                  bool
}

func isTerminal(f any) bool {
	if file, ok := f.(*os.File); ok {
		return term.IsTerminal(int(file.Fd()))
	}
	return false
}

// System returns the process's streams. getenv is os.Getenv in production.
func System(getenv func(string) string) *IOStreams {
	io := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	}
	if _, ok := lookup(getenv, "NO_COLOR"); ok || getenv("TERM") == "dumb" {
		io.colorDisabled = true
	}
	return io
}

func lookup(getenv func(string) string, name string) (string, bool) {
	if getenv == nil {
		return "", false
	}
	// NO_COLOR counts when present and non-empty (https://no-color.org).
	v := getenv(name)
	return v, v != ""
}

// Test returns streams backed by buffers, none of them a TTY.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, colorDisabled: true}, in, out, errOut
}

// SetTTY overrides TTY detection (tests).
func (s *IOStreams) SetTTY(stdin, stdout, stderr bool) {
	s.stdinTTY, s.stdoutTTY, s.stderrTTY = stdin, stdout, stderr
}

// SetNeverPrompt disables prompting (--no-input).
func (s *IOStreams) SetNeverPrompt(v bool) { s.neverPrompt = v }

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// CanPrompt reports whether the user can be asked questions: stdin and
// stdout are terminals and prompting was not disabled.
func (s *IOStreams) CanPrompt() bool {
	return !s.neverPrompt && s.stdinTTY && s.stdoutTTY
}

// ColorEnabled reports whether output to stdout may be coloured.
func (s *IOStreams) ColorEnabled() bool { return s.stdoutTTY && !s.colorDisabled }

// Green, Red and Yellow colour s when colour is enabled.
func (s *IOStreams) Green(v string) string  { return s.paint("32", v) }
func (s *IOStreams) Red(v string) string    { return s.paint("31", v) }
func (s *IOStreams) Yellow(v string) string { return s.paint("33", v) }
func (s *IOStreams) Bold(v string) string   { return s.paint("1", v) }

func (s *IOStreams) paint(code, v string) string {
	if !s.ColorEnabled() {
		return v
	}
	return "\x1b[" + code + "m" + v + "\x1b[0m"
}

// ReadSecretLine reads one line from In (for --secret-stdin and the like),
// at most max bytes, without echo concerns: it is only used when In is not
// a terminal or the caller has already disabled echo. The trailing newline
// and surrounding white space are removed.
func (s *IOStreams) ReadAllLimited(max int64) (string, bool, error) {
	data, err := io.ReadAll(io.LimitReader(s.In, max+1))
	if err != nil {
		return "", false, err
	}
	if int64(len(data)) > max {
		return "", true, nil
	}
	return strings.TrimSpace(string(data)), false, nil
}
