package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
)

// serviceIP is the address the service's checks come from: binancetest's
// ListenAs stands for it, so these tests run wherever 127.0.0.1 exists.
const serviceIP = "203.0.113.10"

type checkEnv struct {
	*env
	bn *binancetest.Server
}

func newCheckEnv(t *testing.T, ipLock string, more ...func(*Config)) *checkEnv {
	t.Helper()
	bn := binancetest.StartTest(t)
	alias, err := bn.ListenAs(serviceIP)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, withConfig(func(c *Config) {
		c.BinanceURL, c.IPLock, c.CheckPace = alias, ipLock, time.Millisecond
		c.EgressIPs = []netip.Addr{netip.MustParseAddr(serviceIP), netip.MustParseAddr("203.0.113.11")}
		for _, f := range more {
			f(c)
		}
	}))
	return &checkEnv{env: e, bn: bn}
}

// binanceKey adds a key to the stand-in: locked to ips (none: unrestricted),
// its apiRestrictions the accepted rights with changes applied.
func (e *checkEnv) binanceKey(uid int64, ips []string, changes map[string]any) (apiKey, secret string) {
	e.t.Helper()
	r := map[string]any{"ipRestrict": false, "createTime": int64(1698645219000), "enableReading": true,
		"enableSpotAndMarginTrading": true, "enableWithdrawals": false, "enableFixReadOnly": false}
	for k, v := range changes {
		r[k] = v
	}
	raw, err := json.Marshal(r)
	if err != nil {
		e.t.Fatal(err)
	}
	apiKey, secret = randomKey(), randomKey()
	e.bn.AddKey(binancetest.Key{APIKey: apiKey, Secret: secret, Restrictions: raw, UID: uid, IPs: ips})
	return apiKey, secret
}

type lastCheck struct {
	SeenFrom        string          `json:"seen_from"`
	CheckedAt       time.Time       `json:"checked_at"`
	Outcome         string          `json:"outcome"`
	APIRestrictions json.RawMessage `json:"api_restrictions"`
	UID             int64           `json:"uid"`
	BinanceCode     int             `json:"binance_code"`
}

type registration struct {
	Bot       string     `json:"bot"`
	APIKey    string     `json:"api_key"`
	Status    string     `json:"status"`
	LastCheck *lastCheck `json:"last_check"`
}

type checkError struct {
	Error struct {
		Code        string  `json:"code"`
		Message     string  `json:"message"`
		BinanceCode *int    `json:"binance_code"`
		SeenFrom    *string `json:"seen_from"`
		Findings    []struct {
			Code  string `json:"code"`
			Field string `json:"field"`
		} `json:"findings"`
	} `json:"error"`
}

func ipRestrictIn(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("api_restrictions %s: %v", raw, err)
	}
	return m["ipRestrict"]
}

