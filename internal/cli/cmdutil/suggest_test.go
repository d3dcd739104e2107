package cmdutil

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

func TestGroupRunESuggestsTheNearestCommand(t *testing.T) {
	root := &cobra.Command{Use: "smartradex"}
	keys := &cobra.Command{Use: "keys", RunE: GroupRunE}
	keys.AddCommand(&cobra.Command{Use: "add", Run: func(*cobra.Command, []string) {}})
	root.AddCommand(keys, &cobra.Command{Use: "bots", Run: func(*cobra.Command, []string) {}})
	cases := []struct {
		cmd  *cobra.Command
		args []string
		want string // the first hint; "" when nothing is near
	}{
		{root, []string{"key", "add"}, "did you mean smartradex keys add?"},
		{root, []string{"key", "add", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"}, "did you mean smartradex keys add?"},
		{keys, []string{"ad"}, "did you mean smartradex keys add?"},
		{root, []string{"zzzzzz"}, ""},
		// A pasted secret is never quoted back, nor matched.
		{root, []string{"Keys7Qz"}, ""},
	}
	for _, c := range cases {
		err := GroupRunE(c.cmd, c.args)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.Usage {
			t.Fatalf("%v: err %v", c.args, err)
		}
		first := i18n.EN.Render(ae.Hints[0])
		if c.want == "" && strings.HasPrefix(first, "did you mean") || c.want != "" && first != c.want {
			t.Errorf("%v: first hint %q, want %q", c.args, first, c.want)
		}
		for _, h := range ae.Hints {
			if strings.Contains(i18n.EN.Render(h), "vmPU") {
				t.Errorf("%v: a pasted value is quoted back", c.args)
			}
		}
	}
}

func TestSandboxCommands(t *testing.T) {
	cases := map[string]string{
		"run smartradex keys rotate --bot btc-spot (or add --replace)": "run smartradex --sandbox keys rotate --bot btc-spot (or add --replace)",
		"tapez smartradex auth login, puis smartradex keys sync":       "tapez smartradex --sandbox auth login, puis smartradex --sandbox keys sync",
		"smartradex --sandbox keys verify":                             "smartradex --sandbox keys verify",
		"update smartradex (go install …/cmd/smartradex@latest)":       "update smartradex (go install …/cmd/smartradex@latest)",
	}
	for in, want := range cases {
		if got := SandboxCommands(in); got != want {
			t.Errorf("SandboxCommands(%q) = %q, want %q", in, got, want)
		}
	}
	// The same as the regular expression it stands for, on edges of words.
	re := regexp.MustCompile(`\bsmartradex (keys|auth|bots|doctor)\b`)
	parts := []string{"smartradex ", "keys", "auth", "bots", "doctor", "doctors", " ", "x", "_", "-", "é", "smartradex", "\n", "9", "smartradex  keys", ".", ""}
	var corpus []string
	for _, a := range parts {
		for _, b := range parts {
			for _, c := range parts {
				corpus = append(corpus, a+b+c, a+b+c+a+b)
			}
		}
	}
	for _, in := range corpus {
		if got, want := SandboxCommands(in), re.ReplaceAllString(in, "smartradex --sandbox $1"); got != want {
			t.Errorf("SandboxCommands(%q) = %q, the regular expression gives %q", in, got, want)
		}
	}
}

func TestTableBecomesAListWhenTooNarrow(t *testing.T) {
	header := []string{"BOT", "API KEY", "STATUS"}
	rows := [][]string{{"btc-spot", "DEMO…OK01", "registered"}, {"eth-spot", "DEMO…OKET", "stored on this computer only, not yet sent"}}
	cases := []struct {
		width int
		want  string
	}{
		{0, "BOT       API KEY    STATUS\nbtc-spot  DEMO…OK01  registered\neth-spot  DEMO…OKET  stored on this computer only, not yet sent\n"},
		{80, "BOT       API KEY    STATUS\nbtc-spot  DEMO…OK01  registered\neth-spot  DEMO…OKET  stored on this computer only, not yet sent\n"},
		{40, "• btc-spot\n  API KEY: DEMO…OK01\n  STATUS: registered\n• eth-spot\n  API KEY: DEMO…OKET\n  STATUS: stored on this computer only,\n    not yet sent\n"},
	}
	for _, c := range cases {
		var b strings.Builder
		TableWidth(&b, c.width, header, rows)
		if b.String() != c.want {
			t.Errorf("width %d:\n%s\nwant:\n%s", c.width, b.String(), c.want)
		}
	}
}
