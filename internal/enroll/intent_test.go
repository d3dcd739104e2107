package enroll

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/atomicfile"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

// failAt returns an index writer whose n-th write (from 1) fails as a full
// disk does; the others write.
func failAt(n ...int) func(string, []byte, os.FileMode) error {
	var count atomic.Int32
	fail := map[int]bool{}
	for _, i := range n {
		fail[i] = true
	}
	return func(path string, data []byte, perm os.FileMode) error {
		if fail[int(count.Add(1))] {
			return &os.PathError{Op: "write", Path: path, Err: syscall.ENOSPC}
		}
		return atomicfile.WriteFile(path, data, perm)
	}
}

func (e *env) intent(t *testing.T, botID string) *state.Intent {
	t.Helper()
	s, err := e.d.Index.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s.Intents[botID]
}

// agree asserts what the whole design promises once nothing is left to
// settle: the key SmartradeX holds for the bot is the key the index names,
// marked registered, with its secret in the store; every secret slot of the
// bot in the store is one the index names; and no entry names a missing
// secret.
func (e *env) agree(t *testing.T, botID string) {
	t.Helper()
	snap, err := e.d.Index.Load()
	if err != nil {
		t.Fatal(err)
	}
	if in := snap.Intents[botID]; in != nil {
		t.Fatalf("an intent is left: %+v", in)
	}
	en := snap.Entries[botID]
	reg, held := e.svc.Registration(botID)
	if held {
		if en == nil || en.APIKey != reg.APIKey || en.Status != state.StatusRegistered {
			t.Fatalf("SmartradeX holds %s, the index says %+v", reg.APIKey, en)
		}
		if e.secret(en.SecretName) != reg.APISecret {
			t.Fatalf("SmartradeX holds a key whose secret is not here")
		}
	} else if en != nil && en.Status == state.StatusRegistered {
		t.Fatalf("the index says registered, SmartradeX holds nothing: %+v", en)
	}
	if en != nil && e.secret(en.SecretName) == "" {
		t.Fatalf("the entry names a missing secret: %+v", en)
	}
	for _, slot := range []string{secrets.BotSecretName(botID), secrets.BotNextSecretName(botID)} {
		if e.secret(slot) != "" && (en == nil || en.SecretName != slot) {
			t.Fatalf("the secret in %s is named by nothing", slot)
		}
	}
}

