// Command standins serves the loopback stand-ins of Binance and of the
// SmartradeX service for bench/run, in a process of its own so that their
// work is not counted in the measured commands. Both listen on 127.0.0.1
// only and delay every answer by -latency.
//
// It prints "binance URL" and "service URL" on standard output, then
// answers each "count" line on standard input with "requests B S": the
// requests each stand-in has received so far. It exits when standard input
// closes.
//
// The service stand-in's account token is read from SMARTRADEX_BENCH_TOKEN,
// never from the command line. Without it, the service stand-in accepts no
// token and the Binance stand-in serves as ever: enough to try smartradex
// keys add with the sandbox's demo keys against a real smartradexd.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("standins", flag.ContinueOnError)
	fl.SetOutput(stderr)
	latency := fl.Duration("latency", 100*time.Millisecond, "delay added to every request")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	token := getenv("SMARTRADEX_BENCH_TOKEN")

	bn := binancetest.New()
	bnURL, err := bn.Start()
	if err != nil {
		fmt.Fprintln(stderr, "standins:", err)
		return 1
	}
	defer bn.Close()
	bn.AddDemoKeys()
	bn.SetLatency(*latency)

	svc := servicetest.New()
	svcURL, err := svc.Start()
	if err != nil {
		fmt.Fprintln(stderr, "standins:", err)
		return 1
	}
	defer svc.Close()
	if token != "" {
		svc.AddAccount(token, "bench@example.com", bots.IDs())
	} else {
		fmt.Fprintln(stderr, "standins: SMARTRADEX_BENCH_TOKEN is not set: the service stand-in accepts no token; the Binance stand-in serves the demo keys")
	}
	svc.SetLatency(*latency)

	fmt.Fprintf(stdout, "binance %s\nservice %s\n", bnURL, svcURL)
	in := bufio.NewScanner(stdin)
	for in.Scan() {
		switch strings.TrimSpace(in.Text()) {
		case "count":
			fmt.Fprintf(stdout, "requests %d %d\n", len(bn.Requests()), len(svc.Requests()))
		default:
			fmt.Fprintln(stdout, "unknown command")
		}
	}
	return 0
}
