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
	"github.com/smartradex/smartradex/internal/state"
)

// SyncOptions are the inputs of `keys sync`.
type SyncOptions struct {
	// Env is the run's language, stores, clients and sandbox, resolved
	// from the Factory when the command runs.
	Env  *cmdEnv
	IO   *iostreams.IOStreams
	JSON bool
}

// NewCmdSync builds `keys sync`; runF replaces the run function in tests.
func NewCmdSync(f *cmdutil.Factory, runF func(context.Context, *SyncOptions) error) *cobra.Command {
	opts := &SyncOptions{IO: f.IO}
	return &cobra.Command{
		Use:     "sync",
		Short:   f.T("keys.sync.short"),
		Long:    f.T("keys.sync.long"),
		Example: "  smartradex keys sync\n  smartradex keys sync --json",
		RunE: cmdutil.RunE(opts, runF, syncRun, func() error {
			opts.JSON, opts.Env = f.Globals.JSON, newCmdEnv(f)
			return nil
		}),
	}
}

type syncItemJSON struct {
	Bot    string     `json:"bot"`
	APIKey string     `json:"api_key"`
	Status string     `json:"status"`
	Op     string     `json:"settled,omitempty"` // the interrupted operation this run settled
	Error  *errorJSON `json:"error,omitempty"`
}

// syncStatus is where the key of r stands after the run, as in --json.
func syncStatus(r enroll.SyncResult) string {
	switch r.Outcome {
	case enroll.OutcomeRegistered, enroll.OutcomeRotated:
		return "registered"
	case enroll.OutcomeRemoved:
		return "removed"
	case enroll.OutcomeUndone:
		return "undone"
	case enroll.OutcomeUnsettled:
		if r.Op == state.OpRotate || r.Op == state.OpRemove {
			return "unsettled"
		}
	}
	return "pending"
}

// printSettled says on standard error what a run did with r: a key sent, or
// an interrupted operation finished or undone.
func printSettled(f cmdutil.Messages, r enroll.SyncResult) {
	masked := redact.MaskKey(r.APIKey)
	switch {
	case r.Outcome == enroll.OutcomeRegistered:
		f.Errf("keys.sync.done", r.Bot, masked)
	case r.Outcome == enroll.OutcomeRotated:
		f.Errf("keys.sync.settled_rotated", r.Bot, masked)
	case r.Outcome == enroll.OutcomeRemoved:
		f.Errf("keys.sync.settled_removed", r.Bot)
	case r.Outcome == enroll.OutcomeUndone && r.Err == nil:
		f.Errf("keys.sync.settled_undone", r.Bot, masked)
	}
}

func syncRun(ctx context.Context, o *SyncOptions) error {
	f := o.Env
	// Binance is asked again about every key before it is sent.
	d, err := enrollDeps(f, true)
	if err != nil {
		return err
	}
	results, err := enroll.Sync(ctx, d)
	if err != nil {
		return err
	}
	msg := f.Messages()
	worst := apperr.OK
	items := []syncItemJSON{}
	for _, r := range results {
		it := syncItemJSON{Bot: r.Bot, APIKey: redact.MaskKey(r.APIKey), Status: syncStatus(r), Op: string(r.Op)}
		if r.Err != nil {
			e := cmdutil.DescribeError(msg.Lang, msg.Redactor, r.Err)
			it.Error = &e
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
			printSettled(msg, r)
			if r.Err == nil {
				continue
			}
			if r.Outcome != enroll.OutcomeUnsettled && r.Outcome != enroll.OutcomeUndone && r.Op != state.OpRemove {
				f.Errf("keys.sync.failed", r.Bot, redact.MaskKey(r.APIKey))
			}
			msg.PrintError(r.Err)
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
