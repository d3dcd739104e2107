package cmdutil

import (
	"context"

	"github.com/spf13/cobra"
)

// RunE is the RunE of a leaf command with Options opts. Once the flags
// are parsed and the sandbox decided, resolve (which may be nil) sets what
// opts takes from the run (--json, the messages, clients) and refuses what
// must be refused before any work; then runF does the work when a test
// gave one, else run.
func RunE[O any](opts *O, runF, run func(context.Context, *O) error, resolve func() error) func(*cobra.Command, []string) error {
	if runF != nil {
		run = runF
	}
	return func(cmd *cobra.Command, _ []string) error {
		if resolve != nil {
			if err := resolve(); err != nil {
				return err
			}
		}
		return run(cmd.Context(), opts)
	}
}

// CheckStore refuses a misspelt --keyring, SMARTRADEX_KEYRING or
// SMARTRADEX_KEYRING_TIMEOUT even when the run would not need the store.
// Building the store does no I/O.
func CheckStore(f *Factory) error {
	_, err := f.SecretStore()
	return err
}

// NewGroup is a command group: it prints its help, and refuses an unknown
// subcommand (see GroupRunE).
func NewGroup(use, short, long string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Long: long, Args: cobra.ArbitraryArgs, RunE: GroupRunE}
	cmd.AddCommand(subs...)
	return cmd
}
