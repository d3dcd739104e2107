package smartradexd

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/server/store"
)

// Error codes: the "code" of a failure printed as JSON. They are stable,
// for scripts to decide on, and documented in docs/service.md.
const (
	CodeUsage               = "usage"                // a bad command, flag, argument or environment variable (exit 2)
	CodeFailed              = "failed"               // any other failure: the message says what (exit 1)
	CodeUnknownSubscriber   = "unknown_subscriber"   // no subscriber has that e-mail address
	CodeUnknownBot          = "unknown_bot"          // the catalogue has no such bot
	CodeUnknownChange       = "unknown_change"       // no announced address change has that ID
	CodeAlreadyExists       = "already_exists"       // the subscriber, or the engine's token, exists already
	CodeNoDatabase          = "no_database"          // the default database file does not exist
	CodeDatabaseUnavailable = "database_unavailable" // the database did not answer; nothing was changed
	CodeVaultKey            = "vault_key"            // a vault key file is missing or unreadable
	CodeResealIncomplete    = "reseal_incomplete"    // reseal left keys not sealed to the current vault key (exit 3)
)

// codedError is a failure with a documented code, and an exit code when it
// is not ExitFailure. printed is set when the command printed its result
// already (reseal's report): with --json, no error object follows it.
type codedError struct {
	code    string
	exit    int
	printed bool
	err     error
}

func (e codedError) Error() string { return e.err.Error() }
func (e codedError) Unwrap() error { return e.err }

// withCode gives err the code code (exit 1).
func withCode(code string, err error) error { return codedError{code: code, err: err} }

// errorJSON is a failure as --json prints it, in the shape smartradex
// prints its own: {"ok": false, "error": {"code", "message", "hints",
// "exit_code"}}.
type errorJSON struct {
	Code     string   `json:"code"`
	Message  string   `json:"message"`
	Hints    []string `json:"hints"`
	ExitCode int      `json:"exit_code"`

	printed bool
}

const (
	usageHint       = "run smartradexd help for the commands and flags"
	unavailableHint = "the database did not answer, and nothing was changed: check that it runs and that --db (SMARTRADEXD_DB) names it, then run the command again"
)

// describe is err in its documented form. started is false when the
// command line failed before any command ran (cobra's own errors).
func describe(err error, started bool) errorJSON {
	out := errorJSON{Code: CodeFailed, Message: err.Error(), Hints: []string{}, ExitCode: ExitFailure}
	var ue usageError
	if !started || errors.As(err, &ue) {
		out.Code, out.ExitCode = CodeUsage, ExitUsage
		out.Hints = append(out.Hints, usageHint)
		return out
	}
	var ce codedError
	if errors.As(err, &ce) {
		out.Code, out.printed = ce.code, ce.printed
		if ce.exit != 0 {
			out.ExitCode = ce.exit
		}
	}
	if errors.Is(err, store.ErrUnavailable) {
		if out.Code == CodeFailed {
			out.Code = CodeDatabaseUnavailable
		}
		out.Hints = append(out.Hints, unavailableHint)
	}
	return out
}

// print writes the human form on w: an "error:" line, then one "hint:"
// line per hint.
func (e errorJSON) print(w io.Writer) {
	fmt.Fprintf(w, "smartradexd: error: %s\n", e.Message)
	for _, h := range e.Hints {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
}

// printJSON writes {"ok": false, "error": e} on w.
func (e errorJSON) printJSON(w io.Writer) {
	data, err := json.Marshal(struct {
		OK    bool      `json:"ok"`
		Error errorJSON `json:"error"`
	}{false, e})
	if err != nil {
		return // plain strings and an int: it cannot fail
	}
	fmt.Fprintf(w, "%s\n", data)
}

// wantsJSON tells whether the command that failed was asked for JSON: its
// --json flag, or SMARTRADEXD_JSON, as the command would have read them.
// A command line that failed to parse may have stopped before --json: the
// arguments are then looked at as given.
func wantsJSON(cmd *cobra.Command, args []string, getenv func(string) string) bool {
	if cmd == nil {
		return false
	}
	f := cmd.Flags().Lookup("json")
	if f == nil || f.Value.Type() != "bool" {
		return false
	}
	if f.Changed {
		return f.Value.String() == "true"
	}
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--json" {
			return true
		}
		if v, ok := strings.CutPrefix(a, "--json="); ok {
			b, err := strconv.ParseBool(v)
			return err == nil && b
		}
	}
	b, err := strconv.ParseBool(getenv(envName("json")))
	return err == nil && b
}
