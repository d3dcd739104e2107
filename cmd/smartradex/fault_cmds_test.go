package main

import (
	"bufio"
	"flag"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// faultCmds are the script commands of the fault suite (fault_*.txtar).
func faultCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"wait-file":   cmdWaitFile,
		"silent-bus":  cmdSilentBus,
		"private-bus": cmdPrivateBus,
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
	conf := filepath.Join(dir, "bus.conf")
	// No <servicedir>: nothing is started on demand, gnome-keyring included.
	ts.Check(os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600))
	bus := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	out, err := bus.StdoutPipe()
	ts.Check(err)
	ts.Check(bus.Start())
	ts.Defer(func() { stop(bus) })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		ts.Fatalf("dbus-daemon did not start: %v", err)
	}
	addr := strings.TrimSpace(line)
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
