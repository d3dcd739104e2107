package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/policy"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
)

// maxSecretInput caps what --secret-stdin reads: an RSA-4096 PEM is ~3.2 KB.
const maxSecretInput = 16 << 10

// Inspector is the part of the Binance client `keys check` needs.
type Inspector interface {
	Inspect(ctx context.Context, creds binance.Credentials) (*binance.Inspection, error)
}

// PromptFunc asks the user for what is missing (the API key when askKey,
// and always the secret) and returns the answers.
type PromptFunc func(ctx context.Context, askKey bool) (apiKey, secret string, err error)

// CheckOptions holds the flags and dependencies of `keys check`.
type CheckOptions struct {
	IO        *iostreams.IOStreams
	Lang      i18n.Lang
	Getenv    func(string) string
	Now       func() time.Time
	AddSecret func(...string)
	Debugf    func(string, ...any)
	Binance   func() (Inspector, error)
	Prompt    PromptFunc

	JSON        bool
	APIKey      string
	SecretStdin bool
	// Command is how hints spell the command, up to --secret-stdin;
	// "" means `smartradex keys check --api-key KEY`.
	Command string
}

// NewCmdCheck builds `smartradex keys check`. runF replaces checkRun in tests.
func NewCmdCheck(f *cmdutil.Factory, runF func(*CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{
		IO:        f.IO,
		Lang:      f.Lang(),
		Getenv:    f.Getenv,
		Now:       f.Now,
		AddSecret: f.AddSecret,
		Debugf:    f.Debugf,
		Binance: func() (Inspector, error) {
			c, err := f.Binance()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
	}
	opts.Prompt = promptCredentials(opts, f.Prompter)
	cmd := &cobra.Command{
		Use:     "check",
		Short:   f.T("keys.check.short"),
		Long:    f.T("keys.check.long"),
		Example: f.T("keys.check.example"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.JSON = f.Globals.JSON
			opts.Lang = f.Lang()
			if runF != nil {
				return runF(opts)
			}
			return checkRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.APIKey, "api-key", "", f.T("keys.check.flag_api_key"))
	cmd.Flags().BoolVar(&opts.SecretStdin, "secret-stdin", false, f.T("keys.check.flag_secret_stdin"))
	return cmd
}

func (o *CheckOptions) env(name string) string {
	if o.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(o.Getenv(name))
}

func (o *CheckOptions) debugf(format string, args ...any) {
	if o.Debugf != nil {
		o.Debugf(format, args...)
	}
}

// readCredentials gathers the key and the secret from flags, environment,
// stdin or prompts, and checks their shape before any network call.
func readCredentials(ctx context.Context, o *CheckOptions) (binance.Credentials, error) {
	key := strings.TrimSpace(o.APIKey)
	keyFrom := "--api-key"
	if key == "" {
		key, keyFrom = o.env("SMARTRADEX_API_KEY"), "SMARTRADEX_API_KEY"
	}
	var secret, secretFrom string
	if o.SecretStdin {
		if err := secretStdinOnTerminal(o.IO, o.commandLine()); err != nil {
			return binance.Credentials{}, err
		}
	}
	if o.SecretStdin && key == "" {
		// Standard input carries the secret, so the key cannot be asked for.
		return binance.Credentials{}, apperr.New(apperr.Usage, "keys.missing_credentials", i18n.M("keys.check.missing_key"), i18n.M("keys.check.missing_key_hint"))
	}
	if o.SecretStdin {
		data, tooLarge, err := o.IO.ReadAllLimited(maxSecretInput)
		if err != nil {
			return binance.Credentials{}, apperr.Wrap(apperr.Usage, "keys.secret_unreadable", err, i18n.M("keys.check.secret_unreadable"), i18n.M("keys.check.missing_secret_hint", o.commandLine()))
		}
		if tooLarge {
			return binance.Credentials{}, apperr.New(apperr.Usage, "keys.secret_too_large", i18n.M("keys.check.secret_too_large", maxSecretInput), i18n.M("keys.check.missing_secret_hint", o.commandLine()))
		}
		secret, secretFrom = data, "stdin"
		if secret == "" {
			return binance.Credentials{}, apperr.New(apperr.Usage, "binance.empty_secret", i18n.M("keys.check.stdin_empty"), i18n.M("keys.check.missing_secret_hint", o.commandLine()))
		}
	} else if v := o.Getenv; v != nil {
		secret, secretFrom = strings.TrimSpace(v("SMARTRADEX_API_SECRET")), "SMARTRADEX_API_SECRET"
	}
	if secret != "" && o.AddSecret != nil {
		o.AddSecret(secret)
	}
	if key == "" || secret == "" {
		if o.IO.CanPrompt() && !o.SecretStdin && o.Prompt != nil {
			pk, ps, err := o.Prompt(ctx, key == "")
			if o.AddSecret != nil {
				o.AddSecret(ps)
			}
			if err != nil {
				return binance.Credentials{}, err
			}
			if key == "" {
				key, keyFrom = pk, "prompt"
			}
			if secret == "" {
				secret, secretFrom = ps, "prompt"
			}
		} else {
			var hints []i18n.Message
			what := ""
			switch {
			case key == "" && secret == "":
				what = "keys.check.missing_both"
				hints = []i18n.Message{i18n.M("keys.check.missing_key_hint"), i18n.M("keys.check.missing_secret_hint", o.commandLine())}
			case key == "":
				what = "keys.check.missing_key"
				hints = []i18n.Message{i18n.M("keys.check.missing_key_hint")}
			default:
				what = "keys.check.missing_secret"
				hints = []i18n.Message{i18n.M("keys.check.missing_secret_hint", o.commandLine())}
			}
			return binance.Credentials{}, apperr.New(apperr.Usage, "keys.missing_credentials", i18n.M(what), hints...)
		}
	}
	creds, err := binance.ParseCredentials(key, secret)
	if err != nil {
		return binance.Credentials{}, err
	}
	if o.AddSecret != nil {
		o.AddSecret(creds.Secret)
	}
	// No part of the key is logged yet: see checkRun.
	o.debugf("keys check: key (%s) from %s, secret from %s", creds.Type, keyFrom, secretFrom)
	return creds, nil
}

// secretStdinOnTerminal refuses --secret-stdin when standard input is a
// terminal: reading it to the end would wait for Ctrl-D while the terminal
// echoes the pasted secret. command is how the hint spells the command.
// commandLine is how hints spell the command, up to --secret-stdin.
func (o *CheckOptions) commandLine() string {
	if o.Command == "" {
		return "smartradex keys check --api-key KEY"
	}
	return o.Command
}

func secretStdinOnTerminal(io *iostreams.IOStreams, command string) error {
	if !io.IsStdinTTY() {
		return nil
	}
	return apperr.New(apperr.Usage, "keys.secret_stdin_terminal", i18n.M("keys.check.stdin_terminal"),
		i18n.M("keys.check.stdin_terminal_hint_prompt"), i18n.M("keys.check.stdin_terminal_hint_pipe", command, command))
}

func checkRun(ctx context.Context, o *CheckOptions) error {
	creds, err := readCredentials(ctx, o)
	if err != nil {
		return err
	}
	client, err := o.Binance()
	if err != nil {
		return err
	}
	// An HMAC secret and an API key are both 64 letters and digits, so a
	// pair pasted the wrong way round passes every local check: until
	// Binance has recognised the key, the "key" may be the secret, and no
	// part of it (not even the masked first and last four characters) is
	// shown. If Binance refuses it, it never is.
	if !o.JSON && o.IO.IsStderrTTY() {
		fmt.Fprintln(o.IO.ErrOut, o.Lang.T("keys.check.checking"))
	}
	start := time.Now()
	insp, err := client.Inspect(ctx, creds)
	if err != nil {
		return err
	}
	o.debugf("keys check: Binance recognised key %s in %s (uid %d, clock resynced: %v)", redact.MaskKey(creds.APIKey), time.Since(start).Round(time.Millisecond), insp.UID, insp.Resynced)
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	verdict, err := policy.Judge(insp.Restrictions, now)
	if err != nil {
		return err
	}
	if o.JSON {
		err = printCheckJSON(o, creds, insp, verdict)
	} else {
		printCheckHuman(o, creds, insp, verdict)
	}
	if err != nil {
		return err
	}
	if !verdict.OK() {
		return cmdutil.Reported(apperr.Refused)
	}
	return nil
}

type findingJSON struct {
	Code    string `json:"code"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

type checkJSON struct {
	OK               bool          `json:"ok"`
	APIKey           string        `json:"api_key"`
	KeyType          string        `json:"key_type"`
	UID              int64         `json:"uid"`
	Problems         []findingJSON `json:"problems"`
	Warnings         []findingJSON `json:"warnings"`
	TradingExpiresAt *string       `json:"trading_expires_at,omitempty"`
}

func findingsJSON(l i18n.Lang, fs []policy.Finding) []findingJSON {
	out := []findingJSON{}
	for _, f := range fs {
		out = append(out, findingJSON{Code: f.Code, Field: f.Field, Message: l.Render(f.Message)})
	}
	return out
}

func printCheckJSON(o *CheckOptions, creds binance.Credentials, insp *binance.Inspection, v policy.Verdict) error {
	return cmdutil.PrintJSON(o.IO.Out, newCheckJSON(o.Lang, creds, insp, v))
}

// newCheckJSON is the verdict as `keys check --json` prints it, and as the
// first fields of `keys add --json`.
func newCheckJSON(l i18n.Lang, creds binance.Credentials, insp *binance.Inspection, v policy.Verdict) checkJSON {
	res := checkJSON{
		OK:       v.OK(),
		APIKey:   redact.MaskKey(creds.APIKey),
		KeyType:  string(creds.Type),
		UID:      insp.UID,
		Problems: findingsJSON(l, v.Problems),
		Warnings: findingsJSON(l, v.Warnings),
	}
	if v.TradingExpiresAt != nil {
		s := v.TradingExpiresAt.UTC().Format(time.RFC3339)
		res.TradingExpiresAt = &s
	}
	return res
}

func printCheckHuman(o *CheckOptions, creds binance.Credentials, insp *binance.Inspection, v policy.Verdict) {
	l, io := o.Lang, o.IO
	out := io.Out
	info := [][]string{
		{l.T("keys.check.field_key"), fmt.Sprintf("%s (%s)", redact.MaskKey(creds.APIKey), creds.Type)},
		{l.T("keys.check.field_uid"), fmt.Sprint(insp.UID)},
	}
	if v.CreatedAt != nil {
		info = append(info, []string{l.T("keys.check.field_created"), v.CreatedAt.Local().Format("2006-01-02")})
	}
	for _, row := range info {
		fmt.Fprintf(out, "%s %s\n", row[0], row[1])
	}
	fmt.Fprintln(out)
	var rows [][]string
	for _, r := range v.Rights {
		state := l.T("keys.check.off")
		if r.On {
			state = l.T("keys.check.on")
		}
		verdict := io.Green(l.T("keys.check.right_ok"))
		if !r.OK {
			verdict = io.Red(l.T("keys.check.right_problem"))
		}
		rows = append(rows, []string{l.Render(r.Label), state, verdict})
	}
	cmdutil.Table(out, []string{l.T("keys.check.col_right"), l.T("keys.check.col_state"), l.T("keys.check.col_verdict")}, rows)
	fmt.Fprintln(out)
	if v.OK() {
		fmt.Fprintln(out, io.Green(l.T("keys.check.accepted")))
	} else {
		fmt.Fprintln(out, io.Red(l.T("keys.check.refused", len(v.Problems))))
		for _, p := range v.Problems {
			fmt.Fprintf(out, "  - %s\n", l.Render(p.Message))
		}
	}
	for _, w := range v.Warnings {
		fmt.Fprintf(out, "%s%s\n", io.Yellow(l.T("keys.check.warning_prefix")), l.Render(w.Message))
	}
	if v.OK() {
		fmt.Fprintln(out, l.T("keys.check.transfer_note"))
	}
}

// promptCredentials asks for the key and the secret on one screen; the
// secret is masked as it is typed or pasted.
func promptCredentials(o *CheckOptions, p func() prompt.Prompter) PromptFunc {
	return func(ctx context.Context, askKey bool) (string, string, error) {
		l := o.Lang
		var key, secret string
		notEmpty := func(s string) error {
			if strings.TrimSpace(s) == "" {
				return errors.New(l.T("keys.check.prompt_required"))
			}
			return nil
		}
		var screen prompt.Screen
		if askKey {
			screen.Fields = append(screen.Fields, prompt.InputField(&key, l.T("keys.check.prompt_key"), l.T("keys.check.prompt_key_help"), notEmpty))
		}
		screen.Fields = append(screen.Fields, prompt.PasswordField(&secret, l.T("keys.check.prompt_secret"), l.T("keys.check.prompt_secret_help"), notEmpty))
		if err := prompt.Ask(ctx, p(), screen); err != nil {
			return "", "", err
		}
		return key, secret, nil
	}
}
