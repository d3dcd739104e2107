package prompt

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

func TestLinePrompts(t *testing.T) {
	ctx := context.Background()
	nonEmpty := func(s string) error {
		if s == "" {
			return errors.New("type something")
		}
		return nil
	}
	cases := []struct {
		name    string
		lang    i18n.Lang
		input   string
		ask     func(Prompter) (any, error)
		want    any
		showing []string
	}{
		{"input revalidates", i18n.EN, "\nbtc-spot\n", func(p Prompter) (any, error) { return p.Input(ctx, "Bot", "which one", nonEmpty) }, "btc-spot", []string{"Bot", "which one", "type something"}},
		{"input keeps inner spaces", i18n.EN, "a b \r\n", func(p Prompter) (any, error) { return p.Input(ctx, "T", "", nil) }, "a b ", nil},
		{"confirm default", i18n.FR, "\n", func(p Prompter) (any, error) { return p.Confirm(ctx, "Sûr ?", "", "", "", true) }, true, []string{"Oui / Non [O/n]"}},
		{"confirm oui", i18n.FR, "oui\n", func(p Prompter) (any, error) { return p.Confirm(ctx, "Sûr ?", "", "", "", false) }, true, []string{"[o/N]"}},
		{"confirm bad then no", i18n.EN, "maybe\nn\n", func(p Prompter) (any, error) { return p.Confirm(ctx, "Sure?", "", "", "", true) }, false, []string{"answer y (yes) or n (no)"}},
		{"select number", i18n.EN, "2\n", func(p Prompter) (any, error) {
			return p.Select(ctx, "Pick", "", []Option{{"a", "Alpha"}, {"b", "Beta"}}, "")
		}, "b", []string{"1. Alpha", "2. Beta", "from 1 to 2"}},
		{"select default", i18n.FR, "\n", func(p Prompter) (any, error) {
			return p.Select(ctx, "Choix", "", []Option{{"a", "Alpha"}, {"b", "Beta"}}, "b")
		}, "b", []string{"Entrée seule garde 2"}},
		{"select out of range", i18n.EN, "7\n1\n", func(p Prompter) (any, error) {
			return p.Select(ctx, "Pick", "", []Option{{"a", "Alpha"}, {"b", "Beta"}}, "")
		}, "a", []string{`"7" is not one of the choices`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			got, err := c.ask(NewLine(strings.NewReader(c.input), &out, c.lang))
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
			for _, s := range c.showing {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
		})
	}
}

func TestLineEndOfInputIsCancelled(t *testing.T) {
	// End of input must not pass for the default answer.
	p := NewLine(strings.NewReader(""), io.Discard, i18n.EN)
	_, err := p.Confirm(context.Background(), "Replace the key?", "", "", "", true)
	wantCancelled(t, err)
	_, err = p.Input(context.Background(), "Bot", "", nil)
	wantCancelled(t, err)
}

func TestLineContextCancelWhileWaiting(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	p := NewLine(r, io.Discard, i18n.EN)
	errc := make(chan error)
	go func() {
		_, err := p.Input(ctx, "Bot", "", nil)
		errc <- err
	}()
	cancel()
	wantCancelled(t, <-errc)
	// The read left pending is handed to the next question, not raced.
	go w.Write([]byte("later\n"))
	v, err := p.Input(context.Background(), "Bot", "", nil)
	if err != nil || v != "later" {
		t.Fatalf("next Input = %q, %v", v, err)
	}
}

func TestLinePasswordNeedsATerminal(t *testing.T) {
	var out bytes.Buffer
	p := NewLine(strings.NewReader(secret+"\n"), &out, i18n.FR)
	v, err := p.Password(context.Background(), "Clé secrète", "", nil)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Usage || v != "" {
		t.Fatalf("Password without a terminal = %q, %v; want a usage error", v, err)
	}
	if strings.Contains(out.String(), secret) || strings.Contains(err.Error(), secret) {
		t.Fatal("the secret leaked")
	}
}

func TestFake(t *testing.T) {
	ctx := context.Background()
	f := &Fake{Answers: []any{"", "key", "x9q7z", secret, true, "b", Cancelled(nil)}}
	nonEmpty := func(s string) error {
		if s == "" {
			return errors.New("empty")
		}
		return nil
	}
	if v, err := f.Input(ctx, "Key", "d", nonEmpty); err != nil || v != "key" {
		t.Fatalf("Input = %q, %v", v, err)
	}
	leaky := func(s string) error {
		if len(s) < 10 {
			return errors.New("too short: " + s)
		}
		return nil
	}
	if v, err := f.Password(ctx, "Secret", "", leaky); err != nil || v != secret {
		t.Fatalf("Password = %q, %v", v, err)
	}
	if v, err := f.Confirm(ctx, "Sure?", "", "", "", false); err != nil || !v {
		t.Fatalf("Confirm = %v, %v", v, err)
	}
	if v, err := f.Select(ctx, "Pick", "", []Option{{"a", "A"}, {"b", "B"}}, "a"); err != nil || v != "b" {
		t.Fatalf("Select = %q, %v", v, err)
	}
	_, err := f.Input(ctx, "Again", "", nil)
	wantCancelled(t, err)
	if _, err := f.Input(ctx, "Too many", "", nil); err == nil || !strings.Contains(err.Error(), "no answer left") {
		t.Errorf("exhausted fake: %v", err)
	}
	if f.Asked[0].Kind != "input" || len(f.Asked[0].Rejected) != 1 || f.Asked[0].Rejected[0] != "empty" {
		t.Errorf("input question: %+v", f.Asked[0])
	}
	if f.Asked[1].Kind != "password" || len(f.Asked[1].Rejected) != 1 || f.Asked[1].Rejected[0] != "too short: [REDACTED]" {
		t.Errorf("password question: %+v", f.Asked[1])
	}
	if f.Asked[3].Default != "a" || len(f.Asked[3].Options) != 2 {
		t.Errorf("select question: %+v", f.Asked[3])
	}
	bad := &Fake{Answers: []any{"z", 3}}
	if _, err := bad.Select(ctx, "Pick", "", []Option{{"a", "A"}}, "a"); err == nil {
		t.Error("a Select answer that is not an option was accepted")
	}
	if _, err := bad.Confirm(ctx, "Sure?", "", "", "", false); err == nil {
		t.Error("a Confirm answered with an int was accepted")
	}
}
