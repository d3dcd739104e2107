package smartradexd

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/seal"
)

func put(t *testing.T, url, token string, body any) (int, string) {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, url, bytes.NewReader(data))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// The real binary's service checks keys from --binance-source-addr: on
// Linux, 127.0.0.2 stands for the service's address and 127.0.0.1 for the
// subscriber's, and the stand-in enforces each key's IP list.
func TestServeChecksFromTheSourceAddress(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("binding 127.0.0.2 needs Linux")
	}
	bn := binancetest.StartTest(t)
	dir := t.TempDir()
	env := map[string]string{"XDG_DATA_HOME": dir, "SMARTRADEXD_EGRESS_IPS": "127.0.0.2"}
	srv := serve(t, env, "http", "--ip-lock", "required", "--binance-url", bn.URL, "--binance-source-addr", "127.0.0.2", "--check-interval", "0")
	for _, args := range [][]string{
		{"admin", "subscriber", "add", "ada@example.com"},
		{"admin", "subscribe", "ada@example.com", "btc-spot"},
		{"admin", "subscribe", "ada@example.com", "eth-spot"},
	} {
		if r := run(t, env, args...); r.code != 0 {
			t.Fatalf("%v = %d %s", args, r.code, r.stderr)
		}
	}
	token := strings.TrimSpace(run(t, env, "admin", "token", "issue", "ada@example.com").stdout)
	vault, err := loadVaultKey(filepath.Join(dir, "smartradexd", "vault.key"))
	if err != nil {
		t.Fatal(err)
	}
	locked := binancetest.DemoKeys()[0].Key // "ok", now locked to the service's address
	bn.SetIPs(locked.APIKey, []string{"127.0.0.2"})
	elsewhere := binancetest.DemoKeys()[5].Key // "ok-eth", locked to the subscriber's address only
	bn.SetIPs(elsewhere.APIKey, []string{"127.0.0.1"})
	body := func(bot string, k binancetest.Key) map[string]string {
		s, err := seal.Seal(vault.Public(), bot, k.APIKey, "HMAC", []byte(k.Secret))
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{"api_key": k.APIKey, "sealed_secret": base64.StdEncoding.EncodeToString(s),
			"vault_key_id": vault.Public().ID(), "key_type": "HMAC"}
	}

	if code, b := get(t, http.DefaultClient, srv.url+"/v1/network", ""); code != 200 || b != `{"egress_ips":["127.0.0.2"],"ip_lock":"required","changes":[]}`+"\n" {
		t.Errorf("GET /v1/network = %d %s", code, b)
	}
	code, b := put(t, srv.url+"/v1/bots/btc-spot/binance-key", token, body("btc-spot", locked))
	var reg struct {
		LastCheck struct {
			SeenFrom string `json:"seen_from"`
			Outcome  string `json:"outcome"`
			UID      int64  `json:"uid"`
		} `json:"last_check"`
	}
	if code != 200 || json.Unmarshal([]byte(b), &reg) != nil || reg.LastCheck.SeenFrom != "127.0.0.2" || reg.LastCheck.Outcome != "ok" || reg.LastCheck.UID != locked.UID {
		t.Fatalf("PUT of a key locked to 127.0.0.2 = %d %s", code, b)
	}
	code, b = put(t, srv.url+"/v1/bots/eth-spot/binance-key", token, body("eth-spot", elsewhere))
	if code != 422 || !strings.Contains(b, `"code":"binance_rejected"`) || !strings.Contains(b, `"binance_code":-2015`) || !strings.Contains(b, `"seen_from":"127.0.0.2"`) {
		t.Errorf("PUT of a key locked to 127.0.0.1 = %d %s", code, b)
	}
	if code, b := get(t, http.DefaultClient, srv.url+"/v1/bots/eth-spot/binance-key", token); code != 404 {
		t.Errorf("a refused key was stored: %d %s", code, b)
	}
	froms := map[string]int{}
	for _, r := range bn.Requests() {
		froms[r.From]++
	}
	if froms["127.0.0.2"] == 0 || len(froms) != 1 {
		t.Errorf("Binance saw calls from %v, want 127.0.0.2 only", froms)
	}
	// Deleted on Binance: a live read says so.
	bn.RemoveKey(locked.APIKey)
	if code, b := get(t, http.DefaultClient, srv.url+"/v1/binance-keys?live=1", token); code != 200 || !strings.Contains(b, `"outcome":"deleted"`) {
		t.Errorf("live list = %d %s", code, b)
	}
	m := func() string { _, b := get(t, http.DefaultClient, srv.url+"/metrics", ""); return b }()
	if !strings.Contains(m, `smartradexd_key_checks_total{trigger="live",outcome="deleted"} 1`) {
		t.Errorf("metrics: %s", m)
	}
	if strings.Contains(srv.logs.String(), locked.Secret) || strings.Contains(srv.logs.String(), locked.APIKey) {
		t.Error("the logs hold the secret or the full API key")
	}
	if !strings.Contains(srv.logs.String(), `"binance_source_addr":"127.0.0.2"`) {
		t.Errorf("the start-up record does not name the source address")
	}
}

