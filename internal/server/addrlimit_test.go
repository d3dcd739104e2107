package server

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
)

// countingAuth counts the token lookups that reach the store.
type countingAuth struct {
	store.Store
	lookups atomic.Int64
}

func (c *countingAuth) Authenticate(ctx context.Context, h []byte) (store.Principal, error) {
	c.lookups.Add(1)
	return c.Store.Authenticate(ctx, h)
}

func (c *countingAuth) AuthenticateEngine(ctx context.Context, h []byte) (string, error) {
	c.lookups.Add(1)
	return c.Store.AuthenticateEngine(ctx, h)
}

// addressLimit sets a small per-address limit: 3 in a burst, one every 2 s.
func addressLimit(trusted ...string) envOption {
	return withConfig(func(c *Config) {
		c.AddressLimit = RateLimit{Rate: 0.5, Burst: 3}
		for _, s := range trusted {
			c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix(s))
		}
	})
}

// from is the header a trusted proxy on loopback adds for client addr.
func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

func isLimited(t *testing.T, a answer, wantRetry string) {
	t.Helper()
	if a.status != 429 || a.code() != CodeRateLimited || a.header.Get("Retry-After") != wantRetry {
		t.Fatalf("answer = %d %s, Retry-After %q; want 429 rate_limited, Retry-After %s",
			a.status, a.body, a.header.Get("Retry-After"), wantRetry)
	}
	var b errorBody
	a.decode(t, &b)
	if b.Error.Message == "" || a.header.Get("Content-Type") != "application/json" {
		t.Fatalf("429 body %q is not the contract's error", a.body)
	}
}

