package memstore

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

// snapshot is the persisted form of a Store, for the sandbox, which runs
// the real handler on a memstore and keeps its state between runs. Like
// the database, it holds token hashes and sealed secrets, never a token or
// a secret in clear.
type snapshot struct {
	Version     int                `json:"version"`
	Bots        []store.Bot        `json:"bots"`
	NextID      int64              `json:"next_id"`
	NextTokenID int64              `json:"next_token_id"`
	Subscribers []snapSubscriber   `json:"subscribers"`
	Tokens      []snapToken        `json:"tokens"`
	Engines     []snapEngine       `json:"engines"`
	Keys        []store.Key        `json:"keys"`
	Audit       []store.AuditEvent `json:"audit"`
	// Network holds the announced address changes (absent from snapshots
	// written before they existed).
	Network []store.NetworkChange `json:"network_changes,omitempty"`
}

type snapSubscriber struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	CreatedAt time.Time `json:"created_at"`
	Bots      []string  `json:"bots"`
}

type snapToken struct {
	Hash         []byte `json:"hash"`
	SubscriberID int64  `json:"subscriber_id"`
	ID           int64  `json:"id"`
	Revoked      bool   `json:"revoked,omitempty"`
}

type snapEngine struct {
	Name string `json:"name"`
	Hash []byte `json:"hash"`
}

const snapshotVersion = 1

// MarshalJSON returns the whole store, for LoadJSON.
func (s *Store) MarshalJSON() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot{Version: snapshotVersion, Bots: slices.Clone(s.bots), NextID: s.nextID, NextTokenID: s.nextTokenID,
		Subscribers: []snapSubscriber{}, Tokens: []snapToken{}, Engines: []snapEngine{}, Keys: []store.Key{},
		Audit: slices.Clone(s.audit), Network: slices.Clone(s.network)}
	for _, sub := range s.subscribers {
		snap.Subscribers = append(snap.Subscribers, snapSubscriber{sub.ID, sub.Email, sub.CreatedAt, s.botsOf(sub.ID)})
	}
	sort.Slice(snap.Subscribers, func(i, j int) bool { return snap.Subscribers[i].ID < snap.Subscribers[j].ID })
	for h, t := range s.tokens {
		snap.Tokens = append(snap.Tokens, snapToken{slices.Clone(h[:]), t.subscriberID, t.id, t.revoked})
	}
	sort.Slice(snap.Tokens, func(i, j int) bool { return snap.Tokens[i].ID < snap.Tokens[j].ID })
	for h, name := range s.engines {
		snap.Engines = append(snap.Engines, snapEngine{name, slices.Clone(h[:])})
	}
	sort.Slice(snap.Engines, func(i, j int) bool { return snap.Engines[i].Name < snap.Engines[j].Name })
	for _, k := range s.keys {
		k = s.copyKey(k)
		k.Email = ""
		snap.Keys = append(snap.Keys, k)
	}
	sort.Slice(snap.Keys, func(i, j int) bool {
		a, b := snap.Keys[i], snap.Keys[j]
		return a.SubscriberID < b.SubscriberID || a.SubscriberID == b.SubscriberID && a.Bot < b.Bot
	})
	return json.Marshal(snap)
}

// LoadJSON replaces everything the store holds by what MarshalJSON wrote.
// On error the store is left as it was.
func (s *Store) LoadJSON(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("memstore: reading the snapshot: %w", err)
	}
	if snap.Version != snapshotVersion {
		return fmt.Errorf("memstore: snapshot version %d is not supported", snap.Version)
	}
	n := New()
	n.bots = snap.Bots
	n.seed()
	n.nextID, n.nextTokenID = snap.NextID, snap.NextTokenID
	for _, sub := range snap.Subscribers {
		if sub.ID <= 0 || sub.ID > n.nextID || n.byEmail[sub.Email] != 0 || sub.Email != normEmail(sub.Email) {
			return fmt.Errorf("memstore: snapshot: bad subscriber %d", sub.ID)
		}
		n.subscribers[sub.ID] = store.Subscriber{ID: sub.ID, Email: sub.Email, CreatedAt: sub.CreatedAt}
		n.byEmail[sub.Email] = sub.ID
		n.subs[sub.ID] = map[string]bool{}
		for _, b := range sub.Bots {
			n.subs[sub.ID][b] = true
		}
	}
	for _, t := range snap.Tokens {
		h, err := hashKey(t.Hash)
		if err != nil || n.subscribers[t.SubscriberID].ID == 0 || n.tokens[h] != nil {
			return fmt.Errorf("memstore: snapshot: bad token %d", t.ID)
		}
		n.tokens[h] = &token{subscriberID: t.SubscriberID, id: t.ID, revoked: t.Revoked}
	}
	for _, e := range snap.Engines {
		h, err := hashKey(e.Hash)
		if err != nil || n.engineNames[e.Name] {
			return fmt.Errorf("memstore: snapshot: bad engine %q", e.Name)
		}
		n.engines[h], n.engineNames[e.Name] = e.Name, true
	}
	for _, k := range snap.Keys {
		if n.subscribers[k.SubscriberID].ID == 0 {
			return fmt.Errorf("memstore: snapshot: a key of unknown subscriber %d", k.SubscriberID)
		}
		k.Email = ""
		n.keys[keyID{k.SubscriberID, k.Bot}] = k
	}
	n.audit = snap.Audit
	var maxNet int64
	for _, c := range snap.Network {
		if c.ID <= 0 {
			return fmt.Errorf("memstore: snapshot: bad network change %d", c.ID)
		}
		maxNet = max(maxNet, c.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.network, s.nextNetID = slices.Clone(snap.Network), maxNet
	s.bots, s.nextID, s.subscribers, s.byEmail, s.subs = n.bots, n.nextID, n.subscribers, n.byEmail, n.subs
	s.tokens, s.nextTokenID, s.engines, s.engineNames, s.keys, s.audit = n.tokens, n.nextTokenID, n.engines, n.engineNames, n.keys, n.audit
	return nil
}
