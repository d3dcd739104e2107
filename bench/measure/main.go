//go:build linux

// Command measure is the measuring half of bench/run: it times the built
// smartradex against references measured in the same run, and prints each
// figure, its reference, their ratio and the target. It runs commands as
// separate processes, like a user does, and reads their peak memory from
// the kernel's accounting (rusage) of each child.
//
// It must run under scripts/with-keyring: `keys add` writes to the default
// system keyring, which must be a throwaway one.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
)

// Targets, from issue 7.
const (
	startupRatioTarget = 1.15
	verifyTarget       = 350 * time.Millisecond
	addTarget          = 450 * time.Millisecond
	memoryTarget       = 50_000_000 // bytes (MB = 10^6 bytes)
	sizeTarget         = 25_000_000
)

type config struct {
	smartradex, floor, floorMin string
	standins, work              string
	startupRuns, runs, fileRuns int
	latency                     time.Duration
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == deriveOnce {
		d, err := derive(os.Getenv("SMARTRADEX_BENCH_AGE_FILE"), os.Getenv("SMARTRADEX_PASSPHRASE"))
		if err != nil {
			fmt.Fprintln(os.Stderr, "measure:", err)
			os.Exit(1)
		}
		fmt.Println(d)
		return
	}
	var c config
	flag.StringVar(&c.smartradex, "smartradex", "", "the smartradex binary to measure")
	flag.StringVar(&c.floor, "floor", "", "the reference binary (bench/floor)")
	flag.StringVar(&c.floorMin, "floor-min", "", "optional: bench/floor built with -tags floormin, for comparison")
	flag.StringVar(&c.standins, "standins", "", "the stand-ins program (bench/standins)")
	flag.StringVar(&c.work, "work", "", "an empty directory for configuration directories")
	flag.IntVar(&c.startupRuns, "startup-runs", 501, "runs of each start-up command (and as many of the floor)")
	flag.IntVar(&c.runs, "runs", 31, "runs of keys verify and of keys add")
	flag.IntVar(&c.fileRuns, "file-runs", 7, "runs of keys verify with the encrypted file store")
	flag.DurationVar(&c.latency, "latency", 100*time.Millisecond, "delay the stand-ins add to every request")
	flag.Parse()
	if c.smartradex == "" || c.floor == "" || c.standins == "" || c.work == "" {
		fmt.Fprintln(os.Stderr, "usage: measure -smartradex BIN -floor BIN -standins BIN -work DIR [flags]")
		os.Exit(2)
	}
	if err := throwawayKeyring(); err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	out, err := os.CreateTemp(c.work, "output-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
	output = out
	b := &bench{config: c}
	err = b.run()
	b.close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(1)
	}
	if b.failed > 0 {
		fmt.Printf("\n%d target(s) missed\n", b.failed)
		os.Exit(1)
	}
	fmt.Println("\nevery target met")
}

// throwawayKeyring refuses to run anywhere but in the private keyring of
// scripts/with-keyring, whose data lives in a temporary directory.
func throwawayKeyring() error {
	data, _ := filepath.EvalSymlinks(os.Getenv("XDG_DATA_HOME"))
	tmp, _ := filepath.EvalSymlinks(os.TempDir())
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" || data == "" || tmp == "" ||
		!strings.HasPrefix(data, tmp+string(filepath.Separator)) {
		return errors.New("run me through bench/run (scripts/with-keyring): keys add would write to your own keyring")
	}
	return nil
}

type bench struct {
	config
	env     []string // the environment of every smartradex run
	token   string
	sb      *standins
	failed  int
	peakRSS map[string]int64
	rows    []row
}

type row struct {
	name, figure, reference, ratio, target, result string
}

func (b *bench) close() {
	if b.sb != nil {
		b.sb.close()
	}
}

func (b *bench) run() error {
	b.peakRSS = map[string]int64{}
	b.token = "sxt_live_" + randomHex(20)
	b.env = baseEnv()

	loadBefore := loadavg()
	if err := b.startup(); err != nil {
		return err
	}
	sb, err := startStandins(b.standins, b.latency, b.token)
	if err != nil {
		return err
	}
	b.sb = sb
	b.env = append(b.env, "SMARTRADEX_BINANCE_URL="+sb.binance, "SMARTRADEX_SERVICE_URL="+sb.service)
	if err := b.verifyAndAdd(); err != nil {
		return err
	}
	if err := b.fileStore(); err != nil {
		return err
	}
	b.memoryAndSize()
	b.printTable()
	fmt.Printf("\nload average before: %s, after: %s (2 cores shared with other work: ratios matter more than absolute figures)\n",
		loadBefore, loadavg())
	return nil
}