func metricValue(t *testing.T, e *env, series string) string {
	t.Helper()
	a := e.do("GET", "/metrics", "", nil)
	for _, line := range strings.Split(string(a.body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	t.Fatalf("no %s in the metrics:\n%s", series, a.body)
	return ""
}

func TestAddressLimitPublicEndpoints(t *testing.T) {
	e := newEnv(t, addressLimit())
	for _, path := range []string{"/v1/vault-key", "/v1/bots", "/v1/network"} {
		if a := e.do("GET", path, "", nil); a.status != 200 {
			t.Fatalf("GET %s = %d %s", path, a.status, a.body)
		}
	}
	isLimited(t, e.do("GET", "/v1/bots", "", nil), "2")
	isLimited(t, e.do("GET", "/v1/vault-key", "", nil), "2")
	isLimited(t, e.do("GET", "/no/such/path", "", nil), "2")
	isLimited(t, e.do("POST", "/v1/bots", "", nil), "2")
	// Probes and Prometheus are never limited.
	for range 10 {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if a := e.do("GET", path, "", nil); a.status != 200 {
				t.Fatalf("GET %s = %d", path, a.status)
			}
		}
	}
	// Reading the public endpoints keeps no valid token out.
	if a := e.do("GET", "/v1/me", e.token, nil); a.status != 200 {
		t.Fatalf("valid token after a flood of public reads = %d", a.status)
	}
	if got := metricValue(t, e, `smartradexd_rate_limited_total{reason="address"}`); got != "4" {
		t.Errorf("address 429s counted = %s, want 4", got)
	}
	if got := metricValue(t, e, `smartradexd_rate_limited_total{reason="token"}`); got != "0" {
		t.Errorf("token 429s counted = %s, want 0", got)
	}
	// One request every 2 s, no more.
	e.clock.Add(2 * time.Second)
	if a := e.do("GET", "/v1/network", "", nil); a.status != 200 {
		t.Fatalf("after Retry-After = %d", a.status)
	}
	isLimited(t, e.do("GET", "/v1/network", "", nil), "2")
}

func TestAddressLimitFailedAuth(t *testing.T) {
	var counted *countingAuth
	e := newEnv(t, addressLimit("127.0.0.1/32"), withStore(func(s store.Store) store.Store {
		counted = &countingAuth{Store: s}
		return counted
	}))
	flooder := from("198.51.100.1")
	revoked := e.addSubscriber("bob@example.com", "btc-spot")
	if _, err := e.mem.RevokeTokens(context.Background(), "bob@example.com", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// Missing, unknown and revoked tokens, on subscriber and engine routes.
	fails := []struct{ method, path, token string }{
		{"GET", "/v1/me", ""},
		{"PUT", "/v1/bots/btc-spot/binance-key", NewToken()},
		{"GET", "/internal/v1/keys?bot=btc-spot", revoked},
	}
	for _, f := range fails {
		if a := e.doWith(f.method, f.path, f.token, nil, flooder); a.status != 401 || a.code() != CodeUnauthorized {
			t.Fatalf("%s %s = %d %s, want 401", f.method, f.path, a.status, a.body)
		}
	}
	before := counted.lookups.Load()
	for _, f := range fails {
		isLimited(t, e.doWith(f.method, f.path, f.token, nil, flooder), "2")
	}
	for range 50 {
		e.doWith("GET", "/v1/me", NewToken(), nil, flooder)
	}
	if n := counted.lookups.Load() - before; n != 0 {
		t.Errorf("%d store lookups for an address past its limit, want 0", n)
	}
	// The address is refused even with a valid token until its bucket
	// refills, but its public reads have a bucket of their own.
	isLimited(t, e.doWith("GET", "/v1/me", e.token, nil, flooder), "2")
	if a := e.doWith("GET", "/v1/bots", "", nil, flooder); a.status != 200 {
		t.Errorf("public read of the flooding address = %d", a.status)
	}
	// Another address is not touched by this one's flood.
	for _, tok := range []string{e.token, e.engine} {
		path := "/v1/me"
		if tok == e.engine {
			path = "/internal/v1/keys?bot=btc-spot"
		}
		if a := e.doWith("GET", path, tok, nil, from("198.51.100.2")); a.status != 200 {
			t.Errorf("valid token from another address = %d %s", a.status, a.body)
		}
	}
	if a := e.doWith("GET", "/v1/me", "", nil, from("198.51.100.2")); a.status != 401 {
		t.Errorf("another address's first failure = %d, want 401", a.status)
	}
	// Nor is the proxy's own address.
	if a := e.do("GET", "/v1/me", "", nil); a.status != 401 {
		t.Errorf("the proxy's address = %d, want 401", a.status)
	}
	e.clock.Add(2 * time.Second)
	if a := e.doWith("GET", "/v1/me", e.token, nil, flooder); a.status != 200 {
		t.Errorf("valid token after Retry-After = %d", a.status)
	}
	if got := metricValue(t, e, `smartradexd_rate_limited_total{reason="address"}`); got != "54" {
		t.Errorf("address 429s counted = %s, want 54", got)
	}
}

func TestAddressLimitBuckets(t *testing.T) {
	cases := []struct {
		name    string
		trusted []string
		flood   string // X-Forwarded-For of the flood
		other   string // X-Forwarded-For of another request
		limited bool   // whether the other request shares the flood's bucket
	}{
		{"trusted proxy: each client its bucket", []string{"127.0.0.1/32"}, "198.51.100.1", "198.51.100.2", false},
		{"trusted proxy, two hops", []string{"127.0.0.1/32", "10.0.0.0/8"}, "198.51.100.1, 10.0.0.5", "198.51.100.2, 10.0.0.5", false},
		{"spoofed leftmost entry gains no bucket", []string{"127.0.0.1/32"}, "198.51.100.1", "203.0.113.9, 198.51.100.1", true},
		{"untrusted peer: the header is ignored", nil, "198.51.100.1", "198.51.100.2", true},
		{"malformed header: the peer's bucket", []string{"127.0.0.1/32"}, "bogus", "not-an-address", true},
		{"IPv6 clients by /64", []string{"127.0.0.1/32"}, "2001:db8:0:1::1", "2001:db8:0:1:ffff::2", true},
		{"another /64", []string{"127.0.0.1/32"}, "2001:db8:0:1::1", "2001:db8:0:2::1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, addressLimit(tc.trusted...))
			for range 3 {
				e.doWith("GET", "/v1/bots", "", nil, from(tc.flood))
			}
			isLimited(t, e.doWith("GET", "/v1/bots", "", nil, from(tc.flood)), "2")
			a := e.doWith("GET", "/v1/bots", "", nil, from(tc.other))
			if got := a.status == 429; got != tc.limited {
				t.Errorf("other request = %d, want limited %v", a.status, tc.limited)
			}
		})
	}
}

func TestAddressLimitOff(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.NoAddressLimit = true; c.AddressLimit = RateLimit{Rate: 0.5, Burst: 1} }))
	for i := range 100 {
		if a := e.do("GET", "/v1/me", NewToken(), nil); a.status != 401 {
			t.Fatalf("request %d = %d, want 401", i, a.status)
		}
		if a := e.do("GET", "/v1/bots", "", nil); a.status != 200 {
			t.Fatalf("request %d = %d, want 200", i, a.status)
		}
	}
}

