package forms

import (
	"context"
	"errors"
	"io"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh/spinner"
	"golang.org/x/term"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/prompt"
)

var _ prompt.Spinner = (*Prompter)(nil)

// Spin shows title with a spinner while fn runs, or prints title as a plain
// line when the output is not a terminal. If the user interrupts or ctx
// ends, fn's context is cancelled, Spin waits for fn to return (so nothing
// runs on behind the user's back) and returns Cancelled.
func (p *Prompter) Spin(ctx context.Context, title string, fn func(context.Context) error) error {
	if !isTerminal(p.out) {
		return prompt.PlainSpin(ctx, p.out, title, fn)
	}
	return spin(ctx, p.out, title, fn)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func spin(ctx context.Context, out io.Writer, title string, fn func(context.Context) error) error {
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	var fnErr error
	go func() {
		defer close(done)
		fnErr = fn(fctx)
	}()
	// The spinner's context ends only with fn, not with ctx. A Ctrl-C on a
	// terminal the spinner does not read reaches the process as SIGINT,
	// which ends ctx and also goes to bubbletea's own signal handler; were
	// ctx the spinner's context too, bubbletea's event loop could stop on
	// it while the handler blocks for ever handing over the interrupt, and
	// the command would hang, deaf to any further Ctrl-C.
	sctx, scancel := context.WithCancel(context.WithoutCancel(ctx))
	defer scancel()
	runErr := spinner.New().Title(" " + title).Output(out).Context(sctx).
		ActionWithErr(func(actx context.Context) error {
			select {
			case <-done:
			case <-actx.Done():
			}
			return nil
		}).Run()
	interrupted := ctx.Err() != nil
	select {
	case <-done:
		interrupted = interrupted || errors.Is(runErr, tea.ErrInterrupted)
	default:
		// The spinner ended first: interrupted.
		cancel()
		<-done
		interrupted = true
	}
	if !interrupted {
		return fnErr
	}
	var ae *apperr.Error
	if errors.As(fnErr, &ae) && ae.Kind == apperr.Cancelled {
		// fn says itself what the interruption left behind.
		return fnErr
	}
	return prompt.Cancelled(errors.Join(runErr, fnErr))
}
