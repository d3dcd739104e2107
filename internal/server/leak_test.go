package server

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/server/store"
)

// Over every route, in success and in failure, the logs and the metrics
// hold no token, no secret, no sealed secret (raw, base64 or hex), no full
// API key and no e-mail.
func TestLogsAndMetricsLeakNothing(t *testing.T) {
	f := &failing{}
	e := newEnv(t, withStore(func(s store.Store) store.Store { f.Store = s; return f }))
	apiKey, secret := randomKey(), randomKey()
	body := e.sealed("btc-spot", apiKey, "HMAC", secret)
	sealedRaw, _ := base64.StdEncoding.DecodeString(body.SealedSecret)
	pemAPIKey := randomKey()
	pemBody := e.sealed("btc-spot", pemAPIKey, "ED25519", pemKey)
	unknown := NewToken()
	clearBody := fmt.Sprintf(`{"api_key":%q,"api_secret":%q,"key_type":"HMAC"}`, apiKey, secret)

	// The secret and the token also travel where a careless log would pick
	// them up: the query string and a header.
	q := "?token=" + url.QueryEscape(e.token) + "&secret=" + secret + "&api_key=" + apiKey
	for _, r := range Routes() {
		method, path := r[0], strings.ReplaceAll(r[1], "{bot}", "btc-spot")
		for _, tok := range []string{"", e.token, e.engine, unknown} {
			var b any
			if method == "PUT" {
				b = body
			}
			e.do(method, path+q, tok, b)
		}
	}
	for _, b := range []any{clearBody, pemBody, body, body} {
		e.do("PUT", "/v1/bots/btc-spot/binance-key"+q, e.token, b)
	}
	e.do("GET", "/v1/bots/"+apiKey+"/binance-key", e.token, nil)
	e.do("GET", "/"+secret, e.token, nil)
	// Failures: a driver error quoting the key and the e-mail.
	f.err = errors.New("duplicate key (api_key)=(" + apiKey + ") for ada@example.com")
	for _, m := range []string{"PutKey", "GetKey", "Authenticate", "Ping", "Audit"} {
		f.set(m)
		e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, e.sealed("btc-spot", randomKey(), "HMAC", randomKey()))
		e.do("PUT", "/v1/bots/btc-spot/binance-key", e.token, body)
		e.do("GET", "/v1/bots/btc-spot/binance-key", e.token, nil)
		e.do("GET", "/readyz", "", nil)
	}
	f.set()
	e.do("DELETE", "/v1/bots/btc-spot/binance-key", e.token, nil)
	metrics := string(e.do("GET", "/metrics", "", nil).body)

	forbidden := map[string]string{
		"subscriber token":         e.token,
		"engine token":             e.engine,
		"unknown token":            unknown,
		"secret":                   secret,
		"PEM":                      "PRIVATE KEY",
		"sealed secret (base64)":   body.SealedSecret,
		"sealed secret (url-safe)": base64.RawURLEncoding.EncodeToString(sealedRaw),
		"sealed secret (hex)":      hex.EncodeToString(sealedRaw),
		"sealed secret (raw)":      string(sealedRaw[:32]),
		"API key":                  apiKey,
		"PEM API key":              pemAPIKey,
		"e-mail":                   "ada@example.com",
		"query string":             "token=",
	}
	logs := e.logs.String()
	for what, v := range forbidden {
		if strings.Contains(logs, v) {
			t.Errorf("the logs hold the %s", what)
		}
		if strings.Contains(metrics, v) {
			t.Errorf("the metrics hold the %s", what)
		}
	}
	// One record per request, with the documented fields, for every route.
	seen := map[string]bool{}
	for _, rec := range e.logs.records(t) {
		if rec["msg"] != "request" {
			continue
		}
		for _, k := range []string{"method", "route", "status", "duration_ms", "request_id"} {
			if _, ok := rec[k]; !ok {
				t.Fatalf("request record without %s: %v", k, rec)
			}
		}
		seen[fmt.Sprint(rec["method"], " ", rec["route"])] = true
	}
	for _, r := range Routes() {
		if !seen[r[0]+" "+r[1]] {
			t.Errorf("no request record for %s %s", r[0], r[1])
		}
	}
	if !seen["GET unmatched"] {
		t.Error("an unknown path is not logged as unmatched")
	}
	for _, want := range []string{
		`smartradexd_http_requests_total{route="/v1/bots/{bot}/binance-key",code="2xx"}`,
		`smartradexd_http_requests_total{route="/v1/me",code="4xx"}`,
		`smartradexd_http_requests_total{route="/v1/bots/{bot}/binance-key",code="5xx"}`,
		`smartradexd_http_request_duration_seconds_bucket{route="/v1/me",le="+Inf"}`,
		`smartradexd_key_removals_total 2`, // one in the routes loop, one at the end
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
