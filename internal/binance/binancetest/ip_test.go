package binancetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// signedFrom is signed with the request's peer address set to remote.
func signedFrom(t *testing.T, s *Server, k Key, path, remote string) *httptest.ResponseRecorder {
	t.Helper()
	query := "timestamp=" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(k.Secret))
	mac.Write([]byte(query))
	req := httptest.NewRequest(http.MethodGet, path+"?"+query+"&signature="+hex.EncodeToString(mac.Sum(nil)), nil)
	req.Header.Set("X-MBX-APIKEY", k.APIKey)
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func ipRestrictOf(t *testing.T, body []byte) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("apiRestrictions %s: %v", body, err)
	}
	return m["ipRestrict"]
}

func TestKeyIPList(t *testing.T) {
	base := DemoKeys()[0].Key
	cases := []struct {
		name   string
		ips    []string
		remote string
		status int
		code   int
	}{
		{"no list: any address", nil, "192.0.2.1:1234", 200, 0},
		{"listed address", []string{"198.51.100.1", "192.0.2.1"}, "192.0.2.1:1234", 200, 0},
		{"address not listed", []string{"198.51.100.1"}, "192.0.2.1:1234", 401, -2015},
		{"loopback not listed", []string{"127.0.0.2"}, "127.0.0.1:5000", 401, -2015},
		{"loopback listed", []string{"127.0.0.2"}, "127.0.0.2:5000", 200, 0},
		{"IPv6 listed", []string{"2001:db8::1"}, "[2001:db8::1]:443", 200, 0},
		{"IPv4-mapped IPv6 caller", []string{"192.0.2.1"}, "[::ffff:192.0.2.1]:443", 200, 0},
		{"IPv6 not listed", []string{"2001:db8::1"}, "[2001:db8::2]:443", 401, -2015},
		{"malformed list entry matches nothing", []string{"not-an-ip"}, "192.0.2.1:1234", 401, -2015},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New()
			k := base
			k.IPs = c.ips
			s.AddKey(k)
			for _, path := range []string{"/sapi/v1/account/apiRestrictions", "/api/v3/account"} {
				rec := signedFrom(t, s, k, path, c.remote)
				if rec.Code != c.status || code(t, rec) != c.code {
					t.Fatalf("%s: %d %s, want %d code %d", path, rec.Code, rec.Body, c.status, c.code)
				}
				if path == "/sapi/v1/account/apiRestrictions" && c.status == 200 {
					if got, want := ipRestrictOf(t, rec.Body.Bytes()), len(c.ips) > 0; got != want {
						t.Errorf("ipRestrict = %v, want %v", got, want)
					}
				}
			}
		})
	}
}

func TestSetIPsLikeEditingTheKey(t *testing.T) {
	s := New()
	k := DemoKeys()[0].Key
	s.AddKey(k)
	s.SetIPs(k.APIKey, []string{"198.51.100.1"})
	if rec := signedFrom(t, s, k, "/api/v3/account", "192.0.2.1:1"); code(t, rec) != -2015 {
		t.Fatalf("after SetIPs: %s", rec.Body)
	}
	s.SetIPs(k.APIKey, nil)
	if rec := signedFrom(t, s, k, "/api/v3/account", "192.0.2.1:1"); rec.Code != 200 {
		t.Fatalf("after clearing the list: %s", rec.Body)
	}
	recs := s.Requests()
	if len(recs) != 2 || recs[0].From != "192.0.2.1" {
		t.Errorf("requests do not record the caller: %+v", recs)
	}
}

func TestWithIPRestrict(t *testing.T) {
	cases := map[string]string{
		`{"ipRestrict":false,"enableReading":true}`:    `{"ipRestrict":true,"enableReading":true}`,
		`{"enableReading":true, "ipRestrict" : false}`: `{"enableReading":true,"ipRestrict":true}`,
		`{"enableReading":true}`:                       `{"enableReading":true,"ipRestrict":true}`,
		`{}`:                                           `{"ipRestrict":true}`,
		`not json`:                                     `not json`,
		`[1]`:                                          `[1]`,
	}
	for in, want := range cases {
		if got := string(withIPRestrict([]byte(in))); got != want {
			t.Errorf("withIPRestrict(%s) = %s, want %s", in, got, want)
		}
	}
}

func getSigned(t *testing.T, client *http.Client, base string, k Key) (int, int, []byte) {
	t.Helper()
	query := "timestamp=" + strconv.FormatInt(time.Now().UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(k.Secret))
	mac.Write([]byte(query))
	req, err := http.NewRequest(http.MethodGet, base+"/sapi/v1/account/apiRestrictions?"+query+"&signature="+hex.EncodeToString(mac.Sum(nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-MBX-APIKEY", k.APIKey)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e struct{ Code int }
	_ = json.Unmarshal(body, &e)
	return resp.StatusCode, e.Code, body
}

// The sandbox's way to stand for another address where only 127.0.0.1
// exists: the locked demo keys work through ListenAs's URL only.
func TestListenAsAndLockedDemoKeys(t *testing.T) {
	s := StartTest(t)
	s.AddLockedDemoKeys()
	alias, err := s.ListenAs(SandboxServiceIP)
	if err != nil {
		t.Fatal(err)
	}
	locked, err := DemoKeyByName("locked")
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, _ := DemoKeyByName("locked-elsewhere")
	c := &http.Client{Timeout: 5 * time.Second}
	if st, cd, body := getSigned(t, c, s.URL, locked.Key); st != 401 || cd != -2015 {
		t.Errorf("locked key from 127.0.0.1: %d %s", st, body)
	}
	st, _, body := getSigned(t, c, alias, locked.Key)
	if st != 200 || ipRestrictOf(t, body) != true {
		t.Errorf("locked key through ListenAs: %d %s", st, body)
	}
	if st, cd, body := getSigned(t, c, alias, elsewhere.Key); st != 401 || cd != -2015 {
		t.Errorf("locked-elsewhere key through ListenAs: %d %s", st, body)
	}
	if st, _, body := getSigned(t, c, alias, DemoKeys()[0].Key); st != 200 {
		t.Errorf("unrestricted key through ListenAs: %d %s", st, body)
	}
	froms := map[string]int{}
	for _, r := range s.Requests() {
		froms[r.From]++
	}
	if froms["127.0.0.1"] != 1 || froms[SandboxServiceIP] != 3 {
		t.Errorf("callers seen: %v", froms)
	}
	if _, err := s.ListenAs("not an address"); err == nil {
		t.Error("ListenAs accepted a malformed address")
	}
	s.Close()
	if _, err := c.Get(alias + "/api/v3/ping"); err == nil {
		t.Error("the ListenAs listener survives Close")
	}
}

// On Linux all of 127.0.0.0/8 is this computer: a client bound to
// 127.0.0.2 is seen from there, as the service's tests rely on.
func TestCallerFromAnotherLoopbackAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("binding 127.0.0.2 needs Linux")
	}
	s := StartTest(t)
	k := DemoKeys()[0].Key
	s.SetIPs(k.APIKey, []string{"127.0.0.2"})
	from2 := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}).DialContext}
	defer from2.CloseIdleConnections()
	if st, _, body := getSigned(t, &http.Client{Transport: from2, Timeout: 5 * time.Second}, s.URL, k); st != 200 {
		t.Errorf("from 127.0.0.2: %d %s", st, body)
	}
	if st, cd, body := getSigned(t, &http.Client{Timeout: 5 * time.Second}, s.URL, k); st != 401 || cd != -2015 {
		t.Errorf("from 127.0.0.1: %d %s", st, body)
	}
}
