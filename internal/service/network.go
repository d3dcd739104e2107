package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/policy"
)

// The values of ip_lock in GET /v1/network.
const (
	IPLockRequired    = "required"
	IPLockRecommended = "recommended"
	IPLockOff         = "off"
)

// MaxEgressIPs is Binance's limit of trusted addresses per key: a service
// that publishes more could not be trusted by any key.
const MaxEgressIPs = 30

// maxChanges bounds the announced changes taken from the service.
const maxChanges = 10

// AddressChange is an announced change of the service's addresses.
type AddressChange struct {
	Add         []string  `json:"add"`
	Remove      []string  `json:"remove"`
	EffectiveAt time.Time `json:"effective_at"`
}

// Network is what GET /v1/network says: the addresses SmartradeX calls
// Binance from and whether it wants keys locked to them.
type Network struct {
	EgressIPs []string        `json:"egress_ips"`
	IPLock    string          `json:"ip_lock"`
	Changes   []AddressChange `json:"changes"`
}

// Locking tells whether the service checks keys from its addresses
// (ip_lock required or recommended).
func (n *Network) Locking() bool {
	return n != nil && (n.IPLock == IPLockRequired || n.IPLock == IPLockRecommended)
}

// OffNetwork is what a service that does not publish /v1/network (404) or
// publishes ip_lock "off" means: keys are checked here, unrestricted.
func OffNetwork() *Network {
	return &Network{IPLock: IPLockOff, EgressIPs: []string{}, Changes: []AddressChange{}}
}

// Network returns the service's addresses and locking rule (GET
// /v1/network, no token). A service that answers 404 does not know the
// endpoint: that is ip_lock "off", never an error. What the service says is
// held to the contract: known ip_lock, at most 30 well-formed addresses,
// and at least one when keys are to be locked to them.
func (c *Client) Network(ctx context.Context) (*Network, error) {
	var n Network
	err := c.do(ctx, call{method: http.MethodGet, path: "/v1/network", public: true}, &n)
	var se *statusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return OffNetwork(), nil
	}
	if err != nil {
		return nil, err
	}
	if err := checkNetwork(&n); err != nil {
		return nil, c.badResponse(fmt.Errorf("GET /v1/network: %w", err))
	}
	return &n, nil
}

func checkNetwork(n *Network) error {
	switch n.IPLock {
	case IPLockRequired, IPLockRecommended, IPLockOff:
	default:
		return fmt.Errorf("ip_lock %q is not required, recommended or off", sanitizeText(n.IPLock, 32))
	}
	ips, err := checkAddresses(n.EgressIPs, "egress_ips")
	if err != nil {
		return err
	}
	n.EgressIPs = ips
	if n.Locking() && len(ips) == 0 {
		return fmt.Errorf("ip_lock %q with no egress address", n.IPLock)
	}
	if len(n.Changes) > maxChanges {
		return fmt.Errorf("%d announced changes, more than %d", len(n.Changes), maxChanges)
	}
	for i := range n.Changes {
		ch := &n.Changes[i]
		if ch.EffectiveAt.IsZero() {
			return errors.New("an announced change has no effective_at")
		}
		if ch.Add, err = checkAddresses(ch.Add, "changes.add"); err != nil {
			return err
		}
		if ch.Remove, err = checkAddresses(ch.Remove, "changes.remove"); err != nil {
			return err
		}
	}
	if n.Changes == nil {
		n.Changes = []AddressChange{}
	}
	sort.Slice(n.Changes, func(i, j int) bool { return n.Changes[i].EffectiveAt.Before(n.Changes[j].EffectiveAt) })
	return nil
}

// checkAddresses accepts IPv4 and IPv6 addresses in their canonical form,
// no zone, at most MaxEgressIPs, none twice.
func checkAddresses(in []string, what string) ([]string, error) {
	if len(in) > MaxEgressIPs {
		return nil, fmt.Errorf("%s: %d addresses, more than Binance's %d", what, len(in), MaxEgressIPs)
	}
	out := []string{}
	seen := map[string]bool{}
	for _, s := range in {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" || a.String() != s {
			return nil, fmt.Errorf("%s: %q is not an IP address", what, sanitizeText(s, 64))
		}
		if seen[s] {
			return nil, fmt.Errorf("%s: %s given twice", what, s)
		}
		seen[s] = true
		out = append(out, s)
	}
	return out, nil
}

