// Package enroll holds the rules of putting a bot's Binance key in service:
// check it, store it as pending, register it with SmartradeX, and only then
// mark it registered; rotate a key without a moment where the bot has none;
// and send again the keys whose registration failed. It knows nothing of
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

// Deps are what the engine talks to.
type Deps struct {
	Binance *binance.Client
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
}

func (d Deps) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
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
}

// Result is the outcome of Add or Rotate.
type Result struct {
	Entry      state.Entry
	Registered bool
	// Replaced is the key that was in force before, for a rotation.
	Replaced *state.Entry
}

// SyncResult is the outcome of Sync for one pending key.
type SyncResult struct {
	Bot        string
	APIKey     string // public
	Registered bool
	Err        error
}

// Check asks Binance for the key's permissions and account (in parallel:
// one round trip) and judges the permissions.
func Check(ctx context.Context, d Deps, creds binance.Credentials) (*Checked, error) {
	insp, err := d.Binance.Inspect(ctx, creds)
	if err != nil {
		return nil, err
	}
	v, err := policy.Judge(insp.Restrictions, d.now())
	if err != nil {
		return nil, err
	}
	return &Checked{Inspection: insp, Verdict: v}, nil
}

func refusedError(checked *Checked) error {
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

// Add puts a checked key in service for a new bot: the secret and a pending
// index entry are written under the index lock (secret first), then the
// key is registered and marked registered. A failed registration leaves the
// key stored as pending and returns the Result with the error, whose hints
// say to run `smartradex keys sync`.
func Add(ctx context.Context, d Deps, req Request, checked *Checked) (*Result, error) {
	if err := lookupBot(req.Bot); err != nil {
		return nil, err
	}
	if err := refusedError(checked); err != nil {
		return nil, err
	}
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	old := snap.Entries[req.Bot.ID]
	if usableEntry(old) {
		if req.Replace {
			return Rotate(ctx, d, req, checked)
		}
		if old.APIKey == req.Creds.APIKey && old.Status == state.StatusPending {
			return nil, apperr.New(apperr.Usage, "enroll.already_pending", i18n.M("enroll.already_pending", req.Bot.ID), i18n.M("enroll.sync_hint"))
		}
		return nil, apperr.New(apperr.Usage, "enroll.bot_has_key", i18n.M("enroll.bot_has_key", req.Bot.ID),
			i18n.M("enroll.replace_hint", req.Bot.ID))
	}
	if err := conflict(snap, req.Bot.ID, req.Creds, checked.Inspection.UID); err != nil {
		return nil, err
	}

	// The secret is written under the index lock; a passphrase is asked
	// before it is taken.
	if err := secrets.Prepare(ctx, d.Store); err != nil {
		return nil, err
	}
	now := d.now().UTC()
	entry := newEntry(req, checked, d.Store.Backend(), secrets.BotSecretName(req.Bot.ID), now)
	var prev *state.Entry // what the index held for the bot (a `keys generate` placeholder), for undoAdd
	err = d.Index.Update(ctx, func(s *state.Snapshot) error {
		// Another process may have added a key meanwhile: the rules are
		// checked again under the lock.
		if usableEntry(s.Entries[req.Bot.ID]) {
			return apperr.New(apperr.Usage, "enroll.bot_has_key", i18n.M("enroll.bot_has_key", req.Bot.ID), i18n.M("enroll.replace_hint", req.Bot.ID))
		}
		if err := conflict(s, req.Bot.ID, req.Creds, checked.Inspection.UID); err != nil {
			return err
		}
		if err := d.Store.Set(ctx, entry.SecretName, req.Creds.Secret); err != nil {
			return err
		}
		if old := s.Entries[req.Bot.ID]; old != nil {
			cp := *old
			prev = &cp
		}
		s.Entries[req.Bot.ID] = &entry
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &Result{Entry: entry}
	var regErr error
	if !req.NoRegister {
		var svc *service.Client
		svc, regErr = register(ctx, d, req, &res.Entry)
		if regErr != nil && ctx.Err() != nil && res.Entry.Status != state.StatusRegistered {
			var undone bool
			if undone, regErr = settle(ctx, d, req, res, prev, svc, regErr); undone {
				return nil, regErr
			}
		}
		res.Registered = res.Entry.Status == state.StatusRegistered
		if regErr != nil && !res.Registered && apperr.KindOf(regErr) == apperr.Refused {
			// SmartradeX refused this very key (409, 422): it will never
			// take it, so keeping it pending would only leave a key that
			// keys sync can never send. Like any refused key, it is not kept.
			if err := undoAdd(context.WithoutCancel(ctx), d, res.Entry, prev); err == nil {
				return nil, withHint(regErr, i18n.M("enroll.refused_not_kept_hint", req.Bot.ID))
			}
			regErr = withHint(regErr, i18n.M("enroll.refused_pending_hint", req.Bot.ID))
		}
	}
	// Only now that the key stays (registered or pending) is a key pair
	// from keys generate that it replaces dropped: an interrupted add that
	// is taken back restores the placeholder, which needs its private key.
	if err := dropGenerated(context.WithoutCancel(ctx), d, req, prev); err != nil && regErr == nil {
		regErr = err
	}
	return res, regErr
}

// settleTimeout bounds what settle asks the service after the user pressed
// Ctrl-C.
const settleTimeout = 3 * time.Second

// settle decides what a registration the user interrupted leaves behind.
// Ctrl-C must change nothing, but the PUT may have reached the service
// before it was abandoned, and a key the service holds must never be
// unknown here. So the service is asked, briefly: if it holds this key,
// the job is finished (registered, no error: the Ctrl-C came too late); if
// it holds none or another, the key is taken back from this computer
// (undone, with a Cancelled error); if it cannot tell, the key stays pending,
// which `keys sync` finishes and `keys remove` undoes, and the error says
// both.
func settle(ctx context.Context, d Deps, req Request, res *Result, prev *state.Entry, svc *service.Client, cause error) (undone bool, err error) {
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
	defer cancel()
	bot := req.Bot.ID
	kept := func() (bool, error) {
		var ae *apperr.Error
		if !errors.As(cause, &ae) {
			return false, cause
		}
		cp := *ae
		cp.Hints = append(append([]i18n.Message(nil), ae.Hints...), i18n.M("enroll.undo_hint", bot))
		return false, &cp
	}
	if svc != nil {
		reg, gerr := svc.GetKey(bg, bot)
		switch {
		case gerr == nil && reg.APIKey == req.Creds.APIKey:
			if err := markRegistered(bg, d, &res.Entry); err != nil {
				return kept()
			}
			return false, nil
		case gerr != nil && !errors.Is(gerr, service.ErrNotFound):
			return kept()
		}
	}
	if err := undoAdd(bg, d, res.Entry, prev); err != nil {
		return kept()
	}
	return true, apperr.Wrap(apperr.Cancelled, "cancelled", cause, i18n.M("error.cancelled"))
}

// undoAdd takes back what Add stored: the index entry first (the one it
// replaced, if any, comes back), then the secret. A secret that cannot be
// deleted is left behind unnamed by the index, and the next add for the
// bot overwrites it.
func undoAdd(ctx context.Context, d Deps, entry state.Entry, prev *state.Entry) error {
	err := d.Index.Update(ctx, func(s *state.Snapshot) error {
		cur := s.Entries[entry.Bot]
		if cur == nil || cur.APIKey != entry.APIKey || cur.Status != state.StatusPending {
			return apperr.New(apperr.Unexpected, "enroll.changed_meanwhile", i18n.M("enroll.changed_meanwhile", entry.Bot))
		}
		if prev == nil {
			delete(s.Entries, entry.Bot)
		} else {
			s.Entries[entry.Bot] = prev
		}
		return nil
	})
	if err != nil {
		return err
	}
	_ = d.Store.Delete(ctx, entry.SecretName)
	return nil
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
		UID:        checked.Inspection.UID,
		Backend:    backend,
		SecretName: secretName,
		Status:     state.StatusPending,
		CreatedAt:  now,
		VerifiedAt: &now,
	}
	if t := checked.Verdict.TradingExpiresAt; t != nil {
		u := t.UTC()
		e.TradingExpiresAt = &u
	}
	return e
}

// register sends the key to the service and marks entry registered. The
// client is returned when the PUT may have been sent, so that an
// interrupted registration can be settled.
func register(ctx context.Context, d Deps, req Request, entry *state.Entry) (*service.Client, error) {
	if d.Service == nil {
		return nil, pendingError(apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"), i18n.M("service.login_hint")), req.Bot.ID)
	}
	svc, err := d.Service(ctx)
	if err != nil {
		return nil, pendingError(err, req.Bot.ID)
	}
	_, err = svc.PutKey(ctx, req.Bot.ID, service.KeyRegistration{
		APIKey: req.Creds.APIKey, APISecret: req.Creds.Secret, KeyType: string(req.Creds.Type), Label: entry.Label,
	})
	if err != nil {
		return svc, pendingError(err, req.Bot.ID)
	}
	return svc, markRegistered(ctx, d, entry)
}

// markRegistered records that the service holds entry's key. It is not
// cancelled by ctx: once the service has the key, the index must say so,
// even if the user pressed Ctrl-C meanwhile.
func markRegistered(ctx context.Context, d Deps, entry *state.Entry) error {
	ctx = context.WithoutCancel(ctx)
	now := d.now().UTC()
	err := d.Index.Update(ctx, func(s *state.Snapshot) error {
		cur := s.Entries[entry.Bot]
		if cur == nil || cur.APIKey != entry.APIKey {
			return nil // removed or replaced meanwhile: nothing to mark
		}
		cur.Status = state.StatusRegistered
		cur.RegisteredAt = &now
		return nil
	})
	if err != nil {
		return pendingError(err, entry.Bot)
	}
	entry.Status = state.StatusRegistered
	entry.RegisteredAt = &now
	return nil
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

// Rotate replaces a bot's key with a checked new one. The new secret is
// stored beside the old one (under secrets.BotNextSecretName), registered,
// and only then swapped in: the index names the new key and the old secret
// is deleted. Any failure before the swap removes the new secret and leaves
// the old key in force; the error says so.
func Rotate(ctx context.Context, d Deps, req Request, checked *Checked) (*Result, error) {
	if err := lookupBot(req.Bot); err != nil {
		return nil, err
	}
	if err := refusedError(checked); err != nil {
		return nil, err
	}
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
	if err := conflict(snap, bot, req.Creds, checked.Inspection.UID); err != nil {
		return nil, keptOld(err, bot)
	}
	oldStore, err := d.storeFor(old.Backend)
	if err != nil {
		return nil, keptOld(err, bot)
	}

	next := secrets.BotNextSecretName(bot)
	if err := d.Store.Set(ctx, next, req.Creds.Secret); err != nil {
		return nil, keptOld(err, bot)
	}
	// From here on, any failure before the swap removes the new secret.
	abandon := func(cause error, hints ...i18n.Message) (*Result, error) {
		_ = d.Store.Delete(context.WithoutCancel(ctx), next)
		err := keptOld(cause, bot)
		for _, h := range hints {
			err = withHint(err, h)
		}
		return nil, err
	}

	now := d.now().UTC()
	entry := newEntry(req, checked, d.Store.Backend(), secrets.BotSecretName(bot), now)
	registered := false
	if !req.NoRegister {
		if d.Service == nil {
			return abandon(apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"), i18n.M("service.login_hint")))
		}
		svc, err := d.Service(ctx)
		if err != nil {
			return abandon(err)
		}
		if _, err := svc.PutKey(ctx, bot, service.KeyRegistration{
			APIKey: req.Creds.APIKey, APISecret: req.Creds.Secret, KeyType: string(req.Creds.Type), Label: entry.Label,
		}); err != nil {
			if ctx.Err() == nil {
				return abandon(err)
			}
			// Ctrl-C during the PUT: the service may have taken the new
			// key already. If it holds it, the rotation is finished (the
			// interruption came too late); the old key must not stay in
			// force here while SmartradeX trades with the new one.
			bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), settleTimeout)
			reg, gerr := svc.GetKey(bg, bot)
			cancel()
			switch {
			case gerr == nil && reg.APIKey == req.Creds.APIKey:
				ctx = context.WithoutCancel(ctx)
			case gerr == nil || errors.Is(gerr, service.ErrNotFound):
				return abandon(err)
			default:
				return abandon(err, i18n.M("enroll.rotate_unknown_hint", bot))
			}
		}
		registered = true
		entry.Status = state.StatusRegistered
		entry.RegisteredAt = &now
	}

	// The swap. The old secret is read first so that it can be put back if
	// the index cannot be written.
	oldSecret, oldErr := oldStore.Get(ctx, old.SecretName)
	sameSlot := oldStore == d.Store && old.SecretName == entry.SecretName
	err = d.Index.Update(ctx, func(s *state.Snapshot) error {
		cur := s.Entries[bot]
		if cur == nil || cur.APIKey != old.APIKey {
			return apperr.New(apperr.Unexpected, "enroll.changed_meanwhile", i18n.M("enroll.changed_meanwhile", bot))
		}
		if err := d.Store.Set(ctx, entry.SecretName, req.Creds.Secret); err != nil {
			return err
		}
		s.Entries[bot] = &entry
		return nil
	})
	if err != nil {
		switch {
		case sameSlot && oldErr == nil:
			_ = d.Store.Set(context.WithoutCancel(ctx), old.SecretName, oldSecret)
		case !sameSlot:
			_ = d.Store.Delete(context.WithoutCancel(ctx), entry.SecretName)
		}
		if registered {
			// The service already holds the new key; the old one is still
			// valid on Binance, so the bot keeps trading either way.
			return abandon(err, i18n.M("enroll.rotate_registered_hint", bot))
		}
		return abandon(err)
	}
	_ = d.Store.Delete(ctx, next)
	// The new key is in force: a copy of the old secret that cannot be
	// deleted is not worth failing the rotation for.
	if !sameSlot {
		_ = oldStore.Delete(ctx, old.SecretName)
	}
	// The new key is in force: a copy of the generated key that cannot be
	// deleted is not worth failing the rotation for.
	_ = dropGenerated(ctx, d, req, old)
	prev := *old
	return &Result{Entry: entry, Registered: registered, Replaced: &prev}, nil
}

// keptOld adds to a rotation failure that the old key is still in force.
func keptOld(err error, bot string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return apperr.Wrap(apperr.Unexpected, "enroll.rotate_failed", err, i18n.M("enroll.rotate_failed", bot), i18n.M("enroll.old_key_kept", bot))
	}
	cp := *ae
	var hints []i18n.Message
	for _, h := range ae.Hints {
		// The new key was not kept, so there is nothing to sync.
		if h.Key != "service.sync_hint" {
			hints = append(hints, h)
		}
	}
	cp.Hints = append(hints, i18n.M("enroll.old_key_kept", bot))
	return &cp
}

// Sync registers every pending key. Each result says what happened to one
// key; the error is for a failure that stopped everything (the index could
// not be read, no service client).
func Sync(ctx context.Context, d Deps) ([]SyncResult, error) {
	snap, err := d.Index.Load()
	if err != nil {
		return nil, err
	}
	var pending []*state.Entry
	for _, id := range sortedBots(snap) {
		if e := snap.Entries[id]; usableEntry(e) && e.Status == state.StatusPending {
			pending = append(pending, e)
		}
	}
	if len(pending) == 0 {
		return []SyncResult{}, nil
	}
	if d.Service == nil {
		return nil, apperr.New(apperr.Rejected, "service.not_logged_in", i18n.M("service.not_logged_in"), i18n.M("service.login_hint"))
	}
	svc, err := d.Service(ctx)
	if err != nil {
		return nil, err
	}
	// The keys are sent at once (a few at a time), so that syncing several
	// bots costs about one round trip.
	out := make([]SyncResult, len(pending))
	sem := make(chan struct{}, syncLimit)
	var wg sync.WaitGroup
	for i, e := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			err := syncOne(ctx, d, svc, e)
			out[i] = SyncResult{Bot: e.Bot, APIKey: e.APIKey, Registered: err == nil, Err: err}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("error.cancelled"))
	}
	return out, nil
}

