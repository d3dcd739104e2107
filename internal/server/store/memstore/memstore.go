// Package memstore is the in-memory store.Store: the reference the tests,
// the sandbox and the benchmarks use. It imports no database driver, so the
// smartradex CLI can link it. Everything is copied in and out, so a caller
// never shares memory with what the store holds; one mutex serialises every
// call, which makes each method one transaction.
package memstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/server/store"
)

type token struct {
	subscriberID int64
	id           int64
	revoked      bool
}

type keyID struct {
	subscriberID int64
	bot          string
}

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	mu          sync.Mutex
	closed      bool
	bots        []store.Bot
	nextID      int64
	subscribers map[int64]store.Subscriber
	byEmail     map[string]int64
	subs        map[int64]map[string]bool // subscriber → bot IDs
	tokens      map[[sha256.Size]byte]*token
	nextTokenID int64
	engines     map[[sha256.Size]byte]string
	engineNames map[string]bool
	keys        map[keyID]store.Key
	audit       []store.AuditEvent
	network     []store.NetworkChange
	nextNetID   int64
}

var _ store.Store = (*Store)(nil)

// New returns an empty store whose bot catalogue is seeded with the
// built-in bots (btc-spot, eth-spot).
func New() *Store {
	s := &Store{
		subscribers: map[int64]store.Subscriber{},
		byEmail:     map[string]int64{},
		subs:        map[int64]map[string]bool{},
		tokens:      map[[sha256.Size]byte]*token{},
		engines:     map[[sha256.Size]byte]string{},
		engineNames: map[string]bool{},
		keys:        map[keyID]store.Key{},
	}
	s.seed()
	return s
}

// seed adds the built-in bots. Not bots.All: in smartradex (the sandbox)
// that asks the SmartradeX service, which may be this very store.
func (s *Store) seed() {
	for _, b := range bots.Builtin() {
		if !slices.ContainsFunc(s.bots, func(x store.Bot) bool { return x.ID == b.ID }) {
			s.bots = append(s.bots, store.Bot{ID: b.ID, Name: b.Name, Label: b.Label})
		}
	}
	sort.Slice(s.bots, func(i, j int) bool { return s.bots[i].ID < s.bots[j].ID })
}

// lock takes the mutex unless the store is closed or ctx is done.
func (s *Store) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return fmt.Errorf("memstore: closed: %w", store.ErrUnavailable)
	}
	return nil
}

func hashKey(h []byte) ([sha256.Size]byte, error) {
	var k [sha256.Size]byte
	if len(h) != sha256.Size {
		return k, fmt.Errorf("memstore: a token hash is %d bytes, not %d", len(h), sha256.Size)
	}
	copy(k[:], h)
	return k, nil
}

func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Migrate has nothing to migrate; it seeds the catalogue again (idempotent).
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.seed()
	return nil
}

// Ping fails only once the store is closed.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	s.mu.Unlock()
	return nil
}

// Close makes every later call fail with store.ErrUnavailable.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

func (s *Store) Bots(ctx context.Context) ([]store.Bot, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	return slices.Clone(s.bots), nil
}

// SetBots replaces the bot catalogue, for tests and the sandbox (a real
// database's catalogue changes by migration). Subscriptions to and keys of
// bots no longer in it are dropped, as a foreign key would.
func (s *Store) SetBots(list []store.Bot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bots = slices.Clone(list)
	sort.Slice(s.bots, func(i, j int) bool { return s.bots[i].ID < s.bots[j].ID })
	for _, subs := range s.subs {
		for b := range subs {
			if !s.hasBot(b) {
				delete(subs, b)
			}
		}
	}
	for id := range s.keys {
		if !s.hasBot(id.bot) {
			delete(s.keys, id)
		}
	}
}

func (s *Store) hasBot(id string) bool {
	return slices.ContainsFunc(s.bots, func(b store.Bot) bool { return b.ID == id })
}

