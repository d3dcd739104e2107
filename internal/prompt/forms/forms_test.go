package forms

import (
	"bytes"
	"context"
	"errors"
	"github.com/charmbracelet/bubbles/key"
	"io"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/prompt/prompttest"
)

const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

func driven(lang i18n.Lang, keys ...string) (*Prompter, *prompttest.Driver) {
	d := prompttest.NewDriver(prompttest.Keys(keys...)...)
	return NewWithRunner(lang, d.Run, io.Discard), d
}

func wantCancelled(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Cancelled || ae.Message.Key != "error.cancelled" {
		t.Fatalf("err = %#v, want a Cancelled apperr saying nothing was changed", err)
	}
}

func TestInputShowsLocalisedValidationUntilFixed(t *testing.T) {
	for _, c := range []struct {
		lang     i18n.Lang
		wantErr  string
		wantHelp string
	}{
		{i18n.EN, "cancelled: nothing was changed", "enter submit"},
		{i18n.FR, "annulé : rien n'a été modifié", "Entrée valider"},
	} {
		t.Run(string(c.lang), func(t *testing.T) {
			// The validator returns a catalogue error: it must show in the
			// user's language, not as the English Error() text.
			validate := func(s string) error {
				if s != "good" {
					return apperr.New(apperr.Usage, "x", i18n.M("error.cancelled"))
				}
				return nil
			}
			p, d := driven(c.lang, "bad", "enter", "backspace", "backspace", "backspace", "good", "enter")
			v, err := p.Input(context.Background(), "Bot", "which bot", validate)
			if err != nil || v != "good" {
				t.Fatalf("Input = %q, %v", v, err)
			}
			all := d.AllScreens()
			for _, want := range []string{"Bot", "which bot", c.wantErr, c.wantHelp} {
				if !strings.Contains(all, want) {
					t.Errorf("screens lack %q:\n%s", want, all)
				}
			}
		})
	}
}

func TestPasswordNeverShowsTheSecret(t *testing.T) {
	// A careless validator that quotes the value: the screen must still
	// not show it.
	calls := 0
	validate := func(s string) error {
		calls++
		if calls == 1 {
			return errors.New("bad secret " + s)
		}
		return nil
	}
	p, d := driven(i18n.EN, secret, "enter", "enter")
	v, err := p.Password(context.Background(), "Secret key", "paste it", validate)
	if err != nil || v != secret {
		t.Fatalf("Password = %q, %v", v, err)
	}
	all := d.AllScreens()
	if strings.Contains(all, secret) || strings.Contains(all, secret[:12]) {
		t.Fatalf("the secret is on screen:\n%s", all)
	}
	if !strings.Contains(all, "bad secret [REDACTED]") || !strings.Contains(all, strings.Repeat("*", 20)) {
		t.Errorf("want the masked value and the scrubbed error on screen:\n%s", all)
	}
}

func TestConfirm(t *testing.T) {
	cases := []struct {
		name  string
		lang  i18n.Lang
		def   bool
		keys  []string
		want  bool
		shown []string
	}{
		{"default yes", i18n.EN, true, []string{"enter"}, true, []string{"[  Yes  ]", "No"}},
		{"toggle to no", i18n.EN, true, []string{"right", "enter"}, false, []string{"[  No  ]"}},
		{"french labels", i18n.FR, false, []string{"enter"}, false, []string{"Oui", "[  Non  ]", "changer"}},
		{"o means oui", i18n.FR, false, []string{"o"}, true, []string{"Oui"}},
		{"custom labels", i18n.EN, true, []string{"enter"}, true, []string{"Next", "Back"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, d := driven(c.lang, c.keys...)
			aff, neg := "", ""
			if c.name == "custom labels" {
				aff, neg = "Next", "Back"
			}
			got, err := p.Confirm(context.Background(), "Go on?", "", aff, neg, c.def)
			if err != nil || got != c.want {
				t.Fatalf("Confirm = %v, %v; want %v", got, err, c.want)
			}
			all := d.AllScreens()
			for _, s := range c.shown {
				if !strings.Contains(all, s) {
					t.Errorf("screens lack %q:\n%s", s, all)
				}
			}
		})
	}
}

func TestSelect(t *testing.T) {
	opts := []prompt.Option{{Value: "a", Label: "Alpha"}, {Value: "b", Label: "Beta"}, {Value: "c", Label: "Gamma"}}
	cases := []struct {
		def  string
		keys []string
		want string
	}{
		{"a", []string{"enter"}, "a"},
		{"a", []string{"down", "down", "enter"}, "c"},
		{"b", []string{"enter"}, "b"},
		{"c", []string{"up", "enter"}, "b"},
	}
	for _, c := range cases {
		p, d := driven(i18n.FR, c.keys...)
		got, err := p.Select(context.Background(), "Choix", "", opts, c.def)
		if err != nil || got != c.want {
			t.Errorf("def %s keys %v: Select = %q, %v; want %q", c.def, c.keys, got, err, c.want)
		}
		if all := d.AllScreens(); !strings.Contains(all, "Gamma") || !strings.Contains(all, "haut") {
			t.Errorf("screen lacks options or French help:\n%s", all)
		}
	}
	if _, err := NewWithRunner(i18n.EN, nil, io.Discard).Select(context.Background(), "x", "", nil, ""); apperr.KindOf(err) != apperr.Unexpected {
		t.Errorf("Select without options: %v", err)
	}
}