func TestAuditAndLogsRecordTheClient(t *testing.T) {
	const marker = "spoofed-marker-Zq7"
	spoofed := http.Header{"X-Forwarded-For": {marker + ", 198.51.100.7, 127.0.0.1"}}
	// A proxy that passes on garbage: the entry on the walk is malformed.
	garbage := http.Header{"X-Forwarded-For": {"198.51.100.7, " + marker}}
	for _, tc := range []struct {
		name    string
		trusted []string
		header  http.Header
		want    string
	}{
		{"trusted proxy", []string{"127.0.0.0/8"}, spoofed, "198.51.100.7"},
		{"no trusted proxy", nil, spoofed, "127.0.0.1"},
		{"trusted proxy, malformed entry", []string{"127.0.0.0/8"}, garbage, "127.0.0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, withConfig(func(c *Config) {
				for _, s := range tc.trusted {
					c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix(s))
				}
			}))
			apiKey := randomKey()
			if a := e.doWith("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", apiKey, "HMAC", randomKey()), tc.header); a.status != 200 {
				t.Fatalf("PUT = %d %s", a.status, a.body)
			}
			if a := e.doWith("DELETE", "/v1/bots/btc-spot/binance-key", e.token, nil, tc.header); a.status != 204 {
				t.Fatalf("DELETE = %d %s", a.status, a.body)
			}
			log, err := e.mem.AuditLog(context.Background(), 0)
			if err != nil || len(log) != 2 {
				t.Fatalf("audit = %+v, %v", log, err)
			}
			for _, ev := range log {
				if ev.RemoteAddr != tc.want {
					t.Errorf("audit %s from %q, want %q", ev.Action, ev.RemoteAddr, tc.want)
				}
			}
			requests := 0
			for _, rec := range e.logs.records(t) {
				if rec["msg"] == "request" {
					requests++
					if rec["client"] != tc.want {
						t.Errorf("request log client = %v, want %s", rec["client"], tc.want)
					}
				}
			}
			if requests != 2 {
				t.Errorf("%d request records, want 2", requests)
			}
			if logs := e.logs.String(); strings.Contains(logs, marker) {
				t.Errorf("the header's text reached the logs:\n%s", logs)
			}
			warned := strings.Count(e.logs.String(), "forwarded header from a peer not trusted ignored")
			if want := map[bool]int{true: 1, false: 0}[tc.trusted == nil]; warned != want {
				t.Errorf("%d warnings of an ignored header, want %d", warned, want)
			}
		})
	}
}

// The per-token limit is counted apart from the address limit.
func TestRateLimitedMetricByReason(t *testing.T) {
	e := newEnv(t, withConfig(func(c *Config) { c.RateLimit = RateLimit{Rate: 0.5, Burst: 1} }))
	e.do("GET", "/v1/me", e.token, nil)
	for range 2 {
		isLimited(t, e.do("GET", "/v1/me", e.token, nil), "2")
	}
	for reason, want := range map[string]string{"token": "2", "address": "0", "checks": "0"} {
		if got := metricValue(t, e, fmt.Sprintf(`smartradexd_rate_limited_total{reason=%q}`, reason)); got != want {
			t.Errorf("%s 429s = %s, want %s", reason, got, want)
		}
	}
}

// Every series docs/service.md lists is exposed, at 0, by a server that
// has done nothing yet: a Prometheus rate or alert over it reads 0.
func TestMetricsExposedBeforeTheFirstEvent(t *testing.T) {
	e := newEnv(t)
	var want []string
	for _, o := range []string{"created", "replaced", "unchanged"} {
		want = append(want, fmt.Sprintf(`smartradexd_key_registrations_total{outcome=%q}`, o))
	}
	want = append(want, "smartradexd_key_removals_total", "smartradexd_draining")
	for _, tr := range []string{"request", "put", "live", "periodic"} {
		for _, o := range []string{"ok", "refused", "deleted", "rejected", "unreachable"} {
			want = append(want, fmt.Sprintf(`smartradexd_key_checks_total{trigger=%q,outcome=%q}`, tr, o))
		}
	}
	for _, r := range []string{"token", "address", "checks"} {
		want = append(want, fmt.Sprintf(`smartradexd_rate_limited_total{reason=%q}`, r))
	}
	for _, series := range want {
		if got := metricValue(t, e, series); got != "0" {
			t.Errorf("%s = %s, want 0", series, got)
		}
	}
}