func (s *Store) AddSubscriber(ctx context.Context, email string, now time.Time, audit ...store.AuditEvent) (store.Subscriber, error) {
	email = normEmail(email)
	if email == "" {
		return store.Subscriber{}, fmt.Errorf("memstore: empty e-mail")
	}
	if err := s.lock(ctx); err != nil {
		return store.Subscriber{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.byEmail[email]; ok {
		return store.Subscriber{}, fmt.Errorf("subscriber %s: %w", email, store.ErrExists)
	}
	s.nextID++
	sub := store.Subscriber{ID: s.nextID, Email: email, CreatedAt: now.UTC()}
	s.subscribers[sub.ID] = sub
	s.byEmail[email] = sub.ID
	s.subs[sub.ID] = map[string]bool{}
	s.appendAudit(store.AuditEvent{SubscriberID: sub.ID}, audit)
	return sub, nil
}

// subscriber finds one by e-mail; the caller holds s.mu.
func (s *Store) subscriber(email string) (store.Subscriber, error) {
	id, ok := s.byEmail[normEmail(email)]
	if !ok {
		return store.Subscriber{}, fmt.Errorf("subscriber: %w", store.ErrNotFound)
	}
	return s.subscribers[id], nil
}

func (s *Store) Subscriber(ctx context.Context, email string) (store.Subscriber, error) {
	if err := s.lock(ctx); err != nil {
		return store.Subscriber{}, err
	}
	defer s.mu.Unlock()
	return s.subscriber(email)
}

// botsOf returns the sorted bot IDs of a subscriber; the caller holds s.mu.
func (s *Store) botsOf(id int64) []string {
	out := []string{}
	for b := range s.subs[id] {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

func (s *Store) Subscribers(ctx context.Context) ([]store.Principal, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.Principal, 0, len(s.subscribers))
	for _, sub := range s.subscribers {
		out = append(out, store.Principal{Subscriber: sub, Bots: s.botsOf(sub.ID)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Subscriber.Email < out[j].Subscriber.Email })
	return out, nil
}

func (s *Store) setSubscription(ctx context.Context, email, bot string, on bool, audit []store.AuditEvent) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	sub, err := s.subscriber(email)
	if err != nil {
		return err
	}
	if !s.hasBot(bot) {
		return fmt.Errorf("bot %q: %w", bot, store.ErrNotFound)
	}
	if on {
		s.subs[sub.ID][bot] = true
	} else {
		delete(s.subs[sub.ID], bot)
	}
	s.appendAudit(store.AuditEvent{SubscriberID: sub.ID}, audit)
	return nil
}

func (s *Store) Subscribe(ctx context.Context, email, bot string, audit ...store.AuditEvent) error {
	return s.setSubscription(ctx, email, bot, true, audit)
}

func (s *Store) Unsubscribe(ctx context.Context, email, bot string, audit ...store.AuditEvent) error {
	return s.setSubscription(ctx, email, bot, false, audit)
}

func (s *Store) AddToken(ctx context.Context, email string, tokenHash []byte, now time.Time, audit ...store.AuditEvent) error {
	h, err := hashKey(tokenHash)
	if err != nil {
		return err
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	sub, err := s.subscriber(email)
	if err != nil {
		return err
	}
	if _, ok := s.tokens[h]; ok {
		return fmt.Errorf("token: %w", store.ErrExists)
	}
	if _, ok := s.engines[h]; ok {
		return fmt.Errorf("token: %w", store.ErrExists)
	}
	s.nextTokenID++
	s.tokens[h] = &token{subscriberID: sub.ID, id: s.nextTokenID}
	s.appendAudit(store.AuditEvent{SubscriberID: sub.ID}, audit)
	return nil
}

func (s *Store) RevokeTokens(ctx context.Context, email string, now time.Time, audit ...store.AuditEvent) (int, error) {
	if err := s.lock(ctx); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	sub, err := s.subscriber(email)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range s.tokens {
		if t.subscriberID == sub.ID && !t.revoked {
			t.revoked = true
			n++
		}
	}
	s.appendAudit(store.AuditEvent{SubscriberID: sub.ID}, audit)
	return n, nil
}

func (s *Store) Authenticate(ctx context.Context, tokenHash []byte) (store.Principal, error) {
	h, err := hashKey(tokenHash)
	if err != nil {
		return store.Principal{}, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	if err := s.lock(ctx); err != nil {
		return store.Principal{}, err
	}
	defer s.mu.Unlock()
	t, ok := s.tokens[h]
	if !ok || t.revoked {
		return store.Principal{}, fmt.Errorf("token: %w", store.ErrNotFound)
	}
	return store.Principal{Subscriber: s.subscribers[t.subscriberID], TokenID: t.id, Bots: s.botsOf(t.subscriberID)}, nil
}

func (s *Store) AddEngineToken(ctx context.Context, name string, tokenHash []byte, now time.Time, audit ...store.AuditEvent) error {
	h, err := hashKey(tokenHash)
	if err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return fmt.Errorf("memstore: empty engine name")
	}
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.engineNames[name] {
		return fmt.Errorf("engine %q: %w", name, store.ErrExists)
	}
	if _, ok := s.engines[h]; ok {
		return fmt.Errorf("engine token: %w", store.ErrExists)
	}
	if _, ok := s.tokens[h]; ok {
		return fmt.Errorf("engine token: %w", store.ErrExists)
	}
	s.engineNames[name] = true
	s.engines[h] = name
	s.appendAudit(store.AuditEvent{}, audit)
	return nil
}

func (s *Store) AuthenticateEngine(ctx context.Context, tokenHash []byte) (string, error) {
	h, err := hashKey(tokenHash)
	if err != nil {
		return "", fmt.Errorf("engine token: %w", store.ErrNotFound)
	}
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	name, ok := s.engines[h]
	if !ok {
		return "", fmt.Errorf("engine token: %w", store.ErrNotFound)
	}
	return name, nil
}

// copyKey returns k with no memory shared with it, and Email filled.
func (s *Store) copyKey(k store.Key) store.Key {
	k.SealedSecret = slices.Clone(k.SealedSecret)
	if k.LastCheck != nil {
		c := *k.LastCheck
		c.Restrictions = slices.Clone(c.Restrictions)
		k.LastCheck = &c
	}
	k.Email = s.subscribers[k.SubscriberID].Email
	return k
}

func (s *Store) PutKey(ctx context.Context, k store.Key, audit ...store.AuditEvent) (store.PutResult, error) {
	if err := s.lock(ctx); err != nil {
		return store.PutResult{}, err
	}
	defer s.mu.Unlock()
	if _, ok := s.subscribers[k.SubscriberID]; !ok {
		return store.PutResult{}, fmt.Errorf("subscriber %d: %w", k.SubscriberID, store.ErrNotFound)
	}
	if !s.hasBot(k.Bot) {
		return store.PutResult{}, fmt.Errorf("bot %q: %w", k.Bot, store.ErrNotFound)
	}
	id := keyID{k.SubscriberID, k.Bot}
	for other, held := range s.keys {
		if held.APIKey == k.APIKey && other != id {
			return store.PutResult{}, store.ErrKeyInUse
		}
	}
	old, had := s.keys[id]
	if had && old.APIKey == k.APIKey {
		return store.PutResult{Key: s.copyKey(old)}, nil
	}
	k = s.copyKey(k)
	k.RegisteredAt = k.RegisteredAt.UTC()
	k.LastCheck = nil
	s.keys[id] = k
	res := store.PutResult{Key: s.copyKey(k), Created: true}
	if had {
		r := s.copyKey(old)
		res.Replaced = &r
	}
	s.appendAudit(store.AuditEvent{SubscriberID: k.SubscriberID, Action: store.PutAction(res), APIKey: store.MaskAPIKey(k.APIKey)}, audit)
	return res, nil
}

func (s *Store) GetKey(ctx context.Context, subscriberID int64, bot string) (store.Key, error) {
	if err := s.lock(ctx); err != nil {
		return store.Key{}, err
	}
	defer s.mu.Unlock()
	k, ok := s.keys[keyID{subscriberID, bot}]
	if !ok {
		return store.Key{}, fmt.Errorf("key: %w", store.ErrNotFound)
	}
	return s.copyKey(k), nil
}

func (s *Store) ListKeys(ctx context.Context, subscriberID int64) ([]store.Key, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Key{}
	for id, k := range s.keys {
		if id.subscriberID == subscriberID {
			out = append(out, s.copyKey(k))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Bot < out[j].Bot })
	return out, nil
}

func (s *Store) DeleteKey(ctx context.Context, subscriberID int64, bot string, audit ...store.AuditEvent) (store.Key, error) {
	if err := s.lock(ctx); err != nil {
		return store.Key{}, err
	}
	defer s.mu.Unlock()
	id := keyID{subscriberID, bot}
	k, ok := s.keys[id]
	if !ok {
		return store.Key{}, fmt.Errorf("key: %w", store.ErrNotFound)
	}
	delete(s.keys, id)
	s.appendAudit(store.AuditEvent{SubscriberID: subscriberID, APIKey: store.MaskAPIKey(k.APIKey)}, audit)
	return s.copyKey(k), nil
}

func (s *Store) ActiveKeys(ctx context.Context, bot string) ([]store.Key, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := []store.Key{}
	for id, k := range s.keys {
		if bot == "" || id.bot == bot {
			out = append(out, s.copyKey(k))
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].SubscriberID != out[j].SubscriberID {
			return out[i].SubscriberID < out[j].SubscriberID
		}
		return out[i].Bot < out[j].Bot
	})
	return out, nil
}

func (s *Store) RecordCheck(ctx context.Context, subscriberID int64, bot, apiKey string, c store.Check) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	id := keyID{subscriberID, bot}
	k, ok := s.keys[id]
	if !ok || k.APIKey != apiKey {
		return nil // a check of a key no longer registered is about nothing
	}
	c.At = c.At.UTC()
	c.Restrictions = slices.Clone(c.Restrictions)
	k.LastCheck = &c
	s.keys[id] = k
	return nil
}

func (s *Store) ResealKey(ctx context.Context, k store.Key, sealed []byte, vaultKeyID string, audit ...store.AuditEvent) (bool, error) {
	if err := s.lock(ctx); err != nil {
		return false, err
	}
	defer s.mu.Unlock()
	id := keyID{k.SubscriberID, k.Bot}
	held, ok := s.keys[id]
	if !ok || held.APIKey != k.APIKey || held.KeyType != k.KeyType || held.VaultKeyID != k.VaultKeyID ||
		!bytes.Equal(held.SealedSecret, k.SealedSecret) {
		return false, nil
	}
	held.SealedSecret = slices.Clone(sealed)
	held.VaultKeyID = vaultKeyID
	s.keys[id] = held
	s.appendAudit(store.AuditEvent{SubscriberID: k.SubscriberID, Action: store.ActionKeyReseal, APIKey: store.MaskAPIKey(k.APIKey)}, audit)
	return true, nil
}

func (s *Store) VaultKeyCounts(ctx context.Context) (map[string]int, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := map[string]int{}
	for _, k := range s.keys {
		out[k.VaultKeyID]++
	}
	return out, nil
}

func (s *Store) Audit(ctx context.Context, e store.AuditEvent) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	s.appendAudit(store.AuditEvent{}, []store.AuditEvent{e})
	return nil
}

// appendAudit records the events of a change made under the same hold of
// s.mu, completed with the change's defaults (store.AuditEvent.Defaults).
func (s *Store) appendAudit(d store.AuditEvent, events []store.AuditEvent) {
	for _, e := range events {
		e = e.Defaults(d)
		e.At = e.At.UTC()
		s.audit = append(s.audit, e)
	}
}

// AuditLog returns the oldest events first; with limit > 0, the first limit.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]store.AuditEvent, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := slices.Clone(s.audit)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	if out == nil {
		out = []store.AuditEvent{}
	}
	return out, nil
}

