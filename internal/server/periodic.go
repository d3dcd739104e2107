package server

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// periodicConcurrency bounds the periodic checks running at once; they
// start at most one every Config.CheckPace. A check costs Binance's weight
// 21 (apiRestrictions 1, account 20) against 6000 per minute per address.
const periodicConcurrency = 4

// CheckKeys checks every stored key again from the service's address and
// records each outcome as the key's last_check. A key checked less than
// fresh ago (by a live read, a PUT or another replica's periodic check) is
// skipped, so that replicas sharing a database share the work rather than
// repeat it. It returns how many keys it checked.
func (s *Server) CheckKeys(ctx context.Context, fresh time.Duration) (int, error) {
	keys, err := s.store.ActiveKeys(ctx, "")
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, periodicConcurrency)
	pace := time.NewTicker(s.cfg.CheckPace)
	defer pace.Stop()
	var wg sync.WaitGroup
	n := 0
	now := s.now()
	for _, k := range keys {
		if k.LastCheck != nil && now.Sub(k.LastCheck.At) < fresh {
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return n, ctx.Err()
		}
		if n > 0 {
			select {
			case <-pace.C:
			case <-ctx.Done():
				<-sem
				wg.Wait()
				return n, ctx.Err()
			}
		}
		n++
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			s.recheck(cctx, k, "periodic")
		}()
	}
	wg.Wait()
	return n, nil
}

// RunChecks runs CheckKeys every interval (±10 %, so that replicas started
// together drift apart) until ctx ends. Keys checked within the last half
// interval are skipped.
func (s *Server) RunChecks(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		return
	}
	for {
		wait := interval + time.Duration((rand.Float64()*0.2-0.1)*float64(interval)) //nolint:gosec // jitter needs no unpredictability
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if s.held.Load() {
			continue
		}
		start := time.Now()
		n, err := s.CheckKeys(ctx, interval/2)
		if err != nil && ctx.Err() == nil {
			s.log.Error("periodic check failed", errAttr(err))
			continue
		}
		s.log.Info("periodic check done", "keys", n, "duration_ms", time.Since(start).Milliseconds())
	}
}
