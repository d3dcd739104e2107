package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// documented is the current 13-field response of the facts file, verbatim.
const documented = `{
  "ipRestrict": false,
  "createTime": 1698645219000,
  "enableReading": true,
  "enableWithdrawals": false,
  "enableInternalTransfer": false,
  "enableMargin": false,
  "enableFutures": false,
  "permitsUniversalTransfer": false,
  "enableVanillaOptions": false,
  "enableFixApiTrade": false,
  "enableFixReadOnly": true,
  "enableSpotAndMarginTrading": false,
  "enablePortfolioMarginTrading": true
}`

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// body returns the documented response with some fields replaced (nil
// deletes a field, a json.RawMessage is used verbatim).
func body(t testing.TB, changes map[string]any) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(documented), &m); err != nil {
		t.Fatal(err)
	}
	// An acceptable key by default: the documented example is not one.
	m["enableSpotAndMarginTrading"] = true
	m["enablePortfolioMarginTrading"] = false
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type finding struct{ code, field string }

func codes(fs []Finding) []finding {
	out := []finding{}
	for _, f := range fs {
		out = append(out, finding{f.Code, f.Field})
	}
	return out
}

func TestJudge(t *testing.T) {
	ms := func(t time.Time) json.RawMessage { return json.RawMessage(fmt.Sprint(t.UnixMilli())) }
	cases := []struct {
		name     string
		raw      []byte
		problems []finding
		warnings []finding
	}{
		{"documented response verbatim (portfolio margin on, trading off)", []byte(documented),
			[]finding{{CodeForbiddenPermission, "enablePortfolioMarginTrading"}, {CodeMissingPermission, "enableSpotAndMarginTrading"}}, nil},
		{"the key SmartradeX wants", body(t, nil), nil, nil},
		{"FIX read-only off is fine too", body(t, map[string]any{"enableFixReadOnly": false}), nil, nil},
		{"minimal response", []byte(`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false}`), nil, nil},
		{"no ipRestrict is not a pass", []byte(`{"enableReading":true,"enableSpotAndMarginTrading":true}`),
			[]finding{{CodeMissingField, "ipRestrict"}}, nil},
		{"no ipRestrict, documented otherwise", body(t, map[string]any{"ipRestrict": nil}),
			[]finding{{CodeMissingField, "ipRestrict"}}, nil},
		{"ipRestrict null", body(t, map[string]any{"ipRestrict": json.RawMessage(`null`)}),
			[]finding{{CodeUnrecognisedField, "ipRestrict"}}, nil},
		{"a field name with a terminal sequence is shown cleaned", body(t, map[string]any{"enable\u001b[2J\u001b]0;x\u0007Foo": true}),
			[]finding{{CodeUnknownPermission, "enable[2J]0;xFoo"}}, nil},
		{"a field name with a bidi override, unreadable value", body(t, map[string]any{"enable\u202eFoo": "yes"}),
			[]finding{{CodeUnrecognisedField, "enableFoo"}}, nil},
		{"reading off", body(t, map[string]any{"enableReading": false}),
			[]finding{{CodeMissingPermission, "enableReading"}}, nil},
		{"both required off", body(t, map[string]any{"enableReading": false, "enableSpotAndMarginTrading": false}),
			[]finding{{CodeMissingPermission, "enableReading"}, {CodeMissingPermission, "enableSpotAndMarginTrading"}}, nil},
		{"ip restricted", body(t, map[string]any{"ipRestrict": true}),
			[]finding{{CodeIPRestricted, "ipRestrict"}}, nil},
		{"older variant, expiry far away", body(t, map[string]any{"tradingAuthorityExpirationTime": ms(now.Add(30 * 24 * time.Hour))}), nil, nil},
		{"older variant, expiry within 7 days", body(t, map[string]any{"tradingAuthorityExpirationTime": ms(now.Add(3 * 24 * time.Hour))}),
			nil, []finding{{CodeTradingExpiresSoon, "tradingAuthorityExpirationTime"}}},
		{"older variant, expired (documented value)", body(t, map[string]any{"tradingAuthorityExpirationTime": 1628985600000}),
			[]finding{{CodeTradingExpired, "tradingAuthorityExpirationTime"}}, nil},
		{"expiry exactly now is expired", body(t, map[string]any{"tradingAuthorityExpirationTime": ms(now)}),
			[]finding{{CodeTradingExpired, "tradingAuthorityExpirationTime"}}, nil},
		{"expiry null means none", body(t, map[string]any{"tradingAuthorityExpirationTime": json.RawMessage("null")}), nil, nil},
		{"expiry as text fails closed", body(t, map[string]any{"tradingAuthorityExpirationTime": "soon"}),
			[]finding{{CodeUnrecognisedField, "tradingAuthorityExpirationTime"}}, nil},
		{"unknown new field on", body(t, map[string]any{"enableTeleportation": true}),
			[]finding{{CodeUnknownPermission, "enableTeleportation"}}, nil},
		{"unknown new field off", body(t, map[string]any{"enableTeleportation": false}), nil, nil},
		{"unknown new field null fails closed", body(t, map[string]any{"enableTeleportation": json.RawMessage("null")}),
			[]finding{{CodeUnrecognisedField, "enableTeleportation"}}, nil},
		{"known right null fails closed", body(t, map[string]any{"enableWithdrawals": json.RawMessage("null")}),
			[]finding{{CodeUnrecognisedField, "enableWithdrawals"}}, nil},
		{"unknown field with a number", body(t, map[string]any{"withdrawLimit": 1000}),
			[]finding{{CodeUnrecognisedField, "withdrawLimit"}}, nil},
		{"unknown field with an object", body(t, map[string]any{"scopes": map[string]bool{"withdraw": true}}),
			[]finding{{CodeUnrecognisedField, "scopes"}}, nil},
		{"known right as the string true fails closed", body(t, map[string]any{"enableWithdrawals": "true"}),
			[]finding{{CodeUnrecognisedField, "enableWithdrawals"}}, nil},
		{"ipRestrict as a number fails closed", body(t, map[string]any{"ipRestrict": 1}),
			[]finding{{CodeUnrecognisedField, "ipRestrict"}}, nil},
		{"field names are case-sensitive", body(t, map[string]any{"EnableWithdrawals": true}),
			[]finding{{CodeUnknownPermission, "EnableWithdrawals"}}, nil},
		{"createTime as text fails closed", body(t, map[string]any{"createTime": "yesterday"}),
			[]finding{{CodeUnrecognisedField, "createTime"}}, nil},
		{"createTime true fails closed", body(t, map[string]any{"createTime": true}),
			[]finding{{CodeUnrecognisedField, "createTime"}}, nil},
		{"createTime negative fails closed", body(t, map[string]any{"createTime": -1}),
			[]finding{{CodeUnrecognisedField, "createTime"}}, nil},
		{"createTime null is none", body(t, map[string]any{"createTime": json.RawMessage("null")}), nil, nil},
		{"everything wrong at once, sorted by field", body(t, map[string]any{
			"enableWithdrawals": true, "ipRestrict": true, "enableReading": false, "zNew": true, "aNew": "x",
			"tradingAuthorityExpirationTime": 1628985600000}),
			[]finding{
				{CodeUnrecognisedField, "aNew"},
				{CodeMissingPermission, "enableReading"},
				{CodeForbiddenPermission, "enableWithdrawals"},
				{CodeIPRestricted, "ipRestrict"},
				{CodeTradingExpired, "tradingAuthorityExpirationTime"},
				{CodeUnknownPermission, "zNew"},
			}, nil},
	}
	for field := range forbidden {
		cases = append(cases, struct {
			name     string
			raw      []byte
			problems []finding
			warnings []finding
		}{"forbidden alone: " + field, body(t, map[string]any{field: true}), []finding{{CodeForbiddenPermission, field}}, nil})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Judge(c.raw, Context{Now: now})
			if err != nil {
				t.Fatalf("Judge: %v", err)
			}
			want := c.problems
			if want == nil {
				want = []finding{}
			}
			if got := codes(v.Problems); !reflect.DeepEqual(got, want) {
				t.Errorf("problems = %v, want %v", got, want)
			}
			wantW := c.warnings
			if wantW == nil {
				wantW = []finding{}
			}
			if got := codes(v.Warnings); !reflect.DeepEqual(got, wantW) {
				t.Errorf("warnings = %v, want %v", got, wantW)
			}
			if v.OK() != (len(c.problems) == 0) {
				t.Errorf("OK() = %v with problems %v", v.OK(), v.Problems)
			}
			for _, f := range append(append([]Finding{}, v.Problems...), v.Warnings...) {
				for _, l := range i18n.Langs {
					msg := l.Render(f.Message)
					if strings.HasPrefix(msg, "policy.") || msg == "" {
						t.Errorf("%s: message %q not in the %s catalogue", f.Code, msg, l)
					}
				}
			}
		})
	}
}

