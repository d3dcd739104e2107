package main

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// iplockCmds are the script commands of keys locked to SmartradeX's
// addresses (iplock_*.txtar): the service checks keys from 127.0.0.2, a
// loopback address of its own, and the Binance stand-in enforces each
// key's IP list against the caller's address, so a locked key works from
// the service and answers -2015 to smartradex, which calls from 127.0.0.1.
func iplockCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"service-network":    cmdServiceNetwork,
		"service-check-keys": cmdServiceCheckKeys,
		"service-announce":   cmdServiceAnnounce,
		"binance-lock":       cmdBinanceLock,
	}
}

// serviceSource is the address the script's service calls Binance from.
const serviceSource = "127.0.0.2"

// service-network off|recommended|required [IP...] publishes IPs (default
// 127.0.0.2) and ip_lock, and has the service check keys from 127.0.0.2.
func cmdServiceNetwork(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: service-network off|recommended|required [IP...]")
	}
	ips := args[1:]
	if len(ips) == 0 && args[0] != "off" {
		ips = []string{serviceSource}
	}
	// Linux answers on all of 127.0.0.0/8; elsewhere the alias may be
	// missing, and the scripts say [linux].
	ln, err := net.Listen("tcp", serviceSource+":0")
	if err != nil {
		ts.Fatalf("no loopback address %s on this system: %v", serviceSource, err)
	}
	ln.Close()
	ts.Check(serviceStand(ts).SetNetwork(servicetest.Network{IPLock: args[0], EgressIPs: ips,
		BinanceURL: ts.Getenv("SMARTRADEX_BINANCE_URL"), SourceAddr: serviceSource}))
}

// service-check-keys runs the service's periodic check once.
func cmdServiceCheckKeys(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: service-check-keys")
	}
	n, err := serviceStand(ts).CheckKeys(context.Background())
	ts.Check(err)
	ts.Logf("the service checked %d keys", n)
}

// service-announce IP,IP… DATE announces that the service will call
// Binance from IPs too from DATE (YYYY-MM-DD).
func cmdServiceAnnounce(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: service-announce IP,IP… YYYY-MM-DD")
	}
	at, err := time.Parse("2006-01-02", args[1])
	ts.Check(err)
	ts.Check(serviceStand(ts).Announce(strings.Split(args[0], ","), nil, at))
}

// binance-lock DEMO-KEY-NAME [IP...] sets the demo key's trusted IPs, as
// "Edit restrictions" on Binance does; no IP makes it unrestricted again.
func cmdBinanceLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: binance-lock DEMO-KEY-NAME [IP...]")
	}
	k, err := binancetest.DemoKeyByName(args[0])
	ts.Check(err)
	stand(ts).SetIPs(k.Key.APIKey, args[1:])
}
