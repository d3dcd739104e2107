// Package doctor runs the independent health checks of `smartradex doctor`
// (secret store, config directory, clock, Binance, the SmartradeX service,
// stored keys), each bounded in time, and says for each what to do.
package doctor

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// Status is the outcome of one check. A warning is a pass.
type Status string

const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Check identifiers, stable for --json.
const (
	IDSecretStore = "secret_store"
	IDConfigDir   = "config_dir"
	IDClock       = "clock"
	IDBinance     = "binance"
	IDService     = "service"
	IDAccount     = "account"
	IDKeys        = "keys"
)

// Thresholds of the clock check: Binance refuses a timestamp 1 s ahead of
// its clock, and one older than the recvWindow (5 s by default).
const (
	ClockWarn = time.Second
	ClockFail = 5 * time.Second
)

// Result is the outcome of one check. Message and Fix are rendered in the
// user's language by the caller; Kind is the exit code a failure stands for.
type Result struct {
	ID       string
	Status   Status
	Message  i18n.Message
	Fix      []i18n.Message
	Duration time.Duration
	Kind     apperr.Kind
	Err      error // technical cause, shown after the message
}

// TimeSource is the part of the Binance client the clock check needs.
type TimeSource interface {
	ServerTime(ctx context.Context) (server time.Time, rtt time.Duration, err error)
}

// Account is the part of the service client the account check needs.
type Account interface {
	Me(ctx context.Context) (*service.Me, error)
}

// Deps are what the checks read. Every field is required except HTTP.
type Deps struct {
	Backend    func() (string, error)                      // the selected secret store's backend
	StoreFor   func(backend string) (secrets.Store, error) // opens a backend's store
	ConfigDir  func() (string, error)
	Index      func() (*state.Index, error)
	Binance    func() (TimeSource, error)
	ServiceURL string
	Service    func(ctx context.Context) (Account, error) // a Rejected error means no token
	HTTP       *http.Client                               // for the unauthenticated reachability probe
	Now        func() time.Time
	Timeout    time.Duration // per check; 0 = 10 s
	GOOS       string        // "" = runtime.GOOS
}

// Report is every check's result, in a fixed order.
type Report struct{ Results []Result }

// OK tells whether no check failed.
func (r Report) OK() bool {
	for _, c := range r.Results {
		if c.Status == Fail {
			return false
		}
	}
	return true
}

// ExitKind is the exit code of the report: 0 when nothing failed; else,
// first match wins, 2 (a setting smartradex cannot use), 1 (a local fault:
// secret store, config directory, clock, a key's secret), 4 (not logged in
// or token refused), 5 (Binance or the service cannot be reached).
func (r Report) ExitKind() apperr.Kind {
	seen := map[apperr.Kind]bool{}
	for _, c := range r.Results {
		if c.Status == Fail {
			seen[c.Kind] = true
		}
	}
	for _, k := range []apperr.Kind{apperr.Usage, apperr.Unexpected, apperr.Rejected, apperr.Unavailable, apperr.Refused, apperr.Cancelled} {
		if seen[k] {
			return k
		}
	}
	if len(seen) > 0 {
		return apperr.Unexpected
	}
	return apperr.OK
}

// Run runs every check concurrently and returns when all have ended or
// timed out; it never waits longer than the timeout plus a little.
func Run(ctx context.Context, d Deps) Report {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Timeout <= 0 {
		d.Timeout = 10 * time.Second
	}
	if d.GOOS == "" {
		d.GOOS = runtime.GOOS
	}
	if d.HTTP == nil {
		d.HTTP = httpx.NewClient(d.Timeout)
	}
	type job struct {
		ids []string
		run func(context.Context) []Result
	}
	jobs := []job{
		{[]string{IDSecretStore}, func(ctx context.Context) []Result { return []Result{checkStore(ctx, d)} }},
		{[]string{IDConfigDir}, func(ctx context.Context) []Result { return []Result{checkConfigDir(d)} }},
		{[]string{IDClock, IDBinance}, func(ctx context.Context) []Result { return checkBinance(ctx, d) }},
		{[]string{IDService, IDAccount}, func(ctx context.Context) []Result { return checkService(ctx, d) }},
		{[]string{IDKeys}, func(ctx context.Context) []Result { return []Result{checkKeys(ctx, d)} }},
	}
	out := make([][]Result, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = bounded(ctx, d.Timeout, j.ids, j.run)
		}()
	}
	wg.Wait()
	var rep Report
	for _, rs := range out {
		rep.Results = append(rep.Results, rs...)
	}
	return rep
}

