package verify

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

const goodRights = `{"ipRestrict":false,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}`

// barrier blocks every caller until n calls are in flight at once. If the
// calls were made one after the other, the first would never be released
// and wait would time out: the test fails without measuring any duration.
type barrier struct {
	mu      sync.Mutex
	n       int
	arrived int
	all     chan struct{}
	timeout time.Duration
}

func newBarrier(n int) *barrier {
	return &barrier{n: n, all: make(chan struct{}), timeout: 10 * time.Second}
}

func (b *barrier) wait(ctx context.Context) error {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return nil
	case <-time.After(b.timeout):
		return errors.New("calls were not concurrent")
	case <-ctx.Done():
		return ctx.Err()
	}
}

type fakeBinance struct {
	b      *barrier
	uids   map[string]int64
	rights map[string]string
	err    map[string]error
}

func (f *fakeBinance) Inspect(ctx context.Context, c binance.Credentials) (*binance.Inspection, error) {
	if f.b != nil {
		if err := f.b.wait(ctx); err != nil {
			return nil, apperr.Wrap(apperr.Unavailable, "test.sequential", err, i18n.M("error.unexpected", err.Error()))
		}
	}
	if err := f.err[c.APIKey]; err != nil {
		return nil, err
	}
	raw := f.rights[c.APIKey]
	if raw == "" {
		raw = goodRights
	}
	return &binance.Inspection{Restrictions: json.RawMessage(raw), UID: f.uids[c.APIKey]}, nil
}

type fakeService struct {
	b    *barrier
	keys map[string]string // bot → api key
	err  error
}

func (f *fakeService) GetKey(ctx context.Context, bot string) (*service.Registration, error) {
	if f.b != nil {
		if err := f.b.wait(ctx); err != nil {
			return nil, apperr.Wrap(apperr.Unavailable, "test.sequential", err, i18n.M("error.unexpected", err.Error()))
		}
	}
	if f.err != nil {
		return nil, f.err
	}
	k, ok := f.keys[bot]
	if !ok {
		return nil, apperr.Wrap(apperr.Unexpected, "service.not_registered", service.ErrNotFound, i18n.M("service.not_registered", bot))
	}
	return &service.Registration{Bot: bot, APIKey: k, RegisteredAt: time.Unix(1700000000, 0)}, nil
}

func key(c byte) string {
	b := make([]byte, 64)
	for i := range b {
		b[i] = c
	}
	return string(b)
}

func entry(bot, apiKey string) *state.Entry {
	return &state.Entry{Bot: bot, APIKey: apiKey, KeyType: "HMAC", Backend: "system",
		SecretName: secrets.BotSecretName(bot), Status: state.StatusRegistered}
}

func secretsOf(m map[string]string) func(context.Context, *state.Entry) (string, error) {
	return func(_ context.Context, e *state.Entry) (string, error) {
		s, ok := m[e.Bot]
		if !ok {
			return "", secrets.ErrNotFound
		}
		return s, nil
	}
}

// TestRunIsConcurrent proves that every key's Binance call and service call
// are in flight at the same time: the stand-ins release no caller until all
// 2×N calls have arrived.
func TestRunIsConcurrent(t *testing.T) {
	const n = 5
	var entries []*state.Entry
	secs := map[string]string{}
	regs := map[string]string{}
	uids := map[string]int64{}
	for i := 0; i < n; i++ {
		bot := string(rune('a'+i)) + "-bot"
		k := key(byte('A' + i))
		entries = append(entries, entry(bot, k))
		secs[bot] = key(byte('a' + i))
		regs[bot] = k
		uids[k] = int64(100 + i)
	}
	b := newBarrier(2 * n)
	results := Run(context.Background(), entries, Options{
		Binance: &fakeBinance{b: b, uids: uids},
		Service: &fakeService{b: b, keys: regs},
		Secret:  secretsOf(secs),
		Now:     time.Unix(1700000000, 0),
		Limit:   n,
	})
	for _, r := range results {
		if !r.OK() {
			t.Fatalf("%s: %+v", r.Bot, r.Problems)
		}
		if r.Registration != Registered {
			t.Errorf("%s: registration %q", r.Bot, r.Registration)
		}
	}
	if k := ExitKind(results); k != apperr.OK {
		t.Fatalf("exit kind %d", k)
	}
}

