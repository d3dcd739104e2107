package cli

import (
	"strings"

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

// localizeHelp renders cobra's usage text, help flag and help command in the
// user's language. The template is cobra's default with its headings taken
// from the catalogue.
func localizeHelp(root *cobra.Command, f *cmdutil.Factory) {
	tmpl := f.T("help.usage") + `{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

` + f.T("help.aliases") + `
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

` + f.T("help.examples") + `
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

` + f.T("help.commands") + `{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

` + f.T("help.flags") + `
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasAvailableInheritedFlags}}

` + f.T("help.global_flags") + `
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces}}{{end}}{{if .HasHelpSubCommands}}

` + f.T("help.topics") + `{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

` + f.T("help.more", "{{.CommandPath}}") + `{{end}}
`
	root.SetUsageTemplate(tmpl)
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Short = f.T("help.cmd_short")
			c.Long = f.T("help.cmd_long")
			c.Run = nil
			c.RunE = helpRunE
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
