package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// intentCmds are the script commands of the intent scripts (intent_*.txtar).
func intentCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"keys-agree":        cmdKeysAgree,
		"mount-as":          cmdMountAs,
		"fill-disk":         cmdFillDisk,
		"service-arrived":   cmdServiceArrived,
		"service-wait":      cmdServiceWait,
		"service-wait-gone": cmdServiceWaitGone,
	}
}

// service-arrived METHOD PATH-PREFIX N waits (at most 10s) until the
// service has received N matching requests, answered or still in flight:
// a script uses it to interrupt smartradex while its request is at the
// service.
func cmdServiceArrived(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: service-arrived METHOD PATH-PREFIX N|+N")
	}
	rel, relative := strings.CutPrefix(args[2], "+")
	var want int
	_, err := fmt.Sscan(rel, &want)
	ts.Check(err)
	if relative {
		// Counted from the last service-fault: how many requests came
		// before depends on timing (a delayed PUT may commit before the
		// next command asks), the one the fault holds does not.
		want += arrivalsAtFault(ts, args[0], args[1])
	}
	poll(ts, "the service to receive "+args[0]+" "+args[1], func() bool {
		return serviceArrived(ts, args[0], args[1], want)
	})
}

// faultMarks holds, per running script, the requests the service had
// received when the script last injected a fault.
var faultMarks sync.Map // *testscript.TestScript -> []servicetest.Request

// markFault records what the service has received so far, for
// service-arrived +N.
func markFault(ts *testscript.TestScript) {
	faultMarks.Store(ts, serviceStand(ts).Arrived())
}

func arrivalsAtFault(ts *testscript.TestScript, method, prefix string) int {
	v, ok := faultMarks.Load(ts)
	if !ok {
		ts.Fatalf("service-arrived +N counts from a service-fault, and there was none")
	}
	return countArrived(v.([]servicetest.Request), method, prefix)
}

// countArrived counts the requests of method ("" for any) whose path
// starts with prefix.
func countArrived(reqs []servicetest.Request, method, prefix string) int {
	n := 0
	for _, r := range reqs {
		if (method == "" || r.Method == method) && strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

// serviceArrived tells whether the service has received at least n
// requests of method whose path starts with prefix.
func serviceArrived(ts *testscript.TestScript, method, prefix string, n int) bool {
	got := 0
	for _, r := range serviceStand(ts).Arrived() {
		if r.Method == method && strings.HasPrefix(r.Path, prefix) {
			got++
		}
	}
	return got >= n
}

// service-wait BOT APIKEY waits (at most 10s) until the service holds
// APIKEY for BOT: a delayed PUT has committed.
func cmdServiceWait(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: service-wait BOT APIKEY")
	}
	poll(ts, "the service to hold the key of "+args[0], func() bool {
		reg, ok := serviceStand(ts).Registration(args[0])
		return ok && reg.APIKey == args[1]
	})
}

// service-wait-gone BOT waits (at most 10s) until the service holds no
// key for BOT: a delayed DELETE has committed.
func cmdServiceWaitGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: service-wait-gone BOT")
	}
	poll(ts, "the service to hold no key for "+args[0], func() bool {
		_, ok := serviceStand(ts).Registration(args[0])
		return !ok
	})
}

