package forms

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

// TestSpin runs the animated spinner (on a buffer, not a terminal) and the
// plain line Spin falls back to when the output is not a terminal.
func TestSpin(t *testing.T) {
	boom := errors.New("boom")
	for _, fnErr := range []error{nil, boom} {
		for name, run := range map[string]func(context.Context, io.Writer, string, func(context.Context) error) error{
			"spinner": spin,
			"plain": func(ctx context.Context, out io.Writer, title string, fn func(context.Context) error) error {
				return New(nil, out, i18n.EN, false).(*Prompter).Spin(ctx, title, fn)
			},
		} {
			var out bytes.Buffer
			ran := false
			err := run(context.Background(), &out, "Vérification auprès de Binance", func(context.Context) error {
				ran = true
				return fnErr
			})
			if !ran || !errors.Is(err, fnErr) || (fnErr == nil) != (err == nil) {
				t.Fatalf("%s: ran %v, err %v", name, ran, err)
			}
			if !strings.Contains(out.String(), "Vérification auprès de Binance") {
				t.Errorf("%s: title not shown: %q", name, out.String())
			}
		}
	}
}

func TestSpinCancelWaitsForFn(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	finished := false
	err := spin(ctx, io.Discard, "checking", func(fctx context.Context) error {
		cancel()
		<-fctx.Done()
		finished = true
		return fctx.Err()
	})
	if !finished {
		t.Error("Spin returned before fn")
	}
	if !errors.Is(err, context.Canceled) || apperr.KindOf(err) != apperr.Cancelled {
		t.Errorf("err %v, want Cancelled wrapping context.Canceled", err)
	}
}
