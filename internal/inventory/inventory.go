// Package inventory is what `keys list` reports: the index's entries in
// bot order, each with whether its secret is still in its store. It knows
// nothing of terminals; the command renders it.
package inventory

import (
	"context"
	"errors"
	"sort"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// Presence says whether an entry's secret is in its store.
type Presence string

// The answers of a store about a secret.
const (
	Present Presence = "present"
	Missing Presence = "missing"
	Unknown Presence = "unknown" // the store could not answer
)

// Item is one entry of the index and whether its secret is there.
type Item struct {
	Entry  *state.Entry
	Secret Presence
	// Unsettled is the operation of an interrupted command on this bot
	// that may have reached SmartradeX, "" when there is none.
	Unsettled state.Op
}

// List loads ix and asks each entry's store, from storeFor, whether its
// secret is still there. A store that cannot answer (no keyring, no
// passphrase) makes the answer Unknown for its entries, and is reported
// once to unreachable, rather than failing the listing: the index alone is
// still worth showing. An interruption ends the listing.
func List(ctx context.Context, ix *state.Index, storeFor func(backend string) (secrets.Store, error), unreachable func(backend string, err error)) ([]Item, error) {
	snap, err := ix.Load()
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(snap.Entries))
	for _, e := range snap.Entries {
		it := Item{Entry: e, Secret: Unknown}
		if in := snap.Intents[e.Bot]; in != nil {
			it.Unsettled = in.Op
		}
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Entry.Bot < items[j].Entry.Bot })

	failed := map[string]bool{}
	for i := range items {
		e := items[i].Entry
		if failed[e.Backend] {
			continue
		}
		store, err := storeFor(e.Backend)
		if err == nil {
			_, err = store.Get(ctx, e.SecretName)
		}
		switch {
		case err == nil:
			items[i].Secret = Present
		case errors.Is(err, secrets.ErrNotFound):
			items[i].Secret = Missing
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case apperr.KindOf(err) == apperr.Cancelled:
			return nil, err
		default:
			failed[e.Backend] = true
			if unreachable != nil {
				unreachable(e.Backend, err)
			}
		}
	}
	return items, nil
}
