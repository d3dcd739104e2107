// Package seal seals a Binance secret to the SmartradeX service's vault key
// with HPKE (RFC 9180), bound to the bot, the API key and the key type, so
// that neither the web tier, a log nor a database dump can read it and a
// sealed secret cannot be replayed for another bot or key.
//
// Suite: KEM ML-KEM768-X25519 (0x647a), KDF HKDF-SHA256 (1), AEAD
// ChaCha20-Poly1305 (3). Wire form of a sealed secret: enc ‖ ciphertext, as
// crypto/hpke.Seal returns it. The info string is
// "smartradex/v1 binance-secret\x00" + bot + "\x00" + api_key + "\x00" + key_type.
package seal

import (
	"crypto/hpke"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// The HPKE suite identifiers, as GET /v1/vault-key publishes them.
const (
	KEMID  uint16 = 0x647a // ML-KEM768-X25519
	KDFID  uint16 = 0x0001 // HKDF-SHA256
	AEADID uint16 = 0x0003 // ChaCha20-Poly1305
)

// infoPrefix starts the HPKE info of every sealed Binance secret.
const infoPrefix = "smartradex/v1 binance-secret\x00"

// ErrOpen is returned when a sealed secret does not open: tampered, sealed
// to another key, or bound to another bot, API key or key type.
var ErrOpen = errors.New("the sealed secret does not open with this vault key")

func kem() hpke.KEM   { return hpke.MLKEM768X25519() }
func kdf() hpke.KDF   { return hpke.HKDFSHA256() }
func aead() hpke.AEAD { return hpke.ChaCha20Poly1305() }

// Info is the HPKE info that binds a sealed secret to its bot, API key and
// key type.
func Info(bot, apiKey, keyType string) []byte {
	return []byte(infoPrefix + bot + "\x00" + apiKey + "\x00" + keyType)
}

// KeyID is the identifier of a vault public key: the first 16 bytes of the
// SHA-256 of its serialized form, in lower-case hex.
func KeyID(publicKey []byte) string {
	sum := sha256.Sum256(publicKey)
	return hex.EncodeToString(sum[:16])
}

// PublicKey is a vault public key.
type PublicKey struct {
	key hpke.PublicKey
	raw []byte
	id  string
}

// ID is the key's identifier (KeyID of its bytes).
func (p *PublicKey) ID() string { return p.id }

// Bytes is the serialized public key.
func (p *PublicKey) Bytes() []byte { return append([]byte(nil), p.raw...) }

// ParsePublicKey reads a serialized ML-KEM768-X25519 public key.
func ParsePublicKey(raw []byte) (*PublicKey, error) {
	k, err := kem().NewPublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("not a vault public key: %w", err)
	}
	return &PublicKey{key: k, raw: append([]byte(nil), raw...), id: KeyID(raw)}, nil
}

// VaultKey is the body of GET /v1/vault-key.
type VaultKey struct {
	KeyID     string `json:"key_id"`
	KEM       uint16 `json:"kem"`
	KDF       uint16 `json:"kdf"`
	AEAD      uint16 `json:"aead"`
	PublicKey string `json:"public_key"` // standard base64
}

// Describe returns the published form of p.
func (p *PublicKey) Describe() VaultKey {
	return VaultKey{KeyID: p.id, KEM: KEMID, KDF: KDFID, AEAD: AEADID,
		PublicKey: base64.StdEncoding.EncodeToString(p.raw)}
}

// Parse checks a published vault key: the suite must be the one above and
// the key ID must be the hash of the public key it comes with.
func (v VaultKey) Parse() (*PublicKey, error) {
	if v.KEM != KEMID || v.KDF != KDFID || v.AEAD != AEADID {
		return nil, fmt.Errorf("unsupported HPKE suite (kem %d, kdf %d, aead %d)", v.KEM, v.KDF, v.AEAD)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(v.PublicKey)
	if err != nil {
		return nil, errors.New("public_key is not standard base64")
	}
	p, err := ParsePublicKey(raw)
	if err != nil {
		return nil, err
	}
	if v.KeyID != p.id {
		return nil, errors.New("key_id does not match public_key")
	}
	return p, nil
}

// PrivateKey is a vault private key. It never leaves the service's memory
// except through MarshalText, written once to a 0600 file.
type PrivateKey struct {
	key hpke.PrivateKey
	pub *PublicKey
}

// GenerateKey makes a new vault key pair.
func GenerateKey() (*PrivateKey, error) {
	k, err := kem().GenerateKey()
	if err != nil {
		return nil, err
	}
	return wrapPrivate(k)
}

func wrapPrivate(k hpke.PrivateKey) (*PrivateKey, error) {
	pub, err := ParsePublicKey(k.PublicKey().Bytes())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{key: k, pub: pub}, nil
}

// ParsePrivateKey reads the text form: one line, the standard base64 of the
// private key's serialized bytes (for ML-KEM768-X25519 the 32-byte seed).
// Surrounding white space is ignored.
func ParsePrivateKey(text []byte) (*PrivateKey, error) {
	raw, err := base64.StdEncoding.Strict().DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		return nil, errors.New("the vault key file is not one line of standard base64")
	}
	k, err := kem().NewPrivateKey(raw)
	clear(raw)
	if err != nil {
		return nil, errors.New("the vault key file does not hold an ML-KEM768-X25519 private key")
	}
	return wrapPrivate(k)
}

// MarshalText returns the text form read by ParsePrivateKey, with a final
// newline. The caller must write it only to a file only its owner can read.
func (k *PrivateKey) MarshalText() ([]byte, error) {
	seed, err := k.key.Bytes()
	if err != nil {
		return nil, err
	}
	// crypto/hpke's hybrid keys return their own seed, not a copy: clearing
	// it would destroy the key, so only a copy is cleared.
	raw := append([]byte(nil), seed...)
	defer clear(raw)
	return []byte(base64.StdEncoding.EncodeToString(raw) + "\n"), nil
}

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// String never shows the key.
func (k *PrivateKey) String() string { return "vault private key " + k.pub.id }

// GoString never shows the key.
func (k *PrivateKey) GoString() string { return k.String() }

// Seal seals secret to pub, bound to bot, apiKey and keyType. The result is
// enc ‖ ciphertext.
func Seal(pub *PublicKey, bot, apiKey, keyType string, secret []byte) ([]byte, error) {
	if pub == nil {
		return nil, errors.New("no vault key")
	}
	return hpke.Seal(pub.key, kdf(), aead(), Info(bot, apiKey, keyType), secret)
}

// Open opens what Seal sealed for the same bot, apiKey and keyType. Any
// failure is ErrOpen, without detail: a caller must not learn which part
// did not match. The caller clears the result once done with it.
func Open(k *PrivateKey, bot, apiKey, keyType string, sealed []byte) ([]byte, error) {
	if k == nil {
		return nil, ErrOpen
	}
	pt, err := hpke.Open(k.key, kdf(), aead(), Info(bot, apiKey, keyType), sealed)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