// bounded runs fn with a deadline and gives up on it (reporting a timeout)
// if it has not returned shortly after, for calls that ignore their context
// such as a keyring waiting on an unlock prompt.
func bounded(ctx context.Context, timeout time.Duration, ids []string, fn func(context.Context) []Result) []Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	done := make(chan []Result, 1)
	go func() { done <- fn(ctx) }()
	grace := time.NewTimer(timeout + timeout/10 + 100*time.Millisecond)
	defer grace.Stop()
	select {
	case rs := <-done:
		for i := range rs {
			if rs[i].Duration == 0 {
				rs[i].Duration = time.Since(start)
			}
		}
		return rs
	case <-grace.C:
		var rs []Result
		for _, id := range ids {
			rs = append(rs, Result{ID: id, Status: Fail, Kind: apperr.Unavailable, Duration: time.Since(start),
				Message: i18n.M("doctor.timed_out", timeout.String()), Fix: []i18n.Message{i18n.M("doctor.timed_out_fix")}})
		}
		return rs
	}
}

// failFrom turns an error into a failed check, keeping the error's own
// message and hints when it has them.
func failFrom(id string, err error, msg i18n.Message, fix ...i18n.Message) Result {
	r := Result{ID: id, Status: Fail, Kind: apperr.KindOf(err), Message: msg, Fix: fix, Err: err}
	var e *apperr.Error
	if errors.As(err, &e) {
		r.Message = i18n.M("doctor.because", msg, e.Message)
		r.Err = e.Err
		if len(e.Hints) > 0 {
			r.Fix = append(append([]i18n.Message(nil), e.Hints...), fix...)
		}
	}
	if r.Kind == apperr.Cancelled && errors.Is(err, context.DeadlineExceeded) {
		r.Kind = apperr.Unavailable
	}
	return r
}

// probeName is a secret name no command ever writes: reading it proves the
// store answers without changing anything.
const probeName = "doctor/probe"

func checkStore(ctx context.Context, d Deps) Result {
	backend, err := d.Backend()
	if err != nil {
		return failFrom(IDSecretStore, err, i18n.M("doctor.store_unusable"))
	}
	label := i18n.M("secrets.backend_" + backend)
	store, err := d.StoreFor(backend)
	if err != nil {
		return failFrom(IDSecretStore, err, i18n.M("doctor.store_failed", label))
	}
	start := time.Now()
	_, err = store.Get(ctx, probeName)
	took := time.Since(start)
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		r := failFrom(IDSecretStore, err, i18n.M("doctor.store_failed", label))
		if r.Kind == apperr.Unavailable || r.Kind == apperr.Rejected {
			r.Kind = apperr.Unexpected
		}
		return r
	}
	r := Result{ID: IDSecretStore, Status: OK, Duration: took,
		Message: i18n.M("doctor.store_ok", label, took.Milliseconds())}
	if backend == secrets.BackendFile {
		// Opening the file derives a key from the passphrase, slowly on
		// purpose (it is what makes guessing the passphrase expensive).
		r.Message = i18n.M("doctor.store_ok_file", label, took.Milliseconds())
		return r
	}
	if took > 2*time.Second {
		r.Status = Warn
		r.Message = i18n.M("doctor.store_slow", label, took.Milliseconds())
		r.Fix = []i18n.Message{i18n.M("doctor.store_slow_fix")}
	}
	return r
}

func checkConfigDir(d Deps) Result {
	dir, err := d.ConfigDir()
	if err != nil {
		return failFrom(IDConfigDir, err, i18n.M("doctor.dir_unknown"))
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Result{ID: IDConfigDir, Status: Warn, Message: i18n.M("doctor.dir_missing", dir),
			Fix: []i18n.Message{i18n.M("doctor.dir_missing_fix")}}
	case err != nil:
		return Result{ID: IDConfigDir, Status: Fail, Kind: apperr.Unexpected, Err: err,
			Message: i18n.M("doctor.dir_unreadable", dir), Fix: []i18n.Message{i18n.M("doctor.dir_unreadable_fix", dir)}}
	case !fi.IsDir():
		return Result{ID: IDConfigDir, Status: Fail, Kind: apperr.Unexpected,
			Message: i18n.M("doctor.dir_not_dir", dir), Fix: []i18n.Message{i18n.M("doctor.dir_not_dir_fix", dir)}}
	}
	perm := fi.Mode().Perm()
	if d.GOOS != "windows" && perm&0o077 != 0 {
		return Result{ID: IDConfigDir, Status: Warn, Message: i18n.M("doctor.dir_loose", dir, fmt.Sprintf("%04o", perm)),
			Fix: []i18n.Message{i18n.M("doctor.dir_loose_fix", dir)}}
	}
	return Result{ID: IDConfigDir, Status: OK, Message: i18n.M("doctor.dir_ok", dir)}
}

