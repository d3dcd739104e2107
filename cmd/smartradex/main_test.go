package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/termquiet"
)

// TestMain lets testscript run the real smartradex binary (this test
// binary, re-executed) as the `smartradex` command of each script, and
// TestNoSecretLeaks run it as a plain subprocess.
func TestMain(m *testing.M) {
	// The test binary links smartradex's main package, and so termquiet.
	termquiet.Restore()
	testscript.Main(m, map[string]func(){
		"smartradex": func() {
			waitAtStartGate()
			main() // as the release binary runs, termquiet.Restore included
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t, "testdata/script"))
}
