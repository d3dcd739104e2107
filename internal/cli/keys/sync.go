package keys

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/enroll"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/redact"
)

// SyncOptions are the inputs of `keys sync`.
type SyncOptions struct {
	F    *cmdutil.Factory
	IO   *iostreams.IOStreams
	JSON bool
}

// NewCmdSync builds `keys sync`; runF replaces the run function in tests.
func NewCmdSync(f *cmdutil.Factory, runF func(context.Context, *SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{F: f, IO: f.IO}
	return &cobra.Command{
		Use:     "sync",
		Short:   f.T("keys.sync.short"),
		Long:    f.T("keys.sync.long"),
		Example: "  smartradex keys sync\n  smartradex keys sync --json",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.Globals.JSON
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return syncRun(cmd.Context(), opts)
		},
	}
}

type syncItemJSON struct {
	Bot    string     `json:"bot"`
	APIKey string     `json:"api_key"`
	Status string     `json:"status"`
	Error  *errorJSON `json:"error,omitempty"`
}

func syncRun(ctx context.Context, o *SyncOptions) error {
	f := o.F
	// Binance is not contacted: the keys were checked when they were added.
	d, err := enrollDeps(f, false)
	if err != nil {
		return err
	}
	results, err := enroll.Sync(ctx, d)
	if err != nil {
		return err
	}
	fl := &addFlow{f: f, o: &AddOptions{IO: o.IO}}
	worst := apperr.OK
	items := []syncItemJSON{}
	for _, r := range results {
		it := syncItemJSON{Bot: r.Bot, APIKey: redact.MaskKey(r.APIKey), Status: "registered"}
		if r.Err != nil {
			it.Status = "pending"
			it.Error = fl.errorJSON(r.Err)
			if k := apperr.KindOf(r.Err); worst == apperr.OK || k == apperr.Unavailable {
				worst = k
			}
		}
		items = append(items, it)
	}
	if o.JSON {
		doc := map[string]any{"ok": worst == apperr.OK, "keys": items}
		if f.SandboxOn() {
			doc["sandbox"] = true
		}
		if err := cmdutil.PrintJSON(o.IO.Out, doc); err != nil {
			return err
		}
	} else {
		if len(results) == 0 {
			f.Errf("keys.sync.none")
		}
		for _, r := range results {
			if r.Err == nil {
				f.Errf("keys.sync.done", r.Bot, redact.MaskKey(r.APIKey))
				continue
			}
			f.Errf("keys.sync.failed", r.Bot, redact.MaskKey(r.APIKey))
			fl.printError(r.Err)
		}
	}
	if worst != apperr.OK {
		if len(results) == 1 && !o.JSON {
			var ae *apperr.Error
			if errors.As(results[0].Err, &ae) {
				return cmdutil.Reported(ae.Kind)
			}
		}
		return cmdutil.Reported(worst)
	}
	return nil
}