// checkBinance asks Binance for its time once: the answer says both
// whether Binance is reachable (and how fast) and how far our clock is.
func checkBinance(ctx context.Context, d Deps) []Result {
	bc, err := d.Binance()
	if err != nil {
		r := failFrom(IDBinance, err, i18n.M("doctor.binance_unusable"))
		return []Result{clockUnknown(), r}
	}
	start := time.Now()
	server, rtt, err := bc.ServerTime(ctx)
	took := time.Since(start)
	if err != nil {
		r := failFrom(IDBinance, err, i18n.M("doctor.binance_down"))
		r.Duration = took
		if r.Kind != apperr.Usage {
			r.Kind = apperr.Unavailable
		}
		return []Result{clockUnknown(), r}
	}
	local := d.Now().Add(-rtt / 2)
	offset := local.Sub(server)
	abs := offset
	if abs < 0 {
		abs = -abs
	}
	secs := i18n.Decimal{Value: abs.Seconds(), Digits: 1}
	clock := Result{ID: IDClock, Status: OK, Duration: took, Message: i18n.M("doctor.clock_ok", offset.Milliseconds())}
	if abs > ClockWarn {
		key := "doctor.clock_ahead"
		if offset < 0 {
			key = "doctor.clock_behind"
		}
		clock.Status, clock.Message = Warn, i18n.M(key, secs)
		clock.Fix = []i18n.Message{i18n.M("doctor.clock_fix")}
		if abs > ClockFail {
			clock.Status, clock.Kind = Fail, apperr.Unexpected
			clock.Fix = append(clock.Fix, i18n.M("doctor.clock_fail_fix"))
		}
	}
	bin := Result{ID: IDBinance, Status: OK, Duration: took, Message: i18n.M("doctor.binance_ok", rtt.Milliseconds())}
	return []Result{clock, bin}
}

func clockUnknown() Result {
	return Result{ID: IDClock, Status: Warn, Message: i18n.M("doctor.clock_unknown"),
		Fix: []i18n.Message{i18n.M("doctor.clock_unknown_fix")}}
}

func checkService(ctx context.Context, d Deps) []Result {
	client, err := d.Service(ctx)
	if err != nil {
		if apperr.KindOf(err) == apperr.Usage {
			r := failFrom(IDService, err, i18n.M("doctor.service_unusable"))
			return []Result{r, accountUnknown()}
		}
		// No usable token (not logged in, or the store holding it does not
		// answer): whether the service answers is still worth knowing.
		msg := i18n.M("doctor.account_token_unreadable")
		if apperr.KindOf(err) == apperr.Rejected {
			msg = i18n.M("doctor.account_none")
		}
		acct := failFrom(IDAccount, err, msg)
		if acct.Kind != apperr.Rejected {
			acct.Kind = apperr.Unexpected
		}
		return []Result{probeService(ctx, d), acct}
	}
	// Timed from here: reading the token (a keyring, or the encrypted
	// file's passphrase step) is not the service's latency.
	start := time.Now()
	me, err := client.Me(ctx)
	took := time.Since(start)
	if err != nil {
		if apperr.KindOf(err) == apperr.Rejected {
			svc := Result{ID: IDService, Status: OK, Duration: took, Message: i18n.M("doctor.service_ok", took.Milliseconds())}
			acct := failFrom(IDAccount, err, i18n.M("doctor.account_refused"))
			acct.Kind = apperr.Rejected
			return []Result{svc, acct}
		}
		svc := failFrom(IDService, err, i18n.M("doctor.service_down"))
		svc.Duration = took
		if svc.Kind != apperr.Usage {
			svc.Kind = apperr.Unavailable
		}
		return []Result{svc, accountUnknown()}
	}
	svc := Result{ID: IDService, Status: OK, Duration: took, Message: i18n.M("doctor.service_ok", took.Milliseconds())}
	bots := append([]string(nil), me.Bots...)
	sort.Strings(bots)
	acct := Result{ID: IDAccount, Status: OK, Duration: took, Message: i18n.M("doctor.account_ok", me.Email, strings.Join(bots, ", "))}
	if len(bots) == 0 {
		acct.Status = Warn
		acct.Message = i18n.M("doctor.account_no_bots", me.Email)
		acct.Fix = []i18n.Message{i18n.M("doctor.account_no_bots_fix")}
	}
	return []Result{svc, acct}
}

func accountUnknown() Result {
	return Result{ID: IDAccount, Status: Warn, Message: i18n.M("doctor.account_unknown"),
		Fix: []i18n.Message{i18n.M("doctor.account_unknown_fix")}}
}

