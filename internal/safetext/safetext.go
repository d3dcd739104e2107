// Package safetext makes text that did not come from smartradex's own
// catalogue fit to reach a terminal, a log line or JSON: Binance's and the
// service's messages, field names from a response, values read from local
// files. It is applied where such text enters an error or a value, so that
// no renderer has to remember it.
package safetext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Default caps, in characters, for the usual kinds of untrusted text.
const (
	MaxMessage = 300 // a remote message quoted in one of ours
	MaxName    = 64  // a field name, an identifier
)

// Clean returns s with every control and format character removed (C0, C1,
// DEL, so the ESC of a terminal sequence; bidirectional overrides and
// isolates; zero-width characters), every kind of white space turned into
// one space, invalid UTF-8 repaired, and at most max characters kept (the
// last one then "…"). max <= 0 means no cap.
//
// What remains of an escape sequence after its ESC is dropped ("[2J") is
// printable text: it can no longer act on a terminal.
func Clean(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case unsafe(r):
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	return Cap(s, max)
}

// IsClean tells whether s holds nothing Clean would remove or change: no
// control or format character, no white space other than single spaces
// between words, valid UTF-8.
func IsClean(s string) bool {
	return utf8.ValidString(s) && Clean(s, 0) == s
}

// Cap keeps at most max characters of s, the last one "…" when it cut.
// max <= 0 means no cap.
func Cap(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// unsafe are the runes that act on a terminal or change how the text
// around them reads: controls (Cc), format characters (Cf: bidi controls,
// zero-width joiners and spaces, the BOM), private-use, surrogates and
// unassigned code points.
func unsafe(r rune) bool {
	if r == utf8.RuneError {
		return false // a repaired byte, shown as the replacement character
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || !unicode.IsPrint(r)
}
