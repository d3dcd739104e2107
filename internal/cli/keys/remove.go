package keys

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/state"
)

// RemoveOptions are the inputs of `keys remove`.
type RemoveOptions struct {
	Msg   cmdutil.Messages
	IO    *iostreams.IOStreams
	Index func() (*state.Index, error)
	// Confirm asks a yes/no question on the terminal.
	Confirm func(ctx context.Context, question string) (bool, error)
	// Remove runs the removal (enroll.Remove wired to this run's stores,
	// index and service client).
	Remove func(ctx context.Context, req enroll.RemoveRequest) (*enroll.RemoveResult, error)

	Bot              string
	Yes              bool
	JSON             bool
	KeepRegistration bool // --keep-registration: leave the service alone
	Force            bool // --force: remove locally even if the service could not be told
}

// NewCmdRemove builds `keys remove`; runF replaces the run function in tests.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{IO: f.IO, Index: f.Index}
	opts.Confirm = func(ctx context.Context, q string) (bool, error) {
		return f.Prompter().Confirm(ctx, q, "", f.T("keys.remove.confirm_yes"), f.T("keys.remove.confirm_no"), false)
	}
	opts.Remove = func(ctx context.Context, req enroll.RemoveRequest) (*enroll.RemoveResult, error) {
		d, err := enrollDeps(newCmdEnv(f), false)
		if err != nil {
			return nil, err
		}
		return enroll.Remove(ctx, d, req)
	}
	cmd := &cobra.Command{
		Use:     "remove --bot BOT [--yes] [--keep-registration] [--force]",
		Aliases: []string{"rm"},
		Short:   f.T("keys.remove.short"),
		Long:    f.T("keys.remove.long") + "\n\n" + f.T("keys.remove.long_service"),
		Example: "  smartradex keys remove --bot btc-spot\n  smartradex keys remove --bot btc-spot --yes --json\n  smartradex keys remove --bot btc-spot --keep-registration",
		RunE: cmdutil.RunE(opts, runF, removeRun, func() error {
			opts.JSON, opts.Msg = f.Globals.JSON, f.Messages()
			return cmdutil.CheckStore(f)
		}),
	}
	cmd.Flags().StringVar(&opts.Bot, "bot", "", f.T("keys.remove.flag_bot"))
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, f.T("keys.remove.flag_yes"))
	cmd.Flags().BoolVar(&opts.KeepRegistration, "keep-registration", false, f.T("keys.remove.flag_keep_registration"))
	cmd.Flags().BoolVar(&opts.Force, "force", false, f.T("keys.remove.flag_force"))
	_ = cmd.RegisterFlagCompletionFunc("bot", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bots.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	f := opts.Msg
	bot := strings.ToLower(strings.TrimSpace(opts.Bot))
	if bot == "" {
		return cmdutil.UsageError("keys.remove.bot_required", i18n.M("keys.remove.bot_required"),
			i18n.M("keys.remove.bot_required_hint", strings.Join(bots.IDs(), ", ")))
	}
	ix, err := opts.Index()
	if err != nil {
		return err
	}
	snap, err := ix.Load()
	if err != nil {
		return err
	}
	if snap.Entries[bot] == nil {
		if b, ok := bots.Lookup(bot); ok {
			bot = b.ID // "btc", "BOT BTC Spot"
		}
	}
	entry := snap.Entries[bot]
	if entry == nil && snap.Intents[bot] == nil {
		if _, ok := bots.Lookup(bot); !ok {
			return cmdutil.UsageError("keys.unknown_bot", i18n.M("keys.remove.unknown_bot"),
				i18n.M("keys.remove.unknown_bot_hint", strings.Join(bots.IDs(), ", ")))
		}
		return cmdutil.UsageError("keys.no_key", i18n.M("keys.remove.no_key", bot), i18n.M("keys.remove.no_key_hint"))
	}

	if !opts.Yes && entry != nil {
		if !opts.IO.CanPrompt() {
			return cmdutil.UsageError("keys.remove.needs_yes", i18n.M("keys.remove.needs_yes", bot),
				i18n.M("keys.remove.needs_yes_hint", bot))
		}
		question := f.T("keys.remove.confirm", bot, redact.MaskKey(entry.APIKey), backendLabel(f, entry.Backend))
		if entry.AwaitingAPIKey() {
			question = f.T("keys.remove.confirm_generated", bot, backendLabel(f, entry.Backend))
		}
		ok, err := opts.Confirm(ctx, question)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Cancelled, "cancelled", i18n.M("error.cancelled"))
		}
	}

	res, err := opts.Remove(ctx, enroll.RemoveRequest{Bot: bot, KeepRegistration: opts.KeepRegistration, Force: opts.Force})
	if err != nil {
		return err
	}
	removed := res.Entry
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, map[string]any{
			"removed":      true,
			"bot":          bot,
			"api_key":      redact.MaskKey(removed.APIKey),
			"backend":      removed.Backend,
			"secret":       res.SecretState,
			"registration": res.Registration,
		})
	}
	if res.SecretState == "deleted" {
		f.Errf("keys.remove.done", bot, backendLabel(f, removed.Backend))
	} else {
		f.Errf("keys.remove.done_missing", bot, backendLabel(f, removed.Backend))
	}
	switch res.Registration {
	case enroll.RegDeleted:
		f.Errf("keys.remove.registration_deleted")
	case enroll.RegNotRegistered:
		if removed.AwaitingAPIKey() {
			f.Errf("keys.remove.registration_never", bot)
		} else {
			f.Errf("keys.remove.registration_none", bot)
		}
	case enroll.RegOtherKey:
		f.Errf("keys.remove.registration_other", bot, res.MaskedOther())
	case enroll.RegKept:
		f.Errf("keys.remove.registration_kept", bot)
	case enroll.RegStill:
		f.Errf("keys.remove.registration_still", bot, f.Render(errMessage(res.DeregErr)))
	}
	f.Errf("keys.remove.binance_hint")
	return nil
}

// errMessage is the catalogue message of err, or its text.
func errMessage(err error) i18n.Message {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return i18n.M("error.unexpected", err.Error())
}
