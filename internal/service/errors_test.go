package service

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
)

func scrubberFor(secrets ...string) *redact.Redactor {
	r := &redact.Redactor{}
	r.Add(secrets...)
	return r
}

func TestDecodeError(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		code    string
		message string
	}{
		{"contract shape", `{"error":{"code":"key_in_use","message":"used by eth-spot"}}`, "key_in_use", "used by eth-spot"},
		{"extra fields", `{"error":{"code":"invalid_request","message":"bad","field":"label"},"trace":"x"}`, "invalid_request", "bad"},
		{"no message", `{"error":{"code":"unauthorized"}}`, "unauthorized", ""},
		{"not JSON", `<html>502 Bad Gateway</html>`, "", ""},
		{"empty", ``, "", ""},
		{"JSON null", `null`, "", ""},
		{"error is a string", `{"error":"boom"}`, "", ""},
		{"code not a string", `{"error":{"code":42,"message":"m"}}`, "", "m"},
		{"message not a string", `{"error":{"code":"x","message":{"a":1}}}`, "x", ""},
		{"code with spaces or capitals", `{"error":{"code":"Key In Use","message":"m"}}`, "", "m"},
		{"code too long", `{"error":{"code":"` + strings.Repeat("a", 65) + `","message":"m"}}`, "", "m"},
		{"terminal escape and newline", `{"error":{"code":"x","message":"\u001b[31mred\u001b[0m\nsecond\tline"}}`, "x", "[31mred[0m second line"},
		{"bidi override", `{"error":{"code":"x","message":"abc\u202edcba"}}`, "x", "abcdcba"},
		{"zero-width and NUL", `{"error":{"code":"x","message":"a\u200bb\u0000c"}}`, "x", "abc"},
		{"invalid UTF-8", "{\"error\":{\"code\":\"x\",\"message\":\"a\xffb\"}}", "x", "a\uFFFDb"},
		{"long message", `{"error":{"code":"x","message":"` + strings.Repeat("é", 1000) + `"}}`, "x", strings.Repeat("é", maxMessage-1) + "…"},
		{"secret echoed", `{"error":{"code":"x","message":"secret SECRETabcdef123 refused"}}`, "x", "secret [REDACTED] refused"},
		{"secret split by a NUL", `{"error":{"code":"x","message":"SECRET\u0000abcdef123"}}`, "x", "[REDACTED]"},
		{"secret split by a zero-width space", `{"error":{"code":"x","message":"SECRETabc\u200bdef123"}}`, "x", "[REDACTED]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeError([]byte(tc.body), scrubberFor("SECRETabcdef123"))
			if got.Code != tc.code || got.Message != tc.message {
				t.Errorf("decodeError = %+v, want code %q message %q", got, tc.code, tc.message)
			}
		})
	}
}

// FuzzDecodeError checks that whatever a service sends, and whatever the
// secret, the decoded error is printable (valid UTF-8, one line, no
// control or formatting character), bounded, free of the secret even when
// the body hides it behind invisible characters, and that it keeps what
// is already fit to print: a valid code, and a clean message.
func FuzzDecodeError(f *testing.F) {
	const secret = "SECRETabcdef123"
	seeds := []struct{ body, secret string }{
		{`{"error":{"code":"key_in_use","message":"used by eth-spot"}}`, secret},
		{`{"error":{"code":"x","message":"\u001b[2J\u202e` + secret + `"}}`, secret},
		{`{"error":{"code":"x","message":"SECRET\u0000abcdef123"}}`, secret},
		{`{"error":{"code":"x","message":"SECRETabc\u200bdef123 and SECRETabcdef123"}}`, secret},
		{`{"error":{"code":"x","message":"token sxt_live_Abc123 refused"}}`, "sxt_live_Abc123"},
		{`{"error":{"code":"x","message":"MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u"}}`, "MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u"},
		{`{"error":{"code":["a"],"message":null}}`, secret},
		{`{"error":{"code":"a.b-c_9","message":"plain words, kept as they are"},"error":{"code":"x"}}`, secret},
		{`<html><body>502</body></html>`, secret},
		{"{\"error\":{\"message\":\"\xff\xfe\"}}", secret},
		{`{"error":{"code":"` + strings.Repeat("z", 80) + `","message":"` + strings.Repeat("\\n", 500) + `"}}`, secret},
		{`{"error":{"code":"x","message":"` + strings.Repeat("é", maxMessage) + `"}}`, secret},
		{``, ``},
	}
	for _, s := range seeds {
		f.Add([]byte(s.body), s.secret)
	}
	f.Fuzz(func(t *testing.T, body []byte, secret string) {
		if !plausibleSecret(secret) {
			secret = "SECRETabcdef123"
		}
		scrub := scrubberFor(secret)
		got := decodeError(body, scrub)
		if got.Code != "" && !errorCode().MatchString(got.Code) {
			t.Errorf("code %q escaped validation", got.Code)
		}
		m := got.Message
		if !utf8.ValidString(m) {
			t.Errorf("message %q is not valid UTF-8", m)
		}
		if n := utf8.RuneCountInString(m); n > maxMessage {
			t.Errorf("message is %d characters long", n)
		}
		for _, r := range m {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Errorf("message %q holds the control character %U", m, r)
			}
		}
		if strings.Contains(m, secret) {
			t.Errorf("message %q shows the secret", m)
		}

		// What is already fit to print is kept as it is.
		var env struct {
			Error struct {
				Code    json.RawMessage `json:"code"`
				Message json.RawMessage `json:"message"`
			} `json:"error"`
		}
		if len(body) > maxBody || json.Unmarshal(body, &env) != nil {
			return
		}
		var code, msg string
		if json.Unmarshal(env.Error.Code, &code) == nil && errorCode().MatchString(code) && got.Code != code {
			t.Errorf("the valid code %q was lost", code)
		}
		if json.Unmarshal(env.Error.Message, &msg) == nil && msg == cleanText(msg) && msg == scrub.Redact(msg) &&
			utf8.RuneCountInString(msg) <= maxMessage && got.Message != msg {
			t.Errorf("the clean message %q became %q", msg, got.Message)
		}
	})
}

// plausibleSecret tells whether s looks like a secret smartradex scrubs:
// a token, an HMAC secret or a line of a PEM body, long enough to be
// registered, and not a piece of the placeholder that replaces it.
func plausibleSecret(s string) bool {
	if len(s) < 6 || strings.Contains("[REDACTED]", s) {
		return false
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("+/=_.-", r))) {
			return false
		}
	}
	return true
}

// TestMessageKeysExist catches a typo in a catalogue key, which would
// otherwise print the key itself to the user.
func TestMessageKeysExist(t *testing.T) {
	re := regexp.MustCompile(`i18n\.M\("([^"]+)"`)
	files, _ := filepath.Glob("*.go")
	n := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			n++
			for _, l := range i18n.Langs {
				if l.T(m[1]) == m[1] {
					t.Errorf("%s: key %q has no %s text", name, m[1], l)
				}
			}
		}
	}
	if n < 20 {
		t.Errorf("found only %d keys: the scan is broken", n)
	}
}
