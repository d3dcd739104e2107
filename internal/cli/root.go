// Package cli assembles smartradex's command tree and turns every outcome
// into one of the documented exit codes, in one place.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/auth"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/cli/doctor"
	"github.com/smartradex/smartradex/internal/cli/keys"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// Main runs smartradex with the process's arguments and environment and
// returns the exit code.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	getenv := takeSecretEnv()
	f := cmdutil.New(iostreams.System(getenv), getenv)
	f.WatchInterrupts = sync.OnceFunc(func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		go func() {
			<-sig
			cancel()
		}()
	})
	return Run(ctx, f, os.Args[1:])
}

// instantAnnotation marks the commands that only print (version, bots,
// help, completion): they leave Ctrl-C to its default, ending the process
// at once. Watching for signals takes a thread of its own, whose start
// would be most of their run time.
const instantAnnotation = "smartradex.instant"

func setInstant(c *cobra.Command) {
	if c.Annotations == nil {
		c.Annotations = map[string]string{}
	}
	c.Annotations[instantAnnotation] = "true"
}

func isInstant(c *cobra.Command) bool {
	for ; c != nil; c = c.Parent() {
		if c.Annotations[instantAnnotation] == "true" {
			return true
		}
	}
	return false
}

// Run executes args against a fresh command tree and returns the exit code.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	// The language must be known before the tree is built, because help
	// texts are rendered at construction.
	lang, langErr := i18n.Detect(preScanFlag(args, "lang"), f.Getenv)
	f.SetLang(lang)
	// The bot list comes from the service, asked only by a command that
	// uses it, with the built-in list as the fallback.
	bots.SetSource(f.ServiceBots)
	defer bots.SetSource(nil)
	root := newRootCmd(f)
	addHelpFlagsFor(root, f, args)
	// A usage error may stop parsing before --json is reached; it must
	// still be reported as JSON. (Defining the flag reset the value.)
	if preScanBool(args, "json") {
		f.Globals.JSON = true
	}
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)

	var err error
	if langErr != nil {
		err = apperr.New(apperr.Usage, "usage.lang", i18n.M("error.bad_lang"), i18n.M("error.bad_lang_hint"))
	} else {
		_, err = root.ExecuteContextC(ctx)
	}
	f.Finish()
	if err == nil {
		return 0
	}
	if ctx.Err() != nil && apperr.KindOf(err) != apperr.Cancelled {
		err = apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("error.cancelled"))
	}
	return f.ReportError(err)
}

// preScanFlag finds --name VALUE or --name=VALUE before cobra parses.
func preScanFlag(args []string, name string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// preScanBool finds --name or --name=BOOL before cobra parses; the last
// one wins, as when pflag parses them.
func preScanBool(args []string, name string) bool {
	on := false
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+name {
			on = true
		} else if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			if b, err := strconv.ParseBool(v); err == nil {
				on = b
			}
		}
	}
	return on
}

// NewRootCmd builds the whole command tree, every command with its help
// flag described in the user's language (as the docs show them).
func NewRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := newRootCmd(f)
	addHelpFlags(root, f)
	return root
}

// newRootCmd builds the command tree without help flags: Run adds them
// only to the commands it may print (see addHelpFlagsFor).
func newRootCmd(f *cmdutil.Factory) *cobra.Command {
	g := f.Globals
	root := &cobra.Command{
		Use:           "smartradex",
		Short:         f.T("root.short"),
		Long:          f.T("root.long"),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          cmdutil.GroupRunE,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			// Decided once, from the parsed flags, before the command runs.
			f.ResolveSandbox()
			if f.WatchInterrupts != nil && !isInstant(cmd) {
				f.WatchInterrupts()
			}
			f.IO.SetNeverPrompt(g.NoInput || !f.IO.IsStdinTTY())
			guidedScreens := cmd.Annotations[cmdutil.AnnotationLabelsScreens] == "true" && f.IO.CanPrompt()
			if f.SandboxOn() && !guidedScreens {
				// Every run in the sandbox says so, whatever the command.
				fmt.Fprintln(f.IO.ErrOut, cmdutil.SandboxLabel(f.Lang(), true)+" "+f.T("sandbox.banner"))
			}
			return nil
		},
	}
	root.CompletionOptions.HiddenDefaultCmd = false
	pf := root.PersistentFlags()
	pf.BoolVar(&g.JSON, "json", false, f.T("flag.json"))
	pf.BoolVar(&g.NoInput, "no-input", false, f.T("flag.no_input"))
	pf.StringVar(&g.Lang, "lang", "", f.T("flag.lang"))
	pf.BoolVar(&g.Debug, "debug", false, f.T("flag.debug"))
	pf.StringVar(&g.ConfigDir, "config-dir", "", f.T("state.flag_config_dir"))
	pf.StringVar(&g.Keyring, "keyring", "", f.T("secrets.flag_keyring"))
	pf.StringVar(&g.BinanceURL, "binance-url", "", f.T("flag.binance_url"))
	pf.StringVar(&g.ServiceURL, "service-url", "", f.T("auth.flag_service_url"))
	pf.BoolVar(&g.Sandbox, "sandbox", false, f.T("sandbox.flag"))

	root.AddCommand(
		keys.NewCmdKeys(f),
		auth.NewCmdAuth(f),
		doctor.NewCmdDoctor(f, nil),
		newVersionCmd(f),
		newBotsCmd(f),
		newExitCodesTopic(f),
		newEnvironmentTopic(f),
	)
	addVaultKeyFlag(root, f)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Short = f.T("completion.short")
			c.Long = f.T("completion.long")
			// Cobra's completion command only shows its help, even for an
			// unknown shell, and exits 0.
			c.Args = cobra.ArbitraryArgs
			c.RunE = cmdutil.GroupRunE
			for _, sh := range c.Commands() {
				sh.Short = f.T("completion.shell_short", sh.Name())
			}
			setInstant(c)
		}
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// pflag's own text quotes the value given, which may be a secret
		// (--secret-stdin=SECRET): the message is rebuilt from the kind of
		// error, and the cause is not kept.
		return apperr.New(apperr.Usage, "usage.flag", flagErrorMessage(err), i18n.M("error.usage_hint", cmd.CommandPath()))
	})
	wrapArgs(root)
	localizeHelp(root, f)
	return root
}

