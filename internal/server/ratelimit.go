package server

import (
	"math"
	"sync"
	"time"
)

// limiter is a token bucket per credential, in this process's memory.
type limiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepAbove is the number of buckets above which idle full ones are
// dropped, so memory stays bounded by the active credentials.
const sweepAbove = 10000

func newLimiter(rl RateLimit, now func() time.Time) *limiter {
	return &limiter{rate: rl.Rate, burst: float64(rl.Burst), now: now, buckets: map[string]*bucket{}}
}

// allow takes one request from id's bucket. When the bucket is empty it
// returns false and how long until a request is allowed again.
func (l *limiter) allow(id string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[id]
	if !ok {
		if len(l.buckets) >= sweepAbove {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
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
