package bots

import (
	"strings"
	"testing"
)

func TestCatalogue(t *testing.T) {
	seen := map[string]bool{}
	for _, b := range All() {
		if b.ID == "" || b.Name == "" || b.Label == "" {
			t.Errorf("incomplete bot %+v", b)
		}
		if seen[b.ID] {
			t.Errorf("duplicate bot %q", b.ID)
		}
		seen[b.ID] = true
	}
	if b, ok := Lookup(" BTC-Spot "); !ok || b.Label != "SmartradeX BTC Spot" {
		t.Errorf("Lookup(BTC-Spot) = %+v, %v", b, ok)
	}
	if _, ok := Lookup("doge"); ok {
		t.Error("unknown bot found")
	}
	if got := IDs(); len(got) != 2 || got[0] != "btc-spot" || got[1] != "eth-spot" {
		t.Errorf("IDs = %v", got)
	}
}

func TestLookupAcceptsWhatScreensWrite(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" for not found
	}{
		{"btc-spot", "btc-spot"},
		{" BTC-SPOT ", "btc-spot"},
		{"BOT BTC Spot", "btc-spot"},
		{"bot  btc spot", "btc-spot"},
		{"SmartradeX ETH Spot", "eth-spot"},
		{"btc", "btc-spot"},
		{"ETH", "eth-spot"},
		{"btc_spot", "btc-spot"},
		{"", ""},
		{"bot", ""},
		{"spot", ""},
		{"btc-spot-x", ""},
		{"doge", ""},
	}
	for _, c := range cases {
		b, ok := Lookup(c.in)
		if ok != (c.want != "") || b.ID != c.want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", c.in, b.ID, ok, c.want)
		}
	}
}

func TestSource(t *testing.T) {
	t.Cleanup(func() { SetSource(nil) })
	calls := 0
	SetSource(func() []Bot {
		calls++
		return []Bot{{ID: "sol-spot", Name: "BOT SOL Spot", Label: "SmartradeX SOL Spot"}, {ID: "btc-spot", Name: "BTC", Label: "L"}}
	})
	if calls != 0 {
		t.Fatal("SetSource called the source at once")
	}
	if got := IDs(); len(got) != 2 || got[0] != "btc-spot" || got[1] != "sol-spot" {
		t.Errorf("IDs from the source = %v", got)
	}
	if b, ok := Lookup("SOL-spot"); !ok || b.Name != "BOT SOL Spot" {
		t.Errorf("Lookup(sol-spot) = %+v, %v", b, ok)
	}
	if _, ok := Lookup("eth-spot"); ok {
		t.Error("a bot the source does not list was found")
	}
	if _, ok := LookupBuiltin("eth-spot"); !ok {
		t.Error("LookupBuiltin lost a built-in bot")
	}
	All()
	if calls != 1 {
		t.Errorf("the source was called %d times, want once", calls)
	}

	// A source with nothing to say falls back on the built-in list.
	SetSource(func() []Bot { return nil })
	if got := IDs(); len(got) != 2 || got[0] != "btc-spot" || got[1] != "eth-spot" {
		t.Errorf("fallback IDs = %v", got)
	}
	SetSource(nil)
	if got := All(); len(got) != len(Builtin()) {
		t.Errorf("after SetSource(nil): %v", got)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"btc-spot": true, "a": true, "0x": true, strings.Repeat("a", 63): true,
		"": false, "-btc": false, "BTC": false, "btc_spot": false, "btc/spot": false, strings.Repeat("a", 64): false,
		"btc spot": false, "btc\x1b": false, "é": false,
	} {
		if got := ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
	for _, b := range Builtin() {
		if !ValidID(b.ID) {
			t.Errorf("built-in bot %q has an invalid ID", b.ID)
		}
	}
}

func TestSourceMayUseThePackage(t *testing.T) {
	t.Cleanup(func() { SetSource(nil) })
	var inner []string
	SetSource(func() []Bot {
		// A source that, directly or not, looks at the catalogue gets the
		// built-in list instead of waiting for itself.
		inner = IDs()
		return []Bot{{ID: "sol-spot", Name: "SOL", Label: "SOL"}}
	})
	if got := IDs(); len(got) != 1 || got[0] != "sol-spot" {
		t.Errorf("IDs = %v", got)
	}
	if len(inner) != 2 || inner[0] != "btc-spot" {
		t.Errorf("the source saw %v, want the built-in list", inner)
	}
}
