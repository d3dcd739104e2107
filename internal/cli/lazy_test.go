package cli

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// lazyCorpus is every way of calling smartradex the lazily built tree
// must answer as the whole tree does: every command path of the whole
// tree (walked, so that a command added later is in it) with --help, -h,
// --json, a flag it lacks, an unknown subcommand and under help; then
// global flags before a command in both forms, "--", misspellings that
// get a suggestion, and shell completion.
func lazyCorpus(t *testing.T) [][]string {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(NewRootCmd(cmdutil.New(ios, func(string) string { return "" })), []string{})
	if len(paths) < 20 {
		t.Fatalf("only %d command paths", len(paths))
	}
	with := func(path []string, more ...string) []string { return append(slices.Clone(path), more...) }
	var corpus [][]string
	for _, p := range paths {
		corpus = append(corpus,
			with(p, "--help"), with(p, "-h"), with(p, "--json"), with(p, "--no-such-flag"), with(p, "nosuchcmd"),
			with([]string{"help"}, p...))
		for _, a := range slices.Concat(cmdutil.SubcommandNames(findCmd(t, p), true), []string{"--help"}) {
			// --lang fr both ways, the value of a global flag that looks like
			// a command, and a global boolean flag.
			corpus = append(corpus,
				with([]string{"--lang", "fr"}, with(p, a)...), with([]string{"--lang=fr"}, with(p, a)...),
				with([]string{"--json"}, with(p, a)...))
		}
	}
	corpus = append(corpus,
		[]string{}, []string{"version"}, []string{"--help"}, []string{"-h"}, []string{"help"}, []string{"bots"},
		[]string{"key", "add"}, []string{"key", "add", "--bot", "btc-spot"}, []string{"keys", "ad"}, []string{"versoin"},
		[]string{"vers"}, []string{"auht", "login"}, []string{"Keys"}, []string{"ls"}, []string{"keys", "ls"}, []string{"keys", "rm", "--help"},
		[]string{"--"}, []string{"--", "version"}, []string{"--", "key", "add"}, []string{"version", "--", "x"},
		[]string{"keys", "--", "list"}, []string{"--json", "--", "keys"},
		[]string{"--lang", "fr", "version"}, []string{"--lang=fr", "version"}, []string{"--lang", "fr"}, []string{"--lang"},
		[]string{"--lang", "fr", "--help"}, []string{"--lang=fr", "-h"}, []string{"--lang", "fr", "key", "add"},
		[]string{"--lang", "version"}, []string{"--lang", "version", "keys"}, []string{"--lang", "xx", "version"},
		[]string{"--json", "version"}, []string{"--json=true", "version"}, []string{"--json=false", "version"}, []string{"--json", "keys", "list"},
		[]string{"--json", "--no-input", "--debug", "version"}, []string{"--debug=true", "bots", "--json"},
		[]string{"--config-dir", "cfg", "version"}, []string{"--config-dir=cfg", "keys", "list"},
		[]string{"--keyring", "file", "keys", "list", "--json"}, []string{"--keyring=vault", "auth", "status"},
		[]string{"--service-url", "http://127.0.0.1:1", "auth", "status", "--json"}, []string{"--binance-url=http://127.0.0.1:1", "doctor", "--help"},
		[]string{"--service-url", "version"}, []string{"--keyring", "keys", "list"},
		[]string{"--sandbox", "version"}, []string{"--sandbox", "--help"}, []string{"--sandbox=false", "version"},
		[]string{"--help", "keys"}, []string{"-h", "keys"}, []string{"-h", "version", "keys"}, []string{"--help", "version", "keys", "add"},
		[]string{"--help=false", "version"}, []string{"-h=true", "version"}, []string{"-hx", "version"}, []string{"-x", "version"},
		[]string{"--no-such-flag", "version"}, []string{"--no-such-flag=1", "version"}, []string{"--no-such-flag"}, []string{"-json", "version"},
		[]string{"", "version"}, []string{"-", "version"}, []string{"version", "extra"}, []string{"bots", "--json", "extra"},
		[]string{"help", "version"}, []string{"help", "keys", "add"}, []string{"help", "nosuch"}, []string{"help", "Zq7Pasted"},
		[]string{"completion"}, []string{"completion", "bash"}, []string{"completion", "fish", "--no-descriptions"}, []string{"completion", "tcsh"},
		[]string{cobra.ShellCompRequestCmd, "keys", "a"}, []string{cobra.ShellCompRequestCmd, ""}, []string{cobra.ShellCompRequestCmd, "keys", ""},
		[]string{cobra.ShellCompRequestCmd, "keys", "add", "--"}, []string{cobra.ShellCompNoDescRequestCmd, "ke"},
		[]string{cobra.ShellCompRequestCmd, "--lang", "fr", "auth", ""}, []string{"--json", cobra.ShellCompRequestCmd, "version", ""},
	)
	return corpus
}

