package enroll

import (
	"context"
	"errors"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// Registration outcomes of a removal, as in keys remove's --json output.
const (
	RegDeleted       = "deleted"          // the service deleted it
	RegNotRegistered = "not_registered"   // the service held none (404), or the key never had an API key
	RegOtherKey      = "other_key"        // the service holds another key for the bot: left alone
	RegKept          = "kept"             // --keep-registration
	RegStill         = "still_registered" // the service could not be told; --force went on
)

// RemoveRequest is a bot whose key is to be removed.
type RemoveRequest struct {
	Bot string
	// KeepRegistration leaves the registration at SmartradeX alone.
	KeepRegistration bool
	// Force removes the key here even when SmartradeX cannot be told.
	Force bool
}

// RemoveResult is what Remove did.
type RemoveResult struct {
	Entry        state.Entry // the entry removed
	SecretState  string      // "deleted" or "already_missing"
	Registration string      // one of the Reg constants
	OtherAPIKey  string      // RegOtherKey: the key SmartradeX holds (public)
	// DeregErr is why SmartradeX could not be told (RegStill).
	DeregErr error
}

// Remove withdraws bot's key: from SmartradeX (unless KeepRegistration),
// then from this computer, with the bot's lock held. Before anything is
// deleted at SmartradeX, it proves that this computer can finish the job:
// the secret store is reached, and the intent to remove is written to the
// index (a read-only or full config directory fails here, with nothing
// deleted anywhere). The registration is deleted only if it is this key
// (or the new key of a rotation left unfinished). A failure after the
// DELETE leaves the intent, which the next command on the bot finishes,
// and the error says exactly what was done.
func Remove(ctx context.Context, d Deps, req RemoveRequest) (*RemoveResult, error) {
	bot := req.Bot
	unlock, err := d.Index.LockBot(ctx, bot)
	if err != nil {
		return nil, err
	}
	defer unlock()
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	entry, prior := snap.Entries[bot], snap.Intents[bot]
	if prior != nil && prior.Op == state.OpRemove {
		// An earlier removal stopped half-way: it is finished as it began.
		return finishRemove(ctx, d, bot, prior)
	}
	if entry == nil {
		return nil, apperr.New(apperr.Usage, "keys.no_key", i18n.M("keys.remove.no_key", bot), i18n.M("keys.remove.no_key_hint"))
	}
	store, err := d.storeFor(entry.Backend)
	if err != nil {
		return nil, err
	}
	// Reaching the store before the service is told (the file's passphrase,
	// a locked or absent keyring) keeps a removal that cannot finish from
	// deleting the registration alone.
	if _, err := store.Get(ctx, entry.SecretName); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return nil, err
	}
	key := *entry
	in := &state.Intent{Op: state.OpRemove, Since: d.now().UTC(), Key: &key,
		Deregister: !req.KeepRegistration && !entry.AwaitingAPIKey()}
	if prior != nil && prior.Op == state.OpRotate {
		also := *prior.Key
		in.Also = &also
	}
	// The intent is the proof that the index can be written.
	if err := recordIntent(ctx, d, bot, in); err != nil {
		return nil, err
	}
	res := &RemoveResult{Entry: key, Registration: RegKept}
	if entry.AwaitingAPIKey() {
		// A generated key that never had an API key was never registered:
		// whatever the service holds for the bot is not this key.
		res.Registration = RegNotRegistered
	}
	if in.Deregister {
		reg, other, err := deregister(ctx, d, bot, in)
		cancelled := apperr.KindOf(err) == apperr.Cancelled
		switch {
		case err == nil:
			res.Registration, res.OtherAPIKey = reg, other
		case req.Force && !cancelled:
			res.Registration, res.DeregErr = RegStill, errors.Unwrap(err)
			if !sent(err) {
				res.DeregErr = err
			}
		case !sent(err):
			// Nothing was deleted anywhere: the intent goes back as it was.
			restoreIntent(ctx, d, bot, in, prior)
			if cancelled {
				return nil, err
			}
			return nil, deregisterFailed(bot, err)
		default:
			// The DELETE may have reached SmartradeX: the intent stays.
			return nil, removeUnsettled(bot, err)
		}
	}
	if err := removeLocal(ctx, d, bot, in, res); err != nil {
		return nil, err
	}
	return res, nil
}

// sent tells a failure of the DELETE itself from one of the GET before it,
// after which nothing was deleted.
func sent(err error) bool {
	var d *deleteError
	return errors.As(err, &d)
}

// deleteError marks a failure of the DELETE (which may have reached the
// service), as opposed to the GET before it.
type deleteError struct{ err error }

func (e *deleteError) Error() string { return e.err.Error() }
func (e *deleteError) Unwrap() error { return e.err }

// deregister deletes bot's registration if it is in's key (or the key of
// the rotation it took over). The service keeps one key per bot and
// account, whichever computer registered it: deleting blindly would stop
// the bot trading with a key added elsewhere. It returns the registration
// outcome and, for RegOtherKey, the key the service holds.
func deregister(ctx context.Context, d Deps, bot string, in *state.Intent) (string, string, error) {
	svc, err := d.service(ctx)
	if err != nil {
		return "", "", err
	}
	reg, err := svc.GetKey(ctx, bot)
	if errors.Is(err, service.ErrNotFound) {
		return RegNotRegistered, "", nil
	}
	if err != nil {
		return "", "", err
	}
	if reg.APIKey != in.Key.APIKey && (in.Also == nil || reg.APIKey != in.Also.APIKey) {
		return RegOtherKey, reg.APIKey, nil
	}
	if err := svc.DeleteKey(ctx, bot); err != nil {
		if errors.Is(err, service.ErrNotFound) {
			return RegNotRegistered, "", nil
		}
		if !definite(err) {
			return "", "", &deleteError{err}
		}
		return "", "", err
	}
	return RegDeleted, "", nil
}

