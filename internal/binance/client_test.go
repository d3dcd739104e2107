package binance_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/safetext"
)

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func start(t *testing.T) *binancetest.Server {
	t.Helper()
	return binancetest.StartTest(t)
}

func newClient(t *testing.T, srv *binancetest.Server, sl *sleeps, logs *[]string) *binance.Client {
	t.Helper()
	opts := binance.Options{BaseURL: srv.URL, HTTP: httpx.NewClient(2 * time.Second)}
	if sl != nil {
		opts.Sleep = sl.sleep
	}
	if logs != nil {
		var mu sync.Mutex
		opts.Log = func(f string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			*logs = append(*logs, fmt.Sprintf(f, a...))
		}
	}
	c, err := binance.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func demo(t *testing.T, name string) binance.Credentials {
	t.Helper()
	k, err := binancetest.DemoKeyByName(name)
	if err != nil {
		t.Fatal(err)
	}
	creds, err := binance.ParseCredentials(k.Key.APIKey, k.Key.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return creds
}

func TestInspectDemoKeys(t *testing.T) {
	srv := start(t)
	c := newClient(t, srv, nil, nil)
	for _, k := range binancetest.DemoKeys() {
		t.Run(k.Name, func(t *testing.T) {
			got, err := c.Inspect(context.Background(), demo(t, k.Name))
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Restrictions) != string(k.Key.Restrictions) {
				t.Errorf("restrictions not passed through raw:\n got %s\nwant %s", got.Restrictions, k.Key.Restrictions)
			}
			if got.UID != k.Key.UID || got.AccountType != "SPOT" || got.Resynced {
				t.Errorf("got %+v", got)
			}
		})
	}
	// Each inspection is exactly the two signed calls: no time request up front.
	reqs := srv.Requests()
	if len(reqs) != 2*len(binancetest.DemoKeys()) {
		t.Fatalf("requests = %+v", reqs)
	}
	for _, r := range reqs {
		if r.Path == "/api/v3/time" || !r.SignatureValid {
			t.Errorf("unexpected request %+v", r)
		}
	}
}

func TestInspectKeepsFieldsGoBinanceDrops(t *testing.T) {
	srv := start(t)
	creds := demo(t, "ok")
	raw := json.RawMessage(`{"enableReading":true,"enableSpotAndMarginTrading":true,"enablePortfolioMarginTrading":true,"enableFixApiTrade":true,"someFutureRight":true}`)
	srv.SetRestrictions(creds.APIKey, raw)
	got, err := newClient(t, srv, nil, nil).Inspect(context.Background(), creds)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Restrictions) != string(raw) {
		t.Errorf("restrictions = %s", got.Restrictions)
	}
}

func TestInspectAsymmetricKeys(t *testing.T) {
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, pair := range map[string][2]any{"ed25519": {edPriv, edPub}, "rsa": {rsaKey, &rsaKey.PublicKey}} {
		t.Run(name, func(t *testing.T) {
			srv := start(t)
			priv, _ := x509.MarshalPKCS8PrivateKey(pair[0])
			pub, _ := x509.MarshalPKIXPublicKey(pair[1])
			apiKey := strings.Repeat("A", 60) + "KEY1"
			srv.AddKey(binancetest.Key{APIKey: apiKey, UID: 42,
				PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
				Restrictions: json.RawMessage(`{"enableReading":true,"enableSpotAndMarginTrading":true,"ipRestrict":false}`)})
			creds, err := binance.ParseCredentials(apiKey, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})))
			if err != nil {
				t.Fatal(err)
			}
			got, err := newClient(t, srv, nil, nil).Inspect(context.Background(), creds)
			if err != nil {
				t.Fatal(err)
			}
			if got.UID != 42 {
				t.Errorf("uid = %d", got.UID)
			}
		})
	}
}

