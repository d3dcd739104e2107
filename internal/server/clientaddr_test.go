package server

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func TestClientAddress(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "2001:db8:ffff::/48", "192.0.2.10"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		trusted   []netip.Prefix
		peer      string
		xff       []string // X-Forwarded-For lines
		fwd       []string // Forwarded lines
		want      string
		forwarded bool
		ignored   bool
	}{
		{name: "no proxy configured, no header", peer: "203.0.113.5:51000", want: "203.0.113.5"},
		{name: "no proxy configured, header ignored", peer: "203.0.113.5:51000", xff: []string{"198.51.100.1"},
			want: "203.0.113.5", ignored: true},
		{name: "untrusted peer sends XFF", trusted: trusted, peer: "203.0.113.5:51000", xff: []string{"198.51.100.1"},
			want: "203.0.113.5", ignored: true},
		{name: "untrusted peer sends Forwarded", trusted: trusted, peer: "203.0.113.5:51000", fwd: []string{"for=198.51.100.1"},
			want: "203.0.113.5", ignored: true},
		{name: "trusted peer without header", trusted: trusted, peer: "10.1.2.3:51000", want: "10.1.2.3"},
		{name: "trusted proxy, one hop", trusted: trusted, peer: "10.1.2.3:51000", xff: []string{"198.51.100.1"},
			want: "198.51.100.1", forwarded: true},
		{name: "trusted proxies, many hops", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"198.51.100.1, 10.9.9.9, 192.0.2.10"}, want: "198.51.100.1", forwarded: true},
		{name: "hops over several lines", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"198.51.100.1", "10.9.9.9"}, want: "198.51.100.1", forwarded: true},
		{name: "spoofed leftmost entries are not read", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"1.1.1.1, 10.0.0.1, 198.51.100.1, 10.9.9.9"}, want: "198.51.100.1", forwarded: true},
		{name: "garbage left of the client is not read", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"<script>, not-an-ip\x1b[31m, 198.51.100.1"}, want: "198.51.100.1", forwarded: true},
		{name: "every hop trusted: the furthest", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"10.7.7.7, 10.8.8.8"}, want: "10.7.7.7", forwarded: true},
		{name: "malformed entry on the walk: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"198.51.100.1, bogus"}, want: "10.1.2.3"},
		{name: "empty entry on the walk: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"198.51.100.1,"}, want: "10.1.2.3"},
		{name: "empty header: the peer", trusted: trusted, peer: "10.1.2.3:51000", xff: []string{""}, want: "10.1.2.3"},
		{name: "address with a zone: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"fe80::1%eth0"}, want: "10.1.2.3"},
		{name: "overlong entry: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{strings.Repeat("1", 100)}, want: "10.1.2.3"},
		{name: "IPv4 with a port", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"198.51.100.1:4711"}, want: "198.51.100.1", forwarded: true},
		{name: "IPv6", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"2001:db8:1::7"}, want: "2001:db8:1::7", forwarded: true},
		{name: "IPv6 in brackets with a port", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"[2001:db8:1::7]:4711"}, want: "2001:db8:1::7", forwarded: true},
		{name: "IPv6 in brackets", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"[2001:db8:1::7]"}, want: "2001:db8:1::7", forwarded: true},
		{name: "IPv4-mapped IPv6 is IPv4", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1", forwarded: true},
		{name: "trusted IPv6 proxy", trusted: trusted, peer: "[2001:db8:ffff::1]:51000",
			xff: []string{"198.51.100.1, 2001:db8:ffff::2"}, want: "198.51.100.1", forwarded: true},
		{name: "IPv6 peer with a zone", peer: "[fe80::1%eth0]:51000", want: "fe80::1"},
		{name: "mapped peer is compared unmapped", trusted: trusted, peer: "[::ffff:10.1.2.3]:51000",
			xff: []string{"198.51.100.1"}, want: "198.51.100.1", forwarded: true},
		{name: "Forwarded for=", trusted: trusted, peer: "10.1.2.3:51000",
			fwd: []string{`for=198.51.100.1;proto=https, for="[2001:db8:ffff::2]:443"`}, want: "198.51.100.1", forwarded: true},
		{name: "Forwarded, quoted IPv6 with a port", trusted: trusted, peer: "10.1.2.3:51000",
			fwd: []string{`For="[2001:db8:1::7]:4711";by=10.1.2.3`}, want: "2001:db8:1::7", forwarded: true},
		{name: "Forwarded unknown: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			fwd: []string{"for=unknown"}, want: "10.1.2.3"},
		{name: "Forwarded obfuscated: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			fwd: []string{"for=_hidden"}, want: "10.1.2.3"},
		{name: "Forwarded without for: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			fwd: []string{"proto=https"}, want: "10.1.2.3"},
		{name: "Forwarded with two for: the peer", trusted: trusted, peer: "10.1.2.3:51000",
			fwd: []string{"for=198.51.100.1;for=198.51.100.2"}, want: "10.1.2.3"},
		{name: "X-Forwarded-For wins over Forwarded", trusted: trusted, peer: "10.1.2.3:51000",
			xff: []string{"198.51.100.1"}, fwd: []string{"for=198.51.100.2"}, want: "198.51.100.1", forwarded: true},
		{name: "peer without a port", peer: "203.0.113.5", want: "203.0.113.5"},
		{name: "peer that is not an address", trusted: trusted, peer: "@", xff: []string{"198.51.100.1"}, want: "@", ignored: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "http://service/v1/bots", nil)
			if err != nil {
				t.Fatal(err)
			}
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			for _, v := range tc.fwd {
				r.Header.Add("Forwarded", v)
			}
			c := clientOf(r, tc.trusted)
			if c.String() != tc.want || c.forwarded != tc.forwarded || c.ignored != tc.ignored {
				t.Errorf("client = %q (forwarded %v, ignored %v); want %q (%v, %v)",
					c.String(), c.forwarded, c.ignored, tc.want, tc.forwarded, tc.ignored)
			}
		})
	}
}

