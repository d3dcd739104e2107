package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/i18n"
)

const (
	testPass       = "correct horse battery staple"
	testWorkFactor = 10 // fast; the default (18) costs about a second
)

// TestMain lets the tests re-execute this binary as a second smartradex
// process: SECRETS_TEST_CHILD selects what the child does.
func TestMain(m *testing.M) {
	if mode := os.Getenv("SECRETS_TEST_CHILD"); mode != "" {
		os.Exit(child(mode))
	}
	// The system store's tests use go-keyring's mock, which never dials:
	// an address lets them past the check that no bus means no keyring.
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/smartradex-test-bus")
	}
	os.Exit(m.Run())
}

func child(mode string) int {
	dir := os.Getenv("SECRETS_TEST_DIR")
	s, err := Open(Options{Backend: "file", Dir: dir, ScryptWorkFactor: testWorkFactor,
		Passphrase: func(context.Context) (string, error) { return testPass, nil }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	switch mode {
	case "writer":
		prefix := os.Getenv("SECRETS_TEST_PREFIX")
		n, _ := strconv.Atoi(os.Getenv("SECRETS_TEST_COUNT"))
		for i := range n {
			if err := s.Set(ctx, fmt.Sprintf("%s/%d", prefix, i), fmt.Sprintf("value-%s-%d", prefix, i)); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 3
			}
		}
		return 0
	case "interrupted":
		// Die like a killed process, half-way through writing the new file.
		atomicfile.TestHookMidWrite = func() { os.Exit(7) }
		if err := s.Set(ctx, "bot/eth-spot", "never-stored-secret"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		return 0
	}
	return 2
}

func runChild(t *testing.T, mode, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"SECRETS_TEST_CHILD=" + mode, "SECRETS_TEST_DIR=" + dir}, env...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t.Cleanup(func() {
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("child %s stderr: %s", mode, stderr.String())
		}
	})
	return cmd
}

type passCounter struct {
	mu    sync.Mutex
	calls int
	pass  string
	err   error
}

func (p *passCounter) get(context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.pass, p.err
}

func openFile(t *testing.T, dir string, p *passCounter) Store {
	t.Helper()
	s, err := Open(Options{Backend: "file", Dir: dir, Passphrase: p.get, ScryptWorkFactor: testWorkFactor})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func secretPath(dir string) string { return filepath.Join(dir, FileName) }

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFileRoundTripAndOnePassphrasePerProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	ctx := context.Background()
	p := &passCounter{pass: testPass}
	s := openFile(t, dir, p)

	// Nothing to read and nothing to delete: the passphrase is not asked.
	if _, err := s.Get(ctx, "bot/btc-spot"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get with no file = %v", err)
	}
	if err := s.Delete(ctx, "bot/btc-spot"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete with no file = %v", err)
	}
	if p.calls != 0 {
		t.Fatalf("passphrase asked %d times before it was needed", p.calls)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a read created the config dir")
	}

	before := scryptRuns.Load()
	if err := s.Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	keyLine := strings.Split(string(mustRead(t, secretPath(dir))), "\n")[1]
	for i := range 3 {
		if err := s.Set(ctx, fmt.Sprintf("bot/n%d", i), "v"); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := s.Get(ctx, "bot/btc-spot"); err != nil || v != testSecret {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if err := s.Delete(ctx, "bot/n0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "bot/n0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second Delete = %v", err)
	}
	if _, err := s.Get(ctx, "bot/n0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if p.calls != 1 {
		t.Errorf("passphrase asked %d times, want once", p.calls)
	}
	if n := scryptRuns.Load() - before; n != 1 {
		t.Errorf("scrypt ran %d times in one process, want once", n)
	}
	if got := strings.Split(string(mustRead(t, secretPath(dir))), "\n")[1]; got != keyLine {
		t.Errorf("the passphrase-protected key line was rewritten")
	}

	// A second process (a new store) opens it with one more derivation.
	p2 := &passCounter{pass: testPass}
	s2 := openFile(t, dir, p2)
	before = scryptRuns.Load()
	if v, err := s2.Get(ctx, "bot/btc-spot"); err != nil || v != testSecret {
		t.Fatalf("second store Get = %q, %v", v, err)
	}
	if err := s2.Set(ctx, "bot/eth-spot", "x"); err != nil {
		t.Fatal(err)
	}
	if n := scryptRuns.Load() - before; n != 1 || p2.calls != 1 {
		t.Errorf("read-modify-write in a new process: %d derivations, %d prompts", n, p2.calls)
	}

	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(secretPath(dir))
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
		}
		di, _ := os.Stat(dir)
		if di.Mode().Perm() != 0o700 {
			t.Errorf("dir mode %v, want 0700", di.Mode().Perm())
		}
	}
	raw := mustRead(t, secretPath(dir))
	if bytes.Contains(raw, []byte(testSecret)) || bytes.Contains(raw, []byte(testPass)) || bytes.Contains(raw, []byte("AGE-SECRET-KEY")) {
		t.Errorf("the file holds a secret in plain text")
	}
}

func TestFileWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if err := openFile(t, dir, &passCounter{pass: testPass}).Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	orig := mustRead(t, secretPath(dir))
	wrong := &passCounter{pass: "not the passphrase"}
	s := openFile(t, dir, wrong)
	for name, op := range map[string]func() error{
		"get":    func() error { _, err := s.Get(ctx, "bot/btc-spot"); return err },
		"set":    func() error { return s.Set(ctx, "bot/eth-spot", "other") },
		"delete": func() error { return s.Delete(ctx, "bot/btc-spot") },
	} {
		err := op()
		e := asAppErr(t, err)
		if e.Code != "secrets.file_wrong_passphrase" || e.Kind != apperr.Unexpected {
			t.Errorf("%s: code %q kind %d", name, e.Code, e.Kind)
		}
		if out := rendered(err); strings.Contains(out, testSecret) || strings.Contains(out, "not the passphrase") {
			t.Errorf("%s: a secret leaked into %q", name, out)
		}
	}
	if wrong.calls != 1 {
		t.Errorf("passphrase asked %d times", wrong.calls)
	}
	if !bytes.Equal(orig, mustRead(t, secretPath(dir))) {
		t.Fatal("a failed operation changed the file")
	}
}

func TestFilePassphraseProblems(t *testing.T) {
	ctx := context.Background()
	refused := apperr.New(apperr.Usage, "secrets.passphrase_needed", i18n.M("secrets.passphrase_needed", "x"))
	cases := []struct {
		name string
		p    *passCounter
		code string
	}{
		{"empty", &passCounter{pass: ""}, "secrets.passphrase_empty"},
		{"source refuses", &passCounter{err: refused}, "secrets.passphrase_needed"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		err := openFile(t, dir, c.p).Set(ctx, "bot/btc-spot", testSecret)
		if e := asAppErr(t, err); e.Code != c.code {
			t.Errorf("%s: code %q, want %q", c.name, e.Code, c.code)
		}
		if _, err := os.Stat(secretPath(dir)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a file was created", c.name)
		}
	}
}

func TestFileCorrupted(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if err := openFile(t, dir, &passCounter{pass: testPass}).Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	good := mustRead(t, secretPath(dir))
	lines := strings.SplitAfter(string(good), "\n")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":               "",
		"garbage":             "hello\n",
		"magic only":          lines[0],
		"no final newline":    strings.TrimSuffix(string(good), "\n"),
		"truncated key line":  lines[0] + lines[1][:len(lines[1])/2],
		"truncated data line": lines[0] + lines[1] + lines[2][:len(lines[2])/2] + "\n",
		"data tampered":       lines[0] + lines[1] + flip(lines[2], len(lines[2])/2),
		"data tampered start": lines[0] + lines[1] + flip(lines[2], 60),
		"extra line":          string(good) + "more\n",
		"other magic":         "smartradex-secrets v2\n" + lines[1] + lines[2],
		"bad base64":          lines[0] + lines[1] + "data !!!!\n",
	}
	for cut := 1; cut < len(good); cut += len(good) / 7 {
		cases[fmt.Sprintf("cut at %d", cut)] = string(good[:cut])
	}
	for name, content := range cases {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(secretPath(dir), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := openFile(t, dir, &passCounter{pass: testPass})
			_, getErr := s.Get(ctx, "bot/btc-spot")
			setErr := s.Set(ctx, "bot/eth-spot", "other")
			for _, err := range []error{getErr, setErr} {
				e := asAppErr(t, err)
				if e.Code != "secrets.file_corrupt" {
					t.Errorf("code %q (%v), want secrets.file_corrupt", e.Code, err)
				}
				if strings.Contains(rendered(err), testSecret) {
					t.Errorf("the secret leaked into the error")
				}
			}
			if got := mustRead(t, secretPath(dir)); string(got) != content {
				t.Errorf("a failed Set overwrote the damaged file")
			}
		})
	}
	// Altering the passphrase-protected part cannot be told apart from a
	// wrong passphrase in every case, but it is always refused.
	for _, i := range []int{10, len(lines[1]) / 2, len(lines[1]) - 6} {
		content := lines[0] + flip(lines[1], i) + lines[2]
		if err := os.WriteFile(secretPath(dir), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := openFile(t, dir, &passCounter{pass: testPass}).Get(ctx, "bot/btc-spot")
		if code := asAppErr(t, err).Code; code != "secrets.file_corrupt" && code != "secrets.file_wrong_passphrase" {
			t.Errorf("key line altered at %d: code %q", i, code)
		}
	}
}

func TestFileLoosePermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	dir := t.TempDir()
	ctx := context.Background()
	if err := openFile(t, dir, &passCounter{pass: testPass}).Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660} {
		if err := os.Chmod(secretPath(dir), mode); err != nil {
			t.Fatal(err)
		}
		orig := mustRead(t, secretPath(dir))
		p := &passCounter{pass: testPass}
		s := openFile(t, dir, p)
		_, getErr := s.Get(ctx, "bot/btc-spot")
		setErr := s.Set(ctx, "bot/eth-spot", "x")
		for _, err := range []error{getErr, setErr} {
			e := asAppErr(t, err)
			if e.Code != "secrets.file_permissions" {
				t.Errorf("mode %o: code %q", mode, e.Code)
			}
		}
		if p.calls != 0 {
			t.Errorf("mode %o: passphrase asked for a file that is refused", mode)
		}
		if !bytes.Equal(orig, mustRead(t, secretPath(dir))) {
			t.Errorf("mode %o: file changed", mode)
		}
	}
}

func TestFileLockedByAnotherWriter(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := openFile(t, dir, &passCounter{pass: testPass})
	if err := s.Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	orig := mustRead(t, secretPath(dir))
	unlock, err := atomicfile.Lock(ctx, secretPath(dir)+".lock", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	old := lockWait
	lockWait = 30 * time.Millisecond
	defer func() { lockWait = old }()
	err = s.Set(ctx, "bot/eth-spot", "x")
	if e := asAppErr(t, err); e.Code != "secrets.file_locked" {
		t.Fatalf("code %q", e.Code)
	}
	if !bytes.Equal(orig, mustRead(t, secretPath(dir))) {
		t.Fatal("file changed")
	}
	// Reads do not wait for writers: the file is only ever replaced whole.
	if v, err := s.Get(ctx, "bot/btc-spot"); err != nil || v != testSecret {
		t.Fatalf("Get while locked = %q, %v", v, err)
	}
}

func TestFileConcurrentWritersInTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	var cmds []*exec.Cmd
	for _, prefix := range []string{"a", "b"} {
		cmd := runChild(t, "writer", dir, "SECRETS_TEST_PREFIX="+prefix, "SECRETS_TEST_COUNT="+strconv.Itoa(n))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer: %v", err)
		}
	}
	s := openFile(t, dir, &passCounter{pass: testPass})
	for _, prefix := range []string{"a", "b"} {
		for i := range n {
			name := fmt.Sprintf("%s/%d", prefix, i)
			if v, err := s.Get(context.Background(), name); err != nil || v != fmt.Sprintf("value-%s-%d", prefix, i) {
				t.Errorf("%s = %q, %v", name, v, err)
			}
		}
	}
}

func TestFileInterruptedWriteKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	if err := openFile(t, dir, &passCounter{pass: testPass}).Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	orig := mustRead(t, secretPath(dir))
	err := runChild(t, "interrupted", dir).Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 7 {
		t.Fatalf("child did not die mid-write: %v", err)
	}
	if !bytes.Equal(orig, mustRead(t, secretPath(dir))) {
		t.Fatal("the interrupted write changed the file")
	}
	temps, _ := filepath.Glob(filepath.Join(dir, ".secrets.age.tmp-*"))
	if len(temps) != 1 {
		t.Fatalf("expected the half-written temp file, found %v", temps)
	}
	s := openFile(t, dir, &passCounter{pass: testPass})
	if v, err := s.Get(ctx, "bot/btc-spot"); err != nil || v != testSecret {
		t.Fatalf("old secret after interrupted write: %q, %v", v, err)
	}
	if _, err := s.Get(ctx, "bot/eth-spot"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the interrupted secret is readable: %v", err)
	}
	// The next write cleans up after the crash.
	if err := s.Set(ctx, "bot/eth-spot", "y"); err != nil {
		t.Fatal(err)
	}
	if temps, _ := filepath.Glob(filepath.Join(dir, ".secrets.age.tmp-*")); len(temps) != 0 {
		t.Fatalf("stale temp files left: %v", temps)
	}
}

func TestFileConcurrentGoroutines(t *testing.T) {
	dir := t.TempDir()
	p := &passCounter{pass: testPass}
	s := openFile(t, dir, p)
	var wg sync.WaitGroup
	var failures atomic.Int32
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Set(context.Background(), fmt.Sprintf("g/%d", i), "v"); err != nil {
				failures.Add(1)
			}
		}()
	}
	wg.Wait()
	if failures.Load() != 0 || p.calls != 1 {
		t.Fatalf("%d failures, %d prompts", failures.Load(), p.calls)
	}
	for i := range 6 {
		if _, err := s.Get(context.Background(), fmt.Sprintf("g/%d", i)); err != nil {
			t.Errorf("g/%d: %v", i, err)
		}
	}
}

func TestFilePrepareAsksOnceAndDerivesOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "config")
	ctx := context.Background()
	p := &passCounter{pass: testPass}
	s := openFile(t, dir, p)
	// No file yet: the passphrase is asked, nothing is written.
	if err := Prepare(ctx, s); err != nil {
		t.Fatal(err)
	}
	if p.calls != 1 {
		t.Fatalf("passphrase asked %d times, want 1", p.calls)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("Prepare wrote something")
	}
	if err := s.Set(ctx, "bot/btc-spot", testSecret); err != nil {
		t.Fatal(err)
	}
	if p.calls != 1 {
		t.Fatalf("passphrase asked %d times after Set, want 1", p.calls)
	}

	// An existing file: Prepare unlocks it, and reads after it derive nothing.
	p2 := &passCounter{pass: testPass}
	s2 := openFile(t, dir, p2)
	before := scryptRuns.Load()
	if err := Prepare(ctx, s2); err != nil {
		t.Fatal(err)
	}
	if v, err := s2.Get(ctx, "bot/btc-spot"); err != nil || v != testSecret {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if n := scryptRuns.Load() - before; n != 1 || p2.calls != 1 {
		t.Fatalf("%d derivations and %d passphrase questions, want 1 and 1", n, p2.calls)
	}

	// A wrong passphrase is reported by Prepare itself.
	s3 := openFile(t, dir, &passCounter{pass: "not the passphrase"})
	if err := Prepare(ctx, s3); err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("Prepare with a wrong passphrase = %v", err)
	}
}
