package servicetest

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
)

// Network is the service's side of IP-locked keys: what GET /v1/network
// publishes, and where the service checks keys with Binance from.
type Network struct {
	IPLock    string   // "required", "recommended" or "off"
	EgressIPs []string // published addresses; seen_from is the first unless SourceAddr is set
	// BinanceURL is the Binance the service checks keys with.
	BinanceURL string
	// SourceAddr, when set, is the local address the service calls
	// Binance from (a loopback alias such as 127.0.0.2 on Linux).
	SourceAddr string
}

// SetNetwork gives the service n: the handler is rebuilt with it, on the
// same store and vault key. Call it before the service gets requests.
func (s *Server) SetNetwork(n Network) error {
	cfg := server.Config{Now: s.clock, RateLimit: server.RateLimit{Rate: rateLimit, Burst: rateBurst},
		NoAddressLimit: true, IPLock: n.IPLock, BinanceURL: n.BinanceURL}
	for _, ip := range n.EgressIPs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return fmt.Errorf("servicetest: egress address: %w", err)
		}
		cfg.EgressIPs = append(cfg.EgressIPs, a)
	}
	if n.SourceAddr != "" {
		a, err := netip.ParseAddr(n.SourceAddr)
		if err != nil {
			return fmt.Errorf("servicetest: source address: %w", err)
		}
		cfg.BinanceSourceAddr = a
	}
	if err := server.CheckNetwork(cfg.EgressIPs, cfg.IPLock); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handler = server.New(cfg, s.store, s.vault, nil)
	return nil
}

// CheckKeys runs the service's periodic check once, over every stored key,
// and returns how many it checked.
func (s *Server) CheckKeys(ctx context.Context) (int, error) {
	s.mu.Lock()
	h := s.handler
	s.mu.Unlock()
	return h.CheckKeys(ctx, 0)
}

// Announce stores an announced change of the service's addresses, which
// GET /v1/network publishes until effective.
func (s *Server) Announce(add, remove []string, effective time.Time) error {
	_, err := s.store.AnnounceNetworkChange(context.Background(), store.NetworkChange{
		Add: add, Remove: remove, EffectiveAt: effective.UTC(), AnnouncedAt: s.clock().UTC()})
	return err
}
