package enroll

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// SeenLocal is where a verdict was seen from when this computer asked
// Binance itself.
const SeenLocal = "local"

// Where a key is checked. A key locked to SmartradeX's addresses answers
// -2015 to this computer: with ip_lock required or recommended, such a key
// (and any key that says ipRestrict) is checked by the service, from the
// addresses it trusts, and this computer judges what the service saw with
// the same policy.Judge. With ip_lock off, or a service that publishes no
// /v1/network, the service is never asked and ipRestrict stays refused.

// network is the service's addresses and rule; OffNetwork without a source.
func (d Deps) network(ctx context.Context) (*service.Network, error) {
	if d.Network == nil {
		return service.OffNetwork(), nil
	}
	return d.Network(ctx)
}

// CheckOptions says how far Check goes for a locked key.
type CheckOptions struct {
	// Bot names the bot whose service checks a locked key (keys check);
	// it is asked only when the service must check. nil leaves the check
	// to the registration's PUT, which checks first (keys add, rotate,
	// sync: one round trip to the service).
	Bot func(ctx context.Context) (string, error)
}

// probe is the local call to Binance and the fetch of /v1/network, made
// at the same time.
type probe struct {
	insp   *binance.Inspection
	err    error
	net    *service.Network
	netErr error
}

func (d Deps) probe(ctx context.Context, creds binance.Credentials) probe {
	var p probe
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.net, p.netErr = d.network(ctx)
	}()
	p.insp, p.err = d.Binance.Inspect(ctx, creds)
	wg.Wait()
	return p
}

// keyRejected tells whether err is Binance's -2015: a deleted key, or one
// whose trusted IPs do not include the caller's address.
func keyRejected(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && ae.Code == "binance.key_rejected"
}

// ipRestricted reads ipRestrict from Binance's body; the policy judges the
// body, this only decides where it must be seen from.
func ipRestricted(raw []byte) bool {
	var body struct {
		IPRestrict json.RawMessage `json:"ipRestrict"`
	}
	return json.Unmarshal(raw, &body) == nil && strings.TrimSpace(string(body.IPRestrict)) == "true"
}

// CheckWith is Check for a locked key too: see Checked.Locked.
func CheckWith(ctx context.Context, d Deps, creds binance.Credentials, o CheckOptions) (*Checked, error) {
	p := d.probe(ctx, creds)
	local := p.err == nil
	locked := local && ipRestricted(p.insp.Restrictions) || keyRejected(p.err)
	if p.netErr != nil {
		switch {
		case locked && p.err != nil && o.Bot == nil:
			// The key cannot be checked here and the service is out of
			// reach: Add may keep it only as not yet checked, and keys
			// sync sends it through the checking PUT.
			return &Checked{Locked: true, Unchecked: true, NetworkErr: p.netErr}, nil
		case p.err != nil:
			return nil, p.err
		case locked:
			return nil, p.netErr
		}
		// An unrestricted key checked here: judged by today's rule, and
		// the verdict says that the service's own rule is not known.
		v, err := policy.Judge(p.insp.Restrictions, policy.Context{Now: d.now()})
		if err != nil {
			return nil, err
		}
		return &Checked{Inspection: p.insp, Verdict: v, SeenFrom: SeenLocal, NetworkErr: p.netErr}, nil
	}
	if p.err != nil && !(keyRejected(p.err) && p.net.Locking()) {
		return nil, p.err
	}
	if !locked || !p.net.Locking() {
		v, err := policy.Judge(p.insp.Restrictions, policy.Context{Now: d.now(), IPLock: p.net.IPLock})
		if err != nil {
			return nil, err
		}
		return &Checked{Inspection: p.insp, Verdict: v, Network: p.net, SeenFrom: SeenLocal}, nil
	}
	if o.Bot == nil {
		return &Checked{Network: p.net, Locked: true, Unchecked: true}, nil
	}
	svc, err := d.service(ctx)
	if err != nil {
		// Most often not logged in: say why SmartradeX is needed at all.
		return nil, withHint(err, i18n.M("enroll.locked_needs_service"))
	}
	bot, err := o.Bot(ctx)
	if err != nil {
		return nil, err
	}
	c, err := svc.CheckKey(ctx, bot, service.KeyRegistration{APIKey: creds.APIKey, APISecret: creds.Secret, KeyType: string(creds.Type)})
	if err != nil {
		return nil, RejectedFrom(err, p.net)
	}
	return judgeSeen(d, p.net, c.APIRestrictions, c.UID, c.SeenFrom)
}

