// Package cmdutil carries what every smartradex command shares: the global
// flags, the IO streams, the user's language, the debug log, and helpers to
// print tables and JSON. Dependencies are built lazily so that start-up does
// no file, keyring or network work.
package cmdutil

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
	"github.com/smartradex/smartradex/internal/prompt"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/sandbox"
)

// Globals are the values of the global flags (and their environment variables).
type Globals struct {
	JSON       bool
	NoInput    bool
	Lang       string
	Debug      bool
	BinanceURL string // --binance-url, else SMARTRADEX_BINANCE_URL
	ServiceURL string // --service-url, else SMARTRADEX_SERVICE_URL
	ConfigDir  string // --config-dir, else SMARTRADEX_CONFIG_DIR
	Keyring    string // --keyring, else SMARTRADEX_KEYRING
	Sandbox    bool   // --sandbox, else SMARTRADEX_SANDBOX=1
	// AcceptVaultKey is --accept-vault-key: a vault key ID to trust (a
	// public value, not a secret).
	AcceptVaultKey string
}

// Factory gives commands their dependencies.
type Factory struct {
	IO       *iostreams.IOStreams
	Getenv   func(string) string
	Now      func() time.Time
	Globals  *Globals
	Redactor *redact.Redactor
	// WatchInterrupts, when set, makes Ctrl-C and SIGTERM cancel the
	// command's context from then on. The root command calls it before
	// any command that does more than print (see cli.Main).
	WatchInterrupts func()
	// Prompt asks the questions; nil until Prompter builds the terminal's.
	Prompt prompt.Prompter

	lang      i18n.Lang
	debugMu   sync.Mutex // Debugf is called from concurrent requests
	debugFrom time.Time
	stores    factoryStores
	sandbox   sandboxSlot
	sandboxOn bool
	network   networkOnce
	trust     trustOnce
}

// New returns a Factory over the given streams and environment.
func New(io *iostreams.IOStreams, getenv func(string) string) *Factory {
	return &Factory{
		IO:       io,
		Getenv:   getenv,
		Now:      time.Now,
		Globals:  &Globals{},
		Redactor: &redact.Redactor{},
		lang:     i18n.EN,
		// The environment's answer, for a Factory used without the
		// command tree; the root command decides with the flags too.
		sandboxOn: sandbox.Enabled(getenv),
	}
}

// SetLang fixes the language once flags are parsed.
func (f *Factory) SetLang(l i18n.Lang) { f.lang = l }

// Lang is the user's language.
func (f *Factory) Lang() i18n.Lang { return f.lang }

// T renders a catalogue message in the user's language.
func (f *Factory) T(key string, args ...any) string { return f.lang.T(key, args...) }

// env returns an environment variable, trimmed.
func (f *Factory) env(name string) string { return strings.TrimSpace(f.Getenv(name)) }

// Debugf writes a diagnostic line to stderr when --debug is on. Every line
// passes through the redactor, so a secret registered with AddSecret is
// never printed even if a caller formats it by mistake.
func (f *Factory) Debugf(format string, args ...any) {
	if !f.Globals.Debug {
		return
	}
	f.debugMu.Lock()
	defer f.debugMu.Unlock()
	if f.debugFrom.IsZero() {
		f.debugFrom = time.Now()
	}
	line := fmt.Sprintf(format, args...)
	fmt.Fprintf(f.IO.ErrOut, "debug: +%dms %s\n", time.Since(f.debugFrom).Milliseconds(), f.Redactor.Redact(line))
}

// debugLog returns Debugf when --debug is on, else nil (so clients skip work).
func (f *Factory) debugLog() func(string, ...any) {
	if !f.Globals.Debug {
		return nil
	}
	return f.Debugf
}
