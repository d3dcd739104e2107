package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"sort"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/safetext"
)

// FuzzJudge checks Judge on whatever Binance (or anything pretending to be
// it) could send:
//   - it never panics and gives the same answer twice;
//   - a body it cannot read is an "unavailable" error, never a verdict;
//   - a verdict lists the two required rights first, and its findings
//     are sorted and each has a code and a message;
//   - a key passes only if, read independently, the body is one object
//     without duplicate names where both required rights are literally
//     true, every other right is false (Enable FIX Read Only may be
//     true), createTime is null or a count of milliseconds, and a trading
//     expiry, if any, is in the future;
//   - a body that passes stops passing when any other right is turned on;
//   - under ip_lock recommended and required the verdict differs from the
//     one under off only in what it says about ipRestrict: required passes
//     only a literally true ipRestrict, recommended passes both.
func FuzzJudge(f *testing.F) {
	for _, seed := range []string{
		documented,
		`{"enableReading":true,"enableSpotAndMarginTrading":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableFixReadOnly":true,"ipRestrict":false,"createTime":1}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":1628985600000}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":4102444800000}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":null,"enableWithdrawals":null}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":"soon"}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableNew":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableNew":"true"}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableNew":{"on":true}}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enable\u0057ithdrawals":true}`,
		`{"enableReading":true,"enableReading":true,"enableSpotAndMarginTrading":true}`,
		`{"enableWithdrawals":true,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":false}`,
		`{"enableReading":1,"enableSpotAndMarginTrading":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"":0}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"createTime":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"createTime":"1"}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":null}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":1e20}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"tradingAuthorityExpirationTime":99999999999999}`,
		` {"enableReading":true,"enableSpotAndMarginTrading":true} `,
		`{"enableReading":true,"enableSpotAndMarginTrading":true}{}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false,"enable\u001b[2J\u001b]0;x\u0007Foo":false}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false,"enable\u202eFoo\u200b":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false,"enable\u200bReading":true}`,
		`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":null}`,
		`[true]`, `null`, ``, `{`, `{"a":}`, `<html>`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		v, err := Judge(raw, Context{Now: now})
		v2, err2 := Judge(raw, Context{Now: now})
		if (err == nil) != (err2 == nil) || !reflect.DeepEqual(v, v2) {
			t.Fatal("Judge gave two answers to one body")
		}
		checkLocks(t, raw, v, err)
		if err != nil {
			var e *apperr.Error
			if !errors.As(err, &e) || e.Kind != apperr.Unavailable || !errors.Is(err, ErrBadResponse) {
				t.Fatalf("error %v is not a bad-response error", err)
			}
			if !reflect.DeepEqual(v, Verdict{}) {
				t.Fatal("both an error and a verdict")
			}
			return
		}
		checkVerdictShape(t, v)
		if !v.OK() {
			return
		}
		checkAcceptedBody(t, raw)
		// Turning on any other right must make the key fail.
		i := bytes.IndexByte(raw, '{')
		more := append(append(append([]byte(nil), raw[:i+1]...), `"enableSomethingNew":true,`...), raw[i+1:]...)
		if v, err := Judge(more, Context{Now: now}); err == nil && v.OK() {
			t.Fatal("still passes with an unknown right turned on")
		}
	})
}

func checkVerdictShape(t *testing.T, v Verdict) {
	t.Helper()
	for _, r := range v.Rights {
		if !safetext.IsClean(r.Field) {
			t.Fatalf("right %q shown uncleaned", r.Field)
		}
	}
	if len(v.Rights) < 2 || v.Rights[0].Field != FieldReading || v.Rights[1].Field != FieldSpotTrading {
		t.Fatalf("the required rights do not come first: %+v", v.Rights)
	}
	for _, list := range [][]Finding{v.Problems, v.Warnings} {
		for _, f := range list {
			if f.Code == "" || f.Message.IsZero() { // a field may be named ""
				t.Fatalf("incomplete finding %+v", f)
			}
			if !safetext.IsClean(f.Field) {
				t.Fatalf("finding names the field %q uncleaned", f.Field)
			}
		}
		if !sort.SliceIsSorted(list, func(i, j int) bool {
			return list[i].Field < list[j].Field || list[i].Field == list[j].Field && list[i].Code < list[j].Code
		}) {
			t.Fatalf("findings out of order: %+v", list)
		}
	}
}