func (s *Store) AnnounceNetworkChange(ctx context.Context, c store.NetworkChange, audit ...store.AuditEvent) (store.NetworkChange, error) {
	if err := s.lock(ctx); err != nil {
		return store.NetworkChange{}, err
	}
	defer s.mu.Unlock()
	s.nextNetID++
	c.ID = s.nextNetID
	c.Add, c.Remove = append([]string{}, c.Add...), append([]string{}, c.Remove...)
	c.EffectiveAt, c.AnnouncedAt = c.EffectiveAt.UTC().Truncate(time.Microsecond), c.AnnouncedAt.UTC().Truncate(time.Microsecond)
	s.network = append(s.network, c)
	s.appendAudit(store.AuditEvent{}, audit)
	return cloneChange(c), nil
}

func (s *Store) NetworkChanges(ctx context.Context) ([]store.NetworkChange, error) {
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	out := make([]store.NetworkChange, 0, len(s.network))
	for _, c := range s.network {
		out = append(out, cloneChange(c))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].EffectiveAt.Equal(out[j].EffectiveAt) {
			return out[i].EffectiveAt.Before(out[j].EffectiveAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (s *Store) WithdrawNetworkChange(ctx context.Context, id int64, audit ...store.AuditEvent) error {
	if err := s.lock(ctx); err != nil {
		return err
	}
	defer s.mu.Unlock()
	for i, c := range s.network {
		if c.ID == id {
			s.network = slices.Delete(s.network, i, i+1)
			s.appendAudit(store.AuditEvent{}, audit)
			return nil
		}
	}
	return fmt.Errorf("network change %d: %w", id, store.ErrNotFound)
}

func cloneChange(c store.NetworkChange) store.NetworkChange {
	c.Add, c.Remove = slices.Clone(c.Add), slices.Clone(c.Remove)
	return c
}
