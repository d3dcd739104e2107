package enroll

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

const token = "test-token-0123456789"

type env struct {
	d     Deps
	bin   *binancetest.Server
	svc   *servicetest.Server
	store *flakyStore
}

// flakyStore is a memory store whose Set fails for names in failSet.
type flakyStore struct {
	secrets.Store
	failSet map[string]bool
}

func (s *flakyStore) Set(ctx context.Context, name, value string) error {
	if s.failSet[name] {
		return errors.New("keyring refused the write")
	}
	return s.Store.Set(ctx, name, value)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	bin := binancetest.StartTest(t)
	svc, surl := servicetest.StartTest(t, token, "sub@example.com", bots.IDs())
	bc, err := binance.New(binance.Options{BaseURL: bin.URL})
	if err != nil {
		t.Fatal(err)
	}
	noSleep := func(context.Context, time.Duration) error { return nil }
	store := &flakyStore{Store: secrets.NewMemory(), failSet: map[string]bool{}}
	return &env{
		bin: bin, svc: svc, store: store,
		d: Deps{
			Binance: bc,
			Service: func(context.Context) (*service.Client, error) {
				return service.New(service.Options{BaseURL: surl, Token: token, Sleep: noSleep, Backoff: httpx.Backoff{Attempts: 2}})
			},
			Store: store,
			Index: state.Open(t.TempDir()),
		},
	}
}

func demo(t *testing.T, name string) binance.Credentials {
	t.Helper()
	k, err := binancetest.DemoKeyByName(name)
	if err != nil {
		t.Fatal(err)
	}
	c, err := binance.ParseCredentials(k.Key.APIKey, k.Key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bot(id string) bots.Bot { b, _ := bots.Lookup(id); return b }

func (e *env) add(t *testing.T, botID, key string, mod func(*Request)) (*Result, error) {
	t.Helper()
	ctx := context.Background()
	creds := demo(t, key)
	checked, err := Check(ctx, e.d, creds)
	if err != nil {
		t.Fatalf("check %s: %v", key, err)
	}
	req := Request{Bot: bot(botID), Creds: creds}
	if mod != nil {
		mod(&req)
	}
	return Add(ctx, e.d, req, checked)
}

func kind(err error) apperr.Kind { return apperr.KindOf(err) }

func code(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func (e *env) entry(t *testing.T, botID string) *state.Entry {
	t.Helper()
	s, err := e.d.Index.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s.Entries[botID]
}

func (e *env) secret(botName string) string {
	v, _ := e.store.Get(context.Background(), botName)
	return v
}

func TestAddAccepted(t *testing.T) {
	e := newEnv(t)
	res, err := e.add(t, "btc-spot", "ok", nil)
	if err != nil || !res.Registered || res.Entry.Status != state.StatusRegistered {
		t.Fatalf("add: %+v, %v", res, err)
	}
	ok := demo(t, "ok")
	if got := e.secret("bot/btc-spot"); got != ok.Secret {
		t.Errorf("stored secret mismatch")
	}
	en := e.entry(t, "btc-spot")
	if en == nil || en.Status != state.StatusRegistered || en.UID != binancetest.DemoUIDOk || en.Label != "SmartradeX BTC Spot" || en.RegisteredAt == nil {
		t.Fatalf("entry %+v", en)
	}
	reg, found := e.svc.Registration("btc-spot")
	if !found || reg.APIKey != ok.APIKey || reg.APISecret != ok.Secret || reg.KeyType != "HMAC" {
		t.Fatalf("service holds %+v", reg)
	}
}

func TestAddRefusedNothingStoredOrSent(t *testing.T) {
	for _, name := range []string{"withdrawals", "ip-restricted", "expired"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.add(t, "btc-spot", name, nil)
			if kind(err) != apperr.Refused || code(err) != "enroll.refused" {
				t.Fatalf("err %v", err)
			}
			if e.entry(t, "btc-spot") != nil || e.secret("bot/btc-spot") != "" || len(e.svc.Registrations()) != 0 || len(e.svc.Requests()) != 0 {
				t.Fatal("a refused key left a trace")
			}
		})
	}
}

func TestOneSubaccountPerBot(t *testing.T) {
	e := newEnv(t)
	if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ key, code string }{{"same-subaccount", "enroll.same_subaccount"}, {"ok", "enroll.same_key"}}
	for _, c := range cases {
		_, err := e.add(t, "eth-spot", c.key, nil)
		if kind(err) != apperr.Refused || code(err) != c.code {
			t.Errorf("%s: %v", c.key, err)
		}
		if e.entry(t, "eth-spot") != nil || e.secret("bot/eth-spot") != "" {
			t.Errorf("%s: stored", c.key)
		}
	}
	if _, ok := e.svc.Registration("eth-spot"); ok {
		t.Error("sent to the service")
	}
	// Another sub-account is fine.
	if _, err := e.add(t, "eth-spot", "ok-eth", nil); err != nil {
		t.Fatal(err)
	}
	// And a bot that has a key refuses a second one without Replace.
	_, err := e.add(t, "eth-spot", "ok-eth", nil)
	if kind(err) != apperr.Usage || code(err) != "enroll.bot_has_key" {
		t.Errorf("second add: %v", err)
	}
}

