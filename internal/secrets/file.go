package secrets

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/i18n"
)

// FileName is the encrypted secret file inside the config directory.
//
// It holds three lines:
//
//	smartradex-secrets v1
//	key <base64 age file, scrypt-encrypted to the passphrase: an X25519 identity>
//	data <base64 age file, encrypted to that identity: {"version":1,"secrets":{name: value}}>
//
// The scrypt key derivation is deliberately slow, so it is paid once per
// process: the identity is decrypted once and kept in memory, and later
// writes only re-encrypt the data line to the identity's public key. The
// key line is written once, when the file is created.
const FileName = "secrets.age"

const (
	fileMagic   = "smartradex-secrets v1"
	maxFileSize = 16 << 20
	dataVersion = 1
)

// lockWait bounds how long a write waits for another smartradex process.
var lockWait = 10 * time.Second

// scryptRuns counts key derivations, so tests can prove there is one per
// process.
var scryptRuns atomic.Int64

type fileStore struct {
	path       string
	dir        string
	passphrase func(ctx context.Context) (string, error)
	workFactor int

	mu      sync.Mutex // serialises operations of this process and guards the cache
	asked   bool
	pass    string
	passErr error
	keyLine string              // the key line ident was decrypted from
	ident   *age.X25519Identity // cached for the life of the process
}

func newFile(opts Options) *fileStore {
	return &fileStore{
		path:       filepath.Join(opts.Dir, FileName),
		dir:        opts.Dir,
		passphrase: opts.Passphrase,
		workFactor: opts.ScryptWorkFactor,
	}
}

func (s *fileStore) Backend() string { return BackendFile }

type fileData struct {
	Version int               `json:"version"`
	Secrets map[string]string `json:"secrets"`
}

func (s *fileStore) Get(ctx context.Context, name string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := s.read()
	if err != nil {
		return "", err
	}
	if raw == nil {
		return "", ErrNotFound
	}
	entries, err := s.open(ctx, raw)
	if err != nil {
		return "", err
	}
	v, ok := entries[name]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Prepare asks for the passphrase and, when the file exists, unlocks it.
func (s *fileStore) Prepare(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	raw, err := s.read()
	if err != nil {
		return err
	}
	if raw == nil {
		_, err = s.pass1(ctx)
		return err
	}
	_, err = s.open(ctx, raw)
	return err
}

func (s *fileStore) Set(ctx context.Context, name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return s.ioError("secrets.io_write", err)
	}
	return s.update(ctx, func(entries map[string]string) (bool, error) {
		entries[name] = value
		return true, nil
	})
}

func (s *fileStore) Delete(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(ctx, func(entries map[string]string) (bool, error) {
		if _, ok := entries[name]; !ok {
			return false, ErrNotFound
		}
		delete(entries, name)
		return true, nil
	})
}

// update is the read-modify-write under the cross-process lock. A missing
// file is created only by a change that adds something.
func (s *fileStore) update(ctx context.Context, change func(map[string]string) (bool, error)) error {
	// Ask for the passphrase and pay for scrypt before taking the lock, so
	// that another smartradex process is not kept waiting on our prompt.
	raw, err := s.read()
	if err != nil {
		return err
	}
	if raw == nil {
		if _, err := change(map[string]string{}); err != nil {
			return err
		}
		if _, err := s.pass1(ctx); err != nil {
			return err
		}
	} else if _, err := s.open(ctx, raw); err != nil {
		return err
	}

	unlock, err := atomicfile.Lock(ctx, s.path+".lock", lockWait)
	if err != nil {
		if errors.Is(err, atomicfile.ErrLockTimeout) {
			return apperr.Wrap(apperr.Unexpected, "secrets.file_locked", err,
				i18n.M("secrets.file_locked", s.path), i18n.M("secrets.locked_hint"))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.ioError("secrets.io_write", err)
	}
	defer unlock()
	atomicfile.RemoveStaleTemps(s.path)

	raw, err = s.read()
	if err != nil {
		return err
	}
	var keyLine string
	entries := map[string]string{}
	if raw == nil {
		if _, err := change(entries); err != nil {
			return err
		}
		if keyLine, err = s.create(ctx); err != nil {
			return err
		}
	} else {
		if keyLine, _, err = parseFile(raw); err != nil {
			return s.corrupt(err)
		}
		if entries, err = s.open(ctx, raw); err != nil {
			return err
		}
		changed, err := change(entries)
		if err != nil {
			return err
		}
		if !changed {
			return nil
		}
	}
	dataLine, err := encryptData(s.ident, entries)
	if err != nil {
		return s.ioError("secrets.io_write", err)
	}
	content := fmt.Sprintf("%s\nkey %s\ndata %s\n", fileMagic, keyLine, dataLine)
	if err := atomicfile.WriteFile(s.path, []byte(content), 0o600); err != nil {
		return s.ioError("secrets.io_write", err)
	}
	return nil
}

// read returns the file's bytes, or nil when it does not exist. A file that
// other users could read is refused before its content is used.
func (s *fileStore) read() ([]byte, error) {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.ioError("secrets.io_read", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, s.corrupt(errors.New("not a regular file"))
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, apperr.New(apperr.Unexpected, "secrets.file_permissions",
			i18n.M("secrets.file_permissions", s.path, fmt.Sprintf("%04o", fi.Mode().Perm())),
			i18n.M("secrets.file_permissions_hint", s.path))
	}
	raw, err := atomicfile.ReadLimited(s.path, maxFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, s.ioError("secrets.io_read", err)
	}
	return raw, nil
}

// open decrypts the file's entries, unlocking the identity if needed.
func (s *fileStore) open(ctx context.Context, raw []byte) (map[string]string, error) {
	keyLine, dataLine, err := parseFile(raw)
	if err != nil {
		return nil, s.corrupt(err)
	}
	if err := s.unlock(ctx, keyLine); err != nil {
		return nil, err
	}
	entries, err := decryptData(s.ident, dataLine)
	if err != nil {
		return nil, s.corrupt(err)
	}
	return entries, nil
}

// pass1 asks for the passphrase the first time only.
func (s *fileStore) pass1(ctx context.Context) (string, error) {
	if !s.asked {
		s.asked = true
		s.pass, s.passErr = s.passphrase(ctx)
		if s.passErr == nil && s.pass == "" {
			s.passErr = apperr.New(apperr.Usage, "secrets.passphrase_empty",
				i18n.M("secrets.passphrase_empty"), i18n.M("secrets.passphrase_empty_hint"))
		}
	}
	return s.pass, s.passErr
}

// unlock decrypts the identity in keyLine with the passphrase, unless it is
// the one already in memory.
func (s *fileStore) unlock(ctx context.Context, keyLine string) error {
	if s.ident != nil && s.keyLine == keyLine {
		return nil
	}
	ct, err := base64.StdEncoding.Strict().DecodeString(keyLine)
	if err != nil {
		return s.corrupt(fmt.Errorf("key line: %w", err))
	}
	pass, err := s.pass1(ctx)
	if err != nil {
		return err
	}
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return s.corrupt(err)
	}
	scryptRuns.Add(1)
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return apperr.New(apperr.Unexpected, "secrets.file_wrong_passphrase",
				i18n.M("secrets.file_wrong_passphrase", s.path),
				i18n.M("secrets.file_wrong_passphrase_hint"), i18n.M("secrets.file_lost_passphrase_hint", s.path))
		}
		return s.corrupt(fmt.Errorf("key line: %w", err))
	}
	plain, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return s.corrupt(fmt.Errorf("key line: %w", err))
	}
	ident, err := age.ParseX25519Identity(strings.TrimSpace(string(plain)))
	if err != nil {
		// The parse error could quote the key material: keep it out.
		return s.corrupt(errors.New("key line: not an identity"))
	}
	s.ident, s.keyLine = ident, keyLine
	return nil
}

