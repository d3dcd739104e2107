// Package store is the storage of smartradexd: subscribers, their access
// tokens, the bot catalogue, subscriptions, registered Binance keys (with
// their secrets in sealed form only), engine tokens and the audit trail.
//
// One interface, three implementations: memstore (in memory, for tests and
// the sandbox), sqlitestore (the embedded default) and pgstore (PostgreSQL,
// for several replicas). The same conformance suite (storetest) runs against
// each. Nothing here ever holds a secret in clear: tokens are stored as their
// SHA-256, Binance secrets as HPKE-sealed bytes (internal/seal).
package store

import (
	"context"
	"errors"
	"time"
)

// Actions PutKey gives the audit events that have none.
const (
	ActionKeyRegister = "key.register"
	ActionKeyReplace  = "key.replace"
	ActionKeyReseal   = "key.reseal"
)

// PutAction is the audit action of a PutKey that changed something.
func PutAction(res PutResult) string {
	if res.Replaced != nil {
		return ActionKeyReplace
	}
	return ActionKeyRegister
}

// Errors every implementation returns for the same conditions; callers
// compare with errors.Is.
var (
	// ErrNotFound: no such subscriber, bot, token, engine or key.
	ErrNotFound = errors.New("not found")
	// ErrExists: the subscriber, token or engine name already exists.
	ErrExists = errors.New("already exists")
	// ErrKeyInUse: the API key is registered for another (subscriber, bot).
	ErrKeyInUse = errors.New("api key registered for another bot")
	// ErrUnavailable: the database cannot be reached or is read-only/full;
	// the server answers 503 and nothing was written.
	ErrUnavailable = errors.New("database unavailable")
)

// Subscriber is one SmartradeX account.
type Subscriber struct {
	ID        int64
	Email     string // unique, stored lower-case
	CreatedAt time.Time
}

// Bot is one entry of the bot catalogue (seeded with btc-spot and eth-spot).
type Bot struct {
	ID    string // "btc-spot"
	Name  string // "BOT BTC Spot"
	Label string // the API-key label suggested on Binance
}

// Principal is who a subscriber access token belongs to.
type Principal struct {
	Subscriber Subscriber
	TokenID    int64
	Bots       []string // the bot IDs the subscriber is subscribed to, sorted
}

// Key is a registered Binance key of one subscriber for one bot.
type Key struct {
	SubscriberID int64
	Email        string // filled by reads, ignored by PutKey
	Bot          string
	APIKey       string
	KeyType      string // HMAC, ED25519 or RSA
	Label        string
	SealedSecret []byte // enc ‖ ciphertext, sealed to VaultKeyID
	VaultKeyID   string
	RegisteredAt time.Time
	LastCheck    *Check // nil until the key has been checked by the service
}

// Check is the outcome of the service checking a key with Binance.
type Check struct {
	At          time.Time
	SeenFrom    string // the address the service called Binance from
	Outcome     string // "ok", "refused", "deleted", "unreachable"
	BinanceCode int    // Binance's error code, 0 when none
	// Restrictions is Binance's raw apiRestrictions JSON object, when read.
	Restrictions []byte
	UID          int64
}

// NetworkChange is an announced change of the addresses the service calls
// Binance from: subscribers add the new addresses to their keys before
// EffectiveAt.
type NetworkChange struct {
	ID          int64
	Add, Remove []string // canonical addresses, at most 30 each
	EffectiveAt time.Time
	AnnouncedAt time.Time
}

// PutResult tells what PutKey did.
type PutResult struct {
	Key Key
	// Created is false when the same api_key was already registered for this
	// subscriber and bot: the stored key (and its RegisteredAt) is returned
	// unchanged.
	Created bool
	// Replaced is the key that was replaced, if any (another api_key).
	Replaced *Key
}

// AuditEvent is one line of the audit trail. It never holds a secret, a
// token or a sealed secret; APIKey is stored masked by the caller.
type AuditEvent struct {
	At           time.Time
	Actor        string // "subscriber:<email>", "engine:<name>", "admin"
	Action       string // "key.register", "key.replace", "key.remove", "token.issue", ...
	SubscriberID int64  // 0 when not about a subscriber
	Bot          string
	APIKey       string // masked
	RemoteAddr   string
}

// Defaults returns e with its empty SubscriberID, Action and APIKey taken
// from d: how a change completes the events handed to it.
func (e AuditEvent) Defaults(d AuditEvent) AuditEvent {
	if e.SubscriberID == 0 {
		e.SubscriberID = d.SubscriberID
	}
	if e.Action == "" {
		e.Action = d.Action
	}
	if e.APIKey == "" {
		e.APIKey = d.APIKey
	}
	return e
}

// MaskAPIKey shows the first and last four characters of an API key, never
// more: what logs and the audit trail hold of it.
func MaskAPIKey(k string) string {
	if len(k) < 12 {
		return "…"
	}
	return k[:4] + "…" + k[len(k)-4:]
}

