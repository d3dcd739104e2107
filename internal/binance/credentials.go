package binance

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
)

// KeyType is how a key signs requests, as go-binance names it.
type KeyType string

// The key types Binance accepts.
const (
	HMAC    KeyType = "HMAC"
	ED25519 KeyType = "ED25519"
	RSA     KeyType = "RSA"
)

// KeyLen is the length of a Binance API key and of an HMAC secret.
const KeyLen = 64

// Credentials are a Binance API key and its secret: an HMAC secret, or the
// PEM text of an Ed25519 or RSA PKCS#8 private key. Every way of printing a
// Credentials value shows the masked key only, never the secret.
type Credentials struct {
	APIKey string
	Secret string
	Type   KeyType
}

// String shows the masked key and the key type.
func (c Credentials) String() string {
	return fmt.Sprintf("binance.Credentials{APIKey: %s, Type: %s, Secret: [REDACTED]}", redact.MaskKey(c.APIKey), c.Type)
}

// GoString makes %#v as safe as %v.
func (c Credentials) GoString() string { return c.String() }

// Format makes every verb (%s, %v, %+v, %#v, %q, %x…) print String().
func (c Credentials) Format(f fmt.State, verb rune) { _, _ = io.WriteString(f, c.String()) }

// MarshalJSON keeps the secret out of any JSON a caller might log.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"api_key": redact.MaskKey(c.APIKey), "key_type": string(c.Type)})
}

// LogValue keeps the secret out of structured logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("api_key", redact.MaskKey(c.APIKey)), slog.String("key_type", string(c.Type)))
}

func usage(code, msg string, args ...any) func(hints ...i18n.Message) error {
	return func(hints ...i18n.Message) error {
		return apperr.New(apperr.Usage, "binance."+code, i18n.M("binance.creds."+msg, args...), hints...)
	}
}

func hint(key string, args ...any) i18n.Message { return i18n.M("binance.creds."+key, args...) }

// ParseCredentials cleans up what a user pasted and checks its shape before
// anything is sent: surrounding white space is trimmed, the key type is
// detected from the secret, and each common mistake (a swapped pair, a
// public key, an encrypted or non-PKCS#8 PEM) gets an apperr.Usage error that
// says what to do. The secret never appears in an error.
func ParseCredentials(apiKey, secret string) (Credentials, error) {
	apiKey = strings.TrimSpace(apiKey)
	secret = strings.TrimSpace(secret)
	switch {
	case apiKey == "":
		return Credentials{}, usage("empty_key", "key_empty")(hint("key_empty_hint"))
	case secret == "":
		return Credentials{}, usage("empty_secret", "secret_empty")(hint("secret_empty_hint"))
	case strings.Contains(apiKey, "-----BEGIN") || strings.Contains(apiKey, "PRIVATE KEY"):
		return Credentials{}, usage("key_is_pem", "key_is_pem")(hint("swapped_hint"))
	case apiKey == secret:
		return Credentials{}, usage("same_value", "same_value")(hint("same_value_hint"))
	case isPublicKeyText(apiKey):
		return Credentials{}, usage("key_is_public_key", "key_is_public_key")(hint("key_is_public_key_hint"))
	case strings.IndexFunc(apiKey, unicode.IsSpace) >= 0:
		return Credentials{}, usage("bad_key_shape", "key_spaces")(hint("paste_again_hint"))
	case !isAlnum(apiKey) || len(apiKey) != KeyLen:
		return Credentials{}, usage("bad_key_shape", "key_shape", utf8.RuneCountInString(apiKey))(hint("key_shape_hint"), hint("swapped_hint"))
	}

	if strings.Contains(secret, "-----BEGIN") {
		return parsePEM(apiKey, secret)
	}
	if isAlnum(secret) && len(secret) == KeyLen {
		return Credentials{APIKey: apiKey, Secret: secret, Type: HMAC}, nil
	}
	if isPublicKeyText(secret) {
		return Credentials{}, usage("public_key", "public_key")(hint("public_key_hint"))
	}
	// A PKCS#8 body pasted without its BEGIN/END lines is still a usable key.
	if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(secret), "")); err == nil {
		if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			return parsePEM(apiKey, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})))
		}
	}
	if strings.IndexFunc(secret, unicode.IsSpace) >= 0 {
		return Credentials{}, usage("bad_secret_shape", "secret_spaces")(hint("paste_again_hint"))
	}
	return Credentials{}, usage("bad_secret_shape", "secret_shape", utf8.RuneCountInString(secret))(hint("secret_shape_hint"), hint("swapped_hint"))
}

