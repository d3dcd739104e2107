// Package doctor is the `smartradex doctor` command: it runs the checks of
// internal/doctor and prints one line per check with what to do.
package doctor

import (
	"context"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/doctor"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// Options are the inputs of `doctor`.
type Options struct {
	IO   *iostreams.IOStreams
	Msg  cmdutil.Messages
	Deps doctor.Deps
	JSON bool
}

// NewCmdDoctor builds `smartradex doctor`; runF replaces the run function in tests.
func NewCmdDoctor(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IO}
	cmd := &cobra.Command{
		Use:     "doctor",
		Short:   f.T("doctor.short"),
		Long:    f.T("doctor.long"),
		Example: "  smartradex doctor\n  smartradex doctor --json",
		RunE: cmdutil.RunE(opts, runF, Run, func() error {
			opts.JSON, opts.Msg = f.Globals.JSON, f.Messages()
			opts.Deps = FactoryDeps(f)
			return nil
		}),
	}
	return cmd
}

// FactoryDeps wires the checks to the factory's stores and clients.
func FactoryDeps(f *cmdutil.Factory) doctor.Deps {
	// A sandbox that cannot start is reported by every check that needs it.
	serviceURL, _ := f.ServiceURL()
	return doctor.Deps{
		Backend:   f.KeyringBackend,
		StoreFor:  f.SecretStoreFor,
		ConfigDir: f.ConfigDir,
		Index:     f.Index,
		Binance: func() (doctor.TimeSource, error) {
			c, err := f.Binance()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		ServiceURL: serviceURL,
		Service: func(ctx context.Context) (doctor.Account, error) {
			c, err := f.Service(ctx)
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Now: f.Now,
	}
}

type checkJSON struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Message    string `json:"message"`
	Fix        string `json:"fix"`
	DurationMS int64  `json:"duration_ms"`
}

// Run runs the checks and prints them; the error carries the exit code.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Msg
	rep := doctor.Run(ctx, opts.Deps)
	if ctx.Err() != nil {
		return apperr.Wrap(apperr.Cancelled, "cancelled", ctx.Err(), i18n.M("error.cancelled"))
	}
	if opts.JSON {
		checks := make([]checkJSON, 0, len(rep.Results))
		for _, r := range rep.Results {
			checks = append(checks, checkJSON{
				ID: r.ID, Status: string(r.Status), Message: message(f, r),
				Fix: strings.Join(fixes(f, r), "; "), DurationMS: r.Duration.Milliseconds(),
			})
		}
		if err := cmdutil.PrintJSON(opts.IO.Out, map[string]any{"ok": rep.OK(), "checks": checks}); err != nil {
			return err
		}
	} else {
		printHuman(opts.IO, f, rep)
	}
	if k := rep.ExitKind(); k != apperr.OK {
		return cmdutil.Reported(k)
	}
	return nil
}

func message(f cmdutil.Messages, r doctor.Result) string {
	s := f.Render(r.Message)
	if r.Err != nil && r.Status == doctor.Fail {
		s = fmt.Sprintf("%s (%v)", s, r.Err)
	}
	return f.Redactor.Redact(s)
}

func fixes(f cmdutil.Messages, r doctor.Result) []string {
	out := []string{}
	for _, m := range r.Fix {
		out = append(out, f.Redactor.Redact(f.Render(m)))
	}
	return out
}

func printHuman(io *iostreams.IOStreams, f cmdutil.Messages, rep doctor.Report) {
	w := io.Out
	labels := map[string]string{}
	width, swidth := 0, 0
	for _, r := range rep.Results {
		labels[r.ID] = f.T("doctor.label." + r.ID)
		width = max(width, utf8.RuneCountInString(labels[r.ID]))
		swidth = max(swidth, utf8.RuneCountInString(f.T("doctor.status."+string(r.Status))))
	}
	failed := 0
	for _, r := range rep.Results {
		status := f.T("doctor.status." + string(r.Status))
		pad := strings.Repeat(" ", swidth-utf8.RuneCountInString(status))
		switch r.Status {
		case doctor.OK:
			status = io.Green(status)
		case doctor.Warn:
			status = io.Yellow(status)
		default:
			status = io.Red(status)
			failed++
		}
		label := labels[r.ID] + strings.Repeat(" ", width-utf8.RuneCountInString(labels[r.ID]))
		fmt.Fprintf(w, "%s%s  %s  %s\n", status, pad, label, message(f, r))
		if r.Status != doctor.OK {
			indent := strings.Repeat(" ", swidth+2+width+2)
			for _, fx := range fixes(f, r) {
				fmt.Fprintf(w, "%s%s%s\n", indent, f.T("doctor.fix_prefix"), fx)
			}
		}
	}
	summary(w, f, failed)
}

func summary(w io.Writer, f cmdutil.Messages, failed int) {
	fmt.Fprintln(w)
	if failed == 0 {
		fmt.Fprintln(w, f.T("doctor.all_ok"))
		return
	}
	fmt.Fprintln(w, f.T("doctor.some_failed", failed))
}
