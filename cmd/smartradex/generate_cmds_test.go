package main

import (
	"encoding/json"
	"strconv"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// generateCmds are the script commands of `keys generate` and `doctor`.
func generateCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"binance-add-ed25519": cmdBinanceAddEd25519,
		"doctor-service":      cmdDoctorService,
		"doctor-service-down": cmdDoctorServiceDown,
	}
}

// doctorServices holds each script's SmartradeX stand-in: custom commands
// cannot add values to a running script.
var doctorServices sync.Map // *testscript.TestScript → *servicetest.Server

// binance-add-ed25519 APIKEY JSONFILE [UID] registers with the stand-in
// the public key that `keys generate --json` printed (saved in JSONFILE),
// as pasting it into Binance's "Self-generated" form does; the key gets
// the demo rights that pass the policy.
func cmdBinanceAddEd25519(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: binance-add-ed25519 APIKEY JSONFILE [UID]")
	}
	var out struct {
		PublicKeyPEM string `json:"public_key_pem"`
	}
	ts.Check(json.Unmarshal([]byte(ts.ReadFile(args[1])), &out))
	if out.PublicKeyPEM == "" {
		ts.Fatalf("%s has no public_key_pem", args[1])
	}
	ok, err := binancetest.DemoKeyByName("ok")
	ts.Check(err)
	uid := int64(900000042)
	if len(args) == 3 {
		uid, err = strconv.ParseInt(args[2], 10, 64)
		ts.Check(err)
	}
	stand(ts).AddKey(binancetest.Key{APIKey: args[0], PublicKeyPEM: out.PublicKeyPEM, Restrictions: ok.Key.Restrictions, UID: uid})
}

// doctor-service TOKEN EMAIL [BOT...] starts a SmartradeX stand-in with one
// account and points SMARTRADEX_SERVICE_URL at it.
func cmdDoctorService(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: doctor-service TOKEN EMAIL [BOT...]")
	}
	srv := servicetest.New()
	srv.AddAccount(args[0], args[1], args[2:])
	url, err := srv.Start()
	ts.Check(err)
	ts.Defer(func() {
		srv.Close()
		doctorServices.Delete(ts)
	})
	ts.Setenv("SMARTRADEX_SERVICE_URL", url)
	doctorServices.Store(ts, srv)
}

// doctor-service-down makes the stand-in started by doctor-service drop
// every connection.
func cmdDoctorServiceDown(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: doctor-service-down")
	}
	v, ok := doctorServices.Load(ts)
	if !ok {
		ts.Fatalf("doctor-service-down needs doctor-service first")
	}
	v.(*servicetest.Server).SetDown(true)
}