// checkAcceptedBody reads an accepted body with its own decoder and checks
// it against the allow-list.
func checkAcceptedBody(t *testing.T, raw []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("accepted a body that is not an object: %v", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("accepted a body the standard decoder rejects: %v", err)
		}
		name := tok.(string)
		if seen[name] {
			t.Fatalf("accepted a body with %s twice", name)
		}
		seen[name] = true
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			t.Fatalf("accepted a body the standard decoder rejects: %v", err)
		}
		val = bytes.TrimSpace(val)
		switch name {
		case FieldReading, FieldSpotTrading:
			if string(val) != "true" {
				t.Fatalf("accepted with %s = %s", name, val)
			}
		case FieldCreateTime:
			var ms *int64
			if err := json.Unmarshal(val, &ms); err != nil || (ms != nil && *ms < 0) {
				t.Fatalf("accepted with %s = %s", name, val)
			}
		case FieldTradingExpiration:
			var ms *int64
			if err := json.Unmarshal(val, &ms); err != nil {
				t.Fatalf("accepted with %s = %s", name, val)
			}
			if ms != nil && *ms <= now.UnixMilli() {
				t.Fatalf("accepted with the trading right expired at %d", *ms)
			}
		default:
			// null is no answer: a right must be literally off.
			ok := string(val) == "false" || name == FieldFixReadOnly && string(val) == "true"
			if !ok {
				t.Fatalf("accepted with %s = %s", name, val)
			}
		}
	}
	if !seen[FieldReading] || !seen[FieldSpotTrading] {
		t.Fatal("accepted without a required right")
	}
	if !seen[FieldIPRestrict] {
		t.Fatal("accepted without ipRestrict")
	}
	if _, err := dec.Token(); err != nil {
		t.Fatalf("accepted an unterminated object: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatal("accepted a body with something after the object")
	}
}

// checkLocks judges raw under each ip_lock value and compares with off's
// verdict (v, err).
func checkLocks(t *testing.T, raw []byte, v Verdict, err error) {
	t.Helper()
	notIP := func(fs []Finding) []Finding {
		out := []Finding{}
		for _, f := range fs {
			if f.Code != CodeIPRestricted && f.Code != CodeIPUnrestricted {
				out = append(out, f)
			}
		}
		return out
	}
	ipRestrict := func(v Verdict) (on, found bool) {
		for _, r := range v.Rights {
			if r.Field == FieldIPRestrict {
				return r.On, true
			}
		}
		return false, false
	}
	for _, lock := range []string{IPLockRecommended, IPLockRequired} {
		lv, lerr := Judge(raw, Context{Now: now, IPLock: lock})
		if (err == nil) != (lerr == nil) {
			t.Fatalf("ip_lock %s: error %v where off gave %v", lock, lerr, err)
		}
		if err != nil {
			continue
		}
		checkVerdictShape(t, lv)
		if !reflect.DeepEqual(notIP(lv.Problems), notIP(v.Problems)) || !reflect.DeepEqual(notIP(lv.Warnings), notIP(v.Warnings)) {
			t.Fatalf("ip_lock %s changed findings other than ipRestrict's", lock)
		}
		on, found := ipRestrict(lv)
		if lv.OK() && !found {
			t.Fatalf("ip_lock %s passed a key whose ipRestrict is not a boolean", lock)
		}
		if lock == IPLockRequired && lv.OK() && !on {
			t.Fatal("ip_lock required passed an unrestricted key")
		}
		if lock == IPLockRecommended && lv.OK() != (len(notIP(v.Problems)) == 0 && found) {
			t.Fatalf("ip_lock recommended: OK() = %v with problems %+v", lv.OK(), lv.Problems)
		}
	}
}
