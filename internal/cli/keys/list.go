package keys

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/inventory"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/secrets"
	"github.com/smartradex/smartradex/internal/state"
)

// ListOptions are the inputs of `keys list`.
type ListOptions struct {
	IO    *iostreams.IOStreams
	Msg   cmdutil.Messages
	Index func() (*state.Index, error)
	Store func(backend string) (secrets.Store, error)
	JSON  bool
}

// NewCmdList builds `keys list`; runF replaces the run function in tests.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IO, Index: f.Index, Store: f.SecretStoreFor}
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   f.T("keys.list.short"),
		Long:    f.T("keys.list.long"),
		Example: "  smartradex keys list\n  smartradex keys list --json",
		RunE: cmdutil.RunE(opts, runF, listRun, func() error {
			opts.JSON, opts.Msg = f.Globals.JSON, f.Messages()
			return cmdutil.CheckStore(f)
		}),
	}
}

type listItem struct {
	Bot              string             `json:"bot"`
	APIKey           string             `json:"api_key"`
	KeyType          string             `json:"key_type"`
	UID              *int64             `json:"uid"`
	Backend          string             `json:"backend"`
	Status           state.Status       `json:"status"`
	Secret           inventory.Presence `json:"secret"`
	CreatedAt        time.Time          `json:"created_at"`
	VerifiedAt       *time.Time         `json:"verified_at"`
	RegisteredAt     *time.Time         `json:"registered_at"`
	TradingExpiresAt *time.Time         `json:"trading_expires_at"`
	// AwaitingAPIKey marks a key pair made by `keys generate` that Binance
	// has not given an API key yet: it cannot trade.
	AwaitingAPIKey bool `json:"awaiting_api_key,omitempty"`
	// Unsettled names an interrupted operation (add, sync, rotate, remove)
	// that may have reached SmartradeX and that the next command settles.
	Unsettled string `json:"unsettled,omitempty"`
}

func listRun(ctx context.Context, opts *ListOptions) error {
	f := opts.Msg
	ix, err := opts.Index()
	if err != nil {
		return err
	}
	found, err := inventory.List(ctx, ix, opts.Store, func(backend string, err error) { warnStore(f, backend, err) })
	if err != nil {
		return err
	}
	items := make([]listItem, 0, len(found))
	for _, fi := range found {
		e := fi.Entry
		it := listItem{
			Bot: e.Bot, APIKey: redact.MaskKey(e.APIKey), KeyType: e.KeyType, Backend: e.Backend,
			Status: e.Status, Secret: fi.Secret, CreatedAt: e.CreatedAt,
			VerifiedAt: e.VerifiedAt, RegisteredAt: e.RegisteredAt, TradingExpiresAt: e.TradingExpiresAt,
			AwaitingAPIKey: e.AwaitingAPIKey(),
		}
		it.Unsettled = string(fi.Unsettled)
		if e.UID != 0 {
			uid := e.UID
			it.UID = &uid
		}
		items = append(items, it)
	}
	if opts.JSON {
		return cmdutil.PrintJSON(opts.IO.Out, map[string]any{"keys": items})
	}
	printListHuman(f, opts.IO, found, items)
	return nil
}

// printListHuman prints the table of items, found's entries as listed,
// then what to do about a missing secret or a waiting generated key.
func printListHuman(f cmdutil.Messages, io *iostreams.IOStreams, found []inventory.Item, items []listItem) {
	if len(items) == 0 {
		f.Errf("keys.list.empty")
		return
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
			status = io.Green(status)
		} else {
			status = io.Yellow(status)
		}
		if it.Secret == inventory.Missing {
			status += ", " + io.Red(f.T("keys.list.secret_missing"))
		}
		verified := f.T("keys.list.never")
		if it.VerifiedAt != nil {
			verified = it.VerifiedAt.Local().Format("2006-01-02 15:04")
		}
		rows = append(rows, []string{it.Bot, it.APIKey, it.KeyType, uid, it.Backend, status, verified})
	}
	cmdutil.Table(io.Out, []string{
		f.T("keys.list.col_bot"), f.T("keys.list.col_api_key"), f.T("keys.list.col_type"), f.T("keys.list.col_uid"),
		f.T("keys.list.col_backend"), f.T("keys.list.col_status"), f.T("keys.list.col_verified"),
	}, rows)
	for i, it := range items {
		if it.Secret == inventory.Missing {
			f.Errf("keys.list.secret_missing_hint", it.Bot, backendLabel(f, it.Backend), it.Bot, it.Bot)
		}
		// As keys verify and doctor say it: waiting, and the command that
		// finishes it.
		if e := found[i].Entry; e.GeneratedAt != nil {
			f.Errf("keys.list.waiting_hint", it.Bot, state.FinishGeneratedCommand(it.Bot, e.APIKey != ""))
		}
		if it.Unsettled != "" {
			f.Errf("keys.list.unsettled_hint", it.Bot, it.Unsettled)
		}
		if it.Status == state.StatusUnchecked {
			f.Errf("keys.list.unchecked_hint", it.Bot)
		}
	}
}

// warnStore prints why a store could not be checked, with its hints.
func warnStore(f cmdutil.Messages, backend string, err error) {
	e := cmdutil.DescribeError(f.Lang, f.Redactor, err)
	f.Errf("keys.list.secret_unknown", backendLabel(f, backend), e.Message)
	for _, h := range e.Hints {
		f.Errf("keys.list.hint", h)
	}
}