// Check is what the service saw when it called Binance with the key from
// its own address: Binance's apiRestrictions body, unjudged, and the uid.
type Check struct {
	SeenFrom        string          `json:"seen_from"`
	CheckedAt       time.Time       `json:"checked_at"`
	APIRestrictions json.RawMessage `json:"api_restrictions"`
	UID             int64           `json:"uid"`
}

// The outcomes of the service's periodic checks (last_check.outcome).
const (
	OutcomeOK          = "ok"
	OutcomeRefused     = "refused"
	OutcomeDeleted     = "deleted"
	OutcomeRejected    = "rejected"
	OutcomeUnreachable = "unreachable"
)

// LastCheck is the outcome of the service's last check of a stored key.
// APIRestrictions and UID are empty when Binance did not answer with them.
type LastCheck struct {
	SeenFrom        string          `json:"seen_from"`
	CheckedAt       time.Time       `json:"checked_at"`
	APIRestrictions json.RawMessage `json:"api_restrictions,omitempty"`
	UID             int64           `json:"uid,omitempty"`
	Outcome         string          `json:"outcome"`
	BinanceCode     int             `json:"binance_code,omitempty"`
}

// OK tells whether the check found the key usable.
func (l *LastCheck) OK() bool { return l != nil && l.Outcome == OutcomeOK }

// checkSeen holds what the service says it saw to the contract. seen_from
// may be empty only where unknownFrom allows it: a service that publishes
// no address (ip_lock off) cannot say which one it called from.
func checkSeen(seenFrom string, at time.Time, raw json.RawMessage, needRaw, unknownFrom bool) error {
	if seenFrom == "" && unknownFrom {
		// Nothing to check.
	} else if a, err := netip.ParseAddr(seenFrom); err != nil || a.String() != seenFrom {
		return fmt.Errorf("seen_from %q is not an IP address", sanitizeText(seenFrom, 64))
	}
	if at.IsZero() {
		return errors.New("no checked_at")
	}
	if needRaw || len(raw) > 0 && string(raw) != "null" {
		if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
			return errors.New("api_restrictions is not a JSON object")
		}
	}
	return nil
}

func checkLastCheck(l *LastCheck) error {
	if l == nil {
		return nil
	}
	switch l.Outcome {
	case OutcomeOK, OutcomeRefused, OutcomeDeleted, OutcomeRejected, OutcomeUnreachable:
	default:
		return fmt.Errorf("last_check.outcome %q is not ok, refused, deleted, rejected or unreachable", sanitizeText(l.Outcome, 32))
	}
	if err := checkSeen(l.SeenFrom, l.CheckedAt, l.APIRestrictions, l.Outcome == OutcomeOK, true); err != nil {
		return fmt.Errorf("last_check: %w", err)
	}
	if string(l.APIRestrictions) == "null" {
		l.APIRestrictions = nil
	}
	return nil
}

// CheckKey asks the service to check reg from its own addresses (POST
// /v1/bots/{bot}/binance-key/checks): the body is the PUT's, the secret
// sealed to the trusted vault key; the service stores nothing and judges
// nothing. Binance refusing the key from there is an error of kind
// Rejected whose cause is a *RejectedError.
func (c *Client) CheckKey(ctx context.Context, bot string, reg KeyRegistration) (*Check, error) {
	if err := checkBot(bot); err != nil {
		return nil, err
	}
	var out Check
	cl := call{method: http.MethodPost, path: keyPath(bot) + "/checks", bot: bot, secrets: []string{reg.APISecret}}
	if err := c.sealedDo(ctx, cl, reg, &out); err != nil {
		return nil, err
	}
	if err := checkSeen(out.SeenFrom, out.CheckedAt, out.APIRestrictions, true, false); err != nil {
		return nil, c.badResponse(fmt.Errorf("POST %s: %w", cl.path, err))
	}
	return &out, nil
}

// sealedDo seals reg to the trusted vault key and sends it; a 409
// vault_key_changed fetches the key once more.
func (c *Client) sealedDo(ctx context.Context, cl call, reg KeyRegistration, out any) error {
	for fresh := false; ; fresh = true {
		key, err := c.vaultKey(ctx, fresh, cl.registering, cl.secrets)
		if err != nil {
			return err
		}
		if cl.body, err = sealRegistration(key, cl.bot, reg); err != nil {
			return apperr.Wrap(apperr.Unexpected, "service.encode", err, i18n.M("error.unexpected", "sealing the secret"))
		}
		err = c.do(ctx, cl, out)
		if err == nil {
			return nil
		}
		if fresh || !isVaultKeyChanged(err) {
			return err
		}
		c.logf("service: the vault key %s is no longer the service's; fetching it again", key.ID())
	}
}

