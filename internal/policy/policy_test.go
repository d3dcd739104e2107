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
			v, err := Judge(c.raw, now)
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
	v, err := Judge(body(t, map[string]any{"enableWithdrawals": true, "ipRestrict": true, "enableReading": false}), now)
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
	v, err := Judge(body(t, map[string]any{"tradingAuthorityExpirationTime": exp.UnixMilli()}), now)
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
	v, err := Judge([]byte(documented), now)
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
			_, err := Judge([]byte(raw), now)
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
