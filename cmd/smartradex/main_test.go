package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/cli"
)

// TestMain lets testscript run the real smartradex binary (this test
// binary, re-executed) as the `smartradex` command of each script, and
// TestNoSecretLeaks run it as a plain subprocess.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"smartradex": func() {
			waitAtStartGate()
			os.Exit(cli.Main())
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script"))
}