func TestInspectResyncsTheClock(t *testing.T) {
	for _, offset := range []time.Duration{-30 * time.Second, 10 * time.Second, time.Hour} {
		t.Run(offset.String(), func(t *testing.T) {
			srv := start(t)
			srv.SetClockOffset(offset)
			var logs []string
			c := newClient(t, srv, nil, &logs)
			got, err := c.Inspect(context.Background(), demo(t, "ok"))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Resynced {
				t.Errorf("Resynced = false")
			}
			var times int
			for _, r := range srv.Requests() {
				if r.Path == "/api/v3/time" {
					times++
				}
			}
			if times != 1 {
				t.Errorf("time requests = %d, want 1", times)
			}
			// The offset is kept: the next inspection needs no resync.
			got, err = c.Inspect(context.Background(), demo(t, "ok-eth"))
			if err != nil || got.Resynced {
				t.Errorf("second inspection: %+v, %v", got, err)
			}
			if !strings.Contains(strings.Join(logs, "\n"), "clock resynchronised") {
				t.Errorf("debug log does not mention the resync: %q", logs)
			}
		})
	}
}

func TestInspectErrors(t *testing.T) {
	const restr = "/sapi/v1/account/apiRestrictions"
	const acct = "/api/v3/account"
	okCreds := func(t *testing.T) binance.Credentials { return demo(t, "ok") }
	cases := []struct {
		name   string
		setup  func(*binancetest.Server)
		creds  func(*testing.T) binance.Credentials
		kind   apperr.Kind
		code   string
		sleeps []time.Duration // nil: not checked; {n} with n < 10: n backoff delays
		text   string          // in the English message or hints
	}{
		{name: "unknown key (-2015)", creds: func(t *testing.T) binance.Credentials {
			c := okCreds(t)
			c.APIKey = strings.Repeat("Z", 64)
			return c
		}, kind: apperr.Rejected, code: "binance.key_rejected", text: "binance.us"},
		{name: "deleted key (-2015)", setup: func(s *binancetest.Server) { s.RemoveKey(demoKey("ok").APIKey) },
			kind: apperr.Rejected, code: "binance.key_rejected"},
		{name: "malformed key (-2014)", creds: func(t *testing.T) binance.Credentials {
			c := okCreds(t)
			c.APIKey = c.APIKey[:20]
			return c
		}, kind: apperr.Rejected, code: "binance.bad_api_key_format", text: "paste it again"},
		{name: "wrong secret (-1022 after a resync)", creds: func(t *testing.T) binance.Credentials {
			c := okCreds(t)
			c.Secret = demoKey("ok-eth").Secret
			return c
		}, kind: apperr.Rejected, code: "binance.invalid_signature", text: "did you swap them"},
		{name: "clock still off after resync (-1021)", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 400, Body: `{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}`, Times: 2})
		}, kind: apperr.Unavailable, code: "binance.clock_skew", text: "Set time automatically"},
		{name: "503 twice then OK", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 503, Times: 2})
		}, sleeps: []time.Duration{2}},
		{name: "503 three times", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 503, Times: 3})
		}, kind: apperr.Unavailable, code: "binance.server_error", text: "3 times"},
		{name: "500 with an HTML page", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 502, Body: "<html>bad gateway</html>", Times: 3})
		}, kind: apperr.Unavailable, code: "binance.server_error"},
		{name: "429 with Retry-After within budget", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 429, Header: http.Header{"Retry-After": {"3"}}})
		}, sleeps: []time.Duration{3 * time.Second}},
		{name: "429 with Retry-After beyond budget", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 429, Header: http.Header{"Retry-After": {"120"}}})
		}, kind: apperr.Unavailable, code: "binance.rate_limited", sleeps: []time.Duration{}, text: "try again in 2 min (after "},
		{name: "418 banned", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 418, Header: http.Header{"Retry-After": {"3600"}}})
		}, kind: apperr.Unavailable, code: "binance.ip_banned", text: "try again in 1 h (after "},
		{name: "418 banned for days says the date", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 418, Header: http.Header{"Retry-After": {"259200"}}})
		}, kind: apperr.Unavailable, code: "binance.ip_banned", text: "try again in 3 days (after " + time.Now().Add(72*time.Hour).Format("2006-01-02") + " at "},
		{name: "HTML page with 200", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 200, Body: "<!DOCTYPE html><html><body>Login to the Wi-Fi</body></html>"})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "web page"},
		{name: "truncated JSON", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 200, Body: `{"enableReading":true,"enableSpot`})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "cut short"},
		{name: "connection dropped mid-answer, then OK", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 200, Body: string(demoKey("ok").Restrictions), CutShort: true})
		}, sleeps: []time.Duration{1}},
		{name: "connection dropped mid-answer every time", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 200, Body: string(demoKey("ok").Restrictions), CutShort: true, Times: 3})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "cut short"},
		{name: "empty body", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 200})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "empty"},
		{name: "huge body", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 200, Body: `{"x":"` + strings.Repeat("a", 2<<20) + `"}`})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "1 MiB"},
		{name: "account without uid", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 200, Body: `{"accountType":"SPOT"}`})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "uid"},
		{name: "account with uid 0", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 200, Body: `{"uid":0,"accountType":"SPOT"}`})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "uid"},
		{name: "account with the uid twice", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 200, Body: `{"uid":900000001,"uid":900000002}`})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "uid"},
		{name: "account with the uid in capitals", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: acct, Status: 200, Body: `{"UID":900000001}`})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "uid"},
		{name: "Binance's msg with terminal sequences", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 400, Body: `{"code":-4321,"msg":"\u001b[2J\u001b]0;pwned\u0007\u202eKey accepted\u009b31m\u200b ok"}`})
		}, kind: apperr.Unavailable, code: "binance.error", text: "[2J]0;pwnedKey accepted31m ok"},
		{name: "WAF 403", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 403, Body: "<html>Request blocked</html>"})
		}, kind: apperr.Unavailable, code: "binance.blocked"},
		{name: "unknown Binance code", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 400, Body: `{"code":-4321,"msg":"Something new\n happened"}`})
		}, kind: apperr.Unavailable, code: "binance.error", text: "-4321"},
		{name: "redirect is not followed", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Status: 302, Header: http.Header{"Location": {"http://127.0.0.1:1/steal"}}})
		}, kind: apperr.Unavailable, code: "binance.bad_response", text: "302"},
		{name: "server hangs", setup: func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: restr, Hang: true, Times: 3})
		}, kind: apperr.Unavailable, code: "binance.timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := start(t)
			if c.setup != nil {
				c.setup(srv)
			}
			creds := okCreds(t)
			if c.creds != nil {
				creds = c.creds(t)
			}
			sl := &sleeps{}
			cl := newClient(t, srv, sl, nil)
			if c.name == "server hangs" {
				var err error
				cl, err = binance.New(binance.Options{BaseURL: srv.URL, HTTP: httpx.NewClient(100 * time.Millisecond), Sleep: sl.sleep})
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := cl.Inspect(context.Background(), creds)
			if c.code == "" {
				if err != nil {
					t.Fatalf("Inspect: %v", err)
				}
				if got.UID != binancetest.DemoUIDOk {
					t.Errorf("uid = %d", got.UID)
				}
			} else {
				var e *apperr.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want *apperr.Error", err)
				}
				if e.Kind != c.kind || e.Code != c.code {
					t.Fatalf("got kind %d code %q (%v), want %d %q", e.Kind, e.Code, err, c.kind, c.code)
				}
				all := err.Error()
				for _, h := range e.Hints {
					all += "\n" + i18n.EN.Render(h)
				}
				if c.text != "" && !strings.Contains(all, c.text) {
					t.Errorf("%q not in:\n%s", c.text, all)
				}
				for _, l := range i18n.Langs {
					if msg := l.Render(e.Message); strings.HasPrefix(msg, "binance.") {
						t.Errorf("untranslated message %q", msg)
					}
				}
				for _, l := range i18n.Langs {
					for _, line := range strings.Split(l.Render(e.Message)+"\n"+fmt.Sprintf("%v", err), "\n") {
						if !safetext.IsClean(strings.Join(strings.Fields(line), " ")) {
							t.Errorf("%s: the error prints raw text: %q", l, line)
						}
					}
				}
				for _, leak := range []string{"signature=", "timestamp=", creds.Secret, "recvWindow="} {
					if strings.Contains(all, leak) || strings.Contains(fmt.Sprintf("%+v", err), leak) {
						t.Errorf("error leaks %q: %s", leak, all)
					}
				}
			}
			if c.sleeps != nil {
				got := sl.all()
				if len(c.sleeps) == 1 && c.sleeps[0] < 10 {
					// {n}: n backoff delays, whatever their jitter.
					if len(got) != int(c.sleeps[0]) {
						t.Errorf("sleeps = %v, want %d backoff delays", got, c.sleeps[0])
					}
				} else if fmt.Sprint(got) != fmt.Sprint(c.sleeps) {
					t.Errorf("sleeps = %v, want %v", got, c.sleeps)
				}
			}
		})
	}
}

