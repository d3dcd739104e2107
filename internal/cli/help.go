package cli

import (
	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
)

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
