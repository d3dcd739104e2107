package cmdutil

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
)

// PrintJSON writes v as indented JSON followed by a newline.
func PrintJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// Table prints aligned columns. Cells may hold multi-byte characters.
// On a terminal too narrow for the columns, each row becomes a list item
// instead ("• first cell", then "  header: cell" lines), wrapped by words,
// so that nothing is cut across the window's edge.
func Table(w io.Writer, header []string, rows [][]string) {
	TableWidth(w, prompt.TermWidth(w), header, rows)
}

// TableWidth is Table for a window of width columns (0: no limit).
func TableWidth(w io.Writer, width int, header []string, rows [][]string) {
	widths := make([]int, len(header))
	all := append([][]string{header}, rows...)
	for _, r := range all {
		for i, c := range r {
			if i < len(widths) && utf8.RuneCountInString(visible(c)) > widths[i] {
				widths[i] = utf8.RuneCountInString(visible(c))
			}
		}
	}
	total := 0
	for _, n := range widths {
		total += n + 2
	}
	if width > 0 && total-2 > width {
		for _, r := range rows {
			for i, c := range r {
				switch {
				case i == 0:
					fmt.Fprintln(w, prompt.Wrap("• "+c, width, "  "))
				case i < len(header):
					fmt.Fprintln(w, prompt.Wrap("  "+header[i]+": "+c, width, "    "))
				}
			}
		}
		return
	}
	for _, r := range all {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(visible(c))+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// visible strips ANSI colour sequences for width computations.
func visible(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Reported is returned by a command that has already printed its outcome
// (a verdict table or a JSON document) and only needs the exit code.
func Reported(kind apperr.Kind) error {
	return &apperr.Error{Kind: kind, Code: "reported", Message: i18n.M("error.reported")}
}

// IsReported tells whether err was produced by Reported.
func IsReported(err error) bool {
	var e *apperr.Error
	return errors.As(err, &e) && e.Code == "reported"
}

// UsageError is a malformed-input error (exit 2) with a catalogue message.
func UsageError(code string, msg i18n.Message, hints ...i18n.Message) error {
	return apperr.New(apperr.Usage, code, msg, hints...)
}

// GroupRunE makes a command group print its help, and reject unknown
// subcommands with a usage error instead of silently showing help. The
// argument is quoted only when it looks like a command word: a pasted
// secret or token must not be printed back.
func GroupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		msg := i18n.M("error.unexpected_argument", cmd.CommandPath())
		if PlausibleWord(args[0]) {
			msg = i18n.M("error.unknown_command", args[0], cmd.CommandPath())
		}
		hints := []i18n.Message{i18n.M("error.valid_commands", cmd.CommandPath(), strings.Join(SubcommandNames(cmd, false), ", ")),
			i18n.M("error.usage_hint", cmd.CommandPath())}
		if sugg := cmd.SuggestionsFor(args[0]); len(sugg) > 0 && PlausibleWord(args[0]) {
			// The nearest command, with the words typed after it that
			// are plain command words (nothing that may be a secret).
			line := []string{cmd.CommandPath(), sugg[0]}
			for _, a := range args[1:] {
				if !PlausibleWord(a) {
					break
				}
				line = append(line, a)
			}
			hints = append([]i18n.Message{i18n.M("error.did_you_mean", strings.Join(line, " "))}, hints...)
		}
		return apperr.New(apperr.Usage, "usage.unknown_command", msg, hints...)
	}
	return cmd.Help()
}

// SubcommandNames lists the commands a user may run under cmd (not help),
// and its help topics too when topics is set.
func SubcommandNames(cmd *cobra.Command, topics bool) []string {
	var names []string
	for _, c := range cmd.Commands() {
		if c.IsAvailableCommand() || (topics && c.IsAdditionalHelpTopicCommand()) {
			names = append(names, c.Name())
		}
	}
	return names
}

// PlausibleWord tells whether s, a word the user typed where a command,
// a flag name or a help topic was expected, may be quoted back: short
// lower-case letters and dashes, as every command and flag name is. A
// secret, a token or a passphrase pasted in the wrong place fails it.
func PlausibleWord(s string) bool {
	if s == "" || len(s) > 24 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}
