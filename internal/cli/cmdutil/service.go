package cmdutil

import (
	"context"
	"errors"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// TokenSourceEnv is the source ServiceToken reports for SMARTRADEX_TOKEN.
const TokenSourceEnv = "environment"

// ServiceURL is the SmartradeX service base URL: --service-url, else
// SMARTRADEX_SERVICE_URL, else the production service.
func (f *Factory) ServiceURL() string {
	if f.Globals.ServiceURL != "" {
		return f.Globals.ServiceURL
	}
	if v := f.Env("SMARTRADEX_SERVICE_URL"); v != "" {
		return v
	}
	return service.DefaultBaseURL()
}

// ServiceToken is the SmartradeX access token and where it comes from:
// SMARTRADEX_TOKEN ("environment") wins over the token saved by
// `auth login` (source: the store's backend, "system" or "file"), so that a
// CI job never depends on a keyring. Whatever it returns is registered with
// the redactor.
func (f *Factory) ServiceToken(ctx context.Context) (token, source string, err error) {
	if t := f.Env("SMARTRADEX_TOKEN"); t != "" {
		f.AddSecret(t)
		return t, TokenSourceEnv, nil
	}
	store, err := f.SecretStore()
	if err != nil {
		return "", "", err
	}
	t, err := store.Get(ctx, secrets.ServiceTokenName)
	if errors.Is(err, secrets.ErrNotFound) {
		return "", "", apperr.New(apperr.Rejected, "service.not_logged_in",
			i18n.M("service.not_logged_in"), i18n.M("service.login_hint"))
	}
	if err != nil {
		return "", "", err
	}
	f.AddSecret(t)
	return t, store.Backend(), nil
}

// Service returns a client of the SmartradeX service with the subscriber's
// token (see ServiceToken), logging to the --debug sink.
func (f *Factory) Service(ctx context.Context) (*service.Client, error) {
	token, _, err := f.ServiceToken(ctx)
	if err != nil {
		return nil, err
	}
	return f.ServiceWithToken(token)
}

// ServiceWithToken is Service with a given token, for `auth login`, which
// must check a token before it is saved.
func (f *Factory) ServiceWithToken(token string) (*service.Client, error) {
	f.AddSecret(token)
	opts := service.Options{BaseURL: f.ServiceURL(), Token: token}
	if log := f.DebugLog(); log != nil {
		opts.Log = log
	}
	return service.New(opts)
}
