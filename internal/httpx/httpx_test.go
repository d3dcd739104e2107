package httpx

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"3", 3 * time.Second, true},
		{" 120 ", 120 * time.Second, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Mon, 23 Nov 2026 12:00:05 GMT", 5 * time.Second, true},
		{"Mon, 23 Nov 2026 11:00:00 GMT", 0, true},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestCheckBaseURL(t *testing.T) {
	good := []string{"https://api.smartradex.fr", "https://api.binance.com/", "http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:9", "http://localhost:1234/x/", "http://api.localhost"}
	bad := []string{"http://api.smartradex.fr", "http://10.0.0.1", "http://192.168.1.1:80", "ftp://x", "api.smartradex.fr", "", "https://user:pw@host", "http://127.0.0.1.evil.com", "http://localhost.evil.com"}
	for _, g := range good {
		if _, err := CheckBaseURL(g); err != nil {
			t.Errorf("CheckBaseURL(%q) = %v, want ok", g, err)
		}
	}
	for _, b := range bad {
		if _, err := CheckBaseURL(b); err == nil {
			t.Errorf("CheckBaseURL(%q) accepted", b)
		}
	}
	u, _ := CheckBaseURL("https://h/x/?q=1#f")
	if u.String() != "https://h/x" {
		t.Errorf("normalised = %q", u)
	}
}

func TestReadLimited(t *testing.T) {
	if b, err := ReadLimited(strings.NewReader("abc"), 3); err != nil || string(b) != "abc" {
		t.Errorf("ReadLimited at cap = %q, %v", b, err)
	}
	if _, err := ReadLimited(strings.NewReader("abcd"), 3); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ReadLimited over cap = %v", err)
	}
}

func TestBackoffIsBounded(t *testing.T) {
	b := Backoff{Attempts: 5, Base: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	for n := 1; n < 70; n++ {
		d := b.Delay(n)
		if d <= 0 || d > 360*time.Millisecond {
			t.Fatalf("Delay(%d) = %v out of bounds", n, d)
		}
	}
}

func TestStripURLs(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://api.binance.com/sapi/v1/account/apiRestrictions?timestamp=1&signature=abcdef", Err: errors.New("boom")}
	s := StripURLs(err).Error()
	if strings.Contains(s, "signature") || !strings.Contains(s, "/sapi/v1/account/apiRestrictions") {
		t.Errorf("StripURLs = %q", s)
	}
}

func TestCheckBaseURLNeverQuotesCredentials(t *testing.T) {
	for _, raw := range []string{"https://user:hunter2pw@api.example.com", "http://u:hunter2pw@10.0.0.1/", "ht!tp://x:hunter2pw@h", "https://h/?token=hunter2pw"} {
		_, err := CheckBaseURL(raw)
		if err == nil {
			if !strings.Contains(raw, "?token") {
				t.Errorf("CheckBaseURL(%q) accepted", raw)
			}
			continue
		}
		if strings.Contains(err.Error(), "hunter2pw") {
			t.Errorf("CheckBaseURL(%q) error quotes the password: %v", raw, err)
		}
	}
	if got := SafeURL("https://a:b@h/p?q=1#f"); got != "https://…@h/p" {
		t.Errorf("SafeURL = %q", got)
	}
}