func TestNetwork(t *testing.T) {
	e := newCheckEnv(t, "recommended")
	ctx := context.Background()
	now := e.clock.Now()
	for _, c := range []store.NetworkChange{
		{Add: []string{"203.0.113.20"}, Remove: []string{"203.0.113.11"}, EffectiveAt: now.Add(30 * 24 * time.Hour), AnnouncedAt: now},
		{Add: []string{"203.0.113.9"}, EffectiveAt: now.Add(-time.Hour), AnnouncedAt: now.Add(-48 * time.Hour)}, // in effect: not listed
		{Remove: []string{"203.0.113.10"}, EffectiveAt: now.Add(24 * time.Hour), AnnouncedAt: now},
	} {
		if _, err := e.mem.AnnounceNetworkChange(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	a := e.do("GET", "/v1/network", "", nil)
	if a.status != 200 {
		t.Fatalf("GET /v1/network = %d %s", a.status, a.body)
	}
	want := `{"egress_ips":["203.0.113.10","203.0.113.11"],"ip_lock":"recommended","changes":[` +
		`{"add":[],"remove":["203.0.113.10"],"effective_at":"2026-11-24T10:00:00Z"},` +
		`{"add":["203.0.113.20"],"remove":["203.0.113.11"],"effective_at":"2026-12-23T10:00:00Z"}]}`
	if got := strings.TrimSpace(string(a.body)); got != want {
		t.Errorf("GET /v1/network =\n%s\nwant\n%s", got, want)
	}
	// The database down: the changes last read stand in.
	e.mem.Close()
	if b := e.do("GET", "/v1/network", "", nil); b.status != 200 || string(b.body) != string(a.body) {
		t.Errorf("with the database down after a read: %d %s", b.status, b.body)
	}

	off := newEnv(t)
	if a := off.do("GET", "/v1/network", "", nil); a.status != 200 || strings.TrimSpace(string(a.body)) != `{"egress_ips":[],"ip_lock":"off","changes":[]}` {
		t.Errorf("default network: %d %s", a.status, a.body)
	}
	off.mem.Close()
	fresh := newEnv(t)
	fresh.mem.Close()
	if a := fresh.do("GET", "/v1/network", "", nil); a.status != 503 || a.code() != CodeUnavailable {
		t.Errorf("database down, nothing read yet: %d %s", a.status, a.body)
	}
}

func TestCheckNetwork(t *testing.T) {
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	thirty, thirtyOne := []netip.Addr{}, []netip.Addr{}
	for i := range 31 {
		a := netip.AddrFrom4([4]byte{203, 0, 113, byte(i + 1)})
		if i < 30 {
			thirty = append(thirty, a)
		}
		thirtyOne = append(thirtyOne, a)
	}
	cases := []struct {
		name   string
		egress []netip.Addr
		lock   string
		ok     bool
	}{
		{"off without addresses", nil, "off", true},
		{"empty lock is off", nil, "", true},
		{"recommended with an address", addrs("203.0.113.10"), "recommended", true},
		{"required with IPv6", addrs("2001:db8::1"), "required", true},
		{"30 addresses", thirty, "required", true},
		{"31 addresses", thirtyOne, "required", false},
		{"required without addresses", nil, "required", false},
		{"recommended without addresses", nil, "recommended", false},
		{"unknown lock", addrs("203.0.113.10"), "maybe", false},
		{"duplicate", addrs("203.0.113.10", "203.0.113.10"), "off", false},
		{"duplicate through IPv4-mapped", addrs("203.0.113.10", "::ffff:203.0.113.10"), "off", false},
		{"unspecified", addrs("0.0.0.0"), "off", false},
		{"multicast", addrs("224.0.0.1"), "off", false},
	}
	for _, c := range cases {
		if err := CheckNetwork(c.egress, c.lock); (err == nil) != c.ok {
			t.Errorf("%s: CheckNetwork = %v, want ok %v", c.name, err, c.ok)
		}
	}
}

// POST …/checks reports what Binance said from the service's address,
// stores nothing and judges nothing.
func TestCheckEndpoint(t *testing.T) {
	e := newCheckEnv(t, "off")
	locked, lockedSecret := e.binanceKey(41, []string{serviceIP}, nil)
	elsewhere, elsewhereSecret := e.binanceKey(42, []string{"198.51.100.1"}, nil)
	withdrawals, withdrawalsSecret := e.binanceKey(43, []string{serviceIP}, map[string]any{"enableWithdrawals": true})
	deleted, deletedSecret := e.binanceKey(44, nil, nil)
	e.bn.RemoveKey(deleted)
	otherVault, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	staleBody := e.sealed("btc-spot", locked, "HMAC", lockedSecret)
	staleBody.VaultKeyID = otherVault.Public().ID()

	cases := []struct {
		name        string
		body        any
		fault       *binancetest.Fault
		status      int
		code        string
		binanceCode int
		uid         int64
		ipRestrict  any
	}{
		{"locked to the service's address", e.sealed("btc-spot", locked, "HMAC", lockedSecret), nil, 200, "", 0, 41, true},
		{"not judged: a forbidden right is reported, not refused", e.sealed("btc-spot", withdrawals, "HMAC", withdrawalsSecret), nil, 200, "", 0, 43, true},
		{"IP list without the service's address", e.sealed("btc-spot", elsewhere, "HMAC", elsewhereSecret), nil, 422, CodeBinanceRejected, -2015, 0, nil},
		{"deleted on Binance", e.sealed("btc-spot", deleted, "HMAC", deletedSecret), nil, 422, CodeBinanceRejected, -2015, 0, nil},
		{"wrong secret", e.sealed("btc-spot", locked, "HMAC", randomKey()), nil, 422, CodeBinanceRejected, -1022, 0, nil},
		{"Binance down", e.sealed("btc-spot", locked, "HMAC", lockedSecret), &binancetest.Fault{Status: 503, Times: 100}, 503, CodeBinanceUnreachable, 0, 0, nil},
		{"Binance answers a web page", e.sealed("btc-spot", locked, "HMAC", lockedSecret),
			&binancetest.Fault{Path: "/sapi/v1/account/apiRestrictions", Status: 200, Body: "<html>", Times: 100}, 503, CodeBinanceUnreachable, 0, 0, nil},
		{"secret in clear", map[string]string{"api_key": locked, "api_secret": lockedSecret, "key_type": "HMAC"}, nil, 422, CodeInvalidRequest, 0, 0, nil},
		{"sealed for another bot", e.sealed("eth-spot", locked, "HMAC", lockedSecret), nil, 422, CodeInvalidRequest, 0, 0, nil},
		{"vault key changed", staleBody, nil, 409, CodeVaultKeyChanged, 0, 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.fault != nil {
				e.bn.Inject(*c.fault)
				defer e.bn.ClearFaults()
			}
			before := len(e.bn.Requests())
			a := e.do("POST", "/v1/bots/btc-spot/binance-key/checks", e.token, c.body)
			if a.status != c.status || a.code() != c.code {
				t.Fatalf("= %d %s, want %d %s", a.status, a.body, c.status, c.code)
			}
			switch {
			case c.status == 200:
				var got struct {
					SeenFrom        string          `json:"seen_from"`
					CheckedAt       time.Time       `json:"checked_at"`
					APIRestrictions json.RawMessage `json:"api_restrictions"`
					UID             int64           `json:"uid"`
				}
				a.decode(t, &got)
				if got.SeenFrom != serviceIP || !got.CheckedAt.Equal(e.clock.Now()) || got.UID != c.uid || ipRestrictIn(t, got.APIRestrictions) != c.ipRestrict {
					t.Errorf("answer %s", a.body)
				}
			case c.code == CodeBinanceRejected || c.code == CodeBinanceUnreachable:
				var got checkError
				a.decode(t, &got)
				if got.Error.SeenFrom == nil || *got.Error.SeenFrom != serviceIP {
					t.Errorf("no seen_from: %s", a.body)
				}
				if c.code == CodeBinanceRejected && (got.Error.BinanceCode == nil || *got.Error.BinanceCode != c.binanceCode) {
					t.Errorf("binance_code: %s, want %d", a.body, c.binanceCode)
				}
				if c.code == CodeBinanceUnreachable && (got.Error.BinanceCode != nil || a.header.Get("Retry-After") == "") {
					t.Errorf("unreachable: %s, Retry-After %q", a.body, a.header.Get("Retry-After"))
				}
				if c.binanceCode == -2015 && !strings.Contains(got.Error.Message, "IP list") {
					t.Errorf("the -2015 message does not give the likely causes: %q", got.Error.Message)
				}
			default:
				if len(e.bn.Requests()) != before {
					t.Errorf("Binance was called for a request refused before the check")
				}
			}
			for _, r := range e.bn.Requests()[before:] {
				if r.From != serviceIP {
					t.Errorf("Binance was called from %s", r.From)
				}
			}
		})
	}
	if keys, _ := e.mem.ListKeys(context.Background(), 1); len(keys) != 0 {
		t.Errorf("a check stored keys: %+v", keys)
	}
	if strings.Contains(e.logs.String(), lockedSecret) || strings.Contains(e.logs.String(), locked) {
		t.Error("the logs hold the secret or the full API key")
	}
}

// Under ip_lock required or recommended every PUT is checked first; off
// checks nothing.
func TestPutUnderIPLock(t *testing.T) {
	type want struct {
		status   int
		code     string
		findings string // "field:code,…" for key_refused
		outcome  string // last_check's outcome in the 200 ("": null)
	}
	type key struct {
		ips     []string
		changes map[string]any
		deleted bool
	}
	lockedOK := key{ips: []string{serviceIP}}
	unrestricted := key{}
	elsewhere := key{ips: []string{"198.51.100.1"}}
	lockedWithdrawals := key{ips: []string{serviceIP}, changes: map[string]any{"enableWithdrawals": true}}
	lapsed := key{ips: []string{serviceIP}, changes: map[string]any{"enableSpotAndMarginTrading": false, "tradingAuthorityExpirationTime": int64(1628985600000)}}
	cases := []struct {
		lock  string
		name  string
		key   key
		fault bool
		want  want
	}{
		{"off", "locked key: not checked", lockedOK, false, want{200, "", "", ""}},
		{"off", "unrestricted key: not checked", unrestricted, false, want{200, "", "", ""}},
		{"off", "a key Binance rejects: not checked", elsewhere, false, want{200, "", "", ""}},
		{"recommended", "locked key", lockedOK, false, want{200, "", "", "ok"}},
		{"recommended", "unrestricted key: accepted, warned", unrestricted, false, want{200, "", "", "ok"}},
		{"recommended", "locked elsewhere", elsewhere, false, want{422, CodeBinanceRejected, "", ""}},
		{"recommended", "forbidden right", lockedWithdrawals, false, want{422, CodeKeyRefused, "enableWithdrawals:forbidden_permission", ""}},
		{"recommended", "Binance down", lockedOK, true, want{503, CodeBinanceUnreachable, "", ""}},
		{"required", "locked key", lockedOK, false, want{200, "", "", "ok"}},
		{"required", "unrestricted key", unrestricted, false, want{422, CodeKeyRefused, "ipRestrict:ip_unrestricted", ""}},
		{"required", "trading right lapsed", lapsed, false, want{422, CodeKeyRefused,
			"enableSpotAndMarginTrading:missing_permission,tradingAuthorityExpirationTime:trading_expired", ""}},
		{"required", "deleted on Binance", key{deleted: true}, false, want{422, CodeBinanceRejected, "", ""}},
	}
	for _, c := range cases {
		t.Run(c.lock+"/"+c.name, func(t *testing.T) {
			e := newCheckEnv(t, c.lock)
			apiKey, secret := e.binanceKey(51, c.key.ips, c.key.changes)
			if c.key.deleted {
				e.bn.RemoveKey(apiKey)
			}
			if c.fault {
				e.bn.Inject(binancetest.Fault{Status: 503, Times: 100})
			}
			a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", apiKey, "HMAC", secret))
			if a.status != c.want.status || a.code() != c.want.code {
				t.Fatalf("PUT = %d %s, want %d %s", a.status, a.body, c.want.status, c.want.code)
			}
			stored, err := e.mem.GetKey(context.Background(), 1, "btc-spot")
			if (err == nil) != (c.want.status == 200) {
				t.Fatalf("stored: %+v, %v", stored, err)
			}
			if c.lock == "off" && len(e.bn.Requests()) != 0 {
				t.Errorf("ip_lock off, yet Binance was called: %+v", e.bn.Requests())
			}
			// Each check with Binance is a "key checked" record, as
			// docs/service.md says, whatever its outcome.
			var checked []map[string]any
			for _, rec := range e.logs.records(t) {
				if rec["msg"] == "key checked" {
					checked = append(checked, rec)
				}
			}
			switch {
			case c.lock == "off" && len(checked) != 0:
				t.Errorf("ip_lock off, yet a check was logged: %v", checked)
			case c.lock != "off" && len(checked) != 1:
				t.Errorf("%d key checked records, want 1: %s", len(checked), e.logs.String())
			case c.lock != "off":
				rec := checked[0]
				if rec["trigger"] != "put" || rec["bot"] != "btc-spot" || rec["api_key"] != MaskAPIKey(apiKey) ||
					rec["seen_from"] != serviceIP || (c.want.outcome != "" && rec["outcome"] != c.want.outcome) {
					t.Errorf("key checked record %v", rec)
				}
			}
			if c.want.code == CodeKeyRefused {
				var got checkError
				a.decode(t, &got)
				var fs []string
				for _, f := range got.Error.Findings {
					fs = append(fs, f.Field+":"+f.Code)
				}
				if strings.Join(fs, ",") != c.want.findings {
					t.Errorf("findings %v, want %s", fs, c.want.findings)
				}
			}
			if c.want.status != 200 {
				return
			}
			var reg registration
			a.decode(t, &reg)
			if c.want.outcome == "" {
				if reg.LastCheck != nil || !strings.Contains(string(a.body), `"last_check":null`) {
					t.Errorf("last_check should be null: %s", a.body)
				}
				return
			}
			lc := reg.LastCheck
			if lc == nil || lc.Outcome != c.want.outcome || lc.SeenFrom != serviceIP || lc.UID != 51 || !lc.CheckedAt.Equal(e.clock.Now()) {
				t.Fatalf("last_check %s", a.body)
			}
			if stored.LastCheck == nil || stored.LastCheck.Outcome != c.want.outcome || stored.LastCheck.SeenFrom != serviceIP {
				t.Errorf("stored last_check %+v", stored.LastCheck)
			}
			// GET returns the stored check.
			var got registration
			e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil).decode(t, &got)
			if !reflect.DeepEqual(got.LastCheck, reg.LastCheck) {
				t.Errorf("GET last_check %+v, PUT gave %+v", got.LastCheck, reg.LastCheck)
			}
		})
	}
}

