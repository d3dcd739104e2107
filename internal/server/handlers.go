package server

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/server/store"
)

func (s *Server) handleMe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		bots := p.Bots
		if bots == nil {
			bots = []string{}
		}
		encode(w, http.StatusOK, map[string]any{"email": p.Subscriber.Email, "bots": bots})
	})
}

type botBody struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Label string `json:"label"`
}

func (s *Server) handleBots() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.heldBack(w) {
			return
		}
		list, err := s.store.Bots(r.Context())
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		out := make([]botBody, 0, len(list))
		for _, b := range list {
			out = append(out, botBody{ID: b.ID, Name: b.Name, Label: b.Label})
		}
		encode(w, http.StatusOK, map[string]any{"bots": out})
	})
}

func (s *Server) handleVaultKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vault := s.vault.Load()
		if vault == nil {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the service has no vault key")
			return
		}
		encode(w, http.StatusOK, vault.Public().Describe())
	})
}

// botFor checks the bot of the path for the authenticated subscriber, in
// the contract's order: a bot that does not exist is 404 unknown_bot, one
// the subscriber does not pay for is 403 not_subscribed.
func (s *Server) botFor(w http.ResponseWriter, r *http.Request) (string, bool) {
	bot := r.PathValue("bot")
	p := principalFrom(r.Context())
	if slices.Contains(p.Bots, bot) {
		return bot, true
	}
	known, err := s.knownBot(r.Context(), bot)
	if err != nil {
		s.storeFailed(w, r, err)
		return "", false
	}
	if !known {
		msg := "there is no such bot"
		if isBotID(bot) {
			msg = "there is no bot " + bot
		}
		writeError(w, http.StatusNotFound, CodeUnknownBot, msg)
		return "", false
	}
	writeError(w, http.StatusForbidden, CodeNotSubscribed, "this account has no subscription to "+bot)
	return "", false
}

func (s *Server) knownBot(ctx context.Context, bot string) (bool, error) {
	list, err := s.store.Bots(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(list, func(b store.Bot) bool { return b.ID == bot }), nil
}

type registrationBody struct {
	Bot          string         `json:"bot"`
	APIKey       string         `json:"api_key"`
	Status       string         `json:"status"`
	RegisteredAt time.Time      `json:"registered_at"`
	LastCheck    *lastCheckBody `json:"last_check"`
}

func toRegistration(k store.Key) registrationBody {
	return registrationBody{Bot: k.Bot, APIKey: k.APIKey, Status: "active", RegisteredAt: k.RegisteredAt.UTC(),
		LastCheck: toLastCheck(k.LastCheck)}
}

func (s *Server) handleGetKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot, ok := s.botFor(w, r)
		if !ok {
			return
		}
		k, err := s.store.GetKey(r.Context(), principalFrom(r.Context()).Subscriber.ID, bot)
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, CodeNotFound, "no key is registered for "+bot)
		case err != nil:
			s.storeFailed(w, r, err)
		default:
			if live(r) {
				if ok, _ := s.checkAllowed(); ok {
					ctx, cancel := s.requestCheckContext(r.Context())
					k = s.recheck(ctx, k, "live")
					cancel()
				}
			}
			encode(w, http.StatusOK, toRegistration(k))
		}
	})
}

func (s *Server) handleDeleteKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot, ok := s.botFor(w, r)
		if !ok {
			return
		}
		p := principalFrom(r.Context())
		_, err := s.store.DeleteKey(r.Context(), p.Subscriber.ID, bot, s.auditEvent(r, "key.remove", p, bot, ""))
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, CodeNotFound, "no key is registered for "+bot)
			return
		case err != nil:
			s.storeFailed(w, r, err)
			return
		}
		s.metrics.removed()
		w.WriteHeader(http.StatusNoContent)
	})
}

