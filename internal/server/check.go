package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/seal"
	"github.com/smartradex/smartradex/internal/server/store"
)

// Inspector asks Binance about a key: internal/binance's Client, or a test
// double.
type Inspector interface {
	Inspect(ctx context.Context, creds binance.Credentials) (*binance.Inspection, error)
}

// NewInspector returns the Binance client of the service's key checks. When
// source is valid, every connection to Binance is made from that local
// address (net.Dialer.LocalAddr), and not through a proxy: the address is
// what Binance compares with a key's IP list.
func NewInspector(baseURL string, source netip.Addr) (Inspector, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if source.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: source.AsSlice()}
		t.Proxy = nil
	} else {
		t.Proxy = http.ProxyFromEnvironment
	}
	t.DialContext = d.DialContext
	t.ResponseHeaderTimeout = 10 * time.Second
	return binance.New(binance.Options{BaseURL: baseURL, HTTP: &http.Client{Transport: t, Timeout: 10 * time.Second}})
}

// The outcomes of a check, as last_check and the metrics name them.
const (
	OutcomeOK          = "ok"
	OutcomeRefused     = "refused"
	OutcomeDeleted     = "deleted"
	OutcomeRejected    = "rejected"
	OutcomeUnreachable = "unreachable"
)

// checkTimeout bounds one periodic check: the two calls to Binance with
// their retries.
const checkTimeout = 30 * time.Second

// requestCheckContext bounds a check made while a client waits: two thirds
// of the request's time, so that storing its outcome still fits.
func (s *Server) requestCheckContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.RequestTimeout*2/3)
}

// inspection is what one check saw.
type inspection struct {
	at           time.Time
	seenFrom     string
	restrictions json.RawMessage // nil unless Binance answered
	uid          int64
	binanceCode  int  // Binance's code when it refused the key
	refused      bool // Binance refused the key (binanceCode says how)
	unreachable  bool // Binance could not be reached, or kept failing
	badSecret    bool // the opened secret cannot sign: nothing was sent
}

// seenFrom is the address the service calls Binance from.
func (s *Server) seenFrom() string {
	switch {
	case s.cfg.BinanceSourceAddr.IsValid():
		return s.cfg.BinanceSourceAddr.String()
	case len(s.cfg.EgressIPs) > 0:
		return s.cfg.EgressIPs[0].String()
	}
	return ""
}

// keyRefusal tells whether a Binance code is a refusal of the key itself,
// which asking again will not change. Other codes (rate limits, clock,
// unknown errors) are treated as Binance being unreachable from here.
func keyRefusal(code int64) bool {
	switch code {
	case -1002, -1022, -2008, -2014, -2015:
		return true
	}
	return false
}

// inspect checks a key with Binance from the service's address. The secret
// is the caller's, opened in memory; the caller clears it. What Inspect
// needs is a string, which Go cannot clear: it is dropped when this returns.
func (s *Server) inspect(ctx context.Context, apiKey string, secret []byte) inspection {
	res := inspection{at: s.now(), seenFrom: s.seenFrom()}
	creds, err := binance.ParseCredentials(apiKey, string(secret))
	if err != nil {
		res.badSecret = true
		return res
	}
	if s.inspector == nil {
		res.unreachable = true
		return res
	}
	insp, err := s.inspector.Inspect(ctx, creds)
	if err == nil {
		res.restrictions, res.uid = append(json.RawMessage(nil), insp.Restrictions...), insp.UID
		return res
	}
	if code, ok := binance.APICode(err); ok && keyRefusal(code) {
		res.refused, res.binanceCode = true, int(code)
		return res
	}
	res.unreachable = true
	return res
}