// Store is what smartradexd needs from its database. Every method is safe
// for concurrent use, by several goroutines and by several processes over
// one database (PostgreSQL replicas, or admin commands beside serve).
// Methods that change two rows do so in one transaction.
//
// The methods that change something take the audit events recording the
// change (audit ...AuditEvent) and append them in the change's own
// transaction: the trail holds an event if and only if its change was
// made. An event's SubscriberID, when 0, is set to the subscriber the change
// is about (for AddSubscriber, the new one).
type Store interface {
	// Migrate applies pending migrations (idempotent; safe to run from
	// several processes at once) and seeds the bot catalogue.
	Migrate(ctx context.Context) error
	// Ping tells whether the database can be used (for /readyz).
	Ping(ctx context.Context) error
	Close() error

	// Bots returns the catalogue, sorted by ID.
	Bots(ctx context.Context) ([]Bot, error)

	// AddSubscriber creates a subscriber; ErrExists if the e-mail is taken.
	AddSubscriber(ctx context.Context, email string, now time.Time, audit ...AuditEvent) (Subscriber, error)
	// Subscriber finds one by e-mail (case-insensitive); ErrNotFound.
	Subscriber(ctx context.Context, email string) (Subscriber, error)
	// Subscribers lists every subscriber with their bots, by e-mail.
	Subscribers(ctx context.Context) ([]Principal, error)
	// Subscribe and Unsubscribe are idempotent (their audit events are
	// written whenever they succeed); ErrNotFound for an unknown subscriber
	// or bot.
	Subscribe(ctx context.Context, email, bot string, audit ...AuditEvent) error
	Unsubscribe(ctx context.Context, email, bot string, audit ...AuditEvent) error

	// AddToken stores the SHA-256 of a new subscriber token.
	AddToken(ctx context.Context, email string, tokenHash []byte, now time.Time, audit ...AuditEvent) error
	// RevokeTokens revokes every token of the subscriber; it returns how many.
	RevokeTokens(ctx context.Context, email string, now time.Time, audit ...AuditEvent) (int, error)
	// Authenticate finds the subscriber of a live token by its SHA-256;
	// ErrNotFound for an unknown or revoked token.
	Authenticate(ctx context.Context, tokenHash []byte) (Principal, error)

	// AddEngineToken stores the SHA-256 of a trading engine's token under a
	// unique name; ErrExists if the name is taken.
	AddEngineToken(ctx context.Context, name string, tokenHash []byte, now time.Time, audit ...AuditEvent) error
	// AuthenticateEngine returns the engine's name; ErrNotFound.
	AuthenticateEngine(ctx context.Context, tokenHash []byte) (string, error)

	// PutKey registers k for (k.SubscriberID, k.Bot) in one transaction:
	// the same APIKey again is a no-op (Created false, original key
	// returned); an APIKey registered for any other (subscriber, bot) is
	// ErrKeyInUse and changes nothing; otherwise it replaces the bot's key.
	// Concurrent PutKey calls with the same arguments all succeed with the
	// same result. The audit events are written only when a key is
	// registered or replaced (Created); an event with an empty Action is
	// given "key.register" or "key.replace" by what PutKey did, one with an
	// empty APIKey the new key, masked.
	PutKey(ctx context.Context, k Key, audit ...AuditEvent) (PutResult, error)
	// GetKey returns the key of a subscriber's bot; ErrNotFound.
	GetKey(ctx context.Context, subscriberID int64, bot string) (Key, error)
	// ListKeys returns the subscriber's keys, by bot.
	ListKeys(ctx context.Context, subscriberID int64) ([]Key, error)
	// DeleteKey removes the key of a subscriber's bot and returns it;
	// ErrNotFound when there was none (and no audit event is written). An
	// event with an empty APIKey gets the removed key's, masked.
	DeleteKey(ctx context.Context, subscriberID int64, bot string, audit ...AuditEvent) (Key, error)
	// ActiveKeys returns every registered key, of one bot ("" for all), by
	// subscriber then bot: for the trading engine and the periodic check.
	ActiveKeys(ctx context.Context, bot string) ([]Key, error)
	// RecordCheck stores the last check of a key, if that key is still the
	// one registered for (subscriberID, bot) with this apiKey.
	RecordCheck(ctx context.Context, subscriberID int64, bot, apiKey string, c Check) error
	// ResealKey stores sealed, sealed to vaultKeyID, as the secret of the
	// key registered for (k.SubscriberID, k.Bot), if that row still holds
	// exactly k as read: the same APIKey, KeyType, VaultKeyID and
	// SealedSecret (compare and swap). It reports whether it changed the
	// row; false, nil when the key was replaced, removed or resealed since
	// it was read. Nothing else of the key changes (label, registration
	// time, last check). The audit events are written only when the row
	// changed; an event with an empty Action is given "key.reseal", one
	// with an empty APIKey the key's, masked.
	ResealKey(ctx context.Context, k Key, sealed []byte, vaultKeyID string, audit ...AuditEvent) (bool, error)
	// VaultKeyCounts returns how many registered keys are sealed to each
	// vault key ID (keys with no key sealed to them are absent).
	VaultKeyCounts(ctx context.Context) (map[string]int, error)

	// AnnounceNetworkChange stores an announced address change and returns
	// it with its ID.
	AnnounceNetworkChange(ctx context.Context, c NetworkChange, audit ...AuditEvent) (NetworkChange, error)
	// NetworkChanges returns every announced change, by EffectiveAt then ID.
	NetworkChanges(ctx context.Context) ([]NetworkChange, error)
	// WithdrawNetworkChange removes an announcement; ErrNotFound.
	WithdrawNetworkChange(ctx context.Context, id int64, audit ...AuditEvent) error

	// Audit appends an event that records no change of this store (a
	// change's events go with the change).
	Audit(ctx context.Context, e AuditEvent) error
	// AuditLog returns events, oldest first, at most limit (0: all).
	AuditLog(ctx context.Context, limit int) ([]AuditEvent, error)
}
