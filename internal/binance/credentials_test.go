package binance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/adshao/go-binance/v2/common"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// Vectors from Binance's documentation (see binance-api-facts.md §3).
const (
	docAPIKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	docSecret    = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	docEd25519   = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----"
	docEdPublic  = "MCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0="
	docEdPayload = "A\x01EXAMPLE\x01SPOT\x011\x0120240627-11:17:25.223"
	docEdSig     = "4MHXelVVcpkdwuLbl6n73HQUXUf1dse2PCgT1DYqW9w8AVZ1RACFGM+5UdlGPrQHrgtS3CvsRURC1oj73j8gCA=="
)

func TestSigningVectors(t *testing.T) {
	cases := []struct {
		name, keyType, secret, payload, want string
	}{
		{"HMAC order example", common.KeyTypeHmac, docSecret,
			"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"},
		{"HMAC timestamp only", common.KeyTypeHmac, docSecret, "timestamp=1578963600000",
			"d84e6641b1e328e7b418fff030caed655c266299c9355e36ce801ed14631eed4"},
		{"Ed25519 FIX example", common.KeyTypeEd25519, docEd25519, docEdPayload, docEdSig},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The secret goes through ParseCredentials first, as in the
			// program: its normalisation must not change the signature.
			creds, err := ParseCredentials(docAPIKey, c.secret)
			if err != nil {
				t.Fatal(err)
			}
			if string(creds.Type) != c.keyType {
				t.Fatalf("type = %s, want %s", creds.Type, c.keyType)
			}
			sign, err := common.SignFunc(string(creds.Type))
			if err != nil {
				t.Fatal(err)
			}
			got, err := sign(creds.Secret, c.payload)
			if err != nil {
				t.Fatal(err)
			}
			if *got != c.want {
				t.Errorf("signature = %s, want %s", *got, c.want)
			}
		})
	}
}

func pemOf(t *testing.T, typ string, der []byte) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func TestParseCredentials(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaPKCS8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	rsaPub, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	edBody := "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u"

	ok := []struct {
		name, key, secret string
		want              KeyType
	}{
		{"HMAC", docAPIKey, docSecret, HMAC},
		{"HMAC with white space and newline around", "  " + docAPIKey + "\n", "\t" + docSecret + " \r\n", HMAC},
		{"Ed25519 PEM", docAPIKey, docEd25519, ED25519},
		{"Ed25519 PEM with CRLF", docAPIKey, strings.ReplaceAll(docEd25519, "\n", "\r\n"), ED25519},
		{"Ed25519 PEM flattened into one line", docAPIKey, strings.ReplaceAll(docEd25519, "\n", " "), ED25519},
		{"Ed25519 PEM with literal \\n", docAPIKey, strings.ReplaceAll(docEd25519, "\n", `\n`), ED25519},
		{"Ed25519 body without BEGIN/END", docAPIKey, edBody, ED25519},
		{"RSA PKCS#8", docAPIKey, pemOf(t, "PRIVATE KEY", rsaPKCS8), RSA},
	}
	for _, c := range ok {
		t.Run(c.name, func(t *testing.T) {
			creds, err := ParseCredentials(c.key, c.secret)
			if err != nil {
				t.Fatalf("ParseCredentials: %v", err)
			}
			if creds.Type != c.want || creds.APIKey != docAPIKey {
				t.Errorf("got %v", creds)
			}
			if c.want != HMAC {
				if block, _ := pem.Decode([]byte(creds.Secret)); block == nil || block.Type != "PRIVATE KEY" {
					t.Errorf("secret is not a clean PEM: %q", creds.Secret)
				}
			} else if creds.Secret != docSecret {
				t.Errorf("secret not trimmed")
			}
		})
	}

	bad := []struct {
		name, key, secret, code string
	}{
		{"empty key", "  ", docSecret, "binance.empty_key"},
		{"empty secret", docAPIKey, "\n", "binance.empty_secret"},
		{"key with inner space", docAPIKey[:30] + " " + docAPIKey[30:], docSecret, "binance.bad_key_shape"},
		{"truncated key", docAPIKey[:50], docSecret, "binance.bad_key_shape"},
		{"key too long", docAPIKey + "x", docSecret, "binance.bad_key_shape"},
		{"key with punctuation", docAPIKey[:63] + "-", docSecret, "binance.bad_key_shape"},
		{"same value twice", docSecret, docSecret, "binance.same_value"},
		{"PEM pasted as the key (swapped)", docEd25519, docAPIKey, "binance.key_is_pem"},
		{"public key pasted as the key", docEdPublic, docEd25519, "binance.key_is_public_key"},
		{"public key (base64) as the secret", docAPIKey, docEdPublic, "binance.public_key"},
		{"public key (PEM) as the secret", docAPIKey, pemOf(t, "PUBLIC KEY", rsaPub), "binance.public_key"},
		{"encrypted PKCS#8", docAPIKey, pemOf(t, "ENCRYPTED PRIVATE KEY", []byte("not really")), "binance.encrypted_pem"},
		{"legacy encrypted PEM", docAPIKey, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\nAAAA\n-----END RSA PRIVATE KEY-----", "binance.encrypted_pem"},
		{"PKCS#1 RSA", docAPIKey, pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), "binance.not_pkcs8"},
		{"ECDSA PKCS#8", docAPIKey, pemOf(t, "PRIVATE KEY", ecPKCS8), "binance.unsupported_key"},
		{"PEM cut short", docAPIKey, docEd25519[:60], "binance.bad_pem"},
		{"PEM with a damaged body", docAPIKey, strings.Replace(docEd25519, "MC4C", "MC5C", 1), "binance.bad_pem"},
		{"certificate", docAPIKey, pemOf(t, "CERTIFICATE", []byte{1, 2, 3}), "binance.bad_pem"},
		{"secret truncated", docAPIKey, docSecret[:40], "binance.bad_secret_shape"},
		{"secret with inner space", docAPIKey, docSecret[:30] + " " + docSecret[30:], "binance.bad_secret_shape"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseCredentials(c.key, c.secret)
			var e *apperr.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want *apperr.Error", err)
			}
			if e.Kind != apperr.Usage || e.Code != c.code {
				t.Errorf("got kind %d code %q, want usage %q", e.Kind, e.Code, c.code)
			}
			if len(e.Hints) == 0 {
				t.Errorf("no hint says what to do")
			}
			assertNoSecret(t, err, c.secret)
		})
	}
}

