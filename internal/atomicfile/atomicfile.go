// Package atomicfile writes files so that a reader sees either the old or the
// new content, never a mix, and serialises writers across processes with a
// lock file. The secret store and the key index both build on it.
package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrLockTimeout is returned by Lock when another process held the lock for
// longer than the allowed wait.
var ErrLockTimeout = errors.New("timed out waiting for the lock")

// lockRetry is how often a busy lock is tried again.
const lockRetry = 20 * time.Millisecond

// Lock takes an exclusive lock on path (created 0600 if needed), waiting at
// most wait and no longer than ctx allows. The returned func releases it.
// The lock is held on an open file description, so it is released by the
// operating system if the process dies.
func Lock(ctx context.Context, path string, wait time.Duration) (func(), error) {
	fl := flock.New(path, flock.SetPermissions(0o600))
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	ok, err := fl.TryLockContext(wctx, lockRetry)
	if ok {
		return func() { _ = fl.Unlock() }, nil
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		return nil, ErrLockTimeout
	}
	return nil, err
}

// TestHookMidWrite, when set, runs after half of the data has been written
// to the temporary file. Tests use it to interrupt a write halfway.
var TestHookMidWrite func()

// WriteFile replaces path with data: it writes a temporary file in the same
// directory with mode perm, syncs it, renames it over path and syncs the
// directory. On any failure path is left untouched and the temporary file
// is removed.
func WriteFile(path string, data []byte, perm os.FileMode) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err = tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return err
	}
	half := len(data) / 2
	if _, err = tmp.Write(data[:half]); err != nil {
		return err
	}
	if TestHookMidWrite != nil {
		TestHookMidWrite()
	}
	if _, err = tmp.Write(data[half:]); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmpName, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// RemoveStaleTemps deletes temporary files left by writes to path that were
// interrupted (a crash, a kill). Call it only while holding path's lock.
func RemoveStaleTemps(path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp-"
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// syncDir makes the rename durable. Windows cannot open a directory for
// syncing, and its rename is already durable enough for our purpose.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// ReadLimited reads at most max bytes of path; a larger file is an error so
// that a damaged or hostile file cannot exhaust memory.
func ReadLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), max)
	}
	return data, nil
}
