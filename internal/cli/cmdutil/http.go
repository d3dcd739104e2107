package cmdutil

import (
	"net/http"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
)

// httpClient is the HTTP client of the Binance and SmartradeX clients when
// SMARTRADEX_HTTP_TIMEOUT sets how long one request may take (a Go
// duration such as "30s", or a number of seconds), and nil otherwise, so
// that each client keeps its own default. A slow link needs more than the
// defaults; a CI job may want to give up sooner.
func (f *Factory) httpClient() (*http.Client, error) {
	v := f.env("SMARTRADEX_HTTP_TIMEOUT")
	if v == "" {
		return nil, nil
	}
	d, ok := parseTimeout(v)
	if !ok {
		return nil, apperr.New(apperr.Usage, "http.bad_timeout",
			i18n.M("http.bad_timeout"), i18n.M("http.bad_timeout_hint"))
	}
	return httpx.NewClient(d), nil
}
