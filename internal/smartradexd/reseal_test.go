package smartradexd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/memstore"
)

// vaultFile generates a vault key into dir/name with vault-key generate.
func vaultFile(t *testing.T, dir, name string) (string, *seal.PrivateKey) {
	t.Helper()
	path := filepath.Join(dir, name)
	if r := run(t, nil, "vault-key", "generate", "--out", path); r.code != 0 {
		t.Fatalf("generate: %d %s", r.code, r.stderr)
	}
	k, err := loadVaultKey(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, k
}

// storedKeys reads the smartradexd_stored_keys gauge.
func storedKeys(t *testing.T, url string) string {
	t.Helper()
	_, body := get(t, http.DefaultClient, url+"/metrics", "")
	var out []string
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, "smartradexd_stored_keys{vault_key="); ok {
			out = append(out, rest)
		}
	}
	return strings.Join(out, " ")
}

type rotKey struct {
	email, token, bot, apiKey, keyType, secret string
}

// A rotation as docs/service.md tells it, through the real commands on one
// SQLite database: keys registered under vault key A; serve restarted with
// B and A as previous; reseal from A beside the running serve; then every
// key is sealed to B, opens with B to the secret registered, and no longer
// needs A. A seal that does not open with A is reported (masked) and left,
// with exit code 3, until it is dealt with. Nothing secret is printed,
// logged or stored in clear.
func TestVaultKeyRotationEndToEnd(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	fileA, keyA := vaultFile(t, keys, "a.key")
	fileB, keyB := vaultFile(t, keys, "b.key")
	db := filepath.Join(dir, "srx.db")
	env := map[string]string{"XDG_DATA_HOME": dir, "SMARTRADEXD_DB": db}

	srv := serve(t, env, "http", "--vault-key", fileA, "--check-interval", "0")
	var registered []rotKey
	for i, email := range []string{"ada@example.com", "bob@example.com", "cy@example.com"} {
		run(t, env, "admin", "subscriber", "add", email)
		run(t, env, "admin", "subscribe", email, "btc-spot")
		run(t, env, "admin", "subscribe", email, "eth-spot")
		tok := strings.TrimSpace(run(t, env, "admin", "token", "issue", email).stdout)
		for j, bot := range []string{"btc-spot", "eth-spot"} {
			k := rotKey{email: email, token: tok, bot: bot, keyType: "HMAC",
				apiKey: fmt.Sprintf("%sROTATIONKEY%02d%02d", strings.Repeat("R", 49), i, j),
				secret: fmt.Sprintf("RotationSecret%02d%02d%s", i, j, strings.Repeat("s", 46))}
			if j == 1 {
				k.keyType = "ED25519"
				k.secret = fmt.Sprintf("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIRotationEd25519Part%02d%02dXXXXXXXXXXXXXXXXX\n-----END PRIVATE KEY-----\n", i, j)
			}
			putSealed(t, srv.url, keyA.Public(), k)
			registered = append(registered, k)
		}
	}
	if got := storedKeys(t, srv.url); got != `"current"} 6 "previous"} 0 "other"} 0` {
		t.Errorf("stored keys under A = %s", got)
	}
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	// A seal that does not open with A (bound to another bot), as a
	// damaged row would be.
	st, err := openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	dana, err := st.AddSubscriber(context.Background(), "dana@example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	damagedAPIKey := strings.Repeat("D", 54) + "DAMAGEDKEY"
	damaged, _ := seal.Seal(keyA.Public(), "eth-spot", damagedAPIKey, "HMAC", []byte("DamagedSecretNeverPrinted0123456789"))
	if _, err := st.PutKey(context.Background(), store.Key{SubscriberID: dana.ID, Bot: "btc-spot", APIKey: damagedAPIKey, KeyType: "HMAC",
		SealedSecret: damaged, VaultKeyID: keyA.Public().ID(), RegisteredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	// Restarted with B, and A as previous (the environment, comma-separated).
	env2 := map[string]string{"XDG_DATA_HOME": dir, "SMARTRADEXD_DB": db, "SMARTRADEXD_PREVIOUS_VAULT_KEY": fileA + "," + fileA}
	srv = serve(t, env2, "http", "--vault-key", fileB, "--check-interval", "0")
	if !strings.Contains(srv.logs.String(), `"key_id":"`+keyA.Public().ID()+`"`) || !strings.Contains(srv.logs.String(), "previous vault key") {
		t.Errorf("the previous key is not logged: %s", srv.logs.String())
	}
	_, body := get(t, http.DefaultClient, srv.url+"/v1/vault-key", "")
	var vk seal.VaultKey
	if json.Unmarshal([]byte(body), &vk) != nil || vk.KeyID != keyB.Public().ID() {
		t.Fatalf("GET /v1/vault-key after the restart = %s", body)
	}
	if got := storedKeys(t, srv.url); got != `"current"} 0 "previous"} 7 "other"} 0` {
		t.Errorf("stored keys after the restart = %s", got)
	}
	// A subscriber replaces a key meanwhile, sealed to B.
	replaced := registered[0]
	replaced.apiKey = strings.Repeat("N", 52) + "REPLACEDKEYX"
	replaced.secret = "ReplacedSecret" + strings.Repeat("n", 50)
	putSealed(t, srv.url, keyB.Public(), replaced)
	registered[0] = replaced

	// The reseal, beside the running serve.
	r := run(t, env, "vault-key", "reseal", "--from", fileA, "--vault-key", fileB, "--json")
	outputs := r.stdout + r.stderr
	if r.code != ExitIncomplete {
		t.Fatalf("reseal = %d %s %s; want %d", r.code, r.stdout, r.stderr, ExitIncomplete)
	}
	var rep resealReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("reseal --json: %v: %s", err, r.stdout)
	}
	want := resealReport{From: keyA.Public().ID(), To: keyB.Public().ID(), Resealed: 5, AlreadyCurrent: 1, NotOpened: 1,
		NotOpenedKeys: []resealKey{{"dana@example.com", "btc-spot", store.MaskAPIKey(damagedAPIKey)}}, StillFrom: 1, NotCurrent: 1}
	if fmt.Sprint(rep) != fmt.Sprint(want) {
		t.Errorf("reseal report = %+v\nwant %+v", rep, want)
	}
	if !strings.Contains(r.stderr, "1 key(s) are not sealed to the current vault key") || !strings.Contains(r.stderr, "1 seal(s) do not open") {
		t.Errorf("reseal stderr = %s", r.stderr)
	}
	if got := storedKeys(t, srv.url); got != `"current"} 6 "previous"} 1 "other"} 0` {
		t.Errorf("stored keys after the reseal = %s", got)
	}

	// The damaged key is removed by its owner; run again: nothing more to
	// reseal, and the rotation is complete.
	danaToken := strings.TrimSpace(run(t, env, "admin", "token", "issue", "dana@example.com").stdout)
	run(t, env, "admin", "subscribe", "dana@example.com", "btc-spot")
	if code := do(t, "DELETE", srv.url+"/v1/bots/btc-spot/binance-key", danaToken, nil); code != 204 {
		t.Fatalf("DELETE = %d", code)
	}
	r = run(t, env, "vault-key", "reseal", "--from", fileA, "--vault-key", fileB)
	outputs += r.stdout + r.stderr
	if r.code != 0 || !regexp.MustCompile(`(?m)^resealed +0$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^already current +6$`).MatchString(r.stdout) ||
		!regexp.MustCompile(`(?m)^not sealed to the current key now +0$`).MatchString(r.stdout) || r.stderr != "" {
		t.Fatalf("reseal again = %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := storedKeys(t, srv.url); got != `"current"} 6 "previous"} 0 "other"} 0` {
		t.Errorf("stored keys at the end = %s", got)
	}
	metrics := storedKeys(t, srv.url)
	if code := srv.stop(); code != 0 {
		t.Fatalf("serve exit %d", code)
	}

	// Every key: sealed to B, opens with B to its secret, no longer with A.
	st, err = openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored, err := st.ActiveKeys(context.Background(), "")
	if err != nil || len(stored) != len(registered) {
		t.Fatalf("ActiveKeys: %d keys, %v; want %d", len(stored), err, len(registered))
	}
	for _, want := range registered {
		var k *store.Key
		for i := range stored {
			if stored[i].APIKey == want.apiKey {
				k = &stored[i]
			}
		}
		if k == nil || k.Bot != want.bot || k.KeyType != want.keyType {
			t.Errorf("key %s of %s: %+v", store.MaskAPIKey(want.apiKey), want.email, k)
			continue
		}
		if k.VaultKeyID != keyB.Public().ID() {
			t.Errorf("key %s: vault_key_id %s, want B", store.MaskAPIKey(k.APIKey), k.VaultKeyID)
		}
		secret, err := seal.Open(keyB, k.Bot, k.APIKey, k.KeyType, k.SealedSecret)
		if err != nil || string(secret) != want.secret {
			t.Errorf("key %s does not open with B to its secret: %v", store.MaskAPIKey(k.APIKey), err)
		}
		if _, err := seal.Open(keyA, k.Bot, k.APIKey, k.KeyType, k.SealedSecret); err == nil {
			t.Errorf("key %s still opens with A", store.MaskAPIKey(k.APIKey))
		}
	}
	log, err := st.AuditLog(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	var reseals []string
	for _, e := range log {
		if e.Action == store.ActionKeyReseal {
			if e.Actor != "admin" || e.SubscriberID == 0 || e.Bot == "" {
				t.Errorf("audit event %+v", e)
			}
			reseals = append(reseals, e.APIKey)
		}
	}
	if len(reseals) != 5 {
		t.Errorf("%d key.reseal events, want 5: %v", len(reseals), reseals)
	}
	for _, k := range registered[1:] {
		if !strings.Contains(strings.Join(reseals, " "), store.MaskAPIKey(k.apiKey)) {
			t.Errorf("no key.reseal event for %s", store.MaskAPIKey(k.apiKey))
		}
	}

	// Nothing secret in the outputs, the logs, the metrics or the database.
	var dbBytes []byte
	files, _ := filepath.Glob(db + "*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		dbBytes = append(dbBytes, b...)
	}
	if !bytes.Contains(dbBytes, []byte("dana@example.com")) {
		t.Fatal("the database files read do not hold the rotation: the scan would prove nothing")
	}
	type secretText struct{ what, value string }
	never := []secretText{{"the damaged key's secret", "DamagedSecretNeverPrinted"}, {"an ED25519 secret", "RotationEd25519Part"}}
	for _, k := range registered {
		never = append(never, secretText{"the secret of " + store.MaskAPIKey(k.apiKey), k.secret}, secretText{"a token", k.token})
	}
	for name, f := range map[string]string{"A": fileA, "B": fileB} {
		text, _ := os.ReadFile(f)
		raw, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(string(text)))
		if len(raw) == 0 {
			t.Fatalf("vault key %s unread", name)
		}
		never = append(never, secretText{"vault key " + name, strings.TrimSpace(string(text))}, secretText{"vault key " + name + " (raw)", string(raw)})
	}
	for _, n := range never {
		for where, data := range map[string][]byte{"the reseal's output": []byte(outputs), "the logs": []byte(srv.logs.String()),
			"the metrics": []byte(metrics), "the database": dbBytes} {
			if bytes.Contains(data, []byte(n.value)) {
				t.Errorf("%s holds %s", where, n.what)
			}
		}
	}
	for _, k := range registered {
		if strings.Contains(outputs, k.apiKey) || strings.Contains(outputs, damagedAPIKey) {
			t.Error("the reseal's output holds a full API key")
		}
	}
}

func putSealed(t *testing.T, url string, pub *seal.PublicKey, k rotKey) {
	t.Helper()
	sealed, err := seal.Seal(pub, k.bot, k.apiKey, k.keyType, []byte(k.secret))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"api_key": k.apiKey, "key_type": k.keyType, "vault_key_id": pub.ID(),
		"sealed_secret": base64.StdEncoding.EncodeToString(sealed)})
	if code := do(t, "PUT", url+"/v1/bots/"+k.bot+"/binance-key", k.token, body); code != 200 {
		t.Fatalf("PUT %s/%s = %d", k.email, k.bot, code)
	}
}

func do(t *testing.T, method, url, token string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// What reseal refuses before it changes anything, and how it counts keys
// sealed to a third vault key; serve refuses a previous key file as it
// refuses the current one.
func TestResealRefusals(t *testing.T) {
	dir := t.TempDir()
	fileA, keyA := vaultFile(t, dir, "a.key")
	fileB, keyB := vaultFile(t, dir, "b.key")
	_, keyC := vaultFile(t, dir, "c.key")
	open := filepath.Join(dir, "open.key")
	text, _ := os.ReadFile(fileA)
	if err := os.WriteFile(open, text, 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	dataDirA := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dataDirA, "smartradexd"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dataDirA, "smartradexd", "vault.key"), text, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr string
	}{
		{"no --from", nil, []string{"--vault-key", fileB}, ExitUsage, "needs --from OLD_KEY_FILE"},
		{"--from missing", nil, []string{"--from", filepath.Join(dir, "none.key"), "--vault-key", fileB}, ExitFailure, "--from: the vault key file " + filepath.Join(dir, "none.key") + " does not exist"},
		{"--from readable by others", nil, []string{"--from", open, "--vault-key", fileB}, ExitFailure, "chmod 600"},
		{"current readable by others", nil, []string{"--from", fileB, "--vault-key", open}, ExitFailure, "chmod 600"},
		{"--from is the current key", nil, []string{"--from", fileA, "--vault-key", fileA}, ExitUsage, "--from holds the current vault key " + keyA.Public().ID()},
		{"no current key in the data directory", map[string]string{"XDG_DATA_HOME": empty}, []string{"--from", fileA}, ExitFailure, "no current vault key"},
		// The rotation's usual slip: --vault-key NEW forgotten, so the
		// data directory's key, still OLD, is taken as the current one.
		{"--from is the data directory's key", map[string]string{"XDG_DATA_HOME": dataDirA}, []string{"--from", fileA},
			ExitUsage, "--from holds the current vault key " + keyA.Public().ID() + ", the data directory's " + filepath.Join(dataDirA, "smartradexd", "vault.key") + ": give the new key with --vault-key"},
		{"a stray argument", nil, []string{"--from", fileA, "--vault-key", fileB, "x"}, ExitUsage, "takes no argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"SMARTRADEXD_DB": "memory:refusals-" + tc.name}
			for k, v := range tc.env {
				env[k] = v
			}
			r := run(t, env, append([]string{"vault-key", "reseal"}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.stderr) || r.stdout != "" {
				t.Errorf("reseal %v = %d %q %q; want %d, %q", tc.args, r.code, r.stdout, r.stderr, tc.code, tc.stderr)
			}
		})
	}
	// The data directory's key is never generated by reseal.
	if _, err := os.Stat(filepath.Join(empty, "smartradexd", "vault.key")); err == nil {
		t.Error("reseal generated a vault key")
	}

	// The data directory's vault.key is the current key, as for serve.
	dataDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dataDir, "smartradexd"), 0o700); err != nil {
		t.Fatal(err)
	}
	textB, _ := os.ReadFile(fileB)
	if err := os.WriteFile(filepath.Join(dataDir, "smartradexd", "vault.key"), textB, 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"XDG_DATA_HOME": dataDir, "SMARTRADEXD_DB": "memory:reseal-other"}
	r := run(t, env, "vault-key", "reseal", "--from", fileA)
	if r.code != 0 || !strings.Contains(r.stdout, keyA.Public().ID()+" -> "+keyB.Public().ID()) {
		t.Fatalf("reseal of an empty database = %d %q %q", r.code, r.stdout, r.stderr)
	}
	// A key sealed to a third key is counted, not touched: exit 3.
	st := memoryStore("reseal-other")
	sub, err := st.AddSubscriber(context.Background(), "eve@example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	apiKey := strings.Repeat("E", 60) + "EVE1"
	sealedC, _ := seal.Seal(keyC.Public(), "btc-spot", apiKey, "HMAC", []byte("EveSecret"))
	if _, err := st.PutKey(context.Background(), store.Key{SubscriberID: sub.ID, Bot: "btc-spot", APIKey: apiKey, KeyType: "HMAC",
		SealedSecret: sealedC, VaultKeyID: keyC.Public().ID(), RegisteredAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "vault-key", "reseal", "--from", fileA, "--json")
	var rep resealReport
	if r.code != ExitIncomplete || json.Unmarshal([]byte(r.stdout), &rep) != nil || rep.OtherVaultKey != 1 || rep.NotCurrent != 1 ||
		rep.StillFrom != 0 || rep.Resealed != 0 || !strings.Contains(r.stderr, "1 key(s) are sealed to other vault keys: reseal --from each of them") {
		t.Errorf("reseal with a key sealed to a third key = %d %q %q", r.code, r.stdout, r.stderr)
	}
	if k, _ := st.GetKey(context.Background(), sub.ID, "btc-spot"); k.VaultKeyID != keyC.Public().ID() || !bytes.Equal(k.SealedSecret, sealedC) {
		t.Error("the key sealed to a third key was changed")
	}

	// serve refuses a previous key others can read, or missing, before it listens.
	for _, prev := range []string{open, filepath.Join(dir, "none.key")} {
		r := run(t, map[string]string{"SMARTRADEXD_DB": "memory:prev"}, "serve", "--addr", "127.0.0.1:0", "--vault-key", fileB,
			"--previous-vault-key", fileA, "--previous-vault-key", prev)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "--previous-vault-key") {
			t.Errorf("serve --previous-vault-key %s = %d %s", prev, r.code, r.stderr)
		}
	}
	if r := run(t, map[string]string{"SMARTRADEXD_DB": "memory:prev"}, "serve", "--addr", "127.0.0.1:0", "--vault-key", fileB,
		"--previous-vault-key", open); r.code != ExitFailure || !strings.Contains(r.stderr, "chmod 600") {
		t.Errorf("serve with a 0644 previous key = %d %s", r.code, r.stderr)
	}
}