// judgeSeen judges what the service saw, with the same pure policy.Judge.
func judgeSeen(d Deps, n *service.Network, raw json.RawMessage, uid int64, from string) (*Checked, error) {
	lock := service.IPLockOff
	if n != nil {
		lock = n.IPLock
	}
	v, err := policy.Judge(raw, policy.Context{Now: d.now(), IPLock: lock})
	if err != nil {
		return nil, err
	}
	return &Checked{Inspection: &binance.Inspection{Restrictions: raw, UID: uid}, Verdict: v, Network: n, Locked: true, SeenFrom: from}, nil
}

// JudgeLastCheck judges what the service saw when it checked a key (the
// PUT's last_check), for the verdict a locked add shows. A check that did
// not end "ok" has no verdict: nil.
func JudgeLastCheck(d Deps, n *service.Network, lc *service.LastCheck) (*Checked, error) {
	if !lc.OK() {
		return nil, nil
	}
	return judgeSeen(d, n, lc.APIRestrictions, lc.UID, lc.SeenFrom)
}

// RejectedFrom words the service's binance_rejected for the person who
// must fix the key: the address SmartradeX called from is missing from
// the key's trusted IPs (or the key was deleted), and the list to type on
// Binance, all of SmartradeX's addresses on one line. Other errors are
// returned as they are.
func RejectedFrom(err error, n *service.Network) error {
	var re *service.RejectedError
	var ae *apperr.Error
	if !errors.As(err, &re) || !errors.As(err, &ae) || strings.HasPrefix(ae.Message.Key, "enroll.locked_rejected") {
		return err
	}
	var hints []i18n.Message
	if n != nil && len(n.EgressIPs) > 0 {
		hints = append(hints, i18n.M("enroll.locked_add_ips_hint", strings.Join(n.EgressIPs, ",")))
	}
	hints = append(hints, i18n.M("enroll.locked_deleted_hint"))
	msg := i18n.M("enroll.locked_rejected", re.SeenFrom, re.BinanceCode)
	if re.SeenFrom == "" {
		msg = i18n.M("enroll.locked_rejected_unknown", re.BinanceCode)
	}
	// The cause is the service's finding alone: the service's own
	// message says the same as msg.
	return apperr.Wrap(apperr.Rejected, "service.binance_rejected", re, msg, hints...)
}

// checkedBy records in e what the service's check of it found: the
// sub-account, and when it was verified.
func checkedBy(e *state.Entry, lc *service.LastCheck) {
	if !lc.OK() {
		return
	}
	if e.UID == 0 {
		e.UID = lc.UID
	}
	at := lc.CheckedAt.UTC()
	e.VerifiedAt = &at
}

// notCheckedByPut is a locked key the service registered without saying
// what it saw: with ip_lock required or recommended the contract has it
// check first, so the answer is not one the CLI can count on.
func notCheckedByPut(bot string) error {
	return apperr.New(apperr.Unavailable, "enroll.locked_no_check", i18n.M("enroll.locked_no_check", bot), i18n.M("enroll.locked_verify_hint", bot))
}

// seenRefused is the error for what the service's checking PUT saw, once
// it registered the key: nothing said (notCheckedByPut), or rights this
// smartradex refuses although the service accepted them — two versions of
// the policy that disagree. The key is in force at SmartradeX: the user is
// told, with the command that takes it back, rather than shown "accepted".
func seenRefused(seen *Checked, bot string) error {
	switch {
	case seen == nil:
		return notCheckedByPut(bot)
	case !seen.Verdict.OK():
		return apperr.New(apperr.Refused, "enroll.seen_refused", i18n.M("enroll.seen_refused", bot, len(seen.Verdict.Problems)),
			i18n.M("enroll.seen_refused_hint", bot))
	}
	return nil
}

// seenConflict applies the one-sub-account-per-bot rule once the service's
// check has named the sub-account of a locked key (this computer could not
// learn it before): the key is registered by then, so the error says how
// to take it back.
func seenConflict(d Deps, req Request, uid int64) error {
	snap, err := d.Index.Load()
	if err != nil || uid == 0 {
		return nil //nolint:nilerr // an unreadable index or an unknown uid: the rule is checked again by keys verify
	}
	if err := conflict(snap, req.Bot.ID, req.Creds, uid); err != nil {
		return withHint(err, i18n.M("enroll.seen_conflict_hint", req.Bot.ID))
	}
	return nil
}
