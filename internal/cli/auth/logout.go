package auth

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/secrets"
)

// LogoutOptions are the inputs of `auth logout`.
type LogoutOptions struct {
	IO    *iostreams.IOStreams
	Msg   cmdutil.Messages
	Store func() (secrets.Store, error)
	// Forget deletes the saved token and the record of its service; it
	// tells whether there was a token, and which service it was for.
	Forget func(ctx context.Context, store secrets.Store) (bool, string, error)
	// EnvToken: SMARTRADEX_TOKEN is set and overrides the saved token.
	EnvToken bool

	JSON bool
}

// NewCmdLogout builds `auth logout`; runF replaces the run function in tests.
func NewCmdLogout(f *cmdutil.Factory, runF func(context.Context, *LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IO, Store: f.SecretStore, Forget: f.ForgetServiceToken}
	return &cobra.Command{
		Use:     "logout",
		Short:   f.T("auth.logout.short"),
		Long:    f.T("auth.logout.long"),
		Example: "  smartradex auth logout",
		RunE: cmdutil.RunE(opts, runF, logoutRun, func() error {
			opts.JSON, opts.Msg, opts.EnvToken = f.Globals.JSON, f.Messages(), envTokenSet(f)
			return nil
		}),
	}
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	f := opts.Msg
	store, err := opts.Store()
	if err != nil {
		return err
	}
	deleted, serviceURL, err := opts.Forget(ctx, store)
	if err != nil {
		return err
	}
	if opts.JSON {
		var svc any
		if serviceURL != "" {
			svc = serviceURL
		}
		if err := cmdutil.PrintJSON(opts.IO.Out, map[string]any{
			"logged_out":        deleted,
			"source":            store.Backend(),
			"service_url":       svc,
			"environment_token": opts.EnvToken,
		}); err != nil {
			return err
		}
	} else if deleted {
		f.Errf("auth.logout.done", sourceLabel(f, store.Backend()))
		f.Errf("auth.logout.service", serviceURL)
	} else {
		f.Errf("auth.logout.not_logged_in", sourceLabel(f, store.Backend()))
	}
	if opts.EnvToken && !opts.JSON {
		f.Errf("auth.env_overrides_logout")
	}
	return nil
}
