package keys

import (
	"context"
	"strings"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/binance"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

// maxSecretInput caps what --secret-stdin reads: an RSA-4096 PEM is ~3.2 KB.
const maxSecretInput = 16 << 10

// PromptFunc asks the user for what is missing (the API key when askKey,
// and always the secret) and returns the answers.
type PromptFunc func(ctx context.Context, askKey bool) (apiKey, secret string, err error)

// Intake is the one way a key comes in, for keys check, add, rotate and
// generate: --api-key or SMARTRADEX_API_KEY, the secret from --secret-stdin
// or SMARTRADEX_API_SECRET, else the prompt. Standard input is checked to
// be no terminal once, and the secret is parsed and registered with the
// redactor once, by Parse, where it is read.
type Intake struct {
	IO        *iostreams.IOStreams
	Lang      i18n.Lang
	Getenv    func(string) string
	AddSecret func(...string)
	Debugf    func(string, ...any)
	// Prompt asks for what flags and environment did not give, on a
	// terminal; nil never asks.
	Prompt PromptFunc

	APIKey      string // --api-key
	SecretStdin bool   // --secret-stdin
	// Command is how hints spell the command, up to --secret-stdin; ""
	// means `smartradex keys check --api-key KEY`.
	Command string
	// Name is the command in the debug log ("keys check").
	Name string

	terminalChecked bool
	terminalErr     error
}

func (in *Intake) env(name string) string {
	if in.Getenv == nil {
		return ""
	}
	return strings.TrimSpace(in.Getenv(name))
}

func (in *Intake) debugf(format string, args ...any) {
	if in.Debugf != nil {
		in.Debugf(format, args...)
	}
}

func (in *Intake) addSecret(s ...string) {
	if in.AddSecret != nil {
		in.AddSecret(s...)
	}
}

// commandLine is how hints spell the command, up to --secret-stdin.
func (in *Intake) commandLine() string {
	cmd := in.Command
	if cmd == "" {
		cmd = "smartradex keys check --api-key KEY"
	}
	if in.Lang == i18n.FR {
		// No English word in a French hint: the placeholder too.
		cmd = strings.Replace(cmd, "--api-key KEY", "--api-key CLÉ", 1)
	}
	return cmd
}

// CheckTerminal refuses --secret-stdin when standard input is a terminal:
// reading it to the end would wait for Ctrl-D while the terminal echoes
// the pasted secret. It looks once; commands call it before any question
// or store is opened, and Read relies on it.
func (in *Intake) CheckTerminal() error {
	if in.terminalChecked || !in.SecretStdin {
		return in.terminalErr
	}
	in.terminalChecked = true
	if in.IO.IsStdinTTY() {
		command := in.commandLine()
		in.terminalErr = apperr.New(apperr.Usage, "keys.secret_stdin_terminal", i18n.M("keys.check.stdin_terminal"),
			i18n.M("keys.check.stdin_terminal_hint_prompt"), i18n.M("keys.check.stdin_terminal_hint_pipe", command, command))
	}
	return in.terminalErr
}

// GivenAPIKey is the API key given by --api-key or SMARTRADEX_API_KEY, or "".
func (in *Intake) GivenAPIKey() string {
	if key := strings.TrimSpace(in.APIKey); key != "" {
		return key
	}
	return in.env("SMARTRADEX_API_KEY")
}

// Given tells whether flags and environment give both the key and the
// secret, so that Read will not prompt.
func (in *Intake) Given() bool {
	return in.GivenAPIKey() != "" && (in.SecretStdin || in.env("SMARTRADEX_API_SECRET") != "")
}

// Read gathers the key and the secret from flags, environment, stdin or
// the prompt, and checks their shape before any network call.
func (in *Intake) Read(ctx context.Context) (binance.Credentials, error) {
	if err := in.CheckTerminal(); err != nil {
		return binance.Credentials{}, err
	}
	key := strings.TrimSpace(in.APIKey)
	keyFrom := "--api-key"
	if key == "" {
		key, keyFrom = in.env("SMARTRADEX_API_KEY"), "SMARTRADEX_API_KEY"
	}
	var secret, secretFrom string
	if in.SecretStdin && key == "" {
		// Standard input carries the secret, so the key cannot be asked for.
		return binance.Credentials{}, apperr.New(apperr.Usage, "keys.missing_credentials", i18n.M("keys.check.missing_key"), i18n.M("keys.check.missing_key_hint"))
	}
	if in.SecretStdin {
		data, tooLarge, err := in.IO.ReadAllLimited(maxSecretInput)
		if err != nil {
			return binance.Credentials{}, apperr.Wrap(apperr.Usage, "keys.secret_unreadable", err, i18n.M("keys.check.secret_unreadable"), i18n.M("keys.check.missing_secret_hint", in.commandLine()))
		}
		if tooLarge {
			return binance.Credentials{}, apperr.New(apperr.Usage, "keys.secret_too_large", i18n.M("keys.check.secret_too_large", maxSecretInput), i18n.M("keys.check.missing_secret_hint", in.commandLine()))
		}
		secret, secretFrom = data, "stdin"
		if secret == "" {
			return binance.Credentials{}, apperr.New(apperr.Usage, "binance.empty_secret", i18n.M("keys.check.stdin_empty"), i18n.M("keys.check.missing_secret_hint", in.commandLine()))
		}
	} else {
		secret, secretFrom = in.env("SMARTRADEX_API_SECRET"), "SMARTRADEX_API_SECRET"
	}
	if key == "" || secret == "" {
		if !in.IO.CanPrompt() || in.SecretStdin || in.Prompt == nil {
			in.addSecret(strings.TrimSpace(secret))
			return binance.Credentials{}, in.missing(key == "", secret == "")
		}
		pk, ps, err := in.Prompt(ctx, key == "")
		if err != nil {
			in.addSecret(strings.TrimSpace(ps), strings.TrimSpace(secret))
			return binance.Credentials{}, err
		}
		if key == "" {
			key, keyFrom = pk, "prompt"
		}
		if secret == "" {
			secret, secretFrom = ps, "prompt"
		}
	}
	creds, err := in.Parse(key, secret)
	if err != nil {
		return binance.Credentials{}, err
	}
	// No part of the key is logged yet: see checkRun.
	in.debugf("%s: key (%s) from %s, secret from %s", in.name(), creds.Type, keyFrom, secretFrom)
	return creds, nil
}

func (in *Intake) name() string {
	if in.Name == "" {
		return "keys check"
	}
	return in.Name
}

// missing is the usage error naming what flags and environment lacked.
func (in *Intake) missing(key, secret bool) error {
	var hints []i18n.Message
	what := ""
	switch {
	case key && secret:
		what = "keys.check.missing_both"
		hints = []i18n.Message{i18n.M("keys.check.missing_key_hint"), i18n.M("keys.check.missing_secret_hint", in.commandLine())}
	case key:
		what = "keys.check.missing_key"
		hints = []i18n.Message{i18n.M("keys.check.missing_key_hint")}
	default:
		what = "keys.check.missing_secret"
		hints = []i18n.Message{i18n.M("keys.check.missing_secret_hint", in.commandLine())}
	}
	return apperr.New(apperr.Usage, "keys.missing_credentials", i18n.M(what), hints...)
}

// Parse checks the shape of a key and its secret (typed, pasted, read
// from stdin, the environment or a store) and registers the secret with
// the redactor, as given and as parsed, whether or not it is well formed.
func (in *Intake) Parse(apiKey, secret string) (binance.Credentials, error) {
	creds, err := binance.ParseCredentials(apiKey, secret)
	in.addSecret(strings.TrimSpace(secret), creds.Secret)
	return creds, err
}
