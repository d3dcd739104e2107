package main

import (
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
)

const binanceKey = "binancetest"

func stand(ts *testscript.TestScript) *binancetest.Server {
	return ts.Value(binanceKey).(*binancetest.Server)
}

// binance-fault PATH STATUS|hang [TIMES] [retry-after=SECONDS] [body=FILE] [delay=DURATION]
// makes the stand-in answer the next TIMES requests to PATH with STATUS
// (after DURATION), or never answer them (hang) until the client gives up.
func cmdBinanceFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: binance-fault PATH STATUS|hang [TIMES] [retry-after=N] [body=FILE] [delay=D]")
	}
	f := binancetest.Fault{Path: args[0], Times: 1}
	var err error
	if args[1] == "hang" {
		f.Hang = true
	} else {
		f.Status, err = strconv.Atoi(args[1])
		ts.Check(err)
	}
	for _, a := range args[2:] {
		switch {
		case strings.HasPrefix(a, "retry-after="):
			f.Header = http.Header{"Retry-After": {strings.TrimPrefix(a, "retry-after=")}}
		case strings.HasPrefix(a, "body="):
			f.Body = ts.ReadFile(strings.TrimPrefix(a, "body="))
		case strings.HasPrefix(a, "delay="):
			f.Delay, err = time.ParseDuration(strings.TrimPrefix(a, "delay="))
			ts.Check(err)
		default:
			f.Times, err = strconv.Atoi(a)
			ts.Check(err)
		}
	}
	stand(ts).Inject(f)
}

// binance-clock DURATION sets the stand-in's clock ahead (or behind).
func cmdBinanceClock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: binance-clock DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	stand(ts).SetClockOffset(d)
}

// binance-requests [PATH] N asserts how many requests (to PATH) the
// stand-in has seen.
func cmdBinanceRequests(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: binance-requests [PATH] N")
	}
	want, err := strconv.Atoi(args[len(args)-1])
	ts.Check(err)
	var got []string
	for _, r := range stand(ts).Requests() {
		if len(args) == 1 || r.Path == args[0] {
			got = append(got, fmt.Sprintf("%s %s -> %d", r.Method, r.Path, r.Status))
		}
	}
	if len(got) != want {
		ts.Fatalf("stand-in saw %d requests, want %d:\n%s", len(got), want, strings.Join(got, "\n"))
	}
}

// binance-remove NAME deletes a demo key, as deleting it on Binance does.
func cmdBinanceRemove(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: binance-remove DEMO-KEY-NAME")
	}
	k, err := binancetest.DemoKeyByName(args[0])
	ts.Check(err)
	stand(ts).RemoveKey(k.Key.APIKey)
}

// exits N COMMAND [ARGS...] runs COMMAND like exec and asserts that it
// ends with exit code N, so scripts pin the documented exit codes.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}