// Keys returns every registration of the subscriber with its last_check
// (GET /v1/binance-keys): keys verify's one round trip. With live, the
// service first checks each key again from its addresses (?live=1).
func (c *Client) Keys(ctx context.Context, live bool) ([]Registration, error) {
	var body struct {
		Keys []Registration `json:"keys"`
	}
	path := "/v1/binance-keys"
	if live {
		path += "?live=1"
	}
	if err := c.do(ctx, call{method: http.MethodGet, path: path}, &body); err != nil {
		return nil, err
	}
	if body.Keys == nil {
		return nil, c.badResponse(errors.New("GET /v1/binance-keys: no keys array in the answer"))
	}
	seen := map[string]bool{}
	for i := range body.Keys {
		r := &body.Keys[i]
		if !botID().MatchString(r.Bot) || seen[r.Bot] {
			return nil, c.badResponse(fmt.Errorf("GET /v1/binance-keys: %q is not a bot identifier, or given twice", sanitizeText(r.Bot, 64)))
		}
		seen[r.Bot] = true
		if err := checkRegistration("GET", "/v1/binance-keys", r.Bot, r); err != nil {
			return nil, c.badResponse(err)
		}
	}
	return body.Keys, nil
}

// RejectedError is the cause of a check Binance refused from the service's
// address (422 binance_rejected): -2015 there means the key's trusted IPs
// lack the service's addresses, or the key was deleted.
type RejectedError struct {
	BinanceCode int
	SeenFrom    string // "" when the service did not say
}

// StatedInMessage: the errors that carry a RejectedError say its address
// and code in their message (apperr.Stated).
func (e *RejectedError) StatedInMessage() {}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("Binance rejected the key from %s (code %d)", e.SeenFrom, e.BinanceCode)
}

// RefusedFinding is one of the policy's findings the service refused a key
// for (422 key_refused).
type RefusedFinding struct {
	Code  string `json:"code"`
	Field string `json:"field"`
}

// RefusedError is the cause of a PUT the service refused by its policy.
type RefusedError struct {
	Findings []RefusedFinding
}

// StatedInMessage: the errors that carry a RefusedError list its findings
// as hints, in the user's language (apperr.Stated).
func (e *RefusedError) StatedInMessage() {}

func (e *RefusedError) Error() string {
	var parts []string
	for _, f := range e.Findings {
		parts = append(parts, f.Code+" "+f.Field)
	}
	return "refused by the service's policy: " + strings.Join(parts, ", ")
}

// maxFindings bounds the findings taken from a key_refused answer.
const maxFindings = 32

// decodeFindings keeps the findings whose code and field are identifiers.
func decodeFindings(raw json.RawMessage) []RefusedFinding {
	var in []struct {
		Code  string `json:"code"`
		Field string `json:"field"`
	}
	if json.Unmarshal(raw, &in) != nil {
		return nil
	}
	var out []RefusedFinding
	for _, f := range in {
		if len(out) == maxFindings {
			break
		}
		if errorCode().MatchString(f.Code) && fieldName(f.Field) {
			out = append(out, RefusedFinding{Code: f.Code, Field: f.Field})
		}
	}
	return out
}

func fieldName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// cleanAddr is s when it is an IP address in canonical form, else "".
func cleanAddr(s string) string {
	if a, err := netip.ParseAddr(s); err == nil && a.String() == s && a.Zone() == "" {
		return s
	}
	return ""
}

// seenFrom is the address a check was made from, or a placeholder.
func seenFrom(addr string) any {
	if addr == "" {
		return i18n.M("service.seen_from_unknown")
	}
	return addr
}

// refusedHints names, for each finding of a key_refused answer, the right
// concerned in Binance's words.
func refusedHints(fs []RefusedFinding) []i18n.Message {
	var out []i18n.Message
	for _, f := range fs {
		out = append(out, i18n.M("service.key_refused_finding", policy.Label(f.Field), f.Code))
	}
	return append(out, i18n.M("service.key_refused_hint"))
}

// IsStatus tells whether err is the service's answer with HTTP status
// code (after the retries): LiveKeys answered 404 by a service older than
// the endpoint, for instance.
func IsStatus(err error, code int) bool {
	var se *statusError
	return errors.As(err, &se) && se.Status == code
}
