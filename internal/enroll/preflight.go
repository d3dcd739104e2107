package enroll

import (
	"github.com/smartradex/smartradex/internal/binance"
)

// Conflict is the rule Add enforces (one key, and one sub-account, per
// bot) checked ahead of time against the index, so that a guided run can
// say so before it calls the key accepted, and let the user paste another.
// uid is the Binance sub-account Check found for the key (0: unknown).
func Conflict(d Deps, bot string, creds binance.Credentials, uid int64) error {
	snap, err := d.Index.Load()
	if err != nil {
		return err
	}
	return conflict(snap, bot, creds, uid)
}
