package memstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

func TestSnapshotRoundTrip(t *testing.T) {
	s, ada := setup(t)
	ctx := context.Background()
	s.Subscribe(ctx, "ada@example.com", "btc-spot")
	s.AddToken(ctx, "ada@example.com", hash("live"), t0)
	s.AddToken(ctx, "ada@example.com", hash("old"), t0)
	s.RevokeTokens(ctx, "ada@example.com", t0)
	s.AddToken(ctx, "ada@example.com", hash("new"), t0)
	s.AddEngineToken(ctx, "engine-1", hash("engine"), t0)
	s.PutKey(ctx, store.Key{SubscriberID: ada.ID, Bot: "btc-spot", APIKey: "A", KeyType: "HMAC", SealedSecret: []byte("sealed"), VaultKeyID: "v", RegisteredAt: t0})
	s.RecordCheck(ctx, ada.ID, "btc-spot", "A", store.Check{At: t0, Outcome: "ok", Restrictions: []byte(`{"x":true}`)})
	s.Audit(ctx, store.AuditEvent{At: t0, Actor: "admin", Action: "token.issue"})

	data, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"live", "new", "engine"} {
		if bytes.Contains(data, []byte(`"`+secret+`"`)) {
			t.Errorf("the snapshot holds the token %q", secret)
		}
	}
	n := New()
	if err := n.LoadJSON(data); err != nil {
		t.Fatal(err)
	}
	if p, err := n.Authenticate(ctx, hash("new")); err != nil || p.Subscriber.Email != "ada@example.com" || len(p.Bots) != 1 {
		t.Errorf("Authenticate after load = %+v, %v", p, err)
	}
	for _, tok := range []string{"live", "old"} {
		if _, err := n.Authenticate(ctx, hash(tok)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked token %q authenticates after load: %v", tok, err)
		}
	}
	if name, err := n.AuthenticateEngine(ctx, hash("engine")); err != nil || name != "engine-1" {
		t.Errorf("engine after load = %q, %v", name, err)
	}
	k, err := n.GetKey(ctx, ada.ID, "btc-spot")
	if err != nil || string(k.SealedSecret) != "sealed" || k.LastCheck == nil || string(k.LastCheck.Restrictions) != `{"x":true}` || k.Email != "ada@example.com" {
		t.Errorf("key after load = %+v, %v", k, err)
	}
	if log, _ := n.AuditLog(ctx, 0); len(log) != 1 {
		t.Errorf("audit after load = %+v", log)
	}
	// New IDs continue after the loaded ones.
	if bob, err := n.AddSubscriber(ctx, "bob@example.com", t0); err != nil || bob.ID <= ada.ID {
		t.Errorf("AddSubscriber after load = %+v, %v", bob, err)
	}
	again, _ := s.MarshalJSON()
	if !bytes.Equal(data, again) {
		t.Error("MarshalJSON is not deterministic")
	}

	for _, bad := range []string{`{`, `{"version":2}`, `{"version":1,"tokens":[{"hash":"AAAA","subscriber_id":1,"id":1}]}`,
		`{"version":1,"keys":[{"SubscriberID":7,"Bot":"btc-spot"}]}`} {
		if err := n.LoadJSON([]byte(bad)); err == nil {
			t.Errorf("LoadJSON(%s) accepted", bad)
		}
	}
	if p, err := n.Authenticate(ctx, hash("new")); err != nil || p.Subscriber.ID != ada.ID {
		t.Error("a failed LoadJSON changed the store")
	}
}

func TestSnapshotKeepsNetworkChanges(t *testing.T) {
	ctx := context.Background()
	s := New()
	a, _ := s.AnnounceNetworkChange(ctx, store.NetworkChange{Add: []string{"203.0.113.20"}, EffectiveAt: t0.Add(time.Hour), AnnouncedAt: t0})
	b, _ := s.AnnounceNetworkChange(ctx, store.NetworkChange{Remove: []string{"203.0.113.11"}, EffectiveAt: t0.Add(2 * time.Hour), AnnouncedAt: t0})
	if err := s.WithdrawNetworkChange(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	data, err := s.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	n := New()
	if err := n.LoadJSON(data); err != nil {
		t.Fatal(err)
	}
	got, err := n.NetworkChanges(ctx)
	if err != nil || len(got) != 1 || got[0].ID != b.ID || got[0].Remove[0] != "203.0.113.11" {
		t.Fatalf("changes after load = %+v, %v", got, err)
	}
	// New IDs continue after the loaded ones, withdrawn ones included.
	if c, err := n.AnnounceNetworkChange(ctx, store.NetworkChange{Add: []string{"203.0.113.30"}, EffectiveAt: t0, AnnouncedAt: t0}); err != nil || c.ID <= b.ID {
		t.Errorf("announce after load = %+v, %v", c, err)
	}
	// A snapshot written before network changes existed loads with none.
	old := New()
	if err := old.LoadJSON(bytes.Replace(data, []byte(`"network_changes"`), []byte(`"ignored"`), 1)); err != nil {
		t.Fatal(err)
	}
	if got, _ := old.NetworkChanges(ctx); len(got) != 0 {
		t.Errorf("changes from an older snapshot: %+v", got)
	}
	if err := New().LoadJSON(bytes.Replace(data, []byte(`"ID":`+fmt.Sprint(b.ID)), []byte(`"ID":0`), 1)); err == nil {
		t.Error("a change without an ID was loaded")
	}
}
