// Package bots is the catalogue of SmartradeX bots a Binance key can be
// registered for. The built-in list is data: adding a bot is adding an
// entry here. A command may replace it, for the rest of the process, with
// the list the SmartradeX service publishes (see SetSource).
package bots

import (
	"regexp"
	"sort"
	"strings"
	"sync"
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

// idShape is the shape of every bot identifier, built-in or published by
// the service. It is compiled on first use, so that start-up does not pay
// for it.
var idShape = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`) })

// ValidID tells whether id has the shape of a bot identifier: lower-case
// letters, digits and dashes, 1 to 63 characters, not starting with a dash.
func ValidID(id string) bool { return idShape().MatchString(id) }

var (
	mu      sync.Mutex
	source  func() []Bot
	current []Bot // nil until first use
	loading bool  // the source is being asked
	gen     int   // counts SetSource calls: a late answer of an old source is dropped
)

// SetSource makes fn the origin of the catalogue for the rest of the
// process. fn is called once, on the first use of All, Lookup or IDs,
// never before: a command that does not need the list never pays for it.
// When fn returns no bot, the built-in list is used. SetSource(nil)
// restores the built-in list.
func SetSource(fn func() []Bot) {
	mu.Lock()
	defer mu.Unlock()
	source, current, loading = fn, nil, false
	gen++
}

// list returns the catalogue, asking the source on first use. The lock is
// not held while the source works (it may take a network round trip):
// whoever asks meanwhile, the source itself included, gets the built-in
// list.
func list() []Bot {
	mu.Lock()
	if current != nil || loading {
		defer mu.Unlock()
		if current == nil {
			return sorted(catalogue)
		}
		return current
	}
	src := source
	if src == nil {
		current = sorted(catalogue)
		mu.Unlock()
		return current
	}
	loading = true
	g := gen
	mu.Unlock()

	got := sorted(src())

	mu.Lock()
	defer mu.Unlock()
	if g != gen {
		// The source was replaced meanwhile: this answer is not its.
		if len(got) == 0 {
			return sorted(catalogue)
		}
		return got
	}
	loading = false
	if current == nil {
		if len(got) == 0 {
			got = sorted(catalogue)
		}
		current = got
	}
	return current
}

func sorted(in []Bot) []Bot {
	out := append([]Bot(nil), in...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Builtin returns the bots compiled into smartradex, sorted by ID,
// whatever the source.
func Builtin() []Bot { return sorted(catalogue) }

// All returns every bot, sorted by ID.
func All() []Bot { return append([]Bot(nil), list()...) }

// Lookup finds a bot by what a person may type for it, ignoring case
// and spacing: its ID ("btc-spot"), its name as every screen writes it
// ("BOT BTC Spot"), its Binance label ("SmartradeX BTC Spot"), or its ID
// without the "-spot" ("btc").
func Lookup(id string) (Bot, bool) { return find(list(), id) }

// LookupBuiltin is Lookup in the built-in list only.
func LookupBuiltin(id string) (Bot, bool) { return find(catalogue, id) }

func find(in []Bot, id string) (Bot, bool) {
	want := normalise(id)
	if want == "" {
		return Bot{}, false
	}
	// An ID first, then the names people type.
	for _, b := range in {
		if normalise(b.ID) == want {
			return b, true
		}
	}
	for _, b := range in {
		for _, name := range []string{b.Name, b.Label, strings.TrimSuffix(b.ID, "-spot")} {
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
	for _, b := range list() {
		ids = append(ids, b.ID)
	}
	return ids
}