// The same key sent again is checked again (a fresh last_check) and keeps
// its registration.
func TestCheckingPutIdempotent(t *testing.T) {
	e := newCheckEnv(t, "required")
	apiKey, secret := e.binanceKey(61, []string{serviceIP}, nil)
	body := e.sealed("btc-spot", apiKey, "HMAC", secret)
	var first, second registration
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body).decode(t, &first)
	e.clock.Add(time.Hour)
	a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body)
	a.decode(t, &second)
	if a.status != 200 || first.LastCheck == nil || second.LastCheck == nil || !second.LastCheck.CheckedAt.Equal(first.LastCheck.CheckedAt.Add(time.Hour)) {
		t.Fatalf("second PUT %d %s", a.status, a.body)
	}
	// Binance now refuses it: the PUT is refused, the registration stays.
	e.bn.SetIPs(apiKey, []string{"198.51.100.1"})
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body); a.status != 422 || a.code() != CodeBinanceRejected {
		t.Fatalf("PUT of a key Binance now refuses: %d %s", a.status, a.body)
	}
	if _, err := e.mem.GetKey(context.Background(), 1, "btc-spot"); err != nil {
		t.Errorf("the registration was lost: %v", err)
	}
}

func TestLiveReads(t *testing.T) {
	e := newCheckEnv(t, "recommended")
	ctx := context.Background()
	if err := e.mem.Subscribe(ctx, "ada@example.com", "eth-spot"); err != nil {
		t.Fatal(err)
	}
	btc, btcSecret := e.binanceKey(71, []string{serviceIP}, nil)
	eth, ethSecret := e.binanceKey(72, nil, nil)
	for bot, k := range map[string][2]string{"btc-spot": {btc, btcSecret}, "eth-spot": {eth, ethSecret}} {
		if a := e.do("PUT", "/v1/bots/"+bot+"/binance-key", e.token, e.sealed(bot, k[0], "HMAC", k[1])); a.status != 200 {
			t.Fatalf("PUT %s: %d %s", bot, a.status, a.body)
		}
	}
	e.clock.Add(time.Hour)
	e.bn.RemoveKey(btc)

	// Without live: what the PUT saw.
	var reg registration
	e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil).decode(t, &reg)
	if reg.LastCheck == nil || reg.LastCheck.Outcome != "ok" {
		t.Fatalf("stored last_check %+v", reg.LastCheck)
	}
	calls := len(e.bn.Requests())
	a := e.do("GET", "/v1/bots/btc-spot/binance-key?live=1", e.token, nil)
	a.decode(t, &reg)
	if a.status != 200 || reg.LastCheck == nil || reg.LastCheck.Outcome != "deleted" || reg.LastCheck.BinanceCode != -2015 ||
		reg.LastCheck.SeenFrom != serviceIP || !reg.LastCheck.CheckedAt.Equal(e.clock.Now()) || string(reg.LastCheck.APIRestrictions) != "null" {
		t.Fatalf("live GET %d %s", a.status, a.body)
	}
	if len(e.bn.Requests()) == calls {
		t.Error("live GET did not call Binance")
	}
	e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil).decode(t, &reg)
	if reg.LastCheck == nil || reg.LastCheck.Outcome != "deleted" {
		t.Errorf("the live check was not stored: %+v", reg.LastCheck)
	}

	// All keys at once.
	var list struct{ Keys []registration }
	e.clock.Add(time.Hour)
	a = e.do("GET", "/v1/binance-keys?live=1", e.token, nil)
	a.decode(t, &list)
	if a.status != 200 || len(list.Keys) != 2 || list.Keys[0].Bot != "btc-spot" || list.Keys[1].Bot != "eth-spot" {
		t.Fatalf("GET /v1/binance-keys?live=1 = %d %s", a.status, a.body)
	}
	if lc := list.Keys[0].LastCheck; lc == nil || lc.Outcome != "deleted" || !lc.CheckedAt.Equal(e.clock.Now()) {
		t.Errorf("btc-spot %+v", lc)
	}
	if lc := list.Keys[1].LastCheck; lc == nil || lc.Outcome != "ok" || lc.UID != 72 || ipRestrictIn(t, lc.APIRestrictions) != false {
		t.Errorf("eth-spot %+v", lc)
	}

	// Binance unreachable: not an error for a live read.
	e.bn.Inject(binancetest.Fault{Status: 503, Times: 100})
	a = e.do("GET", "/v1/binance-keys?live=1", e.token, nil)
	e.bn.ClearFaults()
	a.decode(t, &list)
	if a.status != 200 || len(list.Keys) != 2 || list.Keys[1].LastCheck.Outcome != "unreachable" || list.Keys[1].LastCheck.BinanceCode != 0 {
		t.Errorf("live list with Binance down: %d %s", a.status, a.body)
	}

	// Without live, the stored checks; a bot no longer paid for is left out.
	if err := e.mem.Unsubscribe(ctx, "ada@example.com", "eth-spot"); err != nil {
		t.Fatal(err)
	}
	calls = len(e.bn.Requests())
	a = e.do("GET", "/v1/binance-keys", e.token, nil)
	a.decode(t, &list)
	if a.status != 200 || len(list.Keys) != 1 || list.Keys[0].Bot != "btc-spot" || len(e.bn.Requests()) != calls {
		t.Errorf("GET /v1/binance-keys = %d %s", a.status, a.body)
	}
	other := e.addSubscriber("bob@example.com")
	if a := e.do("GET", "/v1/binance-keys", other, nil); a.status != 200 || strings.TrimSpace(string(a.body)) != `{"keys":[]}` {
		t.Errorf("no keys: %d %s", a.status, a.body)
	}
	if a := e.do("GET", "/v1/binance-keys", "", nil); a.status != 401 {
		t.Errorf("no token: %d", a.status)
	}
}

