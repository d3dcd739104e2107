package memstore

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

var t0 = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

func hash(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func setup(t *testing.T) (*Store, store.Subscriber) {
	t.Helper()
	s := New()
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sub, err := s.AddSubscriber(ctx, " Ada@Example.com ", t0)
	if err != nil {
		t.Fatal(err)
	}
	return s, sub
}

func TestSubscribersTokensAndEngines(t *testing.T) {
	s, sub := setup(t)
	ctx := context.Background()
	if sub.Email != "ada@example.com" {
		t.Fatalf("email = %q, want lower case", sub.Email)
	}
	if _, err := s.AddSubscriber(ctx, "ADA@example.com", t0); !errors.Is(err, store.ErrExists) {
		t.Errorf("second AddSubscriber = %v, want ErrExists", err)
	}
	if got, err := s.Subscriber(ctx, "ADA@EXAMPLE.COM"); err != nil || got.ID != sub.ID {
		t.Errorf("Subscriber = %+v, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"subscribe unknown bot", s.Subscribe(ctx, "ada@example.com", "doge-spot"), store.ErrNotFound},
		{"subscribe unknown subscriber", s.Subscribe(ctx, "bob@example.com", "btc-spot"), store.ErrNotFound},
		{"subscribe", s.Subscribe(ctx, "ada@example.com", "eth-spot"), nil},
		{"subscribe again", s.Subscribe(ctx, "ada@example.com", "eth-spot"), nil},
		{"subscribe other", s.Subscribe(ctx, "ada@example.com", "btc-spot"), nil},
		{"unsubscribe never subscribed is fine", s.Unsubscribe(ctx, "ada@example.com", "btc-spot"), nil},
		{"unsubscribe again", s.Unsubscribe(ctx, "ada@example.com", "btc-spot"), nil},
		{"token", s.AddToken(ctx, "ada@example.com", hash("t1"), t0), nil},
		{"same token hash", s.AddToken(ctx, "ada@example.com", hash("t1"), t0), store.ErrExists},
		{"token unknown subscriber", s.AddToken(ctx, "bob@example.com", hash("t2"), t0), store.ErrNotFound},
		{"engine", s.AddEngineToken(ctx, "engine-1", hash("e1"), t0), nil},
		{"engine name taken", s.AddEngineToken(ctx, "engine-1", hash("e2"), t0), store.ErrExists},
	} {
		if !errors.Is(tc.err, tc.want) || (tc.want == nil && tc.err != nil) {
			t.Errorf("%s: err = %v, want %v", tc.name, tc.err, tc.want)
		}
	}
	p, err := s.Authenticate(ctx, hash("t1"))
	if err != nil || p.Subscriber.ID != sub.ID || len(p.Bots) != 1 || p.Bots[0] != "eth-spot" || p.TokenID == 0 {
		t.Fatalf("Authenticate = %+v, %v", p, err)
	}
	// The two credential kinds do not open each other's doors.
	if _, err := s.Authenticate(ctx, hash("e1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("engine token authenticated as subscriber: %v", err)
	}
	if _, err := s.AuthenticateEngine(ctx, hash("t1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("subscriber token authenticated as engine: %v", err)
	}
	if name, err := s.AuthenticateEngine(ctx, hash("e1")); err != nil || name != "engine-1" {
		t.Errorf("AuthenticateEngine = %q, %v", name, err)
	}
	if n, err := s.RevokeTokens(ctx, "ada@example.com", t0); n != 1 || err != nil {
		t.Errorf("RevokeTokens = %d, %v", n, err)
	}
	if n, err := s.RevokeTokens(ctx, "ada@example.com", t0); n != 0 || err != nil {
		t.Errorf("RevokeTokens again = %d, %v", n, err)
	}
	if _, err := s.Authenticate(ctx, hash("t1")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("revoked token authenticated: %v", err)
	}
	list, _ := s.Subscribers(ctx)
	if len(list) != 1 || list[0].Subscriber.Email != "ada@example.com" || len(list[0].Bots) != 1 {
		t.Errorf("Subscribers = %+v", list)
	}
	// Copies out: changing a returned slice changes nothing held.
	list[0].Bots[0] = "changed"
	if again, _ := s.Subscribers(ctx); again[0].Bots[0] != "eth-spot" {
		t.Error("Subscribers shares memory with the store")
	}
}

func TestPutKeySemantics(t *testing.T) {
	s, ada := setup(t)
	ctx := context.Background()
	bob, _ := s.AddSubscriber(ctx, "bob@example.com", t0)
	key := func(sub int64, bot, api string, at time.Time) store.Key {
		return store.Key{SubscriberID: sub, Bot: bot, APIKey: api, KeyType: "HMAC", SealedSecret: []byte("sealed-" + api),
			VaultKeyID: "vk1", RegisteredAt: at}
	}
	steps := []struct {
		name         string
		k            store.Key
		wantErr      error
		wantCreated  bool
		wantReplaced string
		wantAt       time.Time
	}{
		{"first", key(ada.ID, "btc-spot", "A", t0), nil, true, "", t0},
		{"same again keeps the first time", key(ada.ID, "btc-spot", "A", t0.Add(time.Hour)), nil, false, "", t0},
		{"same key on another bot", key(ada.ID, "eth-spot", "A", t0), store.ErrKeyInUse, false, "", time.Time{}},
		{"same key for another subscriber", key(bob.ID, "btc-spot", "A", t0), store.ErrKeyInUse, false, "", time.Time{}},
		{"replace", key(ada.ID, "btc-spot", "B", t0.Add(2*time.Hour)), nil, true, "A", t0.Add(2 * time.Hour)},
		{"old key is free again", key(bob.ID, "btc-spot", "A", t0), nil, true, "", t0},
		{"unknown bot", key(ada.ID, "doge-spot", "C", t0), store.ErrNotFound, false, "", time.Time{}},
		{"unknown subscriber", key(99, "btc-spot", "C", t0), store.ErrNotFound, false, "", time.Time{}},
	}
	for _, st := range steps {
		res, err := s.PutKey(ctx, st.k)
		if !errors.Is(err, st.wantErr) || (st.wantErr == nil && err != nil) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if err != nil {
			continue
		}
		if res.Created != st.wantCreated || !res.Key.RegisteredAt.Equal(st.wantAt) || res.Key.APIKey != st.k.APIKey {
			t.Errorf("%s: result = %+v", st.name, res)
		}
		if got := ""; res.Replaced != nil {
			got = res.Replaced.APIKey
			if got != st.wantReplaced {
				t.Errorf("%s: replaced %q, want %q", st.name, got, st.wantReplaced)
			}
		} else if st.wantReplaced != "" {
			t.Errorf("%s: nothing replaced, want %q", st.name, st.wantReplaced)
		}
	}
	got, err := s.GetKey(ctx, ada.ID, "btc-spot")
	if err != nil || got.APIKey != "B" || got.Email != "ada@example.com" || string(got.SealedSecret) != "sealed-B" {
		t.Fatalf("GetKey = %+v, %v", got, err)
	}
	got.SealedSecret[0] = 'X'
	if again, _ := s.GetKey(ctx, ada.ID, "btc-spot"); string(again.SealedSecret) != "sealed-B" {
		t.Error("GetKey shares the sealed secret's memory with the store")
	}
	if err := s.RecordCheck(ctx, ada.ID, "btc-spot", "A", store.Check{At: t0, Outcome: "ok"}); err != nil {
		t.Errorf("RecordCheck for a replaced key = %v, want nil (ignored)", err)
	}
	if k, _ := s.GetKey(ctx, ada.ID, "btc-spot"); k.LastCheck != nil {
		t.Errorf("a check of the replaced key landed on its successor: %+v", k.LastCheck)
	}
	if err := s.RecordCheck(ctx, ada.ID, "btc-spot", "B", store.Check{At: t0, Outcome: "ok", Restrictions: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	active, _ := s.ActiveKeys(ctx, "btc-spot")
	if len(active) != 2 || active[0].Email != "ada@example.com" || active[0].LastCheck == nil || active[1].APIKey != "A" {
		t.Errorf("ActiveKeys = %+v", active)
	}
	if all, _ := s.ActiveKeys(ctx, ""); len(all) != 2 {
		t.Errorf("ActiveKeys(\"\") = %d keys", len(all))
	}
	if _, err := s.DeleteKey(ctx, ada.ID, "btc-spot"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteKey(ctx, ada.ID, "btc-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteKey = %v", err)
	}
	if keys, _ := s.ListKeys(ctx, ada.ID); len(keys) != 0 {
		t.Errorf("ListKeys after delete = %+v", keys)
	}
}

func TestConcurrentIdenticalPuts(t *testing.T) {
	s, ada := setup(t)
	var wg sync.WaitGroup
	results := make([]store.PutResult, 50)
	errs := make([]error, 50)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = s.PutKey(context.Background(), store.Key{SubscriberID: ada.ID, Bot: "btc-spot", APIKey: "A",
				KeyType: "HMAC", SealedSecret: []byte("x"), VaultKeyID: "v", RegisteredAt: t0.Add(time.Duration(i) * time.Second)})
		}()
	}
	wg.Wait()
	created := 0
	for i := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if results[i].Created {
			created++
		}
		if !results[i].Key.RegisteredAt.Equal(results[0].Key.RegisteredAt) {
			t.Fatalf("results disagree: %v vs %v", results[i].Key.RegisteredAt, results[0].Key.RegisteredAt)
		}
	}
	if created != 1 {
		t.Errorf("%d puts created the key, want 1", created)
	}
}

func TestClosedIsUnavailableAndAudit(t *testing.T) {
	s, _ := setup(t)
	ctx := context.Background()
	for i, a := range []string{"key.register", "key.replace", "key.remove"} {
		if err := s.Audit(ctx, store.AuditEvent{At: t0.Add(time.Duration(i)), Actor: "admin", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	if log, _ := s.AuditLog(ctx, 2); len(log) != 2 || log[0].Action != "key.register" {
		t.Errorf("AuditLog(2) = %+v", log)
	}
	if log, _ := s.AuditLog(ctx, 0); len(log) != 3 || log[2].Action != "key.remove" {
		t.Errorf("AuditLog(0) = %+v", log)
	}
	s.Close()
	if err := s.Ping(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Ping after Close = %v", err)
	}
	if _, err := s.Bots(ctx); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Bots after Close = %v", err)
	}
}

func TestSetBots(t *testing.T) {
	s, ada := setup(t)
	ctx := context.Background()
	s.Subscribe(ctx, "ada@example.com", "btc-spot")
	s.Subscribe(ctx, "ada@example.com", "eth-spot")
	s.PutKey(ctx, store.Key{SubscriberID: ada.ID, Bot: "eth-spot", APIKey: "E", KeyType: "HMAC", RegisteredAt: t0})
	s.SetBots([]store.Bot{{ID: "sol-spot", Name: "BOT SOL Spot"}, {ID: "btc-spot", Name: "BOT BTC Spot"}})
	got, _ := s.Bots(ctx)
	if len(got) != 2 || got[0].ID != "btc-spot" || got[1].ID != "sol-spot" {
		t.Errorf("Bots = %+v", got)
	}
	if list, _ := s.Subscribers(ctx); len(list[0].Bots) != 1 || list[0].Bots[0] != "btc-spot" {
		t.Errorf("subscriptions = %+v", list[0].Bots)
	}
	if _, err := s.GetKey(ctx, ada.ID, "eth-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the key of a removed bot remains: %v", err)
	}
	if err := s.Subscribe(ctx, "ada@example.com", "sol-spot"); err != nil {
		t.Error(err)
	}
}