func TestJudgeMessagesNameTheUILabelAndWhatToClick(t *testing.T) {
	v, err := Judge(body(t, map[string]any{"enableWithdrawals": true, "ipRestrict": true, "enableReading": false}), Context{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := map[i18n.Lang][]string{
		i18n.EN: {"“Enable Reading”", "“Enable Withdrawals”", "Restrict access to trusted IPs only", "Edit restrictions"},
		i18n.FR: {"« Permettre la lecture »", "« Activer les retraits »", "Restreindre l'accès", "Modifier les restrictions"},
	}
	for l, needles := range want {
		var all strings.Builder
		for _, p := range v.Problems {
			all.WriteString(l.Render(p.Message) + "\n")
		}
		for _, n := range needles {
			if !strings.Contains(all.String(), n) {
				t.Errorf("%s messages lack %q:\n%s", l, n, all.String())
			}
		}
	}
}

func TestJudgeDates(t *testing.T) {
	exp := now.Add(2 * 24 * time.Hour)
	v, err := Judge(body(t, map[string]any{"tradingAuthorityExpirationTime": exp.UnixMilli()}), Context{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if v.CreatedAt == nil || v.CreatedAt.UnixMilli() != 1698645219000 {
		t.Errorf("CreatedAt = %v", v.CreatedAt)
	}
	if v.TradingExpiresAt == nil || !v.TradingExpiresAt.Equal(exp) {
		t.Errorf("TradingExpiresAt = %v, want %v", v.TradingExpiresAt, exp)
	}
	if msg := i18n.FR.Render(v.Warnings[0].Message); !strings.Contains(msg, "2025-06-03 12:00 UTC") {
		t.Errorf("warning does not give the date: %q", msg)
	}
}

func TestJudgeRights(t *testing.T) {
	v, err := Judge([]byte(documented), Context{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, r := range v.Rights {
		fields = append(fields, r.Field)
	}
	want := []string{"enableReading", "enableSpotAndMarginTrading", "enableFixApiTrade", "enableFixReadOnly",
		"enableFutures", "enableInternalTransfer", "enableMargin", "enablePortfolioMarginTrading",
		"enableVanillaOptions", "enableWithdrawals", "ipRestrict", "permitsUniversalTransfer"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("rights = %v\nwant %v", fields, want)
	}
	for _, r := range v.Rights {
		wantOK := r.Field != "enableSpotAndMarginTrading" && r.Field != "enablePortfolioMarginTrading"
		if r.OK != wantOK {
			t.Errorf("%s: OK = %v, want %v", r.Field, r.OK, wantOK)
		}
	}
}

func TestJudgeErrors(t *testing.T) {
	cases := map[string]string{
		"empty":                  ``,
		"null":                   `null`,
		"array":                  `[{"enableReading":true,"enableSpotAndMarginTrading":true}]`,
		"string":                 `"ok"`,
		"html":                   `<html><body>502 Bad Gateway</body></html>`,
		"truncated":              `{"enableReading":true,"enableSpotAndMarginTrading":tr`,
		"trailing data":          `{"enableReading":true,"enableSpotAndMarginTrading":true} {}`,
		"missing reading":        `{"enableSpotAndMarginTrading":true}`,
		"missing trading":        `{"enableReading":true}`,
		"reading as string":      `{"enableReading":"true","enableSpotAndMarginTrading":true}`,
		"trading null":           `{"enableReading":true,"enableSpotAndMarginTrading":null}`,
		"duplicate key":          `{"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":true,"enableWithdrawals":false}`,
		"duplicate required key": `{"enableReading":false,"enableReading":true,"enableSpotAndMarginTrading":true}`,
		"escaped duplicate":      `{"enableReading":true,"enableSpotAndMarginTrading":true,"enable\u0052eading":false}`,
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Judge([]byte(raw), Context{Now: now})
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.Unavailable || e.Code != "binance.bad_response" {
				t.Fatalf("Judge(%q) err = %#v, want binance.bad_response", raw, err)
			}
			if !errors.Is(err, ErrBadResponse) {
				t.Errorf("error does not wrap ErrBadResponse")
			}
		})
	}
}

func TestJudgeIPLock(t *testing.T) {
	created := time.Date(2025, 5, 20, 8, 0, 0, 0, time.UTC)
	restricted := body(t, map[string]any{"ipRestrict": true})
	unrestricted := body(t, map[string]any{"createTime": created.UnixMilli()})
	withExpiry := body(t, map[string]any{"tradingAuthorityExpirationTime": now.Add(20 * 24 * time.Hour).UnixMilli()})
	noCreate := body(t, map[string]any{"createTime": nil})
	noIPField := body(t, map[string]any{"ipRestrict": nil})
	restrictedBadRight := body(t, map[string]any{"ipRestrict": true, "enableWithdrawals": true})
	cases := []struct {
		name               string
		lock               string
		raw                []byte
		problems, warnings []finding
		ipRightOK          bool
		date               string // in the ip_unrestricted message, if any
	}{
		{"off: unrestricted accepted", IPLockOff, unrestricted, nil, nil, true, ""},
		{"off by default: unrestricted accepted", "", unrestricted, nil, nil, true, ""},
		{"off: restricted refused", IPLockOff, restricted, []finding{{CodeIPRestricted, FieldIPRestrict}}, nil, false, ""},
		{"off by default: restricted refused", "", restricted, []finding{{CodeIPRestricted, FieldIPRestrict}}, nil, false, ""},
		{"recommended: restricted accepted", IPLockRecommended, restricted, nil, nil, true, ""},
		// The 30 days run from when the right was enabled, which the key
		// does not tell: no date is made up from createTime.
		{"recommended: unrestricted warned, no date made up", IPLockRecommended, unrestricted,
			nil, []finding{{CodeIPUnrestricted, FieldIPRestrict}}, true, ""},
		{"recommended: unrestricted warned, Binance's own expiry", IPLockRecommended, withExpiry,
			nil, []finding{{CodeIPUnrestricted, FieldIPRestrict}}, true, "2025-06-21 12:00 UTC"},
		{"recommended: unrestricted, no dates", IPLockRecommended, noCreate,
			nil, []finding{{CodeIPUnrestricted, FieldIPRestrict}}, true, ""},
		{"required: restricted accepted", IPLockRequired, restricted, nil, nil, true, ""},
		{"required: unrestricted refused", IPLockRequired, unrestricted,
			[]finding{{CodeIPUnrestricted, FieldIPRestrict}}, nil, false, ""},
		{"required: restricted with a forbidden right still refused", IPLockRequired, restrictedBadRight,
			[]finding{{CodeForbiddenPermission, "enableWithdrawals"}}, nil, true, ""},
		{"recommended: restricted with a forbidden right still refused", IPLockRecommended, restrictedBadRight,
			[]finding{{CodeForbiddenPermission, "enableWithdrawals"}}, nil, true, ""},
	}
	for _, lock := range []string{"", IPLockOff, IPLockRecommended, IPLockRequired} {
		cases = append(cases, struct {
			name               string
			lock               string
			raw                []byte
			problems, warnings []finding
			ipRightOK          bool
			date               string
		}{"no ipRestrict is refused under " + lock, lock, noIPField, []finding{{CodeMissingField, FieldIPRestrict}}, nil, false, ""})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Judge(c.raw, Context{Now: now, IPLock: c.lock})
			if err != nil {
				t.Fatalf("Judge: %v", err)
			}
			if got, want := codes(v.Problems), append([]finding{}, c.problems...); !reflect.DeepEqual(got, want) {
				t.Errorf("problems = %v, want %v", got, want)
			}
			if got, want := codes(v.Warnings), append([]finding{}, c.warnings...); !reflect.DeepEqual(got, want) {
				t.Errorf("warnings = %v, want %v", got, want)
			}
			if v.OK() != (len(c.problems) == 0) {
				t.Errorf("OK() = %v", v.OK())
			}
			for _, r := range v.Rights {
				if r.Field == FieldIPRestrict && r.OK != c.ipRightOK {
					t.Errorf("ipRestrict right OK = %v, want %v", r.OK, c.ipRightOK)
				}
			}
			for _, f := range append(append([]Finding{}, v.Problems...), v.Warnings...) {
				if f.Code != CodeIPUnrestricted {
					continue
				}
				for _, l := range i18n.Langs {
					msg := l.Render(f.Message)
					if strings.Contains(msg, "policy.") || strings.Contains(msg, "%!") {
						t.Errorf("%s message not rendered: %q", l, msg)
					}
					if c.date != "" && !strings.Contains(msg, c.date) {
						t.Errorf("%s message lacks the date %s: %q", l, c.date, msg)
					}
					if c.date == "" && (strings.Contains(msg, "UTC") || !strings.Contains(msg, "30")) {
						t.Errorf("%s message should state Binance's 30-day rule without a date: %q", l, msg)
					}
				}
				en := i18n.EN.Render(f.Message)
				for _, n := range []string{"Restrict access to trusted IPs only", "Edit restrictions"} {
					if !strings.Contains(en, n) {
						t.Errorf("message lacks %q: %q", n, en)
					}
				}
				if c.lock == IPLockRecommended && !strings.Contains(en, "delete") {
					t.Errorf("recommended warning does not say Binance may delete the key: %q", en)
				}
			}
		})
	}
}

func TestJudgeUnknownIPLock(t *testing.T) {
	for _, lock := range []string{"on", "Required", " off", "\x1b[2J"} {
		v, err := Judge(body(t, nil), Context{Now: now, IPLock: lock})
		if !errors.Is(err, ErrBadContext) {
			t.Errorf("IPLock %q: err = %v, want ErrBadContext", lock, err)
		}
		if !reflect.DeepEqual(v, Verdict{}) {
			t.Errorf("IPLock %q: a verdict with the error", lock)
		}
		if err != nil && strings.Contains(err.Error(), "\x1b") {
			t.Errorf("error echoes a control sequence: %q", err)
		}
	}
}
