package onboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smartradex/smartradex/internal/bots"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/prompt"
)

// DemoKeyInfo is a sandbox demo key, listed on the key screen.
type DemoKeyInfo struct {
	Name        string
	APIKey      string
	Secret      string // typing Name as the API key with no secret picks this key
	Description string // what happens with this key, already localised
}

// Options tune the UI.
type Options struct {
	// Sandbox labels every screen "SANDBOX" ("BAC À SABLE").
	Sandbox bool
	// SandboxBanner is shown beside the label; empty means the default
	// explanation (stand-ins, no real key, no real money).
	SandboxBanner string
	// DemoKeys are listed on the key screen in the sandbox.
	DemoKeys []DemoKeyInfo
	// Prompter asks every question: the terminal forms, the accessible
	// line prompts, or a *prompt.Fake in tests. Nil means line prompts on
	// the UI's streams.
	Prompter prompt.Prompter
	// Now is the clock for the summary's days left; nil means time.Now.
	Now func() time.Time
	// Width is the terminal's width in columns, for the text printed
	// outside forms (the summary); 0 means 80.
	Width int
	// EgressIPs are SmartradeX's addresses when it wants keys locked to
	// them; nil keeps the tutorial of unrestricted keys (ip_lock off).
	EgressIPs []string
}

// UI shows the onboarding screens on one terminal.
type UI struct {
	out  io.Writer
	lang i18n.Lang
	opts Options

	p    prompt.Prompter // labelled in the sandbox
	spin prompt.Spinner  // nil: a plain line
}

// New returns the UI for in/out in lang. Callers use it only when they may
// prompt (stdin and stdout are terminals, no --no-input).
func New(in io.Reader, out io.Writer, lang i18n.Lang, opts Options) *UI {
	p := opts.Prompter
	if p == nil {
		p = prompt.NewLine(in, out, lang)
	}
	u := &UI{out: out, lang: lang, opts: opts, p: p}
	u.spin, _ = p.(prompt.Spinner)
	if opts.Sandbox {
		u.p = prompt.Sandboxed(p, lang)
	}
	return u
}

func (u *UI) t(key string, args ...any) string { return Typeset(u.lang, u.lang.T(key, args...)) }

func (u *UI) render(m i18n.Message) string { return Typeset(u.lang, u.lang.Render(m)) }

// ErrBackToSteps is AskCredentials' answer when the user asks to see the
// steps again (both fields left empty).
var ErrBackToSteps = errors.New("onboard: back to the steps")

// label is the sandbox marker put before titles, or "".
func (u *UI) label() string {
	if !u.opts.Sandbox {
		return ""
	}
	return "[" + u.t("prompt.sandbox_label") + "] "
}

// banner tops every screen in the sandbox (the label is added by the
// sandboxed prompter).
func (u *UI) banner() string {
	if !u.opts.Sandbox {
		return ""
	}
	if b := u.opts.SandboxBanner; b != "" {
		return b
	}
	return u.t("onboard.sandbox_banner")
}

// Tutorial shows the steps for bot, one screen each, with Next and Back.
// Back on the first step stays there. Ctrl-C returns a Cancelled error.
func (u *UI) Tutorial(ctx context.Context, bot bots.Bot) error {
	steps := Steps(bot, u.opts.EgressIPs)
	for i := 0; i < len(steps); {
		next, err := u.step(ctx, i, len(steps), steps[i])
		if err != nil {
			return err
		}
		switch {
		case next:
			i++
		case i > 0:
			i--
		}
	}
	return nil
}

// StepScreen is the screen of step s, the i-th (from 0) of n: its text,
// then Next (the answer true) or Back.
func (u *UI) StepScreen(i, n int, s Step, next *bool) prompt.Screen {
	return prompt.Screen{
		Banner: u.banner(),
		Notes:  []prompt.Note{{Title: u.t("onboard.step_of", i+1, n) + " · " + u.render(s.Title), Body: u.render(s.Body)}},
		Fields: []prompt.Field{prompt.ConfirmField(next, u.t("onboard.step_question"), "", u.t("onboard.next"), u.t("onboard.back"))},
	}
}

