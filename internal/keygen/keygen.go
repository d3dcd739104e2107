// Package keygen makes the Ed25519 key pairs of `keys generate` and keeps a
// pending one in the secret store until Binance gives it an API key, so the
// subscriber only ever pastes a public key into Binance.
package keygen

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// Pair is a new key pair. PrivatePEM is a secret: it goes to the store and
// to the signer, never to output.
type Pair struct {
	PrivatePEM string // PKCS#8, "BEGIN PRIVATE KEY", what Binance's signers read
	PublicPEM  string // PKIX, "BEGIN PUBLIC KEY", what Binance's "Self-generated" form takes
}

// String keeps the private key out of any accidental %v.
func (p Pair) String() string {
	return "keygen.Pair{PublicPEM: " + p.PublicPEM + ", PrivatePEM: [REDACTED]}"
}

// GoString makes %#v as safe as %v.
func (p Pair) GoString() string { return p.String() }

// Format makes every verb print String().
func (p Pair) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, p.String()) }

// New makes an Ed25519 key pair from rnd (crypto/rand when nil).
func New(rnd io.Reader) (Pair, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	pub, priv, err := ed25519.GenerateKey(rnd)
	if err != nil {
		return Pair{}, fmt.Errorf("generate an Ed25519 key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Pair{}, fmt.Errorf("encode the private key: %w", err)
	}
	pubPEM, err := publicPEM(pub)
	if err != nil {
		return Pair{}, err
	}
	return Pair{
		PrivatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		PublicPEM:  pubPEM,
	}, nil
}

func publicPEM(pub ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode the public key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ErrNotEd25519 is returned by PublicPEM for a PEM that is not an unencrypted
// PKCS#8 Ed25519 private key.
var ErrNotEd25519 = errors.New("not a PKCS#8 Ed25519 private key")

// PublicPEM derives the public key PEM from a stored private key PEM, so the
// public key can be shown again without keeping a copy of it.
func PublicPEM(privatePEM string) (string, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(privatePEM)))
	if block == nil || block.Type != "PRIVATE KEY" {
		return "", ErrNotEd25519
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return "", ErrNotEd25519
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return "", ErrNotEd25519
	}
	return publicPEM(priv.Public().(ed25519.PublicKey))
}

// Credentials are what signs requests once Binance has shown the API key.
func Credentials(apiKey, privatePEM string) binance.Credentials {
	return binance.Credentials{APIKey: apiKey, Secret: privatePEM, Type: binance.ED25519}
}

// Save keeps p's private key for bot: the secret first, then the index, in
// the order every smartradex command follows, so that a crash in between
// leaves a secret without an entry rather than an entry without a secret.
// A bot with no key gets an entry that only awaits its API key; a bot
// whose key is in force keeps it, and its entry only notes GeneratedAt.
func Save(ctx context.Context, store secrets.Store, ix *state.Index, bot string, p Pair, now time.Time) (state.Entry, error) {
	if err := store.Set(ctx, secrets.BotGeneratedSecretName(bot), p.PrivatePEM); err != nil {
		return state.Entry{}, err
	}
	at := now.UTC()
	var saved state.Entry
	err := ix.Update(ctx, func(s *state.Snapshot) error {
		e := s.Entries[bot]
		if e == nil || e.AwaitingAPIKey() {
			e = &state.Entry{
				Bot: bot, KeyType: string(binance.ED25519), Backend: store.Backend(),
				SecretName: secrets.BotGeneratedSecretName(bot), Status: state.StatusPending, CreatedAt: at,
			}
			s.Entries[bot] = e
		}
		e.GeneratedAt = &at
		saved = *e
		return nil
	})
	if err != nil {
		return state.Entry{}, err
	}
	return saved, nil
}

// Load returns bot's waiting private key from store.
func Load(ctx context.Context, store secrets.Store, bot string) (string, error) {
	return store.Get(ctx, secrets.BotGeneratedSecretName(bot))
}

// Make generates a key pair for bot and keeps it as pending: beside the
// key in force, in its entry's store, when bot has an entry, else in the
// selected store. It returns the pair and the backend that holds it. The
// caller registers p.PrivatePEM with its redactor.
func Make(ctx context.Context, ix *state.Index, entry *state.Entry, bot string, storeFor func(backend string) (secrets.Store, error), selected func() (string, error), rnd io.Reader, now time.Time) (Pair, string, error) {
	var backend string
	if entry != nil {
		backend = entry.Backend
	} else {
		var err error
		if backend, err = selected(); err != nil {
			return Pair{}, "", err
		}
	}
	store, err := storeFor(backend)
	if err != nil {
		return Pair{}, "", err
	}
	p, err := New(rnd)
	if err != nil {
		return Pair{}, "", err
	}
	if _, err := Save(ctx, store, ix, bot, p, now); err != nil {
		return p, "", err
	}
	return p, backend, nil
}

// Pending returns the pair of bot's generated key that waits for its API
// key, from the store entry names, its public key derived again from the
// private one; secrets.ErrNotFound when the private key is gone.
func Pending(ctx context.Context, entry *state.Entry, bot string, storeFor func(backend string) (secrets.Store, error)) (Pair, error) {
	store, err := storeFor(entry.Backend)
	if err != nil {
		return Pair{}, err
	}
	priv, err := Load(ctx, store, bot)
	if err != nil {
		return Pair{}, err
	}
	pub, err := PublicPEM(priv)
	if err != nil {
		return Pair{PrivatePEM: priv}, err
	}
	return Pair{PrivatePEM: priv, PublicPEM: pub}, nil
}
