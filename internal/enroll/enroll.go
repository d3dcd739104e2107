// Package enroll holds the rules of a bot's Binance key over its life:
// check it, record the intent and store it, register it with SmartradeX,
// and settle; rotate a key without a moment where the bot has none; send
// again the keys whose registration failed (checked with Binance again
// first); and remove a key, at SmartradeX and here. Every operation that
// may change what SmartradeX holds is recorded in the index before its
// request and settled after it, under the bot's lock, so that whatever
// interrupts it the next command finds it and brings the service, the
// index and the secret store back in agreement. It knows nothing of
// terminals or flags, so the guided and the scripted commands share it.
package enroll

import (
	"context"
	"errors"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
)

// Inspector is the part of the Binance client the engine needs.
type Inspector interface {
	Inspect(ctx context.Context, creds binance.Credentials) (*binance.Inspection, error)
}

// Deps are what the engine talks to.
type Deps struct {
	Binance Inspector
	// Service is called only when a key is about to be registered, so that
	// --no-register and a refused key never need a login.
	Service func(ctx context.Context) (*service.Client, error)
	// Store receives new secrets.
	Store secrets.Store
	// StoreFor opens the store an existing index entry names; nil means
	// Store for every backend.
	StoreFor func(backend string) (secrets.Store, error)
	Index    *state.Index
	Now      func() time.Time
	// Network is the service's addresses and ip_lock (GET /v1/network);
	// nil means ip_lock off: every key is checked here.
	Network func(ctx context.Context) (*service.Network, error)
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// service returns the service client, or the not-logged-in error.
func (d Deps) service(ctx context.Context) (*service.Client, error) {
	if d.Service == nil {
		return nil, apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"), i18n.M("service.login_hint"))
	}
	return d.Service(ctx)
}

func (d Deps) storeFor(backend string) (secrets.Store, error) {
	if d.StoreFor == nil || (d.Store != nil && d.Store.Backend() == backend) {
		return d.Store, nil
	}
	return d.StoreFor(backend)
}

// Request is one key to put in service for one bot.
type Request struct {
	Bot        bots.Bot
	Creds      binance.Credentials
	Replace    bool   // the bot already has a key: rotate it instead of refusing
	NoRegister bool   // store as pending, do not contact the service
	Label      string // sent to the service; default the bot's suggested label
	// FromGenerated: the secret is the private key made by `keys generate`
	// and kept under secrets.BotGeneratedSecretName; once the key is stored
	// as the bot's own secret, that copy is deleted.
	FromGenerated bool
}

// Checked is what Binance said about a key and the policy's verdict.
type Checked struct {
	Inspection *binance.Inspection
	Verdict    policy.Verdict
	// Network is the service's rule the verdict was judged under; nil
	// when it could not be fetched (NetworkErr says why).
	Network    *service.Network
	NetworkErr error
	// SeenFrom is where Binance's answer was seen from: SeenLocal, or
	// the address of the service that checked the key.
	SeenFrom string
	// Locked: the key is checked from SmartradeX's addresses, not here.
	// Unchecked: not yet: Inspection is nil and Verdict empty, and the
	// registration's PUT checks it (the key is never counted as
	// accepted before that).
	Locked, Unchecked bool
}

// Accepted tells whether the key was checked and passed the policy.
func (c *Checked) uid() int64 {
	if c == nil || c.Inspection == nil {
		return 0
	}
	return c.Inspection.UID
}

func (c *Checked) Accepted() bool {
	return c != nil && !c.Unchecked && c.Inspection != nil && c.Verdict.OK()
}

// Result is the outcome of Add or Rotate.
type Result struct {
	Entry      state.Entry
	Registered bool
	// Unsettled: the request may have reached SmartradeX, which could not
	// confirm it; the intent is left for the next command.
	Unsettled bool
	// Replaced is the key that was in force before, for a rotation.
	Replaced *state.Entry
	// Seen is the verdict on what the service saw when its PUT checked a
	// locked key from its addresses; nil when the key was checked here
	// (the caller's Checked) or not at all.
	Seen *Checked
	// LastCheck is the service's check as its PUT answered it.
	LastCheck *service.LastCheck
}

// SyncResult is the outcome of Sync, or Settle, for one bot.
type SyncResult struct {
	Bot        string
	APIKey     string   // public
	Op         state.Op // the interrupted operation settled; "" for a pending key sent
	Outcome    Outcome
	Registered bool
	// Replaced is the key a settled rotation took the place of.
	Replaced *state.Entry
	// LastCheck is what the service saw when its PUT checked the key
	// from its addresses (nil when it did not check it).
	LastCheck *service.LastCheck
	Err       error
}

// Check asks Binance for the key's permissions and account (in parallel:
// one round trip), fetching the service's /v1/network at the same time,
// and judges the permissions under its ip_lock. A key locked to
// SmartradeX's addresses is left for the registration's PUT to check (see
// CheckWith).
func Check(ctx context.Context, d Deps, creds binance.Credentials) (*Checked, error) {
	return CheckWith(ctx, d, creds, CheckOptions{})
}

func refusedError(checked *Checked) error {
	if checked != nil && checked.Unchecked {
		return nil
	}
	if checked == nil || checked.Inspection == nil {
		return apperr.New(apperr.Unexpected, "enroll.unchecked", i18n.M("error.unexpected", "the key was not checked"))
	}
	if !checked.Verdict.OK() {
		return apperr.New(apperr.Refused, "enroll.refused", i18n.M("enroll.refused", len(checked.Verdict.Problems)), i18n.M("enroll.refused_hint"))
	}
	return nil
}

func lookupBot(b bots.Bot) error {
	if got, ok := bots.Lookup(b.ID); !ok || got.ID != b.ID {
		return UnknownBotError(b.ID)
	}
	return nil
}

// UnknownBotError is the usage error for a bot that is not in the
// catalogue. The id is not quoted: it is whatever was typed, maybe a
// pasted secret.
func UnknownBotError(id string) error {
	return apperr.New(apperr.Usage, "keys.unknown_bot", i18n.M("enroll.unknown_bot"), i18n.M("enroll.bots_hint", strings.Join(bots.IDs(), ", ")))
}

// conflict enforces the tutorial's rule: one sub-account, and one key, per
// bot. self is the bot being set up; its own entry is not a conflict.
func conflict(snap *state.Snapshot, self string, creds binance.Credentials, uid int64) error {
	for bot, e := range snap.Entries {
		if bot == self || e == nil {
			continue
		}
		if e.APIKey != "" && e.APIKey == creds.APIKey {
			return apperr.New(apperr.Refused, "enroll.same_key", i18n.M("enroll.same_key", bot), i18n.M("enroll.one_subaccount_hint"))
		}
		if uid != 0 && e.UID == uid {
			return apperr.New(apperr.Refused, "enroll.same_subaccount", i18n.M("enroll.same_subaccount", uid, bot), i18n.M("enroll.one_subaccount_hint"))
		}
	}
	return nil
}

// usableEntry tells an entry that holds a key in service from the
// placeholder `keys generate` leaves while the API key is unknown.
func usableEntry(e *state.Entry) bool {
	return e != nil && e.APIKey != "" && e.SecretName != secrets.BotGeneratedSecretName(e.Bot)
}

func label(req Request) string {
	if req.Label != "" {
		return req.Label
	}
	return req.Bot.Label
}

// Add puts a checked key in service for a new bot, with the bot's lock held
// from start to end. What an earlier command left for the bot is settled
// first. Then, in this order: the index gets the entry (pending) and the
// intent to register it; the secret is stored (if it cannot be, the entry
// and intent go); the key is sent; the entry is marked registered and the
// intent cleared. A registration that fails leaves the key pending and
// returns the Result with the error, whose hints say what to run; one that
// may have reached SmartradeX leaves the intent, which the next command on
// the bot settles.
func Add(ctx context.Context, d Deps, req Request, checked *Checked) (*Result, error) {
	if err := lookupBot(req.Bot); err != nil {
		return nil, err
	}
	if err := refusedError(checked); err != nil {
		return nil, err
	}
	unlock, err := d.Index.LockBot(ctx, req.Bot.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := settlePrior(ctx, d, req.Bot.ID); err != nil {
		return nil, err
	}
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	old := snap.Entries[req.Bot.ID]
	if usableEntry(old) {
		if req.Replace {
			return rotateLocked(ctx, d, req, checked)
		}
		if old.APIKey == req.Creds.APIKey && old.Status.Unregistered() {
			return nil, apperr.New(apperr.Usage, "enroll.already_pending", i18n.M("enroll.already_pending", req.Bot.ID), i18n.M("enroll.sync_hint"))
		}
		return nil, apperr.New(apperr.Usage, "enroll.bot_has_key", i18n.M("enroll.bot_has_key", req.Bot.ID),
			i18n.M("enroll.replace_hint", req.Bot.ID))
	}
	if err := conflict(snap, req.Bot.ID, req.Creds, checked.uid()); err != nil {
		return nil, err
	}

	// A passphrase is asked before any lock other commands wait for.
	if err := secrets.Prepare(ctx, d.Store); err != nil {
		return nil, err
	}
	bot := req.Bot.ID
	now := d.now().UTC()
	entry := newEntry(req, checked, d.Store.Backend(), secrets.BotSecretName(bot), now)
	var in *state.Intent
	if !req.NoRegister {
		key := entry
		in = &state.Intent{Op: state.OpAdd, Since: now, Key: &key}
	}
	var prev *state.Entry // what the index held for the bot (a `keys generate` placeholder), for undoAdd
	err = d.Index.Update(ctx, func(s *state.Snapshot) error {
		// Another process may have added a key meanwhile (keys generate
		// does not take the bot's lock): the rules are checked again.
		if usableEntry(s.Entries[bot]) {
			return apperr.New(apperr.Usage, "enroll.bot_has_key", i18n.M("enroll.bot_has_key", bot), i18n.M("enroll.replace_hint", bot))
		}
		if err := conflict(s, bot, req.Creds, checked.uid()); err != nil {
			return err
		}
		if old := s.Entries[bot]; old != nil {
			cp := *old
			prev = &cp
		}
		s.Entries[bot] = &entry
		if in != nil {
			setIntent(s, bot, in)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := d.Store.Set(ctx, entry.SecretName, req.Creds.Secret); err != nil {
		return nil, storeFailed(ctx, d, entry, prev, err)
	}
	res := &Result{Entry: entry}
	if req.NoRegister {
		return res, dropGenerated(context.WithoutCancel(ctx), d, req, prev)
	}
	r := settle(ctx, d, bot, in, true)
	var regErr error
	switch r.Outcome {
	case OutcomeRegistered:
		res.Registered = true
		res.Entry.Status = state.StatusRegistered
		res.LastCheck = r.LastCheck
		checkedBy(&res.Entry, r.LastCheck)
		if checked.Locked {
			if res.Seen, regErr = JudgeLastCheck(d, checked.Network, r.LastCheck); regErr == nil {
				regErr = seenRefused(res.Seen, bot)
			}
			if regErr == nil {
				regErr = seenConflict(d, req, res.Entry.UID)
			}
		}
	case outcomeNotSent:
		if ctx.Err() != nil {
			// Ctrl-C before the request left: nothing was changed.
			if err := undoAdd(ctx, d, entry, prev); err == nil {
				return nil, r.Err
			}
		}
		regErr = pendingError(r.Err, bot)
	case OutcomePending:
		regErr = pendingError(r.Err, bot)
		if errCode(r.Err) == "service.binance_rejected" {
			// Binance refused the key from SmartradeX's address: it
			// cannot work until its trusted IPs are corrected on Binance,
			// and is not kept.
			if err := undoAdd(ctx, d, entry, prev); err == nil {
				return nil, withHint(RejectedFrom(r.Err, checked.Network), i18n.M("enroll.locked_not_kept_hint", bot))
			}
		}
		if apperr.KindOf(r.Err) == apperr.Refused {
			// SmartradeX refused this very key (409, 422): it will never
			// take it, so keeping it pending would only leave a key that
			// keys sync can never send. Like any refused key, it is not kept.
			if err := undoAdd(ctx, d, entry, prev); err == nil {
				if vaultKeyRefusal(r.Err) {
					return nil, withHint(r.Err, i18n.M("enroll.vault_not_kept_hint"))
				}
				return nil, withHint(r.Err, i18n.M("enroll.refused_not_kept_hint", bot))
			}
			regErr = withHint(r.Err, i18n.M("enroll.refused_pending_hint", bot))
		}
	default:
		// The error says the key may have reached SmartradeX and what the
		// next command does.
		res.Unsettled = true
		regErr = r.Err
	}
	if checked.Unchecked && !res.Registered && regErr != nil {
		regErr = withHint(regErr, i18n.M("enroll.unchecked_hint", bot))
	}
	// Only now that the key stays (registered or pending) is a key pair
	// from keys generate that it replaces dropped: an add that is taken
	// back restores the placeholder, which needs its private key.
	if err := dropGenerated(context.WithoutCancel(ctx), d, req, prev); err != nil && regErr == nil {
		regErr = err
	}
	return res, regErr
}

// storeFailed takes back the entry and intent Add wrote when the secret
// could not be stored. If even that fails, the error says that the index
// names a secret that is missing, and the next command takes it back.
func storeFailed(ctx context.Context, d Deps, entry state.Entry, prev *state.Entry, cause error) error {
	ctx = context.WithoutCancel(ctx)
	err := d.Index.Update(ctx, func(s *state.Snapshot) error {
		if cur := s.Entries[entry.Bot]; cur != nil && cur.APIKey == entry.APIKey && cur.CreatedAt.Equal(entry.CreatedAt) {
			if prev == nil {
				delete(s.Entries, entry.Bot)
			} else {
				s.Entries[entry.Bot] = prev
			}
		}
		if in := s.Intents[entry.Bot]; in != nil && in.Key.APIKey == entry.APIKey {
			delete(s.Intents, entry.Bot)
		}
		return nil
	})
	if err != nil {
		return apperr.Wrap(apperr.KindOf(cause), "enroll.secret_not_stored", cause,
			i18n.M("enroll.secret_not_stored", entry.Bot), i18n.M("enroll.secret_not_stored_hint", entry.Bot))
	}
	return cause
}

// undoAdd takes back what Add stored: the secret first, while the index
// still names it, then the entry (the one it replaced, if any, comes back)
// and the intent. A secret that cannot be deleted leaves the entry, pending
// and named, which keys remove takes back.
func undoAdd(ctx context.Context, d Deps, entry state.Entry, prev *state.Entry) error {
	ctx = context.WithoutCancel(ctx)
	if err := d.Store.Delete(ctx, entry.SecretName); err != nil && !errors.Is(err, secrets.ErrNotFound) {
		return err
	}
	return d.Index.Update(ctx, func(s *state.Snapshot) error {
		if in := s.Intents[entry.Bot]; in != nil && in.Key.APIKey == entry.APIKey {
			delete(s.Intents, entry.Bot)
		}
		cur := s.Entries[entry.Bot]
		if cur == nil || cur.APIKey != entry.APIKey || !cur.Status.Unregistered() {
			return nil
		}
		if prev == nil {
			delete(s.Entries, entry.Bot)
		} else {
			s.Entries[entry.Bot] = prev
		}
		return nil
	})
}

// dropGenerated deletes the private key `keys generate` kept for the bot,
// once Add or Rotate has set the bot's key: either it now lives under the
// bot's own name (FromGenerated), or the new entry replaced the one that
// named it (old.GeneratedAt), and a key no entry names would stay in the
// store where no command finds or removes it.
func dropGenerated(ctx context.Context, d Deps, req Request, old *state.Entry) error {
	name := secrets.BotGeneratedSecretName(req.Bot.ID)
	var stores []secrets.Store
	if req.FromGenerated {
		stores = append(stores, d.Store)
	}
	if old != nil && old.GeneratedAt != nil && (!req.FromGenerated || old.Backend != d.Store.Backend()) {
		s, err := d.storeFor(old.Backend)
		if err != nil {
			return err
		}
		stores = append(stores, s)
	}
	for _, s := range stores {
		if err := s.Delete(ctx, name); err != nil && !errors.Is(err, secrets.ErrNotFound) {
			return err
		}
	}
	return nil
}

func newEntry(req Request, checked *Checked, backend, secretName string, now time.Time) state.Entry {
	e := state.Entry{
		Bot:        req.Bot.ID,
		APIKey:     req.Creds.APIKey,
		KeyType:    string(req.Creds.Type),
		Label:      label(req),
		UID:        checked.uid(),
		Backend:    backend,
		SecretName: secretName,
		Status:     state.StatusPending,
		CreatedAt:  now,
		VerifiedAt: &now,
	}
	if checked.Unchecked {
		// Checked by the registration's PUT, or not at all yet.
		e.Status, e.VerifiedAt = state.StatusUnchecked, nil
	}
	e.Locked = checked.Locked
	if t := checked.Verdict.TradingExpiresAt; t != nil {
		u := t.UTC()
		e.TradingExpiresAt = &u
	}
	return e
}

// vaultKeyRefusal tells whether err is the refusal of the service's vault
// key (not trusted here, or rotated mid-request): the Binance key is fine,
// and the same command works once the vault key is trusted.
func vaultKeyRefusal(err error) bool {
	var ae *apperr.Error
	return errors.As(err, &ae) && strings.HasPrefix(ae.Code, "service.vault_key_")
}

// pendingError adds to a registration failure the fact that the key is
// kept, and the command that finishes the job, unless the service client
// already said so.
func pendingError(err error, bot string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return apperr.Wrap(apperr.Unexpected, "enroll.register_failed", err, i18n.M("enroll.register_failed", bot), i18n.M("enroll.pending_hint"))
	}
	for _, h := range ae.Hints {
		if h.Key == "service.sync_hint" {
			return err
		}
	}
	if ae.Kind == apperr.Refused {
		// SmartradeX refused this very key: sending it again cannot work.
		// Add decides what the hint says (the key taken back, or kept).
		return err
	}
	return withHint(err, i18n.M("enroll.pending_hint"))
}

// withHint adds hint to err's hints.
func withHint(err error, hint i18n.Message) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err
	}
	cp := *ae
	cp.Hints = append(append([]i18n.Message(nil), ae.Hints...), hint)
	return &cp
}

// Rotate replaces a bot's key with a checked new one, with the bot's lock
// held from start to end, so that concurrent rotations of one bot take
// turns and the key SmartradeX ends with is the key the index names. The
// intent (the new key, the slot of its secret, the key it replaces) is
// written first, then the new secret beside the old one, in a slot the
// intent names; then the key is sent, and only once SmartradeX holds it
// does the index name it, in one update, and the old secret go. A refusal
// takes the new secret back and leaves the old key in force; a request that
// may have reached SmartradeX leaves the intent, which the next command on
// the bot settles.
func Rotate(ctx context.Context, d Deps, req Request, checked *Checked) (*Result, error) {
	if err := lookupBot(req.Bot); err != nil {
		return nil, err
	}
	if err := refusedError(checked); err != nil {
		return nil, err
	}
	unlock, err := d.Index.LockBot(ctx, req.Bot.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if _, err := settlePrior(ctx, d, req.Bot.ID); err != nil {
		return nil, err
	}
	return rotateLocked(ctx, d, req, checked)
}

// nextSlot is where a rotation stores the new secret: the bot's other slot,
// so that the swap is one update of the index, and no slot is left that
// the index does not name.
func nextSlot(old *state.Entry, bot string) string {
	if old.SecretName == secrets.BotSecretName(bot) {
		return secrets.BotNextSecretName(bot)
	}
	return secrets.BotSecretName(bot)
}

func rotateLocked(ctx context.Context, d Deps, req Request, checked *Checked) (*Result, error) {
	bot := req.Bot.ID
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	old := snap.Entries[bot]
	if !usableEntry(old) {
		return nil, apperr.New(apperr.Usage, "enroll.no_key", i18n.M("enroll.no_key", bot), i18n.M("enroll.add_hint", bot))
	}
	if old.APIKey == req.Creds.APIKey {
		return nil, apperr.New(apperr.Usage, "enroll.same_as_current", i18n.M("enroll.same_as_current", bot), i18n.M("enroll.rotate_new_key_hint"))
	}
	if err := conflict(snap, bot, req.Creds, checked.uid()); err != nil {
		return nil, KeptOld(err, bot)
	}
	if err := secrets.Prepare(ctx, d.Store); err != nil {
		return nil, KeptOld(err, bot)
	}
	now := d.now().UTC()
	entry := newEntry(req, checked, d.Store.Backend(), nextSlot(old, bot), now)
	in := &state.Intent{Op: state.OpRotate, Since: now, Key: &entry, Replaces: old.APIKey}
	if err := recordIntent(ctx, d, bot, in); err != nil {
		return nil, KeptOld(err, bot)
	}
	if err := d.Store.Set(ctx, entry.SecretName, req.Creds.Secret); err != nil {
		// Nothing was written there: only the intent goes.
		if uerr := dropIntent(ctx, d, bot, in); uerr != nil {
			return nil, apperr.Wrap(apperr.KindOf(err), "enroll.secret_not_stored", err,
				i18n.M("enroll.secret_not_stored", bot), i18n.M("enroll.secret_not_stored_hint", bot))
		}
		return nil, KeptOld(err, bot)
	}
	if req.NoRegister {
		// Nothing is sent: the new key is in force here at once, pending.
		var prev *state.Entry
		err := d.Index.Update(ctx, func(s *state.Snapshot) error {
			clearIntent(s, bot, in)
			if cur := s.Entries[bot]; cur != nil {
				cp := *cur
				prev = &cp
			}
			e := entry
			s.Entries[bot] = &e
			return nil
		})
		if err != nil {
			_ = undo(ctx, d, bot, in)
			return nil, KeptOld(err, bot)
		}
		if prev != nil && (prev.SecretName != entry.SecretName || prev.Backend != entry.Backend) {
			if store, err := d.storeFor(prev.Backend); err == nil {
				_ = store.Delete(context.WithoutCancel(ctx), prev.SecretName)
			}
		}
		_ = dropGenerated(context.WithoutCancel(ctx), d, req, old)
		return &Result{Entry: entry, Replaced: prev}, nil
	}
	r := settle(ctx, d, bot, in, true)
	switch r.Outcome {
	case OutcomeRotated:
		entry.Status = state.StatusRegistered
		entry.RegisteredAt = &now
		checkedBy(&entry, r.LastCheck)
		var seen *Checked
		if checked.Locked {
			var err error
			if seen, err = JudgeLastCheck(d, checked.Network, r.LastCheck); err == nil {
				err = seenRefused(seen, bot)
			}
			if err == nil {
				err = seenConflict(d, req, entry.UID)
			}
			if err != nil {
				prev := *old
				return &Result{Entry: entry, Registered: true, Replaced: &prev}, err
			}
		}
		_ = dropGenerated(context.WithoutCancel(ctx), d, req, old)
		prev := *old
		if r.Replaced != nil {
			prev = *r.Replaced
		}
		return &Result{Entry: entry, Registered: true, Replaced: &prev, Seen: seen, LastCheck: r.LastCheck}, nil
	case outcomeNotSent:
		if err := undo(ctx, d, bot, in); err != nil {
			return nil, err
		}
		return nil, KeptOld(r.Err, bot)
	case OutcomeUndone:
		return nil, KeptOld(RejectedFrom(r.Err, checked.Network), bot)
	}
	return nil, r.Err
}

// KeptOld adds to a rotation failure that the old key is still in force
// (said once: an error that says it already is returned as it is).
func KeptOld(err error, bot string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return apperr.Wrap(apperr.Unexpected, "enroll.rotate_failed", err, i18n.M("enroll.rotate_failed", bot), i18n.M("enroll.old_key_kept", bot))
	}
	cp := *ae
	var hints []i18n.Message
	for _, h := range ae.Hints {
		// The new key was not kept, so there is nothing to sync.
		if h.Key != "service.sync_hint" && h.Key != "enroll.old_key_kept" {
			hints = append(hints, h)
		}
	}
	cp.Hints = append(hints, i18n.M("enroll.old_key_kept", bot))
	return &cp
}

// Sync settles what earlier commands left unfinished and registers every
// pending key. Each bot is worked on under its lock, all bots at once (a
// few at a time), and each key is checked with Binance again before it is
// sent: one refused now is not sent, stays here, and its result carries the
// refusal. The error is for a failure that stopped everything (the index
// could not be read, no service client).
func Sync(ctx context.Context, d Deps) ([]SyncResult, error) {
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	var list []string
	for _, id := range sortedBots(snap) {
		e := snap.Entries[id]
		if snap.Intents[id] != nil || (usableEntry(e) && e.Status.Unregistered()) {
			list = append(list, id)
		}
	}
	for _, id := range sortedKeys(snap.Intents) {
		if snap.Entries[id] == nil {
			list = append(list, id)
		}
	}
	if len(list) == 0 {
		return []SyncResult{}, nil
	}
	if _, err := d.service(ctx); err != nil {
		return nil, err
	}
	out := make([]SyncResult, len(list))
	parallel(len(list), func(i int) { out[i] = syncOne(ctx, d, list[i]) })
	var kept []SyncResult
	for _, r := range out {
		if r.Outcome != "" || r.Err != nil {
			kept = append(kept, r)
		}
	}
	if kept == nil {
		kept = []SyncResult{}
	}
	if err := ctx.Err(); err != nil {
		// "Nothing was changed" only if nothing was: a key sent, settled,
		// or that may have reached SmartradeX is reported by its result.
		for _, r := range kept {
			if r.Outcome != OutcomePending && r.Outcome != "" {
				return kept, nil
			}
		}
		return kept, apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("error.cancelled"))
	}
	return kept, nil
}

// syncLimit bounds how many bots Sync works on at the same time.
const syncLimit = 4

// parallel runs fn(0..n-1), syncLimit at a time, and waits for them all.
func parallel(n int, fn func(i int)) {
	sem := make(chan struct{}, syncLimit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			fn(i)
		}()
	}
	wg.Wait()
}

