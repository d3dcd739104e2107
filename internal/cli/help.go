package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
)

// helpRunE is `smartradex help [command]`. Cobra's own shows the root's
// help for an unknown topic and exits 0; this one is a usage error that
// lists the topics. The unknown word is quoted only when it looks like a
// command name.
func helpRunE(c *cobra.Command, args []string) error {
	target, rest, err := c.Root().Find(args)
	if err == nil && target != nil && len(rest) == 0 {
		target.InitDefaultHelpFlag()
		target.InitDefaultVersionFlag()
		return target.Help()
	}
	if target == nil {
		target = c.Root()
	}
	msg := i18n.M("error.unknown_topic_hidden")
	if len(rest) > 0 && cmdutil.PlausibleWord(rest[0]) {
		msg = i18n.M("error.unknown_topic", rest[0])
	}
	return apperr.New(apperr.Usage, "usage.unknown_topic", msg,
		i18n.M("error.valid_topics", target.CommandPath(), strings.Join(cmdutil.SubcommandNames(target, true), ", ")))
}

// localizeHelp renders cobra's usage text and help command in the user's
// language. Help flags are added apart (addHelpFlags, addHelpFlagsFor).
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
			c.Run = nil
			c.RunE = helpRunE
			setInstant(c)
		}
	}
}

// addHelpFlag gives c its help flag, described in the user's language;
// without it cobra adds one described in English when c runs.
func addHelpFlag(c *cobra.Command, f *cmdutil.Factory) {
	if c.Flags().Lookup("help") == nil {
		c.Flags().BoolP("help", "h", false, f.T("help.flag", c.Name()))
	}
}

// addHelpFlags gives c and every command under it its help flag.
func addHelpFlags(c *cobra.Command, f *cmdutil.Factory) {
	addHelpFlag(c, f)
	for _, sub := range c.Commands() {
		addHelpFlags(sub, f)
	}
}

// addHelpFlagsFor gives a help flag to the commands whose flags a run with
// args may print: the command args name and, for `help COMMAND`, COMMAND.
// Giving one to each of the thirty commands took a twentieth of the
// start-up time of smartradex version (docs/performance.md).
func addHelpFlagsFor(root *cobra.Command, f *cmdutil.Factory, args []string) {
	for _, a := range args {
		if a == cobra.ShellCompRequestCmd || a == cobra.ShellCompNoDescRequestCmd {
			// Shell completion (cobra adds its command when it runs) may
			// describe any command's flags.
			addHelpFlags(root, f)
			return
		}
	}
	target, rest, err := root.Find(args)
	if err != nil {
		return // an unknown command: cobra says so, and prints no flags
	}
	addHelpFlag(target, f)
	if target.Name() == "help" && target.Parent() == root {
		if c, _, err := root.Find(rest); err == nil {
			addHelpFlag(c, f)
		}
	}
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
