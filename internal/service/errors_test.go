package service

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
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

func TestHumanDelay(t *testing.T) {
	cases := map[time.Duration]string{
		time.Second:             "1 s",
		1500 * time.Millisecond: "2 s",
		59 * time.Second:        "59 s",
		time.Minute:             "1 min",
		150 * time.Second:       "3 min",
		2 * time.Hour:           "120 min",
	}
	for d, want := range cases {
		if got := humanDelay(d); got != want {
			t.Errorf("humanDelay(%v) = %q, want %q", d, got, want)
		}
	}
}

// FuzzDecodeError checks that whatever a service sends, the decoded error
// is printable, bounded, and free of the secret it was given.
func FuzzDecodeError(f *testing.F) {
	const secret = "SECRETabcdef123"
	seeds := []string{
		`{"error":{"code":"key_in_use","message":"used by eth-spot"}}`,
		`{"error":{"code":"x","message":"\u001b[2J\u202e` + secret + `"}}`,
		`{"error":{"code":"x","message":"SECRET\u0000abcdef123"}}`,
		`{"error":{"code":["a"],"message":null}}`,
		`<html><body>502</body></html>`,
		"{\"error\":{\"message\":\"\xff\xfe\"}}",
		`{"error":{"code":"` + strings.Repeat("z", 80) + `","message":"` + strings.Repeat("\\n", 500) + `"}}`,
		``,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got := decodeError(body, scrubberFor(secret))
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
	})
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