// putAt registers key for the bot at the service, as a PUT that reached
// it would have.
func (e *env) putAt(t *testing.T, botID string, key binance.Credentials) {
	t.Helper()
	c, err := e.d.Service(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutKey(context.Background(), botID, service.KeyRegistration{APIKey: key.APIKey, APISecret: key.Secret, KeyType: string(key.Type)}); err != nil {
		t.Fatal(err)
	}
}

// The intent state machine: a command stopped (SIGKILL, power loss) at
// each point between its writes and its request, and the next command
// finds SmartradeX in each state it can be in. Afterwards the service, the
// index and the store agree, or, when SmartradeX cannot be asked, the
// intent stays and the error says the key may have reached it.
func TestSettleEveryInterruptionPoint(t *testing.T) {
	type point int
	const (
		afterIndex  point = iota // the entry and intent are written, not the secret
		afterSecret              // the secret too; the request not sent
		afterPut                 // the request reached SmartradeX
	)
	type answer int
	const (
		holdsNothing answer = iota
		holdsOther          // another key (from another computer, or the old one)
		down                // SmartradeX cannot be asked
		refusedNow          // Binance now reports a right SmartradeX refuses
	)
	points := map[point]string{afterIndex: "after the index", afterSecret: "after the secret", afterPut: "after the PUT"}
	answers := map[answer]string{holdsNothing: "holds nothing", holdsOther: "holds another key", down: "down", refusedNow: "refused now"}

	for _, op := range []state.Op{state.OpAdd, state.OpSync, state.OpRotate} {
		for p, pname := range points {
			for a, aname := range answers {
				if p == afterPut && a == holdsOther {
					continue // the PUT replaced it
				}
				t.Run(string(op)+"/"+pname+"/"+aname, func(t *testing.T) {
					e := newEnv(t)
					ctx := context.Background()
					oldKey, newName := demo(t, "ok"), "same-subaccount"
					if a == refusedNow {
						newName = "withdrawals"
					}
					newKey := demo(t, newName)
					now := time.Now().UTC()
					newEntry := &state.Entry{Bot: "btc-spot", APIKey: newKey.APIKey, KeyType: "HMAC", Backend: "system",
						SecretName: "bot/btc-spot", Status: state.StatusPending, CreatedAt: now}
					in := &state.Intent{Op: op, Since: now, Key: newEntry}
					if op == state.OpRotate {
						// The old key is in force, registered.
						if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
							t.Fatal(err)
						}
						ne := *newEntry
						ne.SecretName = "bot/btc-spot/next"
						in.Key, in.Replaces = &ne, oldKey.APIKey
					}
					if err := e.d.Index.Update(ctx, func(s *state.Snapshot) error {
						if op != state.OpRotate {
							cp := *newEntry
							s.Entries["btc-spot"] = &cp
						}
						setIntent(s, "btc-spot", in)
						return nil
					}); err != nil {
						t.Fatal(err)
					}
					if p >= afterSecret {
						if err := e.store.Set(ctx, in.Key.SecretName, newKey.Secret); err != nil {
							t.Fatal(err)
						}
					}
					if p == afterPut {
						e.putAt(t, "btc-spot", newKey)
					}
					switch a {
					case holdsOther:
						if op != state.OpRotate {
							e.putAt(t, "btc-spot", demo(t, "ok-eth"))
						}
					case down:
						e.svc.SetDown(true)
					}

					out, err := Settle(ctx, e.d)
					if err != nil || len(out) != 1 {
						t.Fatalf("settle: %+v, %v", out, err)
					}
					r := out[0]
					if a == down {
						if r.Outcome != OutcomeUnsettled || kind(r.Err) != apperr.Unavailable || !hasHint(r.Err, "enroll.intent_next_hint") {
							t.Fatalf("down: %+v", r)
						}
						if e.intent(t, "btc-spot") == nil {
							t.Fatal("the intent was dropped while SmartradeX could not be asked")
						}
						// Once it answers, the next command settles it.
						e.svc.SetDown(false)
						if out, err = Settle(ctx, e.d); err != nil || len(out) != 1 {
							t.Fatalf("settle again: %+v, %v", out, err)
						}
						r = out[0]
					}
					if p == afterIndex && a == holdsOther && op != state.OpRotate {
						// A key registered from elsewhere is left alone; this
						// computer's half-stored key is taken back.
						if r.Outcome != OutcomeUndone || e.entry(t, "btc-spot") != nil || e.intent(t, "btc-spot") != nil {
							t.Fatalf("outcome %+v", r)
						}
						return
					}
					switch {
					case p == afterIndex:
						// The request comes after the secret: never sent.
						if r.Outcome != OutcomeUndone {
							t.Fatalf("outcome %+v", r)
						}
						if op == state.OpRotate {
							if en := e.entry(t, "btc-spot"); en.APIKey != oldKey.APIKey {
								t.Fatalf("entry %+v", en)
							}
						} else if en := e.entry(t, "btc-spot"); en != nil {
							t.Fatalf("an entry without its secret stayed: %+v", en)
						}
					case a == refusedNow && p != afterPut:
						// Checked again, refused: not sent, reported with the refusal.
						if kind(r.Err) != apperr.Refused || code(r.Err) != "enroll.recheck_refused" {
							t.Fatalf("outcome %+v", r)
						}
						if _, held := e.svc.Registration("btc-spot"); held && op != state.OpRotate {
							t.Fatal("a refused key was sent")
						}
						if reg, _ := e.svc.Registration("btc-spot"); op == state.OpRotate && reg.APIKey != oldKey.APIKey {
							t.Fatal("a refused key was sent")
						}
					case op == state.OpRotate:
						if r.Outcome != OutcomeRotated {
							t.Fatalf("outcome %+v", r)
						}
						if en := e.entry(t, "btc-spot"); en.APIKey != newKey.APIKey {
							t.Fatalf("entry %+v", en)
						}
					default:
						if r.Outcome != OutcomeRegistered || r.Err != nil {
							t.Fatalf("outcome %+v", r)
						}
					}
					e.agree(t, "btc-spot")
				})
			}
		}
	}
}

