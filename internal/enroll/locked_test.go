package enroll

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// fakeInspector answers Inspect with a fixed body or error.
type fakeInspector struct {
	raw string
	err error
}

func (f fakeInspector) Inspect(context.Context, binance.Credentials) (*binance.Inspection, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &binance.Inspection{Restrictions: []byte(f.raw), UID: 111}, nil
}

const (
	unrestricted = `{"ipRestrict":false,"createTime":1698645219000,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}`
	restricted   = `{"ipRestrict":true,"createTime":1698645219000,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}`
	withdrawing  = `{"ipRestrict":true,"createTime":1698645219000,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":true}`
)

var rejected2015 = apperr.New(apperr.Rejected, "binance.key_rejected", i18n.M("binance.key_rejected"))

// checkingService is the reference service whose POST …/checks answers
// status and body; it counts the checks.
func checkingService(t *testing.T, status int, body string) (func(context.Context) (*service.Client, error), *atomic.Int32) {
	t.Helper()
	svc, _ := servicetest.StartTest(t, token, "sub@example.com", bots.IDs())
	h := svc.Handler()
	var n atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/binance-key/checks") {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, body)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	noSleep := func(context.Context, time.Duration) error { return nil }
	return func(context.Context) (*service.Client, error) {
		return service.New(service.Options{BaseURL: ts.URL, Token: token, Sleep: noSleep, Backoff: httpx.Backoff{Attempts: 1}})
	}, &n
}

func network(lock string, ips ...string) func(context.Context) (*service.Network, error) {
	return func(context.Context) (*service.Network, error) {
		if ips == nil {
			ips = []string{}
		}
		return &service.Network{IPLock: lock, EgressIPs: ips, Changes: []service.AddressChange{}}, nil
	}
}

func TestCheckWith(t *testing.T) {
	const seenOK = `{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","api_restrictions":` + restricted + `,"uid":222}`
	down := func(context.Context) (*service.Network, error) {
		return nil, apperr.New(apperr.Unavailable, "service.unavailable", i18n.M("service.unavailable", 3))
	}
	botFn := func(context.Context) (string, error) { return "btc-spot", nil }
	cases := []struct {
		name        string
		local       fakeInspector
		net         func(context.Context) (*service.Network, error)
		bot         bool
		checkStatus int
		checkBody   string

		wantKind   apperr.Kind // of the error; OK for none
		wantInMsg  string      // in the English message of the error
		accepted   bool
		unchecked  bool
		seenFrom   string
		problem    string // a finding code among the problems
		warning    string // a finding code among the warnings
		checks     int32
		networkErr bool
	}{
		{name: "off, unrestricted, checked here", local: fakeInspector{raw: unrestricted}, net: network("off"),
			accepted: true, seenFrom: SeenLocal},
		{name: "no network source is off", local: fakeInspector{raw: unrestricted}, net: nil,
			accepted: true, seenFrom: SeenLocal},
		{name: "off, restricted key stays refused, service not asked", local: fakeInspector{raw: restricted}, net: network("off"), bot: true,
			checkStatus: 200, checkBody: seenOK, seenFrom: SeenLocal, problem: policy.CodeIPRestricted},
		{name: "off, -2015 is Binance's rejection", local: fakeInspector{err: rejected2015}, net: network("off"), bot: true,
			checkStatus: 200, checkBody: seenOK, wantKind: apperr.Rejected},
		{name: "recommended, unrestricted: accepted with a warning", local: fakeInspector{raw: unrestricted}, net: network("recommended", "203.0.113.10"),
			accepted: true, seenFrom: SeenLocal, warning: policy.CodeIPUnrestricted},
		{name: "required, unrestricted: refused", local: fakeInspector{raw: unrestricted}, net: network("required", "203.0.113.10"),
			seenFrom: SeenLocal, problem: policy.CodeIPUnrestricted},
		{name: "required, -2015, add: left to the PUT", local: fakeInspector{err: rejected2015}, net: network("required", "203.0.113.10"),
			unchecked: true},
		{name: "required, -2015, check: checked by the service", local: fakeInspector{err: rejected2015}, net: network("required", "203.0.113.10"), bot: true,
			checkStatus: 200, checkBody: seenOK, accepted: true, seenFrom: "203.0.113.10", checks: 1},
		{name: "recommended, restricted and usable here too: still checked there", local: fakeInspector{raw: restricted}, net: network("recommended", "203.0.113.10"), bot: true,
			checkStatus: 200, checkBody: seenOK, accepted: true, seenFrom: "203.0.113.10", checks: 1},
		{name: "required, what the service saw is refused", local: fakeInspector{err: rejected2015}, net: network("required", "203.0.113.10"), bot: true,
			checkStatus: 200, checkBody: `{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","api_restrictions":` + withdrawing + `,"uid":222}`,
			seenFrom: "203.0.113.10", problem: policy.CodeForbiddenPermission, checks: 1},
		{name: "required, Binance refuses it from the service: the addresses are named", local: fakeInspector{err: rejected2015},
			net: network("required", "203.0.113.10", "203.0.113.11"), bot: true, checkStatus: 422,
			checkBody: `{"error":{"code":"binance_rejected","message":"x","binance_code":-2015,"seen_from":"203.0.113.10"}}`,
			wantKind:  apperr.Rejected, wantInMsg: "lacks 203.0.113.10", checks: 1},
		{name: "service down, -2015, add: kept as not yet checked", local: fakeInspector{err: rejected2015}, net: down,
			unchecked: true, networkErr: true},
		{name: "service down, -2015, check: Binance's rejection", local: fakeInspector{err: rejected2015}, net: down, bot: true,
			wantKind: apperr.Rejected},
		{name: "service down, unrestricted: today's rule, said so", local: fakeInspector{raw: unrestricted}, net: down,
			accepted: true, seenFrom: SeenLocal, networkErr: true},
		{name: "service down, restricted and usable here, check: unavailable", local: fakeInspector{raw: restricted}, net: down, bot: true,
			wantKind: apperr.Unavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, n := checkingService(t, c.checkStatus, c.checkBody)
			d := Deps{Binance: c.local, Network: c.net, Service: svc, Now: func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }}
			var o CheckOptions
			if c.bot {
				o.Bot = botFn
			}
			got, err := CheckWith(context.Background(), d, binance.Credentials{APIKey: "k", Secret: "s", Type: binance.HMAC}, o)
			if n.Load() != c.checks {
				t.Errorf("%d checks asked of the service, want %d", n.Load(), c.checks)
			}
			if c.wantKind != apperr.OK {
				if apperr.KindOf(err) != c.wantKind {
					t.Fatalf("error %v (kind %d), want kind %d", err, apperr.KindOf(err), c.wantKind)
				}
				var ae *apperr.Error
				if errors.As(err, &ae) && !strings.Contains(i18n.EN.Render(ae.Message), c.wantInMsg) {
					t.Errorf("message %q lacks %q", i18n.EN.Render(ae.Message), c.wantInMsg)
				}
				if c.wantInMsg != "" && !strings.Contains(renderHints(ae), "203.0.113.10,203.0.113.11") {
					t.Errorf("hints do not give the addresses on one line: %s", renderHints(ae))
				}
				return
			}
			if err != nil {
				t.Fatalf("CheckWith: %v", err)
			}
			if got.Accepted() != c.accepted || got.Unchecked != c.unchecked || got.SeenFrom != c.seenFrom || (got.NetworkErr != nil) != c.networkErr {
				t.Errorf("accepted %v unchecked %v seen from %q network error %v", got.Accepted(), got.Unchecked, got.SeenFrom, got.NetworkErr)
			}
			if c.problem != "" && !hasCode(got.Verdict.Problems, c.problem) {
				t.Errorf("problems %+v lack %s", got.Verdict.Problems, c.problem)
			}
			if c.warning != "" && !hasCode(got.Verdict.Warnings, c.warning) {
				t.Errorf("warnings %+v lack %s", got.Verdict.Warnings, c.warning)
			}
			if c.seenFrom == "203.0.113.10" && got.Inspection.UID != 222 {
				t.Errorf("uid %d, want the one the service saw", got.Inspection.UID)
			}
		})
	}
}

