package i18n_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/doctor"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/sandbox"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
	"github.com/smartradex/smartradex/internal/verify"
)

// keyArg is a call that takes a catalogue key: the callee's name, which
// argument is the key, and the prefix the callee puts before it. File
// limits a helper to the file that defines it ("" is any file).
type keyArg struct {
	dir    string // limits the callee to files under dir, computed keys still checked
	file   string
	name   string
	arg    int
	prefix string
}

var keyArgs = []keyArg{
	{name: "M"},                           // i18n.M
	{name: "T"},                           // Lang.T, Factory.T
	{dir: "internal/onboard/", name: "t"}, // onboard's UI.t
	{name: "Errf"},                        // Factory.Errf
	{file: "internal/binance/credentials.go", name: "usage", arg: 1, prefix: "binance.creds."},
	{file: "internal/binance/credentials.go", name: "hint", prefix: "binance.creds."},
	{file: "internal/secrets/file.go", name: "ioError"},
	{file: "internal/state/state.go", name: "ioError"},
	{file: "internal/secrets/system.go", name: "call", arg: 1},
	{file: "internal/onboard/ui.go", name: "notEmpty"},
	{file: "internal/prompt/forms/forms.go", name: "h", arg: 1},
}

// forwarded marks a computed key that is a parameter of a helper listed
// in keyArgs (or of T itself): its callers' literals are checked instead.
var forwarded = []string{}

// computedKeys lists, for each call whose key is not a literal (by file and
// call, as gofmt prints it), every key it can produce. A new computed key
// makes the test fail until it is listed here.
func computedKeys(t *testing.T) map[string][]string {
	backends := []string{"secrets.backend_" + secrets.BackendSystem, "secrets.backend_" + secrets.BackendFile}
	var demos, doctorLabels, policyLabels []string
	for _, d := range sandbox.DemoKeys() {
		demos = append(demos, "sandbox.demo."+d.Name)
	}
	for _, id := range []string{doctor.IDSecretStore, doctor.IDConfigDir, doctor.IDClock, doctor.IDBinance, doctor.IDService, doctor.IDAccount, doctor.IDKeys} {
		doctorLabels = append(doctorLabels, "doctor.label."+id)
	}
	for _, field := range labelledFields(t) {
		policyLabels = append(policyLabels, "policy.label."+field)
	}
	doctorStatus := []string{"doctor.status." + string(doctor.OK), "doctor.status." + string(doctor.Warn), "doctor.status." + string(doctor.Fail)}
	return map[string][]string{
		`internal/binance/credentials.go: i18n.M("binance.creds."+msg, args...)`: forwarded,
		`internal/binance/credentials.go: i18n.M("binance.creds."+key, args...)`: forwarded,
		`internal/binance/errors.go: i18n.M(key)`:                                {"binance.rate_limited", "binance.ip_banned"},
		`internal/cli/auth/auth.go: f.T("secrets.backend_" + source)`:            backends,
		`internal/cli/cmdutil/factory.go: f.lang.T(key, args...)`:                forwarded,
		`internal/cli/keys/cmdenv.go: e.msg.T(key, args...)`:                     forwarded,
		`internal/cli/keys/cmdenv.go: e.msg.Errf(key, args...)`:                  forwarded,
		`internal/cli/cmdutil/messages.go: m.Lang.T(key, args...)`:               forwarded,
		`internal/cli/cmdutil/messages.go: m.T(key, args...)`:                    forwarded,
		`internal/cli/doctor/doctor.go: f.T("doctor.label." + r.ID)`:             doctorLabels,
		`internal/cli/root.go: f.T(t.short)`: {"keys.short", "auth.short", "doctor.short", "version.short", "bots.short",
			"help.exit_codes.short", "help.environment.short"},
		`internal/cli/doctor/doctor.go: f.T("doctor.status." + string(r.Status))`: doctorStatus,
		`internal/cli/keys/add.go: f.T("keys." + name + ".short")`:                {"keys.add.short", "keys.rotate.short"},
		`internal/cli/keys/add.go: f.T("keys." + name + ".long")`:                 {"keys.add.long", "keys.rotate.long"},
		`internal/cli/keys/add.go: f.T("keys." + name + ".example")`:              {"keys.add.example", "keys.rotate.example"},
		`internal/cli/keys/add.go: f.T("sandbox.demo." + d.Name)`:                 demos,
		`internal/cli/keys/intake.go: i18n.M(what)`:                               {"keys.check.missing_both", "keys.check.missing_key", "keys.check.missing_secret"},
		`internal/cli/keys/list.go: f.T("keys.list.status_" + string(it.Status))`: {"keys.list.status_" + string(state.StatusPending), "keys.list.status_" + string(state.StatusRegistered), "keys.list.status_" + string(state.StatusUnchecked)},
		`internal/cli/keys/shared.go: f.T("secrets.backend_" + backend)`:          backends,
		`internal/cli/keys/verify.go: f.T("keys.verify.reg_" + r.Registration)`: {
			"keys.verify.reg_" + verify.Registered, "keys.verify.reg_" + verify.Missing, "keys.verify.reg_" + verify.DifferentKey,
			"keys.verify.reg_" + verify.Unknown, "keys.verify.reg_" + verify.Pending, "keys.verify.reg_" + verify.Unchecked},
		`internal/doctor/doctor.go: i18n.M("secrets.backend_" + backend)`: backends,
		`internal/doctor/doctor.go: i18n.M(key, secs)`:                    {"doctor.clock_ahead", "doctor.clock_behind"},
		`internal/i18n/i18n.go: l.T(m.Key, args...)`:                      forwarded,
		`internal/onboard/ui.go: u.lang.T(key, args...)`:                  forwarded,
		`internal/policy/policy.go: i18n.M("policy.label." + field)`:      policyLabels,
		`internal/prompt/forms/forms.go: lang.T(msgKey)`:                  forwarded,
		`internal/secrets/file.go: i18n.M(op)`:                            forwarded,
		`internal/secrets/system.go: i18n.M(op)`:                          forwarded,
		`internal/state/state.go: i18n.M(op)`:                             forwarded,
	}
}

