package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/seal"
)

// Where a vault key ID was pinned, as PinStore records it and messages say.
const (
	PinFirstUse = "first_use" // the first key seen, trusted without a question
	PinAccepted = "accepted"  // accepted by the user: --accept-vault-key, or yes at auth login
	pinEnv      = "environment"
	pinBuild    = "build"
)

// PinStore keeps the vault key ID trusted for each service (origin), on
// disk beside the index. Values are key IDs, never secrets.
type PinStore interface {
	// GetPin returns the pinned key ID of origin and how it was pinned
	// (PinFirstUse or PinAccepted); ok is false when there is none.
	GetPin(ctx context.Context, origin string) (keyID, source string, ok bool, err error)
	// SetPin pins keyID for origin.
	SetPin(ctx context.Context, origin, keyID, source string) error
}

// memPins is the PinStore of a Trust without one: pins last as long as
// the process.
type memPins struct {
	mu   sync.Mutex
	pins map[string][2]string
}

func (m *memPins) GetPin(_ context.Context, origin string) (string, string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pins[origin]
	return p[0], p[1], ok, nil
}

func (m *memPins) SetPin(_ context.Context, origin, keyID, source string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pins == nil {
		m.pins = map[string][2]string{}
	}
	m.pins[origin] = [2]string{keyID, source}
	return nil
}

// Trust decides which vault key a secret may be sealed to, for each
// service, and remembers the keys fetched during the process, so that
// GET /v1/vault-key is asked once per process and service. One Trust is
// meant to serve every Client of a process. Its fields are set before
// first use.
//
// For a service, the first of these that applies decides:
//  1. Accept (--accept-vault-key): the key whose ID it is, pinned as accepted;
//  2. Explicit (SMARTRADEX_VAULT_KEY_ID): that ID, nothing is written;
//  3. a pin the user accepted earlier;
//  4. Compiled (buildinfo.VaultKeyID), for DefaultBaseURL only;
//  5. a pin made on first use;
//  6. none: the key offered is pinned on first use (after Ask, when set).
//
// A key that is not the one decided is refused, unless Ask says yes.
type Trust struct {
	Store    PinStore // nil: pins in memory for the process only
	Explicit string
	Compiled string
	Accept   string
	// Ask, when set (a terminal, during auth login), asks the user
	// whether to trust offered; pinned is "" on first use.
	Ask func(ctx context.Context, origin, pinned, offered string) (bool, error)
	// Notify, when set, is told each time a key ID is pinned.
	Notify func(origin, keyID string, firstUse bool)

	mu    sync.Mutex
	mem   memPins
	keys  map[string]*seal.PublicKey // by origin: fetched and trusted
	fetch sync.Mutex                 // one fetch and judgement at a time: concurrent PUTs wait for the first
}

func (t *Trust) store() PinStore {
	if t.Store != nil {
		return t.Store
	}
	return &t.mem
}

func (t *Trust) cached(origin string) *seal.PublicKey {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.keys[origin]
}

func (t *Trust) remember(origin string, k *seal.PublicKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[string]*seal.PublicKey{}
	}
	if k == nil {
		delete(t.keys, origin)
		return
	}
	t.keys[origin] = k
}

// pinned returns the key ID trusted for origin and where it comes from,
// or "" when nothing is pinned yet.
func (t *Trust) pinned(ctx context.Context, origin string, isDefault bool) (id, source string, err error) {
	if t.Explicit != "" {
		return t.Explicit, pinEnv, nil
	}
	stored, how, ok, err := t.store().GetPin(ctx, origin)
	if err != nil {
		return "", "", err
	}
	if ok && how == PinAccepted {
		return stored, PinAccepted, nil
	}
	if isDefault && t.Compiled != "" {
		return t.Compiled, pinBuild, nil
	}
	if ok {
		return stored, PinFirstUse, nil
	}
	return "", "", nil
}

// check decides whether offered may be used for origin, pinning it when
// this is its first use or the user accepts it.
func (t *Trust) check(ctx context.Context, origin string, isDefault bool, offered string) error {
	if t.Accept != "" && t.Accept == offered {
		// Accepted on the command line: remembered for the next runs,
		// unless that is already so.
		if stored, how, ok, err := t.store().GetPin(ctx, origin); err != nil {
			return err
		} else if ok && stored == offered && how == PinAccepted {
			return nil
		}
		return t.pin(ctx, origin, offered, PinAccepted)
	}
	id, source, err := t.pinned(ctx, origin, isDefault)
	if err != nil {
		return err
	}
	switch {
	case id == offered:
		return nil
	case id == "":
		if t.Ask != nil {
			yes, err := t.Ask(ctx, origin, "", offered)
			if err != nil {
				return err
			}
			if !yes {
				return changedError(origin, "", "", offered, t.Accept)
			}
			return t.pin(ctx, origin, offered, PinAccepted)
		}
		return t.pin(ctx, origin, offered, PinFirstUse)
	case source != pinEnv && t.Ask != nil:
		yes, err := t.Ask(ctx, origin, id, offered)
		if err != nil {
			return err
		}
		if yes {
			return t.pin(ctx, origin, offered, PinAccepted)
		}
	}
	return changedError(origin, source, id, offered, t.Accept)
}