func (u *UI) step(ctx context.Context, i, n int, s Step) (bool, error) {
	next := true
	if err := u.ask(ctx, u.StepScreen(i, n, s, &next)); err != nil {
		return false, err
	}
	return next, nil
}

// CredsScreen is the paste screen: the API key and the secret, both
// masked (a secret pasted into the key field must not show: the two look
// alike), then check. Leaving both empty is the way back to the steps
// (*back is set); in the sandbox a demo key's name typed as the API key,
// with no secret, stands for that demo key's two values.
func (u *UI) CredsScreen(bot bots.Bot, key, sec *string, back *bool, validate func(apiKey, secret string) error) prompt.Screen {
	intro := u.t("onboard.creds.intro")
	if demo := u.demoText(); demo != "" {
		intro += "\n\n" + demo
	}
	screen := prompt.Screen{
		Banner: u.banner(),
		Notes:  []prompt.Note{{Title: u.t("onboard.creds.title", botName(bot)), Body: intro}},
		Fields: []prompt.Field{
			prompt.PasswordField(key, u.t("onboard.creds.key_title"), "", nil),
			prompt.PasswordField(sec, u.t("onboard.creds.secret_title"), "", nil),
		},
	}
	screen.Check = func() error {
		*back = false
		k, s := strings.TrimSpace(strings.ReplaceAll(*key, nbhyphen, "-")), strings.TrimSpace(*sec)
		if d, ok := u.demo(k); ok && s == "" {
			*key, *sec = d.APIKey, d.Secret
			k, s = d.APIKey, d.Secret
		}
		switch {
		case k == "" && s == "":
			*back = true
			return nil
		case k == "":
			return errors.New(u.t("onboard.creds.empty_key"))
		case s == "":
			return errors.New(u.t("onboard.creds.empty_secret"))
		}
		if validate == nil {
			return nil
		}
		if err := validate(*key, *sec); err != nil {
			return errors.New(Typeset(u.lang, prompt.UserError(u.lang, err).Error()) + "\n" + u.t("onboard.creds.clear"))
		}
		return nil
	}
	return screen
}

// AskCredentials asks for the API key and the secret (both masked) on one
// screen. validate runs when the user submits; its message is shown on the
// screen, and the user corrects the values without starting over (asked in
// turn, both are asked again: the key may be the culprit of a swap). The
// secret never appears on screen or in an error. Both fields left empty
// return ErrBackToSteps.
func (u *UI) AskCredentials(ctx context.Context, bot bots.Bot, validate func(apiKey, secret string) error) (apiKey, secret string, err error) {
	var key, sec string
	back := false
	if err := u.ask(ctx, u.CredsScreen(bot, &key, &sec, &back, validate)); err != nil {
		return "", "", err
	}
	if back {
		return "", "", ErrBackToSteps
	}
	return key, sec, nil
}

// ask shows s on the prompter, French typography applied.
func (u *UI) ask(ctx context.Context, s prompt.Screen) error {
	return prompt.Ask(ctx, u.p, TypesetScreen(u.lang, s))
}

func (u *UI) demo(name string) (DemoKeyInfo, bool) {
	if !u.opts.Sandbox {
		return DemoKeyInfo{}, false
	}
	for _, d := range u.opts.DemoKeys {
		if d.Secret != "" && strings.EqualFold(d.Name, name) {
			return d, true
		}
	}
	return DemoKeyInfo{}, false
}

// demoText names the sandbox's demo keys: typing a name stands for the
// key, so nothing long has to be copied at any width.
func (u *UI) demoText() string {
	if !u.opts.Sandbox || len(u.opts.DemoKeys) == 0 {
		return ""
	}
	names := make([]string, len(u.opts.DemoKeys))
	for i, d := range u.opts.DemoKeys {
		// A no-break hyphen: a name is never cut at the end of a line.
		names[i] = strings.ReplaceAll(d.Name, "-", nbhyphen)
	}
	return u.t("onboard.demo.intro", strings.Join(names, ", "))
}