// A key sealed to a vault key since rotated cannot be opened: a live read
// answers the stored check rather than fail.
func TestLiveReadAfterVaultRotation(t *testing.T) {
	e := newCheckEnv(t, "recommended")
	apiKey, secret := e.binanceKey(81, []string{serviceIP}, nil)
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", apiKey, "HMAC", secret))
	next, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	e.srv.SetVaultKey(next)
	e.clock.Add(time.Hour)
	var reg registration
	a := e.do("GET", "/v1/bots/btc-spot/binance-key?live=1", e.token, nil)
	a.decode(t, &reg)
	if a.status != 200 || reg.LastCheck == nil || reg.LastCheck.Outcome != "ok" || reg.LastCheck.CheckedAt.Equal(e.clock.Now()) {
		t.Errorf("live read after a rotation: %d %s", a.status, a.body)
	}
}

// The periodic check records every key's outcome, visible to the engine.
func TestPeriodicCheck(t *testing.T) {
	e := newCheckEnv(t, "off")
	ctx := context.Background()
	type sub struct{ email, token, apiKey string }
	var subs []sub
	for i, email := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
		tok := e.token
		if i > 0 {
			tok = e.addSubscriber(email, "btc-spot")
		}
		apiKey, secret := e.binanceKey(int64(90+i), nil, nil)
		if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", tok, e.sealed("btc-spot", apiKey, "HMAC", secret)); a.status != 200 {
			t.Fatalf("PUT: %d %s", a.status, a.body)
		}
		subs = append(subs, sub{email, tok, apiKey})
	}
	engine := func() map[string][3]any {
		var got struct {
			Keys []struct {
				Email       string     `json:"email"`
				LastCheck   *time.Time `json:"last_check"`
				Outcome     *string    `json:"last_check_outcome"`
				BinanceCode int        `json:"last_check_binance_code"`
			} `json:"keys"`
		}
		e.do("GET", "/internal/v1/keys?bot=btc-spot", e.engine, nil).decode(t, &got)
		out := map[string][3]any{}
		for _, k := range got.Keys {
			var o any
			if k.Outcome != nil {
				o = *k.Outcome
			}
			out[k.Email] = [3]any{k.LastCheck != nil, o, k.BinanceCode}
		}
		return out
	}
	if got := engine(); got["ada@example.com"] != [3]any{false, nil, 0} {
		t.Fatalf("before any check: %v", got)
	}

	n, err := e.srv.CheckKeys(ctx, time.Hour)
	if err != nil || n != 3 {
		t.Fatalf("CheckKeys = %d, %v", n, err)
	}
	for _, s := range subs {
		if got := engine()[s.email]; got != [3]any{true, "ok", 0} {
			t.Errorf("%s after the first check: %v", s.email, got)
		}
	}
	// Checked moments ago: skipped.
	if n, err := e.srv.CheckKeys(ctx, time.Hour); err != nil || n != 0 {
		t.Errorf("CheckKeys right after = %d, %v", n, err)
	}

	e.clock.Add(2 * time.Hour)
	e.bn.RemoveKey(subs[0].apiKey)
	e.bn.SetRestrictions(subs[1].apiKey, json.RawMessage(`{"ipRestrict":false,"enableReading":true,"enableSpotAndMarginTrading":false,"tradingAuthorityExpirationTime":1628985600000}`))
	if n, err := e.srv.CheckKeys(ctx, time.Hour); err != nil || n != 3 {
		t.Fatalf("CheckKeys = %d, %v", n, err)
	}
	got := engine()
	want := map[string][3]any{
		"ada@example.com": {true, "deleted", -2015},
		"bob@example.com": {true, "refused", 0},
		"cy@example.com":  {true, "ok", 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after deletion and lapse:\n got %v\nwant %v", got, want)
	}
	var reg registration
	e.do("GET", "/v1/bots/btc-spot/binance-key", subs[1].token, nil).decode(t, &reg)
	if reg.LastCheck == nil || reg.LastCheck.Outcome != "refused" || !strings.Contains(string(reg.LastCheck.APIRestrictions), "tradingAuthorityExpirationTime") {
		t.Errorf("the subscriber does not see the lapse: %+v", reg.LastCheck)
	}

	e.clock.Add(2 * time.Hour)
	e.bn.Inject(binancetest.Fault{Status: 503, Times: 1000})
	if n, err := e.srv.CheckKeys(ctx, time.Hour); err != nil || n != 3 {
		t.Fatalf("CheckKeys = %d, %v", n, err)
	}
	if got := engine()["cy@example.com"]; got != [3]any{true, "unreachable", 0} {
		t.Errorf("Binance down: %v", got)
	}

	m := string(e.do("GET", "/metrics", "", nil).body)
	for _, line := range []string{
		`smartradexd_key_checks_total{trigger="periodic",outcome="ok"} 4`,
		`smartradexd_key_checks_total{trigger="periodic",outcome="deleted"} 1`,
		`smartradexd_key_checks_total{trigger="periodic",outcome="refused"} 1`,
		`smartradexd_key_checks_total{trigger="periodic",outcome="unreachable"} 3`,
	} {
		if !strings.Contains(m, line+"\n") {
			t.Errorf("metrics lack %q", line)
		}
	}
	logs := e.logs.String()
	for _, s := range subs {
		if strings.Contains(logs, s.apiKey) {
			t.Error("the logs hold a full API key")
		}
	}
	if !strings.Contains(logs, `"trigger":"periodic"`) {
		t.Error("the periodic checks are not logged")
	}
}

