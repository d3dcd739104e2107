// Command standins serves the loopback stand-ins of Binance and of the
// SmartradeX service for bench/run, in a process of its own so that their
// work is not counted in the measured commands. Both listen on 127.0.0.1
// only and delay every answer by -latency.
//
// It prints "binance URL" and "service URL" on standard output, then
// answers each "count" line on standard input with "requests B S": the
// requests each stand-in has received so far. It exits when standard input
// closes. The service account's token is read from SMARTRADEX_BENCH_TOKEN,
// never from the command line.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

func main() {
	latency := flag.Duration("latency", 100*time.Millisecond, "delay added to every request")
	flag.Parse()
	token := os.Getenv("SMARTRADEX_BENCH_TOKEN")
	if token == "" {
		fmt.Fprintln(os.Stderr, "standins: SMARTRADEX_BENCH_TOKEN is not set")
		os.Exit(2)
	}

	bn := binancetest.New()
	bnURL, err := bn.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "standins:", err)
		os.Exit(1)
	}
	defer bn.Close()
	bn.AddDemoKeys()
	bn.SetLatency(*latency)

	svc := servicetest.New()
	svcURL, err := svc.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "standins:", err)
		os.Exit(1)
	}
	defer svc.Close()
	svc.AddAccount(token, "bench@example.com", bots.IDs())
	svc.SetLatency(*latency)

	fmt.Printf("binance %s\nservice %s\n", bnURL, svcURL)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch strings.TrimSpace(in.Text()) {
		case "count":
			fmt.Printf("requests %d %d\n", len(bn.Requests()), len(svc.Requests()))
		default:
			fmt.Println("unknown command")
		}
	}
}
