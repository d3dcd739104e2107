package state

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/i18n"
)

// TokenServiceFile records, beside the index, which SmartradeX service the
// access token saved by `auth login` was checked against, so that the
// token is never sent to another one. The token itself stays in the secret
// store; this file holds no secret (see TokenCheck).
const TokenServiceFile = "service-token.json"

const maxTokenServiceSize = 16 << 10

// TokenService is the record of one config directory.
type TokenService struct {
	dir  string
	path string
	now  func() time.Time
}

// TokenRecord is the saved token's service.
type TokenRecord struct {
	// ServiceURL is the service's base URL, as checked by
	// httpx.CheckBaseURL (no user info, query or fragment).
	ServiceURL string `json:"service_url"`
	// TokenCheck is TokenCheck of the token the record was written for:
	// a token replaced by a program that does not know of this file (an
	// earlier smartradex) no longer matches, and is sent nowhere.
	TokenCheck string    `json:"token_check"`
	SavedAt    time.Time `json:"saved_at"`
}

type tokenServiceFile struct {
	Version int `json:"version"`
	TokenRecord
}

// TokenCheck is a short fingerprint of token: the first 8 bytes of its
// SHA-256, in hex. It tells two tokens apart and cannot give one back: the
// service's tokens carry far more than 64 bits of randomness, so that a
// fingerprint matches an astronomical number of them.
func TokenCheck(token string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return hex.EncodeToString(sum[:8])
}

// OpenTokenService returns the record kept in dir. It does no I/O.
func OpenTokenService(dir string) *TokenService {
	return &TokenService{dir: dir, path: filepath.Join(dir, TokenServiceFile), now: time.Now}
}

// Path is the record's path, for messages.
func (t *TokenService) Path() string { return t.path }

// Get returns the record; ok is false when there is none (a token saved by
// an earlier version, or no token at all).
func (t *TokenService) Get() (rec TokenRecord, ok bool, err error) {
	data, err := atomicfile.ReadLimited(t.path, maxTokenServiceSize)
	if errors.Is(err, fs.ErrNotExist) {
		return TokenRecord{}, false, nil
	}
	if err != nil {
		return TokenRecord{}, false, apperr.Wrap(apperr.Unexpected, "state.io", err,
			i18n.M("state.token_service_unreadable", t.path), i18n.M("state.token_service_hint", t.path))
	}
	f, err := parseTokenService(data)
	if err != nil {
		return TokenRecord{}, false, apperr.Wrap(apperr.Unexpected, "state.token_service_corrupt", err,
			i18n.M("state.token_service_unreadable", t.path), i18n.M("state.token_service_hint", t.path))
	}
	return f.TokenRecord, true, nil
}

// Set records that token belongs to serviceURL, atomically and under the
// file's own lock. Only the token's fingerprint is written.
func (t *TokenService) Set(ctx context.Context, serviceURL, token string) error {
	rec := TokenRecord{ServiceURL: serviceURL, TokenCheck: TokenCheck(token), SavedAt: t.now().UTC().Truncate(time.Second)}
	return t.locked(ctx, func() error {
		return t.write(rec)
	})
}

// Restore puts back a record returned by Get (ok false: removes it), to
// undo Set when the token could not be saved after all.
func (t *TokenService) Restore(ctx context.Context, rec TokenRecord, ok bool) error {
	return t.locked(ctx, func() error {
		if !ok {
			return t.remove()
		}
		return t.write(rec)
	})
}

// Remove deletes the record; a missing one is not an error.
func (t *TokenService) Remove(ctx context.Context) error {
	return t.locked(ctx, t.remove)
}

func (t *TokenService) remove() error {
	if err := os.Remove(t.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return t.ioError(err)
	}
	return nil
}

func (t *TokenService) write(rec TokenRecord) error {
	if rec.ServiceURL == "" || len(rec.TokenCheck) != 16 {
		return apperr.New(apperr.Unexpected, "state.token_service_invalid", i18n.M("error.unexpected", "an incomplete token service record"))
	}
	data, err := json.MarshalIndent(tokenServiceFile{Version: 1, TokenRecord: rec}, "", "  ")
	if err != nil {
		return t.ioError(err)
	}
	if err := atomicfile.WriteFile(t.path, append(data, '\n'), 0o600); err != nil {
		return t.ioError(err)
	}
	return nil
}

func (t *TokenService) locked(ctx context.Context, fn func() error) error {
	unlock, err := lockFile(ctx, t.dir, t.path, t.ioError)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// parseTokenService decodes and checks the record strictly: a field it
// does not know, or a fingerprint of the wrong shape, is a damaged file,
// not a record to trust.
func parseTokenService(data []byte) (*tokenServiceFile, error) {
	var f tokenServiceFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("unknown format version %d", f.Version)
	}
	if strings.TrimSpace(f.ServiceURL) == "" {
		return nil, errors.New("no service_url")
	}
	if b, err := hex.DecodeString(f.TokenCheck); err != nil || len(b) != 8 || f.TokenCheck != strings.ToLower(f.TokenCheck) {
		return nil, errors.New("the token_check is malformed")
	}
	return &f, nil
}

func (t *TokenService) ioError(err error) error {
	return apperr.Wrap(apperr.Unexpected, "state.io", err, i18n.M("state.token_service_io", t.path), i18n.M("state.io_hint", t.dir))
}
