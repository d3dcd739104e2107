package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/server/store"
)

// retryAfterBinance is the wait suggested when Binance could not be reached
// from the service.
const retryAfterBinance = 30

// liveConcurrency bounds the checks of one GET /v1/binance-keys?live=1.
const liveConcurrency = 4

func live(r *http.Request) bool { return r.URL.Query().Get("live") == "1" }

// checkAllowed takes one check from the process's budget of checks made
// while a client waits (Config.CheckBudget).
func (s *Server) checkAllowed() (bool, time.Duration) { return s.checkBudget.allow("binance") }

// tooManyChecks answers a POST or PUT whose check the budget refuses.
func (s *Server) tooManyChecks(w http.ResponseWriter, wait time.Duration) {
	s.metrics.limited(limitedChecks)
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	writeError(w, http.StatusTooManyRequests, CodeRateLimited, "too many key checks with Binance at the moment, try again shortly")
}

type checkErrorBody struct {
	Error struct {
		Code        string        `json:"code"`
		Message     string        `json:"message"`
		BinanceCode *int          `json:"binance_code,omitempty"`
		SeenFrom    *string       `json:"seen_from,omitempty"`
		Findings    []findingBody `json:"findings,omitempty"`
	} `json:"error"`
}

type findingBody struct {
	Code  string `json:"code"`
	Field string `json:"field"`
}

// writeBinanceError answers a check Binance refused (422 binance_rejected)
// or that could not reach it (503 binance_unreachable).
func writeBinanceError(w http.ResponseWriter, in inspection) {
	var b checkErrorBody
	seen := in.seenFrom
	b.Error.SeenFrom = &seen
	from := "the service"
	if seen != "" {
		from = seen
	}
	if in.refused {
		code := in.binanceCode
		b.Error.Code, b.Error.BinanceCode = CodeBinanceRejected, &code
		b.Error.Message = fmt.Sprintf("Binance refused the key from %s (code %d)", from, code)
		if code == -2015 {
			b.Error.Message += ": the key's IP list lacks this address, or the key was deleted"
		}
		encode(w, http.StatusUnprocessableEntity, b)
		return
	}
	b.Error.Code = CodeBinanceUnreachable
	b.Error.Message = "Binance could not be reached from " + from + ", try again in a few minutes"
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterBinance))
	encode(w, http.StatusServiceUnavailable, b)
}

// refuseChecked answers the refusal of a checking PUT, if the check
// refuses the key, and reports whether it did. outcome and verdict are
// judge's.
func (s *Server) refuseChecked(w http.ResponseWriter, in inspection, outcome string, verdict *policy.Verdict) bool {
	switch {
	case in.badSecret:
		writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the sealed secret cannot sign requests for this api_key and key_type")
		return true
	case in.refused || in.unreachable:
		writeBinanceError(w, in)
		return true
	case outcome == OutcomeUnreachable:
		// Binance answered what the policy cannot read.
		writeBinanceError(w, inspection{seenFrom: in.seenFrom, unreachable: true})
		return true
	case outcome == OutcomeRefused && verdict != nil:
		var b checkErrorBody
		b.Error.Code = CodeKeyRefused
		b.Error.Findings = []findingBody{}
		var parts []string
		for _, f := range verdict.Problems {
			b.Error.Findings = append(b.Error.Findings, findingBody{Code: f.Code, Field: f.Field})
			parts = append(parts, f.Field+" ("+f.Code+")")
		}
		b.Error.Message = "the key breaks SmartradeX's rules: " + strings.Join(parts, ", ")
		encode(w, http.StatusUnprocessableEntity, b)
		return true
	}
	return false
}

type checkResultBody struct {
	SeenFrom        string          `json:"seen_from"`
	CheckedAt       time.Time       `json:"checked_at"`
	APIRestrictions json.RawMessage `json:"api_restrictions"`
	UID             int64           `json:"uid"`
}

// handleCheckKey is POST /v1/bots/{bot}/binance-key/checks: the key checked
// from the service's address, nothing stored, no policy applied.
func (s *Server) handleCheckKey() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bot, ok := s.botFor(w, r)
		if !ok {
			return
		}
		var rc requestCheck
		in, status, code, msg := s.readPutThen(w, r, bot, s.checkWhileWaiting(r, &rc))
		if status != 0 {
			writeError(w, status, code, msg)
			return
		}
		if rc.throttled {
			s.tooManyChecks(w, rc.wait)
			return
		}
		seen := rc.seen
		outcome, _ := s.judge(seen)
		s.metrics.checked("request", outcome)
		s.log.LogAttrs(r.Context(), levelFor(200), "key checked", requestIDAttr(r.Context()), slog.String("bot", bot),
			slog.String("api_key", MaskAPIKey(in.apiKey)), slog.String("trigger", "request"), slog.String("outcome", outcome),
			slog.Int("binance_code", seen.binanceCode), slog.String("seen_from", seen.seenFrom))
		switch {
		case seen.badSecret:
			writeError(w, http.StatusUnprocessableEntity, CodeInvalidRequest, "the sealed secret cannot sign requests for this api_key and key_type")
		case seen.refused || seen.unreachable:
			writeBinanceError(w, seen)
		case !json.Valid(seen.restrictions):
			writeBinanceError(w, inspection{seenFrom: seen.seenFrom, unreachable: true})
		default:
			encode(w, http.StatusOK, checkResultBody{SeenFrom: seen.seenFrom, CheckedAt: seen.at.UTC(),
				APIRestrictions: seen.restrictions, UID: seen.uid})
		}
	})
}

// handleListKeys is GET /v1/binance-keys: the subscriber's registrations of
// the bots they subscribe to, checked again with live=1.
func (s *Server) handleListKeys() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		keys, err := s.store.ListKeys(r.Context(), p.Subscriber.ID)
		if err != nil {
			s.storeFailed(w, r, err)
			return
		}
		keys = slices.DeleteFunc(keys, func(k store.Key) bool { return !slices.Contains(p.Bots, k.Bot) })
		if live(r) {
			ctx, cancel := s.requestCheckContext(r.Context())
			s.recheckAll(ctx, keys, liveConcurrency, "live")
			cancel()
		}
		out := make([]registrationBody, 0, len(keys))
		for _, k := range keys {
			out = append(out, toRegistration(k))
		}
		encode(w, http.StatusOK, map[string]any{"keys": out})
	})
}

// recheckAll checks keys again, at most n at a time, updating each in place.
func (s *Server) recheckAll(ctx context.Context, keys []store.Key, n int, trigger string) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			if ok, _ := s.checkAllowed(); !ok {
				return // the stored last_check stands
			}
			keys[i] = s.recheck(ctx, keys[i], trigger)
		}()
	}
	wg.Wait()
}

// requestCheck is what checking a key while its client waits gave: what
// Binance said from the service's address, or, beyond the budget of such
// checks, how long the client should wait.
type requestCheck struct {
	seen      inspection
	throttled bool
	wait      time.Duration
}

// checkWhileWaiting is the step readPutThen runs with the opened secret of
// a check or a checking PUT: it spends one check of the budget and asks
// Binance, recording the outcome in rc.
func (s *Server) checkWhileWaiting(r *http.Request, rc *requestCheck) func(putRequest, []byte) {
	return func(in putRequest, secret []byte) {
		var ok bool
		if ok, rc.wait = s.checkAllowed(); !ok {
			rc.throttled = true
			return
		}
		ctx, cancel := s.requestCheckContext(r.Context())
		defer cancel()
		rc.seen = s.inspect(ctx, in.apiKey, secret)
	}
}
