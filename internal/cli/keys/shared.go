package keys

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/onboard"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
)

// Helpers shared by several commands of the group: how keys and verdicts
// are shown (keys check and keys add), store names (list, generate,
// remove), the enrolment engine's wiring (add, rotate, sync) and the words
// of a generated key's failures (add and generate).

// keyView is what may be shown of a key: its API key and type, never its
// secret. Renderers get this, not the credentials.
type keyView struct {
	APIKey string
	Type   binance.KeyType
}

func viewOf(c binance.Credentials) keyView { return keyView{APIKey: c.APIKey, Type: c.Type} }

// Masked is the API key's first and last four characters.
func (k keyView) Masked() string { return redact.MaskKey(k.APIKey) }

// backendLabel names a backend in the user's words ("system keyring").
func backendLabel(f interface{ T(string, ...any) string }, backend string) string {
	switch backend {
	case secrets.BackendSystem, secrets.BackendFile:
		return f.T("secrets.backend_" + backend)
	}
	return backend
}

// enrollDeps wires the enrolment engine to the run's stores, index and
// clients; withBinance is false for commands that never ask Binance.
func enrollDeps(f *cmdEnv, withBinance bool) (enroll.Deps, error) {
	d := enroll.Deps{Service: f.Service, StoreFor: f.StoreFor, Now: f.Now, Network: f.Network}
	var err error
	if withBinance {
		if d.Binance, err = f.Binance(); err != nil {
			return d, err
		}
	}
	if d.Store, err = f.Store(); err != nil {
		return d, err
	}
	d.Index, err = f.Index()
	return d, err
}

// generatedKeyError words for a generated key the errors that speak of a
// pasted secret key: with a generated key there is none, only the public
// key given to Binance and the API key Binance showed for it. Codes, kinds
// and causes stay as they are.
func generatedKeyError(err error, bot string) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err
	}
	cp := *ae
	if ae.Code == "binance.invalid_signature" {
		cp.Message = i18n.M("keys.generate.wrong_public_key", bot)
		cp.Hints = []i18n.Message{i18n.M("keys.generate.wrong_public_key_hint", bot, bot), i18n.M("keys.generate.new_key_hint", bot)}
		return &cp
	}
	cp.Hints = nil
	for _, h := range ae.Hints {
		if h.Key == "binance.creds.swapped_hint" {
			h = i18n.M("binance.creds.key_is_public_key_hint")
		}
		cp.Hints = append(cp.Hints, h)
	}
	return &cp
}

type findingJSON struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

type checkJSON struct {
	OK               bool          `json:"ok"`
	APIKey           string        `json:"api_key"`
	KeyType          string        `json:"key_type"`
	UID              int64         `json:"uid"`
	Problems         []findingJSON `json:"problems"`
	Warnings         []findingJSON `json:"warnings"`
	TradingExpiresAt *string       `json:"trading_expires_at,omitempty"`
	// SeenFrom is where Binance's answer was seen from: "local" (this
	// computer) or the address SmartradeX checked the key from; "" when
	// the key has not been checked yet.
	SeenFrom string `json:"seen_from"`
	// IPLock is the service's rule the key was judged under: "off" when
	// the service publishes none, "unknown" when it could not be asked.
	IPLock string `json:"ip_lock"`
	// Checked is false for a locked key SmartradeX has not checked yet.
	Checked bool `json:"checked"`
}

func findingsJSON(l i18n.Lang, fs []policy.Finding) []findingJSON {
	out := []findingJSON{}
	for _, f := range fs {
		out = append(out, findingJSON{Code: f.Code, Field: f.Field, Message: l.Render(f.Message)})
	}
	return out
}

// newCheckJSON is the verdict as `keys check --json` prints it, and as the
// first fields of `keys add --json`.
func newCheckJSON(l i18n.Lang, key keyView, c *enroll.Checked) checkJSON {
	v := c.Verdict
	res := checkJSON{
		OK:       c.Accepted(),
		APIKey:   key.Masked(),
		KeyType:  string(key.Type),
		Problems: findingsJSON(l, v.Problems),
		Warnings: findingsJSON(l, v.Warnings),
		SeenFrom: c.SeenFrom,
		IPLock:   ipLockOf(c),
		Checked:  !c.Unchecked,
	}
	if c.Inspection != nil {
		res.UID = c.Inspection.UID
	}
	if v.TradingExpiresAt != nil {
		s := v.TradingExpiresAt.UTC().Format(time.RFC3339)
		res.TradingExpiresAt = &s
	}
	return res
}

