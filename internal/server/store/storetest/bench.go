package storetest

import (
	"fmt"
	"testing"

	"github.com/smartradex/smartradex/internal/server/store"
)

// Bench measures PutKey (a new key each time: the write path, replacing the
// bot's previous key) and GetKey (the read path) on a migrated s, one
// goroutine after the other, so the figure is the cost of one call.
func Bench(b *testing.B, s store.Store) {
	ctx := b.Context()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	sub, err := s.AddSubscriber(ctx, "bench@example.com", base)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Subscribe(ctx, sub.Email, "btc-spot"); err != nil {
		b.Fatal(err)
	}
	n := 0
	b.Run("PutKey", func(b *testing.B) {
		for b.Loop() {
			n++
			if _, err := s.PutKey(ctx, key(sub.ID, "btc-spot", fmt.Sprintf("BENCH%09d", n), 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("PutKeySame", func(b *testing.B) {
		k := key(sub.ID, "eth-spot", "BENCHSAME", 1)
		for b.Loop() {
			if _, err := s.PutKey(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetKey", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.GetKey(ctx, sub.ID, "btc-spot"); err != nil {
				b.Fatal(err)
			}
		}
	})
	if err := s.AddToken(ctx, sub.Email, hash("bench"), base); err != nil {
		b.Fatal(err)
	}
	b.Run("Authenticate", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Authenticate(ctx, hash("bench")); err != nil {
				b.Fatal(err)
			}
		}
	})
}