func (t *Trust) pin(ctx context.Context, origin, keyID, source string) error {
	if err := t.store().SetPin(ctx, origin, keyID, source); err != nil {
		return err
	}
	if t.Notify != nil {
		t.Notify(origin, keyID, source == PinFirstUse)
	}
	return nil
}

// changedError is the refusal of a vault key that is not the trusted one.
// Nothing has been sent to the service.
func changedError(origin, source, pinned, offered, accept string) error {
	var hints []i18n.Message
	if accept != "" {
		hints = append(hints, i18n.M("service.vault_key_flag_hint", accept, offered))
	}
	if pinned == "" {
		return apperr.New(apperr.Refused, "service.vault_key_declined", i18n.M("service.vault_key_declined", offered, origin),
			append(hints, i18n.M("service.vault_key_accept_hint", offered))...)
	}
	hints = append(hints, i18n.M("service.vault_key_announced_hint"))
	if source == pinEnv {
		hints = append(hints, i18n.M("service.vault_key_env_hint", offered))
	} else {
		hints = append(hints, i18n.M("service.vault_key_accept_hint", offered))
	}
	return apperr.New(apperr.Refused, "service.vault_key_changed",
		i18n.M("service.vault_key_changed", origin, pinned, sourceMessage(source), offered), hints...)
}

// sourceMessage says where a pin comes from.
func sourceMessage(source string) i18n.Message {
	switch source {
	case pinEnv:
		return i18n.M("service.vault_key_source.environment")
	case pinBuild:
		return i18n.M("service.vault_key_source.build")
	case PinAccepted:
		return i18n.M("service.vault_key_source.accepted")
	}
	return i18n.M("service.vault_key_source.first_use")
}

// VaultKeyID returns the ID of the service's vault key, fetched (once per
// process and service) and judged by the client's Trust: a key that is not
// the trusted one is an error, and nothing else is sent. auth login uses it
// to show the key and settle the trust before any key is registered.
func (c *Client) VaultKeyID(ctx context.Context) (string, error) {
	k, err := c.vaultKey(ctx, false, false, nil)
	if err != nil {
		return "", err
	}
	return k.ID(), nil
}

// vaultKey returns the trusted vault key of the client's service. fresh
// skips the process's copy (after a 409 vault_key_changed); registering
// says that a PUT waits on it, for the hints of a failure; secrets are
// scrubbed from what the service says back.
func (c *Client) vaultKey(ctx context.Context, fresh, registering bool, secrets []string) (*seal.PublicKey, error) {
	c.trust.fetch.Lock()
	defer c.trust.fetch.Unlock()
	if !fresh {
		if k := c.trust.cached(c.origin); k != nil {
			return k, nil
		}
	}
	var vk seal.VaultKey
	cl := call{method: http.MethodGet, path: "/v1/vault-key", public: true, registering: registering, secrets: secrets}
	if err := c.do(ctx, cl, &vk); err != nil {
		return nil, err
	}
	k, err := vk.Parse()
	if err != nil {
		return nil, c.badResponse(fmt.Errorf("GET /v1/vault-key: %w", err))
	}
	if err := c.trust.check(ctx, c.origin, c.isDefault(), k.ID()); err != nil {
		c.trust.remember(c.origin, nil)
		return nil, err
	}
	c.trust.remember(c.origin, k)
	return k, nil
}

// sealedBody is the body of a PUT: the secret sealed to the vault key.
type sealedBody struct {
	APIKey       string `json:"api_key"`
	SealedSecret []byte `json:"sealed_secret"` // standard base64 in JSON
	VaultKeyID   string `json:"vault_key_id"`
	KeyType      string `json:"key_type"`
	Label        string `json:"label"`
}

func sealRegistration(k *seal.PublicKey, bot string, reg KeyRegistration) ([]byte, error) {
	sealed, err := seal.Seal(k, bot, reg.APIKey, reg.KeyType, []byte(reg.APISecret))
	if err != nil {
		return nil, err
	}
	// The API key is public by contract (Binance shows it, the service
	// echoes it); the secret travels only sealed.
	return json.Marshal(sealedBody{APIKey: reg.APIKey, SealedSecret: sealed, VaultKeyID: k.ID(), KeyType: reg.KeyType, Label: reg.Label}) //nolint:gosec // G117: api_key is not a secret
}

// isVaultKeyChanged tells whether err is the service's 409
// vault_key_changed.
func isVaultKeyChanged(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.Status == http.StatusConflict && se.Code == "vault_key_changed"
}
