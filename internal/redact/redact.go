// Package redact masks identifiers for display and scrubs secrets out of any
// text on its way to a terminal or a log.
package redact

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// MaskKey shows an API key as its first four and last four characters
// ("vmPU…eh8A"). Keys of eight characters or fewer are fully masked so that
// masking never reveals the whole value.
func MaskKey(key string) string {
	n := utf8.RuneCountInString(key)
	if n == 0 {
		return ""
	}
	if n <= 8 {
		return strings.Repeat("•", n)
	}
	r := []rune(key)
	return string(r[:4]) + "…" + string(r[n-4:])
}

// Redactor replaces every registered secret by a placeholder. It is safe for
// concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
}

// minSecretLen avoids scrubbing short, common substrings.
const minSecretLen = 6

// Add registers secrets to be scrubbed. Each line of a multi-line secret
// (a PEM private key) is registered on its own too, so that a partial dump
// is also scrubbed.
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		s = strings.TrimSpace(s)
		if len(s) < minSecretLen {
			continue
		}
		r.secrets = append(r.secrets, s)
		if strings.Contains(s, "\n") {
			for _, line := range strings.Split(s, "\n") {
				line = strings.TrimSpace(line)
				if len(line) >= minSecretLen && !strings.HasPrefix(line, "-----") {
					r.secrets = append(r.secrets, line)
				}
			}
		}
	}
}

// Redact returns s with every registered secret replaced by "[REDACTED]".
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, "[REDACTED]")
	}
	return s
}
