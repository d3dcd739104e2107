package termquiet

import (
	"os"
	"testing"
)

// TestRestore: Restore takes back only the CI init set; a CI the user set,
// even to the same kind of value, is left as it is.
func TestRestore(t *testing.T) {
	cases := []struct {
		name   string
		set    bool
		value  string
		wantOK bool
	}{
		{"set by init", true, marker, false},
		{"the user's", true, "true", true},
		{"the user's, empty", true, "", true},
		{"none", false, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.set {
				t.Setenv("CI", c.value)
			} else {
				t.Setenv("CI", "")
				os.Unsetenv("CI")
			}
			Restore()
			v, ok := os.LookupEnv("CI")
			if ok != c.wantOK || ok && v != c.value {
				t.Errorf("after Restore: CI=%q (set %v), want set %v", v, ok, c.wantOK)
			}
		})
	}
}