// startup compares `smartradex version` and `smartradex --help` with the
// floor binary (and the minimal floor, if given), runs interleaved in a
// rotating order so that a busy moment of the machine weighs on all alike.
func (b *bench) startup() error {
	dir := filepath.Join(b.work, "startup")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	env := append(slices.Clone(b.env), "SMARTRADEX_CONFIG_DIR="+dir)
	bins := []string{b.smartradex, b.floor}
	if b.floorMin != "" {
		bins = append(bins, b.floorMin)
	}
	fmt.Printf("== start-up: %d interleaved runs of each command and of each floor\n", b.startupRuns)
	const warmup = 10 // page cache, CPU frequency
	for _, args := range [][]string{{"version"}, {"--help"}} {
		name := "smartradex " + strings.Join(args, " ")
		runs := make([][]sample, len(bins))
		for i := range b.startupRuns + warmup {
			for k := range bins {
				j := (i + k) % len(bins)
				s, err := run(bins[j], args, env, "")
				if err != nil {
					return err
				}
				if i >= warmup {
					runs[j] = append(runs[j], s)
				}
			}
		}
		b.note(name, runs[0])
		b.note("floor", runs[1])
		ms, mf := median(walls(runs[0])), median(walls(runs[1]))
		for j, label := range []string{name, "floor", "floor, one function per library"}[:len(bins)] {
			w := walls(runs[j])
			fmt.Printf("%-34s median %s (p25 %s, p75 %s), CPU time %s\n", label, fmtDur(median(w)),
				fmtDur(pct(w, 25)), fmtDur(pct(w, 75)), fmtDur(median(cpus(runs[j]))))
		}
		ratio := float64(ms) / float64(mf)
		fmt.Printf("%-34s %.2fx; median of the ratios of neighbouring runs %.2fx; of CPU times %.2fx\n", "ratio to the floor",
			ratio, pairedRatio(runs[0], runs[1]), float64(median(cpus(runs[0])))/float64(median(cpus(runs[1]))))
		b.add(row{
			name: "start-up: " + name, figure: fmtDur(ms), reference: fmtDur(mf) + " floor",
			ratio: fmt.Sprintf("%.2fx", ratio), target: fmt.Sprintf("<= %.2fx", startupRatioTarget),
		}, ratio <= startupRatioTarget)
		if len(bins) > 2 {
			mm := median(walls(runs[2]))
			b.add(row{
				name: "  (" + name + " vs a floor with one function per library)", figure: fmtDur(ms),
				reference: fmtDur(mm) + " floor-min", ratio: fmt.Sprintf("%.2fx", float64(ms)/float64(mm)),
				target: "-", result: "for comparison",
			}, true)
		}
	}
	return nil
}