// findCmd is the command at path in the whole tree.
func findCmd(t *testing.T, path []string) *cobra.Command {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	c, _, err := NewRootCmd(cmdutil.New(ios, func(string) string { return "" })).Find(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLazyTreeRunsAsTheWholeTree runs every argument vector of the corpus
// against the tree Run builds and against the whole tree, in the same
// environment (the same fresh directories, the same clock, services that
// refuse connections), and requires the same standard output, standard
// error and exit code, in English and in French.
func TestLazyTreeRunsAsTheWholeTree(t *testing.T) {
	corpus := lazyCorpus(t)
	clock := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	for _, lang := range i18n.Langs {
		t.Run(string(lang), func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{
				"SMARTRADEX_LANG":        string(lang),
				"SMARTRADEX_CONFIG_DIR":  filepath.Join(dir, "config"),
				"SMARTRADEX_SANDBOX_DIR": filepath.Join(dir, "sandbox"),
				"SMARTRADEX_KEYRING":     "file",
				"SMARTRADEX_PASSPHRASE":  "pw",
				"SMARTRADEX_SERVICE_URL": "http://127.0.0.1:1",
				"SMARTRADEX_BINANCE_URL": "http://127.0.0.1:1",
			}
			runWith := func(args []string, build func(*cmdutil.Factory, []string) *cobra.Command) result {
				// Each run starts from the same empty directories.
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				ios, _, out, errOut := iostreams.Test()
				f := cmdutil.New(ios, func(k string) string { return env[k] })
				f.Now = func() time.Time { return clock }
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				code := run(ctx, f, slices.Clone(args), build)
				return result{code: code, stdout: unclocked(out.String()), stderr: unclocked(errOut.String())}
			}
			lazy := 0 // runs whose tree had stand-ins
			for _, args := range corpus {
				got := runWith(args, func(f *cmdutil.Factory, args []string) *cobra.Command {
					root := newRootCmdFor(f, args)
					if len(standIns(root)) > 0 {
						lazy++
					}
					return root
				})
				want := runWith(args, wholeTreeFor)
				if got.code != want.code || got.stdout != want.stdout || got.stderr != want.stderr {
					t.Errorf("%q: the tree built for the run answers otherwise than the whole tree\n--- exit %d, stdout:\n%s\n--- stderr:\n%s\n--- whole tree: exit %d, stdout:\n%s\n--- stderr:\n%s",
						args, got.code, got.stdout, got.stderr, want.code, want.stdout, want.stderr)
				}
			}
			// Most of the corpus asks for one command: the comparison must
			// have been made with stand-ins, not with the whole tree twice.
			t.Logf("%d argument vectors, %d run with stand-ins", len(corpus), lazy)
			if lazy < len(corpus)/2 {
				t.Errorf("only %d of %d runs had stand-ins", lazy, len(corpus))
			}
		})
	}
}

// measured matches the wall-clock durations doctor reports and --debug
// prints (a Go duration after "after").
var measured = regexp.MustCompile(`("duration_ms": |debug: \+)[0-9]+|(after )[0-9][0-9.hmnsuµ]*s\b|()[0-9]+( ms)\b`)

// unclocked blanks measured durations, the one part of an answer that two
// runs of the same tree do not share.
func unclocked(s string) string { return measured.ReplaceAllString(s, "${1}${2}${3}N${4}") }

// standIns are the names of the stand-ins under root.
func standIns(root *cobra.Command) []string {
	var names []string
	for _, c := range root.Commands() {
		if c.RunE != nil && reflect.ValueOf(c.RunE).Pointer() == reflect.ValueOf(standInRunE).Pointer() {
			names = append(names, c.Name())
		}
	}
	return names
}

// TestStandInsMatch compares each stand-in with the command it stands in
// for, on everything the root reads of a command that does not run.
func TestStandInsMatch(t *testing.T) {
	for _, lang := range i18n.Langs {
		ios, _, _, _ := iostreams.Test()
		f := cmdutil.New(ios, func(string) string { return "" })
		f.SetLang(lang)
		whole := NewRootCmd(f)
		lazy := newRootCmdFor(f, []string{"--help"})
		// Every runnable command but help is a stand-in for --help (help
		// topics do not run: their stand-ins are told by their fields).
		for _, c := range whole.Commands() {
			if c.Runnable() && c.Name() != "help" && !slices.Contains(standIns(lazy), c.Name()) {
				t.Fatalf("%s: %s is no stand-in in the tree built for --help", lang, c.Name())
			}
		}
		var wholeNames, lazyNames []string
		for _, c := range whole.Commands() {
			wholeNames = append(wholeNames, c.Name())
		}
		for _, c := range lazy.Commands() {
			lazyNames = append(lazyNames, c.Name())
		}
		if !slices.Equal(wholeNames, lazyNames) {
			t.Fatalf("%s: commands %v, the whole tree's %v", lang, lazyNames, wholeNames)
		}
		for i, w := range whole.Commands() {
			s := lazy.Commands()[i]
			type view struct {
				Use, Short, GroupID, Deprecated, CommandPath, NameAndAliases string
				Aliases, SuggestFor                                          []string
				Hidden, Runnable, Available, Topic                           bool
				NamePadding, CommandPathPadding                              int
				Annotations                                                  map[string]string
			}
			viewOf := func(c *cobra.Command) view {
				return view{
					Use: c.Use, Short: c.Short, GroupID: c.GroupID, Deprecated: c.Deprecated,
					CommandPath: c.CommandPath(), NameAndAliases: c.NameAndAliases(),
					Aliases: c.Aliases, SuggestFor: c.SuggestFor,
					Hidden: c.Hidden, Runnable: c.Runnable(), Available: c.IsAvailableCommand(), Topic: c.IsAdditionalHelpTopicCommand(),
					NamePadding: c.NamePadding(), CommandPathPadding: c.CommandPathPadding(),
					Annotations: maps.Clone(c.Annotations),
				}
			}
			// The root reads no other annotation than instantAnnotation;
			// a stand-in copies it, and no other.
			wv, sv := viewOf(w), viewOf(s)
			for k := range wv.Annotations {
				if k != instantAnnotation {
					delete(wv.Annotations, k)
				}
			}
			if len(wv.Annotations) == 0 {
				wv.Annotations = nil
			}
			if len(sv.Annotations) == 0 {
				sv.Annotations = nil
			}
			if !reflect.DeepEqual(wv, sv) {
				t.Errorf("%s: %s: stand-in\n%+v\nthe command\n%+v", lang, w.Name(), sv, wv)
			}
		}
	}
}

// TestInvokedCommand checks what the scan of the arguments finds, and
// when it gives up.
func TestInvokedCommand(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := newRootOnly(cmdutil.New(ios, func(string) string { return "" }))
	cases := []struct {
		args []string
		name string
		ok   bool
	}{
		{nil, "", true},
		{[]string{"version"}, "version", true},
		{[]string{"--help"}, "", true},
		{[]string{"-h"}, "", true},
		{[]string{"keys", "add", "--bot", "btc-spot"}, "keys", true},
		{[]string{"--lang", "fr", "auth", "login"}, "auth", true},
		{[]string{"--lang=fr", "auth"}, "auth", true},
		{[]string{"--lang", "version"}, "", true},
		{[]string{"--json", "--no-input", "--debug=true", "--sandbox", "doctor"}, "doctor", true},
		{[]string{"--config-dir", "keys", "bots"}, "bots", true},
		{[]string{"--", "keys"}, "", true},
		{[]string{"exit-codes"}, "exit-codes", true},
		{[]string{"help", "version"}, "", false},
		{[]string{"completion", "bash"}, "", false},
		{[]string{cobra.ShellCompRequestCmd, "keys", ""}, "", false},
		{[]string{cobra.ShellCompNoDescRequestCmd, "keys", ""}, "", false},
		{[]string{"key", "add"}, "", false},
		{[]string{"Keys"}, "", false},
		{[]string{"--nope", "version"}, "", false},
		{[]string{"-x", "version"}, "", false},
		{[]string{"", "version"}, "", false},
	}
	for _, c := range cases {
		name, ok := invokedCommand(root, c.args)
		if name != c.name || ok != c.ok {
			t.Errorf("invokedCommand(%q) = %q, %v; want %q, %v", c.args, name, ok, c.name, c.ok)
		}
	}
	// Every top-level command of the whole tree but help and completion
	// is found by its name.
	for _, c := range findCmd(t, nil).Commands() {
		name, ok := invokedCommand(root, []string{c.Name()})
		want := c.Name() != "help" && c.Name() != "completion"
		if ok != want || ok && name != c.Name() {
			t.Errorf("invokedCommand(%q) = %q, %v", c.Name(), name, ok)
		}
	}
}
