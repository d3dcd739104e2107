package binance

import (
	"context"
	"errors"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
)

// explain turns what fetch returned into an *apperr.Error with a message
// and hints in the user's language. No message carries a query string, a
// signature or a secret: network errors have their URLs stripped, and
// Binance's own message was cleaned where it was read (classify).
func (c *Client) explain(err error) error {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("error.cancelled"))
	}
	var api *apiError
	if errors.As(err, &api) {
		return explainCode(api)
	}
	var te *transientError
	if errors.As(err, &te) {
		return c.explainTransient(te)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return apperr.Wrap(apperr.Unavailable, "binance.timeout", err, i18n.M("binance.timeout", c.base), i18n.M("binance.retry_later_hint"))
	}
	return apperr.Wrap(apperr.Unavailable, "binance.unreachable", httpx.StripURLs(err), i18n.M("binance.unreachable", c.base), i18n.M("binance.unreachable_hint"))
}

func explainCode(e *apiError) *apperr.Error {
	switch e.Code {
	case -2014:
		return apperr.Wrap(apperr.Rejected, "binance.bad_api_key_format", e, i18n.M("binance.bad_api_key_format"), i18n.M("binance.creds.paste_again_hint"), i18n.M("binance.creds.swapped_hint"))
	case -2015:
		return apperr.Wrap(apperr.Rejected, "binance.key_rejected", e, i18n.M("binance.key_rejected"),
			i18n.M("binance.key_rejected_hint_exists"), i18n.M("binance.key_rejected_hint_ip"), i18n.M("binance.key_rejected_hint_us"), i18n.M("binance.creds.swapped_hint"))
	case -1022:
		return apperr.Wrap(apperr.Rejected, "binance.invalid_signature", e, i18n.M("binance.invalid_signature"), i18n.M("binance.invalid_signature_hint"), i18n.M("binance.invalid_signature_hint_lost"))
	case -1021:
		return apperr.Wrap(apperr.Unavailable, "binance.clock_skew", e, i18n.M("binance.clock_skew"), i18n.M("binance.clock_skew_hint"))
	}
	return apperr.Wrap(apperr.Unavailable, "binance.error", e, i18n.M("binance.error", e.Code, e.Msg), i18n.M("binance.retry_later_hint"))
}

func (c *Client) explainTransient(te *transientError) *apperr.Error {
	if te.rateLimited {
		now := c.now()
		wait := te.retryAt.Sub(now)
		if te.retryAt.IsZero() || wait < time.Second {
			wait = time.Minute
			te.retryAt = now.Add(wait)
		}
		code, key := "binance.rate_limited", "binance.rate_limited"
		if te.status == 418 {
			code, key = "binance.ip_banned", "binance.ip_banned"
		}
		return apperr.Wrap(apperr.Unavailable, code, te, i18n.M(key), i18n.M("binance.retry_at_hint", i18n.Delay(wait), i18n.At(te.retryAt, now)))
	}
	if te.status >= 500 {
		return apperr.Wrap(apperr.Unavailable, "binance.server_error", te, i18n.M("binance.server_error", te.status, te.attempts), i18n.M("binance.retry_later_hint"))
	}
	if te.cutShort && !httpx.IsTimeout(te.err) {
		return badResponse(i18n.M("binance.why.truncated"), te.err)
	}
	if httpx.IsTimeout(te.err) {
		return apperr.Wrap(apperr.Unavailable, "binance.timeout", te.err, i18n.M("binance.timeout", c.base), i18n.M("binance.unreachable_hint"), i18n.M("binance.timeout_hint"))
	}
	return apperr.Wrap(apperr.Unavailable, "binance.unreachable", te.err, i18n.M("binance.unreachable", c.base), i18n.M("binance.unreachable_hint"))
}

// APICode returns the error code Binance answered with, when err carries
// one (a refusal such as -2015), for callers that report it as data (the
// service's key checks).
func APICode(err error) (int64, bool) {
	var api *apiError
	if errors.As(err, &api) && api.Code != 0 {
		return api.Code, true
	}
	return 0, false
}
