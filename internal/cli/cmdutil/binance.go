package cmdutil

import (
	"github.com/smartradex/smartradex/internal/binance"
)

// BinanceURL is the Binance base URL: --binance-url, else
// SMARTRADEX_BINANCE_URL, else Binance's own.
func (f *Factory) BinanceURL() string {
	if f.Globals.BinanceURL != "" {
		return f.Globals.BinanceURL
	}
	if v := f.Env("SMARTRADEX_BINANCE_URL"); v != "" {
		return v
	}
	return binance.DefaultBaseURL
}

// Binance returns a Binance client for the configured base URL, logging to
// the --debug sink.
func (f *Factory) Binance() (*binance.Client, error) {
	opts := binance.Options{BaseURL: f.BinanceURL()}
	if log := f.DebugLog(); log != nil {
		opts.Log = log
	}
	return binance.New(opts)
}
