package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestBearer(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", ""},
		{"Bearer srx_abc", "srx_abc"},
		{"bearer  srx_abc ", "srx_abc"},
		{"Basic dXNlcjpwYXNz", ""},
		{"Bearer", ""},
		{"Bearer a b", ""},
		{"Bearer caf\u00e9", ""},
		{"Bearer " + strings.Repeat("a", maxTokenLen+1), ""},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", tc.header)
		if got := bearer(r); got != tc.want {
			t.Errorf("bearer(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || !strings.HasPrefix(a, "srx_") || len(a) != 4+43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("tokens %q %q", a, b)
	}
	if string(HashToken(a)) == string(HashToken(b)) || len(HashToken(a)) != 32 {
		t.Error("HashToken")
	}
}

func TestMaskingForLogs(t *testing.T) {
	key := strings.Repeat("A", 30) + strings.Repeat("b", 34)
	for _, tc := range []struct {
		in        string
		scrub     []string
		want      string
		forbidden []string
	}{
		{"short", nil, "short", nil},
		{"row (api_key)=(" + key + ")", nil, "row (api_key)=(AAAA…bbbb)", []string{key}},
		{"user ada@example.com exists", nil, "user …@… exists", []string{"ada@example.com"}},
		{"name=bob", []string{"bob"}, "name=bob", nil}, // too short to scrub alone
		{"name=bobby", []string{"bobby"}, "name=…", []string{"bobby"}},
		{"token srx_" + strings.Repeat("x-_9", 10), nil, "token srx_…x-_9", []string{strings.Repeat("x-_9", 3)}},
	} {
		got := errAttr(errors.New(tc.in), tc.scrub...).Value.String()
		if got != tc.want {
			t.Errorf("errAttr(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, f := range tc.forbidden {
			if strings.Contains(got, f) {
				t.Errorf("errAttr(%q) kept %q", tc.in, f)
			}
		}
	}
	if MaskAPIKey(key) != "AAAA…bbbb" || MaskAPIKey("short") != "…" {
		t.Error("MaskAPIKey")
	}
}

func TestLimiter(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLimiter(RateLimit{Rate: 2, Burst: 2}, c.Now)
	steps := []struct {
		advance time.Duration
		id      string
		ok      bool
		wait    time.Duration
	}{
		{0, "a", true, 0},
		{0, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond},
		{0, "b", true, 0},
		{250 * time.Millisecond, "a", false, 250 * time.Millisecond},
		{250 * time.Millisecond, "a", true, 0},
		{time.Hour, "a", true, 0}, // refills to the burst, no more
		{0, "a", true, 0},
		{0, "a", false, 500 * time.Millisecond},
	}
	for i, s := range steps {
		c.Add(s.advance)
		ok, wait := l.allow(s.id)
		if ok != s.ok || wait != s.wait {
			t.Errorf("step %d: allow = %v, %v; want %v, %v", i, ok, wait, s.ok, s.wait)
		}
	}
	if retryAfterSeconds(10*time.Millisecond) != 1 || retryAfterSeconds(1500*time.Millisecond) != 2 {
		t.Error("retryAfterSeconds")
	}
}

func TestLimiterEmptyTakesNothing(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLimiter(RateLimit{Rate: 1, Burst: 2}, c.Now)
	if empty, _ := l.empty("a"); empty {
		t.Fatal("an unseen key is empty")
	}
	if len(l.buckets) != 0 {
		t.Fatal("empty made a bucket")
	}
	for range 5 {
		if empty, _ := l.empty("a"); empty {
			t.Fatal("empty took from the bucket")
		}
	}
	l.allow("a")
	l.allow("a")
	if empty, wait := l.empty("a"); !empty || wait != time.Second {
		t.Fatalf("drained bucket: empty = %v, %v", empty, wait)
	}
	c.Add(time.Second)
	if empty, _ := l.empty("a"); empty {
		t.Fatal("the bucket did not refill")
	}
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("the refilled request was refused")
	}
}

func TestLimiterBounded(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLimiter(RateLimit{Rate: 1, Burst: 10}, c.Now)
	l.max = 3
	for _, id := range []string{"a", "b", "c"} {
		if ok, _ := l.allow(id); !ok {
			t.Fatalf("%s refused", id)
		}
	}
	// Full: a new key is refused, the known ones still served.
	if ok, wait := l.allow("d"); ok || wait != time.Second {
		t.Fatalf("a key past the bound: %v, %v", ok, wait)
	}
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("a known key was refused")
	}
	if len(l.buckets) != 3 {
		t.Fatalf("%d buckets, bound 3", len(l.buckets))
	}
	// Once the buckets have refilled, a sweep makes room.
	c.Add(2 * time.Second)
	if ok, _ := l.allow("d"); !ok {
		t.Fatal("no room after the buckets refilled")
	}
	if len(l.buckets) != 1 {
		t.Fatalf("%d buckets after the sweep, want 1", len(l.buckets))
	}
}

func TestLimiterSweepsIdleBuckets(t *testing.T) {
	c := &clock{t: time.Unix(0, 0)}
	l := newLimiter(RateLimit{Rate: 1, Burst: 1}, c.Now)
	for i := range sweepAbove {
		l.allow(strconv.Itoa(i))
	}
	// None has refilled: the sweep frees nothing, and the next one waits
	// until the map has doubled.
	l.allow("new")
	if len(l.buckets) != sweepAbove+1 || l.sweepAt != 2*sweepAbove {
		t.Fatalf("%d buckets, next sweep at %d", len(l.buckets), l.sweepAt)
	}
	c.Add(time.Second)
	for i := range sweepAbove {
		l.allow("again" + strconv.Itoa(i))
	}
	// At 2×sweepAbove the first 10001, refilled, went; the new ones stay.
	if len(l.buckets) != sweepAbove || l.buckets["0"] != nil || l.buckets["again0"] == nil {
		t.Fatalf("%d buckets: the refilled ones were not swept", len(l.buckets))
	}
}