// verifyAndAdd seeds a configuration with the real smartradex (auth login,
// then keys add for every bot) and times keys verify and keys add against
// the stand-ins, with the default system keyring.
func (b *bench) verifyAndAdd() error {
	dir := filepath.Join(b.work, "system")
	env := append(slices.Clone(b.env), "SMARTRADEX_CONFIG_DIR="+dir)
	demo := demoKeys()
	if err := b.seed(env); err != nil {
		return err
	}
	binanceRT := b.sb.binance + "/api/v3/time"
	serviceRT := b.sb.service + "/v1/me"

	fmt.Printf("\n== keys verify, %d bots stored, %s per request: %d runs, interleaved with the reference\n", len(demo), b.latency, b.runs)
	verify := []string{"keys", "verify"}
	calls, err := b.countCalls(func() error { _, err := run(b.smartradex, verify, env, ""); return err })
	if err != nil {
		return err
	}
	var vs, fl []sample
	var rts, refs []time.Duration
	for range b.runs {
		s, err := run(b.smartradex, verify, env, "")
		if err != nil {
			return err
		}
		rt, err := roundTrip(binanceRT, "")
		if err != nil {
			return err
		}
		f, err := run(b.floor, []string{"version"}, env, "")
		if err != nil {
			return err
		}
		vs, fl, rts = append(vs, s), append(fl, f), append(rts, rt)
		refs = append(refs, f.wall+rt)
	}
	b.note("smartradex keys verify", vs)
	b.reportNetwork("keys verify", walls(vs), refs, walls(fl), rts, 1, calls, verifyTarget)

	fmt.Printf("\n== keys add (scripted), %s per request: %d runs, each after an unmeasured keys remove\n", b.latency, b.runs)
	bot, key := "btc-spot", demo["btc-spot"]
	add := []string{"keys", "add", "--bot", bot, "--api-key", key.APIKey, "--secret-stdin"}
	remove := []string{"keys", "remove", "--bot", bot, "--yes"}
	var as []sample
	rts, refs, fl = nil, nil, nil
	for i := range b.runs + 1 {
		if _, err := run(b.smartradex, remove, env, ""); err != nil {
			return err
		}
		var s sample
		if i == 0 {
			calls, err = b.countCalls(func() error { s, err = run(b.smartradex, add, env, key.Secret); return err })
		} else {
			s, err = run(b.smartradex, add, env, key.Secret)
		}
		if err != nil {
			return err
		}
		rt1, err := roundTrip(binanceRT, "")
		if err != nil {
			return err
		}
		rt2, err := roundTrip(serviceRT, b.token)
		if err != nil {
			return err
		}
		f, err := run(b.floor, []string{"version"}, env, "")
		if err != nil {
			return err
		}
		if i == 0 {
			continue // the first run counted the requests
		}
		as, fl, rts = append(as, s), append(fl, f), append(rts, rt1, rt2)
		refs = append(refs, f.wall+rt1+rt2)
	}
	b.note("smartradex keys add", as)
	b.reportNetwork("keys add", walls(as), refs, walls(fl), rts, 2, calls, addTarget)
	return nil
}

// seed logs in and adds every bot's key with the real smartradex, in the
// configuration (and secret store) that env selects.
func (b *bench) seed(env []string) error {
	if _, err := run(b.smartradex, []string{"auth", "login", "--with-token"}, env, b.token); err != nil {
		return err
	}
	for bot, k := range demoKeys() {
		args := []string{"keys", "add", "--bot", bot, "--api-key", k.APIKey, "--secret-stdin"}
		if _, err := run(b.smartradex, args, env, k.Secret); err != nil {
			return err
		}
	}
	return nil
}

// countCalls runs fn and returns how many requests the stand-ins received
// meanwhile.
func (b *bench) countCalls(fn func() error) (int, error) {
	b0, s0, err := b.sb.count()
	if err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	b1, s1, err := b.sb.count()
	if err != nil {
		return 0, err
	}
	return b1 - b0 + s1 - s0, nil
}

// reportNetwork prints a networked command's figures: its median against
// the reference (the floor's start-up plus trips measured round trips), and
// what a client making its calls one after another would cost.
func (b *bench) reportNetwork(name string, figure, refs, floor, rts []time.Duration, trips, calls int, target time.Duration) {
	m, ref, rt, mf := median(figure), median(refs), median(rts), median(floor)
	ratio := float64(m) / float64(ref)
	sequential := mf + time.Duration(calls)*rt
	fmt.Printf("%-28s median %s (p90 %s, max %s)\n", name, fmtDur(m), fmtDur(pct(figure, 90)), fmtDur(slices.Max(figure)))
	fmt.Printf("%-28s median %s = floor start-up %s + %d round trip(s) of %s\n", "reference", fmtDur(ref), fmtDur(mf), trips, fmtDur(rt))
	fmt.Printf("%-28s %d requests; one after another they would take %s + %d x %s = %s\n",
		"one call after another", calls, fmtDur(mf), calls, fmtDur(rt), fmtDur(sequential))
	b.add(row{
		name: name, figure: fmtDur(m), reference: fmt.Sprintf("%s (floor + %d RT)", fmtDur(ref), trips),
		ratio: fmt.Sprintf("%.2fx", ratio), target: "< " + fmtDur(target),
	}, m < target)
	b.add(row{
		name: "  (" + name + ", calls one after another)", figure: fmtDur(sequential),
		reference: fmt.Sprintf("(floor + %d RT)", calls), ratio: fmt.Sprintf("%.2fx", float64(sequential)/float64(ref)),
		target: "-", result: "for comparison",
	}, true)
}

