// Package onboard is the guided part of `keys add`: the SmartradeX
// tutorial's steps as data, and the screens (huh forms, or plain questions
// in accessible mode) that walk a novice from nothing to a pasted key.
// It asks and shows; checking, storing and registering the key belong to
// the command that drives it.
package onboard

import (
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
// rights with no IP restriction.
func Steps(bot bots.Bot) []Step {
	return []Step{
		{ID: StepBefore, Title: i18n.M("onboard.step0.title"), Body: i18n.M("onboard.step0.body", botName(bot))},
		{ID: StepAccount, Title: i18n.M("onboard.step1.title"), Body: i18n.M("onboard.step1.body")},
		{ID: StepCreateKey, Title: i18n.M("onboard.step2.title", botName(bot)), Body: i18n.M("onboard.step2.body", botName(bot), bot.Label)},
		{ID: StepRestrictions, Title: i18n.M("onboard.step3.title"), Body: i18n.M("onboard.step3.body")},
	}
}
