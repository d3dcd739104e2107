// Package i18n holds smartradex's user-facing text in French and English.
// Every message has a key; the messages whose keys start with "x." are in
// catalog_x.go, and tests check that no key lacks a language, that both
// languages take the same arguments, and that every key the code uses exists.
package i18n

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Lang is a supported language.
type Lang string

const (
	EN Lang = "en"
	FR Lang = "fr"
)

// Langs lists the supported languages.
var Langs = []Lang{EN, FR}

// Message is a catalogue key with its arguments, rendered later in the
// user's language.
type Message struct {
	Key  string
	Args []any
}

// M builds a Message.
func M(key string, args ...any) Message { return Message{Key: key, Args: args} }

// IsZero reports whether m is the empty message.
func (m Message) IsZero() bool { return m.Key == "" }

// catalog holds, per language, each catalogue file by the prefix of its
// keys (catalog_keys.go holds "keys."). A file's map is built the first
// time one of its keys is looked up, not at start-up: a run pays only for
// the messages of the areas it speaks of (`smartradex version` builds one
// small map). Tests check that every key is in the file its prefix names.
var catalog = map[Lang]map[string]*catalogFile{}

type catalogFile struct {
	once    sync.Once
	build   func() map[string]string
	entries map[string]string
}

func (f *catalogFile) get() map[string]string {
	f.once.Do(func() { f.entries = f.build() })
	return f.entries
}

// register adds the catalogue file of the keys that start with prefix+".".
func register(lang Lang, prefix string, build func() map[string]string) {
	if catalog[lang] == nil {
		catalog[lang] = map[string]*catalogFile{}
	}
	if catalog[lang][prefix] != nil {
		panic("i18n: two catalogue files for " + string(lang) + " " + prefix)
	}
	catalog[lang][prefix] = &catalogFile{build: build}
}

// lookup returns the text of key in language l.
func lookup(l Lang, key string) (string, bool) {
	prefix, _, ok := strings.Cut(key, ".")
	if !ok {
		return "", false
	}
	f := catalog[l][prefix]
	if f == nil {
		return "", false
	}
	v, ok := f.get()[key]
	return v, ok
}

// OneSuffix marks the singular form of a message that counts something:
// "key" + OneSuffix is used instead of "key" when the message's first
// integer argument calls for the singular in the language (1 in English;
// 0 and 1 in French).
const OneSuffix = "#one"

// T renders key with args in language l. A missing key renders as the key
// itself so that a bug shows up in output instead of panicking.
func (l Lang) T(key string, args ...any) string {
	if l != FR {
		l = EN // the zero Lang, or one not supported, reads as English
	}
	if n, ok := firstCount(args); ok && l.singular(n) {
		if _, has := lookup(l, key+OneSuffix); has {
			key += OneSuffix
		}
	}
	format, ok := lookup(l, key)
	if !ok {
		format, ok = lookup(EN, key)
	}
	if !ok {
		return key
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}

// firstCount is the first integer argument, the count a plural form
// depends on.
func firstCount(args []any) (int64, bool) {
	for _, a := range args {
		switch n := a.(type) {
		case int:
			return int64(n), true
		case int64:
			return n, true
		}
	}
	return 0, false
}

// singular reports whether n things take the singular in l.
func (l Lang) singular(n int64) bool {
	if l == FR {
		return n == 0 || n == 1
	}
	return n == 1
}

// Decimal is a number with a fraction, written with the language's
// decimal separator ("1.5" in English, "1,5" in French). Use it with %s.
type Decimal struct {
	Value  float64
	Digits int // after the separator
}

func (d Decimal) format(l Lang) string {
	s := strconv.FormatFloat(d.Value, 'f', d.Digits, 64)
	if l == FR {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Render renders m in language l. Arguments that are themselves Messages are
// rendered first, in the same language.
func (l Lang) Render(m Message) string {
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		switch v := a.(type) {
		case Message:
			args[i] = l.Render(v)
		case Decimal:
			args[i] = v.format(l)
		default:
			args[i] = a
		}
	}
	return l.T(m.Key, args...)
}

// Parse turns a --lang value into a Lang.
func Parse(s string) (Lang, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "en", "english", "anglais":
		return EN, true
	case "fr", "french", "français", "francais":
		return FR, true
	}
	return "", false
}

// Detect chooses the language: flag, then SMARTRADEX_LANG, then the POSIX
// locale (the first non-empty of LC_ALL, LC_MESSAGES, LANG) when it starts
// with "fr", else English. getenv is os.Getenv in production.
func Detect(flag string, getenv func(string) string) (Lang, error) {
	if flag != "" {
		l, ok := Parse(flag)
		if !ok {
			return EN, fmt.Errorf("unsupported language given with --lang (use en or fr)")
		}
		return l, nil
	}
	if v := getenv("SMARTRADEX_LANG"); v != "" {
		if l, ok := Parse(v); ok {
			return l, nil
		}
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "fr") {
				return FR, nil
			}
			return EN, nil
		}
	}
	return EN, nil
}

// Keys returns every key of language l, sorted.
func Keys(l Lang) []string {
	var keys []string
	for _, f := range catalog[l] {
		for k := range f.get() {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}