func poll(ts *testscript.TestScript, what string, done func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			ts.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keys-agree BOT checks, for BOT, that the three places agree: no intent
// is left in the index; the key SmartradeX holds (if any) is the one the
// index names, marked registered, with that very secret in the store; an
// entry SmartradeX does not hold is not marked registered; the entry's
// secret is in the store; and no secret slot of the bot is one the index
// does not name. It prints "service=KEY index=KEY status=S" (KEY "-" for
// none) for stdout to match.
func cmdKeysAgree(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: keys-agree BOT")
	}
	bot := args[0]
	dir := ts.Getenv("SMARTRADEX_CONFIG_DIR")
	snap, err := state.Open(dir).Load()
	ts.Check(err)
	if in := snap.Intents[bot]; in != nil {
		ts.Fatalf("the index still holds an intent for %s: %s of %s", bot, in.Op, in.Key.APIKey)
	}
	store, err := secrets.Open(secrets.Options{
		Backend: ts.Getenv("SMARTRADEX_KEYRING"), Dir: dir,
		Passphrase: func(context.Context) (string, error) { return ts.Getenv("SMARTRADEX_PASSPHRASE"), nil },
	})
	ts.Check(err)
	get := func(name string) string {
		v, err := store.Get(context.Background(), name)
		if err != nil && !errors.Is(err, secrets.ErrNotFound) {
			ts.Fatalf("store: %v", err)
		}
		return v
	}
	en := snap.Entries[bot]
	svcKey, idxKey, status := "-", "-", "-"
	if en != nil {
		idxKey, status = en.APIKey, string(en.Status)
		if get(en.SecretName) == "" {
			ts.Fatalf("the index names %s for %s, which the store does not hold", en.SecretName, bot)
		}
	}
	if reg, ok := serviceStand(ts).Registration(bot); ok {
		svcKey = reg.APIKey
		if en == nil || en.APIKey != reg.APIKey {
			ts.Fatalf("SmartradeX holds %s for %s, the index names %s", reg.APIKey, bot, idxKey)
		}
		if en.Status != state.StatusRegistered {
			ts.Fatalf("SmartradeX holds the key of %s, the index says %s", bot, en.Status)
		}
		if get(en.SecretName) != reg.APISecret {
			ts.Fatalf("SmartradeX holds the key of %s with a secret this computer does not have", bot)
		}
	} else if en != nil && en.Status == state.StatusRegistered {
		ts.Fatalf("the index says the key of %s is registered; SmartradeX holds nothing", bot)
	}
	for _, slot := range []string{secrets.BotSecretName(bot), secrets.BotNextSecretName(bot)} {
		if get(slot) != "" && (en == nil || en.SecretName != slot) {
			ts.Fatalf("the store holds %s, which the index does not name", slot)
		}
	}
	fmt.Fprintf(ts.Stdout(), "service=%s index=%s status=%s\n", svcKey, idxKey, status)
}

// mount-as tmpfs|ro DIR [SIZE] mounts, over DIR, a tmpfs of SIZE (e.g.
// 64k) or DIR itself read-only, and unmounts it when the script ends. It
// needs root: scripts guard it with [!root] skip.
func cmdMountAs(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 || (args[0] != "tmpfs" && args[0] != "ro") {
		ts.Fatalf("usage: mount-as tmpfs|ro DIR [SIZE]")
	}
	dir := ts.MkAbs(args[1])
	ts.Check(os.MkdirAll(dir, 0o700))
	var cmds [][]string
	if args[0] == "tmpfs" {
		size := "64k"
		if len(args) == 3 {
			size = args[2]
		}
		cmds = [][]string{{"mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=0700", "tmpfs", dir}}
	} else {
		cmds = [][]string{{"mount", "--bind", dir, dir}, {"mount", "-o", "remount,bind,ro", dir}}
	}
	for i, c := range cmds {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			if i > 0 {
				_ = exec.Command("umount", dir).Run()
			}
			ts.Fatalf("mount-as: %s: %v: %s", strings.Join(c, " "), err, out)
		}
	}
	ts.Defer(func() { _ = exec.Command("umount", "-l", dir).Run() })
}

// fill-disk DIR FREE fills the file system of DIR with a file (DIR/filler)
// until it is full, then gives back FREE bytes.
func cmdFillDisk(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fill-disk DIR FREE")
	}
	var free int64
	_, err := fmt.Sscan(args[1], &free)
	ts.Check(err)
	path := ts.MkAbs(args[0]) + "/filler"
	f, err := os.Create(path)
	ts.Check(err)
	buf := make([]byte, 4096)
	var n int64
	for {
		w, err := f.Write(buf)
		n += int64(w)
		if err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				ts.Fatalf("fill-disk: %v", err)
			}
			break
		}
	}
	ts.Check(f.Truncate(max(0, n-free)))
	ts.Check(f.Close())
}
