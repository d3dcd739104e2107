package onboard

import (
	"strings"

	"github.com/smartradex/smartradex/internal/policy"
)

// BoxFixes turns a refused key's findings into the few lines the recheck
// screen shows: each box once, in Binance's labels, grouped by what to do
// with it (untick, tick, choose "Unrestricted"); a finding of any other
// kind keeps its own message.
func (u *UI) BoxFixes(problems []policy.Finding) []string {
	var untick, tick, other []string
	ip := false
	quote := func(f string) string { return u.t("onboard.fix.quote", u.lang.Render(policy.Label(f))) }
	for _, p := range problems {
		switch p.Code {
		case policy.CodeForbiddenPermission:
			untick = append(untick, quote(p.Field))
		case policy.CodeMissingPermission:
			tick = append(tick, quote(p.Field))
		case policy.CodeIPRestricted:
			ip = true
		default:
			other = append(other, Typeset(u.lang, u.lang.Render(p.Message)))
		}
	}
	var out []string
	if len(untick) > 0 {
		out = append(out, u.t("onboard.fix.untick", strings.Join(untick, ", ")))
	}
	if len(tick) > 0 {
		out = append(out, u.t("onboard.fix.tick", strings.Join(tick, ", ")))
	}
	if ip {
		out = append(out, u.t("onboard.fix.ip"))
	}
	return append(out, other...)
}