func TestNetworkAnnouncements(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_DATA_HOME": dir}
	if r := run(t, env, "migrate"); r.code != 0 {
		t.Fatalf("migrate = %d %q", r.code, r.stderr)
	}
	at := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	r := run(t, env, "admin", "network", "announce", "--add", "203.0.113.20,::ffff:203.0.113.21", "--remove", "203.0.113.11", "--at", at)
	if r.code != 0 || r.stdout != "change 1 announced for "+at+": add 203.0.113.20,203.0.113.21, remove 203.0.113.11\n" {
		t.Fatalf("announce = %d %q %q", r.code, r.stdout, r.stderr)
	}
	srv := serve(t, env, "http", "--egress-ips", "203.0.113.10,203.0.113.11", "--ip-lock", "recommended", "--check-interval", "0")
	want := `{"egress_ips":["203.0.113.10","203.0.113.11"],"ip_lock":"recommended","changes":[{"add":["203.0.113.20","203.0.113.21"],"remove":["203.0.113.11"],"effective_at":"` + at + `"}]}` + "\n"
	if code, b := get(t, http.DefaultClient, srv.url+"/v1/network", ""); code != 200 || b != want {
		t.Errorf("GET /v1/network = %d %s\nwant %s", code, b, want)
	}
	r = run(t, env, "admin", "network", "list", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"id":1,"add":["203.0.113.20","203.0.113.21"],"remove":["203.0.113.11"],"effective_at":"`+at+`"`) {
		t.Errorf("list --json = %d %q", r.code, r.stdout)
	}
	if r := run(t, env, "admin", "network", "list"); r.code != 0 || !strings.Contains(r.stdout, "announced") {
		t.Errorf("list = %d %q", r.code, r.stdout)
	}
	if r := run(t, env, "admin", "network", "withdraw", "1"); r.code != 0 {
		t.Errorf("withdraw = %d %q", r.code, r.stderr)
	}
	if code, b := get(t, http.DefaultClient, srv.url+"/v1/network", ""); code != 200 || !strings.Contains(b, `"changes":[]`) {
		t.Errorf("after withdraw: %d %s", code, b)
	}
	if r := run(t, env, "admin", "network", "withdraw", "1"); r.code != 1 || !strings.Contains(r.stderr, "no announced change 1: smartradexd admin network list shows") {
		t.Errorf("withdraw twice = %d %q", r.code, r.stderr)
	}

	var many []string
	for i := range 31 {
		many = append(many, fmt.Sprintf("203.0.113.%d", i+1))
	}
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct {
		args []string
		text string
	}{
		{[]string{"--add", "203.0.113.20"}, "--at is required"},
		{[]string{"--add", "203.0.113.20", "--at", "tomorrow"}, "is not an RFC 3339 time"},
		{[]string{"--add", "203.0.113.20", "--at", past}, "must be in the future"},
		{[]string{"--at", at}, "give --add or --remove"},
		{[]string{"--add", "203.0.113.20", "--remove", "203.0.113.20", "--at", at}, "both added and removed"},
		{[]string{"--add", "host.example", "--at", at}, "is not an IP address"},
		{[]string{"--add", strings.Join(many, ","), "--at", at}, "at most 30"},
	} {
		r := run(t, env, append([]string{"admin", "network", "announce"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.text) {
			t.Errorf("announce %v = %d %q, want 2 and %q", c.args, r.code, r.stderr, c.text)
		}
	}
	if r := run(t, env, "admin", "network", "list", "--json"); r.stdout != `{"changes":[]}`+"\n" {
		t.Errorf("refused announcements were stored: %q", r.stdout)
	}
}

func TestServeNetworkUsageErrors(t *testing.T) {
	var many []string
	for i := range 31 {
		many = append(many, fmt.Sprintf("203.0.113.%d", i+1))
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
		text string
	}{
		{nil, []string{"--ip-lock", "recommended"}, "--ip-lock recommended needs --egress-ips"},
		{nil, []string{"--egress-ips", strings.Join(many, ",")}, "at most 30"},
		{map[string]string{"SMARTRADEXD_EGRESS_IPS": "203.0.113.1,203.0.113.1"}, nil, "given twice"},
		{nil, []string{"--egress-ips", "0.0.0.0"}, "--egress-ips"},
		{nil, []string{"--check-interval", "-1h"}, "--check-interval"},
		{nil, []string{"--binance-url", "http://binance.example"}, "--binance-url"},
		{nil, []string{"--binance-source-addr", "192.0.2.77"}, "is not an address of this host"},
	} {
		env := map[string]string{"XDG_DATA_HOME": t.TempDir()}
		for k, v := range c.env {
			env[k] = v
		}
		r := run(t, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.text) {
			t.Errorf("serve %v %v = %d %q, want 2 and %q", c.env, c.args, r.code, r.stderr, c.text)
		}
	}
}

// serve's periodic check: a key deleted on Binance after registration is
// reported by the next round, without any request from the subscriber.
func TestServePeriodicCheck(t *testing.T) {
	bn := binancetest.StartTest(t)
	dir := t.TempDir()
	env := map[string]string{"XDG_DATA_HOME": dir}
	srv := serve(t, env, "http", "--binance-url", bn.URL, "--check-interval", "200ms")
	run(t, env, "admin", "subscriber", "add", "ada@example.com")
	run(t, env, "admin", "subscribe", "ada@example.com", "btc-spot")
	token := strings.TrimSpace(run(t, env, "admin", "token", "issue", "ada@example.com").stdout)
	engine := strings.TrimSpace(run(t, env, "admin", "engine-token", "issue", "engine-1").stdout)
	vault, err := loadVaultKey(filepath.Join(dir, "smartradexd", "vault.key"))
	if err != nil {
		t.Fatal(err)
	}
	k := binancetest.DemoKeys()[0].Key
	sealed, err := seal.Seal(vault.Public(), "btc-spot", k.APIKey, "HMAC", []byte(k.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if code, b := put(t, srv.url+"/v1/bots/btc-spot/binance-key", token, map[string]string{"api_key": k.APIKey,
		"sealed_secret": base64.StdEncoding.EncodeToString(sealed), "vault_key_id": vault.Public().ID(), "key_type": "HMAC"}); code != 200 {
		t.Fatalf("PUT = %d %s", code, b)
	}
	wait := func(outcome string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			_, b := get(t, http.DefaultClient, srv.url+"/internal/v1/keys?bot=btc-spot", engine)
			if strings.Contains(b, `"last_check_outcome":"`+outcome+`"`) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %s check recorded: %s\n%s", outcome, b, srv.logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("ok")
	bn.RemoveKey(k.APIKey)
	wait("deleted")
	if _, b := get(t, http.DefaultClient, srv.url+"/v1/bots/btc-spot/binance-key", token); !strings.Contains(b, `"outcome":"deleted","api_restrictions":null,"uid":0,"binance_code":-2015`) {
		t.Errorf("the subscriber does not see the deletion: %s", b)
	}
	if !strings.Contains(srv.logs.String(), `"msg":"periodic check done"`) {
		t.Error("no periodic round logged")
	}
	if code := srv.stop(); code != 0 {
		t.Errorf("serve with the periodic check running = %d", code)
	}
}
