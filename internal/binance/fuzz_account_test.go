package binance

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/safetext"
)

// FuzzDecodeAccount checks the reading of /api/v3/account on anything an
// endpoint could answer:
//   - a refusal wraps ErrBadAccount and returns no uid;
//   - an accepted body is, read independently, one JSON object with
//     exactly one member whose name folds to "uid", spelt exactly "uid",
//     whose text is the decimal form of the positive uid returned;
//   - the account type returned is clean text.
func FuzzDecodeAccount(f *testing.F) {
	for _, seed := range []string{
		`{"uid":900000001,"accountType":"SPOT","balances":[]}`,
		`{"uid":0}`, `{"uid":-5}`, `{"uid":1.0}`, `{"uid":1e9}`, `{"uid":"7"}`, `{"UID":7}`, `{"uid":7,"Uid":8}`,
		`{"uid":7,"uid":7}`, `{"u\u0069d":7,"uid":8}`, `{"uid":7,"accountType":"\u001b[2J"}`, `{"uid":7} x`, `{}`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		uid, typ, err := DecodeAccount(body)
		if err != nil {
			if !errors.Is(err, ErrBadAccount) || uid != 0 || typ != "" {
				t.Fatalf("refusal %v with uid %d, type %q", err, uid, typ)
			}
			return
		}
		if uid <= 0 {
			t.Fatalf("accepted uid %d", uid)
		}
		if !safetext.IsClean(typ) {
			t.Fatalf("account type %q not clean", typ)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatal("accepted a body that is not an object")
		}
		n := 0
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("accepted a body the standard decoder rejects: %v", err)
			}
			var val json.RawMessage
			if err := dec.Decode(&val); err != nil {
				t.Fatalf("accepted a body the standard decoder rejects: %v", err)
			}
			name := tok.(string)
			if !strings.EqualFold(name, "uid") {
				continue
			}
			n++
			if name != "uid" || string(bytes.TrimSpace(val)) != strconv.FormatInt(uid, 10) {
				t.Fatalf("accepted uid %d from %s = %s", uid, name, val)
			}
		}
		if n != 1 {
			t.Fatalf("accepted a body with %d uid members", n)
		}
	})
}
