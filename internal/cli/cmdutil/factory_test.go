package cmdutil

import (
	"strings"
	"sync"
	"testing"

	"github.com/smartradex/smartradex/internal/iostreams"
)

// TestDebugfConcurrentAndRedacted runs under -race in CI: concurrent
// requests log at once, and a registered secret never reaches the output.
func TestDebugfConcurrentAndRedacted(t *testing.T) {
	io, _, _, errOut := iostreams.Test()
	f := New(io, func(string) string { return "" })
	f.Globals.Debug = true
	f.Redactor.Add("s3cr3t-value-xyz")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.Debugf("request with s3cr3t-value-xyz %d", i)
		}()
	}
	wg.Wait()
	out := errOut.String()
	if strings.Count(out, "debug: ") != 8 {
		t.Fatalf("want 8 debug lines, got:\n%s", out)
	}
	if strings.Contains(out, "s3cr3t-value-xyz") {
		t.Fatalf("secret in debug output:\n%s", out)
	}
	f.Globals.Debug = false
	errOut.Reset()
	f.Debugf("hidden")
	if errOut.Len() != 0 {
		t.Fatalf("debug output without --debug: %q", errOut.String())
	}
}
