package cmdutil

import (
	"context"
	"errors"
	"testing"

	"github.com/spf13/cobra"
)

func TestRunE(t *testing.T) {
	type opts struct{ resolved bool }
	refused := errors.New("refused")
	cases := []struct {
		name       string
		withRunF   bool
		resolveErr error
		noResolve  bool
		wantErr    error
		want       string // which function ran: "run", "runF" or ""
	}{
		{name: "run after resolve", want: "run"},
		{name: "a test's runF instead of run", withRunF: true, want: "runF"},
		{name: "a refusal stops before any work", resolveErr: refused, wantErr: refused},
		{name: "a refusal stops runF too", withRunF: true, resolveErr: refused, wantErr: refused},
		{name: "nothing to resolve", noResolve: true, want: "run"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := &opts{}
			ran := ""
			mark := func(name string) func(context.Context, *opts) error {
				return func(ctx context.Context, got *opts) error {
					if got != o {
						t.Error("the command's options are not passed on")
					}
					if !c.noResolve && !got.resolved {
						t.Error("run before resolve")
					}
					if ctx.Value(ctxKey{}) != "cmd" {
						t.Error("the command's context is not passed on")
					}
					ran = name
					return nil
				}
			}
			var runF func(context.Context, *opts) error
			if c.withRunF {
				runF = mark("runF")
			}
			resolve := func() error { o.resolved = true; return c.resolveErr }
			if c.noResolve {
				resolve = nil
			}
			cmd := &cobra.Command{}
			cmd.SetContext(context.WithValue(context.Background(), ctxKey{}, "cmd"))
			err := RunE(o, runF, mark("run"), resolve)(cmd, nil)
			if !errors.Is(err, c.wantErr) || ran != c.want {
				t.Errorf("err %v, ran %q; want %v, %q", err, ran, c.wantErr, c.want)
			}
		})
	}
}

type ctxKey struct{}

func TestNewGroupRefusesUnknownSubcommands(t *testing.T) {
	sub := &cobra.Command{Use: "add", Run: func(*cobra.Command, []string) {}}
	g := NewGroup("keys", "short", "long", sub)
	if g.Use != "keys" || g.Short != "short" || g.Long != "long" || len(g.Commands()) != 1 {
		t.Fatalf("group %+v", g)
	}
	if err := g.RunE(g, []string{"remove"}); err == nil {
		t.Error("an unknown subcommand is accepted")
	}
}