func syncOne(ctx context.Context, d Deps, bot string) SyncResult {
	unlock, err := d.Index.LockBot(ctx, bot)
	if err != nil {
		return SyncResult{Bot: bot, Outcome: OutcomeUnsettled, Err: err}
	}
	defer unlock()
	snap, err := d.Index.Load()
	if err != nil {
		return SyncResult{Bot: bot, Err: err}
	}
	if in := snap.Intents[bot]; in != nil {
		r := settle(ctx, d, bot, in, false)
		if r.Outcome == OutcomePending {
			r.Err = refusedBySmartradeX(r.Err, bot)
		}
		return r
	}
	e := snap.Entries[bot]
	if !usableEntry(e) || !e.Status.Unregistered() {
		return SyncResult{Bot: bot} // settled by another command meanwhile
	}
	res := SyncResult{Bot: bot, APIKey: e.APIKey}
	secret, err := readSecret(ctx, d, e)
	if errors.Is(err, secrets.ErrNotFound) {
		res.Outcome = OutcomePending
		res.Err = apperr.Wrap(apperr.Unexpected, "enroll.secret_missing", err, i18n.M("enroll.secret_missing", bot), i18n.M("enroll.secret_missing_hint", bot))
		return res
	}
	if err != nil {
		res.Outcome, res.Err = OutcomePending, err
		return res
	}
	// Checked when it was added, maybe long ago: checked again now.
	if err := recheck(ctx, d, e, secret); err != nil {
		res.Outcome, res.Err = OutcomePending, err
		return res
	}
	key := *e
	in := &state.Intent{Op: state.OpSync, Since: d.now().UTC(), Key: &key}
	if err := recordIntent(ctx, d, bot, in); err != nil {
		res.Outcome, res.Err = OutcomePending, err
		return res
	}
	r := settle(ctx, d, bot, in, true)
	r.Op = ""
	switch r.Outcome {
	case outcomeNotSent:
		r.Outcome = OutcomePending
	case OutcomePending:
		r.Err = refusedBySmartradeX(r.Err, bot)
	}
	return r
}

// refusedBySmartradeX adds, to SmartradeX's refusal of a pending key (409,
// 422), that sending it again will not help: a new key must take its place.
// Binance's refusal is fixed on Binance instead, and says so already.
func refusedBySmartradeX(err error, bot string) error {
	if apperr.KindOf(err) != apperr.Refused || errCode(err) == "enroll.recheck_refused" || vaultKeyRefusal(err) {
		return err
	}
	return withHint(err, i18n.M("enroll.refused_pending_hint", bot))
}

func errCode(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func sortedBots(s *state.Snapshot) []string {
	ids := make([]string, 0, len(s.Entries))
	for id := range s.Entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
