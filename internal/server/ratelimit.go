package server

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per key (a credential, a client address), in
// this process's memory.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time
	// max bounds the buckets (0: no bound). A key that would make one more
	// while every bucket is in use is refused, as a full bucket would be.
	max int

	mu      sync.Mutex
	buckets map[string]*bucket
	// sweepAt is the number of buckets at which idle full ones are dropped
	// next; it doubles while a sweep frees little, so that a flood of new
	// keys costs amortised constant time, not a scan each.
	sweepAt int
	swept   time.Time // the last sweep
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepAbove is the number of buckets above which idle full ones are
// dropped, so memory stays bounded by the active keys.
const sweepAbove = 10000

func newLimiter(rl RateLimit, now func() time.Time) *limiter {
	return &limiter{rate: rl.Rate, burst: float64(rl.Burst), now: now, buckets: map[string]*bucket{}, sweepAt: sweepAbove}
}

// allow takes one request from id's bucket. When the bucket is empty it
// returns false and how long until a request is allowed again.
func (l *limiter) allow(id string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		full := l.max > 0 && len(l.buckets) >= l.max
		if len(l.buckets) >= l.sweepAt || full && now.Sub(l.swept) >= time.Second {
			l.sweep(now)
			l.swept = now
			l.sweepAt = max(sweepAbove, 2*len(l.buckets))
		}
		if l.max > 0 && len(l.buckets) >= l.max {
			return false, l.refill(1)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	l.fill(b, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, l.refill(1 - b.tokens)
}

// empty tells whether id's bucket holds less than one request now, and the
// wait until it holds one, without taking from it or making it.
func (l *limiter) empty(id string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		return false, 0
	}
	l.fill(b, now)
	if b.tokens >= 1 {
		return false, 0
	}
	return true, l.refill(1 - b.tokens)
}

// fill adds what the bucket earned since it was last used; the caller
// holds l.mu.
func (l *limiter) fill(b *bucket, now time.Time) {
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
	}
	b.last = now
}

func (l *limiter) refill(tokens float64) time.Duration {
	return time.Duration(tokens / l.rate * float64(time.Second))
}

// sweep drops the buckets that have refilled; the caller holds l.mu.
func (l *limiter) sweep(now time.Time) {
	for id, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, id)
		}
	}
}

// retryAfterSeconds rounds a wait up to whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return s
}
