package state

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/safetext"
)

// TestMain lets a test re-execute this binary as another smartradex
// process that updates the index.
func TestMain(m *testing.M) {
	if os.Getenv("STATE_TEST_CHILD") == "updater" {
		os.Exit(updater())
	}
	os.Exit(m.Run())
}

func updater() int {
	ix := Open(os.Getenv("STATE_TEST_DIR"))
	prefix := os.Getenv("STATE_TEST_PREFIX")
	n, _ := strconv.Atoi(os.Getenv("STATE_TEST_COUNT"))
	for i := range n {
		bot := fmt.Sprintf("%s-%d", prefix, i)
		err := ix.Update(context.Background(), func(s *Snapshot) error {
			s.Entries[bot] = entry(bot)
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
	}
	return 0
}

func entry(bot string) *Entry {
	return &Entry{
		Bot: bot, APIKey: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A", KeyType: "HMAC",
		Backend: "system", SecretName: "bot/" + bot, Status: StatusPending,
		CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func code(t *testing.T, err error) string {
	t.Helper()
	var e *apperr.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v (%T) is not an *apperr.Error", err, err)
	}
	return e.Code
}

func TestLoadMissingIsEmpty(t *testing.T) {
	snap, err := Open(filepath.Join(t.TempDir(), "none")).Load()
	if err != nil || snap.Version != Version || snap.Entries == nil || len(snap.Entries) != 0 {
		t.Fatalf("Load = %+v, %v", snap, err)
	}
}

func TestUpdateRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	ix := Open(dir)
	ctx := context.Background()
	verified := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	err := ix.Update(ctx, func(s *Snapshot) error {
		e := entry("btc-spot")
		e.UID = 123456789
		e.Label = "SmartradeX BTC Spot"
		e.VerifiedAt = &verified
		s.Entries["btc-spot"] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := ix.Load()
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Entries["btc-spot"]
	if got == nil || got.UID != 123456789 || got.VerifiedAt == nil || !got.VerifiedAt.Equal(verified) || got.Status != StatusPending {
		t.Fatalf("entry = %+v", got)
	}
	if runtime.GOOS != "windows" {
		if fi, _ := os.Stat(ix.Path()); fi.Mode().Perm() != 0o600 {
			t.Errorf("index mode %v, want 0600", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %v, want 0700", fi.Mode().Perm())
		}
	}
	// Deleting an entry.
	if err := ix.Update(ctx, func(s *Snapshot) error { delete(s.Entries, "btc-spot"); return nil }); err != nil {
		t.Fatal(err)
	}
	if snap, _ := ix.Load(); len(snap.Entries) != 0 {
		t.Fatalf("entries after delete: %v", snap.Entries)
	}
}

func TestUpdateErrorWritesNothing(t *testing.T) {
	ix := Open(t.TempDir())
	ctx := context.Background()
	if err := ix.Update(ctx, func(s *Snapshot) error { s.Entries["a"] = entry("a"); return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(ix.Path())
	boom := errors.New("boom")
	err := ix.Update(ctx, func(s *Snapshot) error {
		s.Entries["b"] = entry("b")
		delete(s.Entries, "a")
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	after, _ := os.ReadFile(ix.Path())
	if !bytes.Equal(before, after) {
		t.Fatal("a failed update changed the index")
	}
}

func TestLoadRejectsDamagedIndex(t *testing.T) {
	cases := map[string]string{
		"empty":            "",
		"garbage":          "not json",
		"truncated":        `{"version":1,"entries":{"a":{"bot":"a"`,
		"trailing":         `{"version":1,"entries":{}} {}`,
		"version 0":        `{"entries":{}}`,
		"wrong bot":        `{"version":1,"entries":{"a":{"bot":"b","backend":"system","secret_name":"bot/b","status":"pending"}}}`,
		"null entry":       `{"version":1,"entries":{"a":null}}`,
		"no secret name":   `{"version":1,"entries":{"a":{"bot":"a","backend":"system","status":"pending"}}}`,
		"unknown status":   `{"version":1,"entries":{"a":{"bot":"a","backend":"system","secret_name":"bot/a","status":"lost"}}}`,
		"entries is list":  `{"version":1,"entries":[]}`,
		"no bot name":      `{"version":1,"entries":{"":{"bot":"","backend":"system","secret_name":"bot/","status":"pending"}}}`,
		"null intent":      `{"version":1,"entries":{},"intents":{"a":null}}`,
		"unknown op":       `{"version":1,"entries":{},"intents":{"a":{"op":"undo","key":{"bot":"a","api_key":"K","backend":"system","secret_name":"bot/a"}}}}`,
		"intent no key":    `{"version":1,"entries":{},"intents":{"a":{"op":"add"}}}`,
		"intent wrong bot": `{"version":1,"entries":{},"intents":{"a":{"op":"add","key":{"bot":"b","api_key":"K","backend":"system","secret_name":"bot/b"}}}}`,
		"intent no slot":   `{"version":1,"entries":{},"intents":{"a":{"op":"rotate","key":{"bot":"a","api_key":"K","backend":"system"}}}}`,
		"add no api key":   `{"version":1,"entries":{},"intents":{"a":{"op":"add","key":{"bot":"a","backend":"system","secret_name":"bot/a"}}}}`,
		"bad also":         `{"version":1,"entries":{},"intents":{"a":{"op":"remove","key":{"bot":"a","backend":"system","secret_name":"bot/a"},"also":{"bot":"a"}}}}`,
	}
	for name, content := range cases {
		ix := Open(t.TempDir())
		if err := os.WriteFile(ix.Path(), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ix.Load()
		if c := code(t, err); c != "state.index_corrupt" {
			t.Errorf("%s: code %q", name, c)
		}
		// Update refuses too, and leaves the file for the user to inspect.
		err = ix.Update(context.Background(), func(s *Snapshot) error { return nil })
		if c := code(t, err); c != "state.index_corrupt" {
			t.Errorf("%s: Update code %q", name, c)
		}
		if got, _ := os.ReadFile(ix.Path()); string(got) != content {
			t.Errorf("%s: the damaged index was overwritten", name)
		}
	}
	ix := Open(t.TempDir())
	_ = os.WriteFile(ix.Path(), []byte(`{"version":99,"entries":{}}`), 0o600)
	if _, err := ix.Load(); code(t, err) != "state.index_newer" {
		t.Errorf("newer version: %v", err)
	}
}

// Intents round-trip, an empty set is not written, and the bot lock is
// exclusive across callers.
func TestIntentsAndBotLock(t *testing.T) {
	ix := Open(t.TempDir())
	ctx := context.Background()
	at := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	in := &Intent{Op: OpRemove, Since: at, Deregister: true,
		Key: &Entry{Bot: "a", Backend: "file", SecretName: "bot/a/generated", Status: StatusPending}} // a generated key: no API key
	if err := ix.Update(ctx, func(s *Snapshot) error {
		s.Intents = map[string]*Intent{"a": in}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	snap, err := ix.Load()
	if err != nil || snap.Intents["a"] == nil || snap.Intents["a"].Op != OpRemove || !snap.Intents["a"].Since.Equal(at) || !snap.Intents["a"].Deregister {
		t.Fatalf("Load = %+v, %v", snap, err)
	}
	if err := ix.Update(ctx, func(s *Snapshot) error { delete(s.Intents, "a"); return nil }); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(ix.Path()); bytes.Contains(data, []byte("intents")) {
		t.Errorf("an empty set of intents was written: %s", data)
	}

	unlock, err := ix.LockBot(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	old := botLockWait
	botLockWait = 30 * time.Millisecond
	defer func() { botLockWait = old }()
	if _, err := ix.LockBot(ctx, "a"); code(t, err) != "state.bot_locked" {
		t.Fatalf("a second lock on the same bot = %v", err)
	}
	other, err := ix.LockBot(ctx, "b")
	if err != nil {
		t.Fatalf("another bot is not locked: %v", err)
	}
	other()
	unlock()
	again, err := ix.LockBot(ctx, "a")
	if err != nil {
		t.Fatalf("released lock: %v", err)
	}
	again()
}

// WithWriter's writer is used for every write, and a failing one leaves
// the file as it was.
func TestWithWriterFails(t *testing.T) {
	ix := Open(t.TempDir())
	ctx := context.Background()
	if err := ix.Update(ctx, func(s *Snapshot) error { s.Entries["a"] = entry("a"); return nil }); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(ix.Path())
	full := ix.WithWriter(func(string, []byte, os.FileMode) error { return errors.New("no space left on device") })
	if err := full.Update(ctx, func(s *Snapshot) error { delete(s.Entries, "a"); return nil }); code(t, err) != "state.io" {
		t.Fatalf("Update on a full disk = %v", err)
	}
	if after, _ := os.ReadFile(ix.Path()); !bytes.Equal(before, after) {
		t.Fatal("the index changed")
	}
}

func TestLoadAcceptsNullEntriesAndUnknownFields(t *testing.T) {
	ix := Open(t.TempDir())
	_ = os.WriteFile(ix.Path(), []byte(`{"version":1,"entries":null,"future":true}`), 0o600)
	snap, err := ix.Load()
	if err != nil || snap.Entries == nil {
		t.Fatalf("Load = %+v, %v", snap, err)
	}
}

func TestUpdateLockTimeout(t *testing.T) {
	ix := Open(t.TempDir())
	ctx := context.Background()
	unlock, err := atomicfile.Lock(ctx, ix.Path()+".lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	old := lockWait
	lockWait = 30 * time.Millisecond
	defer func() { lockWait = old }()
	called := false
	err = ix.Update(ctx, func(*Snapshot) error { called = true; return nil })
	if code(t, err) != "state.locked" || called {
		t.Fatalf("Update under someone else's lock = %v, fn called %v", err, called)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := ix.Update(cctx, func(*Snapshot) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Update with a cancelled context = %v", err)
	}
}

func TestTwoProcessesUpdatingDifferentBotsBothLand(t *testing.T) {
	dir := t.TempDir()
	const n = 15
	var cmds []*exec.Cmd
	var outs []*bytes.Buffer
	for _, prefix := range []string{"a", "b"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "STATE_TEST_CHILD=updater", "STATE_TEST_DIR="+dir,
			"STATE_TEST_PREFIX="+prefix, "STATE_TEST_COUNT="+strconv.Itoa(n))
		out := &bytes.Buffer{}
		cmd.Stderr = out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("updater: %v: %s", err, outs[i])
		}
	}
	snap, err := Open(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Entries) != 2*n {
		t.Fatalf("%d entries, want %d: a lost update", len(snap.Entries), 2*n)
	}
}

func TestDefaultDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	dir := t.TempDir()
	got, err := DefaultDir(env(map[string]string{"SMARTRADEX_CONFIG_DIR": dir}))
	if err != nil || got != dir {
		t.Fatalf("DefaultDir = %q, %v", got, err)
	}
	got, err = DefaultDir(env(nil))
	if base, uerr := os.UserConfigDir(); uerr == nil {
		if err != nil || got != filepath.Join(base, "smartradex") {
			t.Fatalf("DefaultDir = %q, %v", got, err)
		}
	}
}

// FuzzLoad checks that no index file, however damaged, makes Load panic;
// that whatever it accepts is consistent (every entry under its own bot,
// saying where its secret is, with a known status); and that an accepted
// index survives being written back as Update writes it: it loads again
// to the same index, so that no change to one entry can lose another.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"version":1,"entries":{}}`))
	f.Add([]byte(`{"version":1,"entries":{"btc-spot":{"bot":"btc-spot","api_key":"k","key_type":"HMAC","uid":1,"backend":"system","secret_name":"bot/btc-spot","status":"registered","created_at":"2026-01-02T03:04:05Z","verified_at":"2026-01-02T03:04:05Z"}}}`))
	f.Add([]byte(`{"version":1,"entries":{"btc-spot":{"bot":"btc-spot","key_type":"ED25519","backend":"file","secret_name":"bot/btc-spot/generated","status":"pending","created_at":"2026-01-02T03:04:05+14:00","generated_at":"9999-12-31T23:59:59.999999999-23:59"}}}`))
	f.Add([]byte(`{"version":1,"entries":{"eth-spot":{"bot":"eth-spot","api_key":"k\u00e9\ud800","backend":"system","secret_name":"bot/eth-spot","status":"pending","created_at":"0000-01-01T00:00:00Z","label":"\u0000"}},"extra":[1,2]}`))
	f.Add([]byte(`{"version":1,"entries":{"a":{"bot":"a","backend":"system","secret_name":"bot/a","status":"registered"}},"entries":{}}`))
	f.Add([]byte(`{"version":1,"entries":{"a":{"bot":"a","backend":"system","secret_name":"bot/a","status":"paused"}}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"entries":{},"intents":{"btc-spot":{"op":"rotate","since":"2026-12-06T07:00:00Z","key":{"bot":"btc-spot","api_key":"k","backend":"file","secret_name":"bot/btc-spot/next","status":"pending","created_at":"2026-12-06T07:00:00Z"},"replaces":"old"}}}`))
	f.Add([]byte(`{"version":1,"entries":{},"intents":{"a":{"op":"remove","key":{"bot":"a","backend":"file","secret_name":"bot/a/generated","status":"pending"},"also":{"bot":"a","api_key":"n","backend":"system","secret_name":"bot/a/next","status":"pending"},"deregister":true}}}`))
	f.Add([]byte(`{"version":1,"entries":{},"intents":{"a":{"op":"add","key":null}}}`))
	f.Add([]byte(`{"version":1,"entries":{"a":null}}`))
	f.Add([]byte(`{"version":1,"entries":{"a":{"bot":"a","created_at":"not a time"}}}`))
	f.Add([]byte(`{"version":1} {"version":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"version":1,"entries":{"a":{"bot":"a","label":"\u001b]0;pwned\u0007","backend":"system","secret_name":"bot/a","status":"registered"}}}`))
	f.Add([]byte(`{"version":1,"entries":{"a\u202e":{"bot":"a\u202e","backend":"system","secret_name":"bot/a","status":"registered"}}}`))
	f.Add([]byte{0xff, 0xfe, 0})
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		snap, err := parse(data)
		if err != nil {
			if snap != nil {
				t.Fatal("both a snapshot and an error")
			}
			return
		}
		if snap.Entries == nil || snap.Version != Version {
			t.Fatalf("accepted snapshot %+v", snap)
		}
		for bot, e := range snap.Entries {
			if e == nil || e.Bot != bot || e.SecretName == "" || e.Backend == "" {
				t.Fatalf("accepted inconsistent entry %q: %+v", bot, e)
			}
			for _, v := range []string{bot, e.APIKey, e.KeyType, e.Label, e.Backend, e.SecretName} {
				if !safetext.IsClean(v) {
					t.Fatalf("accepted entry %q with the value %q, which is not clean text", bot, v)
				}
			}
			if e.Status != StatusPending && e.Status != StatusRegistered {
				t.Fatalf("accepted entry %q with status %q", bot, e.Status)
			}
		}
		for bot, in := range snap.Intents {
			if in == nil || in.Key == nil || in.Key.Bot != bot || in.Key.SecretName == "" {
				t.Fatalf("accepted inconsistent intent %q: %+v", bot, in)
			}
		}
		written, err := json.MarshalIndent(snap, "", "  ")
		if err != nil {
			t.Fatalf("an index that loads cannot be written back: %v", err)
		}
		again, err := parse(written)
		if err != nil {
			t.Fatalf("an index written back no longer loads: %v", err)
		}
		rewritten, err := json.MarshalIndent(again, "", "  ")
		if err != nil || !bytes.Equal(written, rewritten) {
			t.Fatalf("an index changes when written back and loaded again:\n%s\n%s", written, rewritten)
		}
	})
}

func TestFinishGeneratedCommand(t *testing.T) {
	cases := []struct {
		bot     string
		replace bool
		want    string
	}{
		{"btc-spot", false, "smartradex keys add --bot btc-spot --api-key <KEY> --use-generated"},
		{"eth-spot", true, "smartradex keys add --bot eth-spot --api-key <KEY> --use-generated --replace"},
	}
	for _, c := range cases {
		if got := FinishGeneratedCommand(c.bot, c.replace); got != c.want {
			t.Errorf("FinishGeneratedCommand(%q, %v) = %q, want %q", c.bot, c.replace, got, c.want)
		}
	}
}

// A bot name becomes part of the lock file's name: only a bot identifier
// is accepted.
func TestLockBotRefusesOddNames(t *testing.T) {
	ix := Open(t.TempDir())
	for _, bad := range []string{"", "../x", "a/b", "BTC", "-x", "a b", "a.lock"} {
		if _, err := ix.LockBot(context.Background(), bad); code(t, err) != "state.bad_bot" {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

// An index whose values would print a terminal sequence or a bidi override
// is reported as damaged, and the report itself prints neither.
func TestLoadRefusesUncleanValues(t *testing.T) {
	entry := func(field, value string) string {
		e := map[string]any{"bot": "a", "api_key": "k", "key_type": "HMAC", "backend": "system", "secret_name": "bot/a", "status": "registered"}
		e[field] = value
		bot := "a"
		if field == "bot" {
			bot = value
		}
		doc, _ := json.Marshal(map[string]any{"version": 1, "entries": map[string]any{bot: e}})
		return string(doc)
	}
	for _, c := range []struct{ field, value string }{
		{"label", "\x1b]0;pwned\x07"}, {"label", "a\u202eb"}, {"api_key", "k\x1b[2J"}, {"key_type", "HMAC\u200b"},
		{"backend", "system\r"}, {"secret_name", "bot/a\u009b"}, {"bot", "a\x1b[31m"}, {"label", "two\nlines"},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(entry(c.field, c.value)), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir).Load()
		var e *apperr.Error
		if !errors.As(err, &e) || e.Code != "state.index_corrupt" {
			t.Errorf("%s = %q: Load = %v, want state.index_corrupt", c.field, c.value, err)
			continue
		}
		if msg := err.Error(); !safetext.IsClean(strings.ReplaceAll(msg, "\n", " ")) {
			t.Errorf("%s = %q: the error prints raw text: %q", c.field, c.value, msg)
		}
	}
	// The control: the same entry with clean values loads.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(entry("label", "Mon bot à moi")), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir).Load(); err != nil {
		t.Errorf("clean index: %v", err)
	}
}
