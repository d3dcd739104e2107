package keys

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// testAPIKey and testSecret (check_test.go) are Binance's documented example pair.
const testAPIKey = testKey

type env struct {
	f        *cmdutil.Factory
	ios      *iostreams.IOStreams
	out, err *bytes.Buffer
	ix       *state.Index
	store    *countingStore
}

// countingStore wraps a memory store, counting calls and failing on demand.
type countingStore struct {
	secrets.Store
	mu      sync.Mutex
	gets    int
	fail    error
	deletes []string
}

func (c *countingStore) Get(ctx context.Context, name string) (string, error) {
	c.mu.Lock()
	c.gets++
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return "", fail
	}
	return c.Store.Get(ctx, name)
}

func (c *countingStore) Delete(ctx context.Context, name string) error {
	c.mu.Lock()
	c.deletes = append(c.deletes, name)
	fail := c.fail
	c.mu.Unlock()
	if fail != nil {
		return fail
	}
	return c.Store.Delete(ctx, name)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.New(ios, func(string) string { return "" })
	return &env{f: f, ios: ios, out: out, err: errOut, ix: state.Open(t.TempDir()), store: &countingStore{Store: secrets.NewMemory()}}
}

// seed adds an index entry for bot, and its secret unless missing.
func (e *env) seed(t *testing.T, bot string, status state.Status, uid int64, missing bool) {
	t.Helper()
	ctx := context.Background()
	if !missing {
		if err := e.store.Set(ctx, secrets.BotSecretName(bot), testSecret); err != nil {
			t.Fatal(err)
		}
	}
	verified := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	err := e.ix.Update(ctx, func(s *state.Snapshot) error {
		s.Entries[bot] = &state.Entry{
			Bot: bot, APIKey: testAPIKey, KeyType: "HMAC", UID: uid, Backend: "system",
			SecretName: secrets.BotSecretName(bot), Status: status,
			CreatedAt: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), VerifiedAt: &verified,
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) listOpts(json bool) *ListOptions {
	return &ListOptions{Msg: e.f.Messages(), IO: e.ios, JSON: json,
		Index: func() (*state.Index, error) { return e.ix, nil },
		Store: func(string) (secrets.Store, error) { return e.store, nil }}
}

func (e *env) noLeak(t *testing.T) {
	t.Helper()
	for name, b := range map[string]string{"stdout": e.out.String(), "stderr": e.err.String()} {
		if strings.Contains(b, testSecret) {
			t.Errorf("the secret reached %s", name)
		}
		if strings.Contains(b, testAPIKey) {
			t.Errorf("the unmasked API key reached %s", name)
		}
	}
}

func TestListEmpty(t *testing.T) {
	e := newEnv(t)
	if err := listRun(context.Background(), e.listOpts(false)); err != nil {
		t.Fatal(err)
	}
	if e.out.Len() != 0 || !strings.Contains(e.err.String(), "smartradex keys add --bot btc-spot") {
		t.Fatalf("stdout %q stderr %q", e.out, e.err)
	}
	e = newEnv(t)
	if err := listRun(context.Background(), e.listOpts(true)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(strings.Fields(e.out.String()), "") != `{"keys":[]}` {
		t.Fatalf("json %q", e.out)
	}
}

func TestListTableAndMissingSecret(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "btc-spot", state.StatusRegistered, 123456789, false)
	e.seed(t, "eth-spot", state.StatusPending, 0, true)
	if err := listRun(context.Background(), e.listOpts(false)); err != nil {
		t.Fatal(err)
	}
	out := e.out.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("table:\n%s", out)
	}
	for _, want := range []string{"BOT", "API KEY", "TYPE", "UID", "SECRET IN", "STATUS", "LAST VERIFIED"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header %q lacks %q", lines[0], want)
		}
	}
	if !strings.Contains(lines[1], "btc-spot") || !strings.Contains(lines[1], "vmPU…Eh8A") || !strings.Contains(lines[1], "123456789") ||
		!strings.Contains(lines[1], "registered") || strings.Contains(lines[1], "missing") || !strings.Contains(lines[1], "2026-03-0") {
		t.Errorf("btc-spot row %q", lines[1])
	}
	if !strings.Contains(lines[2], "eth-spot") || !strings.Contains(lines[2], "pending, secret missing") {
		t.Errorf("eth-spot row %q", lines[2])
	}
	if !strings.Contains(e.err.String(), "smartradex keys remove --bot eth-spot") {
		t.Errorf("no hint for the missing secret: %q", e.err)
	}
	e.noLeak(t)
}

