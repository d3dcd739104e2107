package storetest

import (
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/smartradex/smartradex/internal/server/store"
)

// The vault key IDs of a rotation: key() seals to oldVault.
const (
	oldVault = "0123456789abcdef0123456789abcdef"
	newVault = "fedcba9876543210fedcba9876543210"
)

// resealed is k's secret as a reseal to newVault stores it.
func resealed(k store.Key) []byte { return []byte("resealed:" + string(k.SealedSecret)) }

func vaultCounts(t *testing.T, s store.Store) map[string]int {
	t.Helper()
	got, err := s.VaultKeyCounts(t.Context())
	if err != nil {
		t.Fatalf("VaultKeyCounts: %v", err)
	}
	return got
}

func resealActions(t *testing.T, s store.Store) []store.AuditEvent {
	t.Helper()
	log, err := s.AuditLog(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEvent
	for _, e := range log {
		if e.Action == store.ActionKeyReseal {
			out = append(out, e)
		}
	}
	return out
}

// testResealKey: ResealKey changes the row only while it holds exactly the
// key as read, and then only its seal and vault key ID.
func testResealKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	sub := mustSubscriber(t, s, "reseal@example.com")
	k := key(sub.ID, "btc-spot", "RESEALKEY000000000001", 1)
	if _, err := s.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	check := store.Check{At: at(2), SeenFrom: "203.0.113.7", Outcome: "ok", UID: 42, Restrictions: []byte(`{"ipRestrict":true}`)}
	if err := s.RecordCheck(ctx, sub.ID, k.Bot, k.APIKey, check); err != nil {
		t.Fatal(err)
	}
	if got, want := vaultCounts(t, s), map[string]int{oldVault: 1}; !maps.Equal(got, want) {
		t.Errorf("VaultKeyCounts before = %v, want %v", got, want)
	}
	stale := func(f func(*store.Key)) store.Key { c := k; f(&c); return c }
	// What does not match the row changes nothing.
	for name, read := range map[string]store.Key{
		"another seal":         stale(func(c *store.Key) { c.SealedSecret = []byte("sealed:other") }),
		"another vault key":    stale(func(c *store.Key) { c.VaultKeyID = newVault }),
		"another key type":     stale(func(c *store.Key) { c.KeyType = "HMAC" }),
		"another api key":      stale(func(c *store.Key) { c.APIKey = "RESEALKEY000000000002" }),
		"another bot":          stale(func(c *store.Key) { c.Bot = "eth-spot" }),
		"another subscriber":   stale(func(c *store.Key) { c.SubscriberID += 1000 }),
		"a seal cut short":     stale(func(c *store.Key) { c.SealedSecret = c.SealedSecret[:len(c.SealedSecret)-1] }),
		"an empty seal (read)": stale(func(c *store.Key) { c.SealedSecret = nil }),
	} {
		ok, err := s.ResealKey(ctx, read, resealed(k), newVault, ev(""))
		if err != nil || ok {
			t.Errorf("ResealKey with %s = %v, %v; want false, nil", name, ok, err)
		}
	}
	if got, err := s.GetKey(ctx, sub.ID, k.Bot); err != nil || diffKey(got, withEmail(withCheck(k, check), sub.Email)) != "" {
		t.Fatalf("after refused reseals: %v %s", err, diffKey(got, withEmail(withCheck(k, check), sub.Email)))
	}
	if got := resealActions(t, s); len(got) != 0 {
		t.Fatalf("audit after refused reseals: %+v, want none", got)
	}

	ok, err := s.ResealKey(ctx, withEmail(k, sub.Email), resealed(k), newVault, ev(""))
	if err != nil || !ok {
		t.Fatalf("ResealKey = %v, %v; want true", ok, err)
	}
	want := withEmail(withCheck(k, check), sub.Email)
	want.SealedSecret, want.VaultKeyID = resealed(k), newVault
	if got, err := s.GetKey(ctx, sub.ID, k.Bot); err != nil || diffKey(got, want) != "" {
		t.Errorf("after ResealKey: %v %s", err, diffKey(got, want))
	}
	// Idempotent: the key as first read no longer matches.
	if ok, err := s.ResealKey(ctx, k, resealed(k), newVault, ev("")); err != nil || ok {
		t.Errorf("ResealKey again = %v, %v; want false, nil", ok, err)
	}
	if got, want := vaultCounts(t, s), map[string]int{newVault: 1}; !maps.Equal(got, want) {
		t.Errorf("VaultKeyCounts after = %v, want %v", got, want)
	}
	events := resealActions(t, s)
	if len(events) != 1 || events[0].SubscriberID != sub.ID || events[0].Bot != k.Bot ||
		events[0].APIKey != store.MaskAPIKey(k.APIKey) || events[0].Actor != "admin" {
		t.Errorf("audit = %+v; want one key.reseal of %d/%s/%s by admin", events, sub.ID, k.Bot, store.MaskAPIKey(k.APIKey))
	}

	// A key replaced or removed since it was read is not resealed.
	other := key(sub.ID, "eth-spot", "RESEALKEY000000000003", 3)
	if _, err := s.PutKey(ctx, other); err != nil {
		t.Fatal(err)
	}
	replacement := key(sub.ID, "eth-spot", "RESEALKEY000000000004", 4)
	if _, err := s.PutKey(ctx, replacement); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ResealKey(ctx, other, resealed(other), newVault); err != nil || ok {
		t.Errorf("ResealKey of a replaced key = %v, %v; want false, nil", ok, err)
	}
	if got, err := s.GetKey(ctx, sub.ID, "eth-spot"); err != nil || diffKey(got, withEmail(replacement, sub.Email)) != "" {
		t.Errorf("the replacement after a stale reseal: %v %s", err, diffKey(got, withEmail(replacement, sub.Email)))
	}
	if _, err := s.DeleteKey(ctx, sub.ID, "eth-spot"); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ResealKey(ctx, replacement, resealed(replacement), newVault); err != nil || ok {
		t.Errorf("ResealKey of a removed key = %v, %v; want false, nil", ok, err)
	}
	if _, err := s.GetKey(ctx, sub.ID, "eth-spot"); err == nil {
		t.Error("a reseal of a removed key brought it back")
	}
	if got := resealActions(t, s); len(got) != 1 {
		t.Errorf("%d key.reseal events, want 1", len(got))
	}
}

