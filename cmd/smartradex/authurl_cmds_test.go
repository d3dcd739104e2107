package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// serviceBs holds each running script's service B (Env.Values can only be
// filled at setup).
var serviceBs sync.Map // *testscript.TestScript → *servicetest.Server

// A second service's account: its own token, never the script's.
const (
	scriptServiceBToken = "sxt_live_OtherServiceToken0123456789abcdEF"
	scriptServiceBEmail = "other@example.com"
)

func authURLCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"service-b": cmdServiceB,
	}
}

// service-b start starts a second reference service, B, beside the
// script's (A), and sets SERVICE_B_URL and SERVICE_B_TOKEN (its account's
// token).
// service-b requests N asserts how many requests B has received.
// [!] service-b saw-token TOKEN asserts whether any request B received
// carried TOKEN.
func cmdServiceB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: service-b start | requests N | [!] saw-token TOKEN")
	}
	switch {
	case args[0] == "start" && len(args) == 1 && !neg:
		srv := servicetest.New()
		url, err := srv.Start()
		ts.Check(err)
		ts.Defer(func() { serviceBs.Delete(ts); srv.Close() })
		srv.AddAccount(scriptServiceBToken, scriptServiceBEmail, []string{"btc-spot"})
		ts.Setenv("SERVICE_B_URL", url)
		ts.Setenv("SERVICE_B_TOKEN", scriptServiceBToken)
		serviceBs.Store(ts, srv)
	case args[0] == "requests" && len(args) == 2 && !neg:
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		reqs := serviceB(ts).Requests()
		if len(reqs) != want {
			var got []string
			for _, r := range reqs {
				got = append(got, fmt.Sprintf("%s %s -> %d", r.Method, r.Path, r.Status))
			}
			ts.Fatalf("service B saw %d requests, want %d:\n%s", len(reqs), want, strings.Join(got, "\n"))
		}
	case args[0] == "saw-token" && len(args) == 2:
		saw := 0
		for _, r := range serviceB(ts).Requests() {
			if r.Token == args[1] {
				saw++
			}
		}
		if neg && saw > 0 {
			ts.Fatalf("service B received the token in %d requests", saw)
		}
		if !neg && saw == 0 {
			ts.Fatalf("service B never received the token")
		}
	default:
		ts.Fatalf("usage: service-b start | requests N | [!] saw-token TOKEN")
	}
}

func serviceB(ts *testscript.TestScript) *servicetest.Server {
	v, ok := serviceBs.Load(ts)
	if !ok {
		ts.Fatalf("service-b start first")
	}
	return v.(*servicetest.Server)
}
