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

// TestSandboxDecidedOnce: the root command decides once, from the flag and
// the environment, and every later question gets that answer, whatever
// the environment says afterwards.
func TestSandboxDecidedOnce(t *testing.T) {
	cases := []struct {
		name      string
		env, flag bool
		resolve   bool
		envAfter  bool
		want      bool
	}{
		{name: "neither", want: false},
		{name: "the environment, before the flags are parsed", env: true, want: true},
		{name: "the environment", env: true, resolve: true, want: true},
		{name: "the flag", flag: true, resolve: true, want: true},
		{name: "the flag is read only when decided", flag: true, want: false},
		{name: "a later environment change is not seen", resolve: true, envAfter: true, want: false},
		{name: "nor a later unset", env: true, resolve: true, envAfter: false, want: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vars := map[string]string{}
			if c.env {
				vars["SMARTRADEX_SANDBOX"] = "1"
			}
			io, _, _, _ := iostreams.Test()
			f := New(io, func(k string) string { return vars[k] })
			f.Globals.Sandbox = c.flag
			if c.resolve {
				f.ResolveSandbox()
				delete(vars, "SMARTRADEX_SANDBOX")
				if c.envAfter {
					vars["SMARTRADEX_SANDBOX"] = "1"
				}
			}
			if got := f.SandboxOn(); got != c.want {
				t.Errorf("SandboxOn = %v, want %v", got, c.want)
			}
			if label := SandboxLabel(f.Lang(), f.SandboxOn()); (label != "") != c.want {
				t.Errorf("label %q with sandbox %v", label, c.want)
			}
		})
	}
}