func TestServiceDownThenSync(t *testing.T) {
	e := newEnv(t)
	e.svc.SetDown(true)
	res, err := e.add(t, "btc-spot", "ok", nil)
	if kind(err) != apperr.Unavailable || res == nil || res.Registered {
		t.Fatalf("add: %+v, %v", res, err)
	}
	if e.entry(t, "btc-spot").Status != state.StatusPending || e.secret("bot/btc-spot") == "" {
		t.Fatal("the key is not kept as pending")
	}
	hasSync := false
	var ae *apperr.Error
	errors.As(err, &ae)
	for _, h := range ae.Hints {
		hasSync = hasSync || h.Key == "enroll.intent_next_hint"
	}
	if !hasSync {
		t.Errorf("no keys sync hint: %+v", ae.Hints)
	}
	e.svc.SetDown(false)
	out, err := Sync(context.Background(), e.d)
	if err != nil || len(out) != 1 || !out[0].Registered {
		t.Fatalf("sync: %+v, %v", out, err)
	}
	if e.entry(t, "btc-spot").Status != state.StatusRegistered {
		t.Fatal("not marked registered")
	}
	if out, err := Sync(context.Background(), e.d); err != nil || len(out) != 0 {
		t.Fatalf("second sync: %+v, %v", out, err)
	}
}

// A pending key that SmartradeX refuses when sync sends it stays pending
// (it was accepted once by the policy and must not be lost), and the error
// says that a new key has to take its place.
func TestSyncRefusedSaysRotate(t *testing.T) {
	e := newEnv(t)
	e.svc.SetDown(true)
	if _, err := e.add(t, "btc-spot", "ok", nil); kind(err) != apperr.Unavailable {
		t.Fatalf("add: %v", err)
	}
	e.svc.SetDown(false)
	e.svc.Inject(servicetest.Fault{Method: "PUT", Status: 409, Times: 1, Body: `{"error":{"code":"key_in_use","message":"used by eth-spot"}}`})
	out, err := Sync(context.Background(), e.d)
	if err != nil || len(out) != 1 || out[0].Registered {
		t.Fatalf("sync: %+v, %v", out, err)
	}
	if kind(out[0].Err) != apperr.Refused || !hasHint(out[0].Err, "enroll.refused_pending_hint") {
		t.Errorf("sync error %v", out[0].Err)
	}
	if en := e.entry(t, "btc-spot"); en == nil || en.Status != state.StatusPending {
		t.Fatalf("entry %+v", en)
	}
}

func TestNoRegister(t *testing.T) {
	e := newEnv(t)
	e.d.Service = nil
	res, err := e.add(t, "btc-spot", "ok", func(r *Request) { r.NoRegister = true })
	if err != nil || res.Registered || e.entry(t, "btc-spot").Status != state.StatusPending {
		t.Fatalf("%+v %v", res, err)
	}
	if len(e.svc.Requests()) != 0 {
		t.Fatal("contacted the service")
	}
}

