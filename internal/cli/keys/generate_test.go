package keys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

const generatedAPIKey = "EdGeneratedApiKeyForUnitTests00000000000000000000000000000000ED1"

type continued struct {
	bot     string
	creds   binance.Credentials
	replace bool
}

func newGenerate(t *testing.T, answers ...any) (*GenerateOptions, *prompt.Fake, secrets.Store, *state.Index, *[]continued, func() (string, string)) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.SetTTY(true, true, true)
	f := cmdutil.New(ios, func(string) string { return "" })
	store := secrets.NewMemory()
	ix := state.Open(t.TempDir())
	fake := &prompt.Fake{Answers: answers}
	var calls []continued
	o := &GenerateOptions{
		F: f, IO: ios, Index: func() (*state.Index, error) { return ix, nil },
		Store:    func(string) (secrets.Store, error) { return store, nil },
		Backend:  func() (string, error) { return secrets.BackendSystem, nil },
		Prompter: func() prompt.Prompter { return fake },
		Now:      func() time.Time { return time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC) },
		Continue: func(_ context.Context, _ *GenerateOptions, b bots.Bot, c binance.Credentials, replace bool) error {
			calls = append(calls, continued{b.ID, c, replace})
			return nil
		},
		Bot: "btc-spot",
	}
	return o, fake, store, ix, &calls, func() (string, string) { return out.String(), errOut.String() }
}

func TestGenerateOnTerminalContinuesWithTheGeneratedKey(t *testing.T) {
	o, fake, store, _, calls, output := newGenerate(t, " "+generatedAPIKey+" ")
	if err := generateRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	priv, err := store.Get(context.Background(), secrets.BotGeneratedSecretName("btc-spot"))
	if err != nil {
		t.Fatal(err)
	}
	if len(*calls) != 1 {
		t.Fatalf("continue called %d times", len(*calls))
	}
	c := (*calls)[0]
	if c.bot != "btc-spot" || c.replace || c.creds.APIKey != generatedAPIKey || c.creds.Type != binance.ED25519 || strings.TrimSpace(c.creds.Secret) != strings.TrimSpace(priv) {
		t.Fatalf("continued with bot %s, replace %v, %v", c.bot, c.replace, c.creds)
	}
	if len(fake.Asked) != 1 || fake.Asked[0].Kind != "input" {
		t.Fatalf("asked %+v", fake.Asked)
	}
	pub, _ := keygen.PublicPEM(priv)
	stdout, stderr := output()
	if stdout != pub {
		t.Fatalf("stdout %q, want the public key %q", stdout, pub)
	}
	body := strings.Split(priv, "\n")[1]
	if strings.Contains(stdout+stderr, body) || strings.Contains(stdout+stderr, "PRIVATE") {
		t.Fatal("the private key was printed")
	}
}

func TestGenerateAgainAsksFirst(t *testing.T) {
	tests := []struct {
		name    string
		answers []any
		kind    apperr.Kind
		same    bool
	}{
		{"declined", []any{false}, apperr.Cancelled, true},
		{"Ctrl-C", []any{prompt.Cancelled(nil)}, apperr.Cancelled, true},
		{"accepted", []any{true, generatedAPIKey}, apperr.OK, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, fake, store, _, _, _ := newGenerate(t)
			fake.Answers = []any{generatedAPIKey}
			if err := generateRun(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			first, _ := store.Get(context.Background(), secrets.BotGeneratedSecretName("btc-spot"))
			fake.Answers = tt.answers
			err := generateRun(context.Background(), o)
			if apperr.KindOf(err) != tt.kind {
				t.Fatalf("err %v, want kind %d", err, tt.kind)
			}
			second, _ := store.Get(context.Background(), secrets.BotGeneratedSecretName("btc-spot"))
			if (first == second) != tt.same {
				t.Fatalf("key replaced = %v, want %v", first != second, !tt.same)
			}
		})
	}
}

// Ctrl-C at the API key question keeps the generated key and says how to
// finish; the exit code is still "cancelled".
func TestGenerateCancelledAtAPIKeyKeepsThePair(t *testing.T) {
	o, _, store, ix, calls, _ := newGenerate(t, prompt.Cancelled(nil))
	err := generateRun(context.Background(), o)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Cancelled || e.Message.Key != "keys.generate.cancelled_kept" {
		t.Fatalf("err %v", err)
	}
	if len(*calls) != 0 {
		t.Fatal("continued after Ctrl-C")
	}
	if _, err := store.Get(context.Background(), secrets.BotGeneratedSecretName("btc-spot")); err != nil {
		t.Fatal(err)
	}
	snap, _ := ix.Load()
	if e := snap.Entries["btc-spot"]; e == nil || !e.AwaitingAPIKey() {
		t.Fatalf("entry %+v", e)
	}
}

// A store that cannot keep the private key leaves no index entry behind.
func TestGenerateStoreFailure(t *testing.T) {
	o, _, _, ix, calls, output := newGenerate(t)
	o.Store = func(string) (secrets.Store, error) { return setFails{secrets.NewMemory()}, nil }
	err := generateRun(context.Background(), o)
	if err == nil {
		t.Fatal("no error")
	}
	snap, _ := ix.Load()
	if len(snap.Entries) != 0 || len(*calls) != 0 {
		t.Fatalf("entries %v", snap.Entries)
	}
	if stdout, _ := output(); stdout != "" {
		t.Fatalf("printed %q", stdout)
	}
}

type setFails struct{ secrets.Store }

func (setFails) Set(context.Context, string, string) error {
	return apperr.New(apperr.Unexpected, "secrets.keyring_failed", messageOf(errors.New("locked")))
}