// Spin shows title with a spinner while fn runs (the terminal forms), or
// prints title as a plain line. If the user interrupts or ctx ends, fn's
// context is cancelled, Spin waits for fn to return (so nothing runs on
// behind the user's back) and returns Cancelled.
func (u *UI) Spin(ctx context.Context, title string, fn func(context.Context) error) error {
	title = u.label() + title
	if u.spin != nil {
		return u.spin.Spin(ctx, title, fn)
	}
	return prompt.PlainSpin(ctx, u.out, title, fn)
}

// RecheckChoice is what the user wants after a refused key.
type RecheckChoice int

// The choices of AskRecheck and AskWhatNext.
const (
	RecheckNow     RecheckChoice = iota // check the same key again (default)
	RecheckRepaste                      // paste another key
	RecheckQuit                         // give up; nothing is saved
	RecheckSteps                        // see the steps again, then paste
)

// AskRecheck shows which boxes to change on Binance (fixes, already
// localised by the caller) and asks what to do next; checking the same key
// again, without pasting it, is the default.
func (u *UI) AskRecheck(ctx context.Context, fixes []string) (RecheckChoice, error) {
	return u.AskWhatNext(ctx, "", fixes)
}

// AskWhatNext shows why the key cannot be used yet (title; "" is the
// refused boxes' title) and fixes, each once, and offers the same four
// ways on: check again, paste another key, back to the steps, quit.
func (u *UI) AskWhatNext(ctx context.Context, title string, fixes []string) (RecheckChoice, error) {
	var b strings.Builder
	boxes := title == ""
	if boxes {
		title = u.t("onboard.recheck.title")
		b.WriteString(u.t("onboard.recheck.where"))
		b.WriteString("\n")
	}
	for _, f := range fixes {
		b.WriteString("• ")
		b.WriteString(f)
		b.WriteString("\n")
	}
	if boxes {
		// A right changed on Binance applies to the same key.
		b.WriteString(u.t("onboard.recheck.save"))
	}
	opts := []prompt.Option{
		{Value: "now", Label: u.t("onboard.recheck.now")},
		{Value: "repaste", Label: u.t("onboard.recheck.repaste")},
		{Value: "steps", Label: u.t("onboard.recheck.steps")},
		{Value: "quit", Label: u.t("onboard.recheck.quit")},
	}
	choice := "now"
	screen := prompt.Screen{
		Banner: u.banner(),
		Notes:  []prompt.Note{{Title: title, Body: strings.TrimRight(b.String(), "\n")}},
		Fields: []prompt.Field{prompt.SelectField(&choice, u.t("onboard.recheck.question"), "", opts)},
	}
	if err := u.ask(ctx, screen); err != nil {
		return RecheckQuit, err
	}
	switch choice {
	case "now":
		return RecheckNow, nil
	case "repaste":
		return RecheckRepaste, nil
	case "steps":
		return RecheckSteps, nil
	}
	return RecheckQuit, nil
}

// SummaryInfo is what Summary reports once a key is set up.
type SummaryInfo struct {
	Bot              bots.Bot
	MaskedKey        string     // already masked (redact.MaskKey)
	MadeHere         bool       // a key made on this computer (keys generate), not by Binance
	UID              int64      // Binance uid of the sub-account; 0 if unknown
	TradingExpiresAt *time.Time // when Binance switches trading off, if it said
	Registered       bool       // false: stored but not yet registered
	// MayHaveReached: not registered here, but the request was sent and
	// SmartradeX may hold the key (an interrupted or unanswered PUT).
	MayHaveReached bool
	// Unchecked: a key locked to SmartradeX's addresses that SmartradeX
	// has not checked yet; it is not shown as checked or accepted.
	Unchecked bool
	Sandbox   bool
	Next      string // the next command to run, e.g. "smartradex keys verify"
}

