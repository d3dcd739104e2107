package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/i18n"
)

// VaultPinsFile holds, beside the index, the vault key ID trusted for each
// SmartradeX service. It holds no secret: key IDs are public.
const VaultPinsFile = "vault-keys.json"

const maxPinsSize = 1 << 20

// VaultPins is the pin file of one config directory. It implements
// service.PinStore.
type VaultPins struct {
	dir  string
	path string
	now  func() time.Time
}

// Pin is one service's trusted vault key.
type Pin struct {
	KeyID    string    `json:"key_id"`
	Source   string    `json:"source"` // "first_use" or "accepted"
	PinnedAt time.Time `json:"pinned_at"`
}

type pinFile struct {
	Version int             `json:"version"`
	Pins    map[string]*Pin `json:"pins"` // by service (its base URL)
}

// OpenVaultPins returns the pin file kept in dir. It does no I/O.
func OpenVaultPins(dir string) *VaultPins {
	return &VaultPins{dir: dir, path: filepath.Join(dir, VaultPinsFile), now: time.Now}
}

// Path is the pin file's path, for messages.
func (p *VaultPins) Path() string { return p.path }

var keyIDShape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{32}$`) })

// ValidKeyID tells whether id is a vault key ID: 32 lower-case hex digits.
func ValidKeyID(id string) bool { return keyIDShape().MatchString(id) }

// GetPin returns the key ID pinned for origin, and how it was pinned.
func (p *VaultPins) GetPin(_ context.Context, origin string) (string, string, bool, error) {
	f, err := p.load()
	if err != nil {
		return "", "", false, err
	}
	pin := f.Pins[origin]
	if pin == nil {
		return "", "", false, nil
	}
	return pin.KeyID, pin.Source, true, nil
}

// SetPin pins keyID for origin, under the file's own lock, atomically.
func (p *VaultPins) SetPin(ctx context.Context, origin, keyID, source string) error {
	if !ValidKeyID(keyID) || (source != "first_use" && source != "accepted") {
		return apperr.New(apperr.Unexpected, "state.vault_pin_invalid", i18n.M("error.unexpected", "a malformed vault key pin"))
	}
	unlock, err := lockFile(ctx, p.dir, p.path, p.ioError)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := p.load()
	if err != nil {
		return err
	}
	f.Pins[origin] = &Pin{KeyID: keyID, Source: source, PinnedAt: p.now().UTC().Truncate(time.Second)}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return p.ioError(err)
	}
	if err := atomicfile.WriteFile(p.path, append(data, '\n'), 0o600); err != nil {
		return p.ioError(err)
	}
	return nil
}

func (p *VaultPins) load() (*pinFile, error) {
	data, err := atomicfile.ReadLimited(p.path, maxPinsSize)
	if errors.Is(err, fs.ErrNotExist) {
		return &pinFile{Version: 1, Pins: map[string]*Pin{}}, nil
	}
	if err != nil {
		return nil, apperr.Wrap(apperr.Unexpected, "state.io", err, i18n.M("state.vault_pins_unreadable", p.path), i18n.M("state.vault_pins_hint", p.path))
	}
	f, err := parsePins(data)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unexpected, "state.vault_pins_corrupt", err, i18n.M("state.vault_pins_unreadable", p.path), i18n.M("state.vault_pins_hint", p.path))
	}
	return f, nil
}

// parsePins decodes and checks the pin file: a key ID of the wrong shape
// would otherwise be compared, and shown, as if it were one.
func parsePins(data []byte) (*pinFile, error) {
	var f pinFile
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	if f.Version != 1 {
		return nil, fmt.Errorf("unknown format version %d", f.Version)
	}
	if f.Pins == nil {
		f.Pins = map[string]*Pin{}
	}
	for origin, pin := range f.Pins {
		if pin == nil || !ValidKeyID(pin.KeyID) || (pin.Source != "first_use" && pin.Source != "accepted") {
			return nil, fmt.Errorf("the pin of %q is malformed", origin)
		}
	}
	return &f, nil
}

func (p *VaultPins) ioError(err error) error {
	return apperr.Wrap(apperr.Unexpected, "state.io", err, i18n.M("state.io", i18n.M("state.io_write"), p.path), i18n.M("state.io_hint", p.dir))
}
