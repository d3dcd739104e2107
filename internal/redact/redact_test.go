package redact

import (
	"strings"
	"testing"
)

func TestMaskKey(t *testing.T) {
	cases := map[string]string{
		"vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A": "vmPU…Eh8A",
		"":          "",
		"abc":       "•••",
		"12345678":  "••••••••",
		"123456789": "1234…6789",
	}
	for in, want := range cases {
		if got := MaskKey(in); got != want {
			t.Errorf("MaskKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskNeverRevealsWholeKey(t *testing.T) {
	for n := 1; n < 40; n++ {
		key := strings.Repeat("k", n-1) + "Z"
		if m := MaskKey(key); strings.Contains(m, key) {
			t.Errorf("MaskKey of %d chars reveals the key: %q", n, m)
		}
	}
}

func TestRedactor(t *testing.T) {
	var r Redactor
	pem := "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u\n-----END PRIVATE KEY-----"
	r.Add("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j", pem, "abc")
	out := r.Redact("secret=NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j line MC4CAQAwBQYDK2VwBCIEIIJEYWtGBrhACmb9Dvy+qa8WEf0lQOl1s4CLIAB9m89u abc")
	if strings.Contains(out, "NhqPtmd") || strings.Contains(out, "MC4CAQ") {
		t.Fatalf("secret survived redaction: %q", out)
	}
	if !strings.Contains(out, "abc") {
		t.Fatalf("short strings must not be scrubbed: %q", out)
	}
	var nilR *Redactor
	if nilR.Redact("x") != "x" {
		t.Fatal("nil redactor must pass text through")
	}
}
