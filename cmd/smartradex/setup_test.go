package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
)

// scriptParams is the shared set-up of every script: a clean environment
// with no terminal, English messages unless a script says otherwise, and
// a fresh loopback Binance stand-in holding the demo keys.
func scriptParams(t *testing.T, dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("LANG", "C")
			env.Setenv("NO_COLOR", "1")
			passSecretServiceEnv(env)
			srv := binancetest.New()
			url, err := srv.Start()
			if err != nil {
				return err
			}
			srv.AddDemoKeys()
			env.Defer(srv.Close)
			env.Values[binanceKey] = srv
			env.Setenv("SMARTRADEX_BINANCE_URL", url)
			for _, k := range binancetest.DemoKeys() {
				name := strings.ToUpper(strings.ReplaceAll(k.Name, "-", "_"))
				env.Setenv("DEMO_"+name+"_KEY", k.Key.APIKey)
				env.Setenv("DEMO_"+name+"_SECRET", k.Key.Secret)
			}
			return setupService(env)
		},
		Cmds: mergeCmds(storageCmds(), binanceCmds(), serviceCmds(), generateCmds(), addCmds(), proxyCmds(), faultCmds(), startupCmds(), intentCmds(), vaultCmds(), untrustedCmds(), authURLCmds(), iplockCmds()),
		Condition: func(cond string) (bool, error) {
			if ok, known := secretServiceCondition(cond); known {
				return ok, nil
			}
			if cond == "root" {
				// Mounting a small tmpfs or a read-only directory.
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}

// mergeCmds joins the custom script commands of each area.
func mergeCmds(sets ...map[string]func(*testscript.TestScript, bool, []string)) map[string]func(*testscript.TestScript, bool, []string) {
	out := map[string]func(*testscript.TestScript, bool, []string){}
	for _, set := range sets {
		for name, cmd := range set {
			if _, dup := out[name]; dup {
				panic("duplicate script command " + name)
			}
			out[name] = cmd
		}
	}
	return out
}

func binanceCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"binance-fault":    cmdBinanceFault,
		"binance-clock":    cmdBinanceClock,
		"binance-requests": cmdBinanceRequests,
		"binance-remove":   cmdBinanceRemove,
		"exits":            cmdExits,
	}
}
