package server

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"unicode/utf8"

	"github.com/smartradex/smartradex/internal/seal"
)

// putRequest is a PUT body once checked: the secret is only in sealed form.
type putRequest struct {
	apiKey, keyType, label string
	sealed                 []byte
	vaultKeyID             string
}

// readPutThen reads and checks a PUT body in the documented order: malformed
// body (422) → unknown vault_key_id (409 vault_key_changed) → a seal that
// does not open (422) → the secret's shape (422). It returns a non-zero
// status with the error to answer, or the request. The secret is opened
// only here, in memory, and cleared before returning; no message echoes a
// value.
//
// When the body passes every check and use is not nil, the opened secret is
// handed to use before it is cleared: the only moment it is in clear, for
// the service's check of the key with Binance.
func (s *Server) readPutThen(w http.ResponseWriter, r *http.Request, bot string, use func(in putRequest, secret []byte)) (putRequest, int, string, string) {
	const bad = http.StatusUnprocessableEntity
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBody))
	defer clear(data)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return putRequest{}, bad, CodeInvalidRequest, "the body is too large"
		}
		return putRequest{}, bad, CodeInvalidRequest, "the body could not be read"
	}
	var in struct {
		APIKey       *string         `json:"api_key"`
		APISecret    json.RawMessage `json:"api_secret"`
		SealedSecret *string         `json:"sealed_secret"`
		VaultKeyID   *string         `json:"vault_key_id"`
		KeyType      *string         `json:"key_type"`
		Label        *string         `json:"label"`
	}
	err = json.Unmarshal(data, &in)
	defer clear(in.APISecret)
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		return putRequest{}, bad, CodeInvalidRequest, "the body is not a JSON object"
	}
	if len(in.APISecret) > 0 && string(in.APISecret) != "null" {
		return putRequest{}, bad, CodeInvalidRequest, "api_secret in clear is refused: send sealed_secret, sealed to GET /v1/vault-key"
	}
	switch {
	case in.APIKey == nil || in.SealedSecret == nil || in.VaultKeyID == nil || in.KeyType == nil:
		return putRequest{}, bad, CodeInvalidRequest, "api_key, sealed_secret, vault_key_id and key_type are required"
	case !isAPIKey(*in.APIKey):
		return putRequest{}, bad, CodeInvalidRequest, "api_key must be 64 letters and digits"
	}
	switch *in.KeyType {
	case "HMAC", "ED25519", "RSA":
	default:
		return putRequest{}, bad, CodeInvalidRequest, "key_type must be HMAC, ED25519 or RSA"
	}
	var label string
	if in.Label != nil {
		label = *in.Label
		if utf8.RuneCountInString(label) > 100 {
			return putRequest{}, bad, CodeInvalidRequest, "label must be at most 100 characters"
		}
	}
	sealed, err := base64.StdEncoding.Strict().DecodeString(*in.SealedSecret)
	if err != nil || len(sealed) == 0 {
		return putRequest{}, bad, CodeInvalidRequest, "sealed_secret must be standard base64 of enc and ciphertext"
	}
	if !isKeyID(*in.VaultKeyID) {
		return putRequest{}, bad, CodeInvalidRequest, "vault_key_id must be a key_id: 32 lower-case hexadecimal digits"
	}
	vault := s.vault.Load()
	if vault == nil || *in.VaultKeyID != vault.Public().ID() {
		return putRequest{}, http.StatusConflict, CodeVaultKeyChanged,
			"the vault key has changed: fetch GET /v1/vault-key and seal the secret again"
	}
	secret, err := seal.Open(vault, bot, *in.APIKey, *in.KeyType, sealed)
	defer clear(secret)
	if err != nil {
		return putRequest{}, bad, CodeInvalidRequest, "sealed_secret does not open for this bot, api_key and key_type"
	}
	if msg := secretShape(*in.KeyType, secret); msg != "" {
		return putRequest{}, bad, CodeInvalidRequest, msg
	}
	req := putRequest{apiKey: *in.APIKey, keyType: *in.KeyType, label: label, sealed: sealed, vaultKeyID: *in.VaultKeyID}
	if use != nil {
		use(req, secret)
	}
	return req, 0, "", ""
}

// isAPIKey tells whether s has the shape of a Binance API key or HMAC
// secret: 64 ASCII letters and digits.
func isAPIKey[T string | []byte](s T) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// isKeyID tells whether s has the shape of a vault key ID (docs/openapi.yaml:
// ^[0-9a-f]{32}$). Another shape is a malformed field, refused before the
// service looks for the key.
func isKeyID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// secretShape applies the contract's rules to an opened secret and says
// what is wrong, or "". The rules are those of the reference
// implementation: Binance itself is the judge of the rest.
func secretShape(keyType string, secret []byte) string {
	switch keyType {
	case "HMAC":
		if !isAPIKey(secret) {
			return "for an HMAC key, the sealed secret must be 64 letters and digits"
		}
	case "ED25519", "RSA":
		if !bytes.Contains(secret, []byte("-----BEGIN PRIVATE KEY-----")) || !bytes.Contains(secret, []byte("-----END PRIVATE KEY-----")) {
			return "for an " + keyType + " key, the sealed secret must be the PKCS#8 private key in PEM form"
		}
	}
	return ""
}
