package smartradexd

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
)

// failureDoc is {"ok": false, "error": {...}}, decoded strictly.
type failureDoc struct {
	OK    *bool `json:"ok"`
	Error *struct {
		Code     string   `json:"code"`
		Message  string   `json:"message"`
		Hints    []string `json:"hints"`
		ExitCode int      `json:"exit_code"`
	} `json:"error"`
}

// TestFailuresAsJSON runs failing commands with --json (or
// SMARTRADEXD_JSON): stdout holds one JSON error object whose code is the
// documented one and whose exit_code, message and hints are the exit code
// and the lines on stderr.
func TestFailuresAsJSON(t *testing.T) {
	db := "memory:" + t.Name()
	for _, args := range [][]string{
		{"admin", "subscriber", "add", "ada@example.com"},
		{"admin", "engine-token", "issue", "engine-1"},
	} {
		if r := run(t, nil, append(args, "--db", db)...); r.code != 0 {
			t.Fatalf("%v = %d %q", args, r.code, r.stderr)
		}
	}
	const secret = "hunter2secret"
	noData := map[string]string{"XDG_DATA_HOME": t.TempDir()}
	for _, tc := range []struct {
		name  string
		env   map[string]string
		args  []string
		code  string
		exit  int
		hints []string
	}{
		{"unknown subscriber", nil, []string{"admin", "subscribe", "--json", "bob@example.com", "btc-spot", "--db", db}, CodeUnknownSubscriber, 1, nil},
		{"unknown subscriber, token", nil, []string{"admin", "token", "issue", "bob@example.com", "--json", "--db", db}, CodeUnknownSubscriber, 1, nil},
		{"unknown bot", nil, []string{"admin", "unsubscribe", "ada@example.com", "doge-spot", "--json=true", "--db", db}, CodeUnknownBot, 1, nil},
		{"subscriber exists", nil, []string{"admin", "subscriber", "add", "ADA@example.com", "--json", "--db", db}, CodeAlreadyExists, 1, nil},
		{"engine exists", nil, []string{"admin", "engine-token", "issue", "engine-1", "--json", "--db", db}, CodeAlreadyExists, 1, nil},
		{"unknown change", nil, []string{"admin", "network", "withdraw", "42", "--json", "--db", db}, CodeUnknownChange, 1, nil},
		{"from the environment", map[string]string{"SMARTRADEXD_JSON": "true", "SMARTRADEXD_DB": db}, []string{"admin", "token", "revoke", "bob@example.com"}, CodeUnknownSubscriber, 1, nil},
		{"malformed argument", nil, []string{"admin", "token", "issue", "--json", "not-an-email"}, CodeUsage, 2, []string{usageHint}},
		{"unknown flag before --json", nil, []string{"admin", "subscriber", "list", "--bogus", "--json"}, CodeUsage, 2, []string{usageHint}},
		{"bad announcement", nil, []string{"admin", "network", "announce", "--add", "1.2.3.4", "--json", "--db", db}, CodeUsage, 2, []string{usageHint}},
		{"bad --db", nil, []string{"admin", "subscriber", "list", "--json", "--db", "mysql://u:" + secret + "@h/db"}, CodeUsage, 2, []string{usageHint}},
		{"no default database", noData, []string{"admin", "subscriber", "add", "ada@example.com", "--json"}, CodeNoDatabase, 1, nil},
		{"database down", nil, []string{"admin", "subscriber", "list", "--json", "--db", "postgres://smartradex:" + secret + "@127.0.0.1:1/srx?connect_timeout=2"},
			CodeDatabaseUnavailable, 1, []string{unavailableHint}},
		{"no --from key", nil, []string{"vault-key", "reseal", "--json", "--from", filepath.Join(t.TempDir(), "old.key"), "--db", db}, CodeVaultKey, 1, nil},
		{"reseal usage", nil, []string{"vault-key", "reseal", "--json"}, CodeUsage, 2, []string{usageHint}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, tc.env, tc.args...)
			if r.code != tc.exit {
				t.Fatalf("exit %d, want %d: %q %q", r.code, tc.exit, r.stdout, r.stderr)
			}
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			dec.DisallowUnknownFields()
			var doc failureDoc
			if err := dec.Decode(&doc); err != nil || dec.More() || !strings.HasSuffix(r.stdout, "}\n") {
				t.Fatalf("stdout is not one JSON object (%v): %q", err, r.stdout)
			}
			if doc.OK == nil || *doc.OK || doc.Error == nil {
				t.Fatalf("stdout = %q, want ok false and an error", r.stdout)
			}
			e := doc.Error
			if e.Code != tc.code || e.ExitCode != tc.exit || e.Hints == nil || !slices.Equal(e.Hints, tc.hints) && len(tc.hints)+len(e.Hints) > 0 {
				t.Errorf("error = %+v, want code %s, exit_code %d, hints %q", *e, tc.code, tc.exit, tc.hints)
			}
			// The human form is on stderr, as without --json, and says the same.
			human := "smartradexd: error: " + e.Message + "\n"
			for _, h := range e.Hints {
				human += "hint: " + h + "\n"
			}
			if r.stderr != human {
				t.Errorf("stderr = %q, want %q", r.stderr, human)
			}
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Error("a password is in the output")
			}
			// Without --json, nothing on stdout and the same on stderr.
			var plain []string
			for _, a := range tc.args {
				if !strings.HasPrefix(a, "--json") {
					plain = append(plain, a)
				}
			}
			env := map[string]string{}
			for k, v := range tc.env {
				if k != "SMARTRADEXD_JSON" {
					env[k] = v
				}
			}
			if p := run(t, env, plain...); p.code != tc.exit || p.stdout != "" || p.stderr != r.stderr {
				t.Errorf("without --json: %d %q %q", p.code, p.stdout, p.stderr)
			}
		})
	}
}

