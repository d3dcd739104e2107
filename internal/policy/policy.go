// Package policy decides, from the raw body of Binance's apiRestrictions
// endpoint, whether an API key has only the rights SmartradeX accepts. It is
// pure: no I/O, no clock of its own, so every rule is a table test.
package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/safetext"
)

// Finding codes. They are stable: scripts read them from --json output.
const (
	CodeMissingPermission   = "missing_permission"
	CodeForbiddenPermission = "forbidden_permission"
	CodeUnknownPermission   = "unknown_permission"
	CodeUnrecognisedField   = "unrecognised_field"
	CodeIPRestricted        = "ip_restricted"
	CodeTradingExpired      = "trading_expired"
	CodeTradingExpiresSoon  = "trading_expires_soon"
	CodeMissingField        = "missing_field"
	// CodeIPUnrestricted is an unrestricted key where SmartradeX wants keys
	// locked to its addresses: a warning with ip_lock "recommended", a
	// problem with "required".
	CodeIPUnrestricted = "ip_unrestricted"
)

// The values of ip_lock, as GET /v1/network publishes them.
const (
	IPLockOff         = "off"
	IPLockRecommended = "recommended"
	IPLockRequired    = "required"
)

// Context is what the judgement depends on besides the body: the moment (for
// the expiry of a trading right) and whether SmartradeX wants keys locked to
// its addresses. Where the body was seen from is not part of it: the
// judgement of one body is the same wherever it was fetched, and callers
// report the origin next to the verdict.
type Context struct {
	Now time.Time
	// IPLock is "off" (or empty: the default), "recommended" or "required".
	IPLock string
}

// ValidIPLock reports whether s is a value Judge knows ("" meaning off).
func ValidIPLock(s string) bool {
	switch s {
	case "", IPLockOff, IPLockRecommended, IPLockRequired:
		return true
	}
	return false
}

// locked reports whether keys are expected to be locked to SmartradeX's
// addresses.
func (c Context) locked() bool { return c.IPLock == IPLockRecommended || c.IPLock == IPLockRequired }

// Field names of the apiRestrictions response that the rules name.
const (
	FieldReading           = "enableReading"
	FieldSpotTrading       = "enableSpotAndMarginTrading"
	FieldFixReadOnly       = "enableFixReadOnly"
	FieldCreateTime        = "createTime"
	FieldIPRestrict        = "ipRestrict"
	FieldTradingExpiration = "tradingAuthorityExpirationTime"
)

// ExpiryWarning is how far ahead an expiring trading right is reported.
const ExpiryWarning = 7 * 24 * time.Hour

// Finding is one problem or warning about a key. Which of the two it is
// follows from the Verdict's list that holds it: warnings never make OK()
// false.
type Finding struct {
	Code    string       `json:"code"`
	Field   string       `json:"field"`
	Message i18n.Message `json:"-"`
}

// Right is one boolean field of the response, for display: the Binance UI
// label, whether it is on, and whether that state is acceptable.
type Right struct {
	Field string
	Label i18n.Message
	On    bool
	OK    bool
}

// Verdict is the outcome of Judge.
type Verdict struct {
	Problems, Warnings []Finding
	CreatedAt          *time.Time // createTime, if present
	TradingExpiresAt   *time.Time // tradingAuthorityExpirationTime, if present
	// Rights lists every boolean field of the response in display order:
	// the two required rights, then the others sorted by field name.
	Rights []Right
}

// OK reports whether the key may be used: no problems (warnings allowed).
func (v Verdict) OK() bool { return len(v.Problems) == 0 }

// forbidden are the rights Binance documents that SmartradeX refuses, with
// their catalogue label. Any other field set to true is refused as well.
var forbidden = map[string]bool{
	"enableWithdrawals":            true,
	"enableInternalTransfer":       true,
	"enableMargin":                 true,
	"enableFutures":                true,
	"permitsUniversalTransfer":     true,
	"enableVanillaOptions":         true,
	"enableFixApiTrade":            true,
	"enablePortfolioMarginTrading": true,
}

// Label returns the Binance UI label of a field in the catalogue; an unknown
// field is labelled with its own name.
func Label(field string) i18n.Message {
	switch {
	case field == FieldReading, field == FieldSpotTrading, field == FieldFixReadOnly,
		field == FieldIPRestrict, forbidden[field]:
		return i18n.M("policy.label." + field)
	}
	return i18n.M("policy.label.unknown", field)
}

