package keys

import (
	"context"
	"time"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// cmdEnv is what keys add, rotate, sync and remove use of their run,
// resolved from the Factory once flags and sandbox are settled: plain
// values (language, redactor, sandbox, clock) and the functions that build
// clients, stores and the index on demand. Its methods and fields bear the
// names the commands' flows call.
type cmdEnv struct {
	Redactor  *redact.Redactor
	Getenv    func(string) string
	Now       func() time.Time
	AddSecret func(...string)
	Debugf    func(string, ...any)
	// Prompter is the run's prompter (the terminal's, built once).
	Prompter func() prompt.Prompter

	Binance  func() (*binance.Client, error)
	Service  func(ctx context.Context) (*service.Client, error)
	Network  func(ctx context.Context) (*service.Network, error)
	Store    func() (secrets.Store, error)
	StoreFor func(backend string) (secrets.Store, error)
	Index    func() (*state.Index, error)
	// ServiceToken is the subscriber's token and where it comes from.
	ServiceToken func(ctx context.Context) (token, source string, err error)
	// ServiceWithToken is a client of the login service with a token not
	// saved yet; SaveServiceToken saves a checked one.
	ServiceWithToken func(token string) (*service.Client, error)
	SaveServiceToken func(ctx context.Context, store secrets.Store, token string) (string, error)
	// PrefetchVaultKey fetches the service's vault key ahead of a
	// registration (see cmdutil.Factory.PrefetchVaultKey).
	PrefetchVaultKey func(ctx context.Context)

	msg     cmdutil.Messages
	sandbox bool
}

// newCmdEnv resolves f for one run of a command. It is called once the
// root command has parsed the flags and decided on the sandbox.
func newCmdEnv(f *cmdutil.Factory) *cmdEnv {
	msg := f.Messages()
	return &cmdEnv{
		Redactor: f.Redactor, Getenv: f.Getenv, Now: f.Now, AddSecret: msg.AddSecret, Debugf: f.Debugf,
		Prompter: f.Prompter, Binance: f.Binance, Service: f.Service, Network: f.Network,
		Store: f.SecretStore, StoreFor: f.SecretStoreFor, Index: f.Index,
		ServiceToken: f.ServiceToken, ServiceWithToken: f.ServiceWithToken, SaveServiceToken: f.SaveServiceToken,
		PrefetchVaultKey: f.PrefetchVaultKey,
		msg:              msg, sandbox: f.SandboxOn(),
	}
}

// Lang is the user's language.
func (e *cmdEnv) Lang() i18n.Lang { return e.msg.Lang }

// T renders a catalogue message in the user's language.
func (e *cmdEnv) T(key string, args ...any) string { return e.msg.T(key, args...) }

// Errf writes a localised line to stderr, redacted.
func (e *cmdEnv) Errf(key string, args ...any) { e.msg.Errf(key, args...) }

// Messages is how the command speaks to the user.
func (e *cmdEnv) Messages() cmdutil.Messages { return e.msg }

// SandboxOn tells whether this run is a sandbox run.
func (e *cmdEnv) SandboxOn() bool { return e.sandbox }

// SandboxLabel is the on-screen marker of sandbox output, or "".
func (e *cmdEnv) SandboxLabel() string { return cmdutil.SandboxLabel(e.msg.Lang, e.sandbox) }

// AskToken asks for the access token at a masked prompt, checking it
// with the service (see cmdutil.AskToken).
func (e *cmdEnv) AskToken(ctx context.Context, p prompt.Prompter, title, description string, check func(token string) (*service.Me, error)) (string, *service.Me, error) {
	return cmdutil.AskToken(ctx, e.msg, p, title, description, check)
}
