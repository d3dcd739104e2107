package main

import (
	"encoding/json"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
)

// generateCmds are the script commands of `keys generate`. The doctor
// scripts use the script's own service (service-account, service-down).
func generateCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"binance-add-ed25519": cmdBinanceAddEd25519,
	}
}

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
