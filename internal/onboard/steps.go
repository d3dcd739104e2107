// Package onboard is the guided part of `keys add`: the SmartradeX
// tutorial's steps as data, and the screens (huh forms, or plain questions
// in accessible mode) that walk a novice from nothing to a pasted key.
// It asks and shows; checking, storing and registering the key belong to
// the command that drives it.
package onboard

import (
	"strings"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/i18n"
)

// Step is one screen of the tutorial. Title and Body quote Binance's
// labels in the user's language.
type Step struct {
	ID    string
	Title i18n.Message
	Body  i18n.Message
}

// The step IDs, stable for tests and for --skip-tutorial style logic.
const (
	StepBefore       = "before-you-start"
	StepAccount      = "account-api-management"
	StepCreateKey    = "sub-account-create-api"
	StepRestrictions = "edit-restrictions"
)

// Steps returns the tutorial for bot, in order: what to have before
// starting, the Account tab's security box, creating the key on the bot's
// own sub-account with the bot's label, and ticking only the two accepted
// rights with no IP restriction. egress is the list of addresses
// SmartradeX publishes for locked keys (ip_lock required or recommended):
// then the key is restricted to them instead (Binance's "Restrict access to
// trusted IPs only"), the addresses shown on one line to copy, and the
// Account tab's step, which only unrestricted keys need, is left out.
func Steps(bot bots.Bot, egress []string) []Step {
	if len(egress) > 0 {
		return []Step{
			{ID: StepBefore, Title: i18n.M("onboard.step0.title"), Body: i18n.M("onboard.step0.body", botName(bot))},
			{ID: StepCreateKey, Title: i18n.M("onboard.step2.title", botName(bot)), Body: i18n.M("onboard.step2.body", botName(bot), bot.Label)},
			{ID: StepRestrictions, Title: i18n.M("onboard.step3_locked.title"), Body: i18n.M("onboard.step3_locked.body", AddressLine(egress))},
		}
	}
	return []Step{
		{ID: StepBefore, Title: i18n.M("onboard.step0.title"), Body: i18n.M("onboard.step0.body", botName(bot))},
		{ID: StepAccount, Title: i18n.M("onboard.step1.title"), Body: i18n.M("onboard.step1.body")},
		{ID: StepCreateKey, Title: i18n.M("onboard.step2.title", botName(bot)), Body: i18n.M("onboard.step2.body", botName(bot), bot.Label)},
		{ID: StepRestrictions, Title: i18n.M("onboard.step3.title"), Body: i18n.M("onboard.step3.body")},
	}
}

// AddressLine is SmartradeX's addresses as one line to copy into Binance's
// trusted-IP field: separated by commas, no spaces (the form a
// third-party answer reports Binance's field takes).
func AddressLine(egress []string) string { return strings.Join(egress, ",") }
