package enroll

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// interrupting plays the user pressing Ctrl-C while the PUT is under way:
// it cancels the command's context, after the service has answered the PUT
// (deliver: the service got the key, its answer is lost) or instead of
// sending it. GETs fail when getFails (the service cannot be asked about
// the key; the vault key is still served). It
// works on the connections of a real *http.Transport, which is what the
// service client accepts for a plain-http (loopback) URL.
type interrupting struct {
	cancel   context.CancelFunc
	deliver  bool
	getFails bool
}

func (t *interrupting) transport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &interruptConn{Conn: c, t: t}, nil
	}
	return tr
}

type interruptConn struct {
	net.Conn
	t      *interrupting
	method string
}

func (c *interruptConn) Write(p []byte) (int, error) {
	if c.method == "" {
		var target string
		c.method, target, _ = strings.Cut(string(p), " ")
		switch {
		case c.method == http.MethodPut && !c.t.deliver:
			c.t.cancel()
			return 0, context.Canceled
		// The vault key, fetched before the PUT, is not what is played here.
		case c.method == http.MethodGet && c.t.getFails && !strings.HasPrefix(target, "/v1/vault-key"):
			return 0, errors.New("connection reset by peer")
		}
	}
	return c.Conn.Write(p)
}

func (c *interruptConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.method == http.MethodPut && c.t.deliver && n > 0 {
		// The service has answered: it holds the key. The answer is lost.
		c.t.cancel()
		return 0, context.Canceled
	}
	return n, err
}

// addInterrupted runs Add with the PUT interrupted as tr says.
func (e *env) addInterrupted(t *testing.T, tr *interrupting, mod func(*Request)) (*Result, error) {
	t.Helper()
	return e.interrupted(t, tr, "ok", mod, Add)
}

// interrupted runs do (Add or Rotate) for the demo key name with the PUT
// interrupted as tr says.
func (e *env) interrupted(t *testing.T, tr *interrupting, name string, mod func(*Request), do func(context.Context, Deps, Request, *Checked) (*Result, error)) (*Result, error) {
	t.Helper()
	creds := demo(t, name)
	checked, err := Check(context.Background(), e.d, creds)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.d.Service(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := c.BaseURL()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tr.cancel = cancel
	e.d.Service = func(context.Context) (*service.Client, error) {
		return service.New(service.Options{BaseURL: base, Token: token, HTTP: &http.Client{Transport: tr.transport()}, Backoff: httpx.Backoff{Attempts: 1}})
	}
	req := Request{Bot: bot("btc-spot"), Creds: creds}
	if mod != nil {
		mod(&req)
	}
	return do(ctx, e.d, req, checked)
}

func hints(err error) map[string]bool {
	out := map[string]bool{}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for _, h := range ae.Hints {
			out[h.Key] = true
		}
	}
	return out
}

// Ctrl-C during the PUT, which the service never acted on: nothing changed.
func TestInterruptedAddIsUndone(t *testing.T) {
	e := newEnv(t)
	res, err := e.addInterrupted(t, &interrupting{}, nil)
	if res != nil || kind(err) != apperr.Cancelled || code(err) != "cancelled" {
		t.Fatalf("add: %+v, %v", res, err)
	}
	if e.entry(t, "btc-spot") != nil || e.secret("bot/btc-spot") != "" {
		t.Fatal("the key was left on this computer")
	}
	if _, found := e.svc.Registration("btc-spot"); found {
		t.Fatal("the service holds the key")
	}
}

// Ctrl-C once the service had stored the key: it stays, marked registered.
func TestInterruptedAddTooLateIsFinished(t *testing.T) {
	e := newEnv(t)
	res, err := e.addInterrupted(t, &interrupting{deliver: true}, nil)
	if err != nil || res == nil || !res.Registered {
		t.Fatalf("add: %+v, %v", res, err)
	}
	if en := e.entry(t, "btc-spot"); en == nil || en.Status != state.StatusRegistered || e.secret("bot/btc-spot") == "" {
		t.Fatalf("entry %+v", en)
	}
	if _, found := e.svc.Registration("btc-spot"); !found {
		t.Fatal("the service lost the key")
	}
}