// labelledFields are the fields policy.Label names: the four it accepts
// or shows, and every right it refuses by name (the keys of its forbidden
// map, read from its source).
func labelledFields(t *testing.T) []string {
	t.Helper()
	fields := []string{policy.FieldReading, policy.FieldSpotTrading, policy.FieldFixReadOnly, policy.FieldIPRestrict}
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "policy", "policy.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "forbidden" || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, e := range lit.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.BasicLit); ok {
					s, _ := strconv.Unquote(k.Value)
					fields = append(fields, s)
					found = true
				}
			}
		}
		return false
	})
	if !found {
		t.Fatal("policy.go has no forbidden map: update labelledFields")
	}
	return fields
}

// use is a catalogue key the code uses, and where.
type use struct {
	at  string
	key string
}

// usedKeys walks the production Go files under root and returns the keys
// their calls use, literal or listed in computed; unlisted computed keys
// are returned as problems.
func usedKeys(t *testing.T, root string, computed map[string][]string) (uses []use, problems []string) {
	t.Helper()
	fset := token.NewFileSet()
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || n == "bench" || (strings.HasPrefix(n, ".") && path != root) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			var name string
			switch fn := c.Fun.(type) {
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			case *ast.Ident:
				name = fn.Name
			}
			for _, ka := range keyArgs {
				if ka.name != name || (ka.file != "" && ka.file != rel) || !strings.HasPrefix(rel, ka.dir) || len(c.Args) <= ka.arg {
					continue
				}
				at := fset.Position(c.Pos()).String()
				if lit, ok := c.Args[ka.arg].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						problems = append(problems, at+": "+err.Error())
						return true
					}
					uses = append(uses, use{at, ka.prefix + s})
					return true
				}
				if ka.file != "" {
					// A helper's parameter passed on: the helper's
					// callers were checked.
					return true
				}
				var b bytes.Buffer
				_ = printer.Fprint(&b, fset, c)
				id := rel + ": " + b.String()
				keys, listed := computed[id]
				if !listed {
					problems = append(problems, at+": computed key, list what it can be in computedKeys: "+id)
					return true
				}
				seen[id] = true
				for _, k := range keys {
					uses = append(uses, use{at, k})
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for id := range computed {
		if !seen[id] {
			problems = append(problems, "computedKeys lists a call the code no longer makes: "+id)
		}
	}
	return uses, problems
}

// missing returns "lang: key (at)" for every used key a language lacks.
func missing(uses []use, catalogues map[i18n.Lang]map[string]bool) []string {
	var out []string
	for _, u := range uses {
		for _, l := range i18n.Langs {
			if !catalogues[l][u.key] {
				out = append(out, string(l)+": "+u.key+" ("+u.at+")")
			}
		}
	}
	sort.Strings(out)
	return out
}

func realCatalogues() map[i18n.Lang]map[string]bool {
	out := map[i18n.Lang]map[string]bool{}
	for _, l := range i18n.Langs {
		out[l] = map[string]bool{}
		for _, k := range i18n.Keys(l) {
			out[l][k] = true
		}
	}
	return out
}

// TestEveryUsedKeyIsInBothLanguages: a key used in the code but defined in
// a language prints as its own name; every key the calls of keyArgs use,
// literal or computed, must be in the English and the French catalogue.
func TestEveryUsedKeyIsInBothLanguages(t *testing.T) {
	uses, problems := usedKeys(t, filepath.Join("..", ".."), computedKeys(t))
	for _, p := range problems {
		t.Error(p)
	}
	if len(uses) < 500 {
		t.Fatalf("only %d keys found: the walk missed the code", len(uses))
	}
	for _, m := range missing(uses, realCatalogues()) {
		t.Errorf("missing catalogue key %s", m)
	}
}

// TestMissingKeyIsCaught proves the check on a synthetic catalogue: the
// real one with one used key taken out of French, then out of English.
func TestMissingKeyIsCaught(t *testing.T) {
	uses := []use{{"a.go:1", "doctor.account_token_unreadable"}, {"b.go:2", "error.cancelled"}}
	for _, l := range i18n.Langs {
		cat := realCatalogues()
		if got := missing(uses, cat); len(got) != 0 {
			t.Fatalf("complete catalogue reported %v", got)
		}
		delete(cat[l], "error.cancelled")
		got := missing(uses, cat)
		if want := string(l) + ": error.cancelled (b.go:2)"; len(got) != 1 || got[0] != want {
			t.Errorf("without %s's error.cancelled: %v, want [%s]", l, got, want)
		}
	}
	// An unlisted computed key is a problem, and so is a stale listing.
	dir := t.TempDir()
	src := "package x\n\nfunc f(l interface{ T(string, ...any) string }, s string) { l.T(\"a.\" + s); l.T(\"a.b\") }\n"
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	uses, problems := usedKeys(t, dir, map[string][]string{"gone.go: l.T(k)": nil})
	if len(uses) != 1 || uses[0].key != "a.b" || len(problems) != 2 ||
		!strings.Contains(strings.Join(problems, "\n"), `x.go: l.T("a." + s)`) || !strings.Contains(strings.Join(problems, "\n"), "gone.go") {
		t.Errorf("uses %v, problems %v", uses, problems)
	}
}
