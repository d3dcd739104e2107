// Package storetest is the conformance suite every store.Store runs: the
// semantics documented in internal/server/store, asserted the same way on
// memory, SQLite and PostgreSQL.
package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

// base is a time with whole microseconds: what every engine keeps.
var base = time.Date(2026, 12, 6, 7, 0, 0, 123456000, time.UTC)

func at(minutes int) time.Time { return base.Add(time.Duration(minutes) * time.Minute) }

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// Run runs the suite. open returns a new, empty store of its own for each
// subtest (migrated or not: the suite calls Migrate first).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Migrate", testMigrate},
		{"Bots", testBots},
		{"Subscribers", testSubscribers},
		{"Subscriptions", testSubscriptions},
		{"Tokens", testTokens},
		{"EngineTokens", testEngineTokens},
		{"PutKey", testPutKey},
		{"PutKeyInUse", testPutKeyInUse},
		{"PutKeyConcurrent", testPutKeyConcurrent},
		{"PutKeyConcurrentOwners", testPutKeyConcurrentOwners},
		{"PutKeyConcurrentReplace", testPutKeyConcurrentReplace},
		{"PutKeyManySubscribers", testPutKeyManySubscribers},
		{"AuditWithChange", testAuditWithChange},
		{"ListKeys", testListKeys},
		{"DeleteKey", testDeleteKey},
		{"RecordCheck", testRecordCheck},
		{"ResealKey", testResealKey},
		{"ResealKeyConcurrent", testResealKeyConcurrent},
		{"Audit", testAudit},
		{"NetworkChanges", testNetworkChanges},
		{"Ping", func(t *testing.T, s store.Store) {
			if err := s.Ping(t.Context()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			tt.fn(t, s)
		})
	}
}