// Ctrl-C, and the service cannot say whether it got the key: the key is
// kept as pending, and the error says how to finish or undo it.
func TestInterruptedAddUnknownIsKeptPending(t *testing.T) {
	e := newEnv(t)
	res, err := e.addInterrupted(t, &interrupting{deliver: true, getFails: true}, nil)
	if res == nil || res.Registered || kind(err) != apperr.Cancelled {
		t.Fatalf("add: %+v, %v", res, err)
	}
	if h := hints(err); !h["service.sync_hint"] || !h["enroll.undo_hint"] {
		t.Errorf("hints %v", h)
	}
	if en := e.entry(t, "btc-spot"); en == nil || en.Status != state.StatusPending || e.secret("bot/btc-spot") == "" {
		t.Fatalf("entry %+v", en)
	}
}

// Undoing an add of a key made by `keys generate` gives back the
// placeholder and the generated private key.
func TestInterruptedAddFromGeneratedGivesBackThePlaceholder(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := time.Now().UTC()
	placeholder := &state.Entry{Bot: "btc-spot", KeyType: "ED25519", Backend: e.store.Backend(), SecretName: secrets.BotGeneratedSecretName("btc-spot"),
		Status: state.StatusPending, CreatedAt: at, GeneratedAt: &at}
	if err := e.d.Index.Update(ctx, func(s *state.Snapshot) error {
		s.Entries["btc-spot"] = placeholder
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Set(ctx, secrets.BotGeneratedSecretName("btc-spot"), "generated-private-key"); err != nil {
		t.Fatal(err)
	}
	_, err := e.addInterrupted(t, &interrupting{}, func(r *Request) { r.FromGenerated = true })
	if kind(err) != apperr.Cancelled {
		t.Fatalf("add: %v", err)
	}
	en := e.entry(t, "btc-spot")
	if en == nil || !en.AwaitingAPIKey() || en.SecretName != secrets.BotGeneratedSecretName("btc-spot") {
		t.Fatalf("entry %+v", en)
	}
	if e.secret(secrets.BotGeneratedSecretName("btc-spot")) != "generated-private-key" || e.secret("bot/btc-spot") != "" {
		t.Fatal("the generated key was not kept, or the bot's secret was left")
	}
}

// A rotation interrupted during its PUT: the service is asked which key it
// holds, and this computer ends up agreeing with it.
func TestInterruptedRotate(t *testing.T) {
	cases := []struct {
		name      string
		tr        *interrupting
		rotated   bool   // the new key in force here
		extraHint string // besides "the old key is kept"
	}{
		{"not sent: the old key stays", &interrupting{}, false, ""},
		{"sent: finished, too late to stop", &interrupting{deliver: true}, true, ""},
		{"cannot tell: the old key stays, verify says", &interrupting{deliver: true, getFails: true}, false, "enroll.rotate_unknown_hint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
				t.Fatal(err)
			}
			oldKey, newKey := demo(t, "ok"), demo(t, "same-subaccount")
			res, err := e.interrupted(t, c.tr, "same-subaccount", nil, Rotate)
			en := e.entry(t, "btc-spot")
			if c.rotated {
				if err != nil || res == nil || res.Replaced == nil || en.APIKey != newKey.APIKey || e.secret("bot/btc-spot") != newKey.Secret {
					t.Fatalf("rotate: %+v, %v; entry %+v", res, err, en)
				}
			} else {
				if err == nil || en.APIKey != oldKey.APIKey || e.secret("bot/btc-spot") != oldKey.Secret {
					t.Fatalf("rotate: %+v, %v; entry %+v", res, err, en)
				}
				if h := hints(err); !h["enroll.old_key_kept"] || (c.extraHint != "" && !h[c.extraHint]) {
					t.Errorf("hints %v", h)
				}
			}
			if e.secret("bot/btc-spot/next") != "" {
				t.Error("the new secret was left beside the old one")
			}
		})
	}
}