func TestClientBucket(t *testing.T) {
	cases := []struct{ addr, want string }{
		{"198.51.100.1", "198.51.100.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
	}
	for _, tc := range cases {
		c := client{addr: netip.MustParseAddr(tc.addr)}
		if got := c.bucket(); got != tc.want {
			t.Errorf("bucket(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if got := (client{peer: "@"}).bucket(); got != "peer:@" {
		t.Errorf("bucket of an unreadable peer = %q", got)
	}
}

func TestParseTrustedProxies(t *testing.T) {
	good := []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"10.0.0.0/8"}, "10.0.0.0/8"},
		{[]string{" 10.1.2.3/8 ", "2001:db8::/32"}, "10.0.0.0/8 2001:db8::/32"},
		{[]string{"192.0.2.10"}, "192.0.2.10/32"},
		{[]string{"2001:db8::1"}, "2001:db8::1/128"},
		{[]string{"::ffff:10.0.0.0/104"}, "10.0.0.0/8"},
	}
	for _, tc := range good {
		got, err := ParseTrustedProxies(tc.in)
		if err != nil {
			t.Errorf("ParseTrustedProxies(%q): %v", tc.in, err)
			continue
		}
		var s []string
		for _, p := range got {
			s = append(s, p.String())
		}
		if strings.Join(s, " ") != tc.want {
			t.Errorf("ParseTrustedProxies(%q) = %q, want %q", tc.in, s, tc.want)
		}
	}
	for _, in := range []string{"10.0.0.0/33", "nginx", "10.0.0.0/", "fe80::/10%eth0", "fe80::1%eth0", "2001:db8::/129"} {
		if _, err := ParseTrustedProxies([]string{in}); err == nil || !strings.Contains(err.Error(), "is not a CIDR") {
			t.Errorf("ParseTrustedProxies(%q) = %v, want an error", in, err)
		}
	}
}
