package cmdutil

import (
	"context"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/buildinfo"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/service/servicetest"
	"github.com/smartradex/smartradex/internal/state"
)

func TestVaultTrustSettings(t *testing.T) {
	id := strings.Repeat("ab", 16)
	cases := []struct {
		name           string
		env            map[string]string
		accept         string
		wantErr        bool
		explicit, acpt string
	}{
		{name: "nothing set"},
		{name: "explicit pin", env: map[string]string{"SMARTRADEX_VAULT_KEY_ID": " " + strings.ToUpper(id) + " "}, explicit: id},
		{name: "accepted on the command line", accept: id, acpt: id},
		{name: "malformed variable", env: map[string]string{"SMARTRADEX_VAULT_KEY_ID": "sxt_live_aToken"}, wantErr: true},
		{name: "too short", env: map[string]string{"SMARTRADEX_VAULT_KEY_ID": id[:31]}, wantErr: true},
		{name: "the sandbox ignores the variable", env: map[string]string{"SMARTRADEX_VAULT_KEY_ID": "junk", "SMARTRADEX_SANDBOX": "1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"SMARTRADEX_CONFIG_DIR": dir, "SMARTRADEX_SANDBOX_DIR": dir}
			for k, v := range tc.env {
				env[k] = v
			}
			ios, _, _, _ := iostreams.Test()
			f := New(ios, func(k string) string { return env[k] })
			defer f.Finish()
			f.Globals.AcceptVaultKey = tc.accept
			tr, err := f.VaultTrust()
			if tc.wantErr {
				if apperr.KindOf(err) != apperr.Usage || strings.Contains(err.Error(), tc.env["SMARTRADEX_VAULT_KEY_ID"]) {
					t.Fatalf("VaultTrust = %v, want a usage error that does not quote the value", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.Explicit != tc.explicit || tr.Accept != tc.acpt || tr.Compiled != buildinfo.VaultKeyID {
				t.Errorf("trust %q %q %q", tr.Explicit, tr.Accept, tr.Compiled)
			}
			if again, _ := f.VaultTrust(); again != tr {
				t.Error("a second Trust for the same process")
			}
		})
	}
}

func TestVaultKeyIDFlagValue(t *testing.T) {
	var got string
	v := VaultKeyIDValue{Target: &got}
	if err := v.Set(strings.Repeat("AB", 16)); err != nil || got != strings.Repeat("ab", 16) || v.String() != got {
		t.Errorf("Set = %v, value %q", err, got)
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("g", 32), strings.Repeat("a", 33)} {
		got = "kept"
		if err := v.Set(bad); (err == nil) != (bad == "") {
			t.Errorf("Set(%q) = %v", bad, err)
		}
	}
}

// TestServiceClientsSharePinsAndKey: every client of a process seals to a
// key fetched once, and pins it in the configuration directory.
func TestServiceClientsSharePinsAndKey(t *testing.T) {
	svc, url := servicetest.StartTest(t, "tok-0123456789", "a@example.com", []string{"btc-spot"})
	dir := t.TempDir()
	env := map[string]string{"SMARTRADEX_CONFIG_DIR": dir, "SMARTRADEX_SERVICE_URL": url}
	ios, _, _, errOut := iostreams.Test()
	f := New(ios, func(k string) string { return env[k] })
	for i := 0; i < 3; i++ {
		c, err := f.ServiceWithToken("tok-0123456789")
		if err != nil {
			t.Fatal(err)
		}
		if id, err := c.VaultKeyID(context.Background()); err != nil || id != svc.VaultKey().ID() {
			t.Fatalf("VaultKeyID = %s, %v", id, err)
		}
	}
	n := 0
	for _, r := range svc.Requests() {
		if r.Path == "/v1/vault-key" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the vault key was fetched %d times, want once", n)
	}
	if id, src, ok, err := state.OpenVaultPins(dir).GetPin(context.Background(), url); !ok || err != nil || id != svc.VaultKey().ID() || src != "first_use" {
		t.Errorf("pin %s %s %v %v", id, src, ok, err)
	}
	if !strings.Contains(errOut.String(), svc.VaultKey().ID()) {
		t.Errorf("the first pin was not shown: %q", errOut.String())
	}
}

func TestServiceBotsFallsBack(t *testing.T) {
	svc, url := servicetest.StartTest(t, "tok-0123456789", "a@example.com", nil)
	env := map[string]string{"SMARTRADEX_SERVICE_URL": url}
	ios, _, _, _ := iostreams.Test()
	f := New(ios, func(k string) string { return env[k] })
	if list := f.ServiceBots(); len(list) != 2 || list[0].ID != "btc-spot" {
		t.Errorf("ServiceBots = %v", list)
	}
	svc.SetDown(true)
	if list := f.ServiceBots(); list != nil {
		t.Errorf("ServiceBots with the service down = %v, want nil (the built-in list)", list)
	}
	env["SMARTRADEX_SERVICE_URL"] = "http://example.com"
	if list := f.ServiceBots(); list != nil {
		t.Errorf("ServiceBots with a refused URL = %v", list)
	}
}