func withCheck(k store.Key, c store.Check) store.Key { k.LastCheck = &c; return k }

// testResealKeyConcurrent: two reseals of every key race each other (two
// runs of the command) and subscribers replacing half of the keys (a PUT
// sealed to the new key): every key is resealed at most once, a
// replacement is never overwritten, and in the end no key is sealed to the
// old vault key.
func testResealKeyConcurrent(t *testing.T, s store.Store) {
	resealRace(t, s, s)
}

// resealRace runs the race of testResealKeyConcurrent through a and b,
// which may be two stores over one database.
func resealRace(t *testing.T, a, b store.Store) {
	ctx := t.Context()
	const n = 12
	subs := make([]store.Subscriber, n)
	keys := make([]store.Key, n)
	for i := range n {
		subs[i] = mustSubscriber(t, a, fmt.Sprintf("race%02d@example.com", i))
		keys[i] = key(subs[i].ID, "btc-spot", fmt.Sprintf("RACERESEAL%02d000000000", i), i)
		if _, err := a.PutKey(ctx, keys[i]); err != nil {
			t.Fatal(err)
		}
	}
	replacement := func(i int) store.Key {
		r := key(subs[i].ID, "btc-spot", fmt.Sprintf("RACEREPLACE%02d00000000", i), 100+i)
		r.VaultKeyID = newVault
		return r
	}
	won := make([][2]bool, n)
	errs := make(chan error, 3*n)
	var wg sync.WaitGroup
	for i := range n {
		for j, s := range []store.Store{a, b} {
			wg.Go(func() {
				ok, err := s.ResealKey(ctx, keys[i], resealed(keys[i]), newVault, ev(""))
				won[i][j] = ok
				if err != nil {
					errs <- fmt.Errorf("ResealKey %d/%d: %w", i, j, err)
				}
			})
		}
		if i%2 == 1 {
			s := []store.Store{a, b}[i/2%2]
			wg.Go(func() {
				if _, err := s.PutKey(ctx, replacement(i)); err != nil {
					errs <- fmt.Errorf("PutKey %d: %w", i, err)
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wins := 0
	for i := range n {
		got, err := b.GetKey(ctx, subs[i].ID, "btc-spot")
		if err != nil {
			t.Fatal(err)
		}
		if won[i][0] && won[i][1] {
			t.Errorf("key %d resealed twice", i)
		}
		if won[i][0] || won[i][1] {
			wins++
		}
		want := withEmail(keys[i], subs[i].Email)
		want.SealedSecret, want.VaultKeyID = resealed(keys[i]), newVault
		if i%2 == 1 {
			want = withEmail(replacement(i), subs[i].Email)
		} else if !won[i][0] && !won[i][1] {
			t.Errorf("key %d, never replaced, was not resealed", i)
		}
		if d := diffKey(got, want); d != "" {
			t.Errorf("key %d: %s", i, d)
		}
	}
	if got, want := vaultCounts(t, a), map[string]int{newVault: n}; !maps.Equal(got, want) {
		t.Errorf("VaultKeyCounts = %v, want %v", got, want)
	}
	if got := resealActions(t, b); len(got) != wins {
		t.Errorf("%d key.reseal events for %d reseals", len(got), wins)
	}
}