// judge applies the policy, under the service's ip_lock, to what a check
// saw, and gives the stored outcome; v is the verdict when there is one.
func (s *Server) judge(in inspection) (string, *policy.Verdict) {
	switch {
	case in.unreachable:
		return OutcomeUnreachable, nil
	case in.badSecret:
		return OutcomeRejected, nil
	case in.refused && (in.binanceCode == -2008 || in.binanceCode == -2014 || in.binanceCode == -2015):
		return OutcomeDeleted, nil
	case in.refused:
		return OutcomeRejected, nil
	}
	v, err := policy.Judge(in.restrictions, policy.Context{Now: s.now(), IPLock: s.cfg.IPLock})
	if err != nil {
		// Binance answered something the policy cannot read: as if it had
		// not answered.
		return OutcomeUnreachable, nil
	}
	if !v.OK() {
		return OutcomeRefused, &v
	}
	return OutcomeOK, &v
}

func toCheck(in inspection, outcome string) store.Check {
	return store.Check{At: in.at, SeenFrom: in.seenFrom, Outcome: outcome, BinanceCode: in.binanceCode,
		Restrictions: in.restrictions, UID: in.uid}
}

// lastCheckBody is a key's last_check in the answers.
type lastCheckBody struct {
	SeenFrom        string          `json:"seen_from"`
	CheckedAt       time.Time       `json:"checked_at"`
	Outcome         string          `json:"outcome"`
	APIRestrictions json.RawMessage `json:"api_restrictions"`
	UID             int64           `json:"uid"`
	BinanceCode     int             `json:"binance_code"`
}

func toLastCheck(c *store.Check) *lastCheckBody {
	if c == nil {
		return nil
	}
	b := &lastCheckBody{SeenFrom: c.SeenFrom, CheckedAt: c.At.UTC(), Outcome: c.Outcome, UID: c.UID, BinanceCode: c.BinanceCode}
	if len(c.Restrictions) > 0 && json.Valid(c.Restrictions) {
		b.APIRestrictions = append(json.RawMessage(nil), c.Restrictions...)
	}
	return b
}

// recheck checks a stored key again from the service's address and records
// the outcome. A key sealed to the current vault key or to a previous one
// (Config.PreviousVaultKeys) is checked; one sealed to a key this process
// does not hold is not: k is returned as it is.
func (s *Server) recheck(ctx context.Context, k store.Key, trigger string) store.Key {
	vault, _ := s.vaultKeyFor(k.VaultKeyID)
	if vault == nil {
		s.log.LogAttrs(ctx, levelFor(200), "key not checked: sealed to another vault key",
			slog.Any("bot", k.Bot), slog.Any("api_key", MaskAPIKey(k.APIKey)), slog.Any("trigger", trigger))
		return k
	}
	secret, err := seal.Open(vault, k.Bot, k.APIKey, k.KeyType, k.SealedSecret)
	defer clear(secret)
	if err != nil {
		s.log.LogAttrs(ctx, levelFor(500), "key not checked: its sealed secret does not open",
			slog.Any("bot", k.Bot), slog.Any("api_key", MaskAPIKey(k.APIKey)), slog.Any("trigger", trigger))
		return k
	}
	in := s.inspect(ctx, k.APIKey, secret)
	clear(secret)
	outcome, _ := s.judge(in)
	c := toCheck(in, outcome)
	s.recordCheck(ctx, k, c, trigger)
	k.LastCheck = &c
	return k
}

// recordCheck stores a check as the key's last_check, counts and logs it.
// A failure to store it is logged: the check itself happened.
func (s *Server) recordCheck(ctx context.Context, k store.Key, c store.Check, trigger string) {
	s.metrics.checked(trigger, c.Outcome)
	s.log.LogAttrs(ctx, levelFor(200), "key checked", slog.Any("bot", k.Bot), slog.Any("api_key", MaskAPIKey(k.APIKey)),
		slog.Any("trigger", trigger), slog.Any("outcome", c.Outcome), slog.Any("binance_code", c.BinanceCode), slog.Any("seen_from", c.SeenFrom))
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.RequestTimeout)
	defer cancel()
	if err := s.store.RecordCheck(wctx, k.SubscriberID, k.Bot, k.APIKey, c); err != nil {
		s.log.LogAttrs(ctx, levelFor(500), "recording a check failed", slog.Any("bot", k.Bot), errAttr(err, k.APIKey))
	}
}
