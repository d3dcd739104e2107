package atomicfile

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestWriteFileReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, content := range []string{"first", "second, longer", ""} {
		if err := WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
		if runtime.GOOS != "windows" {
			if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
				t.Fatalf("mode %v", fi.Mode().Perm())
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
}

func TestWriteFileFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Renaming onto a non-empty directory fails after the temp file was written.
	target := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(target, []byte("new"), 0o600); err == nil {
		t.Fatal("WriteFile over a directory succeeded")
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, ".d.tmp-*")); len(matches) != 0 {
		t.Fatalf("temp file not removed: %v", matches)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("unrelated file changed: %q", got)
	}
}

func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.json")
	for _, name := range []string{".index.json.tmp-1", ".index.json.tmp-2", ".other.tmp-1", "index.json"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	RemoveStaleTemps(path)
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if strings.Join(left, ",") != ".other.tmp-1,index.json" {
		t.Fatalf("left %v", left)
	}
}

func TestLockExcludesAndTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.lock")
	ctx := context.Background()
	unlock, err := Lock(ctx, path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(ctx, path, 30*time.Millisecond); !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("second Lock = %v, want ErrLockTimeout", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Lock(cctx, path, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock with a cancelled context = %v", err)
	}
	unlock()
	unlock2, err := Lock(ctx, path, time.Second)
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	unlock2()
}

func TestReadLimited(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("12345"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadLimited(path, 5); err != nil || string(b) != "12345" {
		t.Fatalf("ReadLimited(5) = %q, %v", b, err)
	}
	if _, err := ReadLimited(path, 4); err == nil {
		t.Fatal("ReadLimited(4) accepted a 5-byte file")
	}
	if _, err := ReadLimited(path+"x", 4); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}
