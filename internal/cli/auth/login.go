package auth

import (
	"context"
	"errors"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// maxTokenInput caps what --with-token reads; the service accepts tokens
// of up to 4 KiB, anything longer is a wrong file piped in.
const maxTokenInput = 8 << 10

// LoginOptions are the inputs of `auth login`.
type LoginOptions struct {
	IO     *iostreams.IOStreams
	Msg    cmdutil.Messages
	Debugf func(string, ...any)
	Store  func() (secrets.Store, error)
	// Save saves the checked token in the store and records the service
	// it was checked against; it returns that service's URL.
	Save     func(ctx context.Context, store secrets.Store, token string) (string, error)
	Client   func(token string) (Account, error)
	Prompter func() prompt.Prompter
	AskToken AskTokenFunc
	// EnvToken: SMARTRADEX_TOKEN is set and overrides the saved token.
	EnvToken bool
	// VaultKey fetches the service's vault key with the checked token and
	// settles whether it is trusted (asking, on a terminal); it returns the
	// key ID. nil skips that step.
	VaultKey func(ctx context.Context, token string) (string, error)

	WithToken bool
	JSON      bool
}

// NewCmdLogin builds `auth login`; runF replaces the run function in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(context.Context, *LoginOptions) error) *cobra.Command {
	opts := &LoginOptions{
		IO: f.IO, Debugf: f.Debugf, Store: f.SecretStore, Save: f.SaveServiceToken,
		Client: func(token string) (Account, error) {
			c, err := f.ServiceWithToken(token)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Prompter: f.Prompter,
		AskToken: func(ctx context.Context, p prompt.Prompter, title, description string, check func(string) (*service.Me, error)) (string, *service.Me, error) {
			return cmdutil.AskToken(ctx, f.Messages(), p, title, description, check)
		},
	}
	opts.VaultKey = func(ctx context.Context, token string) (string, error) {
		trust, err := f.VaultTrust()
		if err != nil {
			return "", err
		}
		if f.IO.CanPrompt() {
			trust.Ask = askVaultKey(f, opts.Prompter)
		}
		c, err := f.ServiceWithToken(token)
		if err != nil {
			return "", err
		}
		return c.VaultKeyID(ctx)
	}
	cmd := &cobra.Command{
		Use:     "login [--with-token]",
		Short:   f.T("auth.login.short"),
		Long:    f.T("auth.login.long"),
		Example: "  smartradex auth login\n  smartradex auth login --with-token < token.txt",
		RunE: cmdutil.RunE(opts, runF, loginRun, func() error {
			opts.JSON, opts.Msg, opts.EnvToken = f.Globals.JSON, f.Messages(), envTokenSet(f)
			return cmdutil.CheckStore(f)
		}),
	}
	cmd.Flags().BoolVar(&opts.WithToken, "with-token", false, f.T("auth.login.flag_with_token"))
	return cmd
}

func loginRun(ctx context.Context, opts *LoginOptions) error {
	f := opts.Msg
	if opts.EnvToken {
		f.Errf("auth.env_overrides_login")
	}
	// The token is checked before it is saved: a wrong one must not
	// replace a working one.
	check := func(token string) (*service.Me, error) {
		client, err := opts.Client(token)
		if err != nil {
			return nil, err
		}
		return client.Me(ctx)
	}
	token, me, err := readToken(ctx, opts, check)
	if err != nil {
		return loginError(err)
	}
	vaultID, err := settleVaultKey(ctx, opts, token)
	if err != nil {
		return err
	}
	store, err := opts.Store()
	if err != nil {
		return err
	}
	serviceURL, err := opts.Save(ctx, store, token)
	if err != nil {
		return err
	}
	opts.Debugf("auth login: token saved in the %s store, for %s", store.Backend(), serviceURL)

	if opts.JSON {
		doc := map[string]any{
			"logged_in":    true,
			"email":        me.Email,
			"bots":         me.Bots,
			"source":       store.Backend(),
			"service_url":  serviceURL,
			"vault_key_id": nil,
		}
		if vaultID != "" {
			doc["vault_key_id"] = vaultID
		}
		return cmdutil.PrintJSON(opts.IO.Out, doc)
	}
	f.Errf("auth.login.done", me.Email, sourceLabel(f, store.Backend()))
	f.Errf("auth.login.service", serviceURL)
	if vaultID != "" {
		f.Errf("auth.login.vault_key", vaultID)
	}
	if len(me.Bots) == 0 {
		f.Errf("auth.no_bots")
	} else {
		f.Errf("auth.bots", strings.Join(me.Bots, ", "))
		f.Errf("auth.login.next", me.Bots[0])
	}
	return nil
}

// settleVaultKey shows which vault key secrets will be sealed to, and
// settles its trust before any key is registered. A key that is refused
// (changed, or declined at the question) stops the login before the token
// is saved; a key that cannot be fetched only warns: the token is good,
// and the key is fetched again before the first registration.
func settleVaultKey(ctx context.Context, opts *LoginOptions, token string) (string, error) {
	if opts.VaultKey == nil {
		return "", nil
	}
	id, err := opts.VaultKey(ctx, token)
	if err == nil {
		return id, nil
	}
	switch apperr.KindOf(err) {
	case apperr.Refused, apperr.Usage, apperr.Cancelled:
		return "", err
	}
	if ctx.Err() != nil {
		return "", err
	}
	var e *apperr.Error
	why := err.Error()
	if errors.As(err, &e) {
		why = opts.Msg.Render(e.Message)
	}
	opts.Msg.Errf("auth.login.vault_key_unavailable", why)
	return "", nil
}

// askVaultKey asks, at auth login on a terminal, whether to trust a vault
// key seen for the first time (yes by default) or a changed one (no by
// default).
func askVaultKey(f *cmdutil.Factory, p func() prompt.Prompter) func(ctx context.Context, origin, pinned, offered string) (bool, error) {
	return func(ctx context.Context, origin, pinned, offered string) (bool, error) {
		if pinned == "" {
			return p().Confirm(ctx, f.T("auth.login.vault_key_first", offered, origin), f.T("auth.login.vault_key_first_help"), "", "", true)
		}
		return p().Confirm(ctx, f.T("auth.login.vault_key_changed", origin, pinned, offered), f.T("auth.login.vault_key_changed_help"), "", "", false)
	}
}

// readToken takes the token from stdin (--with-token) or a masked prompt,
// never from argv, where other users and shell history could see it. At
// the prompt, a token the service refuses is asked for again.
func readToken(ctx context.Context, opts *LoginOptions, check func(string) (*service.Me, error)) (string, *service.Me, error) {
	f := opts.Msg
	if opts.WithToken && opts.IO.IsStdinTTY() {
		// Reading to the end of a terminal waits for Ctrl-D while the
		// terminal echoes the pasted token.
		const cmd = "smartradex auth login --with-token"
		return "", nil, apperr.New(apperr.Usage, "auth.token_stdin_terminal", i18n.M("auth.login.token_terminal"),
			i18n.M("auth.login.token_terminal_hint"), i18n.M("auth.login.token_terminal_pipe", cmd, cmd))
	}
	if opts.WithToken {
		data, tooLarge, err := opts.IO.ReadAllLimited(maxTokenInput)
		if err != nil {
			return "", nil, apperr.Wrap(apperr.Usage, "auth.token_unreadable", err, i18n.M("auth.login.token_unreadable"), i18n.M("auth.login.with_token_hint"))
		}
		if tooLarge {
			return "", nil, apperr.New(apperr.Usage, "auth.token_too_large", i18n.M("auth.login.token_too_large", maxTokenInput), i18n.M("auth.login.with_token_hint"))
		}
		if data == "" {
			return "", nil, apperr.New(apperr.Usage, "auth.token_empty", i18n.M("auth.login.token_empty"), i18n.M("auth.login.with_token_hint"))
		}
		f.AddSecret(data)
		me, err := check(data)
		return data, me, err
	}
	if !opts.IO.CanPrompt() {
		return "", nil, apperr.New(apperr.Usage, "auth.needs_token", i18n.M("auth.login.needs_token"),
			i18n.M("auth.login.with_token_hint"), i18n.M("auth.login.env_hint"))
	}
	return opts.AskToken(ctx, opts.Prompter(), f.T("auth.login.prompt"), f.T("auth.login.prompt_help"), check)
}

// loginError rephrases the service's refusal of a token for `auth login`:
// the generic one points at SMARTRADEX_TOKEN and `auth login`, which is
// not what the user needs here.
func loginError(err error) error {
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Rejected {
		return err
	}
	msg := i18n.M("auth.login.rejected")
	if e.Code == "service.bad_token" {
		msg = i18n.M("auth.login.malformed")
	}
	return apperr.Wrap(apperr.Rejected, e.Code, e.Err, msg, i18n.M("auth.login.rejected_hint"))
}
