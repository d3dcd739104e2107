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
	"github.com/smartradex/smartradex/internal/service"
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
	// Deregister withdraws the bot's key apiKey from the SmartradeX service
	// before anything is deleted locally, and returns an *otherKeyError when
	// the service holds another key for the bot; nil skips that step. The
	// service integration sets it.
	Deregister func(ctx context.Context, bot, apiKey string) error

	Bot              string
	Yes              bool
	JSON             bool
	KeepRegistration bool // --keep-registration: leave the service alone
	Force            bool // --force: remove locally even if the service could not be told
}

// Registration outcomes of `keys remove`, as in its --json output.
const (
	regDeleted       = "deleted"          // the service deleted it
	regNotRegistered = "not_registered"   // the service held none (404), or the key never had an API key
	regOtherKey      = "other_key"        // the service holds another key for the bot: left alone
	regKept          = "kept"             // --keep-registration
	regStill         = "still_registered" // the service could not be told; --force went on
)

// NewCmdRemove builds `keys remove`; runF replaces the run function in tests.
func NewCmdRemove(f *cmdutil.Factory, runF func(context.Context, *RemoveOptions) error) *cobra.Command {
	opts := &RemoveOptions{F: f, IO: f.IO, Index: f.Index, Store: f.SecretStoreFor}
	opts.Confirm = func(ctx context.Context, q string) (bool, error) { return huhConfirm(ctx, f, q) }
	deregister := func(ctx context.Context, bot, apiKey string) error {
		c, err := f.Service(ctx)
		if err != nil {
			return err
		}
		return deregisterKey(ctx, c, bot, apiKey)
	}
	cmd := &cobra.Command{
		Use:     "remove --bot BOT [--yes] [--keep-registration] [--force]",
		Aliases: []string{"rm"},
		Short:   f.T("keys.remove.short"),
		Long:    f.T("keys.remove.long") + "\n\n" + f.T("keys.remove.long_service"),
		Example: "  smartradex keys remove --bot btc-spot\n  smartradex keys remove --bot btc-spot --yes --json\n  smartradex keys remove --bot btc-spot --keep-registration",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.Globals.JSON
			opts.Deregister = deregister
			if opts.KeepRegistration {
				opts.Deregister = nil
			}
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
	cmd.Flags().BoolVar(&opts.KeepRegistration, "keep-registration", false, f.T("keys.remove.flag_keep_registration"))
	cmd.Flags().BoolVar(&opts.Force, "force", false, f.T("keys.remove.flag_force"))
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
			return cmdutil.UsageError("keys.unknown_bot", i18n.M("keys.remove.unknown_bot"),
				i18n.M("keys.remove.unknown_bot_hint", strings.Join(bots.IDs(), ", ")))
		}
		return cmdutil.UsageError("keys.no_key", i18n.M("keys.remove.no_key", bot), i18n.M("keys.remove.no_key_hint"))
	}

	if !opts.Yes {
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

	store, err := opts.Store(entry.Backend)
	if err != nil {
		return err
	}
	// Reaching the store before the service is told (the file's passphrase,
	// a locked or absent keyring) keeps a removal that cannot finish from
	// deleting the registration alone.
	if _, err := store.Get(ctx, entry.SecretName); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return err
	}

	// The service is told first: a key removed here but still registered
	// there would keep trading with nobody able to see it from this tool.
	registration := regKept
	var deregErr error
	var other *otherKeyError
	switch {
	case entry.AwaitingAPIKey():
		// A generated key that never had an API key was never registered:
		// whatever the service holds for the bot is not this key.
		registration = regNotRegistered
	case opts.Deregister != nil:
		err := opts.Deregister(ctx, bot, entry.APIKey)
		switch {
		case err == nil:
			registration = regDeleted
		case errors.As(err, &other):
			registration = regOtherKey
		case errors.Is(err, service.ErrNotFound):
			registration = regNotRegistered
		case apperr.KindOf(err) == apperr.Cancelled:
			return err
		case opts.Force:
			registration, deregErr = regStill, err
		default:
			return deregisterFailed(bot, err)
		}
	}

	// A rotation left half-way keeps its new secret under another name, and
	// a key pair made by keys generate its private key under a third.
	for _, name := range []string{secrets.BotNextSecretName(bot), secrets.BotGeneratedSecretName(bot)} {
		if name == entry.SecretName {
			continue
		}
		if err := store.Delete(ctx, name); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return err
		}
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
			"removed":      true,
			"bot":          bot,
			"api_key":      redact.MaskKey(entry.APIKey),
			"backend":      entry.Backend,
			"secret":       secretState,
			"registration": registration,
		})
	}
	if secretState == "deleted" {
		f.Errf("keys.remove.done", bot, backendLabel(f, entry.Backend))
	} else {
		f.Errf("keys.remove.done_missing", bot, backendLabel(f, entry.Backend))
	}
	switch registration {
	case regDeleted:
		f.Errf("keys.remove.registration_deleted")
	case regNotRegistered:
		if entry.AwaitingAPIKey() {
			f.Errf("keys.remove.registration_never", bot)
		} else {
			f.Errf("keys.remove.registration_none", bot)
		}
	case regOtherKey:
		f.Errf("keys.remove.registration_other", bot, redact.MaskKey(other.APIKey))
	case regKept:
		f.Errf("keys.remove.registration_kept", bot)
	case regStill:
		f.Errf("keys.remove.registration_still", bot, f.Render(errMessage(deregErr)))
	}
	f.Errf("keys.remove.binance_hint")
	return nil
}

// registrar is the part of the service client keys remove needs.
type registrar interface {
	GetKey(ctx context.Context, bot string) (*service.Registration, error)
	DeleteKey(ctx context.Context, bot string) error
}

// otherKeyError says that the service holds, for the bot, another key than
// the one being removed (APIKey, public): it was left alone.
type otherKeyError struct{ APIKey string }

func (e *otherKeyError) Error() string {
	return "the service holds another key for the bot: " + redact.MaskKey(e.APIKey)
}

// deregisterKey deletes bot's registration only if it is apiKey. The
// service keeps one key per bot and account, whichever computer or config
// directory registered it: deleting blindly would stop the bot trading
// with a key added elsewhere. The check costs a GET before the DELETE.
func deregisterKey(ctx context.Context, c registrar, bot, apiKey string) error {
	reg, err := c.GetKey(ctx, bot)
	if err != nil {
		return err
	}
	if reg.APIKey != apiKey {
		return &otherKeyError{APIKey: reg.APIKey}
	}
	return c.DeleteKey(ctx, bot)
}

// deregisterFailed says that nothing was removed because the service could
// not be told, keeping the cause's exit code (5 unreachable, 4 not logged
// in or token refused) and its hints, and offering --force.
func deregisterFailed(bot string, err error) error {
	kind := apperr.KindOf(err)
	code := "keys.remove.deregister_failed"
	var hints []i18n.Message
	var e *apperr.Error
	if errors.As(err, &e) {
		code = e.Code
		hints = append(hints, e.Hints...)
	}
	hints = append(hints, i18n.M("keys.remove.force_hint", bot), i18n.M("keys.remove.keep_hint", bot))
	return apperr.Wrap(kind, code, errors.Unwrap(err), i18n.M("keys.remove.deregister_failed", bot, errMessage(err)), hints...)
}

// errMessage is the catalogue message of err, or its text.
func errMessage(err error) i18n.Message {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return i18n.M("error.unexpected", err.Error())
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
