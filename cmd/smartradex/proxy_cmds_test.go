package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"
)

func proxyCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"proxy-start": cmdProxyStart,
	}
}

// proxy-start LOGFILE starts an HTTP proxy on 127.0.0.2 (loopback, but not
// the stand-ins' address) that forwards nothing: it appends every request
// it receives, headers and body, to LOGFILE and answers 502. It sets
// PROXY_URL to its address, and BINANCE_PORT and SERVICE_PORT to the ports
// of the stand-ins, so that a script can spell their URLs in other ways.
func cmdProxyStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: proxy-start LOGFILE")
	}
	logPath := ts.MkAbs(args[0])
	ts.Check(os.WriteFile(logPath, nil, 0o600))
	var mu sync.Mutex
	record := func(r *http.Request) {
		dump, err := httputil.DumpRequest(r, true)
		if err != nil {
			dump = []byte(fmt.Sprintf("%s %s (unreadable: %v)\n", r.Method, r.Host, err))
		}
		mu.Lock()
		defer mu.Unlock()
		f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return
		}
		_, _ = f.Write(append(dump, '\n'))
		_ = f.Close()
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	ts.Check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		record(r)
		http.Error(w, "recording proxy: nothing is forwarded", http.StatusBadGateway)
	})}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() { _ = srv.Close() })
	ts.Setenv("PROXY_URL", "http://"+ln.Addr().String())
	for name, from := range map[string]string{"BINANCE_PORT": "SMARTRADEX_BINANCE_URL", "SERVICE_PORT": "SMARTRADEX_SERVICE_URL"} {
		u, err := url.Parse(ts.Getenv(from))
		ts.Check(err)
		ts.Setenv(name, u.Port())
	}
}