// failingAfter is a store whose ResealKey fails once n keys are resealed,
// as a database lost in the middle of a run.
type failingAfter struct {
	store.Store
	n int
}

func (f *failingAfter) ResealKey(ctx context.Context, k store.Key, sealed []byte, id string, audit ...store.AuditEvent) (bool, error) {
	if f.n == 0 {
		return false, store.ErrUnavailable
	}
	f.n--
	return f.Store.ResealKey(ctx, k, sealed, id, audit...)
}

// Interrupted, a reseal has stored what it resealed and nothing else; run
// again, it continues with the rest and reseals no key twice.
func TestResealResumes(t *testing.T) {
	dir := t.TempDir()
	_, old := vaultFile(t, dir, "a.key")
	_, cur := vaultFile(t, dir, "b.key")
	st := memstore.New()
	ctx := context.Background()
	for i := range 5 {
		other, err := st.AddSubscriber(ctx, fmt.Sprintf("s%d@example.com", i), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		apiKey := fmt.Sprintf("%sRESUME%02d", strings.Repeat("Q", 56), i)
		sealed, _ := seal.Seal(old.Public(), "btc-spot", apiKey, "HMAC", []byte(fmt.Sprintf("ResumeSecret%02d", i)))
		if _, err := st.PutKey(ctx, store.Key{SubscriberID: other.ID, Bot: "btc-spot", APIKey: apiKey, KeyType: "HMAC",
			SealedSecret: sealed, VaultKeyID: old.Public().ID(), RegisteredAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{ctx: ctx}
	if _, err := reseal(e, &failingAfter{st, 2}, old, cur); err == nil || !strings.Contains(err.Error(), "after 2 resealed") {
		t.Fatalf("interrupted reseal: %v", err)
	}
	if got := vaultCountsOf(t, st); got[cur.Public().ID()] != 2 || got[old.Public().ID()] != 3 {
		t.Fatalf("after the interruption: %v", got)
	}
	rep, err := reseal(e, st, old, cur)
	if err != nil || rep.Resealed != 3 || rep.AlreadyCurrent != 2 || rep.NotCurrent != 0 {
		t.Fatalf("resumed reseal = %+v, %v; want 3 resealed, 2 already current", rep, err)
	}
	rep, err = reseal(e, st, old, cur)
	if err != nil || rep.Resealed != 0 || rep.AlreadyCurrent != 5 || rep.Changed != 0 {
		t.Fatalf("third run = %+v, %v; want nothing more", rep, err)
	}
	log, _ := st.AuditLog(ctx, 0)
	n := 0
	for _, ev := range log {
		if ev.Action == store.ActionKeyReseal {
			n++
		}
	}
	if n != 5 {
		t.Errorf("%d key.reseal events, want 5", n)
	}
}

func vaultCountsOf(t *testing.T, st store.Store) map[string]int {
	t.Helper()
	got, err := st.VaultKeyCounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return got
}
