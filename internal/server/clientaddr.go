package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies reads the address ranges whose forwarded headers are
// believed: CIDRs (192.0.2.0/24, 2001:db8::/32) or single addresses. An
// empty list trusts nobody.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(s); err == nil && a.Zone() != "" {
				err = errMalformed
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8 or an IP address", s)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8: peers are compared unmapped.
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// client is the address a request is attributed to: the TCP peer, or,
// when the peer is a trusted proxy, the address the proxies forwarded.
type client struct {
	addr      netip.Addr // invalid only when the peer's address could not be read
	peer      string     // the peer's host, as net/http gives it
	forwarded bool       // addr comes from a forwarded header
	// ignored is set when a peer that is not trusted sent a forwarded header.
	ignored bool
}

// String is the client's address for the audit trail and the logs: always
// a parsed address, never text from a header.
func (c client) String() string {
	if c.addr.IsValid() {
		return c.addr.String()
	}
	return c.peer
}

// bucket is the rate-limit key of the client's address: an IPv6 client is
// limited by its /64, which one subscriber's network usually is whole.
func (c client) bucket() string {
	if !c.addr.IsValid() {
		return "peer:" + c.peer
	}
	if c.addr.Is4() {
		return c.addr.String()
	}
	return netip.PrefixFrom(c.addr, 64).Masked().String()
}

func withClient(ctx context.Context, c client) context.Context {
	return context.WithValue(ctx, clientKey, c)
}

// clientFrom is the request's client, computed once by observe.
func clientFrom(ctx context.Context) client {
	c, _ := ctx.Value(clientKey).(client)
	return c
}

// clientOf works out r's client address. The TCP peer is the client unless
// it is inside trusted; then X-Forwarded-For (or, when the request has
// none, RFC 7239 Forwarded's for=) is walked from the right, the entries
// the proxies appended, skipping trusted addresses: the first one that is
// not trusted is the client. Entries further left were written by the
// client and are never read. A malformed entry met on the way, or an
// address that is not one (unknown, obfuscated), makes the peer the client:
// a header never fails a request.
func clientOf(r *http.Request, trusted []netip.Prefix) client {
	c := client{peer: r.RemoteAddr}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		c.addr = ap.Addr().WithZone("").Unmap()
		c.peer = c.addr.String()
	} else if a, err := netip.ParseAddr(r.RemoteAddr); err == nil {
		c.addr = a.WithZone("").Unmap()
		c.peer = c.addr.String()
	}
	xff, fwd := r.Header.Values("X-Forwarded-For"), r.Header.Values("Forwarded")
	if len(xff) == 0 && len(fwd) == 0 {
		return c
	}
	if !c.addr.IsValid() || !isTrusted(c.addr, trusted) {
		c.ignored = true
		return c
	}
	var hops []string
	parse := parseXFFEntry
	if len(xff) > 0 {
		hops = splitList(xff)
	} else {
		hops, parse = splitList(fwd), parseForwardedElement
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := parse(hops[i])
		if err != nil {
			return c
		}
		if !isTrusted(a, trusted) || i == 0 {
			// All trusted: the furthest proxy is the best known client.
			c.addr, c.forwarded = a, true
			return c
		}
	}
	return c
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// maxHops bounds the entries a forwarded header is split into; the
// server's 16 KiB header limit already bounds the text.
const maxHops = 64

// splitList splits the lines of a list header at commas, keeping only the
// last maxHops entries (the ones the proxies appended are on the right).
func splitList(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, strings.Split(l, ",")...)
	}
	if len(out) > maxHops {
		out = out[len(out)-maxHops:]
	}
	return out
}

var errMalformed = errors.New("malformed forwarded address")

// parseXFFEntry reads one X-Forwarded-For entry: an address, with or
// without a port ("192.0.2.1", "192.0.2.1:443", "2001:db8::1",
// "[2001:db8::1]:443").
func parseXFFEntry(s string) (netip.Addr, error) {
	return parseNode(strings.TrimSpace(s))
}

// parseForwardedElement reads the for= of one RFC 7239 Forwarded element
// (for=192.0.2.1;proto=https, for="[2001:db8::1]:443").
func parseForwardedElement(s string) (netip.Addr, error) {
	var node string
	found := false
	for _, pair := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			if strings.TrimSpace(pair) == "" {
				continue
			}
			return netip.Addr{}, errMalformed
		}
		if !strings.EqualFold(strings.TrimSpace(k), "for") {
			continue
		}
		if found {
			return netip.Addr{}, errMalformed
		}
		found = true
		node = strings.TrimSpace(v)
		if len(node) >= 2 && node[0] == '"' && node[len(node)-1] == '"' {
			node = node[1 : len(node)-1]
		}
		if strings.ContainsAny(node, `"\`) {
			return netip.Addr{}, errMalformed
		}
	}
	if !found {
		return netip.Addr{}, errMalformed
	}
	return parseNode(node)
}

// parseNode reads an address with an optional port, IPv6 in brackets when
// it has one. A zone, "unknown" or an obfuscated name is malformed here.
func parseNode(s string) (netip.Addr, error) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, errMalformed
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return checkNode(ap.Addr())
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, errMalformed
	}
	return checkNode(a)
}

func checkNode(a netip.Addr) (netip.Addr, error) {
	if a.Zone() != "" {
		return netip.Addr{}, errMalformed
	}
	return a.Unmap(), nil
}
