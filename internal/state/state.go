// Package state is smartradex's local index of non-secret facts about each
// bot's key (public API key, type, Binance uid, where the secret lives,
// registration status). go-keyring cannot list its entries, so this index is
// what `keys list` reads; it never holds a secret.
package state

import (
	"bytes"
	"context"
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
	"github.com/smartradex/smartradex/internal/safetext"
)

// Status is the registration status of a key with the SmartradeX service.
type Status string

const (
	StatusPending    Status = "pending"
	StatusRegistered Status = "registered"
	// StatusUnchecked is a key locked to SmartradeX's addresses that
	// SmartradeX could not check yet (it was out of reach): not
	// registered, never shown or counted as accepted; keys sync sends it
	// through the PUT, which checks it first.
	StatusUnchecked Status = "unchecked"
)

// Unregistered tells whether the key waits to be sent (keys sync):
// pending, or not yet checked.
func (s Status) Unregistered() bool { return s == StatusPending || s == StatusUnchecked }

// Entry is what the index knows about one bot's key.
type Entry struct {
	Bot              string     `json:"bot"`
	APIKey           string     `json:"api_key"` // public; shown masked
	KeyType          string     `json:"key_type"`
	Label            string     `json:"label,omitempty"`
	UID              int64      `json:"uid,omitempty"`
	Backend          string     `json:"backend"` // which store holds the secret
	SecretName       string     `json:"secret_name"`
	Status           Status     `json:"status"`
	CreatedAt        time.Time  `json:"created_at"`
	VerifiedAt       *time.Time `json:"verified_at,omitempty"`
	RegisteredAt     *time.Time `json:"registered_at,omitempty"`
	TradingExpiresAt *time.Time `json:"trading_expires_at,omitempty"`
	// Locked: the key was last seen restricted to trusted IPs and checked
	// by SmartradeX from its addresses, so keys verify asks SmartradeX to
	// check it again (live) rather than read its stored check.
	Locked bool `json:"locked,omitempty"`
	// GeneratedAt is set while an Ed25519 key pair made by `keys generate`
	// waits, in this entry's Backend, for the API key Binance gives it.
	// With no APIKey the entry is only that pending key: it cannot trade.
	GeneratedAt *time.Time `json:"generated_at,omitempty"`
}

// AwaitingAPIKey tells whether the entry is only a generated key pair that
// Binance has not been given yet: no API key, nothing to check or register.
func (e *Entry) AwaitingAPIKey() bool { return e.GeneratedAt != nil && e.APIKey == "" }

// FinishGeneratedCommand is the command that finishes bot's key pair made
// by `keys generate` once Binance has shown its API key; replace is for a
// bot whose key is in force. Every command that reports a waiting key
// names this one.
func FinishGeneratedCommand(bot string, replace bool) string {
	s := "smartradex keys add --bot " + bot + " --api-key <KEY> --use-generated"
	if replace {
		s += " --replace"
	}
	return s
}

// Op is an operation that may change what SmartradeX holds for a bot.
type Op string

const (
	OpAdd    Op = "add"    // register a new key (keys add)
	OpSync   Op = "sync"   // register a pending key (keys sync)
	OpRotate Op = "rotate" // register a new key in place of the one in force
	OpRemove Op = "remove" // withdraw the bot's key, at SmartradeX and here
)

// Intent records, before the request is sent, an operation that may change
// what SmartradeX holds for a bot, so that whatever interrupts it (Ctrl-C,
// SIGKILL, power loss) the next command finds it, asks the service what it
// holds, and finishes or undoes it. Key is the key the operation sends
// (add, sync, rotate: its secret is already stored under Key.SecretName) or
// withdraws (remove). It holds no secret.
type Intent struct {
	Op    Op        `json:"op"`
	Since time.Time `json:"since"`
	Key   *Entry    `json:"key"`
	// Replaces is the API key in force when a rotation began.
	Replaces string `json:"replaces,omitempty"`
	// Also is, for a removal that took over an unfinished rotation, the
	// rotation's new key: it is withdrawn and deleted too.
	Also *Entry `json:"also,omitempty"`
	// Deregister: a removal also deletes the registration at SmartradeX.
	Deregister bool `json:"deregister,omitempty"`
}

// Snapshot is the whole index, keyed by bot.
type Snapshot struct {
	Version int               `json:"version"`
	Entries map[string]*Entry `json:"entries"`
	// Intents are the operations begun and not yet settled, by bot.
	Intents map[string]*Intent `json:"intents,omitempty"`
}

