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

// Ctrl-C during the PUT: whether it reached SmartradeX cannot be known (a
// service may commit it after the client has gone), so the key is kept
// with its secret and the intent, the error says it may have reached
// SmartradeX, and the next command finishes the job.
func TestInterruptedAddIsSettledByTheNextCommand(t *testing.T) {
	e := newEnv(t)
	d := e.d
	res, err := e.addInterrupted(t, &interrupting{}, nil)
	var ae *apperr.Error
	if res == nil || res.Registered || kind(err) != apperr.Cancelled || !errors.As(err, &ae) || ae.Message.Key != "enroll.cancelled_may_have_reached" {
		t.Fatalf("add: %+v, %v", res, err)
	}
	if strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("says nothing was changed: %v", err)
	}
	if h := hints(err); !h["enroll.intent_next_hint"] || !h["enroll.undo_hint"] {
		t.Errorf("hints %v", h)
	}
	if en := e.entry(t, "btc-spot"); en == nil || en.Status != state.StatusPending || e.secret("bot/btc-spot") == "" || e.intent(t, "btc-spot") == nil {
		t.Fatalf("entry %+v", en)
	}
	e.d = d
	out, err := Settle(context.Background(), e.d)
	if err != nil || len(out) != 1 || out[0].Outcome != OutcomeRegistered {
		t.Fatalf("settle: %+v, %v", out, err)
	}
	e.agree(t, "btc-spot")
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
	e.agree(t, "btc-spot")
}

// Ctrl-C, and the service cannot say whether it got the key: the key is
// kept as pending with the intent, and the error says how it is finished
// or undone.
func TestInterruptedAddUnknownIsKeptPending(t *testing.T) {
	e := newEnv(t)
	res, err := e.addInterrupted(t, &interrupting{deliver: true, getFails: true}, nil)
	if res == nil || res.Registered || kind(err) != apperr.Cancelled {
		t.Fatalf("add: %+v, %v", res, err)
	}
	if h := hints(err); !h["enroll.intent_next_hint"] || !h["enroll.undo_hint"] {
		t.Errorf("hints %v", h)
	}
	if en := e.entry(t, "btc-spot"); en == nil || en.Status != state.StatusPending || e.secret("bot/btc-spot") == "" || e.intent(t, "btc-spot") == nil {
		t.Fatalf("entry %+v", en)
	}
}

// An interrupted add of a key made by `keys generate` keeps the key (its
// secret is stored under the bot's own name) until the next command
// settles it; then no copy of the generated key is left.
func TestInterruptedAddFromGenerated(t *testing.T) {
	e := newEnv(t)
	d := e.d
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
	e.d = d
	if _, err := Settle(ctx, e.d); err != nil {
		t.Fatal(err)
	}
	if e.secret(secrets.BotGeneratedSecretName("btc-spot")) != "" {
		t.Fatal("the generated key was left beside the key in force")
	}
	e.agree(t, "btc-spot")
}

// A rotation interrupted during its PUT: if SmartradeX already holds the
// new key it is finished at once; otherwise both keys stay, named, and the
// next command asks SmartradeX and finishes it.
func TestInterruptedRotate(t *testing.T) {
	cases := []struct {
		name    string
		tr      *interrupting
		rotated bool // finished by the interrupted command itself
	}{
		{"not answered: settled next", &interrupting{}, false},
		{"sent: finished, too late to stop", &interrupting{deliver: true}, true},
		{"cannot tell: settled next", &interrupting{deliver: true, getFails: true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			d := e.d
			if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
				t.Fatal(err)
			}
			oldKey, newKey := demo(t, "ok"), demo(t, "same-subaccount")
			res, err := e.interrupted(t, c.tr, "same-subaccount", nil, Rotate)
			en := e.entry(t, "btc-spot")
			if c.rotated {
				if err != nil || res == nil || res.Replaced == nil || en.APIKey != newKey.APIKey || e.secret(en.SecretName) != newKey.Secret {
					t.Fatalf("rotate: %+v, %v; entry %+v", res, err, en)
				}
				e.agree(t, "btc-spot")
				return
			}
			var ae *apperr.Error
			if kind(err) != apperr.Cancelled || !errors.As(err, &ae) || ae.Message.Key != "enroll.rotate_cancelled_may_have_reached" || !hints(err)["enroll.intent_next_hint"] {
				t.Fatalf("rotate: %+v, %v", res, err)
			}
			in := e.intent(t, "btc-spot")
			if en.APIKey != oldKey.APIKey || e.secret(en.SecretName) != oldKey.Secret || in == nil || e.secret(in.Key.SecretName) != newKey.Secret {
				t.Fatalf("entry %+v, intent %+v", en, in)
			}
			e.d = d
			out, err := Settle(context.Background(), e.d)
			if err != nil || len(out) != 1 || out[0].Outcome != OutcomeRotated {
				t.Fatalf("settle: %+v, %v", out, err)
			}
			e.agree(t, "btc-spot")
		})
	}
}