func TestListJSON(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "btc-spot", state.StatusRegistered, 123456789, false)
	e.seed(t, "eth-spot", state.StatusPending, 0, true)
	if err := listRun(context.Background(), e.listOpts(true)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(e.out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Keys) != 2 {
		t.Fatalf("keys %v", doc.Keys)
	}
	btc, eth := doc.Keys[0], doc.Keys[1]
	for _, k := range []string{"bot", "api_key", "key_type", "uid", "backend", "status", "secret", "created_at", "verified_at", "registered_at", "trading_expires_at"} {
		if _, ok := btc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if btc["secret"] != "present" || eth["secret"] != "missing" || btc["uid"] != float64(123456789) || eth["uid"] != nil ||
		btc["status"] != "registered" || btc["api_key"] != "vmPU…Eh8A" {
		t.Errorf("JSON %v", doc.Keys)
	}
	if e.err.Len() != 0 {
		t.Errorf("stderr with --json: %q", e.err)
	}
	e.noLeak(t)
}

func TestListStoreUnavailable(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "btc-spot", state.StatusRegistered, 1, false)
	e.seed(t, "eth-spot", state.StatusRegistered, 2, false)
	e.store.fail = apperr.Wrap(apperr.Unexpected, "secrets.keyring_failed", errors.New("org.freedesktop.secrets was not provided by any .service files"),
		i18n.M("secrets.keyring_failed", i18n.M("secrets.op_get"), "bot/btc-spot", i18n.M("secrets.keyring_unix")), i18n.M("secrets.hint_use_file"))
	e.store.gets = 0
	if err := listRun(context.Background(), e.listOpts(true)); err != nil {
		t.Fatalf("list failed because the store did: %v", err)
	}
	if e.store.gets != 1 {
		t.Errorf("asked a failing store %d times", e.store.gets)
	}
	if !strings.Contains(e.out.String(), `"secret": "unknown"`) || strings.Count(e.out.String(), `"unknown"`) != 2 {
		t.Errorf("json %s", e.out)
	}
	for _, want := range []string{"could not check whether the secrets are in the system keyring", "not provided by any .service files", "hint: set SMARTRADEX_KEYRING=file"} {
		if !strings.Contains(e.err.String(), want) {
			t.Errorf("stderr lacks %q: %s", want, e.err)
		}
	}
	// A cancelled command is not turned into "unknown".
	e.store.fail = context.Canceled
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := listRun(ctx, e.listOpts(false)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled list = %v", err)
	}
}

func (e *env) removeOpts(bot string, yes bool) *RemoveOptions {
	return &RemoveOptions{Msg: e.f.Messages(), IO: e.ios, Bot: bot, Yes: yes,
		Index: func() (*state.Index, error) { return e.ix, nil },
		// The engine's service steps are tested in internal/enroll and end
		// to end; here the registration is left alone.
		Remove: func(ctx context.Context, req enroll.RemoveRequest) (*enroll.RemoveResult, error) {
			req.KeepRegistration = true
			return enroll.Remove(ctx, enroll.Deps{Index: e.ix, Store: e.store}, req)
		},
		Confirm: func(context.Context, string) (bool, error) {
			panic("unexpected confirmation")
		}}
}