// RunShared runs what needs two stores over one database, as two processes
// would have (serve and admin, or two replicas). open returns them new and
// not migrated. An in-memory store has nothing to share and skips this.
func RunShared(t *testing.T, open func(t *testing.T) (store.Store, store.Store)) {
	t.Run("MigrateTogether", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		errs := make(chan error, 8)
		var wg sync.WaitGroup
		for i := range 8 {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() { errs <- s.Migrate(t.Context()) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("Migrate: %v", err)
			}
		}
		checkCatalogue(t, a)
		checkCatalogue(t, b)
	})
	t.Run("PutKeyRacing", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		for _, s := range []store.Store{a, b} {
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		sub := mustSubscriber(t, a, "racer@example.com")
		other := mustSubscriber(t, b, "other@example.com")
		k := key(sub.ID, "btc-spot", "RACE", 1)
		results := make([]store.PutResult, 20)
		errs := make([]error, 20)
		var wg sync.WaitGroup
		for i := range results {
			s := []store.Store{a, b}[i%2]
			wg.Go(func() { results[i], errs[i] = s.PutKey(t.Context(), k) })
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("PutKey %d: %v", i, err)
			}
			if results[i].Created {
				created++
			}
			if d := diffKey(results[i].Key, withEmail(k, sub.Email)); d != "" {
				t.Errorf("PutKey %d: %s", i, d)
			}
		}
		if created != 1 {
			t.Errorf("%d PutKey said Created, want 1", created)
		}
		// The other process sees the key, and refuses it to someone else.
		if _, err := b.PutKey(t.Context(), key(other.ID, "btc-spot", "RACE", 2)); !errors.Is(err, store.ErrKeyInUse) {
			t.Errorf("PutKey of a key registered through the other store: %v, want ErrKeyInUse", err)
		}
		got, err := b.GetKey(t.Context(), sub.ID, "btc-spot")
		if err != nil {
			t.Fatal(err)
		}
		if d := diffKey(got, withEmail(k, sub.Email)); d != "" {
			t.Error(d)
		}
	})
	t.Run("ResealRacing", func(t *testing.T) {
		t.Parallel()
		a, b := open(t)
		for _, s := range []store.Store{a, b} {
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		resealRace(t, a, b)
	})
	t.Run("AdminBesideServe", func(t *testing.T) {
		t.Parallel()
		serve, admin := open(t)
		for _, s := range []store.Store{serve, admin} {
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		// The admin process adds subscribers and tokens while the serving
		// one registers keys: neither is refused for the other's lock.
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		wg.Go(func() {
			for i := range 20 {
				email := fmt.Sprintf("admin%d@example.com", i)
				if _, err := admin.AddSubscriber(t.Context(), email, at(i)); err != nil {
					errs <- err
					return
				}
				if err := admin.AddToken(t.Context(), email, hash(email), at(i)); err != nil {
					errs <- err
				}
				if err := admin.Subscribe(t.Context(), email, "btc-spot"); err != nil {
					errs <- err
				}
			}
		})
		sub := mustSubscriber(t, serve, "serve@example.com")
		wg.Go(func() {
			for i := range 20 {
				if _, err := serve.PutKey(t.Context(), key(sub.ID, "btc-spot", fmt.Sprintf("SERVE%d", i), i)); err != nil {
					errs <- err
				}
				if _, err := serve.Authenticate(t.Context(), hash("admin0@example.com")); err != nil && !errors.Is(err, store.ErrNotFound) {
					errs <- err
				}
			}
		})
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		subs, err := serve.Subscribers(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 21 {
			t.Errorf("%d subscribers, want 21", len(subs))
		}
		k, err := admin.GetKey(t.Context(), sub.ID, "btc-spot")
		if err != nil || k.APIKey != "SERVE19" {
			t.Errorf("GetKey = %q, %v; want SERVE19", k.APIKey, err)
		}
	})
}

var catalogue = []store.Bot{
	{ID: "btc-spot", Name: "BOT BTC Spot", Label: "SmartradeX BTC Spot"},
	{ID: "eth-spot", Name: "BOT ETH Spot", Label: "SmartradeX ETH Spot"},
}

func checkCatalogue(t *testing.T, s store.Store) {
	t.Helper()
	got, err := s.Bots(t.Context())
	if err != nil {
		t.Fatalf("Bots: %v", err)
	}
	if !slices.Equal(got, catalogue) {
		t.Errorf("Bots = %+v\nwant %+v", got, catalogue)
	}
}

func testBots(t *testing.T, s store.Store) { checkCatalogue(t, s) }

func testMigrate(t *testing.T, s store.Store) {
	sub := mustSubscriber(t, s, "kept@example.com")
	if _, err := s.PutKey(t.Context(), key(sub.ID, "btc-spot", "KEPT", 0)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	checkCatalogue(t, s)
	if k, err := s.GetKey(t.Context(), sub.ID, "btc-spot"); err != nil || k.APIKey != "KEPT" {
		t.Errorf("after Migrate again, GetKey = %q, %v", k.APIKey, err)
	}
}

func mustSubscriber(t *testing.T, s store.Store, email string) store.Subscriber {
	t.Helper()
	sub, err := s.AddSubscriber(t.Context(), email, base)
	if err != nil {
		t.Fatalf("AddSubscriber(%s): %v", email, err)
	}
	for _, bot := range []string{"btc-spot", "eth-spot"} {
		if err := s.Subscribe(t.Context(), email, bot); err != nil {
			t.Fatalf("Subscribe(%s, %s): %v", email, bot, err)
		}
	}
	return sub
}

func testSubscribers(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice, err := s.AddSubscriber(ctx, "Alice@Example.COM", at(1))
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == 0 || alice.Email != "alice@example.com" || !alice.CreatedAt.Equal(at(1)) {
		t.Errorf("AddSubscriber = %+v, want an ID, alice@example.com, %v", alice, at(1))
	}
	for _, email := range []string{"alice@example.com", "ALICE@example.com"} {
		if _, err := s.AddSubscriber(ctx, email, at(2)); !errors.Is(err, store.ErrExists) {
			t.Errorf("AddSubscriber(%s) again: %v, want ErrExists", email, err)
		}
	}
	bob, err := s.AddSubscriber(ctx, "bob@example.com", at(3))
	if err != nil {
		t.Fatal(err)
	}
	if bob.ID == alice.ID {
		t.Errorf("two subscribers share ID %d", bob.ID)
	}
	for _, email := range []string{"alice@example.com", "aLiCe@EXAMPLE.com"} {
		got, err := s.Subscriber(ctx, email)
		if err != nil || got.ID != alice.ID || got.Email != alice.Email || !got.CreatedAt.Equal(at(1)) {
			t.Errorf("Subscriber(%s) = %+v, %v; want %+v", email, got, err, alice)
		}
	}
	if _, err := s.Subscriber(ctx, "carol@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Subscriber(unknown): %v, want ErrNotFound", err)
	}
	if err := s.Subscribe(ctx, "bob@example.com", "eth-spot"); err != nil {
		t.Fatal(err)
	}
	list, err := s.Subscribers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range list {
		got = append(got, fmt.Sprintf("%s:%d:%v", p.Subscriber.Email, p.Subscriber.ID, p.Bots))
	}
	want := []string{fmt.Sprintf("alice@example.com:%d:[]", alice.ID), fmt.Sprintf("bob@example.com:%d:[eth-spot]", bob.ID)}
	if !slices.Equal(got, want) {
		t.Errorf("Subscribers = %v, want %v", got, want)
	}
}

func botsOf(t *testing.T, s store.Store, email string) []string {
	t.Helper()
	list, err := s.Subscribers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range list {
		if p.Subscriber.Email == email {
			return p.Bots
		}
	}
	t.Fatalf("%s not listed", email)
	return nil
}

func testSubscriptions(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, err := s.AddSubscriber(ctx, "sub@example.com", base); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		op, email, bot string
		err            error
		want           []string
	}{
		{"subscribe", "sub@example.com", "eth-spot", nil, []string{"eth-spot"}},
		{"subscribe", "SUB@example.com", "eth-spot", nil, []string{"eth-spot"}},
		{"subscribe", "sub@example.com", "btc-spot", nil, []string{"btc-spot", "eth-spot"}},
		{"subscribe", "sub@example.com", "doge-spot", store.ErrNotFound, []string{"btc-spot", "eth-spot"}},
		{"subscribe", "nobody@example.com", "btc-spot", store.ErrNotFound, []string{"btc-spot", "eth-spot"}},
		{"unsubscribe", "sub@example.com", "btc-spot", nil, []string{"eth-spot"}},
		{"unsubscribe", "sub@example.com", "btc-spot", nil, []string{"eth-spot"}},
		{"unsubscribe", "nobody@example.com", "btc-spot", store.ErrNotFound, []string{"eth-spot"}},
		{"unsubscribe", "sub@example.com", "doge-spot", store.ErrNotFound, []string{"eth-spot"}},
		{"unsubscribe", "sub@example.com", "eth-spot", nil, nil},
	}
	for i, st := range steps {
		var err error
		if st.op == "subscribe" {
			err = s.Subscribe(ctx, st.email, st.bot)
		} else {
			err = s.Unsubscribe(ctx, st.email, st.bot)
		}
		if !errors.Is(err, st.err) || (st.err == nil && err != nil) {
			t.Errorf("step %d: %s(%s, %s) = %v, want %v", i, st.op, st.email, st.bot, err, st.err)
		}
		if got := botsOf(t, s, "sub@example.com"); !slices.Equal(got, st.want) {
			t.Errorf("step %d: bots = %v, want %v", i, got, st.want)
		}
	}
}

func testTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := mustSubscriber(t, s, "alice@example.com")
	bob, err := s.AddSubscriber(ctx, "bob@example.com", base)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddToken(ctx, "nobody@example.com", hash("n1"), base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddToken(unknown subscriber): %v, want ErrNotFound", err)
	}
	for _, tok := range []string{"a1", "a2"} {
		if err := s.AddToken(ctx, "Alice@example.com", hash(tok), at(1)); err != nil {
			t.Fatalf("AddToken(%s): %v", tok, err)
		}
	}
	if err := s.AddToken(ctx, "bob@example.com", hash("b1"), at(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddToken(ctx, "bob@example.com", hash("a1"), at(1)); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddToken(a token already stored): %v, want ErrExists", err)
	}
	p1, err := s.Authenticate(ctx, hash("a1"))
	if err != nil {
		t.Fatal(err)
	}
	if p1.Subscriber.ID != alice.ID || p1.Subscriber.Email != "alice@example.com" || !slices.Equal(p1.Bots, []string{"btc-spot", "eth-spot"}) || p1.TokenID == 0 {
		t.Errorf("Authenticate(a1) = %+v", p1)
	}
	p2, err := s.Authenticate(ctx, hash("a2"))
	if err != nil || p2.TokenID == p1.TokenID {
		t.Errorf("Authenticate(a2) = %+v, %v: want its own token ID", p2, err)
	}
	if pb, err := s.Authenticate(ctx, hash("b1")); err != nil || pb.Subscriber.ID != bob.ID || len(pb.Bots) != 0 {
		t.Errorf("Authenticate(b1) = %+v, %v", pb, err)
	}
	if _, err := s.Authenticate(ctx, hash("never issued")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Authenticate(unknown): %v, want ErrNotFound", err)
	}
	if n, err := s.RevokeTokens(ctx, "ALICE@example.com", at(2)); err != nil || n != 2 {
		t.Errorf("RevokeTokens = %d, %v; want 2", n, err)
	}
	for _, tok := range []string{"a1", "a2"} {
		if _, err := s.Authenticate(ctx, hash(tok)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Authenticate(revoked %s): %v, want ErrNotFound", tok, err)
		}
	}
	if _, err := s.Authenticate(ctx, hash("b1")); err != nil {
		t.Errorf("bob's token after alice's revocation: %v", err)
	}
	if n, err := s.RevokeTokens(ctx, "alice@example.com", at(3)); err != nil || n != 0 {
		t.Errorf("RevokeTokens again = %d, %v; want 0", n, err)
	}
	if _, err := s.RevokeTokens(ctx, "nobody@example.com", at(3)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeTokens(unknown): %v, want ErrNotFound", err)
	}
	if err := s.AddToken(ctx, "alice@example.com", hash("a3"), at(4)); err != nil {
		t.Fatal(err)
	}
	if p, err := s.Authenticate(ctx, hash("a3")); err != nil || p.Subscriber.ID != alice.ID {
		t.Errorf("a token issued after a revocation: %+v, %v", p, err)
	}
}

func testEngineTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.AddEngineToken(ctx, "engine-1", hash("e1"), base); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEngineToken(ctx, "engine-2", hash("e2"), base); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEngineToken(ctx, "engine-1", hash("e3"), base); !errors.Is(err, store.ErrExists) {
		t.Errorf("AddEngineToken(a name taken): %v, want ErrExists", err)
	}
	for tok, want := range map[string]string{"e1": "engine-1", "e2": "engine-2"} {
		if name, err := s.AuthenticateEngine(ctx, hash(tok)); err != nil || name != want {
			t.Errorf("AuthenticateEngine(%s) = %q, %v; want %q", tok, name, err, want)
		}
	}
	for _, tok := range []string{"e3", "unknown"} {
		if _, err := s.AuthenticateEngine(ctx, hash(tok)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("AuthenticateEngine(%s): %v, want ErrNotFound", tok, err)
		}
	}
	// A subscriber token is not an engine token, nor the reverse.
	mustSubscriber(t, s, "sub@example.com")
	if err := s.AddToken(ctx, "sub@example.com", hash("s1"), base); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuthenticateEngine(ctx, hash("s1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AuthenticateEngine(a subscriber token): %v, want ErrNotFound", err)
	}
	if _, err := s.Authenticate(ctx, hash("e1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Authenticate(an engine token): %v, want ErrNotFound", err)
	}
}

