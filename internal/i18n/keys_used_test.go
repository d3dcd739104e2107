package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryKeyUsedExists scans the module's Go code for catalogue keys
// written as literals (i18n.M("…"), f.T("…"), f.Errf("…")) and checks each
// has a text in every language: a typo, or a key added to one language
// only, would print the key itself to the user.
func TestEveryKeyUsedExists(t *testing.T) {
	re := regexp.MustCompile(`(?:i18n\.M|\bM|\.T|\.Errf)\("([a-z][a-z0-9_]*\.[a-z0-9_.]+)"\s*[,)]`)
	root := filepath.Join("..", "..")
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(src), -1) {
			n++
			for _, l := range Langs {
				if _, ok := lookup(l, m[1]); !ok {
					t.Errorf("%s: key %q has no %s text", path, m[1], l)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 200 {
		t.Errorf("found only %d keys: the scan is broken", n)
	}
}