func parsePEM(apiKey, secret string) (Credentials, error) {
	text := normalisePEM(secret)
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return Credentials{}, usage("bad_pem", "bad_pem")(hint("bad_pem_hint"))
	}
	if _, encrypted := block.Headers["Proc-Type"]; encrypted || block.Type == "ENCRYPTED PRIVATE KEY" {
		return Credentials{}, usage("encrypted_pem", "encrypted_pem")(hint("encrypted_pem_hint"))
	}
	switch block.Type {
	case "PRIVATE KEY":
	case "PUBLIC KEY", "RSA PUBLIC KEY":
		return Credentials{}, usage("public_key", "public_key")(hint("public_key_hint"))
	case "RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY":
		return Credentials{}, usage("not_pkcs8", "not_pkcs8", block.Type)(hint("not_pkcs8_hint"))
	default:
		if !pemLabels[block.Type] {
			// The label came from the paste, like the rest of it: only the
			// labels real PEM files carry are named.
			return Credentials{}, usage("bad_pem", "bad_pem")(hint("bad_pem_hint"))
		}
		return Credentials{}, usage("bad_pem", "not_a_private_key", block.Type)(hint("public_key_hint"))
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return Credentials{}, usage("bad_pem", "bad_pem")(hint("bad_pem_hint"))
	}
	out := Credentials{APIKey: apiKey, Secret: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes}))}
	switch k := key.(type) {
	case ed25519.PrivateKey:
		out.Type = ED25519
	case *rsa.PrivateKey:
		out.Type = RSA
		if bits := k.N.BitLen(); bits < MinRSABits {
			return Credentials{}, usage("weak_key", "rsa_too_small", bits, MinRSABits)(hint("rsa_too_small_hint"))
		}
	default:
		return Credentials{}, usage("unsupported_key", "unsupported_key")(hint("unsupported_key_hint"))
	}
	if !canSign(key) {
		return Credentials{}, usage("cannot_sign", "cannot_sign")(hint("rsa_too_small_hint"))
	}
	return out, nil
}

// MinRSABits is the smallest RSA key accepted. Go refuses to sign with
// keys under 1024 bits, and 2048 is the least anyone should trust with
// money; a smaller key would only fail later, at Binance.
const MinRSABits = 2048

// canSign signs a fixed message with key as go-binance will sign requests
// (RSA PKCS #1 v1.5 over SHA-256, or Ed25519) and checks the signature, so
// that a key that parses but cannot sign is refused here, before any
// request, instead of failing inside the client as if Binance were down.
func canSign(key any) bool {
	msg := []byte("smartradex: can this key sign?")
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return false
		}
		return ed25519.Verify(k.Public().(ed25519.PublicKey), msg, ed25519.Sign(k, msg))
	case *rsa.PrivateKey:
		if k.Validate() != nil {
			return false
		}
		digest := sha256.Sum256(msg)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
		return err == nil && rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, digest[:], sig) == nil
	}
	return false
}

// pemLabels are the PEM labels (RFC 7468 and common others) that are not
// a private key and that a refusal may name.
var pemLabels = map[string]bool{
	"CERTIFICATE": true, "X509 CERTIFICATE": true, "TRUSTED CERTIFICATE": true,
	"CERTIFICATE REQUEST": true, "NEW CERTIFICATE REQUEST": true, "ATTRIBUTE CERTIFICATE": true,
	"X509 CRL": true, "PKCS7": true, "CMS": true, "EC PARAMETERS": true, "DH PARAMETERS": true,
	"PGP PUBLIC KEY BLOCK": true, "PGP PRIVATE KEY BLOCK": true, "PGP MESSAGE": true, "PGP SIGNATURE": true,
}

// normalisePEM repairs a PEM that lost its line breaks on the way: pasted
// into a one-line field (breaks become spaces), or stored in an environment
// variable with literal \n. A PEM with headers (legacy encryption) is left
// alone so that it is recognised and reported.
func normalisePEM(s string) string {
	s = strings.ReplaceAll(s, `\n`, "\n")
	s = strings.ReplaceAll(s, "\r", "")
	const begin = "-----BEGIN "
	i := strings.Index(s, begin)
	if i < 0 {
		return s
	}
	rest := s[i+len(begin):]
	j := strings.Index(rest, "-----")
	if j < 0 {
		return s
	}
	label := rest[:j]
	rest = rest[j+5:]
	end := "-----END " + label + "-----"
	k := strings.Index(rest, end)
	if k < 0 || strings.Contains(rest[:k], ":") {
		return s
	}
	body := strings.Join(strings.Fields(rest[:k]), "")
	var b strings.Builder
	b.WriteString(begin + label + "-----\n")
	for len(body) > 64 {
		b.WriteString(body[:64] + "\n")
		body = body[64:]
	}
	if body != "" {
		b.WriteString(body + "\n")
	}
	b.WriteString(end + "\n")
	return b.String()
}

// isPublicKeyText tells whether s is a public key: a PEM public key, or the
// base64 of a DER public key as Binance's key generator shows it.
func isPublicKeyText(s string) bool {
	if strings.Contains(s, "PUBLIC KEY-----") {
		return true
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil || len(der) == 0 {
		return false
	}
	_, err = x509.ParsePKIXPublicKey(der)
	return err == nil
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}