// key is a key as the handler would put it; n varies what is not the key.
func key(sub int64, bot, apiKey string, n int) store.Key {
	return store.Key{
		SubscriberID: sub,
		Bot:          bot,
		APIKey:       apiKey,
		KeyType:      "ED25519",
		Label:        fmt.Sprintf("SmartradeX %s %d", bot, n),
		SealedSecret: []byte(fmt.Sprintf("sealed:%s:%s:%d\x00\xff", bot, apiKey, n)),
		VaultKeyID:   "0123456789abcdef0123456789abcdef",
		RegisteredAt: at(n),
	}
}

func withEmail(k store.Key, email string) store.Key { k.Email = email; return k }

// diffKey says how got differs from want ("" when it does not).
func diffKey(got, want store.Key) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s = %v, want %v", field, g, w)) }
	if got.SubscriberID != want.SubscriberID {
		add("SubscriberID", got.SubscriberID, want.SubscriberID)
	}
	if got.Email != want.Email {
		add("Email", got.Email, want.Email)
	}
	if got.Bot != want.Bot {
		add("Bot", got.Bot, want.Bot)
	}
	if got.APIKey != want.APIKey {
		add("APIKey", got.APIKey, want.APIKey)
	}
	if got.KeyType != want.KeyType {
		add("KeyType", got.KeyType, want.KeyType)
	}
	if got.Label != want.Label {
		add("Label", got.Label, want.Label)
	}
	if !bytes.Equal(got.SealedSecret, want.SealedSecret) {
		add("SealedSecret", got.SealedSecret, want.SealedSecret)
	}
	if got.VaultKeyID != want.VaultKeyID {
		add("VaultKeyID", got.VaultKeyID, want.VaultKeyID)
	}
	if !got.RegisteredAt.Equal(want.RegisteredAt) {
		add("RegisteredAt", got.RegisteredAt, want.RegisteredAt)
	}
	switch g, w := got.LastCheck, want.LastCheck; {
	case g == nil && w == nil:
	case g == nil || w == nil:
		add("LastCheck", g, w)
	case !g.At.Equal(w.At) || g.SeenFrom != w.SeenFrom || g.Outcome != w.Outcome || g.BinanceCode != w.BinanceCode ||
		!bytes.Equal(g.Restrictions, w.Restrictions) || g.UID != w.UID:
		add("LastCheck", fmt.Sprintf("%+v (%s)", *g, g.Restrictions), fmt.Sprintf("%+v (%s)", *w, w.Restrictions))
	}
	if d == nil {
		return ""
	}
	return fmt.Sprintf("key %s/%s: %s", want.Bot, want.APIKey, strings.Join(d, "; "))
}

func testPutKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "Put@Example.com")
	first := key(sub.ID, "btc-spot", "K1", 1)
	res, err := s.PutKey(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	want := withEmail(first, "put@example.com")
	if !res.Created || res.Replaced != nil {
		t.Errorf("first PutKey: Created %v, Replaced %+v; want true, nil", res.Created, res.Replaced)
	}
	if d := diffKey(res.Key, want); d != "" {
		t.Errorf("first PutKey: %s", d)
	}

	// The same api_key again, even with another label, sealed form and
	// time: nothing changes and the original is returned.
	again := key(sub.ID, "btc-spot", "K1", 2)
	res, err = s.PutKey(ctx, again)
	if err != nil {
		t.Fatal(err)
	}
	if res.Created || res.Replaced != nil {
		t.Errorf("same PutKey again: Created %v, Replaced %+v; want false, nil", res.Created, res.Replaced)
	}
	if d := diffKey(res.Key, want); d != "" {
		t.Errorf("same PutKey again: %s", d)
	}
	got, err := s.GetKey(ctx, sub.ID, "btc-spot")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffKey(got, want); d != "" {
		t.Errorf("GetKey after the same PutKey: %s", d)
	}

	// Another api_key for the bot replaces it.
	second := key(sub.ID, "btc-spot", "K2", 3)
	res, err = s.PutKey(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.Replaced == nil {
		t.Fatalf("replacing PutKey: Created %v, Replaced %+v; want true and K1", res.Created, res.Replaced)
	}
	if d := diffKey(*res.Replaced, want); d != "" {
		t.Errorf("Replaced: %s", d)
	}
	if d := diffKey(res.Key, withEmail(second, "put@example.com")); d != "" {
		t.Errorf("replacing PutKey: %s", d)
	}
	if got, err := s.GetKey(ctx, sub.ID, "btc-spot"); err != nil || diffKey(got, withEmail(second, "put@example.com")) != "" {
		t.Errorf("GetKey after the replacement: %+v, %v", got, err)
	}
	if _, err := s.GetKey(ctx, sub.ID, "eth-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetKey(a bot with no key): %v, want ErrNotFound", err)
	}
	if _, err := s.GetKey(ctx, sub.ID+1000, "btc-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetKey(unknown subscriber): %v, want ErrNotFound", err)
	}

	// The replaced api_key is free again, for anyone.
	other := mustSubscriber(t, s, "other@example.com")
	if res, err := s.PutKey(ctx, key(other.ID, "eth-spot", "K1", 4)); err != nil || !res.Created {
		t.Errorf("PutKey of a replaced api_key elsewhere: %+v, %v", res, err)
	}
}

