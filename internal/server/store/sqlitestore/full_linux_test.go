package sqlitestore_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/sqlitestore"
)

// A full disk: the write that does not fit fails with ErrUnavailable and
// leaves nothing of itself; what was written before stays intact and
// readable; once space is back, writes work again. The disk is a small
// tmpfs, which needs root.
func TestDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to mount a small tmpfs as a disk to fill")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the full-disk case is not tested", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	path := filepath.Join(dir, "smartradexd.db")
	s := open(t, path, sqlitestore.Options{})
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Take most of the space, leaving room for a few keys.
	filler := filepath.Join(dir, "filler")
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	free := int64(st.Bavail) * st.Bsize
	if err := os.WriteFile(filler, make([]byte, free-200<<10), 0o600); err != nil {
		t.Fatal(err)
	}

	secret := bytes.Repeat([]byte{0xa5}, 16<<10)
	put := func(i int) (store.Key, error) {
		email := fmt.Sprintf("full%03d@example.com", i)
		k := store.Key{Bot: "btc-spot", APIKey: fmt.Sprintf("FULL%03d", i), KeyType: "HMAC", Label: "l",
			SealedSecret: append([]byte(fmt.Sprint(i)), secret...), VaultKeyID: "v", RegisteredAt: time.Now()}
		sub, err := s.AddSubscriber(ctx, email, time.Now())
		if err != nil {
			return k, err
		}
		k.SubscriberID = sub.ID
		if err := s.Subscribe(ctx, email, "btc-spot"); err != nil {
			return k, err
		}
		_, err = s.PutKey(ctx, k)
		return k, err
	}
	var written []store.Key
	var failed store.Key
	for i := 0; ; i++ {
		if i == 200 {
			t.Fatal("the disk never filled")
		}
		k, err := put(i)
		if err == nil {
			written = append(written, k)
			continue
		}
		if !errors.Is(err, store.ErrUnavailable) {
			t.Fatalf("write %d on a full disk: %v, want ErrUnavailable", i, err)
		}
		t.Logf("after %d keys: %v", len(written), err)
		failed = k
		break
	}
	if len(written) == 0 {
		t.Fatal("no key fitted: leave more room")
	}
	check := func(when string) {
		t.Helper()
		var result string
		if err := s.DB().QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&result); err != nil || result != "ok" {
			t.Errorf("%s: integrity_check = %q, %v", when, result, err)
		}
		keys, err := s.ActiveKeys(ctx, "")
		if err != nil {
			t.Fatalf("%s: ActiveKeys: %v", when, err)
		}
		if len(keys) < len(written) {
			t.Fatalf("%s: %d keys, want at least the %d written", when, len(keys), len(written))
		}
		for i, k := range written {
			if keys[i].APIKey != k.APIKey || !bytes.Equal(keys[i].SealedSecret, k.SealedSecret) {
				t.Errorf("%s: key %d = %s, want %s intact", when, i, keys[i].APIKey, k.APIKey)
			}
		}
		for _, k := range keys {
			if failed.SubscriberID != 0 && k.APIKey == failed.APIKey {
				t.Errorf("%s: the key whose write failed is stored", when)
			}
		}
	}
	check("disk full")
	// Reads go on while the disk is full.
	if _, err := s.Bots(ctx); err != nil {
		t.Errorf("Bots on a full disk: %v", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := put(999); err != nil {
		t.Errorf("a write once there is room again: %v", err)
	}
	check("room again")
}

// A database on a read-only disk (a remount after I/O errors) is refused
// with ErrUnavailable at Open, and the file is left as it was. (A disk
// cannot be remounted read-only under an open database: the kernel refuses
// while files are open for writing.)
func TestDiskReadOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to mount a tmpfs and remount it read-only")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=4m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v): the read-only case is not tested", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
	})
	path := filepath.Join(dir, "smartradexd.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddSubscriber(t.Context(), "before@example.com", time.Now()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=4m,mode=0700"); err != nil {
		t.Fatalf("remount read-only: %v", err)
	}
	if s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{}); !errors.Is(err, store.ErrUnavailable) {
		if err == nil {
			s.Close()
		}
		t.Errorf("Open on a read-only disk: %v, want ErrUnavailable", err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the database changed on a read-only disk (%v)", err)
	}
}
