package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/secrets"
)

func addCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"service-has":     cmdServiceHas,
		"service-account": cmdServiceAccount,
		"store-has":       cmdStoreHas,
	}
}

// [!] service-has [-type T] [-public FILE] BOT [APIKEY [SECRET]] asserts
// what the service holds for BOT: with -type, the key type it was
// registered with; with -public, that its secret is the private key of the
// public key in FILE (the --json output of keys generate), which no script
// can know otherwise.
func cmdServiceHas(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("service-has", flag.ContinueOnError)
	keyType := fs.String("type", "", "key type")
	public := fs.String("public", "", "keys generate --json output")
	if err := fs.Parse(args); err != nil || fs.NArg() < 1 || fs.NArg() > 3 || (neg && fs.NFlag() > 0) {
		ts.Fatalf("usage: service-has [-type T] [-public FILE] BOT [APIKEY [SECRET]] (no flags with !)")
	}
	args = fs.Args()
	st, ok := serviceStand(ts).Registration(args[0])
	if neg {
		if ok && (len(args) == 1 || st.APIKey == args[1]) {
			ts.Fatalf("the service holds a key for %s", args[0])
		}
		return
	}
	if !ok {
		ts.Fatalf("the service holds no key for %s", args[0])
	}
	if len(args) > 1 && st.APIKey != args[1] {
		ts.Fatalf("the service holds another key for %s", args[0])
	}
	if len(args) > 2 && st.APISecret != args[2] {
		ts.Fatalf("the service holds another secret for %s", args[0])
	}
	if *keyType != "" && st.KeyType != *keyType {
		ts.Fatalf("the service holds a %s key for %s, want %s", st.KeyType, args[0], *keyType)
	}
	if *public != "" {
		var out struct {
			PublicKeyPEM string `json:"public_key_pem"`
		}
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(*public)), &out))
		pub, err := keygen.PublicPEM(st.APISecret)
		if err != nil {
			ts.Fatalf("the service's secret for %s is not an Ed25519 private key: %v", args[0], err)
		}
		if out.PublicKeyPEM == "" || pub != out.PublicKeyPEM {
			ts.Fatalf("the service's secret for %s is not the private key of the public key in %s", args[0], *public)
		}
	}
}

// service-account BOT... limits the script's account to these bots.
func cmdServiceAccount(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! service-account")
	}
	serviceStand(ts).AddAccount(scriptServiceToken, "subscriber@example.com", args)
}

// [!] store-has [-system] NAME [VALUE] asserts that the script's file
// secret store (or, with -system, the system keyring) holds NAME (with
// VALUE).
func cmdStoreHas(ts *testscript.TestScript, neg bool, args []string) {
	backend := secrets.BackendFile
	if len(args) > 0 && args[0] == "-system" {
		backend, args = secrets.BackendSystem, args[1:]
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: [!] store-has [-system] NAME [VALUE]")
	}
	store, err := secrets.Open(secrets.Options{
		Backend: backend, Dir: ts.Getenv("SMARTRADEX_CONFIG_DIR"),
		Passphrase: func(context.Context) (string, error) { return ts.Getenv("SMARTRADEX_PASSPHRASE"), nil },
	})
	ts.Check(err)
	v, err := store.Get(context.Background(), args[0])
	found := err == nil && (len(args) == 1 || v == args[1])
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		ts.Fatalf("store: %v", err)
	}
	if neg && found {
		ts.Fatalf("the store holds %s", args[0])
	}
	if !neg && !found {
		ts.Fatalf("the store does not hold %s (with that value)", args[0])
	}
}