// vaultKeyCommands are the commands that may register a key, or (auth
// login) settle which vault key is trusted.
var vaultKeyCommands = []string{"auth login", "keys add", "keys rotate", "keys sync", "keys generate"}

// addVaultKeyFlag gives --accept-vault-key to the commands that register
// a key. Its value is a key ID, public, never a secret.
func addVaultKeyFlag(root *cobra.Command, f *cmdutil.Factory) {
	for _, path := range vaultKeyCommands {
		if c, _, err := root.Find(strings.Fields(path)); err == nil && c != root {
			c.Flags().Var(cmdutil.VaultKeyIDValue{Target: &f.Globals.AcceptVaultKey}, "accept-vault-key", f.T("service.flag_accept_vault_key"))
		}
	}
}

// wrapArgs gives every command an argument validator (none means no
// positional arguments) whose failures are usage errors. The arguments
// are counted, never quoted: a secret pasted as an argument must not be
// printed back.
func wrapArgs(cmd *cobra.Command) {
	validate, none := cmd.Args, cmd.Args == nil
	if none {
		validate = cobra.NoArgs
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		if err := validate(c, args); err != nil {
			msg := i18n.M("error.args_invalid", c.CommandPath(), len(args))
			if none {
				msg = i18n.M("error.args_none", c.CommandPath(), len(args))
			}
			hints := []i18n.Message{i18n.M("error.usage_hint", c.CommandPath())}
			// "keys remove eth-spot": the bot was given as an argument.
			if fl := c.Flags().Lookup("bot"); fl != nil && !fl.Changed && len(args) == 1 {
				if b, ok := bots.LookupBuiltin(args[0]); ok {
					hints = append([]i18n.Message{i18n.M("error.use_bot_flag", b.ID)}, hints...)
				}
			}
			return apperr.New(apperr.Usage, "usage.args", msg, hints...)
		}
		return nil
	}
	for _, c := range cmd.Commands() {
		wrapArgs(c)
	}
}

// flagErrorMessage says what is wrong with the flags in the user's
// language, naming the flag but never the value given.
func flagErrorMessage(err error) i18n.Message {
	var (
		notExist *pflag.NotExistError
		needs    *pflag.ValueRequiredError
		invalid  *pflag.InvalidValueError
		syntax   *pflag.InvalidSyntaxError
	)
	switch {
	case errors.As(err, &notExist):
		// "-xyz" is parsed as the shorthands x, y, z: the group, not only
		// its first letter, decides whether it may be quoted.
		if group := notExist.GetSpecifiedShortnames(); group != "" {
			if len(group) == 1 && cmdutil.PlausibleWord(group) {
				return i18n.M("error.unknown_flag", "-"+group)
			}
			return i18n.M("error.unknown_flag_hidden")
		}
		if name := notExist.GetSpecifiedName(); cmdutil.PlausibleWord(name) {
			return i18n.M("error.unknown_flag", "--"+name)
		}
		return i18n.M("error.unknown_flag_hidden")
	case errors.As(err, &needs) && needs.GetFlag() != nil:
		return i18n.M("error.flag_needs_value", "--"+needs.GetFlag().Name)
	case errors.As(err, &invalid) && invalid.GetFlag() != nil:
		fl := invalid.GetFlag()
		if fl.Value.Type() == "bool" {
			return i18n.M("error.flag_takes_no_value", "--"+fl.Name, "--"+fl.Name)
		}
		return i18n.M("error.flag_bad_value", "--"+fl.Name, fl.Value.Type())
	case errors.As(err, &syntax):
		return i18n.M("error.flag_bad_syntax")
	}
	return i18n.M("error.flag_invalid")
}
