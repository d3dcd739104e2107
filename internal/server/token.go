package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/smartradex/smartradex/internal/server/store"
)

// TokenPrefix starts every token smartradexd issues, so that secret
// scanners and people recognise one.
const TokenPrefix = "srx_"

// NewToken returns a fresh access token: "srx_" and 32 random bytes in
// unpadded base64url. Only HashToken's result is ever stored.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the form in which a token is stored and looked up.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// maxTokenLen bounds what is hashed; a real token is 47 characters.
const maxTokenLen = 256

// bearer returns the request's bearer token, or "" when there is none or
// it is not visible ASCII.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || len(tok) > maxTokenLen {
		return ""
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] > '~' {
			return ""
		}
	}
	return tok
}

// MaskAPIKey shows the first and last four characters of an API key, as
// ABCD…WXYZ; a shorter value is masked whole.
func MaskAPIKey(k string) string { return store.MaskAPIKey(k) }
