package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/server/store"
)

// MaxEgressIPs is Binance's limit of trusted addresses per key: SmartradeX
// cannot ask a subscriber to list more.
const MaxEgressIPs = 30

// CheckNetwork checks the network settings: a known ip_lock, at most
// MaxEgressIPs distinct unicast egress addresses, and some when keys are
// to be locked to them.
func CheckNetwork(egress []netip.Addr, ipLock string) error {
	if !policy.ValidIPLock(ipLock) {
		return fmt.Errorf("ip_lock must be required, recommended or off, not %q", ipLock)
	}
	if len(egress) > MaxEgressIPs {
		return fmt.Errorf("%d egress addresses: Binance accepts at most %d per key", len(egress), MaxEgressIPs)
	}
	seen := map[netip.Addr]bool{}
	for _, a := range egress {
		a = a.Unmap()
		if !a.IsValid() || a.IsUnspecified() || a.IsMulticast() || a.Zone() != "" {
			return fmt.Errorf("%s is not an address Binance can see a call from", a)
		}
		if seen[a] {
			return fmt.Errorf("%s is given twice", a)
		}
		seen[a] = true
	}
	if (ipLock == policy.IPLockRequired || ipLock == policy.IPLockRecommended) && len(egress) == 0 {
		return errors.New("ip_lock " + ipLock + " needs the egress addresses keys are locked to")
	}
	return nil
}

type networkChangeBody struct {
	Add         []string  `json:"add"`
	Remove      []string  `json:"remove"`
	EffectiveAt time.Time `json:"effective_at"`
}

type networkBody struct {
	EgressIPs []string            `json:"egress_ips"`
	IPLock    string              `json:"ip_lock"`
	Changes   []networkChangeBody `json:"changes"`
}

// networkCache keeps the announced changes last read from the store.
type networkCache struct {
	mu      sync.Mutex
	changes []store.NetworkChange
	ok      bool
}

// networkChanges reads the announced changes; when the database cannot
// answer, the ones last read (if any) stand in, since they change rarely
// and a registration should not fail for want of them.
func (s *Server) networkChanges(ctx context.Context) ([]store.NetworkChange, error) {
	var list []store.NetworkChange
	var err error
	if s.held.Load() {
		err = store.ErrUnavailable
	} else {
		list, err = s.store.NetworkChanges(ctx)
	}
	s.network.mu.Lock()
	defer s.network.mu.Unlock()
	if err == nil {
		s.network.changes, s.network.ok = list, true
		return list, nil
	}
	if s.network.ok {
		return s.network.changes, nil
	}
	return nil, err
}

func (s *Server) handleNetwork() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		changes, err := s.networkChanges(r.Context())
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		now := s.now()
		body := networkBody{EgressIPs: make([]string, 0, len(s.cfg.EgressIPs)), IPLock: s.cfg.IPLock, Changes: []networkChangeBody{}}
		for _, a := range s.cfg.EgressIPs {
			body.EgressIPs = append(body.EgressIPs, a.Unmap().String())
		}
		for _, c := range changes {
			if !c.EffectiveAt.After(now) {
				continue
			}
			body.Changes = append(body.Changes, networkChangeBody{Add: nonNil(c.Add), Remove: nonNil(c.Remove), EffectiveAt: c.EffectiveAt.UTC()})
		}
		encode(w, http.StatusOK, body)
	})
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}
