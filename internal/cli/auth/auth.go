// Package auth holds the `smartradex auth` commands, which keep the
// subscriber's SmartradeX access token: login checks it with the service
// before saving it, status says where it comes from and whether it still
// works, logout deletes it.
package auth

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// NewCmdAuth returns the `auth` command group.
func NewCmdAuth(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewGroup("auth", f.T("auth.short"), f.T("auth.long"),
		NewCmdLogin(f, nil),
		NewCmdStatus(f, nil),
		NewCmdLogout(f, nil),
	)
}

// Account is the part of the service client the auth commands need.
type Account interface {
	Me(ctx context.Context) (*service.Me, error)
}

// sourceLabel names where a token comes from, in the user's language.
func sourceLabel(f cmdutil.Messages, source string) string {
	switch source {
	case cmdutil.TokenSourceEnv:
		return f.T("auth.source_env")
	case secrets.BackendSystem, secrets.BackendFile:
		return f.T("secrets.backend_" + source)
	}
	return source
}

// envTokenSet tells whether SMARTRADEX_TOKEN overrides the saved token.
func envTokenSet(f *cmdutil.Factory) bool {
	return strings.TrimSpace(f.Getenv("SMARTRADEX_TOKEN")) != ""
}

// AskTokenFunc asks for the access token at the prompt, checking it with
// the service; see cmdutil.AskToken.
type AskTokenFunc func(ctx context.Context, p prompt.Prompter, title, description string, check func(token string) (*service.Me, error)) (string, *service.Me, error)
