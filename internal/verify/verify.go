// Package verify re-checks the keys smartradex keeps, all at once: that each
// secret is still in its store, that Binance still accepts the key and its
// rights still pass the policy, that no two bots share a sub-account, and
// that SmartradeX still holds the key for its bot. It knows nothing of
// terminals or cobra; `smartradex keys verify` renders what it finds.
package verify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// Inspector is the part of the Binance client verify needs.
type Inspector interface {
	Inspect(ctx context.Context, creds binance.Credentials) (*binance.Inspection, error)
}

// Registry is the part of the SmartradeX service client verify needs.
type Registry interface {
	GetKey(ctx context.Context, bot string) (*service.Registration, error)
}

// LiveRegistry is a Registry that lists every key at once with the
// service's last check of each (GET /v1/binance-keys), or, live, after
// checking each again from SmartradeX's addresses: keys locked to those
// addresses are verified through it, in the same single round trip.
type LiveRegistry interface {
	Registry
	Keys(ctx context.Context, live bool) ([]service.Registration, error)
}

// Registration states, as in `keys verify --json`.
const (
	Registered   = "registered"    // the service holds this very key for the bot
	Missing      = "missing"       // the service holds no key for the bot
	DifferentKey = "different_key" // the service holds another key for the bot
	Unknown      = "unknown"       // the service could not be asked
	Pending      = "pending"       // never registered (keys add could not reach the service)
	Unchecked    = "unchecked"     // a locked key SmartradeX could not check yet: never registered
)

// DefaultLimit bounds how many keys are checked at the same time.
const DefaultLimit = 8

// Options are what Run needs.
type Options struct {
	Binance Inspector
	// Service is nil when no client could be made (not logged in…);
	// ServiceErr then says why, and every key's registration is Unknown.
	Service    Registry
	ServiceErr error
	// Secret returns the secret of an entry from its store.
	Secret func(ctx context.Context, e *state.Entry) (string, error)
	Now    time.Time
	Limit  int // keys checked at once; 0 means DefaultLimit
	// Network fetches the service's addresses and ip_lock, at the same
	// time as everything else; nil is ip_lock off.
	Network func(ctx context.Context) (*service.Network, error)
}

// Finding is a problem or a warning about one key. Message says what is
// wrong and, with Hints, what to do.
type Finding struct {
	Code    string
	Field   string
	Message i18n.Message
	Hints   []i18n.Message
	Kind    apperr.Kind // Refused, Rejected or Unavailable: the exit code it calls for
}

// Result is what was found about one bot's key.
type Result struct {
	Bot    string
	APIKey string
	UID    int64 // from Binance when it answered, else the index's
	// Inspected is true when Binance answered for the key, and Verdict is
	// then its judgement.
	Inspected        bool
	PolicyOK         bool
	TradingExpiresAt *time.Time
	Registration     string
	RegisteredAt     *time.Time
	// Awaiting is true for a key pair made by `keys generate` that waits
	// for its API key: nothing was checked.
	Awaiting bool
	// SeenFrom is where the rights were seen from: "local", or the
	// address SmartradeX checked the key from; "" when not seen.
	SeenFrom string
	// LastCheck is SmartradeX's last check of the key, as it answered.
	LastCheck *service.LastCheck
	Problems  []Finding
	Warnings  []Finding
}

// OK reports whether the key is safe and working.
func (r Result) OK() bool { return len(r.Problems) == 0 }

// rank orders exit codes by precedence: a broken policy (3) matters more
// than rejected credentials (4), which matter more than a check that could
// not be made (5).
func rank(k apperr.Kind) int {
	switch k {
	case apperr.Refused:
		return 3
	case apperr.Rejected:
		return 2
	case apperr.OK:
		return 0
	}
	return 1
}

// ExitKind is the exit code for a set of results: 0 when every key passes,
// else the most important kind among the problems (3 > 4 > 5).
func ExitKind(results []Result) apperr.Kind {
	best := apperr.OK
	for _, r := range results {
		for _, p := range r.Problems {
			if rank(p.Kind) > rank(best) {
				best = p.Kind
			}
		}
	}
	return best
}

