package cmdutil

import (
	"context"
	"fmt"
	"sync"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/sandbox"
	"github.com/smartradex/smartradex/internal/secrets"
)

const sandboxToken = sandbox.Token

// sandboxSlot is a Factory's sandbox, started at most once.
type sandboxSlot struct {
	once sync.Once
	sb   *sandbox.Sandbox
	err  error
}

// ResolveSandbox decides whether this run is a sandbox run: --sandbox, or
// SMARTRADEX_SANDBOX=1. The root command calls it once the flags are
// parsed, before any command runs; SandboxOn reads the answer.
func (f *Factory) ResolveSandbox() {
	f.sandboxOn = f.Globals.Sandbox || sandbox.Enabled(f.Getenv)
}

// SandboxOn tells whether this run is a sandbox run, as ResolveSandbox
// decided.
func (f *Factory) SandboxOn() bool { return f.sandboxOn }

// Sandbox starts (once per process) the sandbox's stand-ins in its own
// home. Every factory method that reaches Binance, the service, the secret
// store or the index goes through it in a sandbox run, so that no command
// can reach the real ones.
func (f *Factory) Sandbox() (*sandbox.Sandbox, error) {
	slot := &f.sandbox
	slot.once.Do(func() {
		dir, err := sandbox.DefaultDir(f.Getenv)
		if err != nil {
			slot.err = apperr.Wrap(apperr.Unexpected, "sandbox.start", err, i18n.M("sandbox.start_failed"))
			return
		}
		sb, err := sandbox.Start(context.Background(), dir)
		if err != nil {
			slot.err = apperr.Wrap(apperr.Unexpected, "sandbox.start", err, i18n.M("sandbox.start_failed"))
			return
		}
		slot.sb = sb
		f.Debugf("sandbox: home %s, Binance stand-in %s, service stand-in %s", dir, sb.BinanceURL, sb.ServiceURL)
	})
	return slot.sb, slot.err
}

// sandboxStore is the sandbox's encrypted file store, whatever backend is
// asked for: the real keyring is never touched.
func (f *Factory) sandboxStore(dir string) (secrets.Store, error) {
	return secrets.Open(secrets.Options{
		Backend:          secrets.BackendFile,
		Dir:              dir,
		ScryptWorkFactor: sandbox.ScryptWorkFactor,
		Passphrase:       func(context.Context) (string, error) { return sandbox.Passphrase, nil },
	})
}

// Finish saves the sandbox's state and stops it, if this run started one.
// cli.Run calls it once the command is over.
func (f *Factory) Finish() {
	sb := f.sandbox.sb
	// A later Sandbox call (a test that runs again) starts afresh.
	f.sandbox = sandboxSlot{}
	if sb == nil {
		return
	}
	if err := sb.Close(context.Background()); err != nil {
		fmt.Fprintln(f.IO.ErrOut, f.T("error.prefix")+f.T("sandbox.save_failed", err.Error()))
	}
}

// AnnotationLabelsScreens marks a command whose guided screens each show
// the sandbox banner, so that the banner is not printed once more above
// them when the command can prompt.
const AnnotationLabelsScreens = "smartradex/labels-screens"

// SandboxLabel is the on-screen marker of sandbox output in lang, or ""
// outside the sandbox.
func SandboxLabel(lang i18n.Lang, on bool) string {
	if !on {
		return ""
	}
	return "[" + lang.T("prompt.sandbox_label") + "]"
}
