package inventory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// failing is a store that cannot answer, counting the questions.
type failing struct {
	secrets.Store
	err   error
	calls int
}

func (f *failing) Get(context.Context, string) (string, error) {
	f.calls++
	return "", f.err
}

func seed(t *testing.T, entries ...state.Entry) *state.Index {
	t.Helper()
	ix := state.Open(t.TempDir())
	err := ix.Update(context.Background(), func(s *state.Snapshot) error {
		for _, e := range entries {
			e := e
			s.Entries[e.Bot] = &e
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestList(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	entry := func(bot, backend string) state.Entry {
		return state.Entry{Bot: bot, Backend: backend, SecretName: "bot/" + bot, Status: state.StatusRegistered, CreatedAt: now}
	}
	locked := apperr.New(apperr.Unexpected, "secrets.keyring_failed", i18n.M("error.cancelled"))
	cases := []struct {
		name      string
		entries   []state.Entry
		fileErr   error  // the file store cannot answer
		want      string // bot=presence, in order
		warned    []string
		fileCalls int
	}{
		{"empty", nil, nil, "", nil, 0},
		{"present and missing, in bot order", []state.Entry{entry("eth-spot", "system"), entry("btc-spot", "system")}, nil,
			"btc-spot=present eth-spot=missing", nil, 0},
		{"a store that cannot answer is asked once, warned once", []state.Entry{entry("btc-spot", "file"), entry("eth-spot", "file"), entry("sol-spot", "system")}, locked,
			"btc-spot=unknown eth-spot=unknown sol-spot=missing", []string{"file"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			system := secrets.NewMemory()
			if err := system.Set(context.Background(), "bot/btc-spot", "s3cr3t-value"); err != nil {
				t.Fatal(err)
			}
			file := &failing{Store: secrets.NewMemory(), err: c.fileErr}
			storeFor := func(backend string) (secrets.Store, error) {
				if backend == "file" {
					return file, nil
				}
				return system, nil
			}
			var warned []string
			items, err := List(context.Background(), seed(t, c.entries...), storeFor, func(backend string, err error) {
				if !errors.Is(err, locked) {
					t.Errorf("warned with %v", err)
				}
				warned = append(warned, backend)
			})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for i, it := range items {
				if i > 0 {
					got += " "
				}
				got += it.Entry.Bot + "=" + string(it.Secret)
			}
			if got != c.want || len(warned) != len(c.warned) || file.calls != c.fileCalls {
				t.Errorf("got %q warned %v (%d calls), want %q warned %v (%d calls)", got, warned, file.calls, c.want, c.warned, c.fileCalls)
			}
		})
	}
}

func TestListStopsOnInterruption(t *testing.T) {
	ix := seed(t, state.Entry{Bot: "btc-spot", Backend: "system", SecretName: "bot/btc-spot", Status: state.StatusPending})
	cancelled := apperr.New(apperr.Cancelled, "cancelled", i18n.M("error.cancelled"))
	storeFor := func(string) (secrets.Store, error) { return &failing{err: cancelled}, nil }
	if _, err := List(context.Background(), ix, storeFor, nil); !errors.Is(err, cancelled) {
		t.Errorf("err %v, want the cancellation", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	storeFor = func(string) (secrets.Store, error) { return &failing{err: errors.New("read interrupted")}, nil }
	if _, err := List(ctx, ix, storeFor, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
}
