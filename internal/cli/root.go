// Package cli assembles smartradex's command tree and turns every outcome
// into one of the documented exit codes, in one place.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"slices"
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
	return run(ctx, f, args, newRootCmdFor)
}

// run is Run with the tree built by build (tests compare the tree a run
// needs with the whole one).
func run(ctx context.Context, f *cmdutil.Factory, args []string, build func(*cmdutil.Factory, []string) *cobra.Command) int {
	// The language must be known before the tree is built, because help
	// texts are rendered at construction.
	lang, langErr := i18n.Detect(preScanFlag(args, "lang"), f.Getenv)
	f.SetLang(lang)
	// The bot list comes from the service, asked only by a command that
	// uses it, with the built-in list as the fallback.
	bots.SetSource(f.ServiceBots)
	defer bots.SetSource(nil)
	root := build(f, args)
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

// newRootCmd builds the whole command tree without help flags: Run adds
// them only to the commands it may print (see addHelpFlagsFor).
func newRootCmd(f *cmdutil.Factory) *cobra.Command {
	root := newRootOnly(f)
	addEveryCommand(root, f)
	return root
}

// addEveryCommand adds the whole tree under root.
func addEveryCommand(root *cobra.Command, f *cmdutil.Factory) {
	for _, t := range topCommands() {
		root.AddCommand(t.build(f))
	}
	addCompletionCmd(root, f)
	finishTree(root, f)
}

// newRootCmdFor builds the tree a run with args needs: the top-level
// command args invoke whole, every other one as a stand-in that gives the
// root's help, suggestions and error messages what they read of it (see
// topCommand). Building the whole tree (thirty commands, their flags and
// their help texts) was about 0.1 ms of the 0.4 ms `smartradex version`
// took above the floor of docs/performance.md. When args do not tell
// safely which command runs (help, completion, shell completion, an
// unknown word or flag), or cobra would run another command than the one
// built whole, it is the whole tree, as NewRootCmd builds it.
func newRootCmdFor(f *cmdutil.Factory, args []string) *cobra.Command {
	root := newRootOnly(f)
	name, ok := invokedCommand(root, args)
	if !ok {
		addEveryCommand(root, f)
		addHelpFlagsFor(root, f, args)
		return root
	}
	var built *cobra.Command
	for _, t := range topCommands() {
		if t.use == name {
			built = t.build(f)
			root.AddCommand(built)
		} else {
			root.AddCommand(t.standIn(f))
		}
	}
	root.AddCommand(completionStandIn(f))
	finishTree(root, f)
	addHelpFlagsFor(root, f, args)
	// What cobra will run, found as cobra will find it (ExecuteC does this
	// Find on the same tree): the root itself, or under the command built
	// whole. Anything else (a stand-in, the help command) needs the whole
	// tree.
	c, _, err := root.Find(args)
	if err != nil {
		return wholeTreeFor(f, args)
	}
	for c.HasParent() && c.Parent() != root {
		c = c.Parent()
	}
	if c != root && c != built {
		return wholeTreeFor(f, args)
	}
	return root
}

// wholeTreeFor is the whole tree, with the help flags a run with args
// may print.
func wholeTreeFor(f *cmdutil.Factory, args []string) *cobra.Command {
	root := newRootCmd(f)
	addHelpFlagsFor(root, f, args)
	return root
}

// invokedCommand finds, before cobra parses args, the name of the
// top-level command they invoke: the first word that is neither a global
// flag nor the value of one (read from root's persistent flags, as cobra
// skips them), "" when there is none (the root runs; so after "--"). ok is
// false when it cannot be told safely: a word that is not a top-level
// command's name or alias (help, completion, shell completion's
// __complete, a misspelling) or a flag that is not a global one.
func invokedCommand(root *cobra.Command, args []string) (name string, ok bool) {
	global := root.PersistentFlags()
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return "", true
		case a == "-h":
			// The root's help flag (added by addHelpFlagsFor); which
			// command runs is checked with cobra's own Find afterwards.
		case strings.HasPrefix(a, "--"):
			flagName, _, hasValue := strings.Cut(a[2:], "=")
			if flagName == "help" {
				continue
			}
			fl := global.Lookup(flagName)
			if fl == nil {
				return "", false
			}
			if !hasValue && fl.NoOptDefVal == "" {
				i++ // its value
			}
		case a == "" || strings.HasPrefix(a, "-"):
			return "", false
		default:
			for _, t := range topCommands() {
				if a == t.use || slices.Contains(t.aliases, a) {
					return t.use, true
				}
			}
			return "", false
		}
	}
	return "", true
}