// ipLockOf is the ip_lock a verdict was judged under.
func ipLockOf(c *enroll.Checked) string {
	if c.Network == nil && c.NetworkErr != nil {
		// SmartradeX could not be asked: its rule is not known.
		return "unknown"
	}
	if c.Network == nil {
		return service.IPLockOff
	}
	return c.Network.IPLock
}

func printCheckHuman(l i18n.Lang, io *iostreams.IOStreams, key keyView, c *enroll.Checked) {
	out := io.Out
	// On a terminal, sentences are wrapped by words to its width (and
	// typeset for French); piped output stays one line per sentence.
	para := func(s string) string { return s }
	if width := onboard.TermWidth(out); width > 0 {
		para = func(s string) string { return onboard.Wrap(onboard.Typeset(l, s), width, "") }
	}
	if c.Unchecked {
		fmt.Fprintf(out, "%s %s (%s)\n", l.T("keys.check.field_key"), key.Masked(), key.Type)
		fmt.Fprintln(out, para(l.T("keys.check.locked_unchecked")))
		return
	}
	v := c.Verdict
	info := [][]string{
		{l.T("keys.check.field_key"), fmt.Sprintf("%s (%s)", key.Masked(), key.Type)},
		{l.T("keys.check.field_uid"), fmt.Sprint(c.Inspection.UID)},
	}
	if c.SeenFrom != "" && c.SeenFrom != enroll.SeenLocal {
		info = append(info, []string{l.T("keys.check.field_seen_from"), l.T("keys.check.seen_from_service", c.SeenFrom)})
	}
	if v.CreatedAt != nil {
		info = append(info, []string{l.T("keys.check.field_created"), v.CreatedAt.Local().Format("2006-01-02")})
	}
	for _, row := range info {
		fmt.Fprintf(out, "%s %s\n", row[0], row[1])
	}
	fmt.Fprintln(out)
	var rows [][]string
	for _, r := range v.Rights {
		state := l.T("keys.check.off")
		if r.On {
			state = l.T("keys.check.on")
		}
		verdict := io.Green(l.T("keys.check.right_ok"))
		if !r.OK {
			verdict = io.Red(l.T("keys.check.right_problem"))
		}
		rows = append(rows, []string{l.Render(r.Label), state, verdict})
	}
	cmdutil.Table(out, []string{l.T("keys.check.col_right"), l.T("keys.check.col_state"), l.T("keys.check.col_verdict")}, rows)
	fmt.Fprintln(out)
	if v.OK() {
		fmt.Fprintln(out, io.Green(para(l.T("keys.check.accepted"))))
	} else {
		fmt.Fprintln(out, io.Red(para(l.T("keys.check.refused", len(v.Problems)))))
		for _, p := range v.Problems {
			fmt.Fprintln(out, para("  - "+l.Render(p.Message)))
		}
	}
	for _, w := range v.Warnings {
		fmt.Fprintln(out, para(io.Yellow(l.T("keys.check.warning_prefix"))+l.Render(w.Message)))
	}
	if s := addressesFor(l, c.Network, asksForAddresses(v.Problems, v.Warnings)); s != "" {
		fmt.Fprintln(out, para(s))
	}
	if c.NetworkErr != nil {
		fmt.Fprintln(out, para(io.Yellow(l.T("keys.check.warning_prefix"))+l.T("keys.check.network_unknown")))
	}
	if v.OK() {
		fmt.Fprintln(out, para(l.T("keys.check.transfer_note")))
	}
}

// addressesFor is the line that names SmartradeX's addresses when asked,
// that is when a finding tells the user to restrict the key to them (its
// message cannot name them: the policy does not know them); "" otherwise,
// or when the service publishes none.
func addressesFor(l i18n.Lang, n *service.Network, asked bool) string {
	if !asked || n == nil || len(n.EgressIPs) == 0 {
		return ""
	}
	return l.T("keys.check.addresses", strings.Join(n.EgressIPs, ","))
}

// asksForAddresses tells whether one of the findings tells the user to
// restrict the key to SmartradeX's addresses.
func asksForAddresses(findings ...[]policy.Finding) bool {
	for _, fs := range findings {
		for _, f := range fs {
			if f.Code == policy.CodeIPUnrestricted {
				return true
			}
		}
	}
	return false
}

// checkedUID is the sub-account Binance named for the key, 0 if unknown.
func checkedUID(c *enroll.Checked) int64 {
	if c == nil || c.Inspection == nil {
		return 0
	}
	return c.Inspection.UID
}
