package cmdutil

import "testing"

func TestPlausibleWord(t *testing.T) {
	for s, want := range map[string]bool{
		"check":        true,
		"eth-spot":     true,
		"exit-codes":   true,
		"":             false,
		"-x":           false,
		"x-":           false,
		"Check":        false,
		"v2":           false,
		"sxt_live_abc": false,
		"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A": false,
		"abcdefghijklmnopqrstuvwxyz":                                       false,
	} {
		if got := PlausibleWord(s); got != want {
			t.Errorf("PlausibleWord(%q) = %v, want %v", s, got, want)
		}
	}
}
