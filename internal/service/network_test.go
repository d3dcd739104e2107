package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/seal"
)

// answering serves every request but the vault key's with status and body,
// and records the requests.
func answering(t *testing.T, status int, body string) (*Client, *[]*http.Request, *[]string) {
	t.Helper()
	var reqs []*http.Request
	var bodies []string
	ts := httptest.NewServer(withVault(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		reqs = append(reqs, r)
		bodies = append(bodies, string(b))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	})))
	t.Cleanup(ts.Close)
	f := newFixture(t)
	return f.client(t, func(o *Options) { o.BaseURL = ts.URL }), &reqs, &bodies
}

func TestNetwork(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		lock   string
		ips    []string
		bad    bool
	}{
		{"required", 200, `{"egress_ips":["203.0.113.10","2001:db8::1"],"ip_lock":"required","changes":[]}`, "required", []string{"203.0.113.10", "2001:db8::1"}, false},
		{"recommended with a change", 200, `{"egress_ips":["203.0.113.10"],"ip_lock":"recommended","changes":[{"add":["203.0.113.20"],"remove":[],"effective_at":"2027-01-10T00:00:00Z"}]}`, "recommended", []string{"203.0.113.10"}, false},
		{"off without addresses", 200, `{"egress_ips":[],"ip_lock":"off","changes":[]}`, "off", []string{}, false},
		{"404 is off", 404, `{"error":{"code":"not_found","message":"no"}}`, "off", []string{}, false},
		{"unknown ip_lock", 200, `{"egress_ips":["203.0.113.10"],"ip_lock":"maybe","changes":[]}`, "", nil, true},
		{"locking with no address", 200, `{"egress_ips":[],"ip_lock":"required","changes":[]}`, "", nil, true},
		{"not an address", 200, `{"egress_ips":["203.0.113.10/32"],"ip_lock":"required","changes":[]}`, "", nil, true},
		{"not canonical", 200, `{"egress_ips":["203.000.113.10"],"ip_lock":"required","changes":[]}`, "", nil, true},
		{"twice", 200, `{"egress_ips":["203.0.113.10","203.0.113.10"],"ip_lock":"required","changes":[]}`, "", nil, true},
		{"control characters", 200, `{"egress_ips":["203.0.113.10\u001b[2J"],"ip_lock":"required","changes":[]}`, "", nil, true},
		{"too many", 200, `{"egress_ips":[` + manyIPs(31) + `],"ip_lock":"required","changes":[]}`, "", nil, true},
		{"change without date", 200, `{"egress_ips":["203.0.113.10"],"ip_lock":"required","changes":[{"add":["203.0.113.20"]}]}`, "", nil, true},
		{"member twice", 200, `{"egress_ips":["203.0.113.10"],"ip_lock":"off","ip_lock":"required"}`, "", nil, true},
		{"member in another case", 200, `{"egress_ips":["203.0.113.10"],"IP_LOCK":"required"}`, "", nil, true},
		{"a 500 page", 500, `<html>`, "", nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, reqs, _ := answering(t, c.status, c.body)
			n, err := cl.Network(context.Background())
			if (*reqs)[0].Header.Get("Authorization") != "" {
				t.Error("GET /v1/network carries the token")
			}
			if c.bad {
				if err == nil {
					t.Fatalf("Network accepted %s: %+v", c.body, n)
				}
				if k := apperr.KindOf(err); k != apperr.Unavailable {
					t.Errorf("kind %d, want %d", k, apperr.Unavailable)
				}
				return
			}
			if err != nil {
				t.Fatalf("Network: %v", err)
			}
			if n.IPLock != c.lock || strings.Join(n.EgressIPs, ",") != strings.Join(c.ips, ",") {
				t.Errorf("got %+v, want %s %v", n, c.lock, c.ips)
			}
			if n.Locking() != (c.lock != "off") {
				t.Errorf("Locking() = %v for %s", n.Locking(), c.lock)
			}
		})
	}
}

