package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/smartradex/smartradex/internal/testbus"
)

// faultCmds are the script commands of the fault suite (fault_*.txtar).
func faultCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"wait-file":   cmdWaitFile,
		"silent-bus":  cmdSilentBus,
		"private-bus": cmdPrivateBus,
		"pty-run":     cmdPtyRun,
	}
}

// wait-file [-timeout D] FILE [REGEXP] waits until FILE exists (and its
// content matches REGEXP), polling, for at most D (default 10s); a script
// uses it to catch a background command at a given step.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("wait-file", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 10*time.Second, "longest wait")
	if neg || fs.Parse(args) != nil || fs.NArg() < 1 || fs.NArg() > 2 {
		ts.Fatalf("usage: wait-file [-timeout D] FILE [REGEXP]")
	}
	var re *regexp.Regexp
	if fs.NArg() == 2 {
		var err error
		re, err = regexp.Compile(fs.Arg(1))
		ts.Check(err)
	}
	path := ts.MkAbs(fs.Arg(0))
	deadline := time.Now().Add(*timeout)
	for {
		data, err := os.ReadFile(path)
		if err == nil && (re == nil || re.Match(data)) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s: still not there (or not matching) after %s", fs.Arg(0), *timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// silent-bus VAR listens on a fresh unix socket, accepts every connection
// and never writes a byte: a D-Bus endpoint that hangs. VAR is set to its
// address (unix:path=...). The socket lives in a short temporary
// directory, because a unix socket's path is limited to about 100 bytes.
func cmdSilentBus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: silent-bus VAR")
	}
	dir, err := os.MkdirTemp("", "sx")
	ts.Check(err)
	path := filepath.Join(dir, "bus")
	ln, err := net.Listen("unix", path)
	ts.Check(err)
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
			close(done)
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	ts.Defer(func() {
		ln.Close()
		<-done
		os.RemoveAll(dir)
	})
	ts.Setenv(args[0], "unix:path="+path)
}

// private-bus [-keyring] starts a D-Bus session bus of the script's own, on
// which nothing can be auto-started, and points DBUS_SESSION_BUS_ADDRESS,
// XDG_RUNTIME_DIR and XDG_DATA_HOME at it. With -keyring, a gnome-keyring
// daemon serves the Secret Service there, with a fresh login keyring,
// unlocked; the script may lock it without disturbing the keyring other
// scripts share. Both processes end with the script.
func cmdPrivateBus(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("private-bus", flag.ContinueOnError)
	withKeyring := fs.Bool("keyring", false, "run a gnome-keyring Secret Service on the bus")
	if neg || fs.Parse(args) != nil || fs.NArg() != 0 {
		ts.Fatalf("usage: private-bus [-keyring]")
	}
	dir, err := os.MkdirTemp("", "sxb")
	ts.Check(err)
	ts.Defer(func() { os.RemoveAll(dir) })
	runtimeDir, dataDir := filepath.Join(dir, "run"), filepath.Join(dir, "data")
	ts.Check(os.Mkdir(runtimeDir, 0o700))
	ts.Check(os.Mkdir(dataDir, 0o700))
	addr, stopBus, err := testbus.Start(dir)
	ts.Check(err)
	ts.Defer(stopBus)
	env := []string{"DBUS_SESSION_BUS_ADDRESS=" + addr, "XDG_RUNTIME_DIR=" + runtimeDir, "XDG_DATA_HOME=" + dataDir}
	if *withKeyring {
		kr := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
		kr.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}, env...)
		kr.Stdin = strings.NewReader("private-keyring-password")
		ts.Check(kr.Start())
		ts.Defer(func() { stop(kr) })
		waitForName(ts, addr, "org.freedesktop.secrets")
	}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		ts.Setenv(k, v)
	}
}