func TestRunChecksStops(t *testing.T) {
	e := newCheckEnv(t, "off")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.RunChecks(ctx, time.Hour); close(done) }()
	cancel()
	<-done
	e.srv.RunChecks(context.Background(), 0) // disabled: returns at once
}

// seen_from is --binance-source-addr when set, else the first egress
// address.
func TestSeenFrom(t *testing.T) {
	cases := []struct {
		source string
		egress []string
		want   string
	}{
		{"", []string{"203.0.113.10", "203.0.113.11"}, "203.0.113.10"},
		{"127.0.0.2", []string{"203.0.113.10"}, "127.0.0.2"},
		{"", nil, ""},
	}
	for _, c := range cases {
		cfg := Config{Inspector: fakeInspector{}}
		if c.source != "" {
			cfg.BinanceSourceAddr = netip.MustParseAddr(c.source)
		}
		for _, a := range c.egress {
			cfg.EgressIPs = append(cfg.EgressIPs, netip.MustParseAddr(a))
		}
		if got := New(cfg, nil, nil, nil).seenFrom(); got != c.want {
			t.Errorf("%+v: seenFrom = %q, want %q", c, got, c.want)
		}
	}
}

type fakeInspector struct{}

func (fakeInspector) Inspect(context.Context, binance.Credentials) (*binance.Inspection, error) {
	return nil, fmt.Errorf("not used")
}

