// Package bots is the catalogue of SmartradeX bots a Binance key can be
// registered for. It is data: adding a bot is adding an entry here.
package bots

import (
	"sort"
	"strings"
)

// Bot is one SmartradeX trading bot.
type Bot struct {
	ID    string `json:"id"`    // stable identifier used on the command line and by the service
	Name  string `json:"name"`  // the name SmartradeX uses on its site
	Label string `json:"label"` // the API-key label suggested on Binance
}

var catalogue = []Bot{
	{ID: "btc-spot", Name: "BOT BTC Spot", Label: "SmartradeX BTC Spot"},
	{ID: "eth-spot", Name: "BOT ETH Spot", Label: "SmartradeX ETH Spot"},
}

// All returns every bot, sorted by ID.
func All() []Bot {
	out := append([]Bot(nil), catalogue...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Lookup finds a bot by what a person may type for it, ignoring case
// and spacing: its ID ("btc-spot"), its name as every screen writes it
// ("BOT BTC Spot"), its Binance label ("SmartradeX BTC Spot"), or its ID
// without the "-spot" ("btc").
func Lookup(id string) (Bot, bool) {
	want := normalise(id)
	if want == "" {
		return Bot{}, false
	}
	for _, b := range catalogue {
		for _, name := range []string{b.ID, b.Name, b.Label, strings.TrimSuffix(b.ID, "-spot")} {
			if normalise(name) == want {
				return b, true
			}
		}
	}
	return Bot{}, false
}

// normalise lower-cases s and reduces its spaces, dashes and underscores
// to single spaces: "BOT  BTC Spot", "btc_spot" and "btc-spot" meet.
func normalise(s string) string {
	f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return r == ' ' || r == '-' || r == '_' || r == '\t' || r == '\u00a0'
	})
	return strings.Join(f, " ")
}

// IDs returns the bot IDs, sorted, for messages and shell completion.
func IDs() []string {
	var ids []string
	for _, b := range All() {
		ids = append(ids, b.ID)
	}
	return ids
}