// A failure of a command that takes no --json (or of smartradexd itself)
// prints nothing on stdout, whatever SMARTRADEXD_JSON says.
func TestFailuresWithoutJSONFlag(t *testing.T) {
	env := map[string]string{"SMARTRADEXD_JSON": "1"}
	for _, args := range [][]string{
		{"bogus"},
		{"migrate", "--db", "postgres://smartradex@127.0.0.1:1/srx?connect_timeout=2"},
		{"vault-key", "generate"},
		{"migrate", "--json"},
	} {
		if r := run(t, env, args...); r.code == 0 || r.stdout != "" || !strings.HasPrefix(r.stderr, "smartradexd: error: ") {
			t.Errorf("%v = %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// The error object has the fields of the one smartradex prints
// (README.md, "Exit codes"), under the same names.
func TestErrorShapeIsTheCLIs(t *testing.T) {
	keys := func(v any) []string {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := keys(errorJSON{}), keys(cmdutil.ErrorJSON{}); !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v, smartradex's %v", got, want)
	}
}

// The admin lists say on stderr when they are empty, with the command that
// adds to them; with --json, the list is an empty array.
func TestEmptyLists(t *testing.T) {
	db := "memory:" + t.Name()
	for _, tc := range []struct {
		args   []string
		stderr string
		json   string
	}{
		{[]string{"admin", "subscriber", "list"}, "no subscriber yet: run smartradexd admin subscriber add EMAIL to add the first one\n", `{"subscribers":[]}`},
		{[]string{"admin", "network", "list"}, "no address change announced yet: run smartradexd admin network announce --add IP --at RFC3339 to announce one\n", `{"changes":[]}`},
	} {
		r := run(t, nil, append(tc.args, "--db", db)...)
		if r.code != 0 || r.stdout != "" || r.stderr != tc.stderr {
			t.Errorf("%v = %d %q %q, want nothing on stdout and %q", tc.args, r.code, r.stdout, r.stderr, tc.stderr)
		}
		r = run(t, nil, append(tc.args, "--db", db, "--json")...)
		if r.code != 0 || r.stdout != tc.json+"\n" || r.stderr != "" {
			t.Errorf("%v --json = %d %q %q, want %s", tc.args, r.code, r.stdout, r.stderr, tc.json)
		}
	}
	// Once there is something to list, the table, and nothing on stderr.
	run(t, nil, "admin", "subscriber", "add", "ada@example.com", "--db", db)
	r := run(t, nil, "admin", "subscriber", "list", "--db", db)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "EMAIL") || !strings.Contains(r.stdout, "ada@example.com") || r.stderr != "" {
		t.Errorf("subscriber list = %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestDescribe(t *testing.T) {
	var b bytes.Buffer
	describe(codedError{code: CodeResealIncomplete, exit: ExitIncomplete, printed: true, err: errFake("2 key(s) are not sealed")}, true).printJSON(&b)
	if b.String() != `{"ok":false,"error":{"code":"reseal_incomplete","message":"2 key(s) are not sealed","hints":[],"exit_code":3}}`+"\n" {
		t.Errorf("printJSON = %q", b.String())
	}
}

type errFake string

func (e errFake) Error() string { return string(e) }
