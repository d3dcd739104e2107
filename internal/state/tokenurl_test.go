package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
)

func TestTokenServiceRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "new")
	ts := OpenTokenService(dir)
	if _, ok, err := ts.Get(); ok || err != nil {
		t.Fatalf("empty: %v, %v", ok, err)
	}
	const token = "srx_SecretToken0123456789abcdefABCDEFgh"
	if err := ts.Set(ctx, "http://127.0.0.1:8700", token); err != nil {
		t.Fatal(err)
	}
	rec, ok, err := ts.Get()
	if err != nil || !ok || rec.ServiceURL != "http://127.0.0.1:8700" || rec.TokenCheck != TokenCheck(token) || rec.SavedAt.IsZero() {
		t.Fatalf("Get = %+v, %v, %v", rec, ok, err)
	}
	data, err := os.ReadFile(ts.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), token) || strings.Contains(string(data), token[4:]) {
		t.Errorf("the token is in the record: %s", data)
	}
	if fi, err := os.Stat(ts.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
	if err := ts.Restore(ctx, TokenRecord{}, false); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := ts.Get(); ok {
		t.Error("Restore(false) left the record")
	}
	if err := ts.Restore(ctx, rec, true); err != nil {
		t.Fatal(err)
	}
	if got, ok, _ := ts.Get(); !ok || got != rec {
		t.Errorf("restored %+v, want %+v", got, rec)
	}
	if err := ts.Remove(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ts.Remove(ctx); err != nil {
		t.Errorf("removing no record: %v", err)
	}
}

func TestTokenCheck(t *testing.T) {
	a, b := TokenCheck("srx_a"), TokenCheck("srx_b")
	if a == b || len(a) != 16 || TokenCheck(" srx_a\n") != a {
		t.Errorf("TokenCheck: %q %q", a, b)
	}
}

func TestTokenServiceRejectsDamage(t *testing.T) {
	good := `"service_url": "https://api.smartradex.fr", "token_check": "0123456789abcdef", "saved_at": "2026-12-06T08:00:00Z"`
	cases := []struct {
		name, data string
		ok         bool
	}{
		{name: "good", data: `{"version": 1, ` + good + `}`, ok: true},
		{name: "not JSON", data: `service_url=https://api.smartradex.fr`},
		{name: "newer version", data: `{"version": 2, ` + good + `}`},
		{name: "unknown field", data: `{"version": 1, "token": "srx_x", ` + good + `}`},
		{name: "no URL", data: `{"version": 1, "token_check": "0123456789abcdef"}`},
		{name: "short check", data: `{"version": 1, "service_url": "https://x", "token_check": "0123"}`},
		{name: "upper-case check", data: `{"version": 1, "service_url": "https://x", "token_check": "0123456789ABCDEF"}`},
		{name: "trailing data", data: `{"version": 1, ` + good + `} {}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, TokenServiceFile), []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			rec, ok, err := OpenTokenService(dir).Get()
			if tc.ok {
				if err != nil || !ok || rec.ServiceURL != "https://api.smartradex.fr" {
					t.Fatalf("Get = %+v, %v, %v", rec, ok, err)
				}
				return
			}
			var e *apperr.Error
			if ok || err == nil || !errors.As(err, &e) || e.Code != "state.token_service_corrupt" {
				t.Fatalf("Get = %v, %v; want state.token_service_corrupt", ok, err)
			}
		})
	}
}
