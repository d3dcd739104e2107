package servicetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

// state is the persisted form, for the sandbox: the vault private key and
// the store's snapshot (token hashes, sealed secrets). Versions 1 (secrets
// in clear) and 2 (the old reference's own accounts and registrations) are
// read and migrated; the next save writes version 3.
type state struct {
	Version  int             `json:"version"`
	VaultKey string          `json:"vault_key"` // seal's text form of the private key
	Store    json.RawMessage `json:"store"`     // memstore's MarshalJSON
}

const stateVersion = 3

// MarshalState returns the vault private key and the store as JSON. The
// result holds a private key that opens the secrets: whoever writes it to
// disk must treat it as a secret. Tokens are in it as their SHA-256 only.
func (s *Server) MarshalState() ([]byte, error) {
	s.mu.Lock()
	vault := s.vault
	s.mu.Unlock()
	key, err := vault.MarshalText()
	if err != nil {
		return nil, err
	}
	snap, err := s.store.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(state{Version: stateVersion, VaultKey: strings.TrimSpace(string(key)), Store: snap}, "", "  ")
}

// LoadState replaces the vault key and everything the store holds by those
// of data. On error nothing changes.
func (s *Server) LoadState(data []byte) error {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("servicetest: reading state: %w", err)
	}
	var (
		vault *seal.PrivateKey
		snap  []byte
		err   error
	)
	switch st.Version {
	case 1:
		s.mu.Lock()
		vault = s.vault
		s.mu.Unlock()
		snap, err = migrateV1(data, vault)
	case 2:
		if vault, err = seal.ParsePrivateKey([]byte(st.VaultKey)); err == nil {
			snap, err = migrateV2(data)
		}
	case stateVersion:
		vault, err = seal.ParsePrivateKey([]byte(st.VaultKey))
		snap = st.Store
	default:
		return fmt.Errorf("servicetest: state version %d is not supported", st.Version)
	}
	if err != nil {
		return fmt.Errorf("servicetest: reading state: %w", err)
	}
	if err := s.store.LoadJSON(snap); err != nil {
		return fmt.Errorf("servicetest: reading state: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vault = vault
	s.handler.SetVaultKey(vault)
	s.registrants = map[regKey]registrant{}
	return nil
}

// oldAccount and oldRegistration are the records of versions 1 and 2.
type oldAccount struct {
	Email string   `json:"email"`
	Bots  []string `json:"bots"`
}

type oldRegistration struct {
	Email        string    `json:"email"`
	Bot          string    `json:"bot"`
	APIKey       string    `json:"api_key"`
	SealedSecret []byte    `json:"sealed_secret"`
	VaultKeyID   string    `json:"vault_key_id"`
	APISecret    string    `json:"api_secret"` // version 1 only
	KeyType      string    `json:"key_type"`
	Label        string    `json:"label"`
	RegisteredAt time.Time `json:"registered_at"`
}

type oldState struct {
	Accounts      map[string]oldAccount `json:"accounts"` // by token
	Registrations []oldRegistration     `json:"registrations"`
}

// migrateV1 reads a state saved before secrets were sealed: each secret is
// sealed to vault, the service's current key, and forgotten.
func migrateV1(data []byte, vault *seal.PrivateKey) ([]byte, error) {
	var old oldState
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, err
	}
	for i, r := range old.Registrations {
		sealed, err := seal.Seal(vault.Public(), r.Bot, r.APIKey, r.KeyType, []byte(r.APISecret))
		if err != nil {
			return nil, err
		}
		old.Registrations[i].SealedSecret, old.Registrations[i].VaultKeyID, old.Registrations[i].APISecret = sealed, vault.Public().ID(), ""
	}
	return old.replay()
}

// migrateV2 reads a state of the old reference implementation, whose
// secrets are already sealed.
func migrateV2(data []byte) ([]byte, error) {
	var old oldState
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, err
	}
	for _, r := range old.Registrations {
		if r.APISecret != "" {
			return nil, errors.New("a version 2 state holds a secret in clear")
		}
	}
	return old.replay()
}

// replay builds, through the store's own methods, the store the old state
// describes, and returns its snapshot: accounts as AddAccount makes them,
// then the registrations with their times.
func (old oldState) replay() ([]byte, error) {
	ctx := context.Background()
	m := memstore.New()
	tokens := make([]string, 0, len(old.Accounts))
	for t := range old.Accounts {
		tokens = append(tokens, t)
	}
	sort.Strings(tokens)
	for _, t := range tokens {
		a := old.Accounts[t]
		if err := addAccount(ctx, m, t, a.Email, a.Bots, time.Now()); err != nil {
			return nil, fmt.Errorf("the account of %s: %w", a.Email, err)
		}
	}
	for _, r := range old.Registrations {
		sub, err := m.Subscriber(ctx, r.Email)
		if errors.Is(err, store.ErrNotFound) {
			sub, err = m.AddSubscriber(ctx, r.Email, r.RegisteredAt)
		}
		if err != nil {
			return nil, fmt.Errorf("the registration of %s for %s: %w", r.Email, r.Bot, err)
		}
		if _, err := m.PutKey(ctx, store.Key{SubscriberID: sub.ID, Bot: r.Bot, APIKey: r.APIKey, KeyType: r.KeyType,
			Label: r.Label, SealedSecret: r.SealedSecret, VaultKeyID: r.VaultKeyID, RegisteredAt: r.RegisteredAt}); err != nil {
			return nil, fmt.Errorf("the registration of %s for %s: %w", r.Email, r.Bot, err)
		}
	}
	return m.MarshalJSON()
}
