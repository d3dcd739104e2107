package cli

import (
	"testing"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// usageTemplate is the text/template that rendered the usage text before
// writeUsage replaced it: cobra's default, with the catalogue's headings.
func usageTemplate(f *cmdutil.Factory) string {
	return f.T("help.usage") + `{{if .Runnable}}
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
}

// TestUsageMatchesTheTemplate checks that writeUsage prints, for every
// command in both languages, exactly what the template printed.
func TestUsageMatchesTheTemplate(t *testing.T) {
	for _, lang := range i18n.Langs {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios, func(string) string { return "" })
		f.SetLang(lang)
		got, want := NewRootCmd(f), NewRootCmd(f)
		want.SetUsageFunc(nil)
		want.SetUsageTemplate(usageTemplate(f))
		var walk func(g, w *cobra.Command)
		n := 0
		walk = func(g, w *cobra.Command) {
			n++
			if gu, wu := g.UsageString(), w.UsageString(); gu != wu {
				t.Errorf("%s, %s: usage differs\n--- got\n%s\n--- template\n%s", lang, g.CommandPath(), gu, wu)
			}
			gs, ws := g.Commands(), w.Commands()
			if len(gs) != len(ws) {
				t.Fatalf("%s: the two trees differ", g.CommandPath())
			}
			for i := range gs {
				walk(gs[i], ws[i])
			}
		}
		walk(got, want)
		if n < 20 {
			t.Errorf("%s: only %d commands compared", lang, n)
		}
	}
}
