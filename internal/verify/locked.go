package verify

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// A key locked to SmartradeX's addresses answers -2015 to this computer:
// it is verified on what the service saw when it re-checked it from its
// address (the live last_check), judged here by the same policy.

// keyRejected tells whether err is Binance's -2015.
func keyRejected(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == "binance.key_rejected"
}

func ipRestricted(raw []byte) bool {
	var body struct {
		IPRestrict json.RawMessage `json:"ipRestrict"`
	}
	return json.Unmarshal(raw, &body) == nil && strings.TrimSpace(string(body.IPRestrict)) == "true"
}

// judgeSeen verifies a locked key on the service's check.
func judgeSeen(e *state.Entry, n *service.Network, now time.Time, r *Result) {
	lc := r.LastCheck
	date := lc.CheckedAt.UTC().Format("2006-01-02 15:04 UTC")
	addHint := i18n.M("enroll.locked_add_ips_hint", strings.Join(n.EgressIPs, ","))
	switch lc.Outcome {
	case service.OutcomeOK, service.OutcomeRefused:
		if len(lc.APIRestrictions) == 0 {
			break
		}
		judge(lc.APIRestrictions, n, now, lc.SeenFrom, r)
		r.Inspected = true
		if lc.UID != 0 {
			r.UID = lc.UID
		}
		changeWarnings(n, now, r)
		return
	case service.OutcomeDeleted, service.OutcomeRejected:
		r.Problems = append(r.Problems, Finding{Code: "binance_rejected", Field: "binance", Kind: apperr.Rejected,
			Message: i18n.M("verify.locked_rejected", e.Bot, lc.SeenFrom, date, lc.BinanceCode),
			Hints:   []i18n.Message{addHint, i18n.M("enroll.locked_deleted_hint"), i18n.M("verify.locked_rotate_hint", e.Bot)}})
		return
	}
	r.Problems = append(r.Problems, Finding{Code: "service_check_unavailable", Field: "binance", Kind: apperr.Unavailable,
		Message: i18n.M("verify.locked_unreachable", e.Bot, lc.SeenFrom, date),
		Hints:   []i18n.Message{i18n.M("service.retry_hint")}})
}

// changeWarnings warns of the announced address changes a locked key must
// follow: a key cannot read its own IP list, so each added address is
// named with its date.
func changeWarnings(n *service.Network, now time.Time, r *Result) {
	for _, ch := range n.Changes {
		if len(ch.Add) == 0 || !ch.EffectiveAt.After(now) {
			continue
		}
		r.Warnings = append(r.Warnings, Finding{Code: "address_change", Field: "ipRestrict",
			Message: i18n.M("verify.address_change", strings.Join(ch.Add, ","), ch.EffectiveAt.UTC().Format("2006-01-02"))})
	}
}

// lastCheckWarning reports the service's last periodic check of a key
// checked here, when it failed: the trading engine sees the key as the
// service does.
func lastCheckWarning(e *state.Entry, r *Result) {
	lc := r.LastCheck
	if lc == nil || lc.OK() {
		return
	}
	var code any = ""
	if lc.BinanceCode != 0 {
		code = i18n.M("verify.binance_code", lc.BinanceCode)
	}
	r.Warnings = append(r.Warnings, Finding{Code: "last_check_failed", Field: "last_check",
		Message: i18n.M("verify.last_check_failed", e.Bot, lc.CheckedAt.UTC().Format("2006-01-02 15:04 UTC"), lc.SeenFrom, outcomeWords(lc.Outcome), code)})
}

// outcomeWords says a failed check's outcome in the user's language.
func outcomeWords(outcome string) i18n.Message {
	switch outcome {
	case service.OutcomeRefused:
		return i18n.M("verify.outcome_refused")
	case service.OutcomeDeleted:
		return i18n.M("verify.outcome_deleted")
	case service.OutcomeRejected:
		return i18n.M("verify.outcome_rejected")
	}
	return i18n.M("verify.outcome_unreachable")
}
