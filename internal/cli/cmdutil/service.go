package cmdutil

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/buildinfo"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// TokenSourceEnv is the source ServiceToken reports for SMARTRADEX_TOKEN.
const TokenSourceEnv = "environment"

// ServiceURL is the SmartradeX service's base URL for the commands that
// use the subscriber's token: the sandbox's stand-in, else --service-url,
// else SMARTRADEX_SERVICE_URL, else the service the saved token is for
// (unless SMARTRADEX_TOKEN is set), else the production service. It fails
// only when the sandbox cannot start. A record of the saved token's service
// that cannot be read is passed over here (ServiceToken reports it, and
// sends the token nowhere): public requests still go somewhere sensible.
func (f *Factory) ServiceURL() (string, error) {
	u, ok, err := f.explicitServiceURL()
	if err != nil || ok {
		return u, err
	}
	if f.env("SMARTRADEX_TOKEN") == "" {
		rec, known, err := f.SavedTokenServiceURL()
		if err != nil {
			f.Debugf("service: the saved token's service is unknown (%v); the production service is used", err)
		}
		if err == nil && known {
			return rec.ServiceURL, nil
		}
	}
	return service.DefaultBaseURL(), nil
}

// ServiceToken is the SmartradeX access token and where it comes from:
// SMARTRADEX_TOKEN ("environment") wins over the token saved by
// `auth login` (source: the store's backend, "system" or "file"), so that a
// CI job never depends on a keyring; in the sandbox it is the sandbox's own
// token ("sandbox"). The saved token is returned only if it belongs to the
// service in use (ServiceURL): else the error, exit 4, names both services
// and nothing is read from the store. Whatever it returns is registered
// with the redactor.
func (f *Factory) ServiceToken(ctx context.Context) (token, source string, err error) {
	if f.SandboxOn() {
		return sandboxToken, "sandbox", nil
	}
	if t := f.env("SMARTRADEX_TOKEN"); t != "" {
		f.Redactor.Add(t)
		return t, TokenSourceEnv, nil
	}
	raw, err := f.ServiceURL()
	if err != nil {
		return "", "", err
	}
	inUse, err := CanonicalServiceURL(raw)
	if err != nil {
		return "", "", err
	}
	rec, known, err := f.SavedTokenServiceURL()
	if err != nil {
		return "", "", err
	}
	// A record names the token's service before the store is opened: a
	// mismatch asks no keyring and no passphrase.
	if known && !sameService(canonicalOr(rec.ServiceURL), inUse) {
		return "", "", tokenServiceMismatch(rec.ServiceURL, inUse)
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
	f.Redactor.Add(t)
	if !known {
		// Saved by an earlier version: for the production service.
		if def, _ := CanonicalServiceURL(service.DefaultBaseURL()); !sameService(def, inUse) {
			return "", "", tokenServiceMismatch(def, inUse)
		}
	} else if state.TokenCheck(t) != rec.TokenCheck {
		return "", "", apperr.New(apperr.Rejected, "service.token_record_stale",
			i18n.M("service.token_record_stale", rec.ServiceURL), i18n.M("service.token_record_stale_hint", rec.ServiceURL))
	}
	return t, store.Backend(), nil
}

// Service returns a client of the SmartradeX service in use (ServiceURL)
// with the subscriber's token (see ServiceToken), logging to the --debug
// sink.
func (f *Factory) Service(ctx context.Context) (*service.Client, error) {
	token, _, err := f.ServiceToken(ctx)
	if err != nil {
		return nil, err
	}
	return f.ServiceClientFor(token)
}

// ServiceClientFor is a client of the service in use (ServiceURL) with a
// token ServiceToken returned.
func (f *Factory) ServiceClientFor(token string) (*service.Client, error) {
	base, err := f.ServiceURL()
	if err != nil {
		return nil, err
	}
	return f.serviceClient(base, token)
}

// ServiceWithToken is a client of loginServiceURL with a given token, for
// `auth login` and the inline login of `keys add`, which must check a
// token before it is saved (with SaveServiceToken).
func (f *Factory) ServiceWithToken(token string) (*service.Client, error) {
	base, err := f.loginServiceURL()
	if err != nil {
		return nil, err
	}
	return f.serviceClient(base, token)
}

func (f *Factory) serviceClient(base, token string) (*service.Client, error) {
	token = strings.TrimSpace(token)
	f.Redactor.Add(token)
	opts, err := f.trustedOptions(base)
	if err != nil {
		return nil, err
	}
	opts.Token = token
	return service.New(opts)
}

// trustedOptions are the options of a client of the service at base that
// judges its vault key with the process's trust.
func (f *Factory) trustedOptions(base string) (service.Options, error) {
	// One spelling per service, so that its vault key is pinned under the
	// name its token is recorded with. A refused address is left to
	// service.New to explain.
	if c, err := CanonicalServiceURL(base); err == nil {
		base = c
	}
	hc, err := f.httpClient()
	if err != nil {
		return service.Options{}, err
	}
	trust, err := f.VaultTrust()
	if err != nil {
		return service.Options{}, err
	}
	opts := service.Options{BaseURL: base, HTTP: hc, Trust: trust}
	if f.SandboxOn() {
		// The sandbox's service listens on a new port each run: its key
		// is pinned under one name.
		opts.Origin = "sandbox"
	}
	if log := f.debugLog(); log != nil {
		opts.Log = log
	}
	return opts, nil
}

// PrefetchVaultKey fetches and judges the vault key of the service in use
// ahead of a registration, without a token, so that the registering PUT
// finds it in the process's trust instead of waiting one more round trip.
// It is meant to run beside other requests (keys add asks Binance
// meanwhile); a failure is left for the registration, which fetches the
// key again and reports it.
func (f *Factory) PrefetchVaultKey(ctx context.Context) {
	base, err := f.ServiceURL()
	if err != nil {
		return
	}
	opts, err := f.trustedOptions(base)
	if err != nil {
		return
	}
	c, err := service.NewPublic(opts)
	if err != nil {
		return
	}
	if _, err := c.VaultKeyID(ctx); err != nil {
		f.Debugf("service: the vault key was not fetched ahead (%v); the registration fetches it", err)
	}
}

// trustOnce keeps a Factory's vault key trust, so that the vault key is
// fetched once per process and service.
type trustOnce struct {
	mu sync.Mutex
	t  *service.Trust
}

// VaultTrust is the process's trust in the service's vault keys (see
// service.Trust): --accept-vault-key, SMARTRADEX_VAULT_KEY_ID, the key ID
// compiled into release builds, and the pins in vault-keys.json beside
// the index. A malformed ID is a usage error. The sandbox has its own
// pins, in its home, and ignores SMARTRADEX_VAULT_KEY_ID.
func (f *Factory) VaultTrust() (*service.Trust, error) {
	f.trust.mu.Lock()
	defer f.trust.mu.Unlock()
	if f.trust.t != nil {
		return f.trust.t, nil
	}
	accept, err := vaultKeyID(f.Globals.AcceptVaultKey, "--accept-vault-key")
	if err != nil {
		return nil, err
	}
	var explicit string
	if !f.SandboxOn() {
		if explicit, err = vaultKeyID(f.env("SMARTRADEX_VAULT_KEY_ID"), "SMARTRADEX_VAULT_KEY_ID"); err != nil {
			return nil, err
		}
	}
	dir, err := f.ConfigDir()
	if err != nil {
		return nil, err
	}
	t := &service.Trust{
		Store:    state.OpenVaultPins(dir),
		Explicit: explicit,
		Compiled: buildinfo.VaultKeyID,
		Accept:   accept,
		Notify: func(origin, keyID string, _ bool) {
			// The sandbox's own stand-in key is nothing to trust or
			// remember for a person practising.
			if !f.SandboxOn() {
				// Possibly from PrefetchVaultKey's goroutine: one
				// writer at a time, as for the debug lines.
				f.debugMu.Lock()
				defer f.debugMu.Unlock()
				f.Messages().Errf("service.vault_key_pinned", keyID, origin)
			}
		},
	}
	f.trust.t = t
	return t, nil
}

// VaultKeyIDValue is the pflag.Value of --accept-vault-key: a malformed ID
// is refused while the flags are parsed, before anything runs.
type VaultKeyIDValue struct{ Target *string }

func (v VaultKeyIDValue) String() string {
	if v.Target == nil {
		return ""
	}
	return *v.Target
}

func (v VaultKeyIDValue) Set(s string) error {
	id, err := vaultKeyID(s, "--accept-vault-key")
	if err != nil {
		return err
	}
	*v.Target = id
	return nil
}

// Type names the value in flag errors and help.
func (v VaultKeyIDValue) Type() string { return "key-id" }

// vaultKeyID checks a vault key ID given by the user in name; "" stays "".
// The value is not quoted back: whatever was pasted there by mistake is
// not printed.
func vaultKeyID(raw, name string) (string, error) {
	id := strings.ToLower(strings.TrimSpace(raw))
	if id == "" || state.ValidKeyID(id) {
		return id, nil
	}
	return "", apperr.New(apperr.Usage, "service.bad_vault_key_id", i18n.M("service.bad_vault_key_id", name), i18n.M("service.bad_vault_key_id_hint"))
}

// botsTimeout bounds the wait for the service's bot list: the built-in one
// is there if it does not come.
const botsTimeout = 3 * time.Second

// ServiceBots is the service's bot catalogue (GET /v1/bots, no token), or
// nil on any failure, so that the built-in list is used. cli.Run makes it
// the source of internal/bots, asked only by the commands that need it.
func (f *Factory) ServiceBots() []bots.Bot {
	c, err := f.publicService()
	if err != nil {
		f.Debugf("bots: no service (%v); the built-in list is used", err)
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), botsTimeout)
	defer cancel()
	list, err := c.Bots(ctx)
	if err != nil {
		f.Debugf("bots: the service's list is unavailable (%v); the built-in list is used", err)
		return nil
	}
	return list
}

