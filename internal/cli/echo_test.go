package cli

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// echoProbe looks like a secret pasted in the wrong place: letters and
// digits, as an API secret or a token is.
const echoProbe = "Zq7PastedSecret9xW3vT5kP8mN2bR4yL6"

// No flag value and no argument is ever quoted back: a secret pasted as the
// value of any flag of any command, or as an argument, appears neither on
// standard output nor on standard error, whatever the command makes of it,
// in English and in French, with and without --json.
func TestNoFlagValueIsEchoed(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootCmd(cmdutil.New(ios, func(string) string { return "" }))
	type probe struct{ args []string }
	var probes []probe
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		// The other flags a command needs to get past its first checks,
		// so that the value is carried as far as the command goes.
		base := func(except string) []string {
			args := append([]string{}, path...)
			if c.Flags().Lookup("bot") != nil && except != "bot" {
				args = append(args, "--bot", "btc-spot")
			}
			if c.Flags().Lookup("yes") != nil && except != "yes" {
				args = append(args, "--yes")
			}
			return args
		}
		seen := map[string]bool{}
		visit := func(fl *pflag.Flag) {
			if seen[fl.Name] || fl.Name == "help" {
				return
			}
			seen[fl.Name] = true
			if fl.Value.Type() == "bool" {
				probes = append(probes, probe{append(base(fl.Name), "--"+fl.Name+"="+echoProbe)})
				return
			}
			probes = append(probes,
				probe{append(base(fl.Name), "--"+fl.Name, echoProbe)},
				probe{append(base(fl.Name), "--"+fl.Name+"="+echoProbe)})
			if fl.Shorthand != "" {
				probes = append(probes, probe{append(base(fl.Name), "-"+fl.Shorthand, echoProbe)})
			}
		}
		c.LocalFlags().VisitAll(visit)
		c.InheritedFlags().VisitAll(visit)
		probes = append(probes, probe{append(base(""), echoProbe)})
		for _, sub := range c.Commands() {
			if !sub.Hidden {
				walk(sub)
			}
		}
	}
	walk(root)
	// cobra adds its help command when the tree runs, not when it is built.
	probes = append(probes, probe{[]string{"help", echoProbe}}, probe{[]string{"help", "keys", echoProbe}})
	sort.Slice(probes, func(i, j int) bool { return strings.Join(probes[i].args, " ") < strings.Join(probes[j].args, " ") })
	if len(probes) < 50 {
		t.Fatalf("only %d probes: the command tree was not walked", len(probes))
	}
	// Nothing leaves this computer: both services are a loopback server
	// that refuses every request at once (401 is never retried, so no
	// run waits through a backoff).
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer refuse.Close()
	env := map[string]string{
		"SMARTRADEX_BINANCE_URL": refuse.URL,
		"SMARTRADEX_SERVICE_URL": refuse.URL,
		// Well-formed input, so that commands go on past their intake.
		"SMARTRADEX_TOKEN":      "srx_tok_Zk3QmT9vLp2WcX8nR4yB6uHd1sJf0aGe",
		"SMARTRADEX_API_KEY":    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
		"SMARTRADEX_API_SECRET": "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
	}
	for _, p := range probes {
		for _, extra := range [][]string{nil, {"--json"}, {"--lang", "fr"}} {
			args := append(append([]string{}, p.args...), extra...)
			if configDirShown(args) {
				// The configuration directory is a place smartradex names
				// in its reports and errors (doctor's line, "could not
				// write …/index.json"): a value given as --config-dir
				// becomes a directory, and its path is shown as such.
				continue
			}
			r := runCLI(t, false, "", env, args...)
			// Case-insensitive: a value may be shown folded ("unknown bot
			// zq7pasted…"), which shows it all the same.
			seen := strings.ToLower(r.stdout + "\n" + r.stderr)
			if strings.Contains(seen, strings.ToLower(echoProbe[:12])) || strings.Contains(seen, strings.ToLower(echoProbe[len(echoProbe)-12:])) {
				t.Errorf("smartradex %s (exit %d) printed the value back:\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
			}
		}
	}
	t.Logf("%d probes, 3 ways each", len(probes))
}

func configDirShown(args []string) bool {
	for _, a := range args {
		if a == "--config-dir" || strings.HasPrefix(a, "--config-dir=") {
			return true
		}
	}
	return false
}
