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

// Lookup finds a bot by ID, ignoring case and surrounding space.
func Lookup(id string) (Bot, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	for _, b := range catalogue {
		if b.ID == id {
			return b, true
		}
	}
	return Bot{}, false
}

// IDs returns the bot IDs, sorted, for messages and shell completion.
func IDs() []string {
	var ids []string
	for _, b := range All() {
		ids = append(ids, b.ID)
	}
	return ids
}