func manyIPs(n int) string {
	var parts []string
	for i := 1; i <= n; i++ {
		parts = append(parts, `"203.0.113.`+itoa(i)+`"`)
	}
	return strings.Join(parts, ",")
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestCheckKey(t *testing.T) {
	const ok = `{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","api_restrictions":{"ipRestrict":true,"enableReading":true},"uid":354937868}`
	cl, reqs, bodies := answering(t, 200, ok)
	got, err := cl.CheckKey(context.Background(), "btc-spot", reg)
	if err != nil {
		t.Fatalf("CheckKey: %v", err)
	}
	if got.SeenFrom != "203.0.113.10" || got.UID != 354937868 || !strings.Contains(string(got.APIRestrictions), `"ipRestrict":true`) {
		t.Errorf("got %+v", got)
	}
	r := (*reqs)[0]
	if r.Method != http.MethodPost || r.URL.Path != "/v1/bots/btc-spot/binance-key/checks" {
		t.Errorf("request %s %s", r.Method, r.URL.Path)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte((*bodies)[0]), &body); err != nil {
		t.Fatal(err)
	}
	if strings.Contains((*bodies)[0], secret) || body["api_secret"] != nil {
		t.Error("the check carries the secret in clear")
	}
	sealed, _ := json.Marshal(body["sealed_secret"])
	var raw []byte
	_ = json.Unmarshal(sealed, &raw)
	if pt, err := seal.Open(testVault(), "btc-spot", apiKey, "HMAC", raw); err != nil || string(pt) != secret {
		t.Errorf("the sealed secret does not open for btc-spot: %v", err)
	}
}

func TestCheckKeyAnswers(t *testing.T) {
	cases := []struct {
		name     string
		status   int
		body     string
		kind     apperr.Kind
		code     string
		seenFrom string
		bcode    int
		findings []RefusedFinding
	}{
		{"binance rejected", 422, `{"error":{"code":"binance_rejected","message":"Invalid API-key, IP, or permissions for action.","binance_code":-2015,"seen_from":"203.0.113.10"}}`,
			apperr.Rejected, "service.binance_rejected", "203.0.113.10", -2015, nil},
		{"binance rejected, seen_from not an address", 422, `{"error":{"code":"binance_rejected","message":"x","binance_code":-2015,"seen_from":"\u001b]8;;evil"}}`,
			apperr.Rejected, "service.binance_rejected", "", -2015, nil},
		{"key refused", 422, `{"error":{"code":"key_refused","message":"refused","findings":[{"code":"forbidden_permission","field":"enableWithdrawals"},{"code":"bad code!","field":"x"}]}}`,
			apperr.Refused, "service.key_refused", "", 0, []RefusedFinding{{"forbidden_permission", "enableWithdrawals"}}},
		{"no seen_from in a 200", 200, `{"checked_at":"2026-12-01T10:00:00Z","api_restrictions":{},"uid":1}`, apperr.Unavailable, "service.bad_response", "", 0, nil},
		{"api_restrictions not an object", 200, `{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","api_restrictions":"yes","uid":1}`, apperr.Unavailable, "service.bad_response", "", 0, nil},
		{"no checked_at", 200, `{"seen_from":"203.0.113.10","api_restrictions":{},"uid":1}`, apperr.Unavailable, "service.bad_response", "", 0, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, _, _ := answering(t, c.status, c.body)
			_, err := cl.CheckKey(context.Background(), "btc-spot", reg)
			e := appErr(t, err)
			if e.Kind != c.kind || e.Code != c.code {
				t.Fatalf("got %d %s, want %d %s: %v", e.Kind, e.Code, c.kind, c.code, err)
			}
			var re *RejectedError
			if errors.As(err, &re) != (c.bcode != 0) || re != nil && (re.SeenFrom != c.seenFrom || re.BinanceCode != c.bcode) {
				t.Errorf("RejectedError %+v", re)
			}
			var fe *RefusedError
			if errors.As(err, &fe) != (c.findings != nil) || fe != nil && !sameFindings(fe.Findings, c.findings) {
				t.Errorf("RefusedError %+v", fe)
			}
			if strings.Contains(rendered(err), "\x1b") || strings.Contains(rendered(err), secret) {
				t.Error("the error shows a control character or the secret")
			}
		})
	}
}

func sameFindings(a, b []RefusedFinding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPutKeyLastCheck(t *testing.T) {
	const base = `{"bot":"btc-spot","api_key":"` + apiKey + `","status":"active","registered_at":"2026-12-01T10:00:00Z"`
	cases := []struct {
		name    string
		body    string
		outcome string
		bad     bool
	}{
		{"none", base + `}`, "", false},
		{"ok", base + `,"last_check":{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","api_restrictions":{"ipRestrict":true},"uid":7,"outcome":"ok"}}`, "ok", false},
		{"deleted without restrictions", base + `,"last_check":{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","outcome":"deleted","binance_code":-2015}}`, "deleted", false},
		{"unknown outcome", base + `,"last_check":{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","api_restrictions":{},"outcome":"fine"}}`, "", true},
		{"ok without restrictions", base + `,"last_check":{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","outcome":"ok"}}`, "", true},
		{"seen_from unknown (a service without an address)", base + `,"last_check":{"seen_from":"","checked_at":"2026-12-01T10:00:00Z","outcome":"unreachable"}}`, "unreachable", false},
		{"seen_from not an address", base + `,"last_check":{"seen_from":"somewhere","checked_at":"2026-12-01T10:00:00Z","api_restrictions":{},"outcome":"ok"}}`, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, _, _ := answering(t, 200, c.body)
			got, err := cl.PutKey(context.Background(), "btc-spot", reg)
			if c.bad {
				if apperr.KindOf(err) != apperr.Unavailable {
					t.Fatalf("PutKey accepted %s: %v", c.body, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("PutKey: %v", err)
			}
			if got.LastCheck == nil && c.outcome != "" || got.LastCheck != nil && got.LastCheck.Outcome != c.outcome {
				t.Errorf("last_check %+v, want outcome %q", got.LastCheck, c.outcome)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	const one = `{"bot":"btc-spot","api_key":"` + apiKey + `","status":"active","registered_at":"2026-12-01T10:00:00Z","last_check":{"seen_from":"203.0.113.10","checked_at":"2026-12-01T10:00:00Z","outcome":"deleted","binance_code":-2015}}`
	cl, reqs, _ := answering(t, 200, `{"keys":[`+one+`]}`)
	got, err := cl.Keys(context.Background(), true)
	if err != nil {
		t.Fatalf("LiveKeys: %v", err)
	}
	if r := (*reqs)[0]; r.URL.Path != "/v1/binance-keys" || r.URL.Query().Get("live") != "1" || r.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("request %s", r.URL)
	}
	if len(got) != 1 || got[0].LastCheck.OK() || got[0].LastCheck.BinanceCode != -2015 {
		t.Errorf("got %+v", got)
	}
	for _, bad := range []string{`{}`, `{"keys":[` + one + `,` + one + `]}`, `{"keys":[{"bot":"BAD"}]}`} {
		cl, _, _ := answering(t, 200, bad)
		if _, err := cl.Keys(context.Background(), false); apperr.KindOf(err) != apperr.Unavailable {
			t.Errorf("LiveKeys accepted %s: %v", bad, err)
		}
	}
}
