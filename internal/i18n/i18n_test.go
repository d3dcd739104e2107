package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

var verb = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

func verbs(s string) []string {
	var out []string
	for _, v := range verb.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v[len(v)-1:])
		}
	}
	return out
}

func TestEveryKeyHasEveryLanguageWithSameArguments(t *testing.T) {
	for _, k := range Keys(EN) {
		fr, ok := lookup(FR, k)
		if !ok {
			t.Errorf("key %q has no French text", k)
			continue
		}
		en, _ := lookup(EN, k)
		ve, vf := verbs(en), verbs(fr)
		sort.Strings(ve)
		sort.Strings(vf)
		if len(ve) != len(vf) {
			t.Errorf("key %q: en takes %v, fr takes %v", k, ve, vf)
			continue
		}
		for i := range ve {
			if ve[i] != vf[i] {
				t.Errorf("key %q: en takes %v, fr takes %v", k, ve, vf)
				break
			}
		}
		if en == "" || fr == "" {
			t.Errorf("key %q has an empty text", k)
		}
	}
	for _, k := range Keys(FR) {
		if _, ok := lookup(EN, k); !ok {
			t.Errorf("key %q has no English text", k)
		}
	}
}

func TestPluralForms(t *testing.T) {
	for _, l := range Langs {
		for _, k := range Keys(l) {
			base, ok := strings.CutSuffix(k, OneSuffix)
			if !ok {
				continue
			}
			other, ok := lookup(l, base)
			if !ok {
				t.Errorf("%s: %q has no plural form %q", l, k, base)
				continue
			}
			own, _ := lookup(l, k)
			vo, vb := verbs(own), verbs(other)
			sort.Strings(vo)
			sort.Strings(vb)
			if strings.Join(vo, ",") != strings.Join(vb, ",") {
				t.Errorf("%s: %q takes %v, %q takes %v", l, k, vo, base, vb)
			}
		}
	}
	cases := []struct {
		lang Lang
		n    int
		want string
	}{
		{EN, 0, "refused: SmartradeX will not accept this key (0 problems to fix on Binance):"},
		{EN, 1, "refused: SmartradeX will not accept this key (1 problem to fix on Binance):"},
		{EN, 2, "refused: SmartradeX will not accept this key (2 problems to fix on Binance):"},
		{FR, 0, "refusée : SmartradeX n'acceptera pas cette clé (0 problème à corriger sur Binance) :"},
		{FR, 1, "refusée : SmartradeX n'acceptera pas cette clé (1 problème à corriger sur Binance) :"},
		{FR, 3, "refusée : SmartradeX n'acceptera pas cette clé (3 problèmes à corriger sur Binance) :"},
	}
	for _, c := range cases {
		if got := c.lang.T("keys.check.refused", c.n); got != c.want {
			t.Errorf("%s, %d: got %q, want %q", c.lang, c.n, got, c.want)
		}
	}
	// The count is the first integer argument, after any string.
	if got := EN.Render(M("keys.verify.summary_problems", 1, 2)); got != "1 of 2 keys needs attention: see what to do above" {
		t.Errorf("summary_problems(1, 2) = %q", got)
	}
}

// TestFrenchElision catches "de enregistrer" and the like, which read as
// machine-made French to the subscribers the tool is for.
func TestFrenchElision(t *testing.T) {
	re := regexp.MustCompile(`(?i)(?:^|[\s(«'])(de|que|jusque|lorsque|puisque) [aeiouéèêàâîôû]`)
	for _, k := range Keys(FR) {
		if m := re.FindString(mustLookup(t, FR, k)); m != "" {
			t.Errorf("%s: %q needs an elision", k, m)
		}
	}
	// Operations slotted into a sentence carry their own preposition.
	for _, c := range []struct{ msg, want string }{
		{FR.Render(M("secrets.keyring_failed", M("secrets.op_set"), "bot/eth-spot", "x")), "impossible d'enregistrer le secret"},
		{FR.Render(M("state.io", M("state.io_write"), "/x")), "impossible d'écrire l'index"},
		{FR.Render(M("secrets.file_io", M("secrets.io_read"), "/x")), "impossible de lire le fichier"},
	} {
		if !strings.Contains(c.msg, c.want) {
			t.Errorf("%q does not contain %q", c.msg, c.want)
		}
	}
}

func TestNoKeyIsRegisteredTwice(t *testing.T) {
	for _, l := range Langs {
		seen := map[string]bool{}
		for prefix, f := range catalog[l] {
			for k := range f.get() {
				if seen[k] {
					t.Errorf("%s: key %q is registered twice", l, k)
				}
				seen[k] = true
				// Looked up by its prefix: a key registered under
				// another would never be found.
				if !strings.HasPrefix(k, prefix+".") {
					t.Errorf("%s: key %q is registered under %q", l, k, prefix)
				}
				if _, ok := lookup(l, k); !ok {
					t.Errorf("%s: key %q cannot be looked up", l, k)
				}
			}
		}
		if len(seen) == 0 {
			t.Errorf("%s: the catalogue is empty", l)
		}
	}
}

