package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// metrics is a Prometheus registry of its own: a few counters and one
// histogram, written in the text exposition format. Labels are route
// patterns, status classes and outcomes: bounded, never a key or an e-mail.
type metrics struct {
	mu            sync.Mutex
	requests      map[[2]string]uint64 // route, status class
	latency       map[string]*histogram
	registrations map[string]uint64 // created, replaced, unchanged
	removals      uint64
	checks        map[[2]string]uint64 // trigger, outcome
	limits        map[string]uint64    // 429s by reason: token, address, checks
}

var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

type histogram struct {
	counts []uint64 // per bucket, not cumulative
	sum    float64
	count  uint64
}

// The triggers and outcomes of checks, each pair exposed from the start:
// a rate or an alert on a series that has not happened yet reads 0, not
// nothing.
var (
	checkTriggers = []string{"request", "put", "live", "periodic"}
	checkOutcomes = []string{OutcomeOK, OutcomeRefused, OutcomeDeleted, OutcomeRejected, OutcomeUnreachable}
)

func newMetrics() *metrics {
	checks := map[[2]string]uint64{}
	for _, tr := range checkTriggers {
		for _, o := range checkOutcomes {
			checks[[2]string{tr, o}] = 0
		}
	}
	return &metrics{requests: map[[2]string]uint64{}, latency: map[string]*histogram{},
		registrations: map[string]uint64{"created": 0, "replaced": 0, "unchanged": 0},
		checks:        checks,
		limits:        map[string]uint64{limitedToken: 0, limitedAddress: 0, limitedChecks: 0}}
}

func statusClass(status int) string { return fmt.Sprintf("%dxx", status/100) }

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, statusClass(status)}]++
	h := m.latency[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.latency[route] = h
	}
	sec := d.Seconds()
	for i, b := range latencyBuckets {
		if sec <= b {
			h.counts[i]++
			break
		}
	}
	h.sum += sec
	h.count++
}

func (m *metrics) registered(outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registrations[outcome]++
}

// checked counts a check of a key with Binance: trigger is "request" (POST
// …/checks), "put", "live" or "periodic".
func (m *metrics) checked(trigger, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checks[[2]string{trigger, outcome}]++
}

// limited counts a 429 rate_limited answer; reason is limitedToken,
// limitedAddress or limitedChecks.
func (m *metrics) limited(reason string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.limits[reason]++
}

func (m *metrics) removed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removals++
}

func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return less(out[i], out[j]) })
	return out
}

// labelValue escapes a label value as the exposition format requires.
func labelValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// vaultStates orders the states of smartradexd_stored_keys.
var vaultStates = []string{vaultCurrent, vaultPrevious, vaultOther}

