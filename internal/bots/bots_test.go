package bots

import "testing"

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
