package cmdutil

import (
	"github.com/smartradex/smartradex/internal/binance"
)

// binanceURL is the Binance base URL: the sandbox's stand-in, else
// --binance-url, else SMARTRADEX_BINANCE_URL, else Binance's own.
func (f *Factory) binanceURL() string {
	if f.SandboxOn() {
		if sb, err := f.Sandbox(); err == nil {
			return sb.BinanceURL
		}
		// Never fall back to the real Binance in a sandbox run; Binance()
		// reports why the sandbox did not start.
		return ""
	}
	if f.Globals.BinanceURL != "" {
		return f.Globals.BinanceURL
	}
	if v := f.env("SMARTRADEX_BINANCE_URL"); v != "" {
		return v
	}
	return binance.DefaultBaseURL
}

// Binance returns a Binance client for the configured base URL, logging to
// the --debug sink.
func (f *Factory) Binance() (*binance.Client, error) {
	if f.SandboxOn() {
		if _, err := f.Sandbox(); err != nil {
			return nil, err
		}
	}
	hc, err := f.httpClient()
	if err != nil {
		return nil, err
	}
	opts := binance.Options{BaseURL: f.binanceURL(), HTTP: hc}
	if log := f.debugLog(); log != nil {
		opts.Log = log
	}
	return binance.New(opts)
}
