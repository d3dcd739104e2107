package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

func untrustedCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"tls-front":        cmdTLSFront,
		"tls-front-protos": cmdTLSFrontProtos,
	}
}

// tlsFronts holds each script's record; scripts run in parallel.
var tlsFronts sync.Map // *testscript.TestScript → *tlsProtos

// tlsProtos records the protocol of every request the TLS fronts saw.
type tlsProtos struct {
	mu    sync.Mutex
	seen  map[string]int
	certs []string
}

// tls-front ENV puts a TLS server that offers HTTP/2 (its own test
// certificate authority) in front of the loopback stand-in whose base URL
// is in ENV, points ENV at it, and makes the binary trust that authority
// (SSL_CERT_FILE). The requests it forwards are recorded by protocol.
func cmdTLSFront(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tls-front ENV")
	}
	target, err := url.Parse(ts.Getenv(args[0]))
	ts.Check(err)
	v, _ := tlsFronts.LoadOrStore(ts, &tlsProtos{seen: map[string]int{}})
	rec := v.(*tlsProtos)
	ts.Defer(func() { tlsFronts.Delete(ts) })
	proxy := httputil.NewSingleHostReverseProxy(target)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.mu.Lock()
		rec.seen[r.Proto]++
		rec.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	ts.Defer(srv.Close)
	rec.mu.Lock()
	rec.certs = append(rec.certs, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})))
	bundle := strings.Join(rec.certs, "")
	rec.mu.Unlock()
	file := filepath.Join(ts.Getenv("WORK"), "tls-front-ca.pem")
	ts.Check(os.WriteFile(file, []byte(bundle), 0o600))
	ts.Setenv("SSL_CERT_FILE", file)
	ts.Setenv(args[0], srv.URL)
}

// tls-front-protos PROTO asserts that the TLS fronts saw requests, all in
// PROTO (for example HTTP/1.1).
func cmdTLSFrontProtos(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tls-front-protos PROTO")
	}
	v, ok := tlsFronts.Load(ts)
	if !ok {
		ts.Fatalf("no tls-front was started")
	}
	rec := v.(*tlsProtos)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var got []string
	for p := range rec.seen {
		got = append(got, p)
	}
	sort.Strings(got)
	if len(got) != 1 || got[0] != args[0] {
		ts.Fatalf("the TLS fronts saw %v, want only %s", rec.seen, args[0])
	}
}