func TestRunFindings(t *testing.T) {
	a, b2, c := key('A'), key('B'), key('C')
	notLoggedIn := apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"))
	rejected := apperr.New(apperr.Rejected, "binance.key_rejected", i18n.M("binance.key_rejected"))
	down := apperr.New(apperr.Unavailable, "binance.unavailable", i18n.M("service.unavailable", 3))
	cases := []struct {
		name     string
		entries  []*state.Entry
		secrets  map[string]string
		bin      *fakeBinance
		svc      *fakeService
		svcErr   error
		wantKind apperr.Kind
		wantCode string
		wantReg  string
	}{
		{"all good", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{uids: map[string]int64{a: 1}}, &fakeService{keys: map[string]string{"btc-spot": a}}, nil, apperr.OK, "", Registered},
		{"withdrawals on", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{uids: map[string]int64{a: 1}, rights: map[string]string{a: `{"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":true}`}},
			&fakeService{keys: map[string]string{"btc-spot": a}}, nil, apperr.Refused, "forbidden_permission", Registered},
		{"deleted on binance", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{err: map[string]error{a: rejected}}, &fakeService{keys: map[string]string{"btc-spot": a}}, nil, apperr.Rejected, "binance.key_rejected", Registered},
		{"binance down", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{err: map[string]error{a: down}}, &fakeService{keys: map[string]string{"btc-spot": a}}, nil, apperr.Unavailable, "binance.unavailable", Registered},
		{"secret missing", []*state.Entry{entry("btc-spot", a)}, map[string]string{},
			&fakeBinance{}, &fakeService{keys: map[string]string{"btc-spot": a}}, nil, apperr.Rejected, "secret_missing", Registered},
		{"registration lost", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{uids: map[string]int64{a: 1}}, &fakeService{keys: map[string]string{}}, nil, apperr.Rejected, "registration_missing", Missing},
		{"another key registered", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{uids: map[string]int64{a: 1}}, &fakeService{keys: map[string]string{"btc-spot": c}}, nil, apperr.Rejected, "registration_different_key", DifferentKey},
		{"not logged in", []*state.Entry{entry("btc-spot", a)}, map[string]string{"btc-spot": key('s')},
			&fakeBinance{uids: map[string]int64{a: 1}}, nil, notLoggedIn, apperr.Rejected, "service.not_logged_in", Unknown},
		{"shared sub-account wins over a down service", []*state.Entry{entry("btc-spot", a), entry("eth-spot", b2)},
			map[string]string{"btc-spot": key('s'), "eth-spot": key('t')},
			&fakeBinance{uids: map[string]int64{a: 7, b2: 7}}, &fakeService{err: apperr.New(apperr.Unavailable, "service.unavailable", i18n.M("service.unavailable", 3))},
			nil, apperr.Refused, "shared_subaccount", Unknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Binance: tc.bin, Secret: secretsOf(tc.secrets), Now: time.Unix(1700000000, 0), ServiceErr: tc.svcErr}
			if tc.svc != nil {
				opts.Service = tc.svc
			}
			results := Run(context.Background(), tc.entries, opts)
			if k := ExitKind(results); k != tc.wantKind {
				t.Errorf("exit kind %d, want %d: %+v", k, tc.wantKind, results)
			}
			r := results[0]
			if r.Registration != tc.wantReg {
				t.Errorf("registration %q, want %q", r.Registration, tc.wantReg)
			}
			if tc.wantCode == "" {
				if !r.OK() {
					t.Errorf("problems: %+v", r.Problems)
				}
				return
			}
			found := false
			for _, p := range r.Problems {
				found = found || p.Code == tc.wantCode
				// Findings of verify's own say what to do in their hints;
				// the others carry their error's, or say it in the message.
				own := map[string]bool{"secret_missing": true, "registration_missing": true, "registration_different_key": true, "shared_subaccount": true}
				if own[p.Code] && len(p.Hints) == 0 {
					t.Errorf("problem %s has no hint", p.Code)
				}
			}
			if !found {
				t.Errorf("no %s problem in %+v", tc.wantCode, r.Problems)
			}
		})
	}
}