func TestRotate(t *testing.T) {
	oldKey := demo(t, "ok")
	newKey := demo(t, "same-subaccount") // same sub-account as the old key: allowed for the same bot
	cases := []struct {
		name      string
		setup     func(e *env)
		key       string
		kind      apperr.Kind
		rotated   bool
		unsettled bool // SmartradeX may hold the new key: the intent stays, settled next
	}{
		{"ok", nil, "same-subaccount", apperr.OK, true, false},
		{"binance refusal", nil, "withdrawals", apperr.Refused, false, false},
		{"store failure", func(e *env) { e.store.failSet["bot/btc-spot/next"] = true }, "same-subaccount", apperr.Unexpected, false, false},
		{"service refusal", func(e *env) { e.svc.Inject(servicetest.Fault{Method: "PUT", Status: 409}) }, "same-subaccount", apperr.Refused, false, false},
		{"service failure", func(e *env) { e.svc.SetDown(true) }, "same-subaccount", apperr.Unavailable, false, true},
		{"swap failure", func(e *env) { e.d.Index = e.d.Index.WithWriter(failAt(2)) }, "same-subaccount", apperr.Unexpected, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(e)
			}
			ctx := context.Background()
			creds := demo(t, c.key)
			checked, err := Check(ctx, e.d, creds)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Rotate(ctx, e.d, Request{Bot: bot("btc-spot"), Creds: creds}, checked)
			if kind(err) != c.kind {
				t.Fatalf("err %v, want kind %d", err, c.kind)
			}
			en := e.entry(t, "btc-spot")
			if c.rotated {
				if res.Replaced == nil || res.Replaced.APIKey != oldKey.APIKey || en.APIKey != newKey.APIKey || e.secret(en.SecretName) != newKey.Secret {
					t.Fatalf("not rotated: %+v", en)
				}
				if reg, _ := e.svc.Registration("btc-spot"); reg.APIKey != newKey.APIKey {
					t.Error("service not updated")
				}
				e.agree(t, "btc-spot")
				return
			}
			if en.APIKey != oldKey.APIKey || e.secret(en.SecretName) != oldKey.Secret || en.Status != state.StatusRegistered {
				t.Fatalf("old key not in force: %+v", en)
			}
			if c.unsettled {
				if !hasHint(err, "enroll.intent_next_hint") || e.intent(t, "btc-spot") == nil {
					t.Fatalf("unsettled rotation: %v, intent %+v", err, e.intent(t, "btc-spot"))
				}
				// The next command finishes it.
				e.svc.SetDown(false)
				e.d.Index = state.Open(e.d.Index.Dir())
				out, err := Settle(ctx, e.d)
				if err != nil || len(out) != 1 || out[0].Outcome != OutcomeRotated {
					t.Fatalf("settle: %+v, %v", out, err)
				}
				if en := e.entry(t, "btc-spot"); en.APIKey != newKey.APIKey || e.secret(en.SecretName) != newKey.Secret {
					t.Fatalf("not rotated by the next command: %+v", en)
				}
				e.agree(t, "btc-spot")
				return
			}
			if e.secret("bot/btc-spot/next") != "" || e.intent(t, "btc-spot") != nil {
				t.Error("a half-rotation secret or intent survived")
			}
			if c.kind != apperr.Refused && !hasHint(err, "enroll.old_key_kept") {
				t.Errorf("the error does not say the old key is kept: %v", err)
			}
			e.agree(t, "btc-spot")
		})
	}
}

func TestAddReplaceRotates(t *testing.T) {
	e := newEnv(t)
	if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
		t.Fatal(err)
	}
	res, err := e.add(t, "btc-spot", "same-subaccount", func(r *Request) { r.Replace = true })
	if err != nil || res.Replaced == nil {
		t.Fatalf("%+v %v", res, err)
	}
}

