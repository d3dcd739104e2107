package policy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
)

// FuzzJudge checks the one property that matters: whatever Binance (or
// anything pretending to be it) sends, Judge never panics and never passes a
// key unless both required rights are literally true and nothing else is.
func FuzzJudge(f *testing.F) {
	for _, seed := range []string{
		documented,
		`{"enableReading":true,"enableSpotAndMarginTrading":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableFixReadOnly":true,"ipRestrict":false,"createTime":1}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":1628985600000}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableNew":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableNew":"true"}`,
		`{"enableReading":true,"enableReading":true,"enableSpotAndMarginTrading":true}`,
		`{"enableReading":1,"enableSpotAndMarginTrading":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"createTime":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"createTime":"1"}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":null}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":1e20}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":99999999999999}`,
		`[true]`, `null`, ``, `{`, `{"a":}`, `<html>`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Judge(raw, now)
		if err != nil {
			return
		}
		if !v.OK() {
			return
		}
		// Independent check with a plain decoder: the accepted body must be
		// an object in which both required rights are true, enableFixReadOnly
		// is a boolean, createTime is null or a count of milliseconds, the
		// trading expiry is null or in the future, and every other field is
		// exactly false.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("accepted a body the standard decoder rejects: %v", err)
		}
		for k, val := range m {
			s := string(bytes.TrimSpace(val))
			switch k {
			case FieldReading, FieldSpotTrading:
				if s != "true" {
					t.Fatalf("accepted with %s = %s", k, s)
				}
			case FieldFixReadOnly:
				if s != "true" && s != "false" {
					t.Fatalf("accepted with %s = %s", k, s)
				}
			case FieldCreateTime:
				if n, err := strconv.ParseInt(s, 10, 64); s != "null" && (err != nil || n < 0) {
					t.Fatalf("accepted with %s = %s", k, s)
				}
			case FieldTradingExpiration:
				if n, err := strconv.ParseInt(s, 10, 64); s != "null" && (err != nil || n <= now.UnixMilli()) {
					t.Fatalf("accepted with %s = %s", k, s)
				}
			default:
				if s != "false" {
					t.Fatalf("accepted with %s = %s", k, s)
				}
			}
		}
		for _, req := range []string{FieldReading, FieldSpotTrading} {
			if _, ok := m[req]; !ok {
				t.Fatalf("accepted without %s", req)
			}
		}
	})
}