// Run checks every entry concurrently (at most opts.Limit at once) and,
// within an entry, Binance and the service concurrently: the whole run
// costs about one network round trip. The service's /v1/network and, when
// the service can, every registration re-checked from its addresses
// (GET /v1/binance-keys?live=1) are asked once, at the same time. Results
// are in entries' order.
func Run(ctx context.Context, entries []*state.Entry, opts Options) []Result {
	limit := opts.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	sv := startService(ctx, entries, opts)
	results := make([]Result, len(entries))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, e := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] = cancelled(e, ctx.Err())
				return
			}
			defer func() { <-sem }()
			results[i] = checkOne(ctx, e, opts, sv)
		}()
	}
	wg.Wait()
	sharedSubaccounts(results)
	return results
}

// serviceView is what the service says, asked once for the whole run.
type serviceView struct {
	done    chan struct{}
	net     *service.Network
	netErr  error
	live    map[string]*service.Registration // nil: ask GetKey per key
	liveErr error
}

func startService(ctx context.Context, entries []*state.Entry, opts Options) *serviceView {
	sv := &serviceView{done: make(chan struct{})}
	// A live check costs the service a call to Binance per key: asked
	// when a key is known to be locked; otherwise the stored checks
	// (the periodic one's) are read.
	live := false
	for _, e := range entries {
		live = live || e.Locked
	}
	var wg sync.WaitGroup
	if opts.Network != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sv.net, sv.netErr = opts.Network(ctx)
		}()
	}
	if lr, ok := opts.Service.(LiveRegistry); ok && opts.Service != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, err := lr.Keys(ctx, live)
			switch {
			case err == nil:
				sv.live = map[string]*service.Registration{}
				for i := range list {
					sv.live[list[i].Bot] = &list[i]
				}
			case service.IsStatus(err, http.StatusNotFound):
				// A service older than the endpoint: asked key by key.
			default:
				sv.liveErr = err
			}
		}()
	}
	go func() {
		wg.Wait()
		close(sv.done)
	}()
	return sv
}

// wait returns the network (OffNetwork when it is not known) once the
// service's answers are in.
func (sv *serviceView) wait() *service.Network {
	<-sv.done
	if sv.net == nil {
		return service.OffNetwork()
	}
	return sv.net
}

func cancelled(e *state.Entry, err error) Result {
	return Result{Bot: e.Bot, APIKey: e.APIKey, UID: e.UID, Registration: Unknown,
		Problems: []Finding{{Code: "cancelled", Field: "", Kind: apperr.Unavailable, Message: i18n.M("error.cancelled")}}}
}

func checkOne(ctx context.Context, e *state.Entry, opts Options, sv *serviceView) Result {
	if e.AwaitingAPIKey() {
		return awaiting(e)
	}
	r := Result{Bot: e.Bot, APIKey: e.APIKey, UID: e.UID, Registration: Unknown}
	if e.GeneratedAt != nil {
		r.Warnings = append(r.Warnings, Finding{Code: "replacement_awaiting_api_key", Field: "api_key",
			Message: i18n.M("verify.replacement_awaiting", state.FinishGeneratedCommand(e.Bot, true))})
	}

	// The service's record does not need the secret: ask for it at once,
	// while the secret is read and Binance is asked.
	var (
		wg     sync.WaitGroup
		reg    *service.Registration
		regErr error
	)
	if opts.Service != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-sv.done
			switch {
			case sv.live != nil:
				if reg = sv.live[e.Bot]; reg == nil {
					regErr = apperr.Wrap(apperr.Unexpected, "service.not_registered", service.ErrNotFound, i18n.M("service.not_registered", e.Bot))
				}
			case sv.liveErr != nil:
				regErr = sv.liveErr
			default:
				reg, regErr = opts.Service.GetKey(ctx, e.Bot)
			}
		}()
	}
	insp, err := localCheck(ctx, e, opts, &r)
	wg.Wait()
	n := sv.wait()
	if regErr == nil && reg != nil && reg.APIKey == e.APIKey {
		r.LastCheck = reg.LastCheck
	}
	switch {
	case err != nil && keyRejected(err) && n.Locking() && r.LastCheck != nil:
		judgeSeen(e, n, opts.Now, &r)
	case err != nil && keyRejected(err) && e.Locked && r.LastCheck == nil:
		// A locked key is expected to answer -2015 here; what counts is
		// SmartradeX's check, which it does not have (yet).
		if e.Status != state.StatusUnchecked {
			r.Problems = append(r.Problems, Finding{Code: "service_check_missing", Field: "binance", Kind: apperr.Unavailable,
				Message: i18n.M("verify.locked_no_check", e.Bot), Hints: []i18n.Message{i18n.M("service.retry_hint")}})
		}
	case err != nil:
		r.Problems = append(r.Problems, fromError("binance", err, apperr.Unavailable))
	case insp == nil:
		// The secret could not be read: reported by localCheck.
	case ipRestricted(insp.Restrictions) && n.Locking() && r.LastCheck != nil:
		judgeSeen(e, n, opts.Now, &r)
	default:
		judge(insp.Restrictions, n, opts.Now, "local", &r)
		r.Inspected, r.UID = true, insp.UID
		lastCheckWarning(e, &r)
	}
	if sv.netErr != nil && r.SeenFrom == "local" {
		r.Warnings = append(r.Warnings, Finding{Code: "network_unknown", Field: "ip_lock", Message: i18n.M("keys.check.network_unknown")})
	}
	checkRegistration(e, opts, reg, regErr, &r)
	return r
}

