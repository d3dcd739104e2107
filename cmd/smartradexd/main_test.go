package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/smartradexd"
)

// TestMain lets testscript run the real smartradexd (this test binary,
// re-executed) as the `smartradexd` command of each script.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"smartradexd": func() { os.Exit(smartradexd.Main()) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(e *testscript.Env) error {
			e.Setenv("XDG_DATA_HOME", e.WorkDir+"/data")
			return nil
		},
	})
}
