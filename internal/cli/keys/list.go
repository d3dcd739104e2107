package keys

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/keygen"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// ListOptions are the inputs of `keys list`.
type ListOptions struct {
	F     *cmdutil.Factory
	IO    *iostreams.IOStreams
	Index func() (*state.Index, error)
	Store func(backend string) (secrets.Store, error)
	JSON  bool
}

// Secret presence as reported by `keys list`.
const (
	secretPresent = "present"
	secretMissing = "missing"
	secretUnknown = "unknown"
)

// NewCmdList builds `keys list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{F: f, IO: f.IO, Index: f.Index, Store: f.SecretStoreFor}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   f.T("keys.list.short"),
		Long:    f.T("keys.list.long"),
		Example: "  smartradex keys list\n  smartradex keys list --json",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.Globals.JSON
			// A misspelt --keyring, SMARTRADEX_KEYRING or
			// SMARTRADEX_KEYRING_TIMEOUT is reported even when this run
			// would not need the store. Building it does no I/O.
			if _, err := f.SecretStore(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
}

type listItem struct {
	Bot              string       `json:"bot"`
	APIKey           string       `json:"api_key"`
	KeyType          string       `json:"key_type"`
	UID              *int64       `json:"uid"`
	Backend          string       `json:"backend"`
	Status           state.Status `json:"status"`
	Secret           string       `json:"secret"`
	CreatedAt        time.Time    `json:"created_at"`
	VerifiedAt       *time.Time   `json:"verified_at"`
	RegisteredAt     *time.Time   `json:"registered_at"`
	TradingExpiresAt *time.Time   `json:"trading_expires_at"`
	// AwaitingAPIKey marks a key pair made by `keys generate` that Binance
	// has not given an API key yet: it cannot trade.
	AwaitingAPIKey bool `json:"awaiting_api_key,omitempty"`
	// Unsettled names an interrupted operation (add, sync, rotate, remove)
	// that may have reached SmartradeX and that the next command settles.
	Unsettled string `json:"unsettled,omitempty"`
}

func listRun(ctx context.Context, opts *ListOptions) error {
	f := opts.F
	ix, err := opts.Index()
	if err != nil {
		return err
	}
	snap, err := ix.Load()
	if err != nil {
		return err
	}
	entries := make([]*state.Entry, 0, len(snap.Entries))
	for _, e := range snap.Entries {
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Bot < entries[j].Bot })

	presence, err := checkSecrets(ctx, opts, entries)
	if err != nil {
		return err
	}

	items := make([]listItem, 0, len(entries))
	for i, e := range entries {
		it := listItem{
			Bot: e.Bot, APIKey: redact.MaskKey(e.APIKey), KeyType: e.KeyType, Backend: e.Backend,
			Status: e.Status, Secret: presence[i], CreatedAt: e.CreatedAt,
			VerifiedAt: e.VerifiedAt, RegisteredAt: e.RegisteredAt, TradingExpiresAt: e.TradingExpiresAt,
			AwaitingAPIKey: e.AwaitingAPIKey(),
		}
		if in := snap.Intents[e.Bot]; in != nil {
			it.Unsettled = string(in.Op)
		}
		if e.UID != 0 {
			uid := e.UID
			it.UID = &uid
		}
		items = append(items, it)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, map[string]any{"keys": items})
	}
	if len(items) == 0 {
		f.Errf("keys.list.empty")
		return nil
	}
	var rows [][]string
	for _, it := range items {
		uid := "-"
		if it.UID != nil {
			uid = fmt.Sprint(*it.UID)
		}
		status := f.T("keys.list.status_" + string(it.Status))
		if it.AwaitingAPIKey {
			status = f.T("keys.list.status_generated")
			it.APIKey = "-"
		}
		if it.Status == state.StatusRegistered {
			status = opts.IO.Green(status)
		} else {
			status = opts.IO.Yellow(status)
		}
		if it.Secret == secretMissing {
			status += ", " + opts.IO.Red(f.T("keys.list.secret_missing"))
		}
		verified := f.T("keys.list.never")
		if it.VerifiedAt != nil {
			verified = it.VerifiedAt.Local().Format("2006-01-02 15:04")
		}
		rows = append(rows, []string{it.Bot, it.APIKey, it.KeyType, uid, it.Backend, status, verified})
	}
	cmdutil.Table(opts.IO.Out, []string{
		f.T("keys.list.col_bot"), f.T("keys.list.col_api_key"), f.T("keys.list.col_type"), f.T("keys.list.col_uid"),
		f.T("keys.list.col_backend"), f.T("keys.list.col_status"), f.T("keys.list.col_verified"),
	}, rows)
	for i, it := range items {
		if it.Secret == secretMissing {
			f.Errf("keys.list.secret_missing_hint", it.Bot, backendLabel(f, it.Backend), it.Bot, it.Bot)
		}
		// As keys verify and doctor say it: waiting, and the command that
		// finishes it.
		if e := entries[i]; e.GeneratedAt != nil {
			f.Errf("keys.list.waiting_hint", it.Bot, keygen.NextCommand(it.Bot, e.APIKey != ""))
		}
		if it.Unsettled != "" {
			f.Errf("keys.list.unsettled_hint", it.Bot, it.Unsettled)
		}
	}
	return nil
}

// checkSecrets asks each entry's store whether its secret is still there.
// A store that cannot answer (no keyring, no passphrase) makes the answer
// "unknown" for its entries, with one warning, rather than failing the
// listing: the index alone is still worth showing.
func checkSecrets(ctx context.Context, opts *ListOptions, entries []*state.Entry) ([]string, error) {
	out := make([]string, len(entries))
	failed := map[string]bool{}
	for i, e := range entries {
		out[i] = secretUnknown
		if failed[e.Backend] {
			continue
		}
		store, err := opts.Store(e.Backend)
		if err == nil {
			_, err = store.Get(ctx, e.SecretName)
		}
		switch {
		case err == nil:
			out[i] = secretPresent
		case errors.Is(err, secrets.ErrNotFound):
			out[i] = secretMissing
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case apperr.KindOf(err) == apperr.Cancelled:
			return nil, err
		default:
			failed[e.Backend] = true
			warnStore(opts.F, e.Backend, err)
		}
	}
	return out, nil
}

// warnStore prints why a store could not be checked, with its hints.
func warnStore(f *cmdutil.Factory, backend string, err error) {
	msg := err.Error()
	var hints []string
	var e *apperr.Error
	if errors.As(err, &e) {
		msg = f.Render(e.Message)
		if e.Err != nil {
			msg += " (" + e.Err.Error() + ")"
		}
		for _, h := range e.Hints {
			hints = append(hints, f.Render(h))
		}
	}
	f.Errf("keys.list.secret_unknown", backendLabel(f, backend), msg)
	for _, h := range hints {
		f.Errf("keys.list.hint", h)
	}
}

// backendLabel names a backend in the user's words ("system keyring").
func backendLabel(f *cmdutil.Factory, backend string) string {
	switch backend {
	case secrets.BackendSystem, secrets.BackendFile:
		return f.T("secrets.backend_" + backend)
	}
	return backend
}
