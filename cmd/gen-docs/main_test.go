package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestReferenceIsCurrent regenerates the reference and compares it with the
// committed docs/, so that a changed command, flag or message cannot ship
// with a stale reference.
func TestReferenceIsCurrent(t *testing.T) {
	tmp := t.TempDir()
	if err := generate(tmp); err != nil {
		t.Fatal(err)
	}
	// Man pages carry the generation month; compare them without it.
	date := regexp.MustCompile(`(?m)^\.TH .*$`)
	for _, sub := range []string{"cli", "man"} {
		want := map[string][]byte{}
		_ = filepath.WalkDir(filepath.Join(tmp, sub), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(tmp, p)
				want[rel], _ = os.ReadFile(p)
			}
			return nil
		})
		got := map[string]bool{}
		_ = filepath.WalkDir(filepath.Join("..", "..", "docs", sub), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(filepath.Join("..", "..", "docs"), p)
				got[rel] = true
				data, _ := os.ReadFile(p)
				w, ok := want[rel]
				if !ok {
					t.Errorf("docs/%s is not generated any more; run go run ./cmd/gen-docs", rel)
				} else if !bytes.Equal(date.ReplaceAll(data, nil), date.ReplaceAll(w, nil)) {
					t.Errorf("docs/%s is stale; run go run ./cmd/gen-docs", rel)
				}
			}
			return nil
		})
		for rel := range want {
			if !got[rel] {
				t.Errorf("docs/%s is missing; run go run ./cmd/gen-docs", rel)
			}
		}
	}
}
