package service

import (
	"bytes"
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/safetext"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// A 2xx is accepted only when it is the documented answer: the documented
// status, one JSON object with each member once and spelt as documented,
// and the documented values. Anything else is a bad response (exit 5),
// never a registration or a deletion.
func TestOnlyTheDocumentedAnswerIsASuccess(t *testing.T) {
	regBody := func(fields string) string {
		return `{` + fields + `}`
	}
	good := `"bot":"btc-spot","api_key":"` + apiKey + `","status":"active","registered_at":"2026-01-02T03:04:05Z"`
	cases := []struct {
		name   string
		op     string
		status int
		body   string
		ok     bool
	}{
		{"put: the documented answer", "put", 200, regBody(good), true},
		{"put: an unknown member is ignored", "put", 200, regBody(good + `,"checked":true`), true},
		{"put: status rejected", "put", 200, regBody(strings.Replace(good, `"active"`, `"rejected"`, 1)), false},
		{"put: status pending", "put", 200, regBody(strings.Replace(good, `"active"`, `"pending"`, 1)), false},
		{"put: status missing", "put", 200, regBody(strings.Replace(good, `,"status":"active"`, "", 1)), false},
		{"put: status in capitals", "put", 200, regBody(strings.Replace(good, `"active"`, `"ACTIVE"`, 1)), false},
		{"put: no registration time", "put", 200, regBody(strings.Replace(good, `,"registered_at":"2026-01-02T03:04:05Z"`, "", 1)), false},
		{"put: status twice, rejected last", "put", 200, regBody(good + `,"status":"rejected"`), false},
		{"put: status twice, active last", "put", 200, regBody(`"status":"rejected",` + good), false},
		{"put: Status spelt in another case", "put", 200, regBody(strings.Replace(good, `"status"`, `"Status"`, 1)), false},
		{"put: case variant beside the real one", "put", 200, regBody(good + `,"STATUS":"rejected"`), false},
		{"put: bot spelt Bot", "put", 200, regBody(strings.Replace(good, `"bot"`, `"Bot"`, 1)), false},
		{"put: api_key twice", "put", 200, regBody(good + `,"api_key":"` + apiKey2 + `"`), false},
		{"put: something after the object", "put", 200, regBody(good) + `{}`, false},
		{"put: 202 accepted is not registered", "put", 202, regBody(good), false},
		{"put: 201", "put", 201, regBody(good), false},
		{"put: 204 without a body", "put", 204, "", false},
		{"put: status a number", "put", 200, regBody(strings.Replace(good, `"active"`, `1`, 1)), false},
		{"get: the documented answer", "get", 200, regBody(good), true},
		{"get: status revoked", "get", 200, regBody(strings.Replace(good, `"active"`, `"revoked"`, 1)), false},
		{"get: api_key with a terminal sequence", "get", 200, regBody(strings.Replace(good, apiKey, `\u001b[2J`+apiKey[4:], 1)), false},
		{"delete: 204", "delete", 204, "", true},
		{"delete: 200 with an HTML page", "delete", 200, "<html><body>Welcome to the hotel Wi-Fi</body></html>", false},
		{"delete: 200 with JSON", "delete", 200, `{"deleted":true}`, false},
		{"delete: 202", "delete", 202, "", false},
		{"me: the documented answer", "me", 200, `{"email":"ada@example.com","bots":["btc-spot"]}`, true},
		{"me: email twice", "me", 200, `{"email":"ada@example.com","email":"eve@example.com","bots":[]}`, false},
		{"me: no bots", "me", 200, `{"email":"ada@example.com"}`, false},
		{"me: bots null", "me", 200, `{"email":"ada@example.com","bots":null}`, false},
		{"me: no bot yet", "me", 200, `{"email":"ada@example.com","bots":[]}`, true},
		{"me: Email", "me", 200, `{"Email":"ada@example.com","bots":[]}`, false},
		{"me: email with a terminal sequence", "me", 200, `{"email":"ada@example.com\u001b]0;pwned\u0007","bots":[]}`, false},
		{"me: a bot that is not an identifier", "me", 200, `{"email":"ada@example.com","bots":["btc-spot\u202e"]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			// Only the request under test misbehaves: a PUT first fetches
			// the vault key, which is served as documented.
			path := "/v1/bots/btc-spot/binance-key"
			if tc.op == "me" {
				path = "/v1/me"
			}
			f.svc.Inject(servicetest.Fault{Method: map[string]string{"me": "GET", "put": "PUT", "get": "GET", "delete": "DELETE"}[tc.op], Path: path, Status: tc.status, Body: tc.body})
			c := f.client(t)
			ctx := context.Background()
			var err error
			switch tc.op {
			case "me":
				_, err = c.Me(ctx)
			case "put":
				_, err = c.PutKey(ctx, "btc-spot", reg)
			case "get":
				_, err = c.GetKey(ctx, "btc-spot")
			case "delete":
				err = c.DeleteKey(ctx, "btc-spot")
			}
			if tc.ok {
				if err != nil {
					t.Fatalf("refused the documented answer: %v", err)
				}
				return
			}
			e := appErr(t, err)
			if e.Kind != apperr.Unavailable || e.Code != "service.bad_response" {
				t.Fatalf("kind %d code %q (%v), want a bad response", e.Kind, e.Code, err)
			}
			for _, line := range strings.Split(rendered(err), "\n") {
				if strings.ContainsAny(line, "\x1b\x07\u202e") {
					t.Errorf("the error prints raw text: %q", line)
				}
			}
		})
	}
}

func TestDecodeStrictOtherKinds(t *testing.T) {
	var list []string
	if err := decodeStrict([]byte(`["a","b"]`), &list); err != nil || len(list) != 2 {
		t.Errorf("a list: %v %v", list, err)
	}
	for _, body := range []string{`["a"] ["b"]`, `{"a":1}`, ``} {
		if err := decodeStrict([]byte(body), &list); err == nil {
			t.Errorf("decodeStrict(%s) into a list accepted", body)
		}
	}
}

func TestDecodeStrictNames(t *testing.T) {
	var r Registration
	names := jsonNames(&r)
	for _, n := range []string{"bot", "api_key", "status", "registered_at"} {
		if names[n] != n {
			t.Errorf("jsonNames misses %q: %v", n, names)
		}
	}
	for body, ok := range map[string]bool{
		`{"bot":"a"}`: true, `{"bot":"a","x":1,"X":2}`: false, `{"BOT":"a"}`: false, `{"b\u006ft":"a","bot":"b"}`: false,
		`[]`: false, `{"bot":"a"} x`: false, `{"bot":1}`: false, `{"bot":"a",}`: false,
	} {
		if err := decodeStrict([]byte(body), &r); (err == nil) != ok {
			t.Errorf("decodeStrict(%s) = %v, want ok %v", body, err, ok)
		} else if err != nil && !safetext.IsClean(err.Error()) {
			t.Errorf("decodeStrict(%s) error not clean: %q", body, err)
		}
	}
}

// FuzzDecodeRegistration checks the strict reading of a registration
// answer: whatever it accepts is, read independently, one JSON object in
// which no name appears twice in any case, the documented names are spelt
// exactly, and encoding/json reads the same values from it; an answer that
// checkRegistration accepts has the status "active", the bot asked about
// and a key of letters and digits.
func FuzzDecodeRegistration(f *testing.F) {
	for _, seed := range []string{
		`{"bot":"btc-spot","api_key":"` + apiKey + `","status":"active","registered_at":"2026-01-02T03:04:05Z"}`,
		`{"bot":"btc-spot","api_key":"k","status":"active","registered_at":"2026-01-02T03:04:05Z","status":"rejected"}`,
		`{"Bot":"btc-spot"}`, `{"bot":"btc-spot","BOT":"x"}`, `{"st\u0061tus":"active","status":"x"}`, `{} {}`, `[`, ``,
		`{"bot":"btc-spot","api_key":"\u001b[2J","status":"active","registered_at":"2026-01-02T03:04:05Z"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got Registration
		if err := decodeStrict(body, &got); err != nil {
			if !safetext.IsClean(err.Error()) {
				t.Fatalf("error %q is not clean text", err)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatal("accepted a body that is not an object")
		}
		seen := map[string]bool{}
		known := map[string]bool{"bot": true, "api_key": true, "status": true, "registered_at": true}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("accepted a body the standard decoder rejects: %v", err)
			}
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("accepted a body the standard decoder rejects: %v", err)
			}
			name := strings.ToLower(tok.(string))
			if seen[name] {
				t.Fatalf("accepted %q twice", name)
			}
			seen[name] = true
			if known[name] && tok.(string) != name {
				t.Fatalf("accepted %q spelt %q", name, tok)
			}
		}
		var std Registration
		if err := json.Unmarshal(body, &std); err != nil || !reflect.DeepEqual(std, got) {
			t.Fatalf("encoding/json reads %+v (%v), decodeStrict %+v", std, err, got)
		}
		if checkRegistration("GET", "/p", "btc-spot", &got) == nil {
			if got.Status != StatusActive || got.Bot != "btc-spot" || !cleanIdentifier(got.APIKey) || got.APIKey == "" {
				t.Fatalf("checkRegistration accepted %+v", got)
			}
		}
	})
}
