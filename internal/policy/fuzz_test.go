package policy

import (
	"bytes"
	"encoding/json"
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
		// an object whose true values are exactly the allowed ones.
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("accepted a body the standard decoder rejects: %v", err)
		}
		for _, req := range []string{FieldReading, FieldSpotTrading} {
			if string(bytes.TrimSpace(m[req])) != "true" {
				t.Fatalf("accepted with %s = %s", req, m[req])
			}
		}
		for k, val := range m {
			if k == FieldReading || k == FieldSpotTrading || k == FieldFixReadOnly {
				continue
			}
			if string(bytes.TrimSpace(val)) == "true" {
				t.Fatalf("accepted with %s = true", k)
			}
		}
	})
}
