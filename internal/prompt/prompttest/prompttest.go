// Package prompttest drives huh forms without a terminal: it feeds key
// messages to the form model, runs the commands the form returns, and
// records what the form showed, so that tests can assert on screens and on
// the values a form returns.
package prompttest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/x/ansi"
)

// Keys builds key messages: "enter", "tab", "shift+tab", "left", "right",
// "up", "down", "esc", "backspace", "ctrl+c", "ctrl+u"; "paste:TEXT" is a bracketed paste; anything else is typed as
// text in one message, like a paste.
func Keys(keys ...string) []tea.KeyMsg {
	var out []tea.KeyMsg
	for _, k := range keys {
		out = append(out, Key(k))
	}
	return out
}

// Key builds one key message (see Keys).
func Key(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	if v, ok := strings.CutPrefix(k, "paste:"); ok {
		return Paste(v)
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

// Paste is a bracketed paste of s, as a terminal sends it.
func Paste(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s), Paste: true} }

// Driver plays a script of keys into the forms it runs, one form after the
// other, and records every screen. Its Run method is a prompt.FormRunner.
type Driver struct {
	mu      sync.Mutex
	keys    []tea.KeyMsg
	screens []string // every view, ANSI-free, in order
	forms   int
	// OnKey, if set, is called before each key with the screen it is
	// sent to; tests use it to cancel a context mid-form.
	OnKey func(screen string, k tea.KeyMsg)
	// Width and Height are the terminal's size the forms are drawn for;
	// 0 means 100 columns, 60 rows.
	Width, Height int
}

// NewDriver returns a driver that will send keys, in order, across forms.
func NewDriver(keys ...tea.KeyMsg) *Driver { return &Driver{keys: keys} }

// ErrScriptExhausted is returned when a form still waits for input after
// the last scripted key.
var ErrScriptExhausted = errors.New("prompttest: no key left but the form is still open")

// Run runs f to completion with the scripted keys. It returns
// huh.ErrUserAborted when the form was aborted, like huh does.
func (d *Driver) Run(ctx context.Context, f *huh.Form) error {
	d.mu.Lock()
	d.forms++
	d.mu.Unlock()
	f.SubmitCmd = tea.Quit
	f.CancelCmd = tea.Interrupt
	d.exec(f, f.Init())
	w, h := d.Width, d.Height
	if w == 0 {
		w = 100
	}
	if h == 0 {
		h = 60
	}
	d.update(f, tea.WindowSizeMsg{Width: w, Height: h})
	for f.State == huh.StateNormal {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %w", tea.ErrProgramKilled, err)
		}
		screen := d.record(f)
		d.mu.Lock()
		if len(d.keys) == 0 {
			d.mu.Unlock()
			return fmt.Errorf("%w; last screen:\n%s", ErrScriptExhausted, screen)
		}
		k := d.keys[0]
		d.keys = d.keys[1:]
		d.mu.Unlock()
		if d.OnKey != nil {
			d.OnKey(screen, k)
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%w: %w", tea.ErrProgramKilled, err)
			}
		}
		d.update(f, k)
	}
	if f.State == huh.StateAborted {
		return huh.ErrUserAborted
	}
	return nil
}

func (d *Driver) record(f *huh.Form) string {
	s := ansi.Strip(f.View())
	d.mu.Lock()
	d.screens = append(d.screens, s)
	d.mu.Unlock()
	return s
}

func (d *Driver) update(f *huh.Form, msg tea.Msg) {
	_, cmd := f.Update(msg)
	d.exec(f, cmd)
}

// exec runs cmd and feeds what it returns back to the form until nothing
// is left, as bubbletea's event loop would. Timers (cursor blink, spinner
// ticks) are skipped: they only animate and would make tests wait.
func (d *Driver) exec(f *huh.Form, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 && f.State == huh.StateNormal {
		c := queue[0]
		queue = queue[1:]
		if c == nil || isTimer(c) {
			continue
		}
		switch msg := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case tea.QuitMsg, tea.InterruptMsg:
			// The form's state already says how it ended.
		default:
			if cmds, ok := sequence(msg); ok {
				queue = append(queue, cmds...)
				continue
			}
			_, next := f.Update(msg)
			queue = append(queue, next)
		}
	}
}

// sequence unpacks tea.Sequence's message, whose type is unexported.
func sequence(msg tea.Msg) ([]tea.Cmd, bool) {
	v := reflect.ValueOf(msg)
	if v.Kind() != reflect.Slice || v.Type().Elem() != reflect.TypeOf(tea.Cmd(nil)) {
		return nil, false
	}
	cmds := make([]tea.Cmd, v.Len())
	for i := range cmds {
		cmds[i], _ = v.Index(i).Interface().(tea.Cmd)
	}
	return cmds, true
}

func isTimer(c tea.Cmd) bool {
	name := runtime.FuncForPC(reflect.ValueOf(c).Pointer()).Name()
	return strings.Contains(name, "bubbles/cursor.") ||
		strings.Contains(name, "bubbles/spinner.") ||
		strings.Contains(name, "bubbletea.Tick") ||
		strings.Contains(name, "bubbletea.Every")
}

// Screens returns every screen shown so far, without colour codes.
func (d *Driver) Screens() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.screens...)
}

// AllScreens joins Screens, for "was it ever shown" assertions.
func (d *Driver) AllScreens() string { return strings.Join(d.Screens(), "\n-----\n") }

// Forms is the number of forms run so far.
func (d *Driver) Forms() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.forms
}

// Left is the number of keys not sent yet.
func (d *Driver) Left() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.keys)
}

// Flat removes the form's borders and joins wrapped lines, so that a test
// can look for a sentence whatever the width it was wrapped at.
func Flat(screen string) string {
	screen = strings.NewReplacer("┃", " ", "│", " ").Replace(screen)
	return strings.Join(strings.Fields(screen), " ")
}