// probeMaxBody caps what the probe reads: it needs the status only.
const probeMaxBody = 4 << 10

// probeService checks that the service answers at all, without a token:
// any HTTP answer (a 401 is expected) means it is reachable.
func probeService(ctx context.Context, d Deps) Result {
	u, err := httpx.CheckBaseURL(d.ServiceURL)
	if err != nil {
		return Result{ID: IDService, Status: Fail, Kind: apperr.Usage, Err: err,
			Message: service.BadURLMessage(d.ServiceURL, err), Fix: []i18n.Message{i18n.M("service.bad_url_hint", service.DefaultBaseURL())}}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/v1/me", nil)
	if err != nil {
		return Result{ID: IDService, Status: Fail, Kind: apperr.Unexpected, Err: err, Message: i18n.M("doctor.service_down")}
	}
	// The same rules as the service client's: no redirect, HTTP/1.1 only,
	// plain http to this computer only and never proxied.
	hc := httpx.Secure(httpx.SecureOptions{Base: u, HTTP: d.HTTP, MaxBody: probeMaxBody})
	start := time.Now()
	resp, err := hc.Do(req)
	took := time.Since(start)
	if err != nil {
		return Result{ID: IDService, Status: Fail, Kind: apperr.Unavailable, Duration: took, Err: httpx.StripURLs(err),
			Message: i18n.M("doctor.service_down"), Fix: []i18n.Message{i18n.M("service.retry_hint"), i18n.M("service.check_url_hint", u.String())}}
	}
	_, _ = httpx.ReadLimited(resp.Body, probeMaxBody)
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return Result{ID: IDService, Status: Fail, Kind: apperr.Unavailable, Duration: took,
			Message: i18n.M("doctor.service_status", resp.StatusCode), Fix: []i18n.Message{i18n.M("service.retry_hint")}}
	}
	return Result{ID: IDService, Status: OK, Duration: took, Message: i18n.M("doctor.service_ok", took.Milliseconds())}
}

// checkKeys reads every stored key's secret (and a waiting generated key's)
// from the store its index entry names.
func checkKeys(ctx context.Context, d Deps) Result {
	ix, err := d.Index()
	if err != nil {
		return failFrom(IDKeys, err, i18n.M("doctor.keys_unreadable"))
	}
	snap, err := ix.Load()
	if err != nil {
		return failFrom(IDKeys, err, i18n.M("doctor.keys_unreadable"))
	}
	if len(snap.Entries) == 0 {
		return Result{ID: IDKeys, Status: OK, Message: i18n.M("doctor.keys_none")}
	}
	bots := make([]string, 0, len(snap.Entries))
	for b := range snap.Entries {
		bots = append(bots, b)
	}
	sort.Strings(bots)
	var missing, waiting []string
	var waitingFix []i18n.Message
	for _, bot := range bots {
		e := snap.Entries[bot]
		names := []string{e.SecretName}
		if e.GeneratedAt != nil && e.SecretName != secrets.BotGeneratedSecretName(bot) {
			names = append(names, secrets.BotGeneratedSecretName(bot))
		}
		if e.GeneratedAt != nil {
			waiting = append(waiting, bot)
			waitingFix = append(waitingFix, i18n.M("keys.generate.next", state.FinishGeneratedCommand(bot, e.APIKey != "")))
		}
		store, err := d.StoreFor(e.Backend)
		if err != nil {
			return failFrom(IDKeys, err, i18n.M("doctor.keys_store_failed", bot))
		}
		for _, name := range names {
			_, err := store.Get(ctx, name)
			if errors.Is(err, secrets.ErrNotFound) {
				missing = append(missing, bot)
				break
			}
			if err != nil {
				r := failFrom(IDKeys, err, i18n.M("doctor.keys_store_failed", bot))
				r.Kind = apperr.Unexpected
				return r
			}
		}
	}
	if len(missing) > 0 {
		fix := []i18n.Message{}
		for _, b := range missing {
			fix = append(fix, i18n.M("doctor.keys_missing_fix", b, b))
		}
		return Result{ID: IDKeys, Status: Fail, Kind: apperr.Unexpected,
			Message: i18n.M("doctor.keys_missing", strings.Join(missing, ", ")), Fix: fix}
	}
	r := Result{ID: IDKeys, Status: OK, Message: i18n.M("doctor.keys_ok", len(bots))}
	if len(waiting) > 0 {
		r.Status = Warn
		r.Message = i18n.M("doctor.keys_pending", len(bots), strings.Join(waiting, ", "))
		r.Fix = waitingFix
	}
	return r
}