// assertNoSecret renders err in every language and checks that no part of
// the secret (nor of its PEM lines) shows.
func assertNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	var texts []string
	texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
	var e *apperr.Error
	if errors.As(err, &e) {
		for _, l := range i18n.Langs {
			texts = append(texts, l.Render(e.Message))
			for _, h := range e.Hints {
				texts = append(texts, l.Render(h))
			}
		}
	}
	for _, part := range secretParts(secret) {
		for _, s := range texts {
			if strings.Contains(s, part) {
				t.Errorf("secret part %q leaked in %q", part, s)
			}
		}
	}
}

func secretParts(secret string) []string {
	var parts []string
	for _, line := range strings.Fields(strings.ReplaceAll(secret, `\n`, "\n")) {
		if len(line) >= 12 && !strings.HasPrefix(line, "-----") && !strings.Contains(line, "PRIVATE") && !strings.Contains(line, "ENCRYPTED") {
			parts = append(parts, line)
		}
	}
	return parts
}

// TestPEMLabels: a refusal names the label of a PEM block that is not a
// private key only when real PEM files use it; any other label came from
// the paste and is not shown.
func TestPEMLabels(t *testing.T) {
	render := func(err error) string {
		var e *apperr.Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want *apperr.Error", err)
		}
		var b strings.Builder
		for _, l := range i18n.Langs {
			b.WriteString(l.Render(e.Message) + "\n")
		}
		return b.String()
	}
	_, err := ParseCredentials(docAPIKey, pemOf(t, "CERTIFICATE", []byte{1, 2, 3}))
	if got := render(err); !strings.Contains(got, `"CERTIFICATE"`) {
		t.Errorf("a certificate is not named: %s", got)
	}
	_, err = ParseCredentials(docAPIKey, pemOf(t, docSecret, []byte{1, 2, 3}))
	if got := render(err); strings.Contains(got, docSecret) {
		t.Errorf("the label of an unknown PEM block is shown: %s", got)
	}
}

func TestCredentialsNeverPrintTheSecret(t *testing.T) {
	for _, secret := range []string{docSecret, docEd25519} {
		creds, err := ParseCredentials(docAPIKey, secret)
		if err != nil {
			t.Fatal(err)
		}
		var outs []string
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
			outs = append(outs, fmt.Sprintf(verb, creds), fmt.Sprintf(verb, &creds))
		}
		outs = append(outs, fmt.Sprint(creds), fmt.Sprintln([]Credentials{creds}), fmt.Sprintf("%v", map[string]any{"c": creds}))
		js, _ := json.Marshal(creds)
		outs = append(outs, string(js))
		var b strings.Builder
		slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "creds", creds)
		outs = append(outs, b.String())
		for _, o := range outs {
			for _, part := range secretParts(secret) {
				if strings.Contains(o, part) {
					t.Errorf("secret leaked in %q", o)
				}
			}
			if strings.Contains(o, docAPIKey) {
				t.Errorf("unmasked key in %q", o)
			}
		}
		if !strings.Contains(fmt.Sprint(creds), "vmPU…Eh8A") {
			t.Errorf("masked key missing: %s", creds)
		}
	}
}

// A key too weak to sign with is refused as malformed input, with its own
// message, before anything is sent; 2048 bits and more are accepted.
func TestWeakKeysAreRefused(t *testing.T) {
	pkcs8 := func(t *testing.T, bits int) string {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	key := strings.Repeat("K", 64)
	cases := []struct {
		name, secret string
		code         string
	}{
		{"RSA 512", weakRSA512(t), "binance.weak_key"},
		{"RSA 1024", pkcs8(t, 1024), "binance.weak_key"},
		{"RSA 2048", pkcs8(t, 2048), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			creds, err := ParseCredentials(key, c.secret)
			if c.code == "" {
				if err != nil || creds.Type != RSA {
					t.Fatalf("refused a usable key: %v", err)
				}
				return
			}
			var e *apperr.Error
			if !errors.As(err, &e) || e.Code != c.code || e.Kind != apperr.Usage || len(e.Hints) == 0 {
				t.Fatalf("err = %v, want a usage error %s with a hint", err, c.code)
			}
			for _, l := range i18n.Langs {
				if msg := l.Render(e.Message); !strings.Contains(msg, "2048") || strings.Contains(msg, "binance.") {
					t.Errorf("%s: message %q does not say what is needed", l, msg)
				}
			}
		})
	}
}

// weakRSA512 is a throwaway 512-bit RSA key (openssl genpkey): it parses,
// and Go refuses to sign with it.
func weakRSA512(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/rsa512.pem")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