// waitForName waits until a process owns name on the bus at addr.
func waitForName(ts *testscript.TestScript, addr, name string) {
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := exec.Command("dbus-send", "--bus="+addr, "--print-reply", "--dest=org.freedesktop.DBus",
			"/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", "string:"+name).Output()
		if strings.Contains(string(out), "boolean true") {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("nothing owns %s on the private bus after 10s", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends a process the script started, and reaps it.
func stop(cmd *exec.Cmd) {
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
}

// ptyEnv are the variables of the script's environment that pty-run passes
// on (testscript does not let a command read the whole environment).
var ptyEnv = []string{
	"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "NO_COLOR", "TERM",
	"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME",
	"SMARTRADEX_ACCESSIBLE", "SMARTRADEX_API_KEY", "SMARTRADEX_API_SECRET", "SMARTRADEX_BINANCE_URL",
	"SMARTRADEX_CONFIG_DIR", "SMARTRADEX_HTTP_TIMEOUT", "SMARTRADEX_KEYRING", "SMARTRADEX_KEYRING_TIMEOUT",
	"SMARTRADEX_LANG", "SMARTRADEX_PASSPHRASE", "SMARTRADEX_SANDBOX", "SMARTRADEX_SANDBOX_DIR",
	"SMARTRADEX_SERVICE_URL", "SMARTRADEX_TOKEN",
}

// terminalAnswers are the replies of a terminal with a black background
// and the cursor at the top left, by question.
var terminalAnswers = []struct{ question, answer string }{
	{"\x1b]11;?", "\x1b]11;rgb:0000/0000/0000\x1b\\"},
	{"\x1b[6n", "\x1b[1;1R"},
}

// answerTerminal writes to ctrl the answers to the questions in raw from
// offset from on, in the order they were asked, as a terminal does:
// termenv sends the colour question then the cursor question and takes a
// cursor answer that comes first for "no colour support", leaving the
// colour answer in the input, where the next prompt would read it. It
// returns the offset to scan from next time (a question cut at the end of
// raw is scanned again once complete).
func answerTerminal(ctrl io.Writer, raw []byte, from int) int {
	for {
		next, which := -1, -1
		for i, qa := range terminalAnswers {
			if j := bytes.Index(raw[from:], []byte(qa.question)); j >= 0 && (next < 0 || j < next) {
				next, which = j, i
			}
		}
		if next < 0 {
			break
		}
		_, _ = ctrl.Write([]byte(terminalAnswers[which].answer))
		from += next + len(terminalAnswers[which].question)
	}
	// Keep the tail that could be the start of a question.
	if keep := len(raw) - 8; keep > from {
		from = keep
	}
	return from
}

// escapes matches the terminal control sequences a screen is drawn with.
var escapes = regexp.MustCompile("\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(\x07|\x1b\\\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78DEMc]|\r")

// pty-run [-exit N] [-questions none|asked] DIALOGUE COMMAND [ARGS...] runs COMMAND on a new
// pseudo-terminal (its stdin, stdout and stderr, 40 rows of 120 columns),
// as a person at a terminal would, and follows DIALOGUE, a file of steps,
// one a line:
//
//	expect REGEXP  wait (at most 10 s) until the screen after the previous
//	               match, control sequences removed, matches REGEXP
//	send TEXT      type TEXT; Go escapes are read: \r is Enter, \x03 Ctrl-C
//	wait-file FILE REGEXP
//	               wait (at most 10 s) until FILE's content matches REGEXP
//	service-arrived METHOD PATH-PREFIX
//	               wait (at most 10 s) until the stand-in service has
//	               received such a request (answered or in flight)
//
// It then waits for COMMAND to end and asserts its exit code (default 0).
// The screen, control sequences removed, becomes the standard output that
// `stdout` checks. COMMAND gets the variables of ptyEnv. The terminal
// answers COMMAND's questions (background colour, cursor position) in
// order, as an emulator does; with -questions none it answers nothing and
// COMMAND must ask nothing, with -questions asked COMMAND must ask.
func cmdPtyRun(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("pty-run", flag.ContinueOnError)
	wantExit := fs.Int("exit", 0, "expected exit code")
	questions := fs.String("questions", "", `"none": the terminal answers nothing, and COMMAND must ask it nothing; "asked": COMMAND must ask it something`)
	if neg || fs.Parse(args) != nil || fs.NArg() < 2 || *questions != "" && *questions != "none" && *questions != "asked" {
		ts.Fatalf("usage: pty-run [-exit N] [-questions none|asked] DIALOGUE COMMAND [ARGS...]")
	}
	type step struct {
		expect   *regexp.Regexp
		send     string
		file     string // wait-file
		fileWant *regexp.Regexp
		arrived  []string // service-arrived METHOD PATH-PREFIX
	}
	var steps []step
	for i, line := range strings.Split(ts.ReadFile(fs.Arg(0)), "\n") {
		verb, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch verb {
		case "":
		case "expect":
			re, err := regexp.Compile(arg)
			ts.Check(err)
			steps = append(steps, step{expect: re})
		case "wait-file":
			name, pattern, _ := strings.Cut(arg, " ")
			re, err := regexp.Compile(pattern)
			ts.Check(err)
			steps = append(steps, step{file: ts.MkAbs(name), fileWant: re})
		case "service-arrived":
			method, prefix, _ := strings.Cut(arg, " ")
			steps = append(steps, step{arrived: []string{method, prefix}})
		case "send":
			text, err := strconv.Unquote(`"` + arg + `"`)
			if err != nil {
				ts.Fatalf("%s:%d: %v", fs.Arg(0), i+1, err)
			}
			steps = append(steps, step{send: text})
		default:
			ts.Fatalf("%s:%d: unknown step %q", fs.Arg(0), i+1, verb)
		}
	}

	path, err := exec.LookPath(fs.Arg(1))
	ts.Check(err)
	ctrl, tty, err := openPTY(40, 120)
	ts.Check(err)
	defer ctrl.Close()
	cmd := exec.Command(path, fs.Args()[2:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = []string{"TERM=xterm-256color"}
	for _, name := range ptyEnv {
		if v := ts.Getenv(name); v != "" {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = ttyAttr()
	err = cmd.Start()
	tty.Close()
	ts.Check(err)
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	var mu sync.Mutex
	var raw []byte
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		scanned := 0
		for {
			n, err := ctrl.Read(buf)
			mu.Lock()
			raw = append(raw, buf[:n]...)
			// Answer the terminal's questions (background colour, cursor
			// position) as a terminal emulator does, or the program waits
			// seconds for answers that never come.
			if *questions != "none" {
				scanned = answerTerminal(ctrl, raw, scanned)
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	screen := func() string {
		mu.Lock()
		defer mu.Unlock()
		return escapes.ReplaceAllString(string(raw), "")
	}
	fail := func(format string, args ...any) {
		_ = cmd.Process.Kill()
		<-exited
		ts.Fatalf("%s\nthe screen showed:\n%s", fmt.Sprintf(format, args...), screen())
	}

	pos := 0
	for _, st := range steps {
		if st.arrived != nil {
			deadline := time.Now().Add(10 * time.Second)
			for !serviceArrived(ts, st.arrived[0], st.arrived[1], 1) {
				if time.Now().After(deadline) {
					fail("service-arrived %s %s: not received after 10s", st.arrived[0], st.arrived[1])
				}
				time.Sleep(20 * time.Millisecond)
			}
			continue
		}
		if st.file != "" {
			deadline := time.Now().Add(10 * time.Second)
			for {
				if data, err := os.ReadFile(st.file); err == nil && st.fileWant.Match(data) {
					break
				}
				if time.Now().After(deadline) {
					fail("wait-file %s %q: not there after 10s", st.file, st.fileWant)
				}
				time.Sleep(20 * time.Millisecond)
			}
			continue
		}
		if st.expect == nil {
			if _, err := ctrl.Write([]byte(st.send)); err != nil {
				fail("send %q: %v", st.send, err)
			}
			continue
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			s := screen()
			if pos > len(s) {
				pos = len(s)
			}
			if loc := st.expect.FindStringIndex(s[pos:]); loc != nil {
				pos += loc[1]
				break
			}
			if time.Now().After(deadline) {
				fail("expect %q: not on the screen after 10s", st.expect)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		fail("%s did not end within 20s of the last step", fs.Arg(1))
	}
	// The program has ended: once what it wrote last is read, the
	// terminal reports its end of file.
	select {
	case <-readDone:
	case <-time.After(2 * time.Second):
		ctrl.Close()
		<-readDone
	}
	fmt.Fprint(ts.Stdout(), screen())
	mu.Lock()
	asked := false
	for _, qa := range terminalAnswers {
		asked = asked || bytes.Contains(raw, []byte(qa.question))
	}
	mu.Unlock()
	switch {
	case *questions == "none" && asked:
		ts.Fatalf("%s asked the terminal a question (%q)", fs.Arg(1), escapes.FindAllString(string(raw), -1))
	case *questions == "asked" && !asked:
		ts.Fatalf("%s asked the terminal nothing", fs.Arg(1))
	}
	if got := cmd.ProcessState.ExitCode(); got != *wantExit {
		ts.Fatalf("%s exited with %d, want %d", fs.Arg(1), got, *wantExit)
	}
}