func TestUnknownBot(t *testing.T) {
	e := newEnv(t)
	_, err := Add(context.Background(), e.d, Request{Bot: bots.Bot{ID: "doge"}}, &Checked{})
	// What was typed as the bot may be anything, a pasted secret too: it
	// is not quoted back.
	if kind(err) != apperr.Usage || strings.Contains(err.Error(), "doge") {
		t.Fatal(err)
	}
}

func TestSecretNeverInErrors(t *testing.T) {
	e := newEnv(t)
	ok := demo(t, "ok")
	for _, status := range []int{401, 403, 409, 422, 500} {
		e.svc.ClearFaults()
		e.svc.Inject(servicetest.Fault{Method: "PUT", Status: status})
		_ = e.d.Index.Update(context.Background(), func(s *state.Snapshot) error { delete(s.Entries, "btc-spot"); return nil })
		_, err := e.add(t, "btc-spot", "ok", nil)
		if err == nil || strings.Contains(err.Error(), ok.Secret) {
			t.Errorf("%d: %v", status, err)
		}
		en := e.entry(t, "btc-spot")
		switch status {
		case 409, 422:
			// Refused by SmartradeX: like any refused key, not kept.
			if en != nil || e.secret("bot/btc-spot") != "" {
				t.Errorf("%d: the refused key was kept: %+v", status, en)
			}
			if kind(err) != apperr.Refused || !hasHint(err, "enroll.refused_not_kept_hint") {
				t.Errorf("%d: %v", status, err)
			}
		default:
			if en == nil || en.Status != state.StatusPending {
				t.Errorf("%d: key not kept as pending", status)
			}
		}
	}
}

func hasHint(err error, key string) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return false
	}
	for _, h := range ae.Hints {
		if h.Key == key {
			return true
		}
	}
	return false
}

// preparingStore plays a store that asks for a passphrase: its Prepare
// checks that nobody holds the index lock meanwhile.
type preparingStore struct {
	secrets.Store
	indexLock string
	prepared  int
	lockErr   error
}

func (s *preparingStore) Prepare(ctx context.Context) error {
	s.prepared++
	unlock, err := atomicfile.Lock(ctx, s.indexLock, 50*time.Millisecond)
	if err == nil {
		unlock()
	}
	s.lockErr = err
	return nil
}

func TestAddPreparesTheStoreBeforeTakingTheIndexLock(t *testing.T) {
	e := newEnv(t)
	ps := &preparingStore{Store: e.store, indexLock: e.d.Index.Path() + ".lock"}
	e.d.Store = ps
	if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
		t.Fatal(err)
	}
	if ps.prepared != 1 {
		t.Fatalf("Prepare called %d times, want 1", ps.prepared)
	}
	if ps.lockErr != nil {
		t.Fatalf("the index lock was held while the store was prepared: %v", ps.lockErr)
	}
}

// A key pair made by keys generate that a typed key replaces is deleted:
// the new entry no longer names it, so nothing would ever find it again.
func TestAddAndRotateDropAGeneratedKeyTheyReplace(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	generate := func(bot string) {
		t.Helper()
		pair, err := keygen.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := keygen.Save(ctx, e.store, e.d.Index, bot, pair, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(bot string) {
		t.Helper()
		if _, err := e.store.Get(ctx, secrets.BotGeneratedSecretName(bot)); !errors.Is(err, secrets.ErrNotFound) {
			t.Fatalf("the generated key of %s is still stored (%v)", bot, err)
		}
		if en := e.entry(t, bot); en.GeneratedAt != nil {
			t.Fatalf("entry %+v", en)
		}
	}

	// A bot whose only entry is a generated key waiting for its API key.
	generate("btc-spot")
	if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
		t.Fatal(err)
	}
	gone("btc-spot")

	// A replacement prepared beside the key in force, then a typed key
	// rotated in instead.
	generate("btc-spot")
	if _, err := e.add(t, "btc-spot", "same-subaccount", func(r *Request) { r.Replace = true }); err != nil {
		t.Fatal(err)
	}
	gone("btc-spot")
	if e.secret(e.entry(t, "btc-spot").SecretName) != demo(t, "same-subaccount").Secret {
		t.Fatal("the new key is not in force")
	}
}