func TestDetect(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		name string
		flag string
		env  map[string]string
		want Lang
		err  bool
	}{
		{"default", "", nil, EN, false},
		{"flag fr", "fr", map[string]string{"LANG": "en_US.UTF-8"}, FR, false},
		{"flag wins over env", "en", map[string]string{"SMARTRADEX_LANG": "fr"}, EN, false},
		{"bad flag", "de", nil, EN, true},
		{"smartradex env", "", map[string]string{"SMARTRADEX_LANG": "FR", "LANG": "en_US"}, FR, false},
		{"LANG fr", "", map[string]string{"LANG": "fr_FR.UTF-8"}, FR, false},
		{"LANG fr_CA", "", map[string]string{"LANG": "fr_CA"}, FR, false},
		{"LC_ALL wins over LANG", "", map[string]string{"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, EN, false},
		{"LC_MESSAGES fr", "", map[string]string{"LC_MESSAGES": "fr_BE", "LANG": "en_GB"}, FR, false},
		{"unknown SMARTRADEX_LANG falls through", "", map[string]string{"SMARTRADEX_LANG": "xx", "LANG": "fr_FR"}, FR, false},
	}
	for _, c := range cases {
		got, err := Detect(c.flag, env(c.env))
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: Detect = %v, %v; want %v, err=%v", c.name, got, err, c.want, c.err)
		}
	}
}

func TestRenderNestedAndMissing(t *testing.T) {
	for _, l := range Langs {
		defer delete(catalog[l], "test")
	}
	register(EN, "test", func() map[string]string {
		return map[string]string{"test.outer": "outer(%s)", "test.inner": "inner %d"}
	})
	register(FR, "test", func() map[string]string {
		return map[string]string{"test.outer": "extérieur(%s)", "test.inner": "intérieur %d"}
	})
	if got := FR.Render(M("test.outer", M("test.inner", 3))); got != "extérieur(intérieur 3)" {
		t.Errorf("nested render = %q", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key rendered %q", got)
	}
}

func TestDelayAndAt(t *testing.T) {
	cases := []struct {
		d      time.Duration
		en, fr string
	}{
		{0, "1 s", "1 s"},
		{1500 * time.Millisecond, "2 s", "2 s"},
		{59 * time.Second, "59 s", "59 s"},
		{61 * time.Second, "2 min", "2 min"},
		{2 * time.Minute, "2 min", "2 min"},
		{time.Hour, "1 h", "1 h"},
		{2*time.Hour + 5*time.Minute, "2 h 5 min", "2 h 5 min"},
		{24 * time.Hour, "1 day", "1 jour"},
		{72 * time.Hour, "3 days", "3 jours"},
		{26 * time.Hour, "1 day 2 h", "1 jour 2 h"},
	}
	for _, c := range cases {
		if got := EN.Render(Delay(c.d)); got != c.en {
			t.Errorf("en %v: %q, want %q", c.d, got, c.en)
		}
		if got := FR.Render(Delay(c.d)); got != c.fr {
			t.Errorf("fr %v: %q, want %q", c.d, got, c.fr)
		}
	}
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.Local)
	if got := EN.Render(At(now.Add(2*time.Hour), now)); got != "12:00:00" {
		t.Errorf("same day: %q", got)
	}
	if got := FR.Render(At(now.Add(72*time.Hour), now)); got != "le 2026-12-02 à 10:00" {
		t.Errorf("another day: %q", got)
	}
}

func TestDecimal(t *testing.T) {
	m := M("doctor.clock_ahead", Decimal{Value: 1.54, Digits: 1})
	if got := EN.Render(m); got != "your clock is 1.5 s ahead of Binance's" {
		t.Errorf("en: %q", got)
	}
	if got := FR.Render(m); got != "votre horloge avance de 1,5 s sur celle de Binance" {
		t.Errorf("fr: %q", got)
	}
}

func mustLookup(t *testing.T, l Lang, key string) string {
	t.Helper()
	v, ok := lookup(l, key)
	if !ok {
		t.Fatalf("%s: no key %q", l, key)
	}
	return v
}

// Each catalogue file holds the keys of one prefix, and is named after it:
// the messages of `keys.` are in catalog_keys.go, and nowhere else.
func TestCatalogueFilesAreNamedAfterTheirPrefix(t *testing.T) {
	paths, err := filepath.Glob("catalog_*.go")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no catalogue file: %v", err)
	}
	fset := token.NewFileSet()
	for _, path := range paths {
		prefix := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "catalog_"), ".go") + "."
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		ast.Inspect(f, func(node ast.Node) bool {
			kv, ok := node.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			lit, ok := kv.Key.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			n++
			if !strings.HasPrefix(key, prefix) {
				t.Errorf("%s: key %q does not start with %q", path, key, prefix)
			}
			return true
		})
		if n == 0 {
			t.Errorf("%s holds no message", path)
		}
	}
}
