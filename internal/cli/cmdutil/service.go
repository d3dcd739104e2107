package cmdutil

import (
	"context"
	"errors"
	"strings"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// TokenSourceEnv is the source ServiceToken reports for SMARTRADEX_TOKEN.
const TokenSourceEnv = "environment"

// ServiceURL is the SmartradeX service's base URL: the sandbox's stand-in,
// else --service-url, else SMARTRADEX_SERVICE_URL, else the production
// service. It fails only when the sandbox cannot start.
func (f *Factory) ServiceURL() (string, error) {
	if f.SandboxOn() {
		sb, err := f.Sandbox()
		if err != nil {
			return "", err
		}
		return sb.ServiceURL, nil
	}
	if u := strings.TrimSpace(f.Globals.ServiceURL); u != "" {
		return u, nil
	}
	if u := f.Env("SMARTRADEX_SERVICE_URL"); u != "" {
		return u, nil
	}
	return service.DefaultBaseURL(), nil
}

// ServiceToken is the SmartradeX access token and where it comes from:
// SMARTRADEX_TOKEN ("environment") wins over the token saved by
// `auth login` (source: the store's backend, "system" or "file"), so that a
// CI job never depends on a keyring; in the sandbox it is the sandbox's own
// token ("sandbox"). Whatever it returns is registered with the redactor.
func (f *Factory) ServiceToken(ctx context.Context) (token, source string, err error) {
	if f.SandboxOn() {
		return sandboxToken, "sandbox", nil
	}
	if t := f.Env("SMARTRADEX_TOKEN"); t != "" {
		f.AddSecret(t)
		return t, TokenSourceEnv, nil
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

// Service returns a client of the SmartradeX service with the subscriber's
// token (see ServiceToken), logging to the --debug sink.
func (f *Factory) Service(ctx context.Context) (*service.Client, error) {
	token, _, err := f.ServiceToken(ctx)
	if err != nil {
		return nil, err
	}
	return f.ServiceWithToken(token)
}

// ServiceWithToken is Service with a given token, for `auth login` and the
// inline login of `keys add`, which must check a token before it is saved.
func (f *Factory) ServiceWithToken(token string) (*service.Client, error) {
	token = strings.TrimSpace(token)
	f.AddSecret(token)
	base, err := f.ServiceURL()
	if err != nil {
		return nil, err
	}
	hc, err := f.httpClient()
	if err != nil {
		return nil, err
	}
	opts := service.Options{BaseURL: base, Token: token, HTTP: hc}
	if log := f.DebugLog(); log != nil {
		opts.Log = log
	}
	return service.New(opts)
}

// AskToken asks for the SmartradeX access token at a masked prompt and has
// check (the service's GET /v1/me) judge it before the prompt closes: a
// token the service refuses is asked for again, with what to do, and never
// shown. Any other failure of check (the service out of reach) ends the
// question; the caller then gets it from check again, which is asked once
// per value however often the prompt validates it.
func (f *Factory) AskToken(ctx context.Context, p prompt.Prompter, title, description string, check func(token string) (*service.Me, error)) (string, *service.Me, error) {
	type result struct {
		me  *service.Me
		err error
	}
	seen := map[string]result{}
	once := func(token string) (*service.Me, error) {
		if r, ok := seen[token]; ok {
			return r.me, r.err
		}
		f.AddSecret(token)
		me, err := check(token)
		seen[token] = result{me, err}
		return me, err
	}
	validate := func(s string) error {
		s = strings.TrimSpace(s)
		if s == "" {
			return errors.New(f.T("auth.login.prompt_required"))
		}
		if _, err := once(s); apperr.KindOf(err) == apperr.Rejected {
			msg := i18n.M("auth.prompt.rejected")
			var e *apperr.Error
			if errors.As(err, &e) && e.Code == "service.bad_token" {
				msg = i18n.M("auth.prompt.malformed")
			}
			return prompt.UserError(f.Lang(), apperr.New(apperr.Rejected, "auth.rejected", msg, i18n.M("auth.prompt.rejected_hint")), s)
		}
		return nil
	}
	token, err := p.Password(ctx, title, description, validate)
	if err != nil {
		return "", nil, err
	}
	token = strings.TrimSpace(token)
	me, err := once(token)
	return token, me, err
}
