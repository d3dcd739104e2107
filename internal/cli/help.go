package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
)

// localizeHelp renders cobra's usage text, help flag and help command in the
// user's language.
func localizeHelp(root *cobra.Command, f *cmdutil.Factory) {
	root.SetUsageFunc(func(c *cobra.Command) error {
		writeUsage(c.OutOrStderr(), c, f)
		return nil
	})
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Short = f.T("help.cmd_short")
			c.Long = f.T("help.cmd_long")
			setInstant(c)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Flags().Lookup("help") == nil {
			c.Flags().BoolP("help", "h", false, f.T("help.flag", c.Name()))
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

// writeUsage writes what cobra's default usage template writes, with its
// headings taken from the catalogue. It is plain Go rather than a
// template: a template is parsed and run through reflection each time,
// which made --help noticeably slower to start (see docs/performance.md).
func writeUsage(w io.Writer, c *cobra.Command, f *cmdutil.Factory) {
	var b strings.Builder
	b.WriteString(f.T("help.usage"))
	if c.Runnable() {
		b.WriteString("\n  " + c.UseLine())
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n  " + c.CommandPath() + " [command]")
	}
	if len(c.Aliases) > 0 {
		b.WriteString("\n\n" + f.T("help.aliases") + "\n  " + c.NameAndAliases())
	}
	if c.HasExample() {
		b.WriteString("\n\n" + f.T("help.examples") + "\n" + c.Example)
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + f.T("help.commands"))
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() || sub.Name() == "help" {
				fmt.Fprintf(&b, "\n  %-*s %s", sub.NamePadding(), sub.Name(), sub.Short)
			}
		}
	}
	if c.HasAvailableLocalFlags() {
		b.WriteString("\n\n" + f.T("help.flags") + "\n" + trimRight(c.LocalFlags().FlagUsages()))
	}
	if c.HasAvailableInheritedFlags() {
		b.WriteString("\n\n" + f.T("help.global_flags") + "\n" + trimRight(c.InheritedFlags().FlagUsages()))
	}
	if c.HasHelpSubCommands() {
		b.WriteString("\n\n" + f.T("help.topics"))
		for _, sub := range c.Commands() {
			if sub.IsAdditionalHelpTopicCommand() {
				fmt.Fprintf(&b, "\n  %-*s %s", sub.CommandPathPadding(), sub.CommandPath(), sub.Short)
			}
		}
	}
	if c.HasAvailableSubCommands() {
		b.WriteString("\n\n" + f.T("help.more", c.CommandPath()))
	}
	b.WriteString("\n")
	io.WriteString(w, b.String())
}

func trimRight(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }
