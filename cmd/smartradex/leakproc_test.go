package main

// Running smartradex for TestNoSecretLeaks, and reading the argv of it and
// of its descendants from /proc while it runs.

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// startGateEnv asks a smartradex started by leakWorld.run to wait, before
// anything else, for one byte on file descriptor 3.
const startGateEnv = "SMARTRADEX_TEST_START_GATE"

// waitAtStartGate holds the process until the test has read its argv from
// /proc at least once: a short command could otherwise end unseen.
// smartradex itself never sees the variable.
func waitAtStartGate() {
	if os.Getenv(startGateEnv) != "1" {
		return
	}
	_ = os.Unsetenv(startGateEnv)
	gate := os.NewFile(3, "start-gate")
	var b [1]byte
	_, _ = gate.Read(b[:])
	_ = gate.Close()
}

type runResult struct {
	exit           int
	stdout, stderr []byte
	procs          []procSeen
	rootSamples    int
}

// run runs smartradex with args, env and stdin, and samples the argv of it
// and of its descendants: once at the start gate, before each request the
// stand-ins answer, and every few milliseconds until it exits.
func (w *leakWorld) run(t *testing.T, exe string, args, env []string, stdin string) runResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Args[0] = "smartradex" // TestMain runs smartradex for this name
	cmd.Env = append(env, startGateEnv+"=1")
	cmd.Dir = w.root
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	gateR, gateW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.ExtraFiles = []*os.File{gateR}
	if err := cmd.Start(); err != nil {
		_ = gateR.Close()
		_ = gateW.Close()
		t.Fatal(err)
	}
	_ = gateR.Close()
	w.probe.begin(cmd.Process.Pid)
	// The process waits at the gate: read its argv before letting it go,
	// trying again for a moment if /proc is not ready with it yet.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		w.probe.sample()
		if w.probe.rootSeen() || time.Now().After(deadline) {
			break
		}
	}
	_, _ = gateW.Write([]byte{1})
	_ = gateW.Close()

	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	// Walking /proc takes milliseconds on a busy machine: sample often
	// enough to see a child that lives a while, not so often as to slow
	// smartradex down.
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var waitErr error
wait:
	for {
		select {
		case waitErr = <-done:
			break wait
		case <-tick.C:
			w.probe.sample()
		}
	}
	res := runResult{stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	res.procs, res.rootSamples = w.probe.end()
	var ee *exec.ExitError
	if errors.As(waitErr, &ee) {
		res.exit = ee.ExitCode()
	} else if waitErr != nil {
		t.Fatalf("running smartradex: %v", waitErr)
	}
	return res
}

type procSeen struct {
	pid     int
	comm    string
	root    bool
	cmdline []byte
}

// procSampler records each distinct argv seen in the process tree of the
// running smartradex.
type procSampler struct {
	mu          sync.Mutex
	root        int
	rootSamples int
	seen        map[string]procSeen
}

func (s *procSampler) begin(pid int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.root, s.rootSamples, s.seen = pid, 0, map[string]procSeen{}
}

func (s *procSampler) rootSeen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rootSamples > 0
}

func (s *procSampler) end() ([]procSeen, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]procSeen, 0, len(s.seen))
	for _, p := range s.seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	n := s.rootSamples
	s.root, s.seen = 0, nil
	return out, n
}

func (s *procSampler) sample() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.root == 0 {
		return
	}
	for _, p := range processTree(s.root) {
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/cmdline")
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie
		}
		if p.root {
			s.rootSamples++
		}
		key := strconv.Itoa(p.pid) + "\x00" + string(cmdline)
		if _, ok := s.seen[key]; !ok {
			p.cmdline = cmdline
			s.seen[key] = p
		}
	}
}

// processTree is root and its descendants, found by walking /proc/*/stat
// for parent pids.
func processTree(root int) []procSeen {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return []procSeen{{pid: root, root: true}}
	}
	children := map[int][]int{}
	comm := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid ...": comm may hold spaces and parentheses.
		open, closing := bytes.IndexByte(stat, '('), bytes.LastIndexByte(stat, ')')
		if open < 0 || closing < open {
			continue
		}
		fields := strings.Fields(string(stat[closing+1:]))
		if len(fields) < 2 {
			continue
		}
		ppid, err := strconv.Atoi(fields[1])
		if err != nil {
			continue
		}
		children[ppid] = append(children[ppid], pid)
		comm[pid] = string(stat[open+1 : closing])
	}
	out := []procSeen{{pid: root, comm: comm[root], root: true}}
	for i := 0; i < len(out); i++ {
		for _, c := range children[out[i].pid] {
			out = append(out, procSeen{pid: c, comm: comm[c]})
		}
	}
	return out
}
