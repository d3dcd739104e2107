package keygen

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

func TestNewIsABinanceEd25519Pair(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.PrivatePEM, "-----BEGIN PRIVATE KEY-----\n") || !strings.HasPrefix(p.PublicPEM, "-----BEGIN PUBLIC KEY-----\n") {
		t.Fatalf("unexpected PEM types:\n%s", p.PublicPEM)
	}
	// The private key is what binance.ParseCredentials accepts as an Ed25519 secret.
	creds, err := binance.ParseCredentials(strings.Repeat("a", binance.KeyLen), p.PrivatePEM)
	if err != nil || creds.Type != binance.ED25519 {
		t.Fatalf("ParseCredentials = %v, %v", creds.Type, err)
	}
	// A signature made with the private key verifies with the public key.
	block, _ := pem.Decode([]byte(p.PrivatePEM))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := pem.Decode([]byte(p.PublicPEM))
	pub, err := x509.ParsePKIXPublicKey(pb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("timestamp=1578963600000")
	if !ed25519.Verify(pub.(ed25519.PublicKey), msg, ed25519.Sign(key.(ed25519.PrivateKey), msg)) {
		t.Fatal("signature does not verify with the public key")
	}
	derived, err := PublicPEM(p.PrivatePEM)
	if err != nil || derived != p.PublicPEM {
		t.Fatalf("PublicPEM = %q, %v", derived, err)
	}
}

// Binance's FIX documentation vector: its private key gives its public key.
func TestPublicPEMVector(t *testing.T) {
	priv := "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----"
	got, err := PublicPEM(priv)
	if err != nil {
		t.Fatal(err)
	}
	want := "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"", "garbage", "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGUIKv9dSpWXBViXp2m6vAIb8QMFJYBgyFEQsFJlqgA0=\n-----END PUBLIC KEY-----\n"} {
		if _, err := PublicPEM(bad); !errors.Is(err, ErrNotEd25519) {
			t.Errorf("PublicPEM(%q) = %v", bad, err)
		}
	}
}

func TestPairNeverPrintsThePrivateKey(t *testing.T) {
	p, err := New(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Split(p.PrivatePEM, "\n")[1]
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if out := fmt.Sprintf(verb, p); strings.Contains(out, body) || strings.Contains(out, "PRIVATE KEY-----") {
			t.Errorf("%s leaks the private key: %s", verb, out)
		}
	}
}

type failingStore struct{ secrets.Store }

func (failingStore) Set(context.Context, string, string) error { return errors.New("keyring locked") }

func TestSave(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	active := &state.Entry{Bot: "eth-spot", APIKey: "KEY", KeyType: "HMAC", Backend: "system",
		SecretName: secrets.BotSecretName("eth-spot"), Status: state.StatusRegistered, CreatedAt: now.Add(-time.Hour)}
	tests := []struct {
		name     string
		bot      string
		store    secrets.Store
		wantErr  bool
		wantName string
		awaiting bool
	}{
		{"new bot", "btc-spot", secrets.NewMemory(), false, secrets.BotGeneratedSecretName("btc-spot"), true},
		{"key in force stays", "eth-spot", secrets.NewMemory(), false, secrets.BotSecretName("eth-spot"), false},
		{"store fails: no entry", "btc-spot", failingStore{secrets.NewMemory()}, true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := state.Open(t.TempDir())
			if err := ix.Update(ctx, func(s *state.Snapshot) error { c := *active; s.Entries["eth-spot"] = &c; return nil }); err != nil {
				t.Fatal(err)
			}
			e, err := Save(ctx, tt.store, ix, tt.bot, p, now)
			snap, lerr := ix.Load()
			if lerr != nil {
				t.Fatal(lerr)
			}
			if tt.wantErr {
				if err == nil || snap.Entries[tt.bot] != nil {
					t.Fatalf("err %v, entry %+v", err, snap.Entries[tt.bot])
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := snap.Entries[tt.bot]
			if got.SecretName != tt.wantName || got.AwaitingAPIKey() != tt.awaiting || got.GeneratedAt == nil || !got.GeneratedAt.Equal(now) || e.SecretName != tt.wantName {
				t.Fatalf("entry %+v", got)
			}
			if tt.bot == "eth-spot" && (got.APIKey != "KEY" || got.Status != state.StatusRegistered) {
				t.Fatalf("the key in force changed: %+v", got)
			}
			v, err := Load(ctx, tt.store, tt.bot)
			if err != nil || v != p.PrivatePEM {
				t.Fatalf("stored %v", err)
			}
		})
	}
}

// labelled is a memory store that answers to a backend name.
type labelled struct {
	secrets.Store
	backend string
}

func (l labelled) Backend() string { return l.backend }

func TestMakeAndPending(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	boom := errors.New("no keyring")
	cases := []struct {
		name     string
		entry    *state.Entry
		selected string
		selErr   error
		want     string // the backend that holds the pair
		wantErr  error
	}{
		{"no entry: the selected store", nil, "file", nil, "file", nil},
		{"a key in force: beside it", &state.Entry{Bot: "btc-spot", APIKey: strings.Repeat("K", 64), Backend: "system", SecretName: "bot/btc-spot", Status: state.StatusRegistered, CreatedAt: now}, "file", nil, "system", nil},
		{"no store selectable", nil, "", boom, "", boom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stores := map[string]secrets.Store{"system": labelled{secrets.NewMemory(), "system"}, "file": labelled{secrets.NewMemory(), "file"}}
			storeFor := func(b string) (secrets.Store, error) { return stores[b], nil }
			ix := state.Open(t.TempDir())
			if c.entry != nil {
				e := *c.entry
				if err := ix.Update(ctx, func(s *state.Snapshot) error { s.Entries[e.Bot] = &e; return nil }); err != nil {
					t.Fatal(err)
				}
			}
			p, backend, err := Make(ctx, ix, c.entry, "btc-spot", storeFor, func() (string, error) { return c.selected, c.selErr }, nil, now)
			if !errors.Is(err, c.wantErr) || backend != c.want {
				t.Fatalf("Make = %q, %v; want %q, %v", backend, err, c.want, c.wantErr)
			}
			if c.wantErr != nil {
				return
			}
			snap, err := ix.Load()
			if err != nil {
				t.Fatal(err)
			}
			e := snap.Entries["btc-spot"]
			if e == nil || e.GeneratedAt == nil || !e.GeneratedAt.Equal(now) || e.Backend != c.want {
				t.Fatalf("entry %+v", e)
			}
			got, err := Pending(ctx, e, "btc-spot", storeFor)
			if err != nil || got.PrivatePEM != p.PrivatePEM || got.PublicPEM != p.PublicPEM {
				t.Fatalf("Pending = %v, %v; want the pair Make kept", got, err)
			}
			if _, err := stores[c.want].Get(ctx, secrets.BotGeneratedSecretName("btc-spot")); err != nil {
				t.Errorf("private key not in the %s store: %v", c.want, err)
			}
		})
	}
	// The private key gone: Pending says so.
	e := &state.Entry{Bot: "btc-spot", Backend: "file"}
	if _, err := Pending(ctx, e, "btc-spot", func(string) (secrets.Store, error) { return secrets.NewMemory(), nil }); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("Pending without a private key: %v", err)
	}
}