// Version is the index format this build writes and reads.
const Version = 1

// FileName is the index file inside the config directory.
const FileName = "index.json"

const maxIndexSize = 4 << 20

// lockWait bounds how long Update waits for another smartradex process.
var lockWait = 10 * time.Second

// botLockWait bounds how long a command waits for another one working on
// the same bot; a registration may take the service's whole retry budget.
var botLockWait = 2 * time.Minute

// Index is the index file in one config directory.
type Index struct {
	dir   string
	path  string
	write func(path string, data []byte, perm os.FileMode) error
}

// Open returns the index kept in dir. It does no I/O.
func Open(dir string) *Index {
	return &Index{dir: dir, path: filepath.Join(dir, FileName), write: atomicfile.WriteFile}
}

// WithWriter returns the same index written through w instead of
// atomicfile.WriteFile: tests use it to play a full disk at a given write.
func (ix *Index) WithWriter(w func(path string, data []byte, perm os.FileMode) error) *Index {
	cp := *ix
	cp.write = w
	return &cp
}

// LockBot serialises the commands that work on one bot, from the intent
// they record to its settlement, across processes: it is held while the
// request to SmartradeX is under way, which the index lock is not. The
// operating system releases it if the process dies.
func (ix *Index) LockBot(ctx context.Context, bot string) (func(), error) {
	// The name becomes part of a file name: nothing but a bot identifier.
	if bot == "" || strings.Trim(bot, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" || strings.HasPrefix(bot, "-") {
		return nil, apperr.New(apperr.Usage, "state.bad_bot", i18n.M("state.bad_bot"))
	}
	if err := os.MkdirAll(ix.dir, 0o700); err != nil {
		return nil, ix.ioError("state.io_write", err)
	}
	unlock, err := atomicfile.Lock(ctx, filepath.Join(ix.dir, "bot-"+bot+".lock"), botLockWait)
	if err != nil {
		if errors.Is(err, atomicfile.ErrLockTimeout) {
			return nil, apperr.Wrap(apperr.Unexpected, "state.bot_locked", err,
				i18n.M("state.bot_locked", bot), i18n.M("state.locked_hint"))
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ix.ioError("state.io_write", err)
	}
	return unlock, nil
}

// Path is the index file's path, for messages.
func (ix *Index) Path() string { return ix.path }

// Dir is the config directory.
func (ix *Index) Dir() string { return ix.dir }

// DefaultDir is the config directory: SMARTRADEX_CONFIG_DIR when set, else
// smartradex inside the user's configuration directory.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := strings.TrimSpace(getenv("SMARTRADEX_CONFIG_DIR")); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", apperr.Wrap(apperr.Unexpected, "state.no_config_dir", err,
			i18n.M("state.no_config_dir"), i18n.M("state.no_config_dir_hint"))
	}
	return filepath.Join(base, "smartradex"), nil
}

// Load reads the index. A missing file is an empty index.
func (ix *Index) Load() (*Snapshot, error) {
	data, err := atomicfile.ReadLimited(ix.path, maxIndexSize)
	if errors.Is(err, fs.ErrNotExist) {
		return empty(), nil
	}
	if err != nil {
		return nil, ix.ioError("state.io_read", err)
	}
	snap, err := parse(data)
	if err != nil {
		return nil, ix.wrapParse(err)
	}
	return snap, nil
}

// Update changes the index under a lock shared with every smartradex
// process: it re-reads the file, calls fn, and writes the result atomically.
// When fn returns an error nothing is written and that error is returned.
func (ix *Index) Update(ctx context.Context, fn func(*Snapshot) error) error {
	unlock, err := lockFile(ctx, ix.dir, ix.path, func(err error) error { return ix.ioError("state.io_write", err) })
	if err != nil {
		return err
	}
	defer unlock()

	snap, err := ix.Load()
	if err != nil {
		return err
	}
	if err := fn(snap); err != nil {
		return err
	}
	for bot, e := range snap.Entries {
		if e == nil {
			delete(snap.Entries, bot)
		}
	}
	for bot, in := range snap.Intents {
		if in == nil {
			delete(snap.Intents, bot)
		}
	}
	if len(snap.Intents) == 0 {
		snap.Intents = nil
	}
	snap.Version = Version
	data, err := json.MarshalIndent(snap, "", "  ")
	if err != nil {
		return ix.ioError("state.io_write", err)
	}
	if err := ix.write(ix.path, append(data, '\n'), 0o600); err != nil {
		return ix.ioError("state.io_write", err)
	}
	return nil
}

