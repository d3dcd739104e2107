package auth

import (
	"context"
	"errors"

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
	// EnvToken: SMARTRADEX_TOKEN is set and overrides the saved token.
	EnvToken bool

	JSON bool
}

// NewCmdLogout builds `auth logout`; runF replaces the run function in tests.
func NewCmdLogout(f *cmdutil.Factory, runF func(context.Context, *LogoutOptions) error) *cobra.Command {
	opts := &LogoutOptions{IO: f.IO, Store: f.SecretStore}
	return &cobra.Command{
		Use:     "logout",
		Short:   f.T("auth.logout.short"),
		Long:    f.T("auth.logout.long"),
		Example: "  smartradex auth logout",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON, opts.Msg, opts.EnvToken = f.Globals.JSON, f.Messages(), envTokenSet(f)
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return logoutRun(cmd.Context(), opts)
		},
	}
}

func logoutRun(ctx context.Context, opts *LogoutOptions) error {
	f := opts.Msg
	store, err := opts.Store()
	if err != nil {
		return err
	}
	deleted := true
	if err := store.Delete(ctx, secrets.ServiceTokenName); err != nil {
		if !errors.Is(err, secrets.ErrNotFound) {
			return err
		}
		deleted = false
	}
	if opts.JSON {
		if err := cmdutil.PrintJSON(opts.IO.Out, map[string]any{
			"logged_out":        deleted,
			"source":            store.Backend(),
			"environment_token": opts.EnvToken,
		}); err != nil {
			return err
		}
	} else if deleted {
		f.Errf("auth.logout.done", sourceLabel(f, store.Backend()))
	} else {
		f.Errf("auth.logout.not_logged_in", sourceLabel(f, store.Backend()))
	}
	if opts.EnvToken && !opts.JSON {
		f.Errf("auth.env_overrides_logout")
	}
	return nil
}