// awaiting is the result for a key pair made by `keys generate` that
// Binance has not given an API key yet: there is nothing to ask Binance or
// SmartradeX about, and the bot cannot trade, so it needs attention, with
// the exit code of a key still pending (5) rather than of a rejected one.
func awaiting(e *state.Entry) Result {
	return Result{Bot: e.Bot, Registration: Pending, Awaiting: true,
		Problems: []Finding{{Code: "awaiting_api_key", Field: "api_key", Kind: apperr.Unavailable,
			Message: i18n.M("verify.awaiting_api_key", e.Bot),
			Hints:   []i18n.Message{i18n.M("keys.generate.next", state.FinishGeneratedCommand(e.Bot, false))}}}}
}

// localCheck reads the secret and asks Binance from this computer. A
// secret that cannot be read is a problem recorded in r (insp and err nil).
func localCheck(ctx context.Context, e *state.Entry, opts Options, r *Result) (*binance.Inspection, error) {
	secret, err := opts.Secret(ctx, e)
	if errors.Is(err, secrets.ErrNotFound) {
		r.Problems = append(r.Problems, Finding{Code: "secret_missing", Field: "secret", Kind: apperr.Rejected,
			Message: i18n.M("verify.secret_missing", e.Bot),
			Hints:   []i18n.Message{i18n.M("verify.secret_missing_hint", e.Bot)}})
		return nil, nil
	}
	if err != nil {
		r.Problems = append(r.Problems, fromError("secret", err, apperr.Unavailable))
		return nil, nil
	}
	creds, err := binance.ParseCredentials(e.APIKey, secret)
	if err != nil {
		r.Problems = append(r.Problems, fromError("secret", err, apperr.Rejected))
		return nil, nil
	}
	return opts.Binance.Inspect(ctx, creds)
}

// judge applies the policy to Binance's body, seen from from.
func judge(raw []byte, n *service.Network, now time.Time, from string, r *Result) {
	v, err := policy.Judge(raw, policy.Context{Now: now, IPLock: n.IPLock})
	if err != nil {
		r.Problems = append(r.Problems, fromError("binance", err, apperr.Unavailable))
		return
	}
	r.SeenFrom = from
	r.PolicyOK = v.OK()
	r.TradingExpiresAt = v.TradingExpiresAt
	for _, p := range v.Problems {
		r.Problems = append(r.Problems, Finding{Code: p.Code, Field: p.Field, Message: p.Message, Kind: apperr.Refused})
	}
	for _, w := range v.Warnings {
		r.Warnings = append(r.Warnings, Finding{Code: w.Code, Field: w.Field, Message: w.Message})
	}
}