// fileStore measures the encrypted file store's own cost: keys verify with
// every bot (and the service token) in it, at the default scrypt work
// factor, interleaved with keys verify on the system keyring; and one
// passphrase derivation on its own.
func (b *bench) fileStore() error {
	dir := filepath.Join(b.work, "file")
	pass := randomHex(16)
	fileEnv := append(slices.Clone(b.env), "SMARTRADEX_CONFIG_DIR="+dir,
		"SMARTRADEX_KEYRING=file", "SMARTRADEX_PASSPHRASE="+pass)
	sysEnv := append(slices.Clone(b.env), "SMARTRADEX_CONFIG_DIR="+filepath.Join(b.work, "system"))
	fmt.Printf("\n== encrypted file store (default scrypt work factor): keys verify, %d interleaved runs\n", b.fileRuns)
	if err := b.seed(fileEnv); err != nil {
		return err
	}
	verify := []string{"keys", "verify"}
	var fs, ss []sample
	for range b.fileRuns {
		f, err := run(b.smartradex, verify, fileEnv, "")
		if err != nil {
			return err
		}
		s, err := run(b.smartradex, verify, sysEnv, "")
		if err != nil {
			return err
		}
		fs, ss = append(fs, f), append(ss, s)
	}
	fresh, warm, err := b.scryptCost(pass, 3)
	if err != nil {
		return err
	}
	mf, ms := median(walls(fs)), median(walls(ss))
	fmt.Printf("%-28s median %s\n", "keys verify, file store", fmtDur(mf))
	fmt.Printf("%-28s median %s\n", "keys verify, system keyring", fmtDur(ms))
	fmt.Printf("%-28s %s\n", "difference", fmtDur(mf-ms))
	fmt.Printf("%-28s %s in a new process (256 MiB of new memory), %s in a process that has it\n", "one derivation alone", fmtDur(fresh), fmtDur(warm))
	b.peakRSS["smartradex keys verify (file store)"] = maxRSS(fs)
	b.add(row{
		name: "keys verify, file store", figure: fmtDur(mf), reference: fmtDur(ms) + " system keyring",
		ratio: fmt.Sprintf("%.2fx", float64(mf)/float64(ms)), target: "-",
		result: fmt.Sprintf("own cost %s; 1 derivation = %s", fmtDur(mf-ms), fmtDur(fresh)),
	}, true)
	return nil
}

// scryptCost times the unwrapping of an age file encrypted to pass with
// age's default scrypt work factor (the one smartradex uses): one key
// derivation, as the file store pays once per command. It is timed in
// fresh processes (as a command pays it, with 256 MiB of new memory) and
// again and again in this one, where the memory is already there.
func (b *bench) scryptCost(pass string, n int) (fresh, warm time.Duration, err error) {
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return 0, 0, err
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return 0, 0, err
	}
	if _, err := io.WriteString(w, "x"); err != nil {
		return 0, 0, err
	}
	if err := w.Close(); err != nil {
		return 0, 0, err
	}
	file := filepath.Join(b.work, "derive.age")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		return 0, 0, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, 0, err
	}
	env := append(os.Environ(), "SMARTRADEX_BENCH_AGE_FILE="+file, "SMARTRADEX_PASSPHRASE="+pass)
	var fs, ws []time.Duration
	for range n {
		ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
		cmd := exec.CommandContext(ctx, self, deriveOnce) //nolint:gosec // this very program
		cmd.Env = env
		out, err := cmd.Output()
		cancel()
		if err != nil {
			return 0, 0, fmt.Errorf("%s %s: %w", self, deriveOnce, err)
		}
		d, err := time.ParseDuration(strings.TrimSpace(string(out)))
		if err != nil {
			return 0, 0, err
		}
		fs = append(fs, d)
		if d, err = derive(file, pass); err != nil {
			return 0, 0, err
		}
		ws = append(ws, d)
	}
	return median(fs), median(ws), nil
}

// deriveOnce makes measure time one derivation and exit (see scryptCost).
const deriveOnce = "-derive-once"

