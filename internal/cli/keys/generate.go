package keys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/onboard"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// ContinueFunc carries a generated key on, once Binance has shown its API
// key, exactly as `keys add --use-generated` does: check, store, register.
// replace is true when the bot already has a key in force.
type ContinueFunc func(ctx context.Context, o *GenerateOptions, bot bots.Bot, apiKey string, replace bool) error

// GenerateOptions are the inputs of `keys generate`.
type GenerateOptions struct {
	IO      *iostreams.IOStreams
	Msg     cmdutil.Messages
	Index   func() (*state.Index, error)
	Store   func(backend string) (secrets.Store, error)
	Backend func() (string, error) // the selected store, for a bot with no entry
	// Prompter asks every question, here and in the keys add flow that
	// follows (tests pass a *prompt.Fake).
	Prompter prompt.Prompter
	Rand     io.Reader // nil: crypto/rand
	Now      func() time.Time
	Continue ContinueFunc
	// SandboxBinance, set in the sandbox only, plays Binance's "Create
	// API" › "Self-generated" for a public key, so that a generated key
	// can be finished there.
	SandboxBinance func(publicPEM string) (apiKey string, err error)

	Bot     string
	APIKey  string
	Replace bool
	Show    bool
	JSON    bool
}

// NewCmdGenerate builds `keys generate`; runF replaces the run function in tests.
func NewCmdGenerate(f *cmdutil.Factory, runF func(context.Context, *GenerateOptions) error) *cobra.Command {
	opts := &GenerateOptions{
		IO: f.IO, Index: f.Index, Store: f.SecretStoreFor, Backend: f.KeyringBackend, Now: f.Now,
		Continue: continueGenerated(f),
	}
	cmd := &cobra.Command{
		Use:     "generate --bot BOT [--api-key KEY] [--replace] [--show]",
		Short:   f.T("keys.generate.short"),
		Long:    f.T("keys.generate.long"),
		Example: "  smartradex keys generate --bot btc-spot\n  smartradex keys generate --bot btc-spot --json\n  smartradex keys generate --bot btc-spot --show\n  smartradex keys add --bot btc-spot --api-key KEY --use-generated",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Msg = f.Globals.JSON, f.Messages()
			if opts.Prompter == nil {
				opts.Prompter = f.Prompter()
			}
			if _, err := f.SecretStore(); err != nil {
				return err
			}
			if f.SandboxOn() && opts.SandboxBinance == nil {
				opts.SandboxBinance = func(publicPEM string) (string, error) {
					sb, err := f.Sandbox()
					if err != nil {
						return "", err
					}
					return sb.CreateSelfGeneratedKey(publicPEM)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return generateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Bot, "bot", "", f.T("keys.generate.flag_bot"))
	cmd.Flags().StringVar(&opts.APIKey, "api-key", "", f.T("keys.generate.flag_api_key"))
	cmd.Flags().BoolVar(&opts.Replace, "replace", false, f.T("keys.generate.flag_replace"))
	cmd.Flags().BoolVar(&opts.Show, "show", false, f.T("keys.generate.flag_show"))
	_ = cmd.RegisterFlagCompletionFunc("bot", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bots.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// continueGenerated carries a generated key on once Binance has shown its
// API key: it is `keys add --use-generated` (with --replace when the bot
// has a key in force), so the key is checked, stored, registered and
// reported exactly as keys add does.
func continueGenerated(f *cmdutil.Factory) ContinueFunc {
	return func(ctx context.Context, o *GenerateOptions, bot bots.Bot, apiKey string, replace bool) error {
		return addRun(ctx, &AddOptions{
			Env: newCmdEnv(f), IO: o.IO, Prompter: o.Prompter,
			Bot: bot.ID, APIKey: apiKey, UseGenerated: true, Replace: replace, JSON: o.JSON,
		})
	}
}

// generateJSON is the --json result of a new key pair.
type generateJSON struct {
	Bot          string `json:"bot"`
	PublicKeyPEM string `json:"public_key_pem"`
	KeyType      string `json:"key_type"`
	Status       string `json:"status"`
	Next         string `json:"next"`
}

func generateRun(ctx context.Context, o *GenerateOptions) error {
	f := o.Msg
	id := strings.ToLower(strings.TrimSpace(o.Bot))
	if id == "" {
		return cmdutil.UsageError("keys.generate.bot_required", i18n.M("keys.generate.bot_required"),
			i18n.M("keys.generate.bot_required_hint", strings.Join(bots.IDs(), ", ")))
	}
	bot, ok := bots.Lookup(id)
	if !ok {
		return cmdutil.UsageError("keys.unknown_bot", i18n.M("keys.generate.unknown_bot"),
			i18n.M("keys.generate.bot_required_hint", strings.Join(bots.IDs(), ", ")))
	}
	ix, err := o.Index()
	if err != nil {
		return err
	}
	snap, err := ix.Load()
	if err != nil {
		return err
	}
	entry := snap.Entries[bot.ID]
	if o.Show {
		if o.Replace || strings.TrimSpace(o.APIKey) != "" {
			return cmdutil.UsageError("keys.generate.show_alone", i18n.M("keys.generate.show_alone"),
				i18n.M("keys.generate.show_hint", bot.ID))
		}
		return showGenerated(ctx, o, bot, entry)
	}
	if strings.TrimSpace(o.APIKey) != "" {
		return resumeGenerated(ctx, o, bot, entry, o.APIKey)
	}

	active := entry != nil && entry.APIKey != ""
	if entry != nil && entry.GeneratedAt != nil && !o.Replace {
		if !o.IO.CanPrompt() {
			return cmdutil.UsageError("keys.generate.pending_exists",
				i18n.M("keys.generate.pending_exists", bot.ID, entry.GeneratedAt.Local().Format("2006-01-02 15:04")),
				i18n.M("keys.generate.pending_finish_hint", state.FinishGeneratedCommand(bot.ID, active)),
				i18n.M("keys.generate.show_hint", bot.ID),
				i18n.M("keys.generate.pending_replace_hint", bot.ID))
		}
		yes, err := o.Prompter.Confirm(ctx, f.T("keys.generate.confirm_replace", bot.ID, entry.GeneratedAt.Local().Format("2006-01-02 15:04")),
			f.T("keys.generate.confirm_replace_desc", bot.ID), "", "", false)
		if err != nil {
			return err
		}
		if !yes {
			return apperr.New(apperr.Cancelled, "cancelled", i18n.M("error.cancelled"))
		}
	} else if active && !o.Replace {
		return cmdutil.UsageError("keys.generate.active_exists", i18n.M("keys.generate.active_exists", bot.ID, redact.MaskKey(entry.APIKey)),
			i18n.M("keys.generate.active_replace_hint", bot.ID))
	}

	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	pair, backend, err := keygen.Make(ctx, ix, entry, bot.ID, o.Store, o.Backend, o.Rand, now)
	f.AddSecret(pair.PrivatePEM)
	if err != nil {
		return err
	}
	return offerGenerated(ctx, o, bot, i18n.M("keys.generate.made", bot.ID, backendLabel(f, backend)), pair, active)
}

// showGenerated shows again the public key of bot's generated key that
// waits for its API key, derived from the stored private key, and carries
// on as generate does.
func showGenerated(ctx context.Context, o *GenerateOptions, bot bots.Bot, entry *state.Entry) error {
	if entry == nil || entry.GeneratedAt == nil {
		return cmdutil.UsageError("keys.generate.none_pending", i18n.M("keys.generate.none_pending", bot.ID),
			i18n.M("keys.generate.none_pending_hint", bot.ID))
	}
	pair, err := keygen.Pending(ctx, entry, bot.ID, o.Store)
	o.Msg.AddSecret(pair.PrivatePEM)
	if errors.Is(err, secrets.ErrNotFound) {
		return apperr.New(apperr.Unexpected, "keys.generate.secret_missing", i18n.M("keys.generate.secret_missing", bot.ID),
			i18n.M("keys.generate.pending_replace_hint", bot.ID))
	}
	if err != nil {
		return err
	}
	made := i18n.M("keys.generate.shown", bot.ID, entry.GeneratedAt.Local().Format("2006-01-02 15:04"), backendLabel(o.Msg, entry.Backend))
	return offerGenerated(ctx, o, bot, made, pair, entry.APIKey != "")
}

// offerGenerated prints the public key of pair with the Binance steps (or
// the --json result), then, on a terminal, asks for the API key Binance
// shows and carries on; elsewhere it prints the command that does.
func offerGenerated(ctx context.Context, o *GenerateOptions, bot bots.Bot, headline i18n.Message, pair keygen.Pair, active bool) error {
	f := o.Msg
	next := state.FinishGeneratedCommand(bot.ID, active)
	if o.JSON {
		return cmdutil.PrintJSON(o.IO.Out, generateJSON{
			Bot: bot.ID, PublicKeyPEM: pair.PublicPEM, KeyType: string(binance.ED25519),
			Status: string(state.StatusPending), Next: next,
		})
	}
	printGenerated(o, bot, headline, pair.PublicPEM, active)
	if !o.IO.CanPrompt() {
		f.Errf("keys.generate.next", next)
		return nil
	}
	if err := sandboxBinanceScreen(ctx, o, pair.PublicPEM); err != nil {
		return err
	}
	apiKey, err := o.Prompter.Input(ctx, f.T("keys.generate.prompt_key"), f.T("keys.generate.prompt_key_desc"),
		func(s string) error {
			if _, err := binance.ParseCredentials(s, pair.PrivatePEM); err != nil {
				return errors.New(f.Render(messageOf(err)))
			}
			return nil
		})
	if err != nil {
		if apperr.KindOf(err) == apperr.Cancelled {
			return apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("keys.generate.cancelled_kept"),
				i18n.M("keys.generate.next", next))
		}
		return err
	}
	return o.Continue(ctx, o, bot, strings.TrimSpace(apiKey), active)
}

// sandboxBinanceScreen, in the sandbox, stands for Binance's page: it
// takes the public key the user pastes and prints the API key it gives
// back alone on its line, so that copying it with the mouse at any width
// gives the exact value.
func sandboxBinanceScreen(ctx context.Context, o *GenerateOptions, publicPEM string) error {
	if o.SandboxBinance == nil {
		return nil
	}
	f := o.Msg
	_, err := o.Prompter.Input(ctx, onboard.Typeset(f.Lang, f.T("onboard.sandbox_binance.title")), onboard.Typeset(f.Lang, f.T("onboard.sandbox_binance.desc")),
		func(s string) error {
			if !samePublicKey(s, publicPEM) {
				return errors.New(onboard.Typeset(f.Lang, f.T("onboard.sandbox_binance.not_it")))
			}
			return nil
		})
	if err != nil {
		return err
	}
	key, err := o.SandboxBinance(publicPEM)
	if err != nil {
		return err
	}
	fmt.Fprintln(o.IO.ErrOut, onboard.Typeset(f.Lang, f.T("onboard.sandbox_binance.created")))
	fmt.Fprintln(o.IO.ErrOut, key)
	return nil
}

// samePublicKey reports whether typed is publicPEM, whatever its line
// breaks (a one-line field turns them into spaces), or its base64 body
// alone (what a one-line prompt keeps of a multi-line paste).
func samePublicKey(typed, publicPEM string) bool {
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	body := publicPEM
	body = strings.Replace(body, "-----BEGIN PUBLIC KEY-----", "", 1)
	body = strings.Replace(body, "-----END PUBLIC KEY-----", "", 1)
	t := squash(typed)
	return t != "" && (t == squash(publicPEM) || t == squash(body))
}

// resumeGenerated continues with the pending key pair of bot, now that
// Binance has shown its API key.
func resumeGenerated(ctx context.Context, o *GenerateOptions, bot bots.Bot, entry *state.Entry, apiKey string) error {
	if entry == nil || entry.GeneratedAt == nil {
		return cmdutil.UsageError("keys.generate.none_pending", i18n.M("keys.generate.none_pending", bot.ID),
			i18n.M("keys.generate.none_pending_hint", bot.ID))
	}
	return o.Continue(ctx, o, bot, strings.TrimSpace(apiKey), entry.APIKey != "")
}

func printGenerated(o *GenerateOptions, bot bots.Bot, headline i18n.Message, publicPEM string, active bool) {
	f := o.Msg
	fmt.Fprintln(o.IO.ErrOut, f.Render(headline))
	if active {
		f.Errf("keys.generate.old_stays", bot.ID)
	}
	fmt.Fprintln(o.IO.ErrOut)
	fmt.Fprintln(o.IO.ErrOut, f.T("keys.generate.steps", bot.Label))
	fmt.Fprintln(o.IO.ErrOut)
	fmt.Fprint(o.IO.Out, publicPEM)
	fmt.Fprintln(o.IO.ErrOut)
	fmt.Fprintln(o.IO.ErrOut, f.T("keys.generate.steps_after"))
	fmt.Fprintln(o.IO.ErrOut)
}

// messageOf is an error's catalogue message, for inline validation.
func messageOf(err error) i18n.Message {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return i18n.M("error.unexpected", err.Error())
}
