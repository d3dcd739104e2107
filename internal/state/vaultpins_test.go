package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
)

func TestVaultPins(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "config")
	p := OpenVaultPins(dir)
	if _, _, ok, err := p.GetPin(ctx, "https://a"); ok || err != nil {
		t.Fatalf("empty: ok %v err %v", ok, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("reading created the directory")
	}
	idA, idB := strings.Repeat("a1", 16), strings.Repeat("b2", 16)
	if err := p.SetPin(ctx, "https://a", idA, "first_use"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPin(ctx, "http://127.0.0.1:1", idB, "accepted"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetPin(ctx, "https://a", idB, "accepted"); err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string][2]string{"https://a": {idB, "accepted"}, "http://127.0.0.1:1": {idB, "accepted"}} {
		id, src, ok, err := OpenVaultPins(dir).GetPin(ctx, origin)
		if !ok || err != nil || id != want[0] || src != want[1] {
			t.Errorf("%s: %s %s %v %v", origin, id, src, ok, err)
		}
	}
	st, err := os.Stat(p.Path())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("pin file mode %v, %v; want 0600", st.Mode(), err)
	}

	for _, bad := range []struct{ id, src string }{{"ABC", "accepted"}, {strings.Repeat("A1", 16), "accepted"}, {idA, "other"}} {
		if err := p.SetPin(ctx, "https://a", bad.id, bad.src); err == nil {
			t.Errorf("SetPin(%q, %q) accepted", bad.id, bad.src)
		}
	}
}

func TestVaultPinsCorrupt(t *testing.T) {
	for name, content := range map[string]string{
		"not JSON":   "{",
		"trailing":   `{"version":1,"pins":{}} x`,
		"version":    `{"version":2,"pins":{}}`,
		"bad key ID": `{"version":1,"pins":{"https://a":{"key_id":"\u001b[31m","source":"accepted"}}}`,
		"bad source": `{"version":1,"pins":{"https://a":{"key_id":"` + strings.Repeat("a", 32) + `","source":"x"}}}`,
		"null pin":   `{"version":1,"pins":{"https://a":null}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, VaultPinsFile), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			p := OpenVaultPins(dir)
			_, _, _, err := p.GetPin(context.Background(), "https://a")
			if apperr.KindOf(err) != apperr.Unexpected {
				t.Fatalf("GetPin = %v, want an error", err)
			}
			if err := p.SetPin(context.Background(), "https://a", strings.Repeat("c", 32), "accepted"); err == nil {
				t.Error("SetPin overwrote a file it cannot read")
			}
			if data, _ := os.ReadFile(p.Path()); string(data) != content {
				t.Error("the unreadable file was changed")
			}
		})
	}
}
