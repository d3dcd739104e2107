package keys

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/service"
	"github.com/smartradex/smartradex/internal/state"
	"github.com/smartradex/smartradex/internal/verify"
)

// VerifyOptions are the inputs of `keys verify`.
type VerifyOptions struct {
	Msg     cmdutil.Messages
	Debugf  func(string, ...any)
	IO      *iostreams.IOStreams
	Index   func() (*state.Index, error)
	Store   func(backend string) (secrets.Store, error)
	Binance func() (verify.Inspector, error)
	Service func(ctx context.Context) (verify.Registry, error)
	Now     func() time.Time
	// Network is the service's addresses and ip_lock; nil is ip_lock off.
	Network func(ctx context.Context) (*service.Network, error)
	// Settle finishes or undoes what interrupted commands left for the
	// bots (all bots with one when none is named), before they are checked.
	Settle func(ctx context.Context, bots ...string) ([]enroll.SyncResult, error)

	Bot  string
	JSON bool
}

// NewCmdVerify builds `keys verify`; runF replaces the run function in tests.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{
		IO: f.IO, Debugf: f.Debugf, Index: f.Index, Store: f.SecretStoreFor, Now: f.Now, Network: f.Network,
		Binance: func() (verify.Inspector, error) {
			c, err := f.Binance()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Service: func(ctx context.Context) (verify.Registry, error) {
			c, err := f.Service(ctx)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
	opts.Settle = func(ctx context.Context, bots ...string) ([]enroll.SyncResult, error) {
		d, err := enrollDeps(newCmdEnv(f), true)
		if err != nil {
			return nil, err
		}
		return enroll.Settle(ctx, d, bots...)
	}
	cmd := &cobra.Command{
		Use:     "verify [--bot BOT]",
		Short:   f.T("keys.verify.short"),
		Long:    f.T("keys.verify.long"),
		Example: "  smartradex keys verify\n  smartradex keys verify --bot btc-spot --json",
		RunE: cmdutil.RunE(opts, runF, verifyRun, func() error {
			opts.JSON, opts.Msg = f.Globals.JSON, f.Messages()
			return cmdutil.CheckStore(f)
		}),
	}
	cmd.Flags().StringVar(&opts.Bot, "bot", "", f.T("keys.verify.flag_bot"))
	_ = cmd.RegisterFlagCompletionFunc("bot", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return bots.IDs(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func verifyRun(ctx context.Context, opts *VerifyOptions) error {
	f := opts.Msg
	ix, err := opts.Index()
	if err != nil {
		return err
	}
	snap, err := ix.Load()
	if err != nil {
		return err
	}
	bot := strings.ToLower(strings.TrimSpace(opts.Bot))
	if bot != "" && snap.Entries[bot] == nil {
		if b, ok := bots.Lookup(bot); ok {
			bot = b.ID // "btc", "BOT BTC Spot"
		}
	}
	settleKind := apperr.OK
	settledAny := false
	if pendingIntents(snap, bot) && opts.Settle != nil {
		// What SmartradeX holds is settled first, so that the check below
		// is of the keys the service, the index and the store agree on.
		var only []string
		if bot != "" {
			only = append(only, bot)
		}
		settled, err := opts.Settle(ctx, only...)
		if err != nil {
			return err
		}
		for _, r := range settled {
			settledAny = settledAny || (r.Outcome != "" && r.Outcome != enroll.OutcomePending)
			printSettled(f, r)
			if r.Err != nil {
				f.PrintError(r.Err)
				if k := apperr.KindOf(r.Err); settleKind == apperr.OK || k == apperr.Unavailable {
					settleKind = k
				}
			}
		}
		if snap, err = ix.Load(); err != nil {
			return err
		}
	}
	var entries []*state.Entry
	if bot != "" {
		e := snap.Entries[bot]
		if e == nil {
			if _, ok := bots.Lookup(bot); !ok {
				return cmdutil.UsageError("keys.unknown_bot", i18n.M("keys.remove.unknown_bot"),
					i18n.M("keys.remove.unknown_bot_hint", strings.Join(bots.IDs(), ", ")))
			}
			return cmdutil.UsageError("keys.no_key", i18n.M("keys.verify.no_key", bot), i18n.M("keys.verify.no_key_hint", bot))
		}
		entries = append(entries, e)
	} else {
		for _, e := range snap.Entries {
			entries = append(entries, e)
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].Bot < entries[j].Bot })
	}
	if len(entries) == 0 {
		if opts.JSON {
			if err := cmdutil.PrintJSON(opts.IO.Out, verifyJSON{OK: settleKind == apperr.OK, IPLock: service.IPLockOff, Keys: []verifyKeyJSON{}}); err != nil {
				return err
			}
		} else {
			f.Errf("keys.verify.empty")
		}
		if settleKind != apperr.OK {
			return cmdutil.Reported(settleKind)
		}
		return nil
	}

	bc, err := opts.Binance()
	if err != nil {
		return err
	}
	vopts := verify.Options{
		Binance: bc,
		Secret: func(ctx context.Context, e *state.Entry) (string, error) {
			store, err := opts.Store(e.Backend)
			if err != nil {
				return "", err
			}
			s, err := store.Get(ctx, e.SecretName)
			if err == nil {
				f.AddSecret(s)
			}
			return s, err
		},
		Now: opts.Now(),
	}
	ipLock := service.IPLockOff
	var network *service.Network
	if opts.Network != nil {
		var mu sync.Mutex
		vopts.Network = func(ctx context.Context) (*service.Network, error) {
			n, err := opts.Network(ctx)
			if err == nil {
				mu.Lock()
				ipLock, network = n.IPLock, n
				mu.Unlock()
			}
			return n, err
		}
	}
	vopts.Service, vopts.ServiceErr = opts.Service(ctx)
	if vopts.ServiceErr != nil {
		// A malformed --service-url is the user's typo, not a finding.
		if apperr.KindOf(vopts.ServiceErr) == apperr.Usage {
			return vopts.ServiceErr
		}
		vopts.Service = nil
	}
	start := time.Now()
	results := verify.Run(ctx, entries, vopts)
	if opts.Debugf != nil {
		opts.Debugf("keys verify: %d keys checked in %s", len(results), time.Since(start).Round(time.Millisecond))
	}
	if ctx.Err() != nil {
		if settledAny {
			// What was settled is reported above: not "nothing was changed".
			return cmdutil.Reported(apperr.Cancelled)
		}
		return apperr.Wrap(apperr.Cancelled, "cancelled", ctx.Err(), i18n.M("error.cancelled"))
	}

	// One update under the lock, at the end: what Binance and the service
	// said is recorded even if some keys failed.
	now := opts.Now()
	if err := ix.Update(ctx, func(s *state.Snapshot) error {
		verify.Apply(s, results, now)
		return nil
	}); err != nil {
		return err
	}

	if opts.JSON {
		out := toVerifyJSON(f, results, now)
		out.IPLock = ipLock
		err = cmdutil.PrintJSON(opts.IO.Out, out)
	} else {
		printVerifyHuman(f, opts.IO, results, network, now)
	}
	if err != nil {
		return err
	}
	if kind := verify.ExitKind(results); kind != apperr.OK {
		return cmdutil.Reported(kind)
	}
	if settleKind != apperr.OK {
		return cmdutil.Reported(settleKind)
	}
	return nil
}

// pendingIntents tells whether an interrupted command left something to
// settle for bot (for any bot when bot is "").
func pendingIntents(snap *state.Snapshot, bot string) bool {
	if bot == "" {
		return len(snap.Intents) > 0
	}
	return snap.Intents[bot] != nil
}

type verifyFindingJSON struct {
	Code    string   `json:"code"`
	Field   string   `json:"field"`
	Message string   `json:"message"`
	Hints   []string `json:"hints"`
}

type verifyKeyJSON struct {
	Bot              string              `json:"bot"`
	OK               bool                `json:"ok"`
	APIKey           string              `json:"api_key"`
	UID              *int64              `json:"uid"`
	Problems         []verifyFindingJSON `json:"problems"`
	Warnings         []verifyFindingJSON `json:"warnings"`
	Registration     string              `json:"registration"`
	TradingExpiresAt *string             `json:"trading_expires_at,omitempty"`
	DaysLeft         *int                `json:"days_left,omitempty"`
	// SeenFrom is where the key's rights were seen from: "local", the
	// address SmartradeX checked it from, or "" when not seen.
	SeenFrom  string             `json:"seen_from"`
	LastCheck *service.LastCheck `json:"last_check"`
}

type verifyJSON struct {
	OK bool `json:"ok"`
	// IPLock is the service's rule the keys were judged under.
	IPLock string          `json:"ip_lock"`
	Keys   []verifyKeyJSON `json:"keys"`
}

func findingsToJSON(f cmdutil.Messages, fs []verify.Finding) []verifyFindingJSON {
	out := []verifyFindingJSON{}
	for _, x := range fs {
		hints := []string{}
		for _, h := range x.Hints {
			hints = append(hints, f.Redactor.Redact(f.Render(h)))
		}
		out = append(out, verifyFindingJSON{Code: x.Code, Field: x.Field, Message: f.Redactor.Redact(f.Render(x.Message)), Hints: hints})
	}
	return out
}

// daysLeft is the number of whole days before t, rounded up.
func daysLeft(t, now time.Time) int {
	return int(math.Ceil(t.Sub(now).Hours() / 24))
}

func toVerifyJSON(f cmdutil.Messages, results []verify.Result, now time.Time) verifyJSON {
	out := verifyJSON{OK: true, Keys: []verifyKeyJSON{}}
	for _, r := range results {
		k := verifyKeyJSON{
			Bot: r.Bot, OK: r.OK(), APIKey: redact.MaskKey(r.APIKey), Registration: r.Registration,
			Problems: findingsToJSON(f, r.Problems), Warnings: findingsToJSON(f, r.Warnings),
			SeenFrom: r.SeenFrom, LastCheck: r.LastCheck,
		}
		if r.UID != 0 {
			uid := r.UID
			k.UID = &uid
		}
		if r.TradingExpiresAt != nil {
			s := r.TradingExpiresAt.UTC().Format(time.RFC3339)
			d := daysLeft(*r.TradingExpiresAt, now)
			k.TradingExpiresAt, k.DaysLeft = &s, &d
		}
		out.OK = out.OK && r.OK()
		out.Keys = append(out.Keys, k)
	}
	return out
}

func printVerifyHuman(f cmdutil.Messages, io *iostreams.IOStreams, results []verify.Result, network *service.Network, now time.Time) {
	out := io.Out
	failed := 0
	unrestricted := false
	for _, r := range results {
		for _, fd := range slices.Concat(r.Problems, r.Warnings) {
			unrestricted = unrestricted || fd.Code == policy.CodeIPUnrestricted
		}
		uid := "-"
		if r.UID != 0 {
			uid = fmt.Sprint(r.UID)
		}
		reg := f.T("keys.verify.reg_" + r.Registration)
		if r.Awaiting {
			failed++
			fmt.Fprintf(out, "%s %s\n", io.Red("✗"), f.T("keys.verify.line_awaiting", r.Bot))
		} else if r.OK() {
			fmt.Fprintf(out, "%s %s\n", io.Green("✓"), f.T("keys.verify.line_ok", r.Bot, redact.MaskKey(r.APIKey), uid, reg))
		} else {
			failed++
			fmt.Fprintf(out, "%s %s\n", io.Red("✗"), f.T("keys.verify.line_problems", r.Bot, redact.MaskKey(r.APIKey), uid, reg, len(r.Problems)))
		}
		if r.SeenFrom != "" && r.SeenFrom != enroll.SeenLocal {
			fmt.Fprintf(out, "    %s\n", f.T("keys.check.seen_from_service", r.SeenFrom))
		}
		for _, p := range r.Problems {
			fmt.Fprintf(out, "    - %s\n", f.Redactor.Redact(f.Render(p.Message)))
			for _, h := range p.Hints {
				fmt.Fprintf(out, "      %s%s\n", f.T("error.hint_prefix"), f.Redactor.Redact(f.Render(h)))
			}
		}
		expiryWarned := false
		for _, w := range r.Warnings {
			fmt.Fprintf(out, "    %s%s\n", io.Yellow(f.T("keys.check.warning_prefix")), f.Render(w.Message))
			expiryWarned = expiryWarned || w.Code == policy.CodeTradingExpiresSoon
		}
		if r.TradingExpiresAt != nil && r.TradingExpiresAt.After(now) && !expiryWarned {
			fmt.Fprintf(out, "    %s\n", f.T("keys.verify.expires_in", daysLeft(*r.TradingExpiresAt, now), r.TradingExpiresAt.In(now.Location()).Format("2006-01-02")))
		}
	}
	if s := addressesFor(f.Lang, network, unrestricted); s != "" {
		// Once, for every key told to be restricted to them.
		fmt.Fprintln(out)
		fmt.Fprintln(out, s)
	}
	fmt.Fprintln(out)
	if failed == 0 {
		fmt.Fprintln(out, io.Green(f.T("keys.verify.summary_ok", len(results))))
		return
	}
	fmt.Fprintln(out, io.Red(f.T("keys.verify.summary_problems", failed, len(results))))
}
