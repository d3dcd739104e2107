package main

import (
	"fmt"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptParams is the shared set-up of every script: a clean environment
// with no terminal, English messages unless a script says otherwise, and
// the loopback stand-ins each script asks for.
func scriptParams(t *testing.T, dir string) testscript.Params {
	return testscript.Params{
		Dir:                 dir,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("LANG", "C")
			env.Setenv("NO_COLOR", "1")
			passSecretServiceEnv(env)
			return nil
		},
		Cmds: storageCmds(),
		Condition: func(cond string) (bool, error) {
			if ok, known := secretServiceCondition(cond); known {
				return ok, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
	}
}
