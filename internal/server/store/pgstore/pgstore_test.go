package pgstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smartradex/smartradex/internal/server/store"
	"github.com/smartradex/smartradex/internal/server/store/pgstore"
	"github.com/smartradex/smartradex/internal/server/store/pgstore/pgtest"
	"github.com/smartradex/smartradex/internal/server/store/storetest"
)

func open(t testing.TB, dsn string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{MaxConns: 8})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	pgtest.Base(t)
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, pgtest.URL(t)) })
}

// Two stores over one database behave as two replicas of the service.
func TestShared(t *testing.T) {
	pgtest.Base(t)
	storetest.RunShared(t, func(t *testing.T) (store.Store, store.Store) {
		u := pgtest.URL(t)
		return open(t, u), open(t, u)
	})
}

// The database going away mid-use makes every call ErrUnavailable, writes
// nothing half-way, and the store works again once it is back. The cut is
// made by a proxy in front of the server, so that other tests sharing the
// server go on.
func TestConnectionLost(t *testing.T) {
	target, err := url.Parse(pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, target.Host)
	target.Host = p.addr()
	s := open(t, target.String())
	ctx := t.Context()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sub, err := s.AddSubscriber(ctx, "cut@example.com", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Subscribe(ctx, sub.Email, "btc-spot"); err != nil {
		t.Fatal(err)
	}
	k := store.Key{SubscriberID: sub.ID, Bot: "btc-spot", APIKey: "BEFORE", KeyType: "HMAC", SealedSecret: []byte{1, 2}, VaultKeyID: "v", RegisteredAt: time.Now()}
	if _, err := s.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}

	p.setDown(true)
	calls := map[string]func() error{
		"Ping": func() error { return s.Ping(ctx) },
		"PutKey": func() error {
			k2 := k
			k2.APIKey = "DURING"
			_, err := s.PutKey(ctx, k2)
			return err
		},
		"GetKey":       func() error { _, err := s.GetKey(ctx, sub.ID, "btc-spot"); return err },
		"Authenticate": func() error { _, err := s.Authenticate(ctx, make([]byte, 32)); return err },
		"Migrate":      func() error { return s.Migrate(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with the database gone: %v, want ErrUnavailable", name, err)
		}
	}

	p.setDown(false)
	got, err := s.GetKey(ctx, sub.ID, "btc-spot")
	if err != nil {
		t.Fatalf("GetKey once the database is back: %v", err)
	}
	if got.APIKey != "BEFORE" {
		t.Errorf("the key after a PutKey that failed: %q, want BEFORE", got.APIKey)
	}
	k.APIKey = "AFTER"
	if res, err := s.PutKey(ctx, k); err != nil || !res.Created {
		t.Errorf("PutKey once the database is back: %+v, %v", res, err)
	}
}

// A database never reachable: Open succeeds (the service starts and answers
// 503), calls say ErrUnavailable, and no error repeats the password.
func TestUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	const password = "pw-9f3kq-never-shown"
	s := open(t, "postgres://smartradexd:"+password+"@"+addr+"/smartradexd?sslmode=disable&connect_timeout=2")
	for name, err := range map[string]error{
		"Ping":    s.Ping(t.Context()),
		"Migrate": s.Migrate(t.Context()),
	} {
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
}

func TestOpenInvalidURL(t *testing.T) {
	const password = "pw-9f3kq-never-shown"
	for _, dsn := range []string{
		"postgres://u:" + password + "@127.0.0.1:notaport/db",
		"postgres://u:" + password + "@127.0.0.1/db?sslmode=sometimes",
	} {
		s, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", strings.ReplaceAll(dsn, password, "…"))
			continue
		}
		if strings.Contains(err.Error(), password) {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

func BenchmarkKeys(b *testing.B) {
	storetest.Bench(b, open(b, pgtest.URL(b)))
}

// proxy forwards TCP to the database until it is set down: then it cuts
// every connection and refuses new ones, as a stopped server would.
type proxy struct {
	l      net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{l: l, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { l.Close(); p.setDown(true) })
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.l.Addr().String() }

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
			delete(p.conns, c)
		}
	}
}

func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go func() {
			up, err := net.Dial("tcp", p.target)
			if err != nil || !p.track(c, up) {
				c.Close()
				if up != nil {
					up.Close()
				}
				return
			}
			go func() { io.Copy(up, c); up.Close() }()
			io.Copy(c, up)
			c.Close()
		}()
	}
}

// A change whose audit row PostgreSQL refuses is rolled back with it.
func TestAuditRefused(t *testing.T) {
	pgtest.Base(t)
	s := open(t, pgtest.URL(t))
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	storetest.RunAuditRefused(t, s, func(t *testing.T) {
		_, err := s.DB().ExecContext(t.Context(), `ALTER TABLE audit ADD CONSTRAINT audit_refused CHECK (actor <> '`+storetest.RefusedActor+`')`)
		if err != nil {
			t.Fatal(err)
		}
	})
}
