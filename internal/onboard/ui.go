package onboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/huh/spinner"
	"golang.org/x/term"

	"github.com/smartradex/smartradex/internal/apperr"
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
	// Accessible asks plain line questions instead of drawing forms.
	Accessible bool
	// Sandbox labels every screen "SANDBOX" ("BAC À SABLE").
	Sandbox bool
	// SandboxBanner is shown beside the label; empty means the default
	// explanation (stand-ins, no real key, no real money).
	SandboxBanner string
	// DemoKeys are listed on the key screen in the sandbox.
	DemoKeys []DemoKeyInfo
	// Prompter, when set, asks every question (as in accessible mode)
	// instead of huh forms: command tests pass a *prompt.Fake.
	Prompter prompt.Prompter
	// Now is the clock for the summary's days left; nil means time.Now.
	Now func() time.Time
}

// UI shows the onboarding screens on one terminal.
type UI struct {
	in   io.Reader
	out  io.Writer
	lang i18n.Lang
	opts Options

	// Exactly one of p (plain questions) and run (huh forms) is used.
	p   prompt.Prompter
	run prompt.FormRunner

	animate bool // spinner drawn; false prints a plain line
}

// New returns the UI for in/out in lang. Callers use it only when they may
// prompt (stdin and stdout are terminals, no --no-input).
func New(in io.Reader, out io.Writer, lang i18n.Lang, opts Options) *UI {
	u := &UI{in: in, out: out, lang: lang, opts: opts}
	switch {
	case opts.Prompter != nil:
		u.p = opts.Prompter
	case opts.Accessible:
		u.p = prompt.New(in, out, lang, true)
	default:
		u.run = prompt.TerminalRunner(in, out)
		u.animate = isTerminal(out)
	}
	if u.p != nil && opts.Sandbox {
		u.p = prompt.Sandboxed(u.p, lang)
	}
	return u
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func (u *UI) t(key string, args ...any) string { return u.lang.T(key, args...) }

// label is the sandbox marker put before titles, or "".
func (u *UI) label() string {
	if !u.opts.Sandbox {
		return ""
	}
	return "[" + u.t("prompt.sandbox_label") + "] "
}

// banner is the group title of every form in the sandbox.
func (u *UI) banner() string {
	if !u.opts.Sandbox {
		return ""
	}
	b := u.opts.SandboxBanner
	if b == "" {
		b = u.t("onboard.sandbox_banner")
	}
	return u.label() + b
}

func (u *UI) form(fields ...huh.Field) *huh.Form {
	return prompt.NewForm(u.lang, huh.NewGroup(fields...).Title(u.banner()))
}

// Tutorial shows the steps for bot, one screen each, with Next and Back.
// Back on the first step stays there. Ctrl-C returns a Cancelled error.
func (u *UI) Tutorial(ctx context.Context, bot bots.Bot) error {
	steps := Steps(bot)
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

func (u *UI) step(ctx context.Context, i, n int, s Step) (bool, error) {
	title := u.t("onboard.step_of", i+1, n) + " · " + u.lang.Render(s.Title)
	body := u.lang.Render(s.Body)
	if u.p != nil {
		return u.p.Confirm(ctx, title, body+"\n\n"+u.t("onboard.step_question"), u.t("onboard.next"), u.t("onboard.back"), true)
	}
	next := true
	f := u.form(
		huh.NewNote().Title(title).Description(noteText(body)),
		huh.NewConfirm().Title(u.t("onboard.step_question")).Description(u.t("onboard.step_question_desc")).
			Affirmative(u.t("onboard.next")).Negative(u.t("onboard.back")).Value(&next),
	)
	if err := prompt.Run(ctx, u.run, f); err != nil {
		return false, err
	}
	return next, nil
}

// noteText escapes huh's note markup (_italic_, *bold*, `code`, \) so that
// labels and keys show as typed. Code spans are escaped too: huh v1.0.0
// never closes one, which would style the rest of the note as code.
func noteText(s string) string {
	return strings.NewReplacer(`\`, `\\`, `_`, `\_`, `*`, `\*`, "`", "\\`").Replace(s)
}

// AskCredentials asks for the API key and the secret (masked) on one
// screen. validate runs when the user submits; its message is shown on the
// screen, and the user corrects the values without starting over. The
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
	title := u.t("onboard.creds.title", bot.Name)
	intro := u.t("onboard.creds.intro")
	if u.p != nil {
		return u.askCredentialsPlain(ctx, title, intro, notEmpty, validate)
	}
	var key, sec string
	fields := []huh.Field{huh.NewNote().Title(title).Description(noteText(intro))}
	if demo := u.demoText(); demo != "" {
		fields = append(fields, huh.NewNote().Title(u.t("onboard.demo.title")).Description(noteText(demo)))
	}
	fields = append(fields,
		huh.NewInput().Title(u.t("onboard.creds.key_title")).Description(u.t("onboard.creds.key_desc")).
			Value(&key).Validate(notEmpty("onboard.creds.empty_key")),
		huh.NewInput().Title(u.t("onboard.creds.secret_title")).Description(u.t("onboard.creds.secret_desc")).
			EchoMode(huh.EchoModePassword).Value(&sec).
			Validate(func(s string) error {
				if err := notEmpty("onboard.creds.empty_secret")(s); err != nil {
					return err
				}
				if validate == nil {
					return nil
				}
				if err := validate(key, s); err != nil {
					return prompt.UserError(u.lang, err, s)
				}
				return nil
			}),
	)
	if err := prompt.Run(ctx, u.run, u.form(fields...)); err != nil {
		return "", "", err
	}
	return key, sec, nil
}

func (u *UI) askCredentialsPlain(ctx context.Context, title, intro string, notEmpty func(string) func(string) error, validate func(string, string) error) (string, string, error) {
	desc := intro
	if demo := u.demoText(); demo != "" {
		desc += "\n\n" + u.t("onboard.demo.title") + "\n" + demo
	}
	for {
		key, err := u.p.Input(ctx, title+" · "+u.t("onboard.creds.key_title"), desc+"\n\n"+u.t("onboard.creds.key_desc"), notEmpty("onboard.creds.empty_key"))
		if err != nil {
			return "", "", err
		}
		sec, err := u.p.Password(ctx, u.t("onboard.creds.secret_title"), u.t("onboard.creds.secret_desc"), notEmpty("onboard.creds.empty_secret"))
		if err != nil {
			return "", "", err
		}
		if validate == nil {
			return key, sec, nil
		}
		verr := validate(key, sec)
		if verr == nil {
			return key, sec, nil
		}
		// The key may be the culprit (a swap), so both are asked again.
		fmt.Fprintln(u.out, prompt.UserError(u.lang, verr, sec))
	}
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

// Spin shows title with a spinner while fn runs, or prints title as a plain
// line when out is not a terminal or the UI is accessible. If the user
// interrupts or ctx ends, fn's context is cancelled, Spin waits for fn to
// return (so nothing runs on behind the user's back) and returns Cancelled.
func (u *UI) Spin(ctx context.Context, title string, fn func(context.Context) error) error {
	title = u.label() + title
	if !u.animate {
		fmt.Fprintln(u.out, title)
		return cancelled(ctx, fn(ctx))
	}
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
	runErr := spinner.New().Title(" " + title).Output(u.out).Context(sctx).
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

// cancelled reports fn's failure as Cancelled when it failed because ctx
// ended (the user pressed Ctrl-C while it ran).
func cancelled(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && apperr.KindOf(err) != apperr.Cancelled {
		return prompt.Cancelled(err)
	}
	return err
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
	title := u.t("onboard.recheck.title")
	var choice string
	if u.p != nil {
		var err error
		if choice, err = u.p.Select(ctx, title, b.String(), opts, "now"); err != nil {
			return RecheckQuit, err
		}
	} else {
		choice = "now"
		f := u.form(
			huh.NewNote().Title(title).Description(noteText(b.String())),
			huh.NewSelect[string]().Title(u.t("onboard.recheck.question")).Options(prompt.HuhOptions(opts)...).Value(&choice),
		)
		if err := prompt.Run(ctx, u.run, f); err != nil {
			return RecheckQuit, err
		}
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
	Sandbox        bool
	Next           string // the next command to run, e.g. "smartradex keys verify"
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
	rows = append(rows, row{u.t("onboard.summary.expires"), u.expiry(s.TradingExpiresAt)})
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
