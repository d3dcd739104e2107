package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

const serviceKey = "servicetest"

// The account every script's service knows. Scripts read the token from
// SERVICE_TOKEN and opt in to SMARTRADEX_TOKEN themselves.
const (
	scriptServiceToken = "sxt_live_ScriptToken0123456789abcdefABCDEF"
	scriptServiceEmail = "subscriber@example.com"
)

// setupService starts a reference SmartradeX service for the script.
func setupService(env *testscript.Env) error {
	srv := servicetest.New()
	url, err := srv.Start()
	if err != nil {
		return err
	}
	env.Defer(srv.Close)
	srv.AddAccount(scriptServiceToken, scriptServiceEmail, []string{"btc-spot", "eth-spot"})
	env.Values[serviceKey] = srv
	env.Setenv("SMARTRADEX_SERVICE_URL", url)
	env.Setenv("SERVICE_TOKEN", scriptServiceToken)
	return nil
}

func serviceStand(ts *testscript.TestScript) *servicetest.Server {
	return ts.Value(serviceKey).(*servicetest.Server)
}

func serviceCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"service-fault":    cmdServiceFault,
		"service-down":     cmdServiceDown,
		"service-register": cmdServiceRegister,
		"service-requests": cmdServiceRequests,
		"secret-file-init": cmdSecretFileInit,
		"service-forget":   cmdServiceForget,
		"binance-right":    cmdBinanceRight,
	}
}

// service-fault METHOD|* PATH STATUS|reset [TIMES] [code=CODE] [body=FILE] [delay=DURATION] [detach]
// makes the service answer the next TIMES (default 1; 0 = every) matching
// requests with STATUS (and the error code CODE, or the body in FILE), or
// drop their connection, after DURATION; STATUS 0 serves them normally
// after DURATION, and with detach even if the client has gone by then (a
// PUT that commits after smartradex was killed).
func cmdServiceFault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 8 {
		ts.Fatalf("usage: service-fault METHOD|* PATH STATUS|reset [TIMES] [code=CODE] [body=FILE] [delay=D] [detach]")
	}
	markFault(ts)
	f := servicetest.Fault{Method: args[0], Path: args[1], Times: 1}
	if f.Method == "*" {
		f.Method = ""
	}
	if args[2] == "reset" {
		f.Reset = true
	} else {
		st, err := strconv.Atoi(args[2])
		ts.Check(err)
		f.Status = st
	}
	for _, a := range args[3:] {
		if a == "detach" {
			f.Detach = true
			continue
		}
		if file, ok := strings.CutPrefix(a, "body="); ok {
			f.Body = ts.ReadFile(file)
			continue
		}
		if c, ok := strings.CutPrefix(a, "code="); ok {
			f.Body = `{"error":{"code":"` + c + `","message":"refused by the script"}}`
			continue
		}
		if d, ok := strings.CutPrefix(a, "delay="); ok {
			var err error
			f.Delay, err = time.ParseDuration(d)
			ts.Check(err)
			continue
		}
		n, err := strconv.Atoi(a)
		ts.Check(err)
		f.Times = n
	}
	serviceStand(ts).Inject(f)
}

// service-down on|off drops every connection, or stops doing so.
func cmdServiceDown(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || (args[0] != "on" && args[0] != "off") {
		ts.Fatalf("usage: service-down on|off")
	}
	serviceStand(ts).SetDown(args[0] == "on")
}

// service-register BOT DEMO-KEY-NAME registers a demo key at the service,
// as `keys add` would, with the script account's token.
func cmdServiceRegister(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: service-register BOT DEMO-KEY-NAME")
	}
	k, err := binancetest.DemoKeyByName(args[1])
	ts.Check(err)
	c, err := service.New(service.Options{BaseURL: ts.Getenv("SMARTRADEX_SERVICE_URL"), Token: scriptServiceToken})
	ts.Check(err)
	_, err = c.PutKey(context.Background(), args[0], service.KeyRegistration{
		APIKey: k.Key.APIKey, APISecret: k.Key.Secret, KeyType: "HMAC", Label: "SmartradeX test",
	})
	ts.Check(err)
}

// service-requests [METHOD] [PATH-PREFIX] N asserts how many requests the
// service has received (matching METHOD and PATH-PREFIX).
func cmdServiceRequests(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 3 {
		ts.Fatalf("usage: service-requests [METHOD] [PATH-PREFIX] N|+N")
	}
	last, sinceFault := strings.CutPrefix(args[len(args)-1], "+")
	want, err := strconv.Atoi(last)
	ts.Check(err)
	var method, prefix string
	if len(args) > 1 {
		method = args[0]
	}
	if len(args) > 2 {
		prefix = args[1]
	}
	if sinceFault {
		// +N: the requests received since the last service-fault, whose
		// number does not depend on how earlier ones raced a delayed
		// commit.
		m := method
		if m == "*" {
			m = ""
		}
		got := countArrived(serviceStand(ts).Arrived(), m, prefix) - arrivalsAtFault(ts, m, prefix)
		if got != want {
			ts.Fatalf("the service received %d requests since the last service-fault, want %d", got, want)
		}
		return
	}
	var got []string
	for _, r := range serviceStand(ts).Requests() {
		if (method == "" || method == "*" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			got = append(got, fmt.Sprintf("%s %s -> %d", r.Method, r.Path, r.Status))
		}
	}
	if len(got) != want {
		ts.Fatalf("the service saw %d requests, want %d:\n%s", len(got), want, strings.Join(got, "\n"))
	}
}

// secret-file-init creates the script's encrypted secret file with a cheap
// scrypt work factor (and one unrelated entry), so that every smartradex
// run of the script unlocks it in milliseconds instead of about a second.
func cmdSecretFileInit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: secret-file-init")
	}
	ts.Check(initSecretFile(ts.Getenv("SMARTRADEX_CONFIG_DIR"), ts.Getenv("SMARTRADEX_PASSPHRASE")))
}

// initSecretFile creates dir's encrypted secret file, cheap to unlock (see
// openTestStore), holding one unrelated entry.
func initSecretFile(dir, passphrase string) error {
	store, err := openTestStore(dir, secrets.BackendFile, passphrase)
	if err != nil {
		return err
	}
	return store.Set(context.Background(), "test/placeholder", "placeholder")
}

// service-forget BOT deletes the service's registration of BOT, as if
// SmartradeX had lost it.
func cmdServiceForget(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: service-forget BOT")
	}
	c, err := service.New(service.Options{BaseURL: ts.Getenv("SMARTRADEX_SERVICE_URL"), Token: scriptServiceToken})
	ts.Check(err)
	ts.Check(c.DeleteKey(context.Background(), args[0]))
}

// binance-right DEMO-KEY-NAME FIELD true|false changes one right of a demo
// key, as ticking or unticking a box in Binance's API Management does.
func cmdBinanceRight(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: binance-right DEMO-KEY-NAME FIELD true|false")
	}
	k, err := binancetest.DemoKeyByName(args[0])
	ts.Check(err)
	var fields map[string]any
	ts.Check(json.Unmarshal(k.Key.Restrictions, &fields))
	fields[args[1]] = args[2] == "true"
	raw, err := json.Marshal(fields)
	ts.Check(err)
	stand(ts).SetRestrictions(k.Key.APIKey, raw)
}