func empty() *Snapshot { return &Snapshot{Version: Version, Entries: map[string]*Entry{}} }

// errNewer marks an index written by a newer format.
type errNewer struct{ version int }

func (e errNewer) Error() string {
	return fmt.Sprintf("index format %d is newer than %d", e.version, Version)
}

// parse decodes and checks an index file. Everything it returns is either a
// usable snapshot or an error; it never panics on any input.
func parse(data []byte) (*Snapshot, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("the file is empty")
	}
	var snap Snapshot
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&snap); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON document")
	}
	if snap.Version > Version {
		return nil, errNewer{snap.Version}
	}
	if snap.Version < 1 {
		return nil, fmt.Errorf("unknown format version %d", snap.Version)
	}
	if snap.Entries == nil {
		snap.Entries = map[string]*Entry{}
	}
	for bot, e := range snap.Entries {
		if e == nil {
			return nil, fmt.Errorf("entry %q is null", bot)
		}
		if strings.TrimSpace(bot) == "" {
			return nil, errors.New("an entry has no bot name")
		}
		if e.Bot != bot {
			return nil, fmt.Errorf("entry %q names bot %q", bot, e.Bot)
		}
		if e.SecretName == "" || e.Backend == "" {
			return nil, fmt.Errorf("entry %q does not say where its secret is", bot)
		}
		// The file may have been edited by hand or by anything else: a value
		// that would print a control or format character (a terminal
		// sequence, a bidi override) is damage, refused here once rather
		// than cleaned by every renderer.
		for name, v := range map[string]string{"bot": bot, "api_key": e.APIKey, "key_type": e.KeyType,
			"label": e.Label, "backend": e.Backend, "secret_name": e.SecretName} {
			if !safetext.IsClean(v) {
				return nil, fmt.Errorf("entry %q has control or format characters in its %s", bot, name)
			}
		}
		switch e.Status {
		case StatusPending, StatusRegistered, StatusUnchecked:
		default:
			return nil, fmt.Errorf("entry %q has unknown status %q", bot, e.Status)
		}
	}
	for bot, in := range snap.Intents {
		if err := checkIntent(bot, in); err != nil {
			return nil, err
		}
	}
	return &snap, nil
}

func checkIntent(bot string, in *Intent) error {
	if in == nil {
		return fmt.Errorf("intent %q is null", bot)
	}
	switch in.Op {
	case OpAdd, OpSync, OpRotate, OpRemove:
	default:
		return fmt.Errorf("intent %q has unknown operation %q", bot, in.Op)
	}
	for _, k := range []*Entry{in.Key, in.Also} {
		if k == nil {
			continue
		}
		// A removal's key may be a generated key pair with no API key yet.
		if k.Bot != bot || (k.APIKey == "" && in.Op != OpRemove) || k.SecretName == "" || k.Backend == "" {
			return fmt.Errorf("intent %q does not name its key and where its secret is", bot)
		}
	}
	if in.Key == nil {
		return fmt.Errorf("intent %q names no key", bot)
	}
	return nil
}

func (ix *Index) wrapParse(err error) error {
	var newer errNewer
	if errors.As(err, &newer) {
		return apperr.Wrap(apperr.Unexpected, "state.index_newer", err,
			i18n.M("state.index_newer", ix.path), i18n.M("state.index_newer_hint"))
	}
	return apperr.Wrap(apperr.Unexpected, "state.index_corrupt", err,
		i18n.M("state.index_corrupt", ix.path), i18n.M("state.index_corrupt_hint", ix.path))
}

func (ix *Index) ioError(op string, err error) error {
	return apperr.Wrap(apperr.Unexpected, "state.io", err,
		i18n.M("state.io", i18n.M(op), ix.path), i18n.M("state.io_hint", ix.dir))
}

// lockFile takes the lock of the file at path, in dir (made 0700), and
// removes the temporary files an interrupted write left beside it: what
// every read-modify-write of a file here starts with. ioError words a
// failure of the file system; a lock held too long by another smartradex
// is state.locked.
func lockFile(ctx context.Context, dir, path string, ioError func(error) error) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, ioError(err)
	}
	unlock, err = atomicfile.Lock(ctx, path+".lock", lockWait)
	if err != nil {
		if errors.Is(err, atomicfile.ErrLockTimeout) {
			return nil, apperr.Wrap(apperr.Unexpected, "state.locked", err,
				i18n.M("state.locked", path), i18n.M("state.locked_hint"))
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, ioError(err)
	}
	atomicfile.RemoveStaleTemps(path)
	return unlock, nil
}
