package cli

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/binance/binancetest"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/service/servicetest"
)

// TestJSONErrorShape runs a failing case of every command with --json and
// checks that its error has the documented shape, whether it is the whole
// document ({"ok": false, "error": {...}}) or the "error" member of the
// command's own result (auth status, keys add): code, message, hints (a
// list, even empty) and exit_code, and nothing else.
func TestJSONErrorShape(t *testing.T) {
	const token = "shape-token-0123456789"
	bin := binancetest.StartTest(t)
	svc, surl := servicetest.StartTest(t, token, "sub@example.com", bots.IDs())
	ok, err := binancetest.DemoKeyByName("ok")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"SMARTRADEX_BINANCE_URL": bin.URL, "SMARTRADEX_SERVICE_URL": surl, "SMARTRADEX_TOKEN": token}
	withEnv := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range env {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	cases := []struct {
		name   string
		args   []string
		stdin  string
		env    map[string]string
		member bool   // the error is a member of the command's own result
		cause  string // in the message, after it
		code   string
		exit   int
		before func()
	}{
		{name: "unknown flag", args: []string{"keys", "list", "--nope"}, code: "usage.flag", exit: 2},
		{name: "keys check", args: []string{"keys", "check"}, code: "keys.missing_credentials", exit: 2},
		{name: "keys add", args: []string{"keys", "add", "--bot", "doge-spot"}, code: "keys.unknown_bot", exit: 2},
		{name: "keys rotate", args: []string{"keys", "rotate"}, exit: 2},
		{name: "keys generate", args: []string{"keys", "generate", "--bot", "doge-spot"}, exit: 2},
		{name: "keys list", args: []string{"keys", "list"}, env: map[string]string{"SMARTRADEX_KEYRING": "vault"}, code: "secrets.bad_backend", exit: 2},
		{name: "keys remove", args: []string{"keys", "remove", "--bot", "btc-spot"}, code: "keys.no_key", exit: 2},
		{name: "keys verify", args: []string{"keys", "verify", "--bot", "doge-spot"}, exit: 2},
		{name: "keys sync", args: []string{"keys", "sync", "--bot", "doge-spot"}, exit: 2},
		{name: "auth login", args: []string{"auth", "login", "--with-token"}, exit: 2},
		{name: "auth logout", args: []string{"auth", "logout"}, env: map[string]string{"SMARTRADEX_KEYRING": "vault"}, code: "secrets.bad_backend", exit: 2},
		{name: "bots", args: []string{"bots", "extra"}, exit: 2},
		{name: "version", args: []string{"version", "extra"}, exit: 2},
		{name: "auth status, token refused", args: []string{"auth", "status"}, env: map[string]string{"SMARTRADEX_TOKEN": "not-a-token-of-anyone"},
			member: true, code: "service.unauthorized", exit: 4},
		{name: "keys add, registration failed", args: []string{"keys", "add", "--bot", "btc-spot", "--api-key", ok.Key.APIKey, "--secret-stdin", "--skip-tutorial"},
			stdin: ok.Key.Secret, member: true, exit: 5, cause: "connection reset",
			before: func() {
				svc.Inject(servicetest.Fault{Method: "PUT", Path: "/v1/bots/btc-spot/binance-key", Reset: true})
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.before != nil {
				c.before()
				defer svc.ClearFaults()
			}
			r := runCLI(t, false, c.stdin, withEnv(c.env), append([]string{"--json"}, c.args...)...)
			if r.code != c.exit {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", r.code, c.exit, r.stdout, r.stderr)
			}
			var doc map[string]json.RawMessage
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
			}
			if !c.member && string(doc["ok"]) != "false" {
				t.Errorf(`"ok" is %s, want false`, doc["ok"])
			}
			var e map[string]json.RawMessage
			if err := json.Unmarshal(doc["error"], &e); err != nil {
				t.Fatalf("no error object: %v\n%s", err, r.stdout)
			}
			var keys []string
			for k := range e {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if strings.Join(keys, ",") != "code,exit_code,hints,message" {
				t.Errorf("error members %v, want code, exit_code, hints, message\n%s", keys, r.stdout)
			}
			var shape struct {
				Code     string   `json:"code"`
				Message  string   `json:"message"`
				Hints    []string `json:"hints"`
				ExitCode int      `json:"exit_code"`
			}
			if err := json.Unmarshal(doc["error"], &shape); err != nil {
				t.Fatalf("error object: %v", err)
			}
			if shape.Hints == nil || shape.Message == "" || shape.Code == "" || shape.ExitCode != c.exit {
				t.Errorf("error %+v", shape)
			}
			if c.cause != "" && !strings.Contains(shape.Message, c.cause) {
				t.Errorf("message %q lacks its cause %q", shape.Message, c.cause)
			}
			if c.code != "" && shape.Code != c.code {
				t.Errorf("code %q, want %q", shape.Code, c.code)
			}
			if strings.Contains(r.stdout+r.stderr, ok.Key.Secret) {
				t.Error("the secret was printed")
			}
		})
	}
}
