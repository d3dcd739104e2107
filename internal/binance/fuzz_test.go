package binance

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// FuzzParseCredentials checks the pasted-key sanitiser on anything a user
// (or a clipboard) could give it:
//   - a refusal is a usage error with a hint, and its text, in every
//     language, shows no 16-byte piece of what was pasted as the key or
//     as the secret (a secret pasted in the wrong field is still secret);
//   - an accepted pair has an API key of 64 letters and digits with no
//     white space around it, and a secret whose shape matches its type:
//     64 letters and digits for HMAC, a clean PKCS#8 PEM of an Ed25519 or
//     RSA key (nothing before it, only its final newline after it);
//   - sanitising an accepted pair again changes nothing;
//   - a private key pasted as the API key, or the same value in both
//     fields, is refused. (Two HMAC values swapped look alike: Binance
//     itself rejects that pair, with -2015.)
func FuzzParseCredentials(f *testing.F) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	rsaDER, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	rsaPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rsaDER}))
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	edBody := "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u"
	for _, seed := range [][2]string{
		{docAPIKey, docSecret},
		{" \t" + docAPIKey + "\r\n", "\n" + docSecret + " "},
		{"\u00a0" + docAPIKey, docSecret + "\u2028"},
		{docAPIKey, docEd25519},
		{docAPIKey, strings.ReplaceAll(docEd25519, "\n", "\r\n")},
		{docAPIKey, strings.ReplaceAll(docEd25519, "\n", " ")},
		{docAPIKey, strings.ReplaceAll(docEd25519, "\n", `\n`)},
		{docAPIKey, edBody},
		{docAPIKey, "  " + rsaPEM + "\n\n"},
		{docSecret, docAPIKey},    // swapped HMAC pair: undetectable here, Binance says -2015
		{docEd25519, docAPIKey},   // swapped PEM
		{edBody, docAPIKey},       // a PEM body pasted as the key
		{docSecret, docSecret},    // the same value twice
		{docAPIKey, docEdPublic},  // the public key as the secret
		{docEdPublic, docEd25519}, // the public key as the key
		{docAPIKey, docSecret[:40]},
		{docAPIKey[:63] + "é", docSecret},
		{docAPIKey, docSecret[:30] + " " + docSecret[30:]},
		{docAPIKey, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}))},
		{docAPIKey, string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("x")}))},
		{docAPIKey, string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)}))},
		{docAPIKey, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"},
		{docAPIKey, "-----BEGIN " + docSecret + "-----\nAAAA\n-----END " + docSecret + "-----\n"},
		{docAPIKey, docEd25519[:60]},
		{"", ""},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, apiKey, secret string) {
		creds, err := ParseCredentials(apiKey, secret)
		if err != nil {
			checkRefusal(t, err, apiKey, secret)
			return
		}
		checkAccepted(t, creds)
		again, err := ParseCredentials(creds.APIKey, creds.Secret)
		if err != nil || again != creds {
			t.Fatalf("sanitising an accepted pair again gave %v, %v", again, err)
		}
		if _, err := ParseCredentials(creds.Secret, creds.Secret); err == nil {
			t.Fatal("the same value as key and secret was accepted")
		}
		if creds.Type != HMAC {
			if _, err := ParseCredentials(creds.Secret, creds.APIKey); err == nil {
				t.Fatal("a private key pasted as the API key was accepted")
			}
		}
	})
}

func checkAccepted(t *testing.T, creds Credentials) {
	t.Helper()
	if len(creds.APIKey) != KeyLen || !isAlnum(creds.APIKey) {
		t.Fatalf("accepted an API key that is not %d letters and digits: %q", KeyLen, creds.APIKey)
	}
	if creds.Secret == creds.APIKey {
		t.Fatal("accepted the same value as key and secret")
	}
	switch creds.Type {
	case HMAC:
		if len(creds.Secret) != KeyLen || !isAlnum(creds.Secret) {
			t.Fatalf("an HMAC secret that is not %d letters and digits (length %d)", KeyLen, len(creds.Secret))
		}
	case ED25519, RSA:
		block, rest := pem.Decode([]byte(creds.Secret))
		if block == nil || block.Type != "PRIVATE KEY" || len(block.Headers) != 0 || len(rest) != 0 {
			t.Fatal("an accepted private key is not one clean PKCS#8 PEM block")
		}
		if string(pem.EncodeToMemory(block)) != creds.Secret {
			t.Fatal("an accepted private key is not in canonical PEM form")
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatalf("an accepted private key does not parse: %v", err)
		}
		_, isEd := key.(ed25519.PrivateKey)
		_, isRSA := key.(*rsa.PrivateKey)
		if (creds.Type == ED25519) != isEd || (creds.Type == RSA) != isRSA {
			t.Fatalf("type %s for a %T", creds.Type, key)
		}
	default:
		t.Fatalf("unknown key type %q", creds.Type)
	}
	body := creds.Secret
	if creds.Type != HMAC {
		body = strings.TrimSuffix(body, "\n") // a PEM ends with its newline
	}
	if strings.TrimSpace(body) != body || strings.TrimSpace(creds.APIKey) != creds.APIKey {
		t.Fatal("an accepted key or secret has white space around it")
	}
}

// checkRefusal checks that err is a usage error with a hint, whose text
// shows nothing of what was pasted.
func checkRefusal(t *testing.T, err error, apiKey, secret string) {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Usage || !strings.HasPrefix(e.Code, "binance.") {
		t.Fatalf("refusal %v is not a usage error", err)
	}
	if len(e.Hints) == 0 {
		t.Fatalf("refusal %s gives no hint", e.Code)
	}
	texts := []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)}
	for _, l := range i18n.Langs {
		texts = append(texts, l.Render(e.Message))
		for _, h := range e.Hints {
			texts = append(texts, l.Render(h))
		}
	}
	for _, field := range []struct{ name, value string }{{"key", apiKey}, {"secret", secret}} {
		if piece, ok := sharedPiece(texts, field.value); ok {
			t.Fatalf("refusal %s shows a piece of the pasted %s at %d", e.Code, field.name, piece)
		}
	}
}

// sharedPiece finds a 16-byte piece of pasted (trimmed) in any text, and
// returns its offset in pasted. Pieces of the messages' own wording (a
// PEM header the hint quotes) do not count.
func sharedPiece(texts []string, pasted string) (int, bool) {
	const window = 16
	pasted = strings.TrimSpace(pasted)
	for i := 0; i+window <= len(pasted); i++ {
		piece := pasted[i : i+window]
		for _, text := range texts {
			if strings.Contains(text, piece) && !catalogQuotes(piece) {
				return i, true
			}
		}
	}
	return 0, false
}

// catalogQuotes tells whether piece is part of a credentials message of
// the catalogue as written, such as "-----BEGIN PRIVATE KEY-----" in a
// hint, or of a PEM label a refusal names.
func catalogQuotes(piece string) bool {
	for label := range pemLabels {
		if strings.Contains(label, piece) {
			return true
		}
	}
	for _, label := range []string{"RSA PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY"} {
		if strings.Contains(label, piece) {
			return true
		}
	}
	for _, l := range i18n.Langs {
		for _, key := range i18n.Keys(l) {
			if strings.HasPrefix(key, "binance.creds.") && strings.Contains(l.T(key), piece) {
				return true
			}
		}
	}
	return false
}
