package verify

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// listingService answers GET /v1/binance-keys with regs, and records
// whether it was asked live; GetKey is never expected.
type listingService struct {
	regs    []service.Registration
	live    atomic.Bool
	lists   atomic.Int32
	getKeys atomic.Int32
}

func (l *listingService) GetKey(context.Context, string) (*service.Registration, error) {
	l.getKeys.Add(1)
	return nil, apperr.New(apperr.Unavailable, "test.get_key", i18n.M("error.unexpected", "GetKey"))
}

func (l *listingService) Keys(_ context.Context, live bool) ([]service.Registration, error) {
	l.lists.Add(1)
	l.live.Store(live)
	return l.regs, nil
}

const lockedRights = `{"ipRestrict":true,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}`

func TestLockedKeys(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	checked := now.Add(-time.Hour)
	rejected := apperr.New(apperr.Rejected, "binance.key_rejected", i18n.M("binance.key_rejected"))
	lc := func(outcome string, raw string, code int) *service.LastCheck {
		l := &service.LastCheck{SeenFrom: "203.0.113.10", CheckedAt: checked, Outcome: outcome, BinanceCode: code, UID: 42}
		if raw != "" {
			l.APIRestrictions = json.RawMessage(raw)
		}
		return l
	}
	change := service.AddressChange{Add: []string{"203.0.113.20"}, EffectiveAt: time.Date(2027, 1, 10, 0, 0, 0, 0, time.UTC)}
	cases := []struct {
		name      string
		lock      string
		changes   []service.AddressChange
		local     error  // the local probe's error; nil answers localRaw
		localRaw  string // "" is goodRights
		locked    bool   // the index knows the key as locked
		last      *service.LastCheck
		wantLive  bool
		kind      apperr.Kind
		seenFrom  string
		problem   string
		warning   string
		inWarning string
		unchecked bool // the index says not yet checked
		// noRegistration: the service holds no key for the bot
		noRegistration bool
	}{
		{name: "locked, seen ok by SmartradeX", lock: "required", local: rejected, locked: true, last: lc("ok", lockedRights, 0),
			wantLive: true, kind: apperr.OK, seenFrom: "203.0.113.10"},
		{name: "locked, deleted on Binance", lock: "required", local: rejected, locked: true, last: lc("deleted", "", -2015),
			wantLive: true, kind: apperr.Rejected, problem: "binance_rejected"},
		{name: "locked, Binance out of SmartradeX's reach", lock: "recommended", local: rejected, locked: true, last: lc("unreachable", "", 0),
			wantLive: true, kind: apperr.Unavailable, problem: "service_check_unavailable"},
		{name: "locked, an announced address", lock: "required", changes: []service.AddressChange{change}, local: rejected, locked: true,
			last: lc("ok", lockedRights, 0), wantLive: true, kind: apperr.OK, seenFrom: "203.0.113.10",
			warning: "address_change", inWarning: "add 203.0.113.20 to the key's trusted IPs before 2027-01-10"},
		{name: "locked since, not known here: the stored check is judged", lock: "required", local: rejected, last: lc("ok", lockedRights, 0),
			kind: apperr.OK, seenFrom: "203.0.113.10"},
		{name: "off: -2015 is Binance's rejection", lock: "off", local: rejected, last: lc("ok", lockedRights, 0),
			kind: apperr.Rejected, problem: "binance.key_rejected"},
		{name: "unrestricted, last periodic check failed", lock: "recommended", last: lc("deleted", "", -2015),
			kind: apperr.OK, seenFrom: "local", warning: "last_check_failed", inWarning: "(Binance code -2015)"},
		{name: "locked, SmartradeX has no check of it", lock: "required", local: rejected, locked: true,
			wantLive: true, kind: apperr.Unavailable, problem: "service_check_missing"},
		{name: "locked and unchecked: the registration says it, not -2015", lock: "required", local: rejected, locked: true, unchecked: true,
			wantLive: true, kind: apperr.Unavailable, problem: "registration_unchecked", noRegistration: true},
		{name: "unrestricted under required", lock: "required",
			kind: apperr.Refused, seenFrom: "local", problem: "ip_unrestricted"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := entry("btc-spot", key('A'))
			e.Locked = c.locked
			svc := &listingService{regs: []service.Registration{{Bot: "btc-spot", APIKey: key('A'), Status: "active", RegisteredAt: checked, LastCheck: c.last}}}
			if c.unchecked {
				e.Status = state.StatusUnchecked
			}
			if c.noRegistration {
				svc.regs = []service.Registration{}
			}
			bin := &fakeBinance{err: map[string]error{}, rights: map[string]string{key('A'): c.localRaw}}
			if c.local != nil {
				bin.err[key('A')] = c.local
			}
			n := &service.Network{IPLock: c.lock, EgressIPs: []string{"203.0.113.10", "203.0.113.11"}, Changes: c.changes}
			results := Run(context.Background(), []*state.Entry{e}, Options{Binance: bin, Service: svc, Now: now,
				Secret:  secretsOf(map[string]string{"btc-spot": key('a')}),
				Network: func(context.Context) (*service.Network, error) { return n, nil }})
			r := results[0]
			if svc.lists.Load() != 1 || svc.getKeys.Load() != 0 || svc.live.Load() != c.wantLive {
				t.Errorf("%d lists (live %v), %d GetKey; want one list, live %v", svc.lists.Load(), svc.live.Load(), svc.getKeys.Load(), c.wantLive)
			}
			if k := ExitKind(results); k != c.kind {
				t.Errorf("exit kind %d, want %d: %+v", k, c.kind, r.Problems)
			}
			if r.SeenFrom != c.seenFrom {
				t.Errorf("seen from %q, want %q", r.SeenFrom, c.seenFrom)
			}
			if want := map[bool]string{false: Registered, true: Unchecked}[c.noRegistration]; r.Registration != want {
				t.Errorf("registration %s, want %s", r.Registration, want)
			}
			if c.local != nil && c.locked && c.last == nil && hasFinding(r.Problems, "binance.key_rejected", "") {
				t.Error("the -2015 a locked key answers here is reported as a problem")
			}
			if c.problem != "" && !hasFinding(r.Problems, c.problem, "") {
				t.Errorf("problems %+v lack %s", r.Problems, c.problem)
			}
			if c.warning != "" && !hasFinding(r.Warnings, c.warning, c.inWarning) {
				t.Errorf("warnings %+v lack %s %q", r.Warnings, c.warning, c.inWarning)
			}
			if c.seenFrom == "203.0.113.10" && r.UID != 42 {
				t.Errorf("uid %d, want the one SmartradeX saw", r.UID)
			}
		})
	}
}

func hasFinding(fs []Finding, code, text string) bool {
	for _, f := range fs {
		if f.Code == code && strings.Contains(i18n.EN.Render(f.Message), text) {
			return true
		}
	}
	return false
}
