package enroll

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// interrupting plays the user pressing Ctrl-C while the PUT is under way:
// it cancels the command's context, after passing the PUT on (deliver: the
// service got the key, its answer is lost) or instead of it. GETs fail when
// getFails (the service cannot be asked).
type interrupting struct {
	cancel   context.CancelFunc
	deliver  bool
	getFails bool
}

func (t *interrupting) RoundTrip(r *http.Request) (*http.Response, error) {
	switch {
	case r.Method == http.MethodPut:
		if t.deliver {
			if resp, err := http.DefaultTransport.RoundTrip(r); err == nil {
				resp.Body.Close()
			}
		}
		t.cancel()
		return nil, context.Canceled
	case t.getFails:
		return nil, errors.New("connection reset by peer")
	}
	return http.DefaultTransport.RoundTrip(r)
}

// addInterrupted runs Add with the PUT interrupted as tr says.
func (e *env) addInterrupted(t *testing.T, tr *interrupting, mod func(*Request)) (*Result, error) {
	t.Helper()
	creds := demo(t, "ok")
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
		return service.New(service.Options{BaseURL: base, Token: token, HTTP: &http.Client{Transport: tr}, Backoff: httpx.Backoff{Attempts: 1}})
	}
	req := Request{Bot: bot("btc-spot"), Creds: creds}
	if mod != nil {
		mod(&req)
	}
	return Add(ctx, e.d, req, checked)
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
	placeholder := &state.Entry{Bot: "btc-spot", KeyType: "ED25519", Backend: e.store.Backend(), SecretName: GeneratedSecretName("btc-spot"),
		Status: state.StatusPending, CreatedAt: at, GeneratedAt: &at}
	if err := e.d.Index.Update(ctx, func(s *state.Snapshot) error {
		s.Entries["btc-spot"] = placeholder
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Set(ctx, GeneratedSecretName("btc-spot"), "generated-private-key"); err != nil {
		t.Fatal(err)
	}
	_, err := e.addInterrupted(t, &interrupting{}, func(r *Request) { r.FromGenerated = true })
	if kind(err) != apperr.Cancelled {
		t.Fatalf("add: %v", err)
	}
	en := e.entry(t, "btc-spot")
	if en == nil || !en.AwaitingAPIKey() || en.SecretName != GeneratedSecretName("btc-spot") {
		t.Fatalf("entry %+v", en)
	}
	if e.secret(GeneratedSecretName("btc-spot")) != "generated-private-key" || e.secret("bot/btc-spot") != "" {
		t.Fatal("the generated key was not kept, or the bot's secret was left")
	}
}
