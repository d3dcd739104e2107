package binancetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func signed(t *testing.T, s *Server, k Key, query string) *httptest.ResponseRecorder {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(k.Secret))
	mac.Write([]byte(query))
	req := httptest.NewRequest(http.MethodGet, "/sapi/v1/account/apiRestrictions?"+query+"&signature="+hex.EncodeToString(mac.Sum(nil)), nil)
	req.Header.Set("X-MBX-APIKEY", k.APIKey)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func code(t *testing.T, rec *httptest.ResponseRecorder) int {
	t.Helper()
	var e struct{ Code int }
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	return e.Code
}

func TestChecksLikeBinance(t *testing.T) {
	s := New()
	s.AddDemoKeys()
	k := DemoKeys()[0].Key
	now := time.Now().UnixMilli()
	ts := func(ms int64) string { return "timestamp=" + strconv.FormatInt(ms, 10) }
	cases := []struct {
		name   string
		query  string
		status int
		code   int
	}{
		{"fresh timestamp", ts(now), 200, 0},
		{"with recvWindow", "recvWindow=60000&" + ts(now-50000), 200, 0},
		{"recvWindow too large", "recvWindow=60001&" + ts(now), 400, -1131},
		{"too old", ts(now - 6000), 400, -1021},
		{"ahead by more than 1 s", ts(now + 1500), 400, -1021},
		{"no timestamp", "recvWindow=5000", 400, -1102},
	}
	for _, c := range cases {
		rec := signed(t, s, k, c.query)
		if rec.Code != c.status || code(t, rec) != c.code {
			t.Errorf("%s: got %d %s", c.name, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-MBX-USED-WEIGHT-1M") == "" {
			t.Errorf("%s: no used-weight header", c.name)
		}
	}
	bad := k
	bad.Secret = "wrong"
	if rec := signed(t, s, bad, ts(now)); code(t, rec) != -1022 {
		t.Errorf("bad signature: %s", rec.Body)
	}
	unknown := k
	unknown.APIKey = "B" + k.APIKey[1:]
	if rec := signed(t, s, unknown, ts(now)); rec.Code != 401 || code(t, rec) != -2015 {
		t.Errorf("unknown key: %d %s", rec.Code, rec.Body)
	}
	short := k
	short.APIKey = k.APIKey[:10]
	if rec := signed(t, s, short, ts(now)); code(t, rec) != -2014 {
		t.Errorf("short key: %s", rec.Body)
	}
	for _, r := range s.Requests() {
		if r.APIKey == k.APIKey {
			t.Errorf("requests record the unmasked key")
		}
	}
}

func TestFaultsAndState(t *testing.T) {
	s := New()
	s.AddDemoKeys()
	s.Inject(Fault{Path: "/api/v3/time", Status: 429, Times: 2})
	for i, want := range []int{429, 429, 200} {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v3/time", nil))
		if rec.Code != want {
			t.Errorf("request %d: %d", i, rec.Code)
		}
		if want == 429 && rec.Header().Get("Retry-After") == "" {
			t.Errorf("429 without Retry-After")
		}
	}
	s.SetClockOffset(time.Minute)
	data, err := s.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	s2 := New()
	if err := s2.LoadState(data); err != nil {
		t.Fatal(err)
	}
	if len(s2.keys) != len(DemoKeys()) || s2.offset != time.Minute {
		t.Errorf("state not restored: %d keys, offset %v", len(s2.keys), s2.offset)
	}
	if err := s2.LoadState([]byte("nope")); err == nil {
		t.Errorf("LoadState accepted garbage")
	}
}

func TestDemoKeysAreWellFormedAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range DemoKeys() {
		if !wellFormed(d.Key.APIKey) || !wellFormed(d.Key.Secret) || seen[d.Key.APIKey] {
			t.Errorf("%s: bad or duplicate key", d.Name)
		}
		seen[d.Key.APIKey] = true
		if !json.Valid(d.Key.Restrictions) {
			t.Errorf("%s: restrictions not JSON", d.Name)
		}
	}
	if _, err := DemoKeyByName("nope"); err == nil {
		t.Error("unknown demo key found")
	}
}
