package main

// Looking for the secrets of TestNoSecretLeaks in what smartradex left.

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/url"
	"strings"
)

// leakWindow is the length of the pieces of a secret looked for: a secret
// printed in part is a leak too.
const leakWindow = 16

type secretKind int

const (
	kindText secretKind = iota // an HMAC secret, a token, a passphrase
	kindPEM                    // the PEM of a PKCS#8 private key
)

// leakSecret is one secret to look for. Its name says which secret it is,
// never what it is.
type leakSecret struct {
	name  string
	value string
	kind  secretKind
	// decoys are values of the same shape: the pieces they share with
	// value (a PEM header, a demo secret's filler) are structure, not
	// secret, and are not looked for.
	decoys []string
	// allowed tells where the secret may be (nil: nowhere).
	allowed func(where string) bool
}

type artifact struct {
	where string
	data  []byte
}

type secretForm struct{ label, text string }

// secretForms are the ways a secret could be written out: as is, base64 at
// any alignment, hex, URL- and JSON-escaped; for a private key also its PEM body
// and each body line, its DER and, for Ed25519, its seed.
func secretForms(value string, kind secretKind) []secretForm {
	jsonText, _ := json.Marshal(value)
	forms := []secretForm{
		{"verbatim", value},
		{"URL-encoded", url.QueryEscape(value)},
		{"JSON-escaped", strings.Trim(string(jsonText), `"`)},
		{"hex", hex.EncodeToString([]byte(value))},
		{"hex, upper case", strings.ToUpper(hex.EncodeToString([]byte(value)))},
	}
	forms = append(forms, base64Forms("", []byte(value))...)
	if kind != kindPEM {
		return forms
	}
	block, _ := pem.Decode([]byte(value))
	if block == nil {
		return forms
	}
	forms = append(forms,
		secretForm{"PEM body", base64.StdEncoding.EncodeToString(block.Bytes)},
		secretForm{"DER", string(block.Bytes)})
	for _, line := range strings.Split(value, "\n") {
		if line != "" && !strings.HasPrefix(line, "-----") {
			forms = append(forms, secretForm{"a PEM body line", line})
		}
	}
	if key, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		if ed, ok := key.(ed25519.PrivateKey); ok {
			seed := ed.Seed()
			forms = append(forms, secretForm{"Ed25519 seed", string(seed)}, secretForm{"Ed25519 seed, hex", hex.EncodeToString(seed)})
			forms = append(forms, base64Forms("Ed25519 seed, ", seed)...)
		}
	}
	return forms
}

// base64Forms are b in standard and URL base64, on its own and at each
// offset inside a longer text (then without the edge groups, which depend
// on the bytes around it).
func base64Forms(prefix string, b []byte) []secretForm {
	var out []secretForm
	for shift := 0; shift < 3; shift++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, shift), b...))
		label := prefix + "base64"
		if shift > 0 {
			label = prefix + "base64 inside a longer text"
			enc = enc[4:]
			enc = enc[:max(0, len(enc)-4)]
		}
		out = append(out, secretForm{label, enc},
			secretForm{strings.Replace(label, "base64", "base64url", 1), strings.NewReplacer("+", "-", "/", "_").Replace(enc)})
	}
	return out
}

type needle struct {
	secret int
	form   string
}

// leakScanner finds any 16-byte window of any form of any secret.
type leakScanner struct {
	secrets []leakSecret
	needles map[string]needle
}

// fatalf is what newLeakScanner needs of a test: a *testing.T, or a
// script's adapter.
type fatalf interface {
	Helper()
	Fatalf(format string, args ...any)
}

func newLeakScanner(t fatalf, list []leakSecret) *leakScanner {
	t.Helper()
	sc := &leakScanner{secrets: append([]leakSecret(nil), list...), needles: map[string]needle{}}
	for i, s := range sc.secrets {
		if len(s.value) < leakWindow {
			t.Fatalf("%s is shorter than %d bytes: the scan would miss it", s.name, leakWindow)
		}
		shared := map[string]bool{}
		for _, d := range s.decoys {
			for _, f := range secretForms(d, s.kind) {
				forEachWindow(f.text, func(w string) { shared[w] = true })
			}
		}
		n := 0
		for _, f := range secretForms(s.value, s.kind) {
			forEachWindow(f.text, func(w string) {
				if shared[w] {
					return
				}
				n++
				if _, dup := sc.needles[w]; !dup {
					sc.needles[w] = needle{i, f.label}
				}
			})
		}
		if n == 0 {
			t.Fatalf("nothing of %s is looked for", s.name)
		}
	}
	return sc
}

func forEachWindow(text string, fn func(string)) {
	for i := 0; i+leakWindow <= len(text); i++ {
		fn(text[i : i+leakWindow])
	}
}

type leakHit struct {
	secret, form string
	offset       int
}

// scan returns the first place where each secret shows in data.
func (sc *leakScanner) scan(where string, data []byte) []leakHit {
	var hits []leakHit
	found := map[int]bool{}
	for i := 0; i+leakWindow <= len(data); i++ {
		n, ok := sc.needles[string(data[i:i+leakWindow])]
		if !ok || found[n.secret] {
			continue
		}
		s := sc.secrets[n.secret]
		if s.allowed != nil && s.allowed(where) {
			continue
		}
		found[n.secret] = true
		hits = append(hits, leakHit{s.name, n.form, i})
	}
	return hits
}

// mask returns data with every piece of a secret starred out, fit to print
// in a failure message.
func (sc *leakScanner) mask(data []byte) string {
	out := append([]byte(nil), data...)
	for i := 0; i+leakWindow <= len(data); i++ {
		if _, ok := sc.needles[string(data[i:i+leakWindow])]; ok {
			copy(out[i:i+leakWindow], bytes.Repeat([]byte{'*'}, leakWindow))
		}
	}
	return string(out)
}