// AskToken asks for the SmartradeX access token at a masked prompt and has
// check (the service's GET /v1/me) judge it before the prompt closes: a
// token the service refuses is asked for again, with what to do, and never
// shown. Any other failure of check (the service out of reach) ends the
// question; the caller then gets it from check again, which is asked once
// per value however often the prompt validates it.
// Every token it is given is registered with m's redactor.
func AskToken(ctx context.Context, m Messages, p prompt.Prompter, title, description string, check func(token string) (*service.Me, error)) (string, *service.Me, error) {
	type result struct {
		me  *service.Me
		err error
	}
	seen := map[string]result{}
	once := func(token string) (*service.Me, error) {
		if r, ok := seen[token]; ok {
			return r.me, r.err
		}
		m.AddSecret(token)
		me, err := check(token)
		seen[token] = result{me, err}
		return me, err
	}
	validate := func(s string) error {
		s = strings.TrimSpace(s)
		if s == "" {
			return errors.New(m.T("auth.login.prompt_required"))
		}
		if _, err := once(s); apperr.KindOf(err) == apperr.Rejected {
			msg := i18n.M("auth.prompt.rejected")
			var e *apperr.Error
			if errors.As(err, &e) && e.Code == "service.bad_token" {
				msg = i18n.M("auth.prompt.malformed")
			}
			return prompt.UserError(m.Lang, apperr.New(apperr.Rejected, "auth.rejected", msg, i18n.M("auth.prompt.rejected_hint")), s)
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
