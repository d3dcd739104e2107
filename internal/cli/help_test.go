package cli

import (
	"bytes"
	"context"
	"strings"
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

// TestHelpOfEveryCommand checks that the help Run prints for each command,
// whose help flag it adds on demand, is the help of the full tree, in both
// languages and both ways of asking; and that shell completion describes
// the help flag in the user's language too.
func TestHelpOfEveryCommand(t *testing.T) {
	for _, lang := range i18n.Langs {
		env := func(k string) string {
			if k == "SMARTRADEX_LANG" {
				return string(lang)
			}
			return ""
		}
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios, env)
		f.SetLang(lang)
		var paths [][]string
		var walk func(c *cobra.Command, path []string)
		walk = func(c *cobra.Command, path []string) {
			paths = append(paths, path)
			for _, sub := range c.Commands() {
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
		walk(NewRootCmd(f), nil)
		if len(paths) < 20 {
			t.Fatalf("%s: only %d commands", lang, len(paths))
		}
		for _, path := range paths {
			full := NewRootCmd(f)
			c, _, err := full.Find(path)
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			c.SetOut(&want)
			if err := c.Help(); err != nil {
				t.Fatal(err)
			}
			printsFlags := c.Runnable() || c.HasSubCommands() // help topics print their text only
			if printsFlags && !strings.Contains(want.String(), f.T("help.flag", c.Name())) {
				t.Errorf("%s %v: the help flag is not described in the catalogue's words:\n%s", lang, path, want.String())
			}
			for _, args := range [][]string{append(append([]string(nil), path...), "--help"), append([]string{"help"}, path...)} {
				ios, _, out, errOut := iostreams.Test()
				if code := Run(context.Background(), cmdutil.New(ios, env), args); code != 0 {
					t.Errorf("%s %v: exit %d: %s", lang, args, code, errOut)
					continue
				}
				if out.String() != want.String() {
					t.Errorf("%s %v: help differs\n--- got\n%s\n--- want\n%s", lang, args, out, want.String())
				}
			}
			// Shell completion describes the help flag in the same words.
			if printsFlags && !c.Hidden {
				ios, _, out, _ := iostreams.Test()
				args := append(append([]string{cobra.ShellCompRequestCmd}, path...), "--hel")
				Run(context.Background(), cmdutil.New(ios, env), args)
				if line := "--help\t" + f.T("help.flag", c.Name()); !strings.Contains(out.String(), line) {
					t.Errorf("%s %v: completion lacks %q:\n%s", lang, args, line, out)
				}
			}
		}
	}
}
