package cmdutil

import (
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
)

func TestHTTPTimeout(t *testing.T) {
	cases := []struct {
		env  string
		want time.Duration // 0: each client keeps its own default
		bad  bool
	}{
		{"", 0, false},
		{"30s", 30 * time.Second, false},
		{"1.5", 1500 * time.Millisecond, false},
		{"0", 0, true},
		{"-2s", 0, true},
		{"later", 0, true},
	}
	for _, c := range cases {
		f, _ := testFactory(t, map[string]string{"SMARTRADEX_HTTP_TIMEOUT": c.env, "SMARTRADEX_TOKEN": "sxt_test_token_0123456789"})
		hc, err := f.httpClient()
		if c.bad {
			if errCode(err) != "http.bad_timeout" || apperr.KindOf(err) != apperr.Usage {
				t.Errorf("%q: %v", c.env, err)
			}
			// Both clients refuse to start rather than wait for ever or
			// not at all.
			if _, err := f.Binance(); errCode(err) != "http.bad_timeout" {
				t.Errorf("%q: Binance = %v", c.env, err)
			}
			if _, err := f.ServiceWithToken("sxt_test_token_0123456789"); errCode(err) != "http.bad_timeout" {
				t.Errorf("%q: Service = %v", c.env, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.env, err)
			continue
		}
		switch {
		case c.want == 0 && hc != nil:
			t.Errorf("%q: a client %v, want none (the defaults)", c.env, hc.Timeout)
		case c.want != 0 && (hc == nil || hc.Timeout != c.want):
			t.Errorf("%q: %v, want %v", c.env, hc, c.want)
		}
	}
}
