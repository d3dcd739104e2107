package i18n

import (
	"regexp"
	"sort"
	"testing"
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

func TestNoKeyIsRegisteredTwice(t *testing.T) {
	for _, l := range Langs {
		seen := map[string]bool{}
		for _, entries := range catalog[l] {
			for k := range entries {
				if seen[k] {
					t.Errorf("%s: key %q is registered twice", l, k)
				}
				seen[k] = true
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
		defer func(parts []map[string]string) { catalog[l] = parts }(catalog[l])
	}
	register(EN, map[string]string{"test.outer": "outer(%s)", "test.inner": "inner %d"})
	register(FR, map[string]string{"test.outer": "extérieur(%s)", "test.inner": "intérieur %d"})
	if got := FR.Render(M("test.outer", M("test.inner", 3))); got != "extérieur(intérieur 3)" {
		t.Errorf("nested render = %q", got)
	}
	if got := EN.T("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key rendered %q", got)
	}
}