// Add with the index or the store failing at each write (a full disk, a
// keyring that refuses): nothing is left half-done, or what is left is
// named, reported, and taken back by the next command.
func TestAddWriteFailures(t *testing.T) {
	cases := []struct {
		name       string
		indexFails []int // which index writes fail
		storeFails bool
		code       string
		entryLeft  bool // the entry stays (pending) for the next command
	}{
		{"the entry and intent", []int{1}, false, "state.io", false},
		{"the secret", nil, true, "", false},
		{"the secret, then the rollback", []int{2}, true, "enroll.secret_not_stored", true},
		{"the settlement", []int{2}, false, "state.io", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ix := e.d.Index
			e.d.Index = ix.WithWriter(failAt(c.indexFails...))
			if c.storeFails {
				e.store.failSet["bot/btc-spot"] = true
			}
			_, err := e.add(t, "btc-spot", "ok", nil)
			if err == nil || (c.code != "" && code(err) != c.code) {
				t.Fatalf("err %v, want %s", err, c.code)
			}
			e.d.Index, e.store.failSet = ix, map[string]bool{}
			if got := e.entry(t, "btc-spot") != nil; got != c.entryLeft {
				t.Fatalf("entry left: %v", got)
			}
			if !c.entryLeft {
				if e.secret("bot/btc-spot") != "" || e.intent(t, "btc-spot") != nil {
					t.Fatal("a secret or an intent was left")
				}
				if _, held := e.svc.Registration("btc-spot"); held {
					t.Fatal("sent")
				}
			}
			// The next command settles whatever is left.
			if _, err := Settle(context.Background(), e.d); err != nil {
				t.Fatal(err)
			}
			e.agree(t, "btc-spot")
		})
	}
}

// keys remove in a config directory it cannot write: nothing is deleted at
// SmartradeX. A failure after the DELETE leaves an intent the next command
// finishes.
func TestRemoveOrderAndFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("index cannot be written", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
			t.Fatal(err)
		}
		ix := e.d.Index
		e.d.Index = ix.WithWriter(failAt(1))
		if _, err := Remove(ctx, e.d, RemoveRequest{Bot: "btc-spot"}); code(err) != "state.io" {
			t.Fatalf("err %v", err)
		}
		if _, held := e.svc.Registration("btc-spot"); !held {
			t.Fatal("deleted at SmartradeX although nothing could be deleted here")
		}
		e.d.Index = ix
		e.agree(t, "btc-spot")
	})
	t.Run("last write fails", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
			t.Fatal(err)
		}
		ix := e.d.Index
		e.d.Index = ix.WithWriter(failAt(2))
		_, err := Remove(ctx, e.d, RemoveRequest{Bot: "btc-spot"})
		if code(err) != "enroll.remove_partial" || !hasHint(err, "enroll.remove_next_hint") {
			t.Fatalf("err %v", err)
		}
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Message.Key != "enroll.remove_partial_deleted" {
			t.Fatalf("the error does not say the registration was deleted: %v", err)
		}
		e.d.Index = ix
		out, err := Settle(ctx, e.d)
		if err != nil || len(out) != 1 || out[0].Outcome != OutcomeRemoved {
			t.Fatalf("settle: %+v, %v", out, err)
		}
		if e.entry(t, "btc-spot") != nil {
			t.Fatal("entry left")
		}
		e.agree(t, "btc-spot")
	})
	t.Run("service down: nothing removed", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
			t.Fatal(err)
		}
		e.svc.SetDown(true)
		_, err := Remove(ctx, e.d, RemoveRequest{Bot: "btc-spot"})
		if kind(err) != apperr.Unavailable || !hasHint(err, "keys.remove.force_hint") {
			t.Fatalf("err %v", err)
		}
		e.svc.SetDown(false)
		if e.intent(t, "btc-spot") != nil {
			t.Fatal("an intent was left although nothing was sent")
		}
		e.agree(t, "btc-spot")
	})
	t.Run("another key at SmartradeX is left alone", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
			t.Fatal(err)
		}
		other := demo(t, "ok-eth")
		e.putAt(t, "btc-spot", other)
		res, err := Remove(ctx, e.d, RemoveRequest{Bot: "btc-spot"})
		if err != nil || res.Registration != RegOtherKey || res.OtherAPIKey != other.APIKey {
			t.Fatalf("%+v, %v", res, err)
		}
		if reg, _ := e.svc.Registration("btc-spot"); reg.APIKey != other.APIKey {
			t.Fatal("the other key was deleted")
		}
	})
	t.Run("an unfinished rotation goes too", func(t *testing.T) {
		e := newEnv(t)
		if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
			t.Fatal(err)
		}
		e.svc.SetDown(true)
		newKey := demo(t, "same-subaccount")
		checked, _ := Check(ctx, e.d, newKey)
		if _, err := Rotate(ctx, e.d, Request{Bot: bot("btc-spot"), Creds: newKey}, checked); kind(err) != apperr.Unavailable {
			t.Fatalf("rotate: %v", err)
		}
		e.svc.SetDown(false)
		e.putAt(t, "btc-spot", newKey) // the PUT reached SmartradeX after all
		res, err := Remove(ctx, e.d, RemoveRequest{Bot: "btc-spot"})
		if err != nil || res.Registration != RegDeleted {
			t.Fatalf("%+v, %v", res, err)
		}
		if e.secret("bot/btc-spot/next") != "" || e.secret("bot/btc-spot") != "" {
			t.Fatal("a secret was left")
		}
		e.agree(t, "btc-spot")
	})
}