// newRootOnly is the root command with its flags, and no command under it.
func newRootOnly(f *cmdutil.Factory) *cobra.Command {
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
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// pflag's own text quotes the value given, which may be a secret
		// (--secret-stdin=SECRET): the message is rebuilt from the kind of
		// error, and the cause is not kept.
		return apperr.New(apperr.Usage, "usage.flag", flagErrorMessage(err), i18n.M("error.usage_hint", cmd.CommandPath()))
	})
	return root
}

// finishTree does what every command under root needs once they are all
// added: the vault key flag, the argument checks, the help command and
// the usage text in the user's language.
func finishTree(root *cobra.Command, f *cmdutil.Factory) {
	addVaultKeyFlag(root, f)
	wrapArgs(root)
	localizeHelp(root, f)
}

// topCommand is a command under the root. build makes it whole; the
// other fields are what standIn copies: all the root reads of a command
// that does not run (its help lists the name and Short of the runnable
// ones, and the help topics; suggestions read the names, aliases and
// SuggestFor of the runnable ones). TestStandInsMatch checks them against
// build's.
type topCommand struct {
	use        string
	short      string // the catalogue key of Short
	aliases    []string
	suggestFor []string
	groupID    string
	hidden     bool
	topic      bool // a help topic: it only has a Long, and does not run
	instant    bool // see instantAnnotation
	build      func(*cmdutil.Factory) *cobra.Command
}

// topCommands are the commands under the root, except help and
// completion (cobra's, localised).
func topCommands() []topCommand {
	return []topCommand{
		{use: "keys", short: "keys.short", build: keys.NewCmdKeys},
		{use: "auth", short: "auth.short", build: auth.NewCmdAuth},
		{use: "doctor", short: "doctor.short", build: func(f *cmdutil.Factory) *cobra.Command { return doctor.NewCmdDoctor(f, nil) }},
		{use: "version", short: "version.short", instant: true, build: newVersionCmd},
		{use: "bots", short: "bots.short", instant: true, build: newBotsCmd},
		{use: "exit-codes", short: "help.exit_codes.short", topic: true, build: newExitCodesTopic},
		{use: "environment", short: "help.environment.short", topic: true, build: newEnvironmentTopic},
	}
}

// standIn is t without its subcommands, flags, help texts or work.
func (t topCommand) standIn(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{Use: t.use, Short: f.T(t.short), Aliases: t.aliases, SuggestFor: t.suggestFor, GroupID: t.groupID, Hidden: t.hidden}
	if !t.topic {
		c.RunE = standInRunE
	}
	if t.instant {
		setInstant(c)
	}
	return c
}

// completionStandIn stands in for the completion command (see
// addCompletionCmd); cobra adds its own only when there is none.
func completionStandIn(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{Use: "completion", Short: f.T("completion.short"), RunE: standInRunE}
	setInstant(c)
	return c
}

// standInRunE makes a stand-in runnable, as the command it stands in for
// is, so that the root lists it among the available commands. It never
// runs: newRootCmdFor builds the whole tree when cobra would run it.
func standInRunE(c *cobra.Command, _ []string) error {
	return fmt.Errorf("internal error: %s was not built", c.CommandPath())
}

// addCompletionCmd adds cobra's completion command, in the user's
// language.
func addCompletionCmd(root *cobra.Command, f *cmdutil.Factory) {
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
}

// vaultKeyCommands are the commands that may register a key, or (auth
// login) settle which vault key is trusted.
var vaultKeyCommands = [][2]string{{"auth", "login"}, {"keys", "add"}, {"keys", "rotate"}, {"keys", "sync"}, {"keys", "generate"}}

// addVaultKeyFlag gives --accept-vault-key to the commands that register
// a key. Its value is a key ID, public, never a secret.
// A command under a stand-in (see topCommand) is not there: nothing is
// added. The commands are looked up by name, not with Find, which would
// copy the global flags into every command on the way.
func addVaultKeyFlag(root *cobra.Command, f *cmdutil.Factory) {
	for _, path := range vaultKeyCommands {
		if c := subcommand(subcommand(root, path[0]), path[1]); c != nil {
			c.Flags().Var(cmdutil.VaultKeyIDValue{Target: &f.Globals.AcceptVaultKey}, "accept-vault-key", f.T("service.flag_accept_vault_key"))
		}
	}
}

// subcommand is the command named name under c, or nil (also when c is).
func subcommand(c *cobra.Command, name string) *cobra.Command {
	if c == nil {
		return nil
	}
	for _, sub := range c.Commands() {
		if sub.Name() == name {
			return sub
		}
	}
	return nil
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
