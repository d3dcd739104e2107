// Package keys holds the `smartradex keys` commands: one file per command,
// each with an Options struct, a constructor that parses flags and a run
// function that does the work.
package keys

import (
	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
)

// NewCmdKeys returns the `keys` command group.
func NewCmdKeys(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewGroup("keys", f.T("keys.short"), f.T("keys.long"),
		NewCmdCheck(f, nil),
		NewCmdList(f, nil),
		NewCmdRemove(f, nil),
		NewCmdVerify(f, nil),
		NewCmdGenerate(f, nil),
		NewCmdAdd(f, nil),
		NewCmdRotate(f, nil),
		NewCmdSync(f, nil),
	)
}