// ErrBadResponse is the cause of every error Judge returns for a body.
var ErrBadResponse = errors.New("malformed apiRestrictions response")

// ErrBadContext is returned for a Context Judge does not know: a caller's
// mistake, never a verdict.
var ErrBadContext = errors.New("unknown ip_lock value")

func badResponse(detail string) error {
	return apperr.Wrap(apperr.Unavailable, "binance.bad_response",
		fmt.Errorf("%w: %s", ErrBadResponse, detail),
		i18n.M("policy.bad_response"), i18n.M("policy.bad_response_hint"))
}

// Judge applies SmartradeX's allow-list to the raw apiRestrictions body.
// Anything it cannot read with certainty is an error or a problem, never a
// pass: a key is OK only when both required rights are literally true and
// no other field is true. ipRestrict must be false when c.IPLock is off,
// and may be either when it is "recommended" (false is warned about) but
// must be true when it is "required".
func Judge(raw []byte, c Context) (Verdict, error) {
	if !ValidIPLock(c.IPLock) {
		return Verdict{}, apperr.Wrap(apperr.Unexpected, "policy.bad_context",
			fmt.Errorf("%w: %q", ErrBadContext, safetext.Clean(c.IPLock, safetext.MaxName)),
			i18n.M("policy.bad_context"))
	}
	now := c.Now
	fields, err := decodeObject(raw)
	if err != nil {
		return Verdict{}, badResponse(err.Error())
	}
	var v Verdict
	unrestricted := false
	for _, req := range []string{FieldReading, FieldSpotTrading} {
		val, ok := fields[req]
		if !ok {
			return Verdict{}, badResponse(req + " is missing")
		}
		on, isBool := boolValue(val)
		if !isBool {
			return Verdict{}, badResponse(req + " is not a boolean")
		}
		v.Rights = append(v.Rights, Right{Field: req, Label: Label(req), On: on, OK: on})
		if !on {
			v.Problems = append(v.Problems, Finding{Code: CodeMissingPermission, Field: req,
				Message: i18n.M("policy.missing_permission", Label(req))})
		}
	}

	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == FieldReading || name == FieldSpotTrading {
			continue
		}
		val := fields[name]
		// The rules read the name as Binance sent it; what is shown (in a
		// message, in --json) is the cleaned name, since it came from the
		// network like the rest of the body.
		shown := safetext.Clean(name, safetext.MaxName)
		if name == FieldCreateTime || name == FieldTradingExpiration {
			// Moments, in their documented form only (milliseconds, or null
			// for none): anything else is not what smartradex understands.
			t, ok := optionalMillis(val)
			switch {
			case !ok:
				v.Problems = append(v.Problems, unrecognised(shown))
				continue
			case t == nil:
				continue
			case name == FieldCreateTime:
				v.CreatedAt = t
				continue
			}
			v.TradingExpiresAt = t
			date := formatDate(*t, now)
			switch {
			case !t.After(now):
				v.Problems = append(v.Problems, Finding{Code: CodeTradingExpired, Field: name,
					Message: i18n.M("policy.trading_expired", Label(FieldSpotTrading), date)})
			case t.Sub(now) <= ExpiryWarning:
				v.Warnings = append(v.Warnings, Finding{Code: CodeTradingExpiresSoon, Field: name,
					Message: i18n.M("policy.trading_expires_soon", Label(FieldSpotTrading), date)})
			}
			continue
		}
		on, isBool := boolValue(val)
		if !isBool {
			// A field smartradex does not understand (null included) may
			// grant a right in a form it cannot read: fail closed.
			v.Problems = append(v.Problems, unrecognised(shown))
			continue
		}
		label := Label(name)
		if shown != name {
			label = i18n.M("policy.label.unknown", shown)
		}
		okState := !on || name == FieldFixReadOnly
		if name == FieldIPRestrict && c.locked() {
			okState = on || c.IPLock == IPLockRecommended
		}
		right := Right{Field: shown, Label: label, On: on, OK: okState}
		v.Rights = append(v.Rights, right)
		if name == FieldIPRestrict && c.locked() {
			if !on {
				unrestricted = true
			}
			continue
		}
		if right.OK {
			continue
		}
		switch {
		case name == FieldIPRestrict:
			v.Problems = append(v.Problems, Finding{Code: CodeIPRestricted, Field: name,
				Message: i18n.M("policy.ip_restricted", Label(name))})
		case forbidden[name]:
			v.Problems = append(v.Problems, Finding{Code: CodeForbiddenPermission, Field: name,
				Message: i18n.M("policy.forbidden_permission", Label(name))})
		default:
			v.Problems = append(v.Problems, Finding{Code: CodeUnknownPermission, Field: shown,
				Message: i18n.M("policy.unknown_permission", shown)})
		}
	}
	if _, ok := fields[FieldIPRestrict]; !ok {
		// Without it nothing says the key is not locked to addresses
		// SmartradeX does not trade from: not knowing is not a pass.
		v.Problems = append(v.Problems, Finding{Code: CodeMissingField, Field: FieldIPRestrict,
			Message: i18n.M("policy.ip_restrict_missing", Label(FieldIPRestrict))})
	}
	if unrestricted {
		f := unrestrictedFinding(v, c)
		if c.IPLock == IPLockRequired {
			v.Problems = append(v.Problems, f)
		} else {
			v.Warnings = append(v.Warnings, f)
		}
	}
	sortFindings(v.Problems)
	sortFindings(v.Warnings)
	return v, nil
}