func demoKey(name string) binancetest.Key {
	k, err := binancetest.DemoKeyByName(name)
	if err != nil {
		panic(err)
	}
	return k.Key
}

func TestInspectUnreachable(t *testing.T) {
	srv := start(t)
	url := srv.URL
	srv.Close()
	sl := &sleeps{}
	c, err := binance.New(binance.Options{BaseURL: url, Sleep: sl.sleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Inspect(context.Background(), demo(t, "ok"))
	var e *apperr.Error
	if !errors.As(err, &e) || e.Kind != apperr.Unavailable || e.Code != "binance.unreachable" {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(fmt.Sprintf("%+v", err), "signature") {
		t.Errorf("error carries the query string: %v", err)
	}
	// Both calls run in parallel, each retried twice.
	if n := len(sl.all()); n != 4 {
		t.Errorf("retried %d times, want 4", n)
	}
}

func TestInspectCancelled(t *testing.T) {
	srv := start(t)
	srv.Inject(binancetest.Fault{Path: "*", Hang: true, Times: 10})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(srv.Requests()) < 2 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	_, err := newClient(t, srv, nil, nil).Inspect(ctx, demo(t, "ok"))
	if apperr.KindOf(err) != apperr.Cancelled {
		t.Fatalf("err = %v (kind %d), want cancelled", err, apperr.KindOf(err))
	}
}

func TestNewChecksTheBaseURL(t *testing.T) {
	for _, u := range []string{"http://api.binance.com", "ftp://x", "https://user:pw@api.binance.com", "not a url"} {
		_, err := binance.New(binance.Options{BaseURL: u})
		if apperr.KindOf(err) != apperr.Usage {
			t.Errorf("New(%q) err = %v, want usage", u, err)
		}
	}
	c, err := binance.New(binance.Options{})
	if err != nil || c.BaseURL() != binance.DefaultBaseURL {
		t.Errorf("default: %v, %v", c, err)
	}
}

func TestServerTime(t *testing.T) {
	srv := start(t)
	srv.SetClockOffset(time.Hour)
	got, rtt, err := newClient(t, srv, nil, nil).ServerTime(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(got); d < 59*time.Minute || d > 61*time.Minute || rtt <= 0 {
		t.Errorf("server time %v (in %v), rtt %v", got, d, rtt)
	}
	srv.Inject(binancetest.Fault{Path: "/api/v3/time", Body: `{"serverTime":"soon"}`})
	if _, _, err := newClient(t, srv, nil, nil).ServerTime(context.Background()); apperr.KindOf(err) != apperr.Unavailable {
		t.Errorf("bad time answer: err = %v", err)
	}
}

func TestDebugLogHasNoQueryOrKey(t *testing.T) {
	srv := start(t)
	srv.SetClockOffset(10 * time.Second)
	srv.Inject(binancetest.Fault{Path: "/api/v3/account", Status: 503})
	var logs []string
	creds := demo(t, "ok")
	if _, err := newClient(t, srv, &sleeps{}, &logs).Inspect(context.Background(), creds); err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(logs, "\n")
	if !strings.Contains(joined, "/sapi/v1/account/apiRestrictions") {
		t.Errorf("requests not logged: %s", joined)
	}
	for _, leak := range []string{"signature", "timestamp=", creds.APIKey, creds.Secret} {
		if strings.Contains(joined, leak) {
			t.Errorf("debug log leaks %q:\n%s", leak, joined)
		}
	}
}

func TestDecodeAccount(t *testing.T) {
	good := map[string]int64{
		`{"uid":900000001,"accountType":"SPOT"}`:         900000001,
		`{"accountType":"SPOT","balances":[],"uid":1}`:   1,
		` { "uid" : 9223372036854775807 } `:              9223372036854775807,
		`{"uid":42,"accountType":null,"UIDX":"ignored"}`: 42,
	}
	for body, want := range good {
		uid, _, err := binance.DecodeAccount([]byte(body))
		if err != nil || uid != want {
			t.Errorf("DecodeAccount(%s) = %d, %v; want %d", body, uid, err, want)
		}
	}
	bad := []string{
		`{"uid":0}`, `{"uid":-1}`, `{"uid":1.5}`, `{"uid":1.0}`, `{"uid":1e3}`, `{"uid":"1"}`, `{"uid":null}`,
		`{"uid":true}`, `{"uid":01}`, `{"uid":9223372036854775808}`, `{"uid":1e30}`,
		`{}`, `{"accountType":"SPOT"}`, `{"UID":1}`, `{"Uid":1}`, `{"uid":1,"UID":2}`, `{"UID":2,"uid":1}`,
		`{"uid":1,"uid":1}`, `{"uid":1,"uid":2}`, `{"u\u0069d":1,"uid":2}`,
		`{"uid":1,"accountType":1}`, `{"uid":1,"accountType":"A","accountType":"B"}`,
		`{"uid":1}{}`, `[{"uid":1}]`, `{"uid":1`, ``, `null`,
	}
	for _, body := range bad {
		if uid, _, err := binance.DecodeAccount([]byte(body)); !errors.Is(err, binance.ErrBadAccount) {
			t.Errorf("DecodeAccount(%s) = %d, %v; want ErrBadAccount", body, uid, err)
		}
	}
	_, typ, err := binance.DecodeAccount([]byte(`{"uid":7,"accountType":"SP\u001b[2JOT"}`))
	if err != nil || typ != "SP[2JOT" {
		t.Errorf("accountType = %q, %v; want it cleaned", typ, err)
	}
}

// A key that reaches the client although it cannot sign (here a 512-bit
// RSA key, which ParseCredentials would refuse) fails at once as malformed
// input: nothing is sent and nothing is retried, and it is not reported
// as Binance being out of reach.
func TestKeyThatCannotSignIsNotANetworkFailure(t *testing.T) {
	weak, err := os.ReadFile("testdata/rsa512.pem")
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t)
	sl := &sleeps{}
	cl := newClient(t, srv, sl, nil)
	creds := binance.Credentials{APIKey: demoKey("ok").APIKey, Secret: string(weak), Type: binance.RSA}
	_, err = cl.Inspect(context.Background(), creds)
	var e *apperr.Error
	if !errors.As(err, &e) || e.Code != "binance.cannot_sign" || e.Kind != apperr.Usage {
		t.Fatalf("err = %v, want binance.cannot_sign (usage)", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests reached Binance, want none", n)
	}
	if s := sl.all(); len(s) != 0 {
		t.Errorf("retried after %v", s)
	}
}

func TestAPICode(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*binancetest.Server)
		code  int64
		found bool
	}{
		{"deleted key", func(s *binancetest.Server) { s.RemoveKey(demoKey("ok").APIKey) }, -2015, true},
		{"IP list without the caller", func(s *binancetest.Server) { s.SetIPs(demoKey("ok").APIKey, []string{"192.0.2.1"}) }, -2015, true},
		{"unknown code", func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: "/api/v3/account", Status: 400, Body: `{"code":-4321,"msg":"new"}`})
		}, -4321, true},
		{"server error", func(s *binancetest.Server) {
			s.Inject(binancetest.Fault{Path: "/api/v3/account", Status: 503, Times: 3})
		}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := start(t)
			c.setup(srv)
			_, err := newClient(t, srv, nil, nil).Inspect(context.Background(), demo(t, "ok"))
			if err == nil {
				t.Fatal("Inspect succeeded")
			}
			code, found := binance.APICode(err)
			if code != c.code || found != c.found {
				t.Errorf("APICode = %d, %v; want %d, %v", code, found, c.code, c.found)
			}
		})
	}
	if _, found := binance.APICode(nil); found {
		t.Error("APICode(nil) found a code")
	}
}