func hasCode(fs []policy.Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
}

func renderHints(ae *apperr.Error) string {
	var b strings.Builder
	for _, h := range ae.Hints {
		b.WriteString(i18n.EN.Render(h) + "\n")
	}
	return b.String()
}

// lockedEnv is an env whose service (the real handler) requires locked
// keys and checks them from 203.0.113.10, an address the Binance stand-in
// gives the service alone (ListenAs); this process calls from 127.0.0.1.
func lockedEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.bin.AddLockedDemoKeys()
	alias, err := e.bin.ListenAs(binancetest.SandboxServiceIP)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetNetwork(servicetest.Network{IPLock: "required", EgressIPs: []string{binancetest.SandboxServiceIP, "203.0.113.11"}, BinanceURL: alias}); err != nil {
		t.Fatal(err)
	}
	e.d.Network = func(ctx context.Context) (*service.Network, error) {
		c, err := e.d.Service(ctx)
		if err != nil {
			return nil, err
		}
		return c.Network(ctx)
	}
	return e
}

func lockedDemo(t *testing.T, name string) binance.Credentials {
	t.Helper()
	for _, k := range binancetest.LockedDemoKeys() {
		if k.Name == name {
			c, err := binance.ParseCredentials(k.Key.APIKey, k.Key.Secret)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
	}
	t.Fatalf("no locked demo key %s", name)
	return binance.Credentials{}
}

func TestAddLockedKey(t *testing.T) {
	cases := []struct {
		name     string
		key      string
		prepare  func(e *env)
		kind     apperr.Kind
		kept     bool
		status   string
		inMsg    string
		hintCode string
	}{
		{name: "accepted", key: "locked", kind: apperr.OK, kept: true, status: "registered"},
		{name: "list lacks the service's address", key: "locked-elsewhere", kind: apperr.Rejected, inMsg: "lacks 203.0.113.10", hintCode: "enroll.locked_add_ips_hint"},
		{name: "rights refused from there", key: "locked", kind: apperr.Refused, hintCode: "enroll.refused_not_kept_hint",
			prepare: func(e *env) {
				e.bin.SetRestrictions(lockedDemo(t, "locked").APIKey, json.RawMessage(withdrawing))
			}},
		{name: "service out of reach", key: "locked", kind: apperr.Unavailable, kept: true, status: "unchecked", hintCode: "enroll.unchecked_hint",
			prepare: func(e *env) {
				e.svc.Inject(servicetest.Fault{Method: http.MethodPut, Path: "/v1/bots/btc-spot/binance-key", Status: 503})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := lockedEnv(t)
			if c.prepare != nil {
				c.prepare(e)
			}
			ctx := context.Background()
			creds := lockedDemo(t, c.key)
			checked, err := Check(ctx, e.d, creds)
			if err != nil || !checked.Unchecked {
				t.Fatalf("Check: %+v, %v", checked, err)
			}
			res, err := Add(ctx, e.d, Request{Bot: bot("btc-spot"), Creds: creds}, checked)
			if apperr.KindOf(err) != c.kind {
				t.Fatalf("Add: %v (kind %d), want kind %d", err, apperr.KindOf(err), c.kind)
			}
			var ae *apperr.Error
			if errors.As(err, &ae) {
				if !strings.Contains(i18n.EN.Render(ae.Message), c.inMsg) {
					t.Errorf("message %q lacks %q", i18n.EN.Render(ae.Message), c.inMsg)
				}
				found := false
				for _, h := range ae.Hints {
					found = found || h.Key == c.hintCode
				}
				if !found {
					t.Errorf("hints %v lack %s", ae.Hints, c.hintCode)
				}
			}
			entry := e.entry(t, "btc-spot")
			if (entry != nil) != c.kept || (e.secret(secrets.BotSecretName("btc-spot")) != "") != c.kept {
				t.Fatalf("entry %+v, kept %v", entry, c.kept)
			}
			if _, held := e.svc.Registration("btc-spot"); held != (c.status == "registered") {
				t.Errorf("the service holds the key: %v", held)
			}
			if !c.kept {
				return
			}
			if string(entry.Status) != c.status {
				t.Errorf("status %s, want %s", entry.Status, c.status)
			}
			if c.status == "registered" {
				if res.Seen == nil || !res.Seen.Accepted() || res.Seen.SeenFrom != binancetest.SandboxServiceIP ||
					entry.UID != binancetest.DemoUIDLocked || entry.VerifiedAt == nil {
					t.Errorf("seen %+v, entry %+v", res.Seen, entry)
				}
				return
			}
			// The service answers again: keys sync sends the key through
			// the checking PUT, and only then is it registered.
			e.svc.ClearFaults()
			results, err := Sync(ctx, e.d)
			if err != nil || len(results) != 1 || !results[0].Registered {
				t.Fatalf("Sync: %+v, %v", results, err)
			}
			if got := e.entry(t, "btc-spot"); got.Status != "registered" || got.UID != binancetest.DemoUIDLocked {
				t.Errorf("after sync: %+v", got)
			}
		})
	}
}

func TestSeenRefused(t *testing.T) {
	refused := &Checked{Inspection: &binance.Inspection{}, Verdict: policy.Verdict{Problems: []policy.Finding{{Code: policy.CodeForbiddenPermission}}}}
	ok := &Checked{Inspection: &binance.Inspection{}}
	for _, c := range []struct {
		name string
		seen *Checked
		kind apperr.Kind
	}{
		{"nothing said", nil, apperr.Unavailable},
		{"refused here, accepted there", refused, apperr.Refused},
		{"accepted", ok, apperr.OK},
	} {
		if k := apperr.KindOf(seenRefused(c.seen, "btc-spot")); k != c.kind {
			t.Errorf("%s: kind %d, want %d", c.name, k, c.kind)
		}
	}
}

// TestLockedKeyOnAnotherBotsSubaccount: the sub-account of a locked key is
// known only once SmartradeX has checked it; a second bot's key on the same
// sub-account is then refused, with the command that takes it back.
func TestLockedKeyOnAnotherBotsSubaccount(t *testing.T) {
	e := lockedEnv(t)
	ctx := context.Background()
	add := func(botID, name string) error {
		creds := demo(t, name)
		e.bin.SetIPs(creds.APIKey, []string{binancetest.SandboxServiceIP})
		checked, err := Check(ctx, e.d, creds)
		if err != nil || !checked.Unchecked {
			t.Fatalf("Check %s: %+v %v", name, checked, err)
		}
		_, err = Add(ctx, e.d, Request{Bot: bot(botID), Creds: creds}, checked)
		return err
	}
	if err := add("btc-spot", "ok"); err != nil {
		t.Fatalf("first add: %v", err)
	}
	err := add("eth-spot", "same-subaccount") // the uid of "ok"
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "enroll.same_subaccount" || ae.Kind != apperr.Refused {
		t.Fatalf("second add: %v", err)
	}
	if !strings.Contains(renderHints(ae), "smartradex keys remove --bot eth-spot") {
		t.Errorf("hints do not say how to take it back: %s", renderHints(ae))
	}
}
