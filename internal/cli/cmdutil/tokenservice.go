package cmdutil

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// A token saved by `auth login` belongs to the service it was checked
// against: the service's URL is recorded beside the index
// (state.TokenServiceFile), and the saved token is sent to no other. A
// command given no service (no --service-url, SMARTRADEX_SERVICE_URL,
// sandbox) uses the one the saved token is for, as gh uses the host it is
// logged in to; `auth login` itself uses the production service then. A
// token saved by an earlier version, with no record, belongs to the
// production service. SMARTRADEX_TOKEN is sent to whatever service is in
// use, and the record is then ignored.

// explicitServiceURL is the service chosen for this run, if any: the
// sandbox's stand-in, else --service-url, else SMARTRADEX_SERVICE_URL.
func (f *Factory) explicitServiceURL() (string, bool, error) {
	if f.SandboxOn() {
		sb, err := f.Sandbox()
		if err != nil {
			return "", false, err
		}
		return sb.ServiceURL, true, nil
	}
	// A URL given here is checked before it is shown or compared: a value
	// that is not an address (a secret pasted in the wrong place) is
	// never echoed.
	if u := strings.TrimSpace(f.Globals.ServiceURL); u != "" {
		_, err := service.CheckURL(u)
		return u, err == nil, err
	}
	if u := f.env("SMARTRADEX_SERVICE_URL"); u != "" {
		_, err := service.CheckURL(u)
		return u, err == nil, err
	}
	return "", false, nil
}

// loginServiceURL is the service `auth login` (and the inline login of
// `keys add`) checks a new token against: the one chosen for this run,
// else the production service. A saved token's service is not followed:
// logging in is how a service is chosen.
func (f *Factory) loginServiceURL() (string, error) {
	u, ok, err := f.explicitServiceURL()
	if err != nil || ok {
		return u, err
	}
	return service.DefaultBaseURL(), nil
}

// tokenService is the record of the saved token's service, in the
// configuration directory.
func (f *Factory) tokenService() (*state.TokenService, error) {
	dir, err := f.ConfigDir()
	if err != nil {
		return nil, err
	}
	return state.OpenTokenService(dir), nil
}

// SavedTokenServiceURL is the service the saved token is recorded for:
// known is false when there is no record (a token saved by an earlier
// version, which belongs to the production service, or no token). A record
// that cannot be read is an error: the token is then sent nowhere.
func (f *Factory) SavedTokenServiceURL() (rec state.TokenRecord, known bool, err error) {
	ts, err := f.tokenService()
	if err != nil {
		return state.TokenRecord{}, false, err
	}
	return ts.Get()
}

// SaveServiceToken saves token, checked against the service of
// loginServiceURL, in store and records that service beside the index; it
// returns the service's URL. The record is written first: if the token
// cannot be saved, the record is put back, and if that fails too, the
// record's fingerprint no longer matches the token kept, which is then
// sent nowhere. Never is a token recorded for a service it was not
// checked against.
func (f *Factory) SaveServiceToken(ctx context.Context, store secrets.Store, token string) (string, error) {
	raw, err := f.loginServiceURL()
	if err != nil {
		return "", err
	}
	base, err := CanonicalServiceURL(raw)
	if err != nil {
		return "", err
	}
	ts, err := f.tokenService()
	if err != nil {
		return "", err
	}
	prev, had, prevErr := ts.Get()
	if err := ts.Set(ctx, base, token); err != nil {
		return "", err
	}
	if err := store.Set(ctx, secrets.ServiceTokenName, token); err != nil {
		if prevErr == nil {
			if rerr := ts.Restore(context.WithoutCancel(ctx), prev, had); rerr != nil {
				f.Debugf("auth: the previous token record could not be put back: %v", rerr)
			}
		}
		return "", err
	}
	return base, nil
}

// ForgetServiceToken deletes the saved token and then its record. It tells
// whether there was a token, and returns the service the record named ("" if
// none).
func (f *Factory) ForgetServiceToken(ctx context.Context, store secrets.Store) (deleted bool, serviceURL string, err error) {
	ts, err := f.tokenService()
	if err != nil {
		return false, "", err
	}
	if rec, ok, gerr := ts.Get(); gerr == nil && ok {
		serviceURL = rec.ServiceURL
	}
	deleted = true
	if err := store.Delete(ctx, secrets.ServiceTokenName); err != nil {
		if !errors.Is(err, secrets.ErrNotFound) {
			return false, "", err
		}
		deleted = false
	}
	if deleted && serviceURL == "" {
		serviceURL = service.DefaultBaseURL()
	}
	if err := ts.Remove(ctx); err != nil {
		return deleted, serviceURL, err
	}
	return deleted, serviceURL, nil
}

// CanonicalServiceURL is raw as the service client uses it (see
// httpx.CheckBaseURL), with the host in lower case and the scheme's
// default port dropped, so that two spellings of one service compare
// equal. An address the client would refuse is a usage error.
func CanonicalServiceURL(raw string) (string, error) {
	if strings.TrimSpace(raw) == "" {
		raw = service.DefaultBaseURL()
	}
	u, err := httpx.CheckBaseURL(raw)
	if err != nil {
		return "", apperr.New(apperr.Usage, "service.bad_url", service.BadURLMessage(raw, err), i18n.M("service.bad_url_hint", service.DefaultBaseURL()))
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if port != "" {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	c := url.URL{Scheme: u.Scheme, Host: host, Path: u.Path, RawPath: u.RawPath}
	return c.String(), nil
}

// canonicalOr is CanonicalServiceURL of a recorded URL, or the URL as
// recorded if it no longer passes (it then matches nothing valid).
func canonicalOr(raw string) string {
	if c, err := CanonicalServiceURL(raw); err == nil {
		return c
	}
	return raw
}

// sameService tells whether two canonical service URLs name one service.
func sameService(a, b string) bool { return a == b }

// tokenServiceMismatch is the refusal to send the saved token to inUse.
func tokenServiceMismatch(tokenURL, inUse string) error {
	return apperr.New(apperr.Rejected, "service.token_other_service",
		i18n.M("service.token_other_service", tokenURL, inUse),
		i18n.M("service.token_other_service_login", inUse),
		i18n.M("service.token_other_service_env", tokenURL))
}
