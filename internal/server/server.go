// Package server is smartradexd's HTTP handler: the v1 contract of
// docs/service-api.md served from a store.Store, with sealed Binance
// secrets (internal/seal), the trading engine's endpoint, health, metrics,
// per-token and per-address rate limits, request logs and the audit trail.
//
// A secret exists in clear here only in memory, for the time it takes to
// check its shape; the store receives it sealed. Tokens are looked up by
// their SHA-256. Logs and metrics carry route patterns, never a path, a
// query string, a header, a body, a token or a full API key.
package server

import (
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
)

// Config holds the service's settings. The zero value is usable: every
// field has a default.
type Config struct {
	// Now is the clock; default time.Now. Times are kept in UTC, to the second.
	Now func() time.Time
	// RateLimit limits each token's requests; zero fields take the defaults.
	RateLimit RateLimit
	// AddressLimit limits, per client address (an IPv6 client by its /64),
	// the requests made without a valid token: the public endpoints' and
	// every failed authentication. Zero fields take the defaults (5 per
	// second, 60 in a burst); NoAddressLimit turns it off. /healthz,
	// /readyz and /metrics are never limited.
	AddressLimit   RateLimit
	NoAddressLimit bool
	// TrustedProxies are the peers whose X-Forwarded-For (or Forwarded)
	// names the client; empty trusts no header (see clientOf).
	TrustedProxies []netip.Prefix
	// MaxBody caps a request body; default 64 KiB, as the contract says.
	MaxBody int64
	// RequestTimeout bounds the database work of one request; default 10 s,
	// under the CLI's 15 s per attempt. Past it the answer is 503.
	RequestTimeout time.Duration

	// The network settings of IP-locked keys: the egress addresses and
	// ip_lock published by GET /v1/network, the Binance URL the service
	// checks keys with, and the local address it calls Binance from.
	BinanceURL        string
	EgressIPs         []netip.Addr
	IPLock            string // "required", "recommended" or "off"
	BinanceSourceAddr netip.Addr
	// Inspector asks Binance about keys; nil builds one from BinanceURL and
	// BinanceSourceAddr (see NewInspector).
	Inspector Inspector
	// CheckBudget bounds the checks with Binance made while a client waits
	// (POST …/checks, a checking PUT, live reads), for the whole process:
	// each costs 21 of Binance's 6000 request weight per minute per
	// address, which the trading engine needs too. Default 1 per second,
	// 20 in a burst. Beyond, POST and PUT answer 429; a live read answers
	// the stored last_check.
	CheckBudget RateLimit
	// CheckPace is the least time between two starts of periodic checks;
	// default 1 s (at most 60 checks, 1260 weight, a minute).
	CheckPace time.Duration

	// PreviousVaultKeys are vault keys retired by a rotation: the periodic
	// and live checks open the secrets still sealed to them, until
	// `smartradexd vault-key reseal` has sealed those again to the current
	// key. They are never published, and a PUT sealed to one is refused
	// (409 vault_key_changed) as before.
	PreviousVaultKeys []*seal.PrivateKey
}

// RateLimit is a token bucket per access token (subscriber or engine) or
// per client address, kept in this process's memory: with several replicas
// each allows the rate, so a client spread over n replicas may reach n
// times it.
type RateLimit struct {
	Rate  float64 // requests per second, refilled continuously; default 5
	Burst int     // bucket size; default 30
}

const (
	defaultMaxBody = 64 << 10
	defaultTimeout = 10 * time.Second
	defaultRate    = 5
	defaultBurst   = 30

	defaultAddressRate  = 5
	defaultAddressBurst = 60
	// maxAddressBuckets bounds the address limiter's memory (some 15 MB):
	// past it, a new address is refused until idle buckets are swept.
	maxAddressBuckets = 100000

	defaultCheckRate  = 1
	defaultCheckBurst = 20
	defaultCheckPace  = time.Second
)

