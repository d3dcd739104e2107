package safetext

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	cases := []struct {
		name, in, want string
		max            int
	}{
		{"plain", "Invalid API-key, IP, or permissions for action.", "Invalid API-key, IP, or permissions for action.", 0},
		{"clear screen and title", "\x1b[2J\x1b]0;pwned\x07key accepted", "[2J]0;pwnedkey accepted", 0},
		{"C1 CSI", "a\u009b31mb", "a31mb", 0},
		{"DEL and NUL", "a\x7fb\x00c", "abc", 0},
		{"bidi override", "\u202eevil\u202c ok \u2066x\u2069", "evil ok x", 0},
		{"zero width", "enable\u200bWith\u200ddrawals\ufeff", "enableWithdrawals", 0},
		{"newlines fold", "line one\r\nline two\n\n\tthree", "line one line two three", 0},
		{"invalid UTF-8 repaired", "a\xffb", "a\uFFFDb", 0},
		{"accents kept", "clé refusée", "clé refusée", 0},
		{"capped", "abcdefghij", "abcd…", 5},
		{"cap counts characters", "ééééé", "ééé…", 4},
		{"private use dropped", "a\ue000b", "ab", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Clean(c.in, c.max)
			if got != c.want {
				t.Errorf("Clean(%q, %d) = %q, want %q", c.in, c.max, got, c.want)
			}
			if !IsClean(got) {
				t.Errorf("Clean's result %q is not IsClean", got)
			}
		})
	}
}

func TestIsClean(t *testing.T) {
	for s, want := range map[string]bool{
		"btc-spot": true, "Mon bot à moi": true, "": true,
		"a\x1b[31m": false, "a\u202eb": false, "a\nb": false, "a  b": false, " a": false, "a\xff": false,
	} {
		if got := IsClean(s); got != want {
			t.Errorf("IsClean(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"\x1b]8;;http://x\x07link\x1b]8;;\x07", "\u202e\u200b", "a\xff\xfe", strings.Repeat("é", 400)} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max > 1000 || max < -1 {
			return
		}
		got := Clean(s, max)
		if !utf8.ValidString(got) {
			t.Fatalf("Clean(%q) = %q: invalid UTF-8", s, got)
		}
		for _, r := range got {
			if r != utf8.RuneError && unsafe(r) {
				t.Fatalf("Clean(%q) kept %U", s, r)
			}
		}
		if max > 0 && utf8.RuneCountInString(got) > max {
			t.Fatalf("Clean(%q, %d) has %d characters", s, max, utf8.RuneCountInString(got))
		}
		if Clean(got, max) != got {
			t.Fatalf("Clean is not idempotent on %q", s)
		}
	})
}
