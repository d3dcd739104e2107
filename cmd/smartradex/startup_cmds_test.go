package main

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func startupCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"dbus-listen":      cmdDBusListen,
		"dbus-connections": cmdDBusConnections,
		"dir-empty":        cmdDirEmpty,
		"hang-listen":      cmdHangListen,
		"hang-wait":        cmdHangWait,
	}
}

// busStandIns holds each script's session-bus stand-in.
var busStandIns sync.Map // *testscript.TestScript → *busStandIn

// busStandIn is a unix socket posing as the D-Bus session bus: it accepts
// every connection, counts it and hangs up, so that a script can prove
// that a command never tried to reach the keyring.
type busStandIn struct {
	ln     *net.UnixListener
	probe  string        // the address the probes connect from
	probed chan struct{} // a probe was accepted

	mu       sync.Mutex
	accepted int // connections other than probes
}

// dbus-listen points DBUS_SESSION_BUS_ADDRESS at a new bus stand-in.
func cmdDBusListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dbus-listen")
	}
	// A unix socket path must be short: keep it out of a deep $WORK.
	dir, err := os.MkdirTemp("", "bus")
	ts.Check(err)
	ts.Defer(func() { os.RemoveAll(dir) })
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: filepath.Join(dir, "bus"), Net: "unix"})
	ts.Check(err)
	b := &busStandIn{ln: ln, probe: filepath.Join(dir, "probe"), probed: make(chan struct{}, 1)}
	go b.serve()
	ts.Defer(func() { ln.Close() })
	busStandIns.Store(ts, b)
	ts.Defer(func() { busStandIns.Delete(ts) })
	ts.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+ln.Addr().String())
}

func (b *busStandIn) serve() {
	for {
		c, err := b.ln.AcceptUnix()
		if err != nil {
			return
		}
		probe := c.RemoteAddr() != nil && c.RemoteAddr().String() == b.probe
		c.Close()
		if probe {
			b.probed <- struct{}{}
			continue
		}
		b.mu.Lock()
		b.accepted++
		b.mu.Unlock()
	}
}

// connections returns how many connections the commands made. A command
// that has exited may have connected without being accepted yet, so a
// probe connects last and the count is read once the probe is accepted:
// the socket accepts in order.
func (b *busStandIn) connections() (int, error) {
	os.Remove(b.probe)
	c, err := net.DialUnix("unix", &net.UnixAddr{Name: b.probe, Net: "unix"}, b.ln.Addr().(*net.UnixAddr))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	select {
	case <-b.probed:
	case <-time.After(10 * time.Second):
		return 0, errors.New("the bus stand-in did not accept its probe")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted, nil
}

// [!] dbus-connections N asserts how many connections the bus stand-in
// has received (! : any other number).
func cmdDBusConnections(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: [!] dbus-connections N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	v, ok := busStandIns.Load(ts)
	if !ok {
		ts.Fatalf("dbus-connections needs dbus-listen first")
	}
	got, err := v.(*busStandIn).connections()
	ts.Check(err)
	if neg && got == want {
		ts.Fatalf("the session bus received %d connections", got)
	}
	if !neg && got != want {
		ts.Fatalf("the session bus received %d connections, want %d", got, want)
	}
}

// hangServers holds each script's hanging server.
var hangServers sync.Map // *testscript.TestScript → chan struct{}

// hang-listen VAR sets the environment variable VAR to the URL of a
// loopback HTTP server that never answers, so that a command can be
// interrupted while it waits.
func cmdHangListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: hang-listen VAR")
	}
	arrived := make(chan struct{}, 100)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	ts.Defer(func() {
		close(done)
		srv.Close()
		hangServers.Delete(ts)
	})
	hangServers.Store(ts, arrived)
	ts.Setenv(args[0], srv.URL)
}

// hang-wait waits until a request reaches the hanging server.
func cmdHangWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: hang-wait")
	}
	v, ok := hangServers.Load(ts)
	if !ok {
		ts.Fatalf("hang-wait needs hang-listen first")
	}
	select {
	case <-v.(chan struct{}):
	case <-time.After(10 * time.Second):
		ts.Fatalf("no request reached the hanging server")
	}
}

// [!] dir-empty DIR... asserts that each directory exists and holds
// nothing (! : that each holds something).
func cmdDirEmpty(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) == 0 {
		ts.Fatalf("usage: [!] dir-empty DIR...")
	}
	for _, d := range args {
		entries, err := os.ReadDir(ts.MkAbs(d))
		ts.Check(err)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if neg && len(names) == 0 {
			ts.Fatalf("%s is empty", d)
		}
		if !neg && len(names) > 0 {
			ts.Fatalf("%s holds %s", d, strings.Join(names, ", "))
		}
	}
}
