// Command service measures smartradexd's handler under concurrent clients
// over loopback HTTP: registrations per second and the p50/p99 latency of
// PUT /v1/bots/{bot}/binance-key and GET of the same, per store and per
// number of concurrent clients. The first -db is the reference (by default
// the in-memory store) and each other is shown against it, measured in the
// same run on the same machine, the stores taking turns at each number of
// clients.
//
//	go run ./bench/service -db memory -db sqlite:/tmp/bench.db -clients 1,50,200
//	bash scripts/with-postgres sh -c 'go run ./bench/service -db memory -db sqlite:/tmp/b.db -db "$SMARTRADEXD_TEST_POSTGRES"'
//
// The rate limit is lifted for the run; secrets are sealed before the clock
// starts, so the figures are the service's (opening the seal included), not
// the clients'. Every client is a subscriber of its own, registering a new
// key each round (each PUT is a created or replaced registration: the key
// and its audit row, in one transaction) and reading it back.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/dbopen"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

// logErrors: -log.
var logErrors bool

type dbList []string

func (d *dbList) String() string     { return strings.Join(*d, ",") }
func (d *dbList) Set(v string) error { *d = append(*d, v); return nil }

type result struct {
	db                 string
	regsPerSec         float64
	putP50, putP99     time.Duration
	getP50, getP99     time.Duration
	errors, puts, gets int
	elapsed            time.Duration
	failures           map[string]int // "PUT 503" → count
}

func main() {
	var dbs dbList
	flag.Var(&dbs, "db", "store to measure: memory, a SQLite path or sqlite:PATH, or a postgres:// URL (repeatable; the first is the reference)")
	clientList := flag.String("clients", "1,50,200", "numbers of concurrent clients, one subscriber each, comma-separated")
	requests := flag.Int("requests", 2000, "PUTs (and as many GETs) per store and number of clients, shared by the clients")
	minRounds := flag.Int("min-rounds", 10, "at least this many PUT then GET rounds per client")
	flag.BoolVar(&logErrors, "log", false, "print the service's warnings and errors (JSON) on standard error")
	flag.Parse()
	if len(dbs) == 0 {
		dbs = dbList{"memory"}
	}
	var counts []int
	for _, f := range strings.Split(*clientList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "service bench: -clients: %q is not a number of clients\n", f)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	fmt.Printf("cpus %d (GOMAXPROCS %d), %s %s/%s, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 MST"))
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load before the run: %s\n", strings.Join(strings.Fields(string(load))[:3], " "))
	}
	failed := false
	for _, clients := range counts {
		rounds := max(*minRounds, (*requests+clients-1)/clients)
		var results []result
		for _, db := range dbs {
			r, err := measure(db, clients, rounds)
			if err != nil {
				fmt.Fprintf(os.Stderr, "service bench: %s: %v\n", dbopen.Redact(db), err)
				os.Exit(1)
			}
			results = append(results, r)
		}
		ref := results[0]
		fmt.Printf("\n%d clients × %d rounds (PUT of a new key, then GET)\n", clients, rounds)
		fmt.Printf("%-28s %10s %10s %10s %10s %10s %7s %12s %12s\n", "store", "regs/s", "PUT p50", "PUT p99", "GET p50", "GET p99", "errors", "PUT p50 Δ", "GET p50 Δ")
		for _, r := range results {
			fmt.Printf("%-28s %10.0f %10s %10s %10s %10s %7d %12s %12s\n", short(dbopen.Redact(r.db)), r.regsPerSec,
				ms(r.putP50), ms(r.putP99), ms(r.getP50), ms(r.getP99), r.errors, ms(r.putP50-ref.putP50), ms(r.getP50-ref.getP50))
			if r.errors > 0 {
				failed = true
			}
		}
		for _, r := range results {
			for what, n := range r.failures {
				fmt.Printf("  %s: %d × %s\n", short(dbopen.Redact(r.db)), n, what)
			}
		}
	}
	if failed {
		os.Exit(1)
	}
}

