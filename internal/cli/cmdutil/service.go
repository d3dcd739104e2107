package cmdutil

import (
	"context"
	"errors"
	"strings"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// ServiceURL is the SmartradeX service's base URL: --service-url, else
// SMARTRADEX_SERVICE_URL, else the production service.
func (f *Factory) ServiceURL() string {
	if u := strings.TrimSpace(f.Globals.ServiceURL); u != "" {
		return u
	}
	if u := f.Env("SMARTRADEX_SERVICE_URL"); u != "" {
		return u
	}
	return service.DefaultBaseURL()
}

// ServiceToken is the subscriber's service token: SMARTRADEX_TOKEN (source
// "environment") overrides the stored "service-token" (source: the store's
// backend). With neither, it is a Rejected error saying how to log in.
func (f *Factory) ServiceToken(ctx context.Context) (token, source string, err error) {
	if t := f.Env("SMARTRADEX_TOKEN"); t != "" {
		f.AddSecret(t)
		return t, "environment", nil
	}
	store, err := f.SecretStore()
	if err != nil {
		return "", "", err
	}
	t, err := store.Get(ctx, secrets.ServiceTokenName)
	if errors.Is(err, secrets.ErrNotFound) || (err == nil && strings.TrimSpace(t) == "") {
		return "", "", apperr.New(apperr.Rejected, "service.not_logged_in",
			i18n.M("service.not_logged_in"), i18n.M("service.login_hint"))
	}
	if err != nil {
		return "", "", err
	}
	t = strings.TrimSpace(t)
	f.AddSecret(t)
	return t, store.Backend(), nil
}

// Service is a client of the SmartradeX service with the subscriber's token.
func (f *Factory) Service(ctx context.Context) (*service.Client, error) {
	token, _, err := f.ServiceToken(ctx)
	if err != nil {
		return nil, err
	}
	return service.New(service.Options{BaseURL: f.ServiceURL(), Token: token, Log: f.DebugLog()})
}