func testPutKeyInUse(t *testing.T, s store.Store) {
	ctx := t.Context()
	alice := mustSubscriber(t, s, "alice@example.com")
	bob := mustSubscriber(t, s, "bob@example.com")
	held := key(alice.ID, "btc-spot", "HELD", 1)
	if _, err := s.PutKey(ctx, held); err != nil {
		t.Fatal(err)
	}
	bobEth := key(bob.ID, "eth-spot", "BOBETH", 2)
	if _, err := s.PutKey(ctx, bobEth); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		k    store.Key
	}{
		{"same subscriber, other bot", key(alice.ID, "eth-spot", "HELD", 3)},
		{"other subscriber, same bot", key(bob.ID, "btc-spot", "HELD", 4)},
		{"other subscriber, other bot, replacing its key", key(bob.ID, "eth-spot", "HELD", 5)},
	} {
		if _, err := s.PutKey(ctx, tc.k); !errors.Is(err, store.ErrKeyInUse) {
			t.Errorf("%s: PutKey = %v, want ErrKeyInUse", tc.name, err)
		}
	}
	// Nothing changed.
	keys, err := s.ActiveKeys(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Key{withEmail(held, "alice@example.com"), withEmail(bobEth, "bob@example.com")}
	if len(keys) != len(want) {
		t.Fatalf("ActiveKeys: %d keys, want %d", len(keys), len(want))
	}
	for i := range want {
		if d := diffKey(keys[i], want[i]); d != "" {
			t.Error(d)
		}
	}
}

