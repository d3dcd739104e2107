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

func (u *UI) t(key string, args ...any) string { return u.lang.T(key, args...) }

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
		Notes:  []prompt.Note{{Title: u.t("onboard.step_of", i+1, n) + " · " + u.lang.Render(s.Title), Body: u.lang.Render(s.Body)}},
		Fields: []prompt.Field{prompt.ConfirmField(next, u.t("onboard.step_question"), u.t("onboard.step_question_desc"), u.t("onboard.next"), u.t("onboard.back"))},
	}
}

func (u *UI) step(ctx context.Context, i, n int, s Step) (bool, error) {
	next := true
	if err := prompt.Ask(ctx, u.p, u.StepScreen(i, n, s, &next)); err != nil {
		return false, err
	}
	return next, nil
}

// AskCredentials asks for the API key and the secret (masked) on one
// screen. validate runs when the user submits; its message is shown on the
// screen, and the user corrects the values without starting over (asked in
// turn, both are asked again: the key may be the culprit of a swap). The
// secret never appears on screen or in an error.
func (u *UI) AskCredentials(ctx context.Context, bot bots.Bot, validate func(apiKey, secret string) error) (apiKey, secret string, err error) {
	notEmpty := func(msgKey string) func(string) error {
		return func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New(u.t(msgKey))
			}
			return nil
		}
	}
	var key, sec string
	screen := prompt.Screen{
		Banner: u.banner(),
		Notes:  []prompt.Note{{Title: u.t("onboard.creds.title", bot.Name), Body: u.t("onboard.creds.intro")}},
		Fields: []prompt.Field{
			prompt.InputField(&key, u.t("onboard.creds.key_title"), u.t("onboard.creds.key_desc"), notEmpty("onboard.creds.empty_key")),
			prompt.PasswordField(&sec, u.t("onboard.creds.secret_title"), u.t("onboard.creds.secret_desc"), notEmpty("onboard.creds.empty_secret")),
		},
	}
	if demo := u.demoText(); demo != "" {
		screen.Notes = append(screen.Notes, prompt.Note{Title: u.t("onboard.demo.title"), Body: demo})
	}
	if validate != nil {
		screen.Check = func() error { return validate(key, sec) }
	}
	if err := prompt.Ask(ctx, u.p, screen); err != nil {
		return "", "", err
	}
	return key, sec, nil
}

func (u *UI) demoText() string {
	if !u.opts.Sandbox || len(u.opts.DemoKeys) == 0 {
		return ""
	}
	lines := []string{u.t("onboard.demo.intro")}
	for _, d := range u.opts.DemoKeys {
		line := "• " + d.Name + ": " + d.APIKey
		if d.Description != "" {
			line += " (" + d.Description + ")"
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
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

// The choices of AskRecheck.
const (
	RecheckNow     RecheckChoice = iota // check the same key again (default)
	RecheckRepaste                      // paste another key
	RecheckQuit                         // give up; nothing is saved
)

// AskRecheck shows which boxes to change on Binance (fixes, already
// localised by the caller) and asks what to do next; checking the same key
// again, without pasting it, is the default.
func (u *UI) AskRecheck(ctx context.Context, fixes []string) (RecheckChoice, error) {
	var b strings.Builder
	b.WriteString(u.t("onboard.recheck.intro"))
	b.WriteString("\n")
	for _, f := range fixes {
		b.WriteString("\n• ")
		b.WriteString(f)
	}
	b.WriteString("\n\n")
	b.WriteString(u.t("onboard.recheck.outro"))
	opts := []prompt.Option{
		{Value: "now", Label: u.t("onboard.recheck.now")},
		{Value: "repaste", Label: u.t("onboard.recheck.repaste")},
		{Value: "quit", Label: u.t("onboard.recheck.quit")},
	}
	choice := "now"
	screen := prompt.Screen{
		Banner: u.banner(),
		Notes:  []prompt.Note{{Title: u.t("onboard.recheck.title"), Body: b.String()}},
		Fields: []prompt.Field{prompt.SelectField(&choice, u.t("onboard.recheck.question"), "", opts)},
	}
	if err := prompt.Ask(ctx, u.p, screen); err != nil {
		return RecheckQuit, err
	}
	switch choice {
	case "now":
		return RecheckNow, nil
	case "repaste":
		return RecheckRepaste, nil
	}
	return RecheckQuit, nil
}

// SummaryInfo is what Summary reports once a key is set up.
type SummaryInfo struct {
	Bot              bots.Bot
	MaskedKey        string     // already masked (redact.MaskKey)
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
// copied or read by a screen reader).
func (u *UI) Summary(w io.Writer, s SummaryInfo) {
	if s.Sandbox {
		fmt.Fprintln(w, "["+u.t("prompt.sandbox_label")+"]")
	}
	head := "onboard.summary.title"
	if !s.Registered {
		head = "onboard.summary.pending"
		if s.Unchecked {
			head = "onboard.summary.unchecked"
		}
	}
	fmt.Fprintln(w, u.t(head, s.Bot.Name))
	fmt.Fprintln(w)
	type row struct{ k, v string }
	rows := []row{
		{u.t("onboard.summary.bot"), s.Bot.Name + " (" + s.Bot.ID + ")"},
		{u.t("onboard.summary.key"), s.MaskedKey},
	}
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
	width := 0
	for _, r := range rows {
		width = max(width, utf8.RuneCountInString(r.k))
	}
	for _, r := range rows {
		fmt.Fprintf(w, "  %s%s  %s\n", r.k, strings.Repeat(" ", width-utf8.RuneCountInString(r.k)), r.v)
	}
	if s.Next != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, u.t("onboard.summary.next", s.Next))
	}
}

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