// derive times the decryption of the age file at path with pass.
func derive(path, pass string) (time.Duration, error) {
	ct, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	id, err := age.NewScryptIdentity(pass)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	r, err := age.Decrypt(bytes.NewReader(ct), id)
	if err != nil {
		return 0, err
	}
	if _, err := io.ReadAll(r); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (b *bench) memoryAndSize() {
	fmt.Println("\n== peak memory (max RSS of the child, highest of all its runs) and size")
	names := make([]string, 0, len(b.peakRSS))
	for n := range b.peakRSS {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rss := b.peakRSS[n]
		fmt.Printf("%-40s %s\n", n, fmtMB(rss))
		if n == "floor" {
			continue
		}
		r := row{name: "peak memory: " + strings.TrimPrefix(n, "smartradex "), figure: fmtMB(rss), target: "< " + fmtMB(memoryTarget)}
		if strings.Contains(n, "file store") {
			// scrypt at age's default work factor needs 256 MiB by design:
			// that is the file store's own cost, reported, not a target.
			r.target, r.result = "-", "file store's own cost"
		}
		if fr, ok := b.peakRSS["floor"]; ok {
			r.reference, r.ratio = fmtMB(fr)+" floor", fmt.Sprintf("%.2fx", float64(rss)/float64(fr))
		}
		b.add(r, r.target == "-" || rss < memoryTarget)
	}
	for _, bin := range []struct{ name, path string }{{"smartradex", b.smartradex}, {"floor", b.floor}} {
		fi, err := os.Stat(bin.path)
		if err != nil {
			continue
		}
		fmt.Printf("%-40s %s\n", "binary size: "+bin.name, fmtMB(fi.Size()))
		if bin.name == "smartradex" {
			fl, _ := os.Stat(b.floor)
			r := row{name: "binary size (stripped)", figure: fmtMB(fi.Size()), target: "< " + fmtMB(sizeTarget)}
			if fl != nil {
				r.reference, r.ratio = fmtMB(fl.Size())+" floor", fmt.Sprintf("%.2fx", float64(fi.Size())/float64(fl.Size()))
			}
			b.add(r, fi.Size() < sizeTarget)
		}
	}
}

// note records the peak memory of a command's runs.
func (b *bench) note(name string, s []sample) {
	b.peakRSS[name] = max(b.peakRSS[name], maxRSS(s))
}

func (b *bench) add(r row, pass bool) {
	if r.result == "" {
		r.result = "pass"
		if !pass {
			r.result = "FAIL"
		}
	}
	if !pass {
		b.failed++
	}
	b.rows = append(b.rows, r)
}

func (b *bench) printTable() {
	fmt.Println("\n== summary")
	head := row{"figure", "measured", "reference", "ratio", "target", "result"}
	rows := append([]row{head}, b.rows...)
	w := [5]int{}
	for _, r := range rows {
		for i, s := range []string{r.name, r.figure, r.reference, r.ratio, r.target} {
			w[i] = max(w[i], len([]rune(s)))
		}
	}
	for _, r := range rows {
		fmt.Printf("%-*s  %*s  %-*s  %*s  %-*s  %s\n", w[0], r.name, w[1], r.figure, w[2], r.reference, w[3], r.ratio, w[4], r.target, r.result)
	}
}

// runTimeout bounds each run, so that a command that hangs fails the
// benchmark instead of stalling it.
const runTimeout = 2 * time.Minute

// sample is one run of a command: its wall-clock time, from fork to exit,
// and its peak resident memory.
type sample struct {
	wall time.Duration
	cpu  time.Duration // user and system time, all threads
	rss  int64         // bytes
}

// output receives the output of every run: a regular file, so that the
// child writes to it directly and the measuring side does no work while
// it runs, and so that a failure can be explained.
var output *os.File

// run runs bin once, with stdin (if any) on a pipe.
func run(bin string, args, env []string, stdin string) (sample, error) {
	if err := output.Truncate(0); err != nil {
		return sample{}, err
	}
	if _, err := output.Seek(0, io.SeekStart); err != nil {
		return sample{}, err
	}
	// Not CommandContext: it starts a goroutine per run, which can wake a
	// thread of this process while the child starts on a two-core machine.
	cmd := exec.Command(bin, args...) //nolint:gosec,noctx // the binaries bench/run built; a timer bounds the run
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = output, output
	if stdin != "" {
		r, w, err := os.Pipe()
		if err != nil {
			return sample{}, err
		}
		defer r.Close()
		// Small enough for the pipe's buffer: written before the start.
		if _, err := io.WriteString(w, stdin); err != nil {
			return sample{}, err
		}
		w.Close()
		cmd.Stdin = r
	}
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		timer := time.AfterFunc(runTimeout, func() { _ = cmd.Process.Kill() })
		err = cmd.Wait()
		timer.Stop()
	}
	wall := time.Since(start)
	if err != nil {
		out, _ := os.ReadFile(output.Name())
		return sample{}, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	s := sample{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		s.rss = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return s, nil
}

// roundTrip times one request on a new connection, as a new process makes.
func roundTrip(url, token string) (time.Duration, error) {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return d, nil
}

// standins is the running bench/standins process.
type standins struct {
	cmd              *exec.Cmd
	in               io.WriteCloser
	out              *bufio.Scanner
	binance, service string
}

func startStandins(path string, latency time.Duration, token string) (*standins, error) {
	// It ends when its standard input closes (see close).
	cmd := exec.CommandContext(context.Background(), path, "-latency", latency.String()) //nolint:gosec // bench/standins, built by bench/run
	cmd.Env = append(os.Environ(), "SMARTRADEX_BENCH_TOKEN="+token)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &standins{cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	for _, want := range []string{"binance", "service"} {
		if !s.out.Scan() {
			s.close()
			return nil, errors.New("the stand-ins did not start")
		}
		name, url, _ := strings.Cut(s.out.Text(), " ")
		if name != want || !strings.HasPrefix(url, "http://127.0.0.1:") {
			s.close()
			return nil, fmt.Errorf("the stand-ins said %q", s.out.Text())
		}
		if want == "binance" {
			s.binance = url
		} else {
			s.service = url
		}
	}
	return s, nil
}

func (s *standins) count() (binance, service int, err error) {
	if _, err := io.WriteString(s.in, "count\n"); err != nil {
		return 0, 0, err
	}
	if !s.out.Scan() {
		return 0, 0, errors.New("the stand-ins stopped")
	}
	if _, err := fmt.Sscanf(s.out.Text(), "requests %d %d", &binance, &service); err != nil {
		return 0, 0, fmt.Errorf("the stand-ins said %q: %w", s.out.Text(), err)
	}
	return binance, service, nil
}

func (s *standins) close() {
	_ = s.in.Close()
	_ = s.cmd.Wait()
}

// demoKeys are the stand-in's demo keys that pass the check, one per bot
// (on two sub-accounts, as the rules require).
func demoKeys() map[string]binancetest.Key {
	out := map[string]binancetest.Key{}
	for _, d := range binancetest.DemoKeys() {
		switch d.Name {
		case "ok":
			out["btc-spot"] = d.Key
		case "ok-eth":
			out["eth-spot"] = d.Key
		}
	}
	return out
}

// baseEnv is this process's environment without smartradex's own
// variables, in English and without colour.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SMARTRADEX_") || strings.HasPrefix(kv, "LANG=") || strings.HasPrefix(kv, "LC_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LANG=C", "NO_COLOR=1")
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func walls(s []sample) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, x := range s {
		out[i] = x.wall
	}
	return out
}

func cpus(s []sample) []time.Duration {
	out := make([]time.Duration, len(s))
	for i, x := range s {
		out[i] = x.cpu
	}
	return out
}

// pairedRatio is the median of a[i]/b[i]: runs i of a and b ran one after
// the other, under the same load.
func pairedRatio(a, b []sample) float64 {
	r := make([]float64, 0, len(a))
	for i := range min(len(a), len(b)) {
		r = append(r, float64(a[i].wall)/float64(b[i].wall))
	}
	if len(r) == 0 {
		return 0
	}
	slices.Sort(r)
	return r[(len(r)-1)/2]
}

func maxRSS(s []sample) int64 {
	var m int64
	for _, x := range s {
		m = max(m, x.rss)
	}
	return m
}

func median(d []time.Duration) time.Duration { return pct(d, 50) }

// pct is the p-th percentile (nearest rank) of d.
func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[max(i-1, 0)]
}

func fmtDur(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3f s", d.Seconds())
}

func fmtMB(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