// create makes the key line of a new file: a fresh identity encrypted to
// the passphrase. It is the only place scrypt runs for encryption.
func (s *fileStore) create(ctx context.Context) (string, error) {
	pass, err := s.pass1(ctx)
	if err != nil {
		return "", err
	}
	ident, err := age.GenerateX25519Identity()
	if err != nil {
		return "", s.ioError("secrets.io_write", err)
	}
	rcpt, err := age.NewScryptRecipient(pass)
	if err != nil {
		return "", s.ioError("secrets.io_write", err)
	}
	if s.workFactor > 0 {
		rcpt.SetWorkFactor(s.workFactor)
	}
	scryptRuns.Add(1)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rcpt)
	if err != nil {
		return "", s.ioError("secrets.io_write", err)
	}
	if _, err := io.WriteString(w, ident.String()); err != nil {
		return "", s.ioError("secrets.io_write", err)
	}
	if err := w.Close(); err != nil {
		return "", s.ioError("secrets.io_write", err)
	}
	keyLine := base64.StdEncoding.EncodeToString(buf.Bytes())
	s.ident, s.keyLine = ident, keyLine
	return keyLine, nil
}

func parseFile(raw []byte) (keyLine, dataLine string, err error) {
	text := string(raw)
	if !strings.HasSuffix(text, "\n") {
		return "", "", errors.New("truncated: no final newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 {
		return "", "", fmt.Errorf("expected 3 lines, found %d", len(lines))
	}
	if lines[0] != fileMagic {
		return "", "", errors.New("not a smartradex secret file")
	}
	keyLine, ok1 := strings.CutPrefix(lines[1], "key ")
	dataLine, ok2 := strings.CutPrefix(lines[2], "data ")
	if !ok1 || !ok2 || keyLine == "" || dataLine == "" {
		return "", "", errors.New("malformed lines")
	}
	return keyLine, dataLine, nil
}

func encryptData(ident *age.X25519Identity, entries map[string]string) (string, error) {
	plain, err := json.Marshal(fileData{Version: dataVersion, Secrets: entries})
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, ident.Recipient())
	if err != nil {
		return "", err
	}
	if _, err := w.Write(plain); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

func decryptData(ident *age.X25519Identity, dataLine string) (map[string]string, error) {
	ct, err := base64.StdEncoding.Strict().DecodeString(dataLine)
	if err != nil {
		return nil, fmt.Errorf("data line: %w", err)
	}
	r, err := age.Decrypt(bytes.NewReader(ct), ident)
	if err != nil {
		return nil, fmt.Errorf("data line: %w", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("data line: %w", err)
	}
	var d fileData
	if err := json.Unmarshal(plain, &d); err != nil {
		// json errors can quote the input, which holds secrets.
		return nil, errors.New("data line: not valid JSON")
	}
	if d.Version != dataVersion {
		return nil, fmt.Errorf("data line: unsupported version %d", d.Version)
	}
	if d.Secrets == nil {
		d.Secrets = map[string]string{}
	}
	return d.Secrets, nil
}

func (s *fileStore) corrupt(err error) error {
	return apperr.Wrap(apperr.Unexpected, "secrets.file_corrupt", err,
		i18n.M("secrets.file_corrupt", s.path), i18n.M("secrets.file_corrupt_hint", s.path))
}

func (s *fileStore) ioError(op string, err error) error {
	return apperr.Wrap(apperr.Unexpected, "secrets.file_io", err,
		i18n.M("secrets.file_io", i18n.M(op), s.path), i18n.M("secrets.file_io_hint", s.dir))
}
