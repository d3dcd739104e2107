package keys

import (
	"context"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/policy"
)

// continueGenerated is what `keys generate` does once Binance has shown the
// API key of a generated key pair.
//
// Until the enrolment engine of `keys add` (internal/enroll) is merged, it
// does the engine's first half only: it checks the key with Binance, signing
// with the generated private key, and judges its rights with the policy;
// storing under the bot's own name and registering with SmartradeX are left
// to `keys add --use-generated`, which it names. Once enroll is merged its
// body becomes enroll.Check then enroll.Add with a Request whose Creds are
// creds and whose Replace is replace.
func continueGenerated(ctx context.Context, o *GenerateOptions, bot bots.Bot, creds binance.Credentials, replace bool) error {
	f := o.F
	client, err := f.Binance()
	if err != nil {
		return err
	}
	insp, err := client.Inspect(ctx, creds)
	if err != nil {
		return err
	}
	verdict, err := policy.Judge(insp.Restrictions, o.Now())
	if err != nil {
		return err
	}
	co := &CheckOptions{IO: o.IO, Lang: f.Lang()}
	if o.JSON {
		err = printCheckJSON(co, creds, insp, verdict)
	} else {
		printCheckHuman(co, creds, insp, verdict)
	}
	if err != nil {
		return err
	}
	if !verdict.OK() {
		f.Errf("keys.generate.refused_hint", bot.ID)
		return cmdutil.Reported(apperr.Refused)
	}
	next := "smartradex keys add --bot " + bot.ID + " --api-key " + creds.APIKey + " --use-generated"
	if replace {
		next += " --replace"
	}
	f.Errf("keys.generate.checked_next", next)
	return nil
}