func TestCtrlCAndContextCancel(t *testing.T) {
	ask := map[string]func(prompt.Prompter, context.Context) error{
		"input": func(p prompt.Prompter, ctx context.Context) error {
			_, err := p.Input(ctx, "t", "", nil)
			return err
		},
		"password": func(p prompt.Prompter, ctx context.Context) error {
			_, err := p.Password(ctx, "t", "", nil)
			return err
		},
		"confirm": func(p prompt.Prompter, ctx context.Context) error {
			_, err := p.Confirm(ctx, "t", "", "", "", true)
			return err
		},
		"select": func(p prompt.Prompter, ctx context.Context) error {
			_, err := p.Select(ctx, "t", "", []prompt.Option{{Value: "a", Label: "A"}}, "a")
			return err
		},
	}
	for name, f := range ask {
		t.Run(name+"/ctrl-c", func(t *testing.T) {
			p, d := driven(i18n.EN, "x", "ctrl+c", "enter")
			wantCancelled(t, f(p, context.Background()))
			if d.Left() != 1 {
				t.Errorf("the form went on after Ctrl-C")
			}
		})
		t.Run(name+"/ctx-mid-form", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			d := prompttest.NewDriver(prompttest.Keys("x", "enter")...)
			d.OnKey = func(string, tea.KeyMsg) { cancel() }
			wantCancelled(t, f(NewWithRunner(i18n.EN, d.Run, io.Discard), ctx))
		})
		t.Run(name+"/ctx-before", func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			p, d := driven(i18n.EN, "enter")
			wantCancelled(t, f(p, ctx))
			if d.Forms() != 0 {
				t.Errorf("a form was shown although ctx had ended")
			}
			wantCancelled(t, f(&prompt.Fake{Answers: []any{"a", true}}, ctx))
		})
	}
}

func TestRunMapsRunnerErrors(t *testing.T) {
	ctx := context.Background()
	form := func() *huh.Form { return NewForm(i18n.EN, huh.NewGroup(huh.NewInput())) }
	cases := []struct {
		name string
		err  error
		want apperr.Kind
	}{
		{"ok", nil, apperr.OK},
		{"aborted", huh.ErrUserAborted, apperr.Cancelled},
		{"timeout", huh.ErrTimeout, apperr.Cancelled},
		{"terminal broke", errors.New("open /dev/tty: no such device"), apperr.Unexpected},
		{"already categorised", apperr.New(apperr.Usage, "u", i18n.M("error.flag", "x")), apperr.Usage},
	}
	for _, c := range cases {
		err := Run(ctx, func(context.Context, *huh.Form) error { return c.err }, form())
		if apperr.KindOf(err) != c.want {
			t.Errorf("%s: kind %v (%v), want %v", c.name, apperr.KindOf(err), err, c.want)
		}
	}
	// bubbletea reports an ended context as "program was killed".
	cctx, cancel := context.WithCancel(ctx)
	err := Run(cctx, func(context.Context, *huh.Form) error { cancel(); return tea.ErrProgramKilled }, form())
	wantCancelled(t, err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cause lost: %v", err)
	}
}

// TestTerminalRunnerReadsBytes runs the production runner (a real
// bubbletea program) on a pipe instead of a terminal: bytes in, value out.
func TestTerminalRunnerReadsBytes(t *testing.T) {
	var out bytes.Buffer
	p := New(strings.NewReader("abc\r"), &out, i18n.EN, false)
	v, err := p.Input(context.Background(), "Name", "", nil)
	if err != nil || v != "abc" {
		t.Fatalf("Input = %q, %v", v, err)
	}
	p = New(strings.NewReader("\x03"), io.Discard, i18n.EN, false)
	_, err = p.Confirm(context.Background(), "Go?", "", "", "", true)
	wantCancelled(t, err)
}

func TestKeyMapHelpIsLocalised(t *testing.T) {
	en, fr := KeyMap(i18n.EN), KeyMap(i18n.FR)
	if en.Input.Submit.Help().Desc != "submit" || fr.Input.Submit.Help().Desc != "valider" {
		t.Errorf("submit help: en %q fr %q", en.Input.Submit.Help().Desc, fr.Input.Submit.Help().Desc)
	}
	if fr.Select.Up.Help().Key != "↑" || fr.Select.Up.Help().Desc != "haut" {
		t.Errorf("select up help: %+v", fr.Select.Up.Help())
	}
	// Key names too: no English word on a French help line.
	for _, c := range []struct {
		b      key.Binding
		en, fr string
	}{
		{fr.Input.Submit, "enter", "Entrée"},
		{fr.Input.Prev, "shift+tab", "Maj+Tab"},
		{fr.Select.GotoBottom, "G/end", "G/Fin"},
		{fr.Select.HalfPageDown, "ctrl+d", "Ctrl+d"},
	} {
		if got := c.b.Help().Key; got != c.fr {
			t.Errorf("French help names %q as %q, want %q", c.en, got, c.fr)
		}
	}
	if got := en.Input.Prev.Help().Key; got != "shift+tab" {
		t.Errorf("English help renamed shift+tab to %q", got)
	}
	if !strings.Contains(strings.Join(fr.Confirm.Accept.Keys(), ","), "o") {
		t.Errorf("French confirm does not take o for oui: %v", fr.Confirm.Accept.Keys())
	}
}
