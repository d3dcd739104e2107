package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/service"
)

// Inspector is the part of the Binance client `keys check` needs.
type Inspector interface {
	Inspect(ctx context.Context, creds binance.Credentials) (*binance.Inspection, error)
}

// CheckOptions holds the flags and dependencies of `keys check`.
type CheckOptions struct {
	IO        *iostreams.IOStreams
	Lang      i18n.Lang
	Getenv    func(string) string
	Now       func() time.Time
	AddSecret func(...string)
	Debugf    func(string, ...any)
	Binance   func() (Inspector, error)
	Prompt    PromptFunc
	// Network is the service's addresses and ip_lock; nil is ip_lock off.
	Network func(ctx context.Context) (*service.Network, error)
	// Service is the logged-in client that checks a locked key.
	Service func(ctx context.Context) (*service.Client, error)

	// Bot is whose service checks a locked key; "" is the subscriber's
	// first bot.
	Bot string

	JSON        bool
	APIKey      string
	SecretStdin bool
	// Command is how hints spell the command, up to --secret-stdin;
	// "" means `smartradex keys check --api-key KEY`.
	Command string
}

// NewCmdCheck builds `smartradex keys check`. runF replaces checkRun in tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{
		IO:        f.IO,
		Lang:      f.Lang(),
		Getenv:    f.Getenv,
		Now:       f.Now,
		AddSecret: f.Redactor.Add,
		Debugf:    f.Debugf,
		Network:   f.Network,
		Service:   f.Service,
		Binance: func() (Inspector, error) {
			c, err := f.Binance()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
	opts.Prompt = promptCredentials(opts, f.Prompter)
	cmd := &cobra.Command{
		Use:     "check",
		Short:   f.T("keys.check.short"),
		Long:    f.T("keys.check.long"),
		Example: f.T("keys.check.example"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.Globals.JSON
			opts.Lang = f.Lang()
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.APIKey, "api-key", "", f.T("keys.check.flag_api_key"))
	cmd.Flags().BoolVar(&opts.SecretStdin, "secret-stdin", false, f.T("keys.check.flag_secret_stdin"))
	cmd.Flags().StringVar(&opts.Bot, "bot", "", f.T("keys.check.flag_bot"))
	_ = cmd.RegisterFlagCompletionFunc("bot", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bots.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func (o *CheckOptions) debugf(format string, args ...any) {
	if o.Debugf != nil {
		o.Debugf(format, args...)
	}
}

// intake reads the key and the secret for `keys check`.
func (o *CheckOptions) intake() *Intake {
	return &Intake{IO: o.IO, Lang: o.Lang, Getenv: o.Getenv, AddSecret: o.AddSecret, Debugf: o.Debugf, Prompt: o.Prompt,
		APIKey: o.APIKey, SecretStdin: o.SecretStdin, Command: o.Command, Name: "keys check"}
}

func checkRun(ctx context.Context, o *CheckOptions) error {
	creds, err := o.intake().Read(ctx)
	if err != nil {
		return err
	}
	client, err := o.Binance()
	if err != nil {
		return err
	}
	// An HMAC secret and an API key are both 64 letters and digits, so a
	// pair pasted the wrong way round passes every local check: until
	// Binance has recognised the key, the "key" may be the secret, and no
	// part of it (not even the masked first and last four characters) is
	// shown. If Binance refuses it, it never is.
	if !o.JSON && o.IO.IsStderrTTY() {
		fmt.Fprintln(o.IO.ErrOut, o.Lang.T("keys.check.checking"))
	}
	start := time.Now()
	d := enroll.Deps{Binance: client, Network: o.Network, Service: o.Service, Now: o.Now}
	checked, err := enroll.CheckWith(ctx, d, creds, enroll.CheckOptions{Bot: o.checkingBot})
	if err != nil {
		return err
	}
	insp, verdict := checked.Inspection, checked.Verdict
	o.debugf("keys check: Binance recognised key %s in %s (uid %d, seen from %s)", redact.MaskKey(creds.APIKey), time.Since(start).Round(time.Millisecond), insp.UID, checked.SeenFrom)
	if o.JSON {
		err = cmdutil.PrintJSON(o.IO.Out, newCheckJSON(o.Lang, viewOf(creds), checked))
	} else {
		printCheckHuman(o.Lang, o.IO, viewOf(creds), checked)
	}
	if err != nil {
		return err
	}
	if !verdict.OK() {
		return cmdutil.Reported(apperr.Refused)
	}
	return nil
}

// checkingBot is the bot whose service checks a locked key: --bot, or the
// first bot the subscriber has.
func (o *CheckOptions) checkingBot(ctx context.Context) (string, error) {
	if o.Bot != "" {
		if _, ok := bots.Lookup(o.Bot); !ok {
			return "", enroll.UnknownBotError(o.Bot)
		}
		return o.Bot, nil
	}
	svc, err := o.Service(ctx)
	if err != nil {
		return "", err
	}
	me, err := svc.Me(ctx)
	if err != nil {
		return "", err
	}
	if len(me.Bots) == 0 {
		return "", apperr.New(apperr.Refused, "keys.check.no_bot", i18n.M("keys.check.no_bot"), i18n.M("keys.check.no_bot_hint"))
	}
	return me.Bots[0], nil
}

// promptCredentials asks for the key and the secret on one screen; the
// secret is masked as it is typed or pasted.
func promptCredentials(o *CheckOptions, p func() prompt.Prompter) PromptFunc {
	return func(ctx context.Context, askKey bool) (string, string, error) {
		l := o.Lang
		var key, secret string
		notEmpty := func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New(l.T("keys.check.prompt_required"))
			}
			return nil
		}
		var screen prompt.Screen
		if askKey {
			screen.Fields = append(screen.Fields, prompt.InputField(&key, l.T("keys.check.prompt_key"), l.T("keys.check.prompt_key_help"), notEmpty))
		}
		screen.Fields = append(screen.Fields, prompt.PasswordField(&secret, l.T("keys.check.prompt_secret"), l.T("keys.check.prompt_secret_help"), notEmpty))
		if err := prompt.Ask(ctx, p(), screen); err != nil {
			return "", "", err
		}
		return key, secret, nil
	}
}