func (s *Server) handlePutKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot, ok := s.botFor(w, r)
		if !ok {
			return
		}
		checking := s.cfg.IPLock == policy.IPLockRequired || s.cfg.IPLock == policy.IPLockRecommended
		var rc requestCheck
		var use func(putRequest, []byte)
		if checking {
			use = s.checkWhileWaiting(r, &rc)
		}
		in, status, code, msg := s.readPutThen(w, r, bot, use)
		if status != 0 {
			writeError(w, status, code, msg)
			return
		}
		if rc.throttled {
			s.tooManyChecks(w, rc.wait)
			return
		}
		seen := rc.seen
		var check *store.Check
		if checking {
			outcome, verdict := s.judge(seen)
			s.metrics.checked("put", outcome)
			s.log.LogAttrs(r.Context(), levelFor(200), "key checked", requestIDAttr(r.Context()), slog.String("bot", bot),
				slog.String("api_key", MaskAPIKey(in.apiKey)), slog.String("trigger", "put"), slog.String("outcome", outcome),
				slog.Int("binance_code", seen.binanceCode), slog.String("seen_from", seen.seenFrom))
			if s.refuseChecked(w, seen, outcome, verdict) {
				s.log.LogAttrs(r.Context(), levelFor(422), "key refused by the check", requestIDAttr(r.Context()),
					slog.String("bot", bot), slog.String("api_key", MaskAPIKey(in.apiKey)), slog.String("outcome", outcome),
					slog.Int("binance_code", seen.binanceCode))
				return
			}
			c := toCheck(seen, outcome)
			check = &c
		}
		p := principalFrom(r.Context())
		// The audit row (key.register or key.replace, set by the store)
		// commits with the registration or not at all.
		res, err := s.store.PutKey(r.Context(), store.Key{
			SubscriberID: p.Subscriber.ID, Bot: bot, APIKey: in.apiKey, KeyType: in.keyType, Label: in.label,
			SealedSecret: in.sealed, VaultKeyID: in.vaultKeyID, RegisteredAt: s.now(),
		}, s.auditEvent(r, "", p, bot, in.apiKey))
		switch {
		case errors.Is(err, store.ErrKeyInUse):
			writeError(w, http.StatusConflict, CodeKeyInUse, "this API key is already registered for another bot")
			return
		case err != nil:
			s.storeFailed(w, r, err, in.apiKey, p.Subscriber.Email)
			return
		}
		switch {
		case !res.Created:
			s.metrics.registered("unchanged")
		case res.Replaced != nil:
			s.metrics.registered("replaced")
		default:
			s.metrics.registered("created")
		}
		if check != nil {
			// Counted above, with the refusals.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.cfg.RequestTimeout)
			if err := s.store.RecordCheck(wctx, p.Subscriber.ID, bot, in.apiKey, *check); err != nil {
				s.log.LogAttrs(r.Context(), levelFor(500), "recording a check failed", requestIDAttr(r.Context()), errAttr(err, in.apiKey))
			}
			cancel()
			res.Key.LastCheck = check
		}
		encode(w, http.StatusOK, toRegistration(res.Key))
	})
}

// auditEvent is the audit row of a subscriber's change, handed to the store
// with the change so that both commit or neither does. apiKey is masked
// here; empty (DELETE), the store's row has the removed key's, masked too.
func (s *Server) auditEvent(r *http.Request, action string, p store.Principal, bot, apiKey string) store.AuditEvent {
	e := store.AuditEvent{At: s.now(), Actor: "subscriber:" + p.Subscriber.Email, Action: action,
		SubscriberID: p.Subscriber.ID, Bot: bot, RemoteAddr: clientFrom(r.Context()).String()}
	if apiKey != "" {
		e.APIKey = MaskAPIKey(apiKey)
	}
	return e
}

type engineKeyBody struct {
	Bot          string     `json:"bot"`
	Email        string     `json:"email"`
	APIKey       string     `json:"api_key"`
	KeyType      string     `json:"key_type"`
	SealedSecret string     `json:"sealed_secret"`
	VaultKeyID   string     `json:"vault_key_id"`
	LastCheck    *time.Time `json:"last_check"` // when the service last checked the key with Binance
	// The outcome of that check (nil if never) and Binance's code in it.
	LastCheckOutcome     *string `json:"last_check_outcome"`
	LastCheckBinanceCode int     `json:"last_check_binance_code"`
}

// isBotID tells whether s has the shape of a bot identifier.
func isBotID(s string) bool {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// handleEngineKeys gives the trading engine the active keys of a bot, their
// secrets sealed: the engine opens them with the vault private key.
func (s *Server) handleEngineKeys() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot := r.URL.Query().Get("bot")
		switch {
		case bot == "":
			writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the bot parameter is required")
			return
		case !isBotID(bot):
			writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the bot parameter is not a bot identifier")
			return
		}
		known, err := s.knownBot(r.Context(), bot)
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		if !known {
			writeError(w, http.StatusNotFound, CodeUnknownBot, "there is no bot "+bot)
			return
		}
		keys, err := s.store.ActiveKeys(r.Context(), bot)
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		out := make([]engineKeyBody, 0, len(keys))
		for _, k := range keys {
			b := engineKeyBody{Bot: k.Bot, Email: k.Email, APIKey: k.APIKey, KeyType: k.KeyType,
				SealedSecret: base64.StdEncoding.EncodeToString(k.SealedSecret), VaultKeyID: k.VaultKeyID}
			if k.LastCheck != nil {
				at, outcome := k.LastCheck.At.UTC(), k.LastCheck.Outcome
				b.LastCheck, b.LastCheckOutcome, b.LastCheckBinanceCode = &at, &outcome, k.LastCheck.BinanceCode
			}
			out = append(out, b)
		}
		encode(w, http.StatusOK, map[string]any{"keys": out})
	})
}

func (s *Server) handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// readyTimeout bounds the database check of /readyz.
const readyTimeout = 2 * time.Second

func (s *Server) handleReadyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "shutting down")
			return
		}
		if s.held.Load() {
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the database is not migrated yet")
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.store.Ping(ctx); err != nil {
			s.log.LogAttrs(r.Context(), levelFor(503), "database not ready", requestIDAttr(r.Context()), errAttr(err))
			writeError(w, http.StatusServiceUnavailable, CodeUnavailable, "the database is unavailable")
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