// The checks' logs and metrics hold no secret, sealed secret, full API key,
// e-mail or Binance answer.
func TestChecksLeakNothing(t *testing.T) {
	e := newCheckEnv(t, "required")
	apiKey, secret := e.binanceKey(101, []string{serviceIP}, nil)
	refusedKey, refusedSecret := e.binanceKey(102, nil, nil)
	body := e.sealed("btc-spot", apiKey, "HMAC", secret)
	e.do("POST", "/v1/bots/btc-spot/binance-key/checks", e.token, body)
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", refusedKey, "HMAC", refusedSecret))
	e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body)
	e.do("GET", "/v1/bots/btc-spot/binance-key?live=1", e.token, nil)
	e.do("GET", "/v1/binance-keys?live=1", e.token, nil)
	e.clock.Add(24 * time.Hour)
	if n, err := e.srv.CheckKeys(context.Background(), time.Hour); n != 1 || err != nil {
		t.Fatalf("CheckKeys = %d, %v", n, err)
	}
	metrics := string(e.do("GET", "/metrics", "", nil).body)
	logs := e.logs.String()
	for what, v := range map[string]string{"secret": secret, "refused key's secret": refusedSecret, "API key": apiKey,
		"refused API key": refusedKey, "sealed secret": body.SealedSecret, "e-mail": "ada@example.com",
		"Binance's answer": "enableSpotAndMarginTrading"} {
		if strings.Contains(logs, v) {
			t.Errorf("the logs hold the %s", what)
		}
		if strings.Contains(metrics, v) {
			t.Errorf("the metrics hold the %s", what)
		}
	}
	for _, trigger := range []string{"request", "put", "live", "periodic"} {
		// Each series is there from the start: the count must have moved.
		if !regexp.MustCompile(`(?m)^smartradexd_key_checks_total\{trigger="` + trigger + `",outcome="ok"\} [1-9]`).MatchString(metrics) {
			t.Errorf("no ok check counted for %s", trigger)
		}
	}
	if !strings.Contains(metrics, `smartradexd_key_checks_total{trigger="put",outcome="refused"} 1`) {
		t.Error("the refused PUT is not counted")
	}
}

