package memstore

import (
	"bytes"
	"context"
	"errors"
	"testing"

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