func testPutKeyConcurrent(t *testing.T, s store.Store) {
	sub := mustSubscriber(t, s, "same@example.com")
	k := key(sub.ID, "btc-spot", "SAME", 1)
	const n = 24
	results := make([]store.PutResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i], errs[i] = s.PutKey(t.Context(), k) })
	}
	wg.Wait()
	created := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("PutKey %d: %v", i, errs[i])
		}
		if results[i].Created {
			created++
		}
		if results[i].Replaced != nil {
			t.Errorf("PutKey %d replaced %+v", i, results[i].Replaced)
		}
		if d := diffKey(results[i].Key, withEmail(k, sub.Email)); d != "" {
			t.Errorf("PutKey %d: %s", i, d)
		}
	}
	if created != 1 {
		t.Errorf("%d of %d identical PutKey said Created, want 1", created, n)
	}
	keys, err := s.ActiveKeys(t.Context(), "")
	if err != nil || len(keys) != 1 {
		t.Errorf("ActiveKeys: %d keys, %v; want 1", len(keys), err)
	}
}

func testPutKeyConcurrentOwners(t *testing.T, s store.Store) {
	const n = 12
	subs := make([]store.Subscriber, n)
	for i := range n {
		subs[i] = mustSubscriber(t, s, fmt.Sprintf("owner%02d@example.com", i))
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = s.PutKey(t.Context(), key(subs[i].ID, "btc-spot", "CONTESTED", i)) })
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("subscribers %d and %d both registered the same api_key", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrKeyInUse):
			t.Errorf("PutKey %d: %v, want nil or ErrKeyInUse", i, err)
		}
	}
	keys, err := s.ActiveKeys(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if winner < 0 || len(keys) != 1 || keys[0].SubscriberID != subs[winner].ID {
		t.Errorf("winner %d, ActiveKeys %+v: want the one winner's key alone", winner, keys)
	}
}

func testListKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := mustSubscriber(t, s, "a@example.com")
	b := mustSubscriber(t, s, "b@example.com")
	// Put in an order that is not the listing order.
	puts := []store.Key{
		key(b.ID, "eth-spot", "B-ETH", 1),
		key(a.ID, "eth-spot", "A-ETH", 2),
		key(b.ID, "btc-spot", "B-BTC", 3),
		key(a.ID, "btc-spot", "A-BTC", 4),
	}
	for _, k := range puts {
		if _, err := s.PutKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	emails := map[int64]string{a.ID: "a@example.com", b.ID: "b@example.com"}
	list := func(keys []store.Key, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range keys {
			for _, p := range puts {
				if p.APIKey == k.APIKey {
					if d := diffKey(k, withEmail(p, emails[p.SubscriberID])); d != "" {
						t.Error(d)
					}
				}
			}
			out = append(out, k.APIKey)
		}
		return out
	}
	// ActiveKeys is by subscriber (ID) then bot; a was created first.
	for _, tc := range []struct {
		name string
		got  []string
		want []string
	}{
		{"ListKeys(a)", list(s.ListKeys(ctx, a.ID)), []string{"A-BTC", "A-ETH"}},
		{"ListKeys(b)", list(s.ListKeys(ctx, b.ID)), []string{"B-BTC", "B-ETH"}},
		{"ListKeys(unknown)", list(s.ListKeys(ctx, b.ID+1000)), nil},
		{"ActiveKeys()", list(s.ActiveKeys(ctx, "")), []string{"A-BTC", "A-ETH", "B-BTC", "B-ETH"}},
		{"ActiveKeys(eth-spot)", list(s.ActiveKeys(ctx, "eth-spot")), []string{"A-ETH", "B-ETH"}},
		{"ActiveKeys(doge-spot)", list(s.ActiveKeys(ctx, "doge-spot")), nil},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func testDeleteKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "del@example.com")
	k := key(sub.ID, "eth-spot", "GONE", 1)
	if _, err := s.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	kept := key(sub.ID, "btc-spot", "KEPT", 2)
	if _, err := s.PutKey(ctx, kept); err != nil {
		t.Fatal(err)
	}
	got, err := s.DeleteKey(ctx, sub.ID, "eth-spot")
	if err != nil {
		t.Fatal(err)
	}
	if d := diffKey(got, withEmail(k, sub.Email)); d != "" {
		t.Errorf("DeleteKey returned %s", d)
	}
	if _, err := s.DeleteKey(ctx, sub.ID, "eth-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeleteKey again: %v, want ErrNotFound", err)
	}
	if _, err := s.GetKey(ctx, sub.ID, "eth-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetKey after DeleteKey: %v, want ErrNotFound", err)
	}
	if got, err := s.GetKey(ctx, sub.ID, "btc-spot"); err != nil || diffKey(got, withEmail(kept, sub.Email)) != "" {
		t.Errorf("the other bot's key after DeleteKey: %+v, %v", got, err)
	}
	// Its api_key may be registered again.
	if res, err := s.PutKey(ctx, k); err != nil || !res.Created {
		t.Errorf("PutKey of a deleted key: %+v, %v", res, err)
	}
}

func testRecordCheck(t *testing.T, s store.Store) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "check@example.com")
	k := key(sub.ID, "btc-spot", "CHECKED", 1)
	if _, err := s.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	check := store.Check{
		At: at(5), SeenFrom: "203.0.113.7", Outcome: "ok", UID: 123456789,
		Restrictions: []byte(`{"ipRestrict":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}`),
	}
	if err := s.RecordCheck(ctx, sub.ID, "btc-spot", "CHECKED", check); err != nil {
		t.Fatal(err)
	}
	want := withEmail(k, sub.Email)
	want.LastCheck = &check
	if got, err := s.GetKey(ctx, sub.ID, "btc-spot"); err != nil || diffKey(got, want) != "" {
		t.Errorf("after RecordCheck: %v %s", err, diffKey(got, want))
	}
	refused := store.Check{At: at(6), SeenFrom: "203.0.113.7", Outcome: "refused", BinanceCode: -2015}
	if err := s.RecordCheck(ctx, sub.ID, "btc-spot", "CHECKED", refused); err != nil {
		t.Fatal(err)
	}
	want.LastCheck = &refused
	if got, err := s.GetKey(ctx, sub.ID, "btc-spot"); err != nil || diffKey(got, want) != "" {
		t.Errorf("after a second RecordCheck: %v %s", err, diffKey(got, want))
	}
	// A check of a key no longer registered is about nothing: ignored.
	next := key(sub.ID, "btc-spot", "NEXT", 7)
	if _, err := s.PutKey(ctx, next); err != nil {
		t.Fatal(err)
	}
	late := store.Check{At: at(8), Outcome: "deleted"}
	for _, tc := range []struct{ bot, apiKey string }{{"btc-spot", "CHECKED"}, {"eth-spot", "NEXT"}, {"eth-spot", "NONE"}} {
		if err := s.RecordCheck(ctx, sub.ID, tc.bot, tc.apiKey, late); err != nil {
			t.Errorf("RecordCheck(%s, %s) of no registered key: %v, want nil", tc.bot, tc.apiKey, err)
		}
	}
	if err := s.RecordCheck(ctx, sub.ID+1000, "btc-spot", "NEXT", late); err != nil {
		t.Errorf("RecordCheck(another subscriber): %v, want nil", err)
	}
	if got, err := s.GetKey(ctx, sub.ID, "btc-spot"); err != nil || diffKey(got, withEmail(next, sub.Email)) != "" {
		t.Errorf("the new key after stale checks: %v %s", err, diffKey(got, withEmail(next, sub.Email)))
	}
}

func testAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	if got, err := s.AuditLog(ctx, 0); err != nil || len(got) != 0 {
		t.Errorf("AuditLog of an empty trail = %+v, %v", got, err)
	}
	var events []store.AuditEvent
	for i, action := range []string{"token.issue", "key.register", "key.replace", "key.remove", "engine.read"} {
		e := store.AuditEvent{At: at(10 - i), Actor: "subscriber:a@example.com", Action: action, SubscriberID: int64(i + 1),
			Bot: "btc-spot", APIKey: fmt.Sprintf("abcd…%04d", i), RemoteAddr: "192.0.2.1"}
		if i == 4 {
			// Times are the caller's; the order is the order of appending,
			// even when a clock went back.
			e = store.AuditEvent{At: at(0), Actor: "engine:main", Action: action}
		}
		if err := s.Audit(ctx, e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	same := func(got, want store.AuditEvent) bool {
		return got.At.Equal(want.At) && got.Actor == want.Actor && got.Action == want.Action && got.SubscriberID == want.SubscriberID &&
			got.Bot == want.Bot && got.APIKey == want.APIKey && got.RemoteAddr == want.RemoteAddr
	}
	all, err := s.AuditLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(events) {
		t.Fatalf("AuditLog(0): %d events, want %d", len(all), len(events))
	}
	for i := range events {
		if !same(all[i], events[i]) {
			t.Errorf("AuditLog(0)[%d] = %+v, want %+v", i, all[i], events[i])
		}
	}
	// A limit gives that many events, still oldest first and in a row.
	some, err := s.AuditLog(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(some) != 2 {
		t.Fatalf("AuditLog(2): %d events", len(some))
	}
	start := slices.IndexFunc(events, func(e store.AuditEvent) bool { return same(some[0], e) })
	if start < 0 || start+1 >= len(events) || !same(some[1], events[start+1]) {
		t.Errorf("AuditLog(2) = %+v: not two consecutive events of the trail", some)
	}
	if got, err := s.AuditLog(ctx, 50); err != nil || len(got) != len(events) {
		t.Errorf("AuditLog(50) = %d events, %v; want %d", len(got), err, len(events))
	}
}

func testNetworkChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	if got, err := s.NetworkChanges(ctx); err != nil || len(got) != 0 {
		t.Fatalf("NetworkChanges of a new store: %+v, %v", got, err)
	}
	later := store.NetworkChange{Add: []string{"203.0.113.20", "2001:db8::20"}, Remove: []string{"203.0.113.11"},
		EffectiveAt: at(60 * 24 * 30), AnnouncedAt: at(0)}
	sooner := store.NetworkChange{Add: []string{"203.0.113.30"}, EffectiveAt: at(60 * 24), AnnouncedAt: at(1)}
	a, err := s.AnnounceNetworkChange(ctx, later)
	if err != nil || a.ID == 0 {
		t.Fatalf("AnnounceNetworkChange: %+v, %v", a, err)
	}
	b, err := s.AnnounceNetworkChange(ctx, sooner)
	if err != nil || b.ID == 0 || b.ID == a.ID {
		t.Fatalf("AnnounceNetworkChange: %+v, %v", b, err)
	}
	got, err := s.NetworkChanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	later.ID, sooner.ID, sooner.Remove = a.ID, b.ID, []string{}
	want := []store.NetworkChange{sooner, later}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("NetworkChanges = %+v\nwant %+v (by effective time)", got, want)
	}
	if err := s.WithdrawNetworkChange(ctx, b.ID); err != nil {
		t.Fatalf("WithdrawNetworkChange: %v", err)
	}
	if err := s.WithdrawNetworkChange(ctx, b.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WithdrawNetworkChange twice: %v, want ErrNotFound", err)
	}
	if got, err := s.NetworkChanges(ctx); err != nil || !reflect.DeepEqual(got, []store.NetworkChange{later}) {
		t.Errorf("after WithdrawNetworkChange: %+v, %v", got, err)
	}
}