func appCode(err error) string {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestRemoveRefusals(t *testing.T) {
	cases := []struct {
		name, bot string
		tty       bool
		code      string
		kind      apperr.Kind
		hint      string
	}{
		{"no bot", "", false, "keys.remove.bot_required", apperr.Usage, "btc-spot, eth-spot"},
		{"unknown bot", "doge-spot", false, "keys.unknown_bot", apperr.Usage, "btc-spot, eth-spot"},
		{"no key", "eth-spot", false, "keys.no_key", apperr.Usage, "smartradex keys list"},
		{"no tty no yes", "btc-spot", false, "keys.remove.needs_yes", apperr.Usage, "--yes"},
	}
	for _, c := range cases {
		e := newEnv(t)
		e.seed(t, "btc-spot", state.StatusRegistered, 1, false)
		e.ios.SetTTY(c.tty, c.tty, c.tty)
		err := removeRun(context.Background(), e.removeOpts(c.bot, false))
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Code != c.code || ae.Kind != c.kind {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if len(ae.Hints) == 0 || !strings.Contains(i18n.EN.Render(ae.Hints[0]), c.hint) {
			t.Errorf("%s: hints %v lack %q", c.name, ae.Hints, c.hint)
		}
		if len(e.store.deletes) != 0 {
			t.Errorf("%s: deleted %v", c.name, e.store.deletes)
		}
		if snap, _ := e.ix.Load(); snap.Entries["btc-spot"] == nil {
			t.Errorf("%s: index entry removed", c.name)
		}
	}
}

func TestRemoveConfirmation(t *testing.T) {
	for _, answer := range []bool{false, true} {
		e := newEnv(t)
		e.seed(t, "btc-spot", state.StatusRegistered, 1, false)
		e.ios.SetTTY(true, true, true)
		opts := e.removeOpts("btc-spot", false)
		var question string
		opts.Confirm = func(_ context.Context, q string) (bool, error) { question = q; return answer, nil }
		err := removeRun(context.Background(), opts)
		if !strings.Contains(question, "btc-spot") || !strings.Contains(question, "vmPU…Eh8A") || strings.Contains(question, testAPIKey) {
			t.Errorf("question %q", question)
		}
		_, getErr := e.store.Get(context.Background(), "bot/btc-spot")
		if !answer {
			if apperr.KindOf(err) != apperr.Cancelled || getErr != nil {
				t.Errorf("declined: %v, secret %v", err, getErr)
			}
			continue
		}
		if err != nil || !errors.Is(getErr, secrets.ErrNotFound) {
			t.Errorf("accepted: %v, secret %v", err, getErr)
		}
	}
}

func TestRemoveConfirmationOfAWaitingGeneratedKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.store.Set(ctx, secrets.BotGeneratedSecretName("eth-spot"), "pem"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	if err := e.ix.Update(ctx, func(s *state.Snapshot) error {
		s.Entries["eth-spot"] = &state.Entry{Bot: "eth-spot", KeyType: "ED25519", Backend: "system",
			SecretName: secrets.BotGeneratedSecretName("eth-spot"), Status: state.StatusPending, CreatedAt: at, GeneratedAt: &at}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	e.ios.SetTTY(true, true, true)
	opts := e.removeOpts("eth-spot", false)
	var question string
	opts.Confirm = func(_ context.Context, q string) (bool, error) { question = q; return false, nil }
	_ = removeRun(ctx, opts)
	if !strings.Contains(question, "generated key of bot eth-spot") || strings.Contains(question, "API key )") {
		t.Errorf("question %q", question)
	}
}

func TestRemoveDeletesSecretThenEntry(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "btc-spot", state.StatusRegistered, 1, false)
	e.seed(t, "eth-spot", state.StatusRegistered, 2, false)
	ctx := context.Background()
	_ = e.store.Set(ctx, secrets.BotNextSecretName("btc-spot"), testSecret+"next")
	opts := e.removeOpts("BTC-Spot", true)
	var asked enroll.RemoveRequest
	remove := opts.Remove
	opts.Remove = func(ctx context.Context, req enroll.RemoveRequest) (*enroll.RemoveResult, error) {
		asked = req
		return remove(ctx, req)
	}
	if err := removeRun(ctx, opts); err != nil {
		t.Fatal(err)
	}
	if asked.Bot != "btc-spot" || asked.KeepRegistration || asked.Force {
		t.Errorf("asked the engine %+v", asked)
	}
	for _, name := range []string{"bot/btc-spot", "bot/btc-spot/next"} {
		if _, err := e.store.Get(ctx, name); !errors.Is(err, secrets.ErrNotFound) {
			t.Errorf("%s still stored", name)
		}
	}
	snap, _ := e.ix.Load()
	if snap.Entries["btc-spot"] != nil || snap.Entries["eth-spot"] == nil {
		t.Errorf("entries %v", snap.Entries)
	}
	if v, _ := e.store.Get(ctx, "bot/eth-spot"); v != testSecret {
		t.Errorf("another bot's secret was touched")
	}
	if !strings.Contains(e.err.String(), "removed the key of bot btc-spot: its secret was deleted from the system keyring") ||
		!strings.Contains(e.err.String(), "still exists on Binance") {
		t.Errorf("stderr %q", e.err)
	}
	e.noLeak(t)
}

func TestRemoveJSONAndAlreadyMissingSecret(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "btc-spot", state.StatusPending, 1, true)
	opts := e.removeOpts("btc-spot", true)
	opts.JSON = true
	if err := removeRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(e.out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc["removed"] != true || doc["bot"] != "btc-spot" || doc["secret"] != "already_missing" || doc["api_key"] != "vmPU…Eh8A" {
		t.Errorf("json %v", doc)
	}
	if snap, _ := e.ix.Load(); len(snap.Entries) != 0 {
		t.Errorf("entry left: %v", snap.Entries)
	}
	e.noLeak(t)
}

func TestRemoveStopsOnFailures(t *testing.T) {
	t.Run("the engine fails", func(t *testing.T) {
		e := newEnv(t)
		e.seed(t, "btc-spot", state.StatusRegistered, 1, false)
		opts := e.removeOpts("btc-spot", true)
		boom := apperr.New(apperr.Unavailable, "service.unavailable", i18n.M("error.cancelled"))
		opts.Remove = func(context.Context, enroll.RemoveRequest) (*enroll.RemoveResult, error) { return nil, boom }
		if err := removeRun(context.Background(), opts); err != boom {
			t.Fatalf("err %v", err)
		}
		if e.out.Len() != 0 || strings.Contains(e.err.String(), "removed") {
			t.Errorf("reported a removal: %q %q", e.out, e.err)
		}
	})
	t.Run("store fails", func(t *testing.T) {
		e := newEnv(t)
		e.seed(t, "btc-spot", state.StatusRegistered, 1, false)
		e.store.fail = apperr.New(apperr.Unexpected, "secrets.keyring_timeout", i18n.M("error.cancelled"))
		if err := removeRun(context.Background(), e.removeOpts("btc-spot", true)); appCode(err) != "secrets.keyring_timeout" {
			t.Fatalf("err %v", err)
		}
		if snap, _ := e.ix.Load(); snap.Entries["btc-spot"] == nil {
			t.Errorf("index entry removed although the secret was not")
		}
	})
}

func TestRemoveBotNoLongerInCatalogue(t *testing.T) {
	e := newEnv(t)
	e.seed(t, "old-bot", state.StatusRegistered, 1, false)
	if err := removeRun(context.Background(), e.removeOpts("old-bot", true)); err != nil {
		t.Fatal(err)
	}
	if snap, _ := e.ix.Load(); len(snap.Entries) != 0 {
		t.Errorf("entry left")
	}
}

func TestFlagParsing(t *testing.T) {
	e := newEnv(t)
	var got *RemoveOptions
	cmd := NewCmdRemove(e.f, func(_ context.Context, o *RemoveOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--bot", "eth-spot", "-y"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Bot != "eth-spot" || !got.Yes || got.Remove == nil || got.Confirm == nil || got.Index == nil || got.KeepRegistration || got.Force {
		t.Fatalf("options %+v", got)
	}
	cmd = NewCmdRemove(e.f, func(_ context.Context, o *RemoveOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--bot", "eth-spot", "-y", "--keep-registration", "--force"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if !got.KeepRegistration || !got.Force {
		t.Fatalf("--keep-registration --force: %+v", got)
	}

	e.f.Globals.JSON = true
	var lo *ListOptions
	lcmd := NewCmdList(e.f, func(_ context.Context, o *ListOptions) error { lo = o; return nil })
	lcmd.SetArgs(nil)
	if err := lcmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if lo == nil || !lo.JSON {
		t.Fatalf("list options %+v", lo)
	}

	e.f.Globals.Keyring = "plain"
	lcmd = NewCmdList(e.f, func(context.Context, *ListOptions) error { t.Error("ran with a bad backend"); return nil })
	lcmd.SetArgs(nil)
	lcmd.SilenceErrors, lcmd.SilenceUsage = true, true
	if err := lcmd.Execute(); appCode(err) != "secrets.bad_backend" {
		t.Fatalf("bad backend: %v", err)
	}
}
