package enroll

import (
	"context"
	"errors"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// Outcome is what became of an intent once settled.
type Outcome string

const (
	// OutcomeRegistered: SmartradeX holds the key and the index says so.
	OutcomeRegistered Outcome = "registered"
	// OutcomeRotated: SmartradeX holds the new key, which is now in force here.
	OutcomeRotated Outcome = "rotated"
	// OutcomeRemoved: the key is gone here (and at SmartradeX if asked).
	OutcomeRemoved Outcome = "removed"
	// OutcomeUndone: the operation never reached SmartradeX and was taken
	// back here (a rotation's new key, an add whose secret was never stored).
	OutcomeUndone Outcome = "undone"
	// OutcomePending: the key was not sent, or SmartradeX refused it; it
	// stays here as pending and the intent is cleared.
	OutcomePending Outcome = "pending"
	// OutcomeUnsettled: SmartradeX may hold the key and could not be asked;
	// the intent stays for the next command.
	OutcomeUnsettled Outcome = "unsettled"
	// outcomeNotSent: this command recorded the intent but never sent the
	// request (no client, or cancelled first); the intent is cleared and
	// the caller decides what stays.
	outcomeNotSent Outcome = "not_sent"
)

// settleTimeout bounds what is asked of the service once the user pressed
// Ctrl-C.
const settleTimeout = 3 * time.Second

// recordIntent writes in for bot in one update of the index. The caller
// writes the secret only afterwards, so a failure between the two leaves an
// intent naming a missing secret, which the next command takes back, never
// a secret nothing names.
func recordIntent(ctx context.Context, d Deps, bot string, in *state.Intent) error {
	return d.Index.Update(ctx, func(s *state.Snapshot) error {
		setIntent(s, bot, in)
		return nil
	})
}

func setIntent(s *state.Snapshot, bot string, in *state.Intent) {
	if s.Intents == nil {
		s.Intents = map[string]*state.Intent{}
	}
	s.Intents[bot] = in
}

// clearIntent removes bot's intent if it is still in (same operation and
// key): never one another command recorded since.
func clearIntent(s *state.Snapshot, bot string, in *state.Intent) {
	if cur := s.Intents[bot]; cur != nil && sameIntent(cur, in) {
		delete(s.Intents, bot)
	}
}

func sameIntent(a, b *state.Intent) bool {
	return a.Op == b.Op && a.Key.APIKey == b.Key.APIKey && a.Since.Equal(b.Since)
}

func dropIntent(ctx context.Context, d Deps, bot string, in *state.Intent) error {
	return d.Index.Update(context.WithoutCancel(ctx), func(s *state.Snapshot) error {
		clearIntent(s, bot, in)
		return nil
	})
}

// definite tells an answer of the service that says it did not take the
// request (4xx: refused, token or subscription rejected, malformed) from a
// failure after which it may hold it (no answer, 5xx, a bad answer, a
// cancellation).
func definite(err error) bool {
	switch apperr.KindOf(err) {
	case apperr.Refused, apperr.Rejected, apperr.Usage:
		return true
	}
	return false
}

// registration is the body of the PUT for key.
func registration(key *state.Entry, secret string) service.KeyRegistration {
	label := key.Label
	if label == "" {
		if b, ok := bots.Lookup(key.Bot); ok {
			label = b.Label
		}
	}
	return service.KeyRegistration{APIKey: key.APIKey, APISecret: secret, KeyType: key.KeyType, Label: label}
}

// readSecret reads the secret of key from the store its entry names.
func readSecret(ctx context.Context, d Deps, key *state.Entry) (string, error) {
	store, err := d.storeFor(key.Backend)
	if err != nil {
		return "", err
	}
	return store.Get(ctx, key.SecretName)
}

// recheck asks Binance again about a key checked earlier: rights can be
// given to a key after it was added, and a key is sent only as it is now.
// A key now refused gets the refusal keys check gives, with its problems.
func recheck(ctx context.Context, d Deps, key *state.Entry, secret string) error {
	creds, err := binance.ParseCredentials(key.APIKey, secret)
	if err != nil {
		return err
	}
	checked, err := Check(ctx, d, creds)
	if err != nil {
		return err
	}
	if checked.Unchecked || checked.Verdict.OK() {
		// A locked key is checked by the PUT that sends it.
		return nil
	}
	var hints []i18n.Message
	for _, p := range checked.Verdict.Problems {
		hints = append(hints, p.Message)
	}
	hints = append(hints, i18n.M("enroll.refused_hint"))
	return apperr.New(apperr.Refused, "enroll.recheck_refused", i18n.M("enroll.recheck_refused", key.Bot, len(checked.Verdict.Problems)), hints...)
}

// settle brings the intent in for bot to its end, with bot's lock held.
// A fresh intent was just recorded by this command, whose key was just
// checked: it is sent at once. An intent left by an earlier command is
// settled as it may have ended: SmartradeX is asked what it holds first
// (GET); if it holds the key, only the index is brought in line; if not,
// the key is checked with Binance again and sent (finishing what the user
// started), or, refused now, not sent. Whatever happens, the service, the
// index and the store agree afterwards, or the intent stays and the error
// says that SmartradeX may hold the key.
func settle(ctx context.Context, d Deps, bot string, in *state.Intent, fresh bool) SyncResult {
	res := SyncResult{Bot: bot, APIKey: in.Key.APIKey, Op: in.Op}
	if in.Op == state.OpRemove {
		r, err := finishRemove(ctx, d, bot, in)
		res.Err = err
		res.Outcome = OutcomeUnsettled
		if r != nil {
			res.Outcome = OutcomeRemoved
		}
		return res
	}
	svc, err := d.service(ctx)
	if err != nil {
		if fresh {
			_ = dropIntent(ctx, d, bot, in)
			res.Outcome, res.Err = outcomeNotSent, err
			return res
		}
		return unsettled(res, in, err)
	}
	if !fresh {
		reg, err := svc.GetKey(ctx, bot)
		switch {
		case err == nil && reg.APIKey == in.Key.APIKey:
			res.LastCheck = reg.LastCheck
			return complete(ctx, d, bot, in, res)
		case err != nil && !errors.Is(err, service.ErrNotFound):
			return unsettled(res, in, err)
		}
	}
	secret, err := readSecret(ctx, d, in.Key)
	if errors.Is(err, secrets.ErrNotFound) {
		// The command stopped between the index and the secret: the
		// request, which comes after both, was never sent.
		res.Err = undo(ctx, d, bot, in)
		res.Outcome = OutcomeUndone
		if res.Err != nil {
			res.Outcome = OutcomeUnsettled
		}
		return res
	}
	if err != nil {
		return unsettled(res, in, err)
	}
	if !fresh {
		if err := recheck(ctx, d, in.Key, secret); err != nil {
			if apperr.KindOf(err) != apperr.Refused {
				return unsettled(res, in, err)
			}
			res.Err = err
			if in.Op == state.OpRotate {
				res.Outcome = OutcomeUndone
				if uerr := undo(ctx, d, bot, in); uerr != nil {
					res.Outcome, res.Err = OutcomeUnsettled, uerr
				} else {
					res.Err = KeptOld(err, bot)
				}
				return res
			}
			res.Outcome = OutcomePending
			if derr := dropIntent(ctx, d, bot, in); derr != nil {
				res.Outcome = OutcomeUnsettled
			}
			return res
		}
	}
	if ctx.Err() != nil {
		if fresh {
			_ = dropIntent(ctx, d, bot, in)
			res.Outcome, res.Err = outcomeNotSent, apperr.Wrap(apperr.Cancelled, "cancelled", ctx.Err(), i18n.M("error.cancelled"))
			return res
		}
		return unsettled(res, in, ctx.Err())
	}
	reg, err := svc.PutKey(ctx, bot, registration(in.Key, secret))
	if err == nil {
		res.LastCheck = reg.LastCheck
		return complete(ctx, d, bot, in, res)
	}
	if definite(err) {
		if errCode(err) == "service.binance_rejected" {
			// Binance refused it from SmartradeX's address: the message
			// names the addresses the key must trust.
			n, _ := d.network(ctx) // unknown, the hint names no address
			err = RejectedFrom(err, n)
		}
		res.Err = err
		if in.Op == state.OpRotate {
			res.Outcome = OutcomeUndone
			if uerr := undo(ctx, d, bot, in); uerr != nil {
				res.Outcome = OutcomeUnsettled
			}
			return res
		}
		res.Outcome = OutcomePending
		if derr := dropIntent(ctx, d, bot, in); derr != nil {
			res.Outcome = OutcomeUnsettled
		}
		return res
	}
	if ctx.Err() != nil {
		// Ctrl-C during the PUT: if the service already holds the key, the
		// job is done (the interruption came too late). If it does not,
		// the PUT may still be on its way: the intent stays.
		bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
		defer cancel()
		if reg, gerr := svc.GetKey(bg, bot); gerr == nil && reg.APIKey == in.Key.APIKey {
			return complete(bg, d, bot, in, res)
		}
	}
	return unsettled(res, in, err)
}

// unsettled keeps the intent: SmartradeX may hold the key. The error says
// so, and what the next command does.
func unsettled(res SyncResult, in *state.Intent, cause error) SyncResult {
	res.Outcome = OutcomeUnsettled
	bot := res.Bot
	msg := i18n.M("enroll.may_have_reached", bot)
	if in.Op == state.OpRotate {
		msg = i18n.M("enroll.rotate_may_have_reached", bot)
	}
	hints := []i18n.Message{i18n.M("enroll.intent_next_hint", bot)}
	var ae *apperr.Error
	kind, code := apperr.Unavailable, "enroll.unsettled"
	if errors.As(cause, &ae) {
		kind, code = ae.Kind, ae.Code
		hints = append(causeHints(ae), hints...)
	} else if errors.Is(cause, context.Canceled) {
		kind, code = apperr.Cancelled, "cancelled"
	}
	if in.Op == state.OpAdd || in.Op == state.OpSync {
		hints = append(hints, i18n.M("enroll.undo_hint", bot))
	}
	if kind == apperr.Cancelled {
		msg = i18n.M("enroll.cancelled_may_have_reached", bot)
		if in.Op == state.OpRotate {
			msg = i18n.M("enroll.rotate_cancelled_may_have_reached", bot)
		}
	}
	res.Err = apperr.Wrap(kind, code, cause, msg, hints...)
	return res
}

// causeHints are the hints of the cause of a failure, but for the ones
// that say to run keys sync, which the caller says in its own words.
func causeHints(ae *apperr.Error) []i18n.Message {
	var out []i18n.Message
	for _, h := range ae.Hints {
		if h.Key != "service.sync_hint" && h.Key != "enroll.pending_hint" {
			out = append(out, h)
		}
	}
	return out
}

// complete records that SmartradeX holds in's key: the entry is marked
// registered (add, sync) or takes the old one's place (rotate), and the
// intent is cleared, in one update. The old secret of a rotation goes last.
func complete(ctx context.Context, d Deps, bot string, in *state.Intent, res SyncResult) SyncResult {
	ctx = context.WithoutCancel(ctx)
	now := d.now().UTC()
	var old *state.Entry
	err := d.Index.Update(ctx, func(s *state.Snapshot) error {
		clearIntent(s, bot, in)
		cur := s.Entries[bot]
		if in.Op == state.OpRotate {
			if cur != nil && cur.APIKey != in.Key.APIKey {
				cp := *cur
				old = &cp
			}
			e := *in.Key
			e.Status, e.RegisteredAt = state.StatusRegistered, &now
			checkedBy(&e, res.LastCheck)
			s.Entries[bot] = &e
			return nil
		}
		if cur != nil && cur.APIKey == in.Key.APIKey {
			cur.Status, cur.RegisteredAt = state.StatusRegistered, &now
			checkedBy(cur, res.LastCheck)
		}
		return nil
	})
	if err != nil {
		return unsettled(res, in, err)
	}
	res.Registered = true
	res.Outcome = OutcomeRegistered
	if in.Op == state.OpRotate {
		res.Outcome = OutcomeRotated
		res.Replaced = old
		if old != nil && (old.SecretName != in.Key.SecretName || old.Backend != in.Key.Backend) {
			// The new key is in force: a copy of the old secret that cannot
			// be deleted is not worth failing the rotation for.
			if store, err := d.storeFor(old.Backend); err == nil {
				_ = store.Delete(ctx, old.SecretName)
			}
		}
	}
	return res
}

// undo takes back an intent SmartradeX never acted on: a rotation's new
// secret goes, then the intent (so a crash between the two leaves an intent
// naming a missing secret, which undo finishes, never an unnamed secret);
// for an add whose secret was never stored, the entry goes too.
func undo(ctx context.Context, d Deps, bot string, in *state.Intent) error {
	ctx = context.WithoutCancel(ctx)
	if in.Op == state.OpRotate {
		if store, err := d.storeFor(in.Key.Backend); err == nil {
			if err := store.Delete(ctx, in.Key.SecretName); err != nil && !errors.Is(err, secrets.ErrNotFound) {
				return err
			}
		} else {
			return err
		}
	}
	return d.Index.Update(ctx, func(s *state.Snapshot) error {
		clearIntent(s, bot, in)
		if in.Op != state.OpRotate {
			if cur := s.Entries[bot]; cur != nil && cur.APIKey == in.Key.APIKey && cur.Status.Unregistered() {
				delete(s.Entries, bot)
			}
		}
		return nil
	})
}

// settlePrior settles, with bot's lock held, what an earlier command left
// for bot. A command that would build on an unsettled state stops with the
// settlement's error.
func settlePrior(ctx context.Context, d Deps, bot string) (*SyncResult, error) {
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	in := snap.Intents[bot]
	if in == nil {
		return nil, nil
	}
	r := settle(ctx, d, bot, in, false)
	if r.Outcome == OutcomeUnsettled {
		return &r, r.Err
	}
	return &r, nil
}

// Settle settles the intents earlier commands left for bots (every bot
// with one when bots is empty), each under its bot's lock, all at once.
// Commands that read the keys (keys verify) call it first, so that what
// they report is what the service, the index and the store agree on.
func Settle(ctx context.Context, d Deps, only ...string) ([]SyncResult, error) {
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, b := range only {
		want[b] = true
	}
	var list []string
	for _, b := range sortedKeys(snap.Intents) {
		if len(want) == 0 || want[b] {
			list = append(list, b)
		}
	}
	out := make([]SyncResult, len(list))
	parallel(len(list), func(i int) {
		out[i] = settleOne(ctx, d, list[i])
	})
	return out, nil
}

func settleOne(ctx context.Context, d Deps, bot string) SyncResult {
	unlock, err := d.Index.LockBot(ctx, bot)
	if err != nil {
		return SyncResult{Bot: bot, Outcome: OutcomeUnsettled, Err: err}
	}
	defer unlock()
	r, err := settlePrior(ctx, d, bot)
	if r == nil {
		// Settled by another command meanwhile (no Outcome), or the index
		// could not be read.
		return SyncResult{Bot: bot, Err: err}
	}
	return *r
}
