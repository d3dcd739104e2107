package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/secrets"
)

func vaultCmds() map[string]func(*testscript.TestScript, bool, []string) {
	return map[string]func(*testscript.TestScript, bool, []string){
		"service-vault":    cmdServiceVault,
		"service-bots":     cmdServiceBots,
		"service-no-token": cmdServiceNoToken,
		"record-proxy":     cmdRecordProxy,
		"no-secret-in":     cmdNoSecretIn,
	}
}

// service-vault id|rotate sets VAULT_KEY_ID to the ID of the service's
// vault key, after replacing that key by a new one with rotate.
func cmdServiceVault(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || (args[0] != "id" && args[0] != "rotate") {
		ts.Fatalf("usage: service-vault id|rotate")
	}
	s := serviceStand(ts)
	if args[0] == "rotate" {
		s.RotateVaultKey()
	}
	ts.Setenv("VAULT_KEY_ID", s.VaultKey().ID())
}

// service-bots ID:NAME:LABEL... replaces the catalogue the service
// publishes (and accepts). NAME and LABEL may use Go escapes (\x1b…).
func cmdServiceBots(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: service-bots ID:NAME:LABEL...")
	}
	var list []bots.Bot
	for _, a := range args {
		parts := strings.SplitN(a, ":", 3)
		if len(parts) != 3 {
			ts.Fatalf("service-bots: %q is not ID:NAME:LABEL", a)
		}
		var b bots.Bot
		b.ID = parts[0]
		ts.Check(json.Unmarshal([]byte(`"`+parts[1]+`"`), &b.Name))
		ts.Check(json.Unmarshal([]byte(`"`+parts[2]+`"`), &b.Label))
		list = append(list, b)
	}
	serviceStand(ts).SetBots(list)
}

// service-no-token PATH-PREFIX asserts that no request to PATH-PREFIX
// carried a token, and that there was at least one.
func cmdServiceNoToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: service-no-token PATH-PREFIX")
	}
	n := 0
	for _, r := range serviceStand(ts).Requests() {
		if strings.HasPrefix(r.Path, args[0]) {
			n++
			if r.Token != "" {
				ts.Fatalf("%s %s carried a token", r.Method, r.Path)
			}
		}
	}
	if n == 0 {
		ts.Fatalf("no request to %s", args[0])
	}
}

// record-proxy LOGFILE starts a reverse proxy on 127.0.0.1 in front of the
// script's service, which records every request it forwards (method, path,
// headers, body) to LOGFILE, and points SMARTRADEX_SERVICE_URL at it. It
// sets SERVICE_DIRECT_URL to the service's own address.
func cmdRecordProxy(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: record-proxy LOGFILE")
	}
	logPath := ts.MkAbs(args[0])
	ts.Check(os.WriteFile(logPath, nil, 0o600))
	target, err := url.Parse(ts.Getenv("SMARTRADEX_SERVICE_URL"))
	ts.Check(err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var rec bytes.Buffer
		fmt.Fprintf(&rec, "%s %s\n", r.Method, r.URL.Path)
		r.Header.Write(&rec)
		fmt.Fprintf(&rec, "\n%s\n\n", body)
		mu.Lock()
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0o600); err == nil {
			_, _ = f.Write(rec.Bytes())
			_ = f.Close()
		}
		mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() { _ = srv.Close() })
	ts.Setenv("SERVICE_DIRECT_URL", ts.Getenv("SMARTRADEX_SERVICE_URL"))
	ts.Setenv("SMARTRADEX_SERVICE_URL", "http://"+ln.Addr().String())
}

// no-secret-in FILE [-store NAME] SECRET... asserts that FILE holds none
// of the secrets in any form a client could send them: as is,
// JSON-escaped, in standard or URL base64 (padded or not), in hex (either
// case), and, for a PEM, none of the base64 lines of its body. -store
// NAME adds the secret the script's file store holds under NAME.
func cmdNoSecretIn(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: no-secret-in FILE [-store NAME] SECRET...")
	}
	data := ts.ReadFile(args[0])
	if len(args) >= 3 && args[1] == "-store" {
		store, err := openTestStore(ts.Getenv("SMARTRADEX_CONFIG_DIR"), secrets.BackendFile, ts.Getenv("SMARTRADEX_PASSPHRASE"))
		ts.Check(err)
		v, err := store.Get(context.Background(), args[2])
		ts.Check(err)
		args = append([]string{args[0], v}, args[3:]...)
	}
	if strings.TrimSpace(data) == "" {
		ts.Fatalf("%s is empty: the check would prove nothing", args[0])
	}
	for i, secret := range args[1:] {
		if secret == "" {
			ts.Fatalf("secret #%d is empty", i+1)
		}
		escaped, _ := json.Marshal(secret)
		forms := []string{
			secret, strings.Trim(string(escaped), `"`),
			base64.StdEncoding.EncodeToString([]byte(secret)), base64.RawStdEncoding.EncodeToString([]byte(secret)),
			base64.URLEncoding.EncodeToString([]byte(secret)), base64.RawURLEncoding.EncodeToString([]byte(secret)),
			hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))),
		}
		for _, line := range strings.Split(secret, "\n") {
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				forms = append(forms, line)
			}
		}
		for _, form := range forms {
			if strings.Contains(data, form) {
				ts.Fatalf("%s holds secret #%d (a form of %d characters)", args[0], i+1, len(form))
			}
		}
	}
}
