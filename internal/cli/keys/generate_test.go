package keys

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

const generatedAPIKey = "EdGeneratedApiKeyForUnitTests00000000000000000000000000000000ED1"

type continued struct {
	bot     string
	apiKey  string
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
		Msg: f.Messages(), IO: ios, Index: func() (*state.Index, error) { return ix, nil },
		Store:    func(string) (secrets.Store, error) { return store, nil },
		Backend:  func() (string, error) { return secrets.BackendSystem, nil },
		Prompter: fake,
		Now:      func() time.Time { return time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC) },
		Continue: func(_ context.Context, _ *GenerateOptions, b bots.Bot, apiKey string, replace bool) error {
			calls = append(calls, continued{b.ID, apiKey, replace})
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
	if c.bot != "btc-spot" || c.replace || c.apiKey != generatedAPIKey {
		t.Fatalf("continued with bot %s, replace %v, API key %q", c.bot, c.replace, c.apiKey)
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

// inputHook runs onInput before each Input: the test plays the user
// pasting the public key into Binance while the API key is asked for.
type inputHook struct {
	*prompt.Fake
	onInput func()
}

func (h *inputHook) Input(ctx context.Context, title, description string, validate func(string) error) (string, error) {
	if h.onInput != nil {
		h.onInput()
	}
	return h.Fake.Input(ctx, title, description, validate)
}

// On a terminal, generate carries on as keys add --use-generated: the key
// is checked with a request signed by the generated private key, stored as
// the bot's key, registered as ED25519, and the generated copy is gone.
func TestGenerateOnTerminalCarriesOnAsKeysAdd(t *testing.T) {
	g := newGuided(t, i18n.EN, nil, generatedAPIKey)
	ctx := context.Background()
	store, err := g.f.SecretStore()
	if err != nil {
		t.Fatal(err)
	}
	hook := &inputHook{Fake: g.fake, onInput: func() {
		priv, err := store.Get(ctx, secrets.BotGeneratedSecretName("btc-spot"))
		if err != nil {
			t.Fatal(err)
		}
		pub, err := keygen.PublicPEM(priv)
		if err != nil {
			t.Fatal(err)
		}
		g.bin.AddKey(binancetest.Key{APIKey: generatedAPIKey, PublicKeyPEM: pub, Restrictions: demoKey(t, "ok").Restrictions, UID: 900000042})
	}}
	o := &GenerateOptions{
		Msg: g.f.Messages(), IO: g.ios, Index: g.f.Index, Store: g.f.SecretStoreFor, Backend: g.f.KeyringBackend, Now: g.f.Now,
		Prompter: hook, Continue: continueGenerated(g.f), Bot: "btc-spot",
	}
	if err := generateRun(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, g.stderr.String())
	}
	priv, err := store.Get(ctx, secrets.BotSecretName("btc-spot"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, secrets.BotGeneratedSecretName("btc-spot")); !errors.Is(err, secrets.ErrNotFound) {
		t.Fatalf("the generated copy is still stored: %v", err)
	}
	reg, ok := g.svc.Registration("btc-spot")
	if !ok || reg.APIKey != generatedAPIKey || reg.KeyType != "ED25519" || reg.APISecret != priv {
		t.Fatalf("registration %+v, %v", reg.APIKey, reg.KeyType)
	}
	e := g.entry(t, "btc-spot")
	if e == nil || e.Status != state.StatusRegistered || e.KeyType != "ED25519" || e.GeneratedAt != nil || e.UID != 900000042 {
		t.Fatalf("entry %+v", e)
	}
	if len(g.fake.Asked) != 1 || g.fake.Asked[0].Kind != "input" {
		t.Fatalf("asked %+v", g.fake.Asked)
	}
	out := g.stdout.String() + g.stderr.String()
	if strings.Contains(out, "PRIVATE") || strings.Contains(out, strings.Split(priv, "\n")[1]) {
		t.Fatal("the private key was printed")
	}
	if !strings.Contains(g.stdout.String(), "smartradex keys verify") {
		t.Fatalf("no summary:\n%s", g.stdout.String())
	}
}

// In the sandbox, generate is finished there: a stand-in for Binance's
// page takes the public key and gives back an API key, which the user
// pastes, and the key ends up registered.
func TestGenerateFinishedInTheSandbox(t *testing.T) {
	g := newGuided(t, i18n.FR, map[string]string{"SMARTRADEX_SANDBOX": "1"})
	ctx := context.Background()
	store, err := g.f.SecretStore()
	if err != nil {
		t.Fatal(err)
	}
	inputs := 0
	hook := &inputHook{Fake: g.fake, onInput: func() {
		inputs++
		switch inputs {
		case 1: // the sandbox's Binance: first something else, then the public key on one line
			priv, err := store.Get(ctx, secrets.BotGeneratedSecretName("btc-spot"))
			if err != nil {
				t.Fatal(err)
			}
			pub, _ := keygen.PublicPEM(priv)
			g.fake.Answers = append(g.fake.Answers, "-----BEGIN PUBLIC KEY-----", strings.ReplaceAll(pub, "\n", " "))
		case 2: // the API key, as printed alone on its line
			var key string
			for _, l := range strings.Split(g.stderr.String(), "\n") {
				if strings.HasPrefix(l, "DEMOSelfGenerated") {
					key = l
				}
			}
			g.fake.Answers = append(g.fake.Answers, key)
		}
	}}
	o := &GenerateOptions{
		Msg: g.f.Messages(), IO: g.ios, Index: g.f.Index, Store: g.f.SecretStoreFor, Backend: g.f.KeyringBackend, Now: g.f.Now,
		Prompter: hook, Continue: continueGenerated(g.f), Bot: "btc-spot",
		SandboxBinance: func(pub string) (string, error) {
			sb, err := g.f.Sandbox()
			if err != nil {
				return "", err
			}
			return sb.CreateSelfGeneratedKey(pub)
		},
	}
	if err := generateRun(ctx, o); err != nil {
		t.Fatalf("%v\n%s", err, g.stderr.String())
	}
	if len(g.fake.Asked) != 2 || len(g.fake.Asked[0].Rejected) != 1 || !strings.Contains(g.fake.Asked[0].Rejected[0], "ce n'est pas la clé publique") {
		t.Fatalf("asked %+v", g.fake.Asked)
	}
	if !strings.Contains(g.fake.Asked[0].Title, "Binance (bac à sable)") {
		t.Errorf("the sandbox's Binance screen is not named: %q", g.fake.Asked[0].Title)
	}
	ix, err := g.f.Index() // the sandbox's own index
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ix.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := snap.Entries["btc-spot"]
	if e == nil || e.Status != state.StatusRegistered || e.KeyType != "ED25519" || !strings.HasPrefix(e.APIKey, "DEMOSelfGenerated") {
		t.Fatalf("entry %+v", e)
	}
}
