// Package sandbox runs smartradex against in-process stand-ins of Binance
// and of the SmartradeX service (the real service's handler on an
// in-memory store, through servicetest), with a home of its own, so that a
// new user can practise the whole flow with demo keys and no real account,
// key, keyring or token is ever touched.
package sandbox

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// The sandbox's fixed credentials. They open nothing outside the sandbox.
const (
	// Token is the sandbox subscriber's service token.
	Token = "sandbox-token-not-a-real-smartradex-token"
	// Email is the sandbox subscriber.
	Email = "demo@sandbox.smartradex.invalid"
	// Passphrase encrypts the sandbox's secret file; it protects nothing
	// of value (demo keys only), so nobody is asked for it.
	Passphrase = "smartradex-sandbox-passphrase"
	// ScryptWorkFactor keeps the sandbox's encrypted file quick to open.
	ScryptWorkFactor = 10
)

// State files inside the sandbox home.
const (
	binanceStateFile = "sandbox-binance.json"
	serviceStateFile = "sandbox-service.json"
	lockFile         = "sandbox.lock"
)

var lockWait = 10 * time.Second

// DefaultDir is the sandbox home: SMARTRADEX_SANDBOX_DIR, else
// smartradex-sandbox beside the real configuration directory.
func DefaultDir(getenv func(string) string) (string, error) {
	if d := strings.TrimSpace(getenv("SMARTRADEX_SANDBOX_DIR")); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "smartradex-sandbox"), nil
}

// Enabled tells whether SMARTRADEX_SANDBOX asks for the sandbox.
func Enabled(getenv func(string) string) bool {
	switch strings.ToLower(strings.TrimSpace(getenv("SMARTRADEX_SANDBOX"))) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}

// Sandbox is a running sandbox.
type Sandbox struct {
	Dir        string
	Binance    *binancetest.Server
	Service    *servicetest.Server
	BinanceURL string
	ServiceURL string
}

// IPLock is the sandbox service's rule: keys locked to its address are
// the accepted state, unrestricted ones are accepted with a warning, so a
// person can practise both.
const IPLock = "recommended"

// ServiceIP is the address the sandbox's service publishes and calls the
// sandbox's Binance from. Nothing listens on it: the Binance stand-in
// gives the service a URL of its own (ListenAs) where every request counts
// as coming from this address, so that the sandbox works where only
// 127.0.0.1 exists (macOS, Windows).
const ServiceIP = binancetest.SandboxServiceIP

// DemoKeys are the keys the sandbox's Binance knows: the unrestricted
// ones, then those locked to trusted IPs (one to the service's address,
// one whose list lacks it).
func DemoKeys() []binancetest.DemoKey {
	return append(binancetest.DemoKeys(), binancetest.LockedDemoKeys()...)
}

// Start starts both stand-ins on loopback with the state saved in dir by
// earlier sandbox commands (or fresh demo data the first time).
func Start(ctx context.Context, dir string) (*Sandbox, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	_ = os.Chmod(dir, 0o700) //nolint:gosec // a directory needs its search bit; 0700 keeps it private
	sb := &Sandbox{Dir: dir, Binance: binancetest.New(), Service: servicetest.New()}
	err := sb.locked(ctx, func() error {
		if data, err := os.ReadFile(filepath.Join(dir, binanceStateFile)); err == nil {
			if err := sb.Binance.LoadState(data); err != nil {
				return err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if data, err := os.ReadFile(filepath.Join(dir, serviceStateFile)); err == nil {
			if err := sb.Service.LoadState(data); err != nil {
				return err
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: reading its saved state in %s: %w", dir, err)
	}
	// The demo keys and the demo subscriber always exist, as documented.
	sb.Binance.AddDemoKeys()
	sb.Binance.AddLockedDemoKeys()
	// The sandbox's service publishes the built-in bots; its subscriber
	// pays for all of them. (bots.IDs would ask this very service.)
	var ids []string
	for _, b := range bots.Builtin() {
		ids = append(ids, b.ID)
	}
	sb.Service.AddAccount(Token, Email, ids)
	if sb.BinanceURL, err = sb.Binance.Start(); err != nil {
		return nil, err
	}
	alias, err := sb.Binance.ListenAs(ServiceIP)
	if err != nil {
		sb.Binance.Close()
		return nil, err
	}
	if err := sb.Service.SetNetwork(servicetest.Network{IPLock: IPLock, EgressIPs: []string{ServiceIP}, BinanceURL: alias}); err != nil {
		sb.Binance.Close()
		return nil, err
	}
	if sb.ServiceURL, err = sb.Service.Start(); err != nil {
		sb.Binance.Close()
		return nil, err
	}
	return sb, nil
}

func (sb *Sandbox) locked(ctx context.Context, fn func() error) error {
	unlock, err := atomicfile.Lock(ctx, filepath.Join(sb.Dir, lockFile), lockWait)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}

// Save writes the stand-ins' state to the sandbox home. The service state
// holds the demo secrets registered with it, sealed, and the vault private
// key that opens them (the token only as its SHA-256): the files are 0600
// in a 0700 directory all the same.
func (sb *Sandbox) Save(ctx context.Context) error {
	return sb.locked(ctx, func() error {
		b, err := sb.Binance.MarshalState()
		if err != nil {
			return err
		}
		s, err := sb.Service.MarshalState()
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(sb.Dir, binanceStateFile), b, 0o600); err != nil {
			return err
		}
		return atomicfile.WriteFile(filepath.Join(sb.Dir, serviceStateFile), s, 0o600)
	})
}

// Close saves the state and stops the stand-ins.
func (sb *Sandbox) Close(ctx context.Context) error {
	err := sb.Save(ctx)
	sb.Binance.Close()
	sb.Service.Close()
	return err
}

// CreateSelfGeneratedKey plays Binance's "Create API" › "Self-generated"
// for publicPEM: it creates, on a sub-account of its own, a key with the
// two rights SmartradeX accepts, and returns its API key. The API key is
// derived from the public key, so pasting the same public key again gives
// the same API key.
func (sb *Sandbox) CreateSelfGeneratedKey(publicPEM string) (string, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(publicPEM)))
	if block == nil || block.Type != "PUBLIC KEY" {
		return "", errors.New("sandbox: not a PEM public key")
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		return "", fmt.Errorf("sandbox: %w", err)
	}
	ok, err := binancetest.DemoKeyByName("ok")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(block.Bytes)
	digits := strings.ToUpper(hex.EncodeToString(sum[:]))
	apiKey := "DEMOSelfGenerated" + digits[:64-len("DEMOSelfGenerated")]
	// A sub-account of its own, out of the demo keys' range.
	uid := int64(910000000) + int64(binary.BigEndian.Uint32(sum[:4])%1000000)
	sb.Binance.AddKey(binancetest.Key{APIKey: apiKey, PublicKeyPEM: string(pem.EncodeToMemory(block)), Restrictions: ok.Key.Restrictions, UID: uid})
	return apiKey, nil
}