func TestApply(t *testing.T) {
	now := time.Unix(1700000000, 0)
	exp := now.Add(48 * time.Hour)
	snap := &state.Snapshot{Entries: map[string]*state.Entry{
		"btc-spot": entry("btc-spot", key('A')),
		"eth-spot": entry("eth-spot", key('B')),
		"replaced": entry("replaced", key('Z')),
	}}
	snap.Entries["eth-spot"].Status = state.StatusRegistered
	Apply(snap, []Result{
		{Bot: "btc-spot", APIKey: key('A'), Inspected: true, PolicyOK: true, UID: 42, TradingExpiresAt: &exp, Registration: Registered},
		{Bot: "eth-spot", APIKey: key('B'), Inspected: true, PolicyOK: false, UID: 43, Registration: Missing},
		{Bot: "replaced", APIKey: key('Y'), Inspected: true, PolicyOK: true, UID: 44},
	}, now)
	btc, eth, rep := snap.Entries["btc-spot"], snap.Entries["eth-spot"], snap.Entries["replaced"]
	if btc.UID != 42 || btc.VerifiedAt == nil || !btc.VerifiedAt.Equal(now) || btc.TradingExpiresAt == nil || btc.Status != state.StatusRegistered {
		t.Errorf("btc-spot: %+v", btc)
	}
	if eth.UID != 43 || eth.VerifiedAt != nil || eth.Status != state.StatusPending {
		t.Errorf("eth-spot: %+v", eth)
	}
	if rep.UID != 0 || rep.VerifiedAt != nil {
		t.Errorf("a replaced entry was changed: %+v", rep)
	}
}

// refuseRegistry fails the test if the service is asked anything.
type refuseRegistry struct{ t *testing.T }

func (r refuseRegistry) GetKey(context.Context, string) (*service.Registration, error) {
	r.t.Error("the service was asked about a key that has no API key")
	return nil, errors.New("unexpected call")
}

// A key pair made by keys generate that waits for its API key is reported
// as waiting (exit 5), not as empty credentials (exit 4), and nothing is
// asked of the store, Binance or the service.
func TestAwaitingAPIKey(t *testing.T) {
	at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	e := &state.Entry{Bot: "btc-spot", KeyType: "ED25519", Backend: "system",
		SecretName: secrets.BotGeneratedSecretName("btc-spot"), Status: state.StatusPending, CreatedAt: at, GeneratedAt: &at}
	res := Run(context.Background(), []*state.Entry{e}, Options{
		Binance: &fakeBinance{}, Service: refuseRegistry{t},
		Secret: func(context.Context, *state.Entry) (string, error) {
			t.Error("the secret store was read")
			return "", secrets.ErrNotFound
		},
		Now: at,
	})
	r := res[0]
	if r.OK() || !r.Awaiting || r.Registration != Pending || len(r.Problems) != 1 || r.Problems[0].Code != "awaiting_api_key" {
		t.Fatalf("result %+v", r)
	}
	if got := r.Problems[0].Hints[0].Args[0]; got != "smartradex keys add --bot btc-spot --api-key <KEY> --use-generated" {
		t.Fatalf("hint names %v", got)
	}
	if k := ExitKind(res); k != apperr.Unavailable {
		t.Fatalf("exit kind %v, want %v", k, apperr.Unavailable)
	}
}