// removeLocal deletes the secrets in names (the key's, a rotation's new
// one, a generated key pair's), then the entry and the intent, in one
// update. A secret that cannot be deleted stops it with the intent in
// place, and the error says what was already done.
func removeLocal(ctx context.Context, d Deps, bot string, in *state.Intent, res *RemoveResult) error {
	ctx = context.WithoutCancel(ctx)
	store, err := d.storeFor(in.Key.Backend)
	if err != nil {
		return partialRemove(bot, res, err)
	}
	res.SecretState = "deleted"
	for _, name := range []string{secrets.BotNextSecretName(bot), secrets.BotGeneratedSecretName(bot), secrets.BotSecretName(bot)} {
		if name == in.Key.SecretName {
			continue
		}
		if err := store.Delete(ctx, name); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return partialRemove(bot, res, err)
		}
	}
	if in.Also != nil && in.Also.Backend != in.Key.Backend {
		if other, err := d.storeFor(in.Also.Backend); err == nil {
			if err := other.Delete(ctx, in.Also.SecretName); err != nil && !errors.Is(err, secrets.ErrNotFound) {
				return partialRemove(bot, res, err)
			}
		}
	}
	if err := store.Delete(ctx, in.Key.SecretName); err != nil {
		if !errors.Is(err, secrets.ErrNotFound) {
			return partialRemove(bot, res, err)
		}
		res.SecretState = "already_missing"
	}
	err = d.Index.Update(ctx, func(s *state.Snapshot) error {
		clearIntent(s, bot, in)
		// Leave alone an entry that another command put in its place.
		if cur := s.Entries[bot]; cur != nil && cur.APIKey == in.Key.APIKey && cur.CreatedAt.Equal(in.Key.CreatedAt) {
			delete(s.Entries, bot)
		}
		return nil
	})
	if err != nil {
		return partialRemove(bot, res, err)
	}
	return nil
}

// finishRemove finishes a removal an earlier command began: the
// registration (if it was to go and is still this key), then this
// computer's copy.
func finishRemove(ctx context.Context, d Deps, bot string, in *state.Intent) (*RemoveResult, error) {
	res := &RemoveResult{Entry: *in.Key, Registration: RegKept}
	if in.Deregister {
		reg, other, err := deregister(ctx, d, bot, in)
		if err != nil {
			return nil, removeUnsettled(bot, err)
		}
		res.Registration, res.OtherAPIKey = reg, other
	}
	if err := removeLocal(ctx, d, bot, in, res); err != nil {
		return nil, err
	}
	return res, nil
}

func restoreIntent(ctx context.Context, d Deps, bot string, in, prior *state.Intent) {
	_ = d.Index.Update(context.WithoutCancel(ctx), func(s *state.Snapshot) error {
		clearIntent(s, bot, in)
		if prior != nil {
			setIntent(s, bot, prior)
		}
		return nil
	})
}

// removeUnsettled: the DELETE may have reached SmartradeX, nothing was
// deleted here, and the next command finishes the removal.
func removeUnsettled(bot string, cause error) error {
	kind := apperr.KindOf(cause)
	if kind == apperr.OK {
		kind = apperr.Unavailable
	}
	hints := []i18n.Message{i18n.M("enroll.remove_next_hint", bot)}
	var ae *apperr.Error
	if errors.As(cause, &ae) {
		hints = append(causeHints(ae), hints...)
	}
	return apperr.Wrap(kind, "enroll.remove_unsettled", cause, i18n.M("enroll.remove_may_have_reached", bot), hints...)
}

// partialRemove says what a removal that stopped after the registration
// did, and that the next command finishes it.
func partialRemove(bot string, res *RemoveResult, cause error) error {
	msg := i18n.M("enroll.remove_partial_kept", bot)
	if res.Registration == RegDeleted {
		msg = i18n.M("enroll.remove_partial_deleted", bot)
	}
	hints := []i18n.Message{i18n.M("enroll.remove_next_hint", bot)}
	var ae *apperr.Error
	if errors.As(cause, &ae) {
		hints = append(causeHints(ae), hints...)
	}
	kind := apperr.KindOf(cause)
	if kind == apperr.OK {
		kind = apperr.Unexpected
	}
	return apperr.Wrap(kind, "enroll.remove_partial", cause, msg, hints...)
}

// deregisterFailed says that nothing was removed because the service could
// not be told, keeping the cause's exit code (5 unreachable, 4 not logged
// in or token refused) and its hints, and offering --force.
func deregisterFailed(bot string, err error) error {
	kind := apperr.KindOf(err)
	code := "keys.remove.deregister_failed"
	var hints []i18n.Message
	var e *apperr.Error
	msg := i18n.M("error.unexpected", err.Error())
	if errors.As(err, &e) {
		code = e.Code
		hints = append(hints, e.Hints...)
		msg = e.Message
	}
	hints = append(hints, i18n.M("keys.remove.force_hint", bot), i18n.M("keys.remove.keep_hint", bot))
	return apperr.Wrap(kind, code, errors.Unwrap(err), i18n.M("keys.remove.deregister_failed", bot, msg), hints...)
}

// MaskedOther is the key SmartradeX holds instead, masked for display.
func (r *RemoveResult) MaskedOther() string { return redact.MaskKey(r.OtherAPIKey) }
