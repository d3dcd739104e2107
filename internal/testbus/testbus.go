// Package testbus starts a private D-Bus session bus for tests that need a
// Secret Service (or its absence) of their own, away from the session the
// rest of the suite shares. Only tests import it.
package testbus

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// config has no <servicedir>: nothing is started on demand, gnome-keyring
// included, so the bus has exactly the services a test starts on it.
const config = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// Start runs dbus-daemon with its socket and configuration in dir, and
// returns the bus address and a function that stops it.
func Start(dir string) (addr string, stop func(), err error) {
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, config, filepath.Join(dir, "bus")), 0o600); err != nil {
		return "", nil, err
	}
	// The bus outlives this call: stop ends it, not a context.
	cmd := exec.CommandContext(context.Background(), "dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1") //nolint:gosec // a fixed program; conf is the test's own file
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop = func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		stop()
		return "", nil, fmt.Errorf("dbus-daemon did not start: %w", err)
	}
	return strings.TrimSpace(line), stop, nil
}