// Summary writes the outcome as plain text on w (no colours: it may be
// copied or read by a screen reader), wrapped by words to the terminal's
// width; the table becomes a list when it does not fit.
func (u *UI) Summary(w io.Writer, s SummaryInfo) {
	width := u.opts.Width
	if width <= 0 {
		width = 80
	}
	para := func(text string) { fmt.Fprintln(w, Wrap(text, width, "")) }
	if s.Sandbox {
		fmt.Fprintln(w, "["+u.t("prompt.sandbox_label")+"]")
	}
	switch {
	case s.Registered:
		para(u.t("onboard.summary.title", s.Bot.Name))
		para(u.t("onboard.summary.after", s.Bot.Name))
	case s.Unchecked:
		para(u.t("onboard.summary.unchecked", s.Bot.Name))
	default:
		para(u.t("onboard.summary.pending", s.Bot.Name))
	}
	fmt.Fprintln(w)
	type row struct{ k, v string }
	// The bot is named in the first line.
	key := s.MaskedKey
	if s.MadeHere {
		key = u.t("onboard.summary.made_here", key)
	}
	rows := []row{{u.t("onboard.summary.key"), key}}
	if s.UID != 0 {
		rows = append(rows, row{u.t("onboard.summary.uid"), fmt.Sprint(s.UID)})
	}
	if s.Unchecked {
		rows = append(rows, row{u.t("onboard.summary.expires"), u.t("onboard.summary.not_checked")})
	} else {
		rows = append(rows, row{u.t("onboard.summary.expires"), u.expiry(s.TradingExpiresAt)})
	}
	reg := u.t("onboard.summary.registered")
	if !s.Registered {
		reg = u.t("onboard.summary.not_sent")
		if s.MayHaveReached {
			reg = u.t("onboard.summary.unconfirmed")
		}
	}
	rows = append(rows, row{u.t("onboard.summary.smartradex"), reg})
	kw, vw := 0, 0
	for _, r := range rows {
		kw = max(kw, utf8.RuneCountInString(r.k))
		vw = max(vw, utf8.RuneCountInString(r.v))
	}
	if 2+kw+2+vw <= width {
		for _, r := range rows {
			fmt.Fprintf(w, "  %s%s  %s\n", r.k, strings.Repeat(" ", kw-utf8.RuneCountInString(r.k)), r.v)
		}
	} else {
		// Too narrow for a table: one "label: value" item a row, its
		// continuation lines indented under the label.
		for _, r := range rows {
			fmt.Fprintln(w, Wrap("• "+u.t("onboard.summary.item", r.k, r.v), width, "  "))
		}
	}
	if s.Next != "" {
		fmt.Fprintln(w)
		if s.Registered {
			command(w, width, u.t("onboard.summary.check_later", s.Next), u.t("onboard.summary.check_later", ""), s.Next)
		} else {
			command(w, width, u.t("onboard.summary.next", s.Next), u.t("onboard.summary.next", ""), s.Next)
		}
	}
}

// command prints line, a sentence that ends with the command cmd; when
// it does not fit, the sentence without it (bare), then the command whole
// on a line of its own: a command cut across lines cannot be copied.
func command(w io.Writer, width int, line, bare, cmd string) {
	if utf8.RuneCountInString(line) <= width {
		fmt.Fprintln(w, line)
		return
	}
	fmt.Fprintln(w, Wrap(strings.TrimSpace(bare), width, ""))
	fmt.Fprintln(w, "  "+cmd)
}

// Wrap breaks text into lines of at most width columns at spaces (see
// prompt.Wrap).
func Wrap(text string, width int, indent string) string { return prompt.Wrap(text, width, indent) }

func (u *UI) expiry(at *time.Time) string {
	if at == nil {
		return u.t("onboard.summary.no_expiry")
	}
	now := time.Now
	if u.opts.Now != nil {
		now = u.opts.Now
	}
	when := at.Local().Format(u.t("onboard.date_layout"))
	left := at.Sub(now())
	switch {
	case left <= 0:
		return u.t("onboard.summary.expired", when)
	case left < 48*time.Hour:
		return u.t("onboard.summary.expires_soon", when)
	}
	return u.t("onboard.summary.expires_in", when, int(left.Hours()/24))
}
