package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// storageCmds are the script commands that prepare the key index and the
// secret store before `keys add` exists to do it.
func storageCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	return map[string]func(ts *testscript.TestScript, neg bool, args []string){
		"seed-key": seedKey,
	}
}

// seedKey: seed-key [-missing] [-status pending|registered] [-uid N] [-backend file|system] BOT APIKEY SECRET
//
// stores SECRET for BOT (unless -missing) in the backend, then adds BOT's
// index entry, in the order smartradex itself follows. It uses the
// script's SMARTRADEX_CONFIG_DIR, SMARTRADEX_KEYRING and SMARTRADEX_PASSPHRASE.
func seedKey(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! seed-key")
	}
	fs := flag.NewFlagSet("seed-key", flag.ContinueOnError)
	missing := fs.Bool("missing", false, "add the index entry without its secret")
	status := fs.String("status", "pending", "registration status")
	uid := fs.Int64("uid", 0, "Binance uid")
	backend := fs.String("backend", ts.Getenv("SMARTRADEX_KEYRING"), "secret store")
	if err := fs.Parse(args); err != nil || fs.NArg() != 3 {
		ts.Fatalf("usage: seed-key [-missing] [-status S] [-uid N] [-backend B] BOT APIKEY SECRET")
	}
	dir := ts.Getenv("SMARTRADEX_CONFIG_DIR")
	if dir == "" {
		ts.Fatalf("seed-key needs SMARTRADEX_CONFIG_DIR")
	}
	ts.Check(seedSpec{
		Dir: dir, Backend: *backend, Passphrase: ts.Getenv("SMARTRADEX_PASSPHRASE"),
		Bot: fs.Arg(0), APIKey: fs.Arg(1), Secret: fs.Arg(2),
		Status: state.Status(*status), UID: *uid, Missing: *missing,
	}.seed(context.Background()))
}

// seedSpec is one key to seed: its secret in the backend, then its index
// entry, in the order smartradex itself follows.
type seedSpec struct {
	Dir, Backend, Passphrase string
	Bot, APIKey, Secret      string
	Status                   state.Status
	UID                      int64
	Missing                  bool // the index entry only, without its secret
}

func (s seedSpec) seed(ctx context.Context) error {
	if s.Backend == "" {
		s.Backend = secrets.BackendSystem
	}
	if !s.Missing {
		store, err := openTestStore(s.Dir, s.Backend, s.Passphrase)
		if err != nil {
			return err
		}
		if err := store.Set(ctx, secrets.BotSecretName(s.Bot), s.Secret); err != nil {
			return err
		}
	}
	verified := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	entry := &state.Entry{
		Bot: s.Bot, APIKey: s.APIKey, KeyType: "HMAC", UID: s.UID, Backend: s.Backend,
		SecretName: secrets.BotSecretName(s.Bot), Status: s.Status,
		CreatedAt: verified.Add(-time.Hour),
	}
	if entry.Status == state.StatusRegistered {
		entry.VerifiedAt, entry.RegisteredAt = &verified, &verified
	}
	return state.Open(s.Dir).Update(ctx, func(snap *state.Snapshot) error {
		snap.Entries[s.Bot] = entry
		return nil
	})
}

// openTestStore opens a secret store as the tests set it up: a file store
// that is created with a cheap scrypt work factor, so that every later
// smartradex run unlocks it in milliseconds instead of about a second.
func openTestStore(dir, backend, passphrase string) (secrets.Store, error) {
	return secrets.Open(secrets.Options{
		Backend: backend, Dir: dir, ScryptWorkFactor: 10,
		Passphrase: func(context.Context) (string, error) { return passphrase, nil },
	})
}

// secretServiceCondition is true when a throwaway Secret Service is
// running for the tests (bash scripts/test). The keyring is shared with
// the whole session, so scripts that use fixed names such as bot/btc-spot
// run only when its data lives in a temporary directory, never in a
// developer's real keyring.
func secretServiceCondition(cond string) (bool, bool) {
	if cond != "secretservice" {
		return false, false
	}
	data := os.Getenv("XDG_DATA_HOME")
	tmp, _ := filepath.EvalSymlinks(os.TempDir())
	data, _ = filepath.EvalSymlinks(data)
	ok := os.Getenv("SMARTRADEX_TEST_SECRET_SERVICE") == "1" && data != "" && tmp != "" &&
		strings.HasPrefix(data, tmp+string(filepath.Separator))
	return ok, true
}

// passSecretServiceEnv hands the throwaway session's D-Bus address to the
// smartradex processes that scripts start; without it they cannot reach
// any keyring, so no script can touch a real one.
func passSecretServiceEnv(env *testscript.Env) {
	if ok, _ := secretServiceCondition("secretservice"); !ok {
		return
	}
	for _, name := range []string{"DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_DATA_HOME"} {
		if v := os.Getenv(name); v != "" {
			env.Setenv(name, v)
		}
	}
}