func short(s string) string {
	if len(s) > 28 {
		return s[:27] + "…"
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func open(ctx context.Context, db string) (store.Store, error) {
	var st store.Store = memstore.New()
	if db != "memory" {
		var err error
		if st, err = dbopen.Open(ctx, db); err != nil {
			return nil, err
		}
	}
	return st, st.Migrate(ctx)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randomKey() string {
	b := make([]byte, 64)
	rand.Read(b)
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

func measure(db string, clients, rounds int) (result, error) {
	ctx := context.Background()
	st, err := open(ctx, db)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = st.Close() }()
	vault, err := seal.GenerateKey()
	if err != nil {
		return result{}, err
	}
	// Subscribers and their sealed bodies, made before the clock starts.
	run := randomKey()[:8]
	tokens := make([]string, clients)
	bodies := make([][][]byte, clients)
	for c := range clients {
		email := fmt.Sprintf("bench-%s-%d@example.com", strings.ToLower(run), c)
		if _, err := st.AddSubscriber(ctx, email, time.Now()); err != nil {
			return result{}, err
		}
		if err := st.Subscribe(ctx, email, "btc-spot"); err != nil {
			return result{}, err
		}
		tokens[c] = server.NewToken()
		if err := st.AddToken(ctx, email, server.HashToken(tokens[c]), time.Now()); err != nil {
			return result{}, err
		}
		for range rounds {
			apiKey := randomKey()
			sealed, err := seal.Seal(vault.Public(), "btc-spot", apiKey, "HMAC", []byte(randomKey()))
			if err != nil {
				return result{}, err
			}
			b, _ := json.Marshal(map[string]string{"api_key": apiKey, "key_type": "HMAC", "vault_key_id": vault.Public().ID(),
				"sealed_secret": base64.StdEncoding.EncodeToString(sealed)})
			bodies[c] = append(bodies[c], b)
		}
	}
	var log *slog.Logger
	if logErrors {
		log = slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	h := server.New(server.Config{RateLimit: server.RateLimit{Rate: 1e9, Burst: 1 << 30}}, st, vault, log)
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() { _ = srv.Close() }()
	url := "http://" + ln.Addr().String() + "/v1/bots/btc-spot/binance-key"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}

	var mu sync.Mutex
	var puts, gets []time.Duration
	errs := 0
	failures := map[string]int{}
	do := func(method, token string, body []byte) (time.Duration, bool) {
		req, _ := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		start := time.Now()
		res, err := client.Do(req)
		if err != nil {
			mu.Lock()
			failures[method+" "+err.Error()]++
			mu.Unlock()
			return 0, false
		}
		answer, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			_ = json.Unmarshal(answer, &e)
			mu.Lock()
			failures[fmt.Sprintf("%s %d %s", method, res.StatusCode, e.Error.Code)]++
			mu.Unlock()
		}
		return time.Since(start), res.StatusCode == http.StatusOK
	}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p, g []time.Duration
			bad := 0
			for _, b := range bodies[c] {
				d, ok := do("PUT", tokens[c], b)
				if !ok {
					bad++
				}
				p = append(p, d)
				d, ok = do("GET", tokens[c], nil)
				if !ok {
					bad++
				}
				g = append(g, d)
			}
			mu.Lock()
			puts, gets, errs = append(puts, p...), append(gets, g...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(puts)
	slices.Sort(gets)
	return result{db: db, regsPerSec: float64(len(puts)) / elapsed.Seconds(),
		putP50: pct(puts, 50), putP99: pct(puts, 99), getP50: pct(gets, 50), getP99: pct(gets, 99),
		errors: errs, puts: len(puts), gets: len(gets), elapsed: elapsed, failures: failures}, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p+99)/100 - 1
	return sorted[max(i, 0)]
}