// Concurrent rotations of one bot take turns from intent to settlement:
// whichever ends last, SmartradeX holds the key the index names.
func TestConcurrentRotationsAgree(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
		t.Fatal(err)
	}
	// A slow SmartradeX, so that the requests overlap.
	e.svc.Inject(servicetest.Fault{Method: "PUT", Delay: 30 * time.Millisecond})
	names := []string{"same-subaccount", "ok", "ok-eth", "same-subaccount", "ok", "ok-eth"}
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for _, name := range names {
			creds := demo(t, name)
			checked, err := Check(ctx, e.d, creds)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Some find the key already in force: that refusal is fine.
				_, _ = Rotate(ctx, e.d, Request{Bot: bot("btc-spot"), Creds: creds}, checked)
			}()
		}
		wg.Wait()
		e.agree(t, "btc-spot")
	}
}

// A key given a right SmartradeX refuses after it was added (pending) is
// checked again by keys sync, not sent, kept, and reported with the
// refusal keys check gives.
func TestSyncChecksAgainBeforeSending(t *testing.T) {
	e := newEnv(t)
	e.svc.SetDown(true)
	if _, err := e.add(t, "btc-spot", "ok", nil); kind(err) != apperr.Unavailable {
		t.Fatalf("add: %v", err)
	}
	e.svc.SetDown(false)
	ok := demo(t, "ok")
	e.bin.SetRestrictions(ok.APIKey, []byte(`{"ipRestrict":false,"createTime":1700000000000,"enableReading":true,"enableSpotAndMarginTrading":true,"enableWithdrawals":true}`))
	out, err := Sync(context.Background(), e.d)
	if err != nil || len(out) != 1 {
		t.Fatalf("sync: %+v, %v", out, err)
	}
	if kind(out[0].Err) != apperr.Refused || code(out[0].Err) != "enroll.recheck_refused" || out[0].Registered {
		t.Fatalf("sync result %+v", out[0])
	}
	for _, r := range e.svc.Requests() {
		if r.Method == http.MethodPut && r.Status != 0 {
			t.Fatalf("a refused key was sent: %+v", r)
		}
	}
	if en := e.entry(t, "btc-spot"); en == nil || en.Status != state.StatusPending || e.secret(en.SecretName) != ok.Secret {
		t.Fatalf("entry %+v", en)
	}
	e.agree(t, "btc-spot")
}