// Server is the service's http.Handler. Build it with New.
type Server struct {
	cfg   Config
	store store.Store
	vault atomic.Pointer[seal.PrivateKey]
	// previous holds Config.PreviousVaultKeys by key ID; read-only.
	previous map[string]*seal.PrivateKey
	log      *slog.Logger
	metrics  *metrics
	limiter  *limiter
	// addrLimiter is AddressLimit's buckets; nil when it is off.
	addrLimiter *limiter
	// forwardIgnored is set once a peer that is not trusted has sent a
	// forwarded header (logged once: a proxy missing from TrustedProxies).
	forwardIgnored atomic.Bool
	mux            *http.ServeMux
	draining       atomic.Bool
	held           atomic.Bool
	handler        http.Handler

	inspector Inspector
	// network caches the announced changes last read, for when the
	// database cannot answer GET /v1/network.
	network networkCache
	// checkBudget is CheckBudget's bucket (one, for the process).
	checkBudget *limiter
}

// New returns the handler serving st, opening sealed secrets with vault.
// A nil logger discards the logs.
func New(cfg Config, st store.Store, vault *seal.PrivateKey, logger *slog.Logger) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = defaultMaxBody
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = defaultTimeout
	}
	if cfg.RateLimit.Rate <= 0 {
		cfg.RateLimit.Rate = defaultRate
	}
	if cfg.RateLimit.Burst <= 0 {
		cfg.RateLimit.Burst = defaultBurst
	}
	if cfg.AddressLimit.Rate <= 0 {
		cfg.AddressLimit.Rate = defaultAddressRate
	}
	if cfg.AddressLimit.Burst <= 0 {
		cfg.AddressLimit.Burst = defaultAddressBurst
	}
	if cfg.CheckBudget.Rate <= 0 {
		cfg.CheckBudget.Rate = defaultCheckRate
	}
	if cfg.CheckBudget.Burst <= 0 {
		cfg.CheckBudget.Burst = defaultCheckBurst
	}
	if cfg.CheckPace <= 0 {
		cfg.CheckPace = defaultCheckPace
	}
	if cfg.IPLock == "" {
		cfg.IPLock = "off"
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:         cfg,
		store:       st,
		log:         logger,
		metrics:     newMetrics(),
		limiter:     newLimiter(cfg.RateLimit, cfg.Now),
		checkBudget: newLimiter(cfg.CheckBudget, cfg.Now),
		mux:         http.NewServeMux(),
		previous:    map[string]*seal.PrivateKey{},
	}
	for _, k := range cfg.PreviousVaultKeys {
		if k != nil {
			s.previous[k.Public().ID()] = k
		}
	}
	if !cfg.NoAddressLimit {
		s.addrLimiter = newLimiter(cfg.AddressLimit, cfg.Now)
		s.addrLimiter.max = maxAddressBuckets
	}
	s.inspector = cfg.Inspector
	if s.inspector == nil {
		insp, err := NewInspector(cfg.BinanceURL, cfg.BinanceSourceAddr)
		if err != nil {
			// smartradexd checks the URL before it gets here; a check
			// without a client is answered as Binance unreachable.
			logger.Error("no Binance client for the key checks", "error", err.Error())
		} else {
			s.inspector = insp
		}
	}
	s.vault.Store(vault)
	s.routes()
	s.handler = s.observe(s.mux)
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// SetVaultKey replaces the vault key, for a rotation without a restart (and
// for tests): from now on GET /v1/vault-key publishes the new key, and a PUT
// sealed to the old one is 409 vault_key_changed.
func (s *Server) SetVaultKey(k *seal.PrivateKey) { s.vault.Store(k) }

// Where the vault key a secret is sealed to stands, as the checks and the
// metrics name it.
const (
	vaultCurrent  = "current"
	vaultPrevious = "previous" // one of Config.PreviousVaultKeys
	vaultOther    = "other"    // a key this process does not hold
)

// vaultKeyFor returns the key that opens a secret sealed to the vault key
// id, and where that key stands; nil for a key this process does not hold.
func (s *Server) vaultKeyFor(id string) (*seal.PrivateKey, string) {
	if cur := s.vault.Load(); cur != nil && cur.Public().ID() == id {
		return cur, vaultCurrent
	}
	if k, ok := s.previous[id]; ok {
		return k, vaultPrevious
	}
	return nil, vaultOther
}

// Hold makes every request that needs the database answer 503 unavailable,
// and /readyz fail, until Release: for a database that could not be
// migrated at start because it was unreachable.
func (s *Server) Hold() { s.held.Store(true) }

// Release ends Hold.
func (s *Server) Release() { s.held.Store(false) }

// Drain makes /readyz fail from now on, so that a load balancer stops
// sending requests before the process shuts down. Requests are still served.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Second) }