// syncLimit bounds how many keys Sync sends at the same time.
const syncLimit = 4

func syncOne(ctx context.Context, d Deps, svc *service.Client, e *state.Entry) error {
	store, err := d.storeFor(e.Backend)
	if err != nil {
		return err
	}
	secret, err := store.Get(ctx, e.SecretName)
	if errors.Is(err, secrets.ErrNotFound) {
		return apperr.Wrap(apperr.Unexpected, "enroll.secret_missing", err, i18n.M("enroll.secret_missing", e.Bot), i18n.M("enroll.secret_missing_hint", e.Bot))
	}
	if err != nil {
		return err
	}
	label := e.Label
	if label == "" {
		if b, ok := bots.Lookup(e.Bot); ok {
			label = b.Label
		}
	}
	if _, err := svc.PutKey(ctx, e.Bot, service.KeyRegistration{APIKey: e.APIKey, APISecret: secret, KeyType: e.KeyType, Label: label}); err != nil {
		if apperr.KindOf(err) == apperr.Refused {
			// Sending it again will not help: a new key must take its place.
			return withHint(err, i18n.M("enroll.refused_pending_hint", e.Bot))
		}
		return err
	}
	entry := *e
	return markRegistered(ctx, d, &entry)
}

func sortedBots(s *state.Snapshot) []string {
	ids := make([]string, 0, len(s.Entries))
	for id := range s.Entries {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
