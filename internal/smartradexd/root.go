// Package smartradexd is the command line of the key service: serve,
// migrate, vault-key and admin, as issue 12 fixes them. Run takes its
// arguments, environment and streams as values, so tests run the real
// commands in process, the real server included.
package smartradexd

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1 // anything unexpected, a refused admin change, a database error
	ExitUsage   = 2 // bad command, flag, argument or environment variable
	// ExitIncomplete: vault-key reseal ran, but some keys are still not
	// sealed to the current vault key (the output says which and why).
	ExitIncomplete = 3
	envPrefix      = "SMARTRADEXD_"
	defaultAddress = "127.0.0.1:8700"
)

// Main runs smartradexd with the process's arguments and environment;
// SIGINT and SIGTERM cancel the run (serve then shuts down gracefully).
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
}

// usageError is a mistake in the command line or the environment.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// env holds what every command reads besides its flags.
type env struct {
	ctx    context.Context
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

// Run executes one smartradexd command and returns its exit code.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	started := false
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		started = true
		return applyEnv(cmd, getenv)
	}
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	failure := describe(err, started)
	failure.print(stderr)
	if !failure.printed && wantsJSON(cmd, args, getenv) {
		failure.printJSON(stdout)
	}
	return failure.ExitCode
}

// applyEnv gives every flag not set on the command line the value of its
// variable SMARTRADEXD_<FLAG> (upper case, dashes as underscores).
func applyEnv(cmd *cobra.Command, getenv func(string) string) error {
	var err error
	set := func(f *pflag.Flag) {
		if err != nil || f.Changed || f.Name == "help" {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if e := cmd.Flags().Set(f.Name, v); e != nil {
				err = usagef("%s: %v", name, e)
			}
		}
	}
	cmd.Flags().VisitAll(set)
	return err
}

func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "smartradexd",
		Short: "The SmartradeX key service",
		Long: `smartradexd serves the SmartradeX key service's API (docs/service-api.md) and
administers its database. Every flag can also be set with the environment
variable SMARTRADEXD_<FLAG>, e.g. SMARTRADEXD_DB for --db.

Exit codes: 0 done, 1 failed, 2 usage error, 3 vault-key reseal left keys
not sealed to the current vault key.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newServeCmd(e), newMigrateCmd(e), newVaultKeyCmd(e), newAdminCmd(e))
	return root
}

// exactArgs is cobra.ExactArgs with a usage error naming the arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	if len(names) == 0 {
		return noArgs
	}
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			return usagef("%s takes %d argument(s): %s", cmd.CommandPath(), len(names), strings.Join(names, " "))
		}
		return nil
	}
}

// noArgs refuses any positional argument.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 0 {
		return usagef("%s takes no argument, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// group is a command that only holds others: run bare, it is a usage error.
func group(use, short string, children ...*cobra.Command) *cobra.Command {
	c := &cobra.Command{Use: use, Short: short, Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("%s needs a subcommand; see %s --help", cmd.CommandPath(), cmd.CommandPath())
		}}
	c.AddCommand(children...)
	return c
}
