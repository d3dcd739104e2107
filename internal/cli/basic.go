package cli

import (
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/buildinfo"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
)

func newVersionCmd(f *cmdutil.Factory) *cobra.Command {
	return newInstantCmd("version", f.T("version.short"), func() error {
		v, commit, date := buildinfo.Get()
		if f.Globals.JSON {
			return cmdutil.PrintJSON(f.IO.Out, map[string]string{
				"version": v, "commit": commit, "date": date, "go": runtime.Version(), "os": runtime.GOOS, "arch": runtime.GOARCH,
			})
		}
		line := "smartradex " + v
		if commit != "" {
			line += " (" + commit
			if date != "" {
				line += ", " + date
			}
			line += ")"
		}
		fmt.Fprintln(f.IO.Out, line)
		return nil
	})
}

func newBotsCmd(f *cmdutil.Factory) *cobra.Command {
	return newInstantCmd("bots", f.T("bots.short"), func() error {
		all := bots.All()
		if f.Globals.JSON {
			return cmdutil.PrintJSON(f.IO.Out, all)
		}
		var rows [][]string
		for _, b := range all {
			rows = append(rows, []string{b.ID, b.Name, b.Label})
		}
		cmdutil.Table(f.IO.Out, []string{f.T("bots.col_id"), f.T("bots.col_name"), f.T("bots.col_label")}, rows)
		return nil
	})
}

// newInstantCmd is a command that only prints (see instantAnnotation).
func newInstantCmd(use, short string, run func() error) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, RunE: func(*cobra.Command, []string) error { return run() }}
	setInstant(c)
	return c
}

func newExitCodesTopic(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{Use: "exit-codes", Short: f.T("help.exit_codes.short"), Long: f.T("help.exit_codes.long")}
}

func newEnvironmentTopic(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{Use: "environment", Short: f.T("help.environment.short"), Long: f.T("help.environment.long")}
}