// A removal stopped at each point (intent written; DELETE reached
// SmartradeX; secret deleted here), and SmartradeX in each state: the next
// command finishes it. The key is gone here and at SmartradeX, a key
// SmartradeX holds from elsewhere is left alone, and while SmartradeX
// cannot be asked nothing more is deleted here.
func TestSettleRemoveAtEveryPoint(t *testing.T) {
	type point int
	const (
		afterIntent point = iota
		afterDelete
		afterSecret
	)
	type answer int
	const (
		holdsThis answer = iota
		holdsOther
		down
	)
	for p, pname := range map[point]string{afterIntent: "after the intent", afterDelete: "after the DELETE", afterSecret: "after the secret"} {
		for a, aname := range map[answer]string{holdsThis: "holds this key", holdsOther: "holds another key", down: "down"} {
			if p != afterIntent && a == holdsThis {
				continue // the DELETE went through
			}
			t.Run(pname+"/"+aname, func(t *testing.T) {
				e := newEnv(t)
				ctx := context.Background()
				if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
					t.Fatal(err)
				}
				en := e.entry(t, "btc-spot")
				in := &state.Intent{Op: state.OpRemove, Since: time.Now().UTC(), Key: en, Deregister: true}
				if err := recordIntent(ctx, e.d, "btc-spot", in); err != nil {
					t.Fatal(err)
				}
				other := demo(t, "ok-eth")
				if p >= afterDelete {
					c, _ := e.d.Service(ctx)
					if err := c.DeleteKey(ctx, "btc-spot"); err != nil {
						t.Fatal(err)
					}
				}
				if p >= afterSecret {
					if err := e.store.Delete(ctx, en.SecretName); err != nil {
						t.Fatal(err)
					}
				}
				switch a {
				case holdsOther:
					e.putAt(t, "btc-spot", other)
				case down:
					e.svc.SetDown(true)
				}
				out, err := Settle(ctx, e.d)
				if err != nil || len(out) != 1 {
					t.Fatalf("settle: %+v, %v", out, err)
				}
				if a == down {
					if out[0].Outcome != OutcomeUnsettled || !hasHint(out[0].Err, "enroll.remove_next_hint") || e.intent(t, "btc-spot") == nil {
						t.Fatalf("down: %+v", out[0])
					}
					if p == afterIntent && (e.entry(t, "btc-spot") == nil || e.secret(en.SecretName) == "") {
						t.Fatal("deleted here while SmartradeX could not be asked")
					}
					e.svc.SetDown(false)
					if out, err = Settle(ctx, e.d); err != nil || len(out) != 1 {
						t.Fatalf("settle again: %+v, %v", out, err)
					}
				}
				if out[0].Outcome != OutcomeRemoved || out[0].Err != nil {
					t.Fatalf("outcome %+v", out[0])
				}
				if e.entry(t, "btc-spot") != nil || e.secret(en.SecretName) != "" || e.intent(t, "btc-spot") != nil {
					t.Fatal("something was left here")
				}
				reg, held := e.svc.Registration("btc-spot")
				if a == holdsOther && (!held || reg.APIKey != other.APIKey) {
					t.Fatal("the key SmartradeX holds from elsewhere was deleted")
				}
				if a != holdsOther && held {
					t.Fatal("SmartradeX still holds the removed key")
				}
			})
		}
	}
}

// Rotate with the index or the store failing at each write: the old key
// stays in force, and nothing is left that the next command does not
// settle.
func TestRotateWriteFailures(t *testing.T) {
	cases := []struct {
		name       string
		indexFails []int // which index writes of the rotation fail
		storeFails bool
		code       string
	}{
		{"the intent", []int{1}, false, "state.io"},
		{"the new secret", nil, true, ""},
		{"the new secret, then the rollback", []int{2}, true, "enroll.secret_not_stored"},
		{"the swap", []int{2}, false, "state.io"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			if _, err := e.add(t, "btc-spot", "ok", nil); err != nil {
				t.Fatal(err)
			}
			old := demo(t, "ok")
			ix := e.d.Index
			e.d.Index = ix.WithWriter(failAt(c.indexFails...))
			if c.storeFails {
				e.store.failSet["bot/btc-spot/next"] = true
			}
			creds := demo(t, "same-subaccount")
			checked, err := Check(ctx, e.d, creds)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Rotate(ctx, e.d, Request{Bot: bot("btc-spot"), Creds: creds}, checked)
			if err == nil || (c.code != "" && code(err) != c.code) {
				t.Fatalf("err %v, want %s", err, c.code)
			}
			e.d.Index, e.store.failSet = ix, map[string]bool{}
			if en := e.entry(t, "btc-spot"); en.APIKey != old.APIKey || e.secret(en.SecretName) != old.Secret {
				t.Fatalf("the old key is not in force: %+v", en)
			}
			if _, err := Settle(ctx, e.d); err != nil {
				t.Fatal(err)
			}
			e.agree(t, "btc-spot")
		})
	}
}