func checkRegistration(e *state.Entry, opts Options, reg *service.Registration, regErr error, r *Result) {
	if opts.Service == nil {
		err := opts.ServiceErr
		if err == nil {
			err = errors.New("no service client")
		}
		r.Problems = append(r.Problems, fromError("registration", err, apperr.Unavailable))
		return
	}
	switch {
	case regErr == nil && reg.APIKey == e.APIKey:
		r.Registration = Registered
		at := reg.RegisteredAt
		r.RegisteredAt = &at
	case regErr == nil:
		r.Registration = DifferentKey
		r.Problems = append(r.Problems, Finding{Code: "registration_different_key", Field: "registration", Kind: apperr.Rejected,
			Message: i18n.M("verify.registration_different", e.Bot),
			Hints:   []i18n.Message{i18n.M("verify.registration_different_hint", e.Bot)}})
	case errors.Is(regErr, service.ErrNotFound) && e.Status == state.StatusUnchecked:
		r.Registration = Unchecked
		r.Problems = append(r.Problems, Finding{Code: "registration_unchecked", Field: "registration", Kind: apperr.Unavailable,
			Message: i18n.M("verify.registration_unchecked", e.Bot),
			Hints:   []i18n.Message{i18n.M("verify.sync_hint")}})
	case errors.Is(regErr, service.ErrNotFound) && e.Status.Unregistered():
		r.Registration = Pending
		r.Problems = append(r.Problems, Finding{Code: "registration_pending", Field: "registration", Kind: apperr.Unavailable,
			Message: i18n.M("verify.registration_pending", e.Bot),
			Hints:   []i18n.Message{i18n.M("verify.sync_hint")}})
	case errors.Is(regErr, service.ErrNotFound):
		r.Registration = Missing
		r.Problems = append(r.Problems, Finding{Code: "registration_missing", Field: "registration", Kind: apperr.Rejected,
			Message: i18n.M("verify.registration_missing", e.Bot),
			Hints:   []i18n.Message{i18n.M("verify.sync_hint"), i18n.M("verify.replace_hint", e.Bot)}})
	default:
		r.Problems = append(r.Problems, fromError("registration", regErr, apperr.Unavailable))
	}
}

// fromError turns a failed step into a finding. Only the three kinds verify
// reports are kept; anything else counts as "could not be checked" (def,
// or 5).
func fromError(field string, err error, def apperr.Kind) Finding {
	f := Finding{Code: "unexpected", Field: field, Kind: def}
	var e *apperr.Error
	if errors.As(err, &e) {
		f.Code, f.Message, f.Hints = e.Code, e.Message, e.Hints
		switch e.Kind {
		case apperr.Refused, apperr.Rejected, apperr.Unavailable:
			f.Kind = e.Kind
		}
		if e.Err != nil && e.Kind != apperr.Usage {
			f.Message = i18n.M("verify.with_cause", e.Message, e.Err.Error())
		}
		return f
	}
	f.Message = i18n.M("error.unexpected", err.Error())
	return f
}

// sharedSubaccounts adds a problem to every key whose Binance uid another
// bot's key shares: one sub-account per bot, as the tutorial says.
func sharedSubaccounts(results []Result) {
	byUID := map[int64][]int{}
	for i, r := range results {
		if r.UID != 0 {
			byUID[r.UID] = append(byUID[r.UID], i)
		}
	}
	for uid, idx := range byUID {
		if len(idx) < 2 {
			continue
		}
		for _, i := range idx {
			var others []string
			for _, j := range idx {
				if j != i {
					others = append(others, results[j].Bot)
				}
			}
			sort.Strings(others)
			results[i].Problems = append(results[i].Problems, Finding{Code: "shared_subaccount", Field: "uid", Kind: apperr.Refused,
				Message: i18n.M("verify.shared_subaccount", results[i].Bot, strings.Join(others, ", "), fmt.Sprint(uid)),
				Hints:   []i18n.Message{i18n.M("verify.shared_subaccount_hint", results[i].Bot)}})
		}
	}
}

// Apply records in the index what the run learnt: the uid and the trading
// expiry Binance reported, when the key last passed, and the registration
// status the service confirmed (a key the service lost becomes pending, so
// that `keys sync` sends it again). Entries replaced meanwhile are left
// alone.
func Apply(snap *state.Snapshot, results []Result, now time.Time) {
	for _, r := range results {
		e := snap.Entries[r.Bot]
		if e == nil || e.APIKey != r.APIKey {
			continue
		}
		if r.Inspected {
			e.Locked = r.SeenFrom != "" && r.SeenFrom != "local"
			e.UID = r.UID
			e.TradingExpiresAt = r.TradingExpiresAt
			if r.PolicyOK {
				at := now
				e.VerifiedAt = &at
			}
		}
		switch r.Registration {
		case Registered:
			e.Status = state.StatusRegistered
			if e.RegisteredAt == nil && r.RegisteredAt != nil {
				at := *r.RegisteredAt
				e.RegisteredAt = &at
			}
		case Missing:
			if e.Status != state.StatusUnchecked {
				e.Status = state.StatusPending
			}
		}
	}
}