// write writes every metric; stored, when not nil, is how many registered
// keys are sealed to the vault key of each state (vaultKeyFor).
func (m *metrics) write(w io.Writer, draining bool, stored map[string]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP smartradexd_http_requests_total HTTP requests served, by route pattern and status class.")
	fmt.Fprintln(w, "# TYPE smartradexd_http_requests_total counter")
	for _, k := range sortedKeys(m.requests, func(a, b [2]string) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }) {
		fmt.Fprintf(w, "smartradexd_http_requests_total{route=\"%s\",code=\"%s\"} %d\n", labelValue(k[0]), k[1], m.requests[k])
	}
	fmt.Fprintln(w, "# HELP smartradexd_http_request_duration_seconds Time to serve a request, by route pattern.")
	fmt.Fprintln(w, "# TYPE smartradexd_http_request_duration_seconds histogram")
	for _, route := range sortedKeys(m.latency, func(a, b string) bool { return a < b }) {
		h, lv := m.latency[route], labelValue(route)
		var cum uint64
		for i, b := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "smartradexd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %d\n", lv, b, cum)
		}
		fmt.Fprintf(w, "smartradexd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %d\n", lv, h.count)
		fmt.Fprintf(w, "smartradexd_http_request_duration_seconds_sum{route=\"%s\"} %g\n", lv, h.sum)
		fmt.Fprintf(w, "smartradexd_http_request_duration_seconds_count{route=\"%s\"} %d\n", lv, h.count)
	}
	fmt.Fprintln(w, "# HELP smartradexd_key_registrations_total Binance key registrations accepted, by outcome.")
	fmt.Fprintln(w, "# TYPE smartradexd_key_registrations_total counter")
	for _, o := range sortedKeys(m.registrations, func(a, b string) bool { return a < b }) {
		fmt.Fprintf(w, "smartradexd_key_registrations_total{outcome=\"%s\"} %d\n", o, m.registrations[o])
	}
	fmt.Fprintln(w, "# HELP smartradexd_key_removals_total Binance key registrations removed.")
	fmt.Fprintln(w, "# TYPE smartradexd_key_removals_total counter")
	fmt.Fprintf(w, "smartradexd_key_removals_total %d\n", m.removals)
	fmt.Fprintln(w, "# HELP smartradexd_key_checks_total Checks of keys with Binance from the service's address, by trigger and outcome.")
	fmt.Fprintln(w, "# TYPE smartradexd_key_checks_total counter")
	for _, k := range sortedKeys(m.checks, func(a, b [2]string) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }) {
		fmt.Fprintf(w, "smartradexd_key_checks_total{trigger=\"%s\",outcome=\"%s\"} %d\n", k[0], k[1], m.checks[k])
	}
	if stored != nil {
		fmt.Fprintln(w, "# HELP smartradexd_stored_keys Registered keys by the vault key their secret is sealed to: current, previous (a --previous-vault-key: checked, to reseal) or other (not checked). A retired vault key may be destroyed once previous and other are 0 on every replica.")
		fmt.Fprintln(w, "# TYPE smartradexd_stored_keys gauge")
		for _, st := range vaultStates {
			fmt.Fprintf(w, "smartradexd_stored_keys{vault_key=\"%s\"} %d\n", st, stored[st])
		}
	}
	fmt.Fprintln(w, "# HELP smartradexd_rate_limited_total Requests answered 429 rate_limited, by reason: the token's bucket, the client address's, or the budget of checks with Binance.")
	fmt.Fprintln(w, "# TYPE smartradexd_rate_limited_total counter")
	for _, reason := range sortedKeys(m.limits, func(a, b string) bool { return a < b }) {
		fmt.Fprintf(w, "smartradexd_rate_limited_total{reason=\"%s\"} %d\n", reason, m.limits[reason])
	}
	fmt.Fprintln(w, "# HELP smartradexd_draining 1 once shutdown has started.")
	fmt.Fprintln(w, "# TYPE smartradexd_draining gauge")
	d := 0
	if draining {
		d = 1
	}
	fmt.Fprintf(w, "smartradexd_draining %d\n", d)
}

func (s *Server) handleMetrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		s.metrics.write(w, s.draining.Load(), s.storedKeys(r.Context()))
	})
}

// metricsTimeout bounds the count of stored keys a scrape makes: a scrape
// waits for it, and a database that does not answer must not hold every
// other metric back.
const metricsTimeout = 3 * time.Second

// storedKeys counts the registered keys by the state of their vault key;
// nil (and no gauge) when the database cannot answer.
func (s *Server) storedKeys(ctx context.Context) map[string]int {
	if s.held.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, min(metricsTimeout, s.cfg.RequestTimeout))
	defer cancel()
	counts, err := s.store.VaultKeyCounts(ctx)
	if err != nil {
		s.log.LogAttrs(ctx, levelFor(500), "counting the stored keys for the metrics failed", errAttr(err))
		return nil
	}
	out := map[string]int{}
	for id, n := range counts {
		_, st := s.vaultKeyFor(id)
		out[st] += n
	}
	return out
}
