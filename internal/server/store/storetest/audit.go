package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/smartradex/smartradex/internal/server/store"
)

// ev is an audit event as a caller hands it to a change; the store fills
// in the subscriber (and for keys the action and the masked key).
func ev(action string) store.AuditEvent {
	return store.AuditEvent{At: at(30), Actor: "admin", Action: action, Bot: "btc-spot", RemoteAddr: "192.0.2.7"}
}

// testAuditWithChange: each change writes its events when, and only when,
// it is made, completed with the subscriber (and for keys the action and
// the masked key) it is about.
func testAuditWithChange(t *testing.T, s store.Store) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "trail@example.com") // no event: none handed over
	other := mustSubscriber(t, s, "other@example.com")
	if _, err := s.PutKey(ctx, key(other.ID, "btc-spot", "OTHERKEY0000000000001", 1)); err != nil {
		t.Fatal(err)
	}
	const apiKey = "TRAILKEY000000000000000001"
	var announced store.NetworkChange
	tests := []struct {
		name  string
		do    func(e store.AuditEvent) error
		fails error             // what the change returns; nil: it is made
		want  *store.AuditEvent // the row written; nil: none
	}{
		{"AddSubscriber", func(e store.AuditEvent) error {
			_, err := s.AddSubscriber(ctx, "new@example.com", at(1), e)
			return err
		}, nil, &store.AuditEvent{Action: "subscriber.add", SubscriberID: -1}},
		{"AddSubscriber taken", func(e store.AuditEvent) error {
			_, err := s.AddSubscriber(ctx, "TRAIL@example.com", at(1), e)
			return err
		}, store.ErrExists, nil},
		{"Subscribe", func(e store.AuditEvent) error { return s.Subscribe(ctx, sub.Email, "btc-spot", e) },
			nil, &store.AuditEvent{Action: "subscription.add", SubscriberID: sub.ID}},
		{"Subscribe unknown bot", func(e store.AuditEvent) error { return s.Subscribe(ctx, sub.Email, "doge-spot", e) },
			store.ErrNotFound, nil},
		{"Unsubscribe unknown subscriber", func(e store.AuditEvent) error { return s.Unsubscribe(ctx, "nobody@example.com", "btc-spot", e) },
			store.ErrNotFound, nil},
		{"AddToken", func(e store.AuditEvent) error { return s.AddToken(ctx, sub.Email, hash("trail-token"), at(2), e) },
			nil, &store.AuditEvent{Action: "token.issue", SubscriberID: sub.ID}},
		{"AddToken again", func(e store.AuditEvent) error { return s.AddToken(ctx, sub.Email, hash("trail-token"), at(2), e) },
			store.ErrExists, nil},
		{"RevokeTokens", func(e store.AuditEvent) error { _, err := s.RevokeTokens(ctx, sub.Email, at(3), e); return err },
			nil, &store.AuditEvent{Action: "token.revoke", SubscriberID: sub.ID}},
		{"AddEngineToken", func(e store.AuditEvent) error { return s.AddEngineToken(ctx, "main", hash("trail-engine"), at(4), e) },
			nil, &store.AuditEvent{Action: "engine_token.issue"}},
		{"AddEngineToken taken", func(e store.AuditEvent) error { return s.AddEngineToken(ctx, "main", hash("trail-engine2"), at(4), e) },
			store.ErrExists, nil},
		{"PutKey registers", func(e store.AuditEvent) error {
			e.Action = ""
			_, err := s.PutKey(ctx, key(sub.ID, "btc-spot", apiKey, 5), e)
			return err
		}, nil, &store.AuditEvent{Action: store.ActionKeyRegister, SubscriberID: sub.ID, APIKey: store.MaskAPIKey(apiKey)}},
		{"PutKey same key: no change", func(e store.AuditEvent) error {
			e.Action = ""
			_, err := s.PutKey(ctx, key(sub.ID, "btc-spot", apiKey, 6), e)
			return err
		}, nil, nil},
		{"PutKey in use", func(e store.AuditEvent) error {
			_, err := s.PutKey(ctx, key(sub.ID, "btc-spot", "OTHERKEY0000000000001", 6), e)
			return err
		}, store.ErrKeyInUse, nil},
		{"PutKey unknown bot", func(e store.AuditEvent) error {
			_, err := s.PutKey(ctx, key(sub.ID, "doge-spot", "UNKNOWNBOT00000001", 6), e)
			return err
		}, store.ErrNotFound, nil},
		{"PutKey replaces", func(e store.AuditEvent) error {
			e.Action = ""
			_, err := s.PutKey(ctx, key(sub.ID, "btc-spot", apiKey+"B", 7), e)
			return err
		}, nil, &store.AuditEvent{Action: store.ActionKeyReplace, SubscriberID: sub.ID, APIKey: store.MaskAPIKey(apiKey + "B")}},
		{"DeleteKey", func(e store.AuditEvent) error { _, err := s.DeleteKey(ctx, sub.ID, "btc-spot", e); return err },
			nil, &store.AuditEvent{Action: "key.remove", SubscriberID: sub.ID, APIKey: store.MaskAPIKey(apiKey + "B")}},
		{"DeleteKey again", func(e store.AuditEvent) error { _, err := s.DeleteKey(ctx, sub.ID, "btc-spot", e); return err },
			store.ErrNotFound, nil},
		{"AnnounceNetworkChange", func(e store.AuditEvent) error {
			var err error
			announced, err = s.AnnounceNetworkChange(ctx, store.NetworkChange{Add: []string{"192.0.2.1"}, EffectiveAt: at(60), AnnouncedAt: at(8)}, e)
			return err
		}, nil, &store.AuditEvent{Action: "network.announce"}},
		{"WithdrawNetworkChange", func(e store.AuditEvent) error { return s.WithdrawNetworkChange(ctx, announced.ID, e) },
			nil, &store.AuditEvent{Action: "network.withdraw"}},
		{"WithdrawNetworkChange again", func(e store.AuditEvent) error { return s.WithdrawNetworkChange(ctx, announced.ID, e) },
			store.ErrNotFound, nil},
	}
	for _, tc := range tests {
		// Run in order, on one store: each case builds on the last.
		before, err := s.AuditLog(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		// The caller's action, except where PutKey names it.
		e := ev("some.change")
		if tc.want != nil {
			e.Action = tc.want.Action
		}
		err = tc.do(e)
		switch {
		case tc.fails == nil && err != nil:
			t.Fatalf("%s: %v", tc.name, err)
		case tc.fails != nil && !errors.Is(err, tc.fails):
			t.Fatalf("%s: %v, want %v", tc.name, err, tc.fails)
		}
		after, err := s.AuditLog(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		added := after[len(before):]
		if tc.want == nil {
			if len(added) != 0 {
				t.Errorf("%s: a change not made wrote %+v", tc.name, added)
			}
			continue
		}
		if len(added) != 1 {
			t.Errorf("%s: %d audit rows, want 1: %+v", tc.name, len(added), added)
			continue
		}
		want := ev("")
		want.Action, want.SubscriberID, want.APIKey = tc.want.Action, tc.want.SubscriberID, tc.want.APIKey
		if want.SubscriberID == -1 { // the new subscriber
			created, err := s.Subscriber(ctx, "new@example.com")
			if err != nil {
				t.Fatal(err)
			}
			want.SubscriberID = created.ID
		}
		if got := added[0]; !got.At.Equal(want.At) || got.Actor != want.Actor || got.Action != want.Action ||
			got.SubscriberID != want.SubscriberID || got.Bot != want.Bot || got.APIKey != want.APIKey || got.RemoteAddr != want.RemoteAddr {
			t.Errorf("%s: audit row %+v, want %+v", tc.name, got, want)
		}
	}
}

// testPutKeyConcurrentReplace: racing PutKey of different keys for one
// (subscriber, bot) all succeed, as if one after the other: one registers,
// each other replaces the key registered just before it, and the trail has
// one row for each.
func testPutKeyConcurrentReplace(t *testing.T, s store.Store) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "replace@example.com")
	const n = 16
	results := make([]store.PutResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = s.PutKey(ctx, key(sub.ID, "btc-spot", fmt.Sprintf("RACEKEY%02d", i), i), store.AuditEvent{At: at(i), Actor: "subscriber:" + sub.Email})
		})
	}
	wg.Wait()
	registered, replaced := 0, map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("PutKey %d: %v", i, errs[i])
		}
		if !results[i].Created {
			t.Errorf("PutKey %d: Created false for a new key", i)
		}
		if results[i].Replaced == nil {
			registered++
		} else if replaced[results[i].Replaced.APIKey] {
			t.Errorf("%s replaced twice", results[i].Replaced.APIKey)
		} else {
			replaced[results[i].Replaced.APIKey] = true
		}
	}
	final, err := s.GetKey(ctx, sub.ID, "btc-spot")
	if err != nil {
		t.Fatal(err)
	}
	if registered != 1 || len(replaced) != n-1 || replaced[final.APIKey] {
		t.Errorf("%d registered, %d replaced (the final key %s among them: %v); want 1 and %d, the final key not replaced",
			registered, len(replaced), final.APIKey, replaced[final.APIKey], n-1)
	}
	log, err := s.AuditLog(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]int{}
	for _, e := range log {
		actions[e.Action]++
	}
	if actions[store.ActionKeyRegister] != 1 || actions[store.ActionKeyReplace] != n-1 || len(log) != n {
		t.Errorf("audit actions %v over %d rows; want 1 register and %d replace", actions, len(log), n-1)
	}
}

