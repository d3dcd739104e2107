package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
)

// ErrorJSON is an error in the documented form, the "error" member of
// {"ok": false, "error": {...}} and of a command's own JSON result. Its
// fields are localised and redacted; the human form is printed from them.
type ErrorJSON struct {
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Hints    []string `json:"hints"`
	ExitCode int      `json:"exit_code"`

	cancelled bool
}

// DescribeError turns err into its documented form in lang, every text
// passed through red: an *apperr.Error gives its code, message, hints and
// exit code, and its cause after the message in parentheses (technical
// detail: a keyring's own words, a network error) unless it is a usage
// error or a cancellation, or the message already states it
// (apperr.Stated); any other error is "unexpected".
func DescribeError(lang i18n.Lang, red *redact.Redactor, err error) ErrorJSON {
	kind := apperr.KindOf(err)
	var e *apperr.Error
	if !errors.As(err, &e) {
		msg := i18n.M("error.unexpected", err.Error())
		if kind == apperr.Cancelled {
			msg = i18n.M("error.cancelled")
		}
		e = &apperr.Error{Kind: kind, Code: "unexpected", Message: msg}
		if kind == apperr.Unexpected {
			e.Hints = []i18n.Message{i18n.M("error.unexpected_hint")}
		}
	}
	message := lang.Render(e.Message)
	_, stated := e.Err.(apperr.Stated) //nolint:errorlint // the direct cause only: a Stated deeper down is not what this message says
	if e.Err != nil && !stated && e.Kind != apperr.Cancelled && e.Kind != apperr.Usage {
		message = fmt.Sprintf("%s (%v)", message, e.Err)
	}
	out := ErrorJSON{Code: e.Code, Message: redactText(red, message), Hints: []string{}, ExitCode: int(kind), cancelled: kind == apperr.Cancelled}
	for _, h := range e.Hints {
		out.Hints = append(out.Hints, redactText(red, lang.Render(h)))
	}
	return out
}

func redactText(red *redact.Redactor, s string) string {
	if red == nil {
		return s
	}
	return red.Redact(s)
}

// Print writes the human form on w: "error: " and the message (a
// cancellation, the user's own choice, without the prefix), then one
// "hint: " line per hint.
func (e ErrorJSON) Print(w io.Writer, lang i18n.Lang) {
	if e.cancelled {
		fmt.Fprintln(w, Wrapped(w, e.Message, ""))
	} else {
		fmt.Fprintln(w, Wrapped(w, lang.T("error.prefix")+e.Message, ""))
	}
	for _, h := range e.Hints {
		fmt.Fprintln(w, Wrapped(w, lang.T("error.hint_prefix")+h, "  "))
	}
}

// ReportError prints err for the user and returns its exit code: the human
// form on stderr and, with --json, {"ok": false, "error": {...}} on
// stdout. An error made by Reported was printed already.
func (f *Factory) ReportError(err error) int {
	kind := apperr.KindOf(err)
	if IsReported(err) {
		return int(kind)
	}
	e := DescribeError(f.Lang(), f.Redactor, err)
	if f.Globals.Sandbox {
		// Typed as shown, a hint must stay in the sandbox.
		e.Message = SandboxCommands(e.Message)
		for i, h := range e.Hints {
			e.Hints[i] = SandboxCommands(h)
		}
	}
	e.Print(f.IO.ErrOut, f.Lang())
	if f.Globals.JSON {
		doc := map[string]any{"ok": false, "error": e}
		if f.SandboxOn() {
			doc["sandbox"] = true
		}
		_ = PrintJSON(f.IO.Out, doc)
	}
	return int(kind)
}

// SandboxCommands puts --sandbox in every smartradex command s shows, so
// that a hint printed by a sandbox run works in the sandbox when typed as
// shown: "smartradex keys", "auth", "bots" or "doctor" as whole words (as
// the regular expression \bsmartradex (keys|auth|bots|doctor)\b finds
// them; matched by hand, because compiling it cost every run of every
// command a fifth of the start-up margin of docs/performance.md).
func SandboxCommands(s string) string {
	const prog = "smartradex "
	var b strings.Builder
	done := 0 // s[:done] is in b
	for from := 0; ; {
		i := strings.Index(s[from:], prog)
		if i < 0 {
			break
		}
		i += from
		from = i + len(prog)
		if i > 0 && isWordByte(s[i-1]) {
			continue
		}
		for _, group := range []string{"keys", "auth", "bots", "doctor"} {
			end := from + len(group)
			if strings.HasPrefix(s[from:], group) && (end == len(s) || !isWordByte(s[end])) {
				b.WriteString(s[done:from])
				b.WriteString("--sandbox ")
				done = from
				break
			}
		}
	}
	if done == 0 {
		return s
	}
	b.WriteString(s[done:])
	return b.String()
}

// isWordByte is an ASCII word character, as \b sees them.
func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