// The checks made while a client waits share one budget per process, so
// that subscribers cannot spend the service's Binance request weight.
func TestCheckBudget(t *testing.T) {
	e := newCheckEnv(t, "required", func(c *Config) { c.CheckBudget = RateLimit{Rate: 1, Burst: 2} })
	apiKey, secret := e.binanceKey(111, []string{serviceIP}, nil)
	body := e.sealed("btc-spot", apiKey, "HMAC", secret)
	for i := range 2 {
		if a := e.do("POST", "/v1/bots/btc-spot/binance-key/checks", e.token, body); a.status != 200 {
			t.Fatalf("check %d = %d %s", i, a.status, a.body)
		}
	}
	calls := len(e.bn.Requests())
	a := e.do("POST", "/v1/bots/btc-spot/binance-key/checks", e.token, body)
	if a.status != 429 || a.code() != CodeRateLimited || a.header.Get("Retry-After") != "1" {
		t.Errorf("third check = %d %s, Retry-After %q", a.status, a.body, a.header.Get("Retry-After"))
	}
	if a := e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body); a.status != 429 || a.code() != CodeRateLimited {
		t.Errorf("checking PUT over budget = %d %s", a.status, a.body)
	}
	if _, err := e.mem.GetKey(context.Background(), 1, "btc-spot"); err == nil {
		t.Error("a PUT refused for the budget stored the key")
	}
	if len(e.bn.Requests()) != calls {
		t.Error("Binance was called over budget")
	}
	// A token back after a second.
	e.clock.Add(time.Second)
	var reg registration
	a = e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body)
	a.decode(t, &reg)
	if a.status != 200 || reg.LastCheck == nil {
		t.Fatalf("PUT after a second = %d %s", a.status, a.body)
	}
	// Over budget, a live read answers the stored check; a plain read takes
	// nothing from the budget.
	e.clock.Add(time.Hour)
	e.bn.RemoveKey(apiKey)
	a = e.do("GET", "/v1/bots/btc-spot/binance-key?live=1", e.token, nil)
	var first registration
	a.decode(t, &first)
	if first.LastCheck == nil || first.LastCheck.Outcome != "deleted" {
		t.Fatalf("live read within budget: %s", a.body)
	}
	e.do("GET", "/v1/bots/btc-spot/binance-key?live=1", e.token, nil) // the budget's last token
	e.clock.Add(time.Millisecond)
	for range 3 {
		e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil)
	}
	calls = len(e.bn.Requests())
	a = e.do("GET", "/v1/binance-keys?live=1", e.token, nil)
	var list struct{ Keys []registration }
	a.decode(t, &list)
	if a.status != 200 || len(list.Keys) != 1 || list.Keys[0].LastCheck == nil || list.Keys[0].LastCheck.Outcome != "deleted" {
		t.Errorf("live list over budget = %d %s", a.status, a.body)
	}
	if len(e.bn.Requests()) != calls {
		t.Error("a live read over budget called Binance")
	}
}
