package httpx

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
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
	good := []string{"https://api.smartradex.fr", "https://api.binance.com/", "http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:9", "http://localhost:1234/x/", "http://LocalHost:9"}
	bad := []string{"http://api.smartradex.fr", "http://10.0.0.1", "http://192.168.1.1:80", "ftp://x", "api.smartradex.fr", "", "https://user:pw@host", "http://127.0.0.1.evil.com", "http://localhost.evil.com",
		// Go's proxy settings exempt none of these, and DNS may answer
		// anything for them.
		"http://api.localhost", "http://x.localhost:9", "http://localhost.:9", "http://LOCALHOST.", "http://127.0.0.1.:9", "http://[::1%25lo]:9", "http://0x7f000001"}
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
	for raw, want := range map[string]string{
		"http://LOCALHOST:9/p":          "http://localhost:9/p",
		"http://[0:0:0:0:0:0:0:1]:9":    "http://[::1]:9",
		"http://[::ffff:127.0.0.2]:9":   "http://127.0.0.2:9",
		"http://127.1.2.3":              "http://127.1.2.3",
		"https://API.smartradex.fr/v1/": "https://API.smartradex.fr/v1",
	} {
		if u, err := CheckBaseURL(raw); err != nil || u.String() != want {
			t.Errorf("CheckBaseURL(%q) = %v, %v; want %s", raw, u, err, want)
		}
	}
}

func TestCheckBaseURLSaysWhatIsWrong(t *testing.T) {
	for raw, want := range map[string]URLProblem{
		"http://user:pw@127.0.0.1:9": URLCredentials,
		"https://user@example.com":   URLCredentials,
		"http://localhost.:9":        URLPlainHTTP,
		"http://example.com":         URLPlainHTTP,
		"ftp://127.0.0.1":            URLNotAbsolute,
		"127.0.0.1:9":                URLNotAbsolute,
	} {
		_, err := CheckBaseURL(raw)
		var ue *URLError
		if !errors.As(err, &ue) || ue.Problem != want {
			t.Errorf("CheckBaseURL(%q) = %v, want problem %d", raw, err, want)
		}
	}
}

// A LoopbackOnly transport ignores the proxy its base transport was given
// and refuses, after resolution, any address that is not loopback.
func TestLoopbackOnly(t *testing.T) {
	var direct, proxied atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.IsAbs() {
			proxied.Add(1) // a proxy receives the absolute URL
		} else {
			direct.Add(1)
		}
	}))
	defer srv.Close()
	proxyCalls := 0
	base := &http.Transport{Proxy: func(*http.Request) (*url.URL, error) {
		proxyCalls++
		return url.Parse(srv.URL)
	}}

	// The control: the base transport does send through the proxy.
	resp, err := (&http.Client{Transport: base}).Get("http://localhost.example.invalid:9/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if proxied.Load() != 1 || proxyCalls != 1 {
		t.Fatalf("control: proxied %d, proxy asked %d", proxied.Load(), proxyCalls)
	}

	c := &http.Client{Transport: LoopbackOnly(base)}
	u, _ := url.Parse(srv.URL)
	for _, host := range []string{"localhost", "127.0.0.1"} {
		resp, err := c.Get("http://" + net.JoinHostPort(host, u.Port()) + "/x")
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		resp.Body.Close()
	}
	if direct.Load() != 2 || proxied.Load() != 1 || proxyCalls != 1 {
		t.Errorf("direct %d, proxied %d, proxy asked %d: want 2, 1, 1", direct.Load(), proxied.Load(), proxyCalls)
	}

	for _, target := range []string{"http://192.0.2.1:9/", "http://[2001:db8::1]:9/"} {
		_, err := c.Get(target)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GET %s: %v, want ErrNotLoopback", target, err)
		}
	}
	if _, err := (&http.Client{Transport: LoopbackOnly(roundTripFunc(nil))}).Get(srv.URL); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("a transport that cannot be restricted was used: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

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