// unrestrictedFinding tells what Binance does to a key without an IP
// restriction: the date its trading right ends when Binance gives one
// (tradingAuthorityExpirationTime), else Binance's rule in words — the 30
// days run from when the right was enabled, which the key does not tell,
// so no date is made up — and that Binance may delete such a key.
func unrestrictedFinding(v Verdict, c Context) Finding {
	var when i18n.Message
	if ends := v.TradingExpiresAt; ends != nil {
		when = i18n.M("policy.ip_unrestricted_ends", Label(FieldSpotTrading), formatDate(*ends, c.Now))
	} else {
		when = i18n.M("policy.ip_unrestricted_ends_unknown", Label(FieldSpotTrading))
	}
	msg := i18n.M("policy.ip_unrestricted_recommended", Label(FieldIPRestrict), when)
	if c.IPLock == IPLockRequired {
		msg = i18n.M("policy.ip_unrestricted_required", Label(FieldIPRestrict), when)
	}
	return Finding{Code: CodeIPUnrestricted, Field: FieldIPRestrict, Message: msg}
}

func unrecognised(field string) Finding {
	return Finding{Code: CodeUnrecognisedField, Field: field, Message: i18n.M("policy.unrecognised_field", field)}
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Field != fs[j].Field {
			return fs[i].Field < fs[j].Field
		}
		return fs[i].Code < fs[j].Code
	})
}

// formatDate shows t in the caller's time zone (that of now), to the minute.
func formatDate(t, now time.Time) string {
	return t.In(now.Location()).Format("2006-01-02 15:04 MST")
}

// decodeObject reads exactly one JSON object with no duplicate keys and
// nothing after it. Duplicate keys are refused because decoders disagree on
// which one wins, and an attacker-controlled proxy could exploit that.
func decodeObject(raw []byte) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	fields := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("not a JSON object")
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		if _, dup := fields[name]; dup {
			return nil, fmt.Errorf("duplicate field %q", name)
		}
		fields[name] = val
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	return fields, nil
}

func boolValue(v json.RawMessage) (on, ok bool) {
	switch string(bytes.TrimSpace(v)) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// millis reads an epoch-milliseconds integer.
// optionalMillis reads a moment that may be null: nil and true for null.
func optionalMillis(v json.RawMessage) (*time.Time, bool) {
	if isNull(v) {
		return nil, true
	}
	t, ok := millis(v)
	if !ok {
		return nil, false
	}
	return &t, true
}

func millis(v json.RawMessage) (time.Time, bool) {
	s := string(bytes.TrimSpace(v))
	if s == "" || s[0] < '0' || s[0] > '9' {
		return time.Time{}, false
	}
	ms, err := json.Number(s).Int64()
	if err != nil || ms < 0 {
		return time.Time{}, false
	}
	return time.UnixMilli(ms).UTC(), true
}