// testPutKeyManySubscribers: many subscribers registering, then replacing,
// their keys at once never fail each other.
func testPutKeyManySubscribers(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 32
	subs := make([]store.Subscriber, n)
	for i := range n {
		subs[i] = mustSubscriber(t, s, fmt.Sprintf("many%02d@example.com", i))
	}
	for round := range 2 {
		errs := make([]error, 2*n)
		var wg sync.WaitGroup
		for i := range 2 * n {
			bot := []string{"btc-spot", "eth-spot"}[i%2]
			wg.Go(func() {
				_, errs[i] = s.PutKey(ctx, key(subs[i/2].ID, bot, fmt.Sprintf("MANY%02d%s%d", i/2, bot, round), round),
					store.AuditEvent{At: at(round), Actor: "subscriber:" + subs[i/2].Email})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d, PutKey %d: %v", round, i, err)
			}
		}
	}
	keys, err := s.ActiveKeys(ctx, "")
	if err != nil || len(keys) != 2*n {
		t.Fatalf("ActiveKeys: %d keys, %v; want %d", len(keys), err, 2*n)
	}
	for _, k := range keys {
		if !slices.Contains([]string{"btc-spot", "eth-spot"}, k.Bot) || k.APIKey[len(k.APIKey)-1] != '1' {
			t.Errorf("key %s of %d/%s: not the second round's", k.APIKey, k.SubscriberID, k.Bot)
		}
	}
	if log, err := s.AuditLog(ctx, 0); err != nil || len(log) != 4*n {
		t.Errorf("AuditLog: %d rows, %v; want %d", len(log), err, 4*n)
	}
}

// RefusedActor is the Actor of the events RunAuditRefused has the database
// refuse.
const RefusedActor = "refused"

// RunAuditRefused asserts that a change whose audit row cannot be written
// is not made. s is migrated; refuse makes the database refuse every audit
// row whose actor is RefusedActor (a trigger, a CHECK constraint).
func RunAuditRefused(t *testing.T, s store.Store, refuse func(t *testing.T)) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "refused@example.com")
	kept := key(sub.ID, "eth-spot", "KEPTKEY00000000000001", 1)
	if _, err := s.PutKey(ctx, kept); err != nil {
		t.Fatal(err)
	}
	refuse(t)
	bad := store.AuditEvent{At: at(1), Actor: RefusedActor}
	if _, err := s.PutKey(ctx, key(sub.ID, "btc-spot", "REFUSEDKEY0000000001", 2), bad); err == nil {
		t.Error("PutKey with a refused audit row succeeded")
	}
	if _, err := s.GetKey(ctx, sub.ID, "btc-spot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after PutKey with a refused audit row, GetKey: %v, want ErrNotFound", err)
	}
	if _, err := s.PutKey(ctx, key(sub.ID, "eth-spot", "REPLACEKEY000000001", 3), bad); err == nil {
		t.Error("a replacing PutKey with a refused audit row succeeded")
	}
	if _, err := s.DeleteKey(ctx, sub.ID, "eth-spot", bad); err == nil {
		t.Error("DeleteKey with a refused audit row succeeded")
	}
	if got, err := s.GetKey(ctx, sub.ID, "eth-spot"); err != nil || got.APIKey != kept.APIKey {
		t.Errorf("after a refused replace and delete, GetKey = %s, %v; want %s kept", got.APIKey, err, kept.APIKey)
	}
	if _, err := s.AddSubscriber(ctx, "never@example.com", at(4), bad); err == nil {
		t.Error("AddSubscriber with a refused audit row succeeded")
	}
	if _, err := s.Subscriber(ctx, "never@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after a refused AddSubscriber, Subscriber: %v, want ErrNotFound", err)
	}
	if err := s.Unsubscribe(ctx, sub.Email, "btc-spot", bad); err == nil {
		t.Error("Unsubscribe with a refused audit row succeeded")
	}
	if got := botsOf(t, s, sub.Email); !slices.Contains(got, "btc-spot") {
		t.Errorf("after a refused Unsubscribe, bots = %v", got)
	}
	if log, err := s.AuditLog(ctx, 0); err != nil || len(log) != 0 {
		t.Errorf("AuditLog = %+v, %v; want empty", log, err)
	}
	// The same changes with a row the database takes are made, with it.
	good := store.AuditEvent{At: at(5), Actor: "subscriber:" + sub.Email}
	if _, err := s.PutKey(ctx, key(sub.ID, "btc-spot", "REFUSEDKEY0000000001", 2), good); err != nil {
		t.Fatalf("PutKey: %v", err)
	}
	if _, err := s.DeleteKey(ctx, sub.ID, "eth-spot", good); err != nil {
		t.Fatalf("DeleteKey: %v", err)
	}
	if log, err := s.AuditLog(ctx, 0); err != nil || len(log) != 2 || log[0].Action != store.ActionKeyRegister || log[1].APIKey != store.MaskAPIKey(kept.APIKey) {
		t.Errorf("AuditLog = %+v, %v; want the register and the removal of %s", log, err, kept.APIKey)
	}
}
