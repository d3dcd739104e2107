package keys

import (
	"context"
	"errors"
	"strings"

	"github.com/charmbracelet/huh"
	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// RemoveOptions are the inputs of `keys remove`.
type RemoveOptions struct {
	F     *cmdutil.Factory
	IO    *iostreams.IOStreams
	Index func() (*state.Index, error)
	Store func(backend string) (secrets.Store, error)
	// Confirm asks a yes/no question on the terminal.
	Confirm func(ctx context.Context, question string) (bool, error)
	// Deregister withdraws the bot's key from the SmartradeX service before
	// anything is deleted locally; nil skips that step. The service
	// integration sets it.
	Deregister func(ctx context.Context, bot string) error

	Bot  string
	Yes  bool
	JSON bool
}

// NewCmdRemove builds `keys remove`; runF replaces the run function in tests.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{F: f, IO: f.IO, Index: f.Index, Store: f.SecretStoreFor}
	opts.Confirm = func(ctx context.Context, q string) (bool, error) { return huhConfirm(ctx, f, q) }
	cmd := &cobra.Command{
		Use:     "remove --bot BOT [--yes]",
		Aliases: []string{"rm"},
		Short:   f.T("keys.remove.short"),
		Long:    f.T("keys.remove.long"),
		Example: "  smartradex keys remove --bot btc-spot\n  smartradex keys remove --bot btc-spot --yes --json",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.Globals.JSON
			// A misspelt --keyring, SMARTRADEX_KEYRING or
			// SMARTRADEX_KEYRING_TIMEOUT is reported even when this run
			// would not need the store. Building it does no I/O.
			if _, err := f.SecretStore(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return removeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Bot, "bot", "", f.T("keys.remove.flag_bot"))
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, f.T("keys.remove.flag_yes"))
	_ = cmd.RegisterFlagCompletionFunc("bot", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bots.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func removeRun(ctx context.Context, opts *RemoveOptions) error {
	f := opts.F
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
	entry := snap.Entries[bot]
	if entry == nil {
		if _, ok := bots.Lookup(bot); !ok {
			return cmdutil.UsageError("keys.unknown_bot", i18n.M("keys.remove.unknown_bot", bot),
				i18n.M("keys.remove.unknown_bot_hint", strings.Join(bots.IDs(), ", ")))
		}
		return cmdutil.UsageError("keys.no_key", i18n.M("keys.remove.no_key", bot), i18n.M("keys.remove.no_key_hint"))
	}

	if !opts.Yes {
		if !opts.IO.CanPrompt() {
			return cmdutil.UsageError("keys.remove.needs_yes", i18n.M("keys.remove.needs_yes", bot),
				i18n.M("keys.remove.needs_yes_hint", bot))
		}
		ok, err := opts.Confirm(ctx, f.T("keys.remove.confirm", bot, redact.MaskKey(entry.APIKey), backendLabel(f, entry.Backend)))
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Cancelled, "cancelled", i18n.M("error.cancelled"))
		}
	}

	if opts.Deregister != nil {
		if err := opts.Deregister(ctx, bot); err != nil {
			return err
		}
	}

	store, err := opts.Store(entry.Backend)
	if err != nil {
		return err
	}
	// A rotation left half-way keeps its new secret under another name.
	if err := store.Delete(ctx, secrets.BotNextSecretName(bot)); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return err
	}
	secretState := "deleted"
	if err := store.Delete(ctx, entry.SecretName); err != nil {
		if !errors.Is(err, secrets.ErrNotFound) {
			return err
		}
		secretState = "already_missing"
	}
	// The secret goes first: a crash here leaves an entry that `keys list`
	// shows as "secret missing" and that `keys remove` finishes.
	err = ix.Update(ctx, func(s *state.Snapshot) error {
		// Leave alone an entry that another command replaced meanwhile.
		if cur := s.Entries[bot]; cur != nil && cur.APIKey == entry.APIKey && cur.CreatedAt.Equal(entry.CreatedAt) {
			delete(s.Entries, bot)
		}
		return nil
	})
	if err != nil {
		return err
	}

	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, map[string]any{
			"removed": true,
			"bot":     bot,
			"api_key": redact.MaskKey(entry.APIKey),
			"backend": entry.Backend,
			"secret":  secretState,
		})
	}
	if secretState == "deleted" {
		f.Errf("keys.remove.done", bot, backendLabel(f, entry.Backend))
	} else {
		f.Errf("keys.remove.done_missing", bot, backendLabel(f, entry.Backend))
	}
	f.Errf("keys.remove.binance_hint")
	return nil
}

func huhConfirm(ctx context.Context, f *cmdutil.Factory, question string) (bool, error) {
	var ok bool
	err := huh.NewForm(huh.NewGroup(huh.NewConfirm().Title(question).
		Affirmative(f.T("keys.remove.confirm_yes")).Negative(f.T("keys.remove.confirm_no")).Value(&ok))).
		WithInput(f.IO.In).WithOutput(f.IO.ErrOut).
		WithAccessible(f.Env("SMARTRADEX_ACCESSIBLE") == "1" || f.Env("ACCESSIBLE") == "1").
		RunWithContext(ctx)
	if errors.Is(err, huh.ErrUserAborted) || errors.Is(err, context.Canceled) {
		return false, apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("error.cancelled"))
	}
	return ok, err
}
