package service

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/httpx"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
	"github.com/smartradex/smartradex/internal/safetext"
)

// maxMessage caps, in characters, the service's own words inside one of
// our messages.
const maxMessage = safetext.MaxMessage

// apiError is the decoded {"error": {"code", "message"}} body. Both fields
// are safe to print: the code matches errorCode, the message went through
// cleanMessage.
type apiError struct {
	Code    string
	Message string
	// What a check answered (binance_rejected, key_refused): Binance's
	// code, the service's address (cleaned: "" unless an IP address) and
	// the policy's findings (identifiers only).
	BinanceCode int
	SeenFrom    string
	Findings    []RefusedFinding
}

// errorCode is compiled on first use: its bounded repetition makes a large
// program, and start-up should not pay for it.
var errorCode = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_.-]{0,63}$`) })

// decodeError reads the service's error body. It never fails: anything
// that is not the documented shape decodes to empty fields, and the caller
// falls back on the HTTP status alone.
func decodeError(body []byte, scrub *redact.Redactor) apiError {
	var env struct {
		Error struct {
			Code        json.RawMessage `json:"code"`
			Message     json.RawMessage `json:"message"`
			BinanceCode json.RawMessage `json:"binance_code"`
			SeenFrom    json.RawMessage `json:"seen_from"`
			Findings    json.RawMessage `json:"findings"`
		} `json:"error"`
	}
	if len(body) > maxBody || json.Unmarshal(body, &env) != nil {
		return apiError{}
	}
	var out apiError
	var code, msg string
	if json.Unmarshal(env.Error.Code, &code) == nil && errorCode().MatchString(code) {
		out.Code = code
	}
	if json.Unmarshal(env.Error.Message, &msg) == nil {
		out.Message = cleanMessage(msg, scrub)
	}
	var bc int
	if json.Unmarshal(env.Error.BinanceCode, &bc) == nil && bc < 0 && bc > -100000 {
		out.BinanceCode = bc
	}
	var from string
	if json.Unmarshal(env.Error.SeenFrom, &from) == nil {
		out.SeenFrom = cleanAddr(from)
	}
	out.Findings = decodeFindings(env.Error.Findings)
	return out
}

// cleanMessage makes text from the service fit to print: secrets scrubbed
// (before and after control characters are removed, so that they cannot be
// smuggled through split by invisible characters), one line, bounded.
func cleanMessage(s string, scrub *redact.Redactor) string {
	s = scrub.Redact(s)
	s = cleanText(s)
	s = scrub.Redact(s)
	return safetext.Cap(s, maxMessage)
}

// sanitizeText makes untrusted text fit to print (see safetext.Clean).
func sanitizeText(s string, max int) string { return safetext.Clean(s, max) }

// cleanText is safetext.Clean without a cap.
func cleanText(s string) string { return safetext.Clean(s, 0) }

// statusError is the technical cause attached to a mapped HTTP error; it
// shows in --debug output and after the explanation, never a secret.
type statusError struct {
	Status int
	Code   string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d%s", e.Status, codeSuffix(e.Code)) }

func retryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// retryableNetError is false for failures that another attempt cannot fix:
// an untrusted certificate stays untrusted.
func retryableNetError(err error) bool {
	return !isTLSTrust(err)
}

func isTLSTrust(err error) bool {
	var (
		unknown   x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verifyErr *tls.CertificateVerificationError
	)
	return errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &hostname) || errors.As(err, &verifyErr)
}

// ctxError reports the caller's cancellation. A PUT or DELETE that was cut
// short may still have reached the service, and the user is told so rather
// than "nothing was changed".
func ctxError(ctx context.Context, cl call) error {
	err := ctx.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		switch cl.method {
		case http.MethodPut:
			return apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("service.cancelled_put", cl.bot), i18n.M("service.sync_hint"))
		case http.MethodDelete:
			return apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("service.cancelled_delete", cl.bot))
		}
		return apperr.Wrap(apperr.Cancelled, "cancelled", err, i18n.M("error.cancelled"))
	default:
		return unavailable(cl, 0, err)
	}
}

func (c *Client) networkFailure(cl call, err error, attempt int) error {
	if isTLSTrust(err) {
		return apperr.Wrap(apperr.Unavailable, "service.tls", err, i18n.M("service.tls", c.base.Host), i18n.M("service.tls_hint"))
	}
	return unavailable(cl, attempt, err)
}

// unavailable is the end of the retries. attempts is 0 when the caller's own
// deadline ran out.
func unavailable(cl call, attempts int, cause error) error {
	msg := i18n.M("service.unavailable", attempts)
	if attempts == 0 {
		msg = i18n.M("service.unavailable_deadline")
	}
	hints := []i18n.Message{i18n.M("service.retry_hint")}
	if attempts > 0 && httpx.IsTimeout(cause) {
		hints = append(hints, i18n.M("service.timeout_hint"))
	}
	if cl.registering {
		hints = append(hints, i18n.M("service.sync_hint"))
	}
	return apperr.Wrap(apperr.Unavailable, "service.unavailable", cause, msg, hints...)
}

// unavailableWait is a Retry-After longer than the backoff budget: the CLI
// does not hang that long, it says when to come back.
func unavailableWait(cl call, wait time.Duration, cause error) error {
	hints := []i18n.Message{i18n.M("service.retry_in_hint", i18n.Delay(wait))}
	if cl.registering {
		hints = append(hints, i18n.M("service.sync_hint"))
	}
	return apperr.Wrap(apperr.Unavailable, "service.unavailable", cause, i18n.M("service.unavailable_wait", i18n.Delay(wait)), hints...)
}

func badResponse(cause error) error {
	return apperr.Wrap(apperr.Unavailable, "service.bad_response", cause, i18n.M("service.bad_response"), i18n.M("service.bad_response_hint"))
}

// detail is the service's message, or a neutral placeholder when it sent none.
func detail(e apiError) any {
	if e.Message == "" {
		return i18n.M("service.no_details")
	}
	return e.Message
}

// mapStatus turns a final non-2xx answer into the documented error.
func (c *Client) mapStatus(cl call, res *result) error {
	if res.tooBig {
		return c.badResponse(fmt.Errorf("%s %s: HTTP %d, body over %d bytes", cl.method, cl.path, res.status, maxBody))
	}
	e := res.decoded
	cause := &statusError{Status: res.status, Code: e.Code}
	switch {
	case res.status == http.StatusUnauthorized:
		return apperr.Wrap(apperr.Rejected, "service.unauthorized", cause, i18n.M("service.unauthorized"),
			i18n.M("service.login_hint"), i18n.M("service.env_token_hint"))

	case res.status == http.StatusForbidden && e.Code == "not_subscribed" && cl.bot != "":
		return apperr.Wrap(apperr.Rejected, "service.not_subscribed", cause, i18n.M("service.not_subscribed", cl.bot),
			i18n.M("service.subscribe_hint", cl.bot))

	case res.status == http.StatusForbidden:
		return apperr.Wrap(apperr.Rejected, "service.forbidden", cause, i18n.M("service.forbidden", detail(e)), i18n.M("service.contact_hint"))

	case res.status == http.StatusNotFound && e.Code == "unknown_bot" && cl.bot != "":
		return apperr.Wrap(apperr.Usage, "service.unknown_bot", cause, i18n.M("service.unknown_bot", cl.bot), i18n.M("service.unknown_bot_hint"))

	case res.status == http.StatusNotFound && cl.bot != "" && cl.method != http.MethodPut:
		return apperr.Wrap(apperr.Unexpected, "service.not_registered", ErrNotFound, i18n.M("service.not_registered", cl.bot), i18n.M("service.not_registered_hint"))

	case res.status == http.StatusConflict && e.Code == "key_in_use":
		return apperr.Wrap(apperr.Refused, "service.key_in_use", cause, i18n.M("service.key_in_use", cl.bot, detail(e)),
			i18n.M("service.key_in_use_hint", cl.bot))

	case res.status == http.StatusConflict && e.Code == "vault_key_changed":
		return apperr.Wrap(apperr.Refused, "service.vault_key_rotated", cause, i18n.M("service.vault_key_rotated", cl.bot),
			i18n.M("service.retry_hint"))

	case res.status == http.StatusConflict:
		return apperr.Wrap(apperr.Refused, "service.conflict", cause, i18n.M("service.conflict", detail(e)), i18n.M("service.contact_hint"))

	case res.status == http.StatusUnprocessableEntity && e.Code == "binance_rejected" && cl.bot != "":
		// Binance refused the key from SmartradeX's address: the caller
		// knows the addresses and words the hint (see RejectedError).
		return apperr.Wrap(apperr.Rejected, "service.binance_rejected", &RejectedError{BinanceCode: e.BinanceCode, SeenFrom: e.SeenFrom},
			i18n.M("service.binance_rejected", cl.bot, seenFrom(e.SeenFrom), e.BinanceCode), i18n.M("service.binance_rejected_hint"))

	case res.status == http.StatusUnprocessableEntity && e.Code == "key_refused" && cl.bot != "":
		return apperr.Wrap(apperr.Refused, "service.key_refused", &RefusedError{Findings: e.Findings},
			i18n.M("service.key_refused", cl.bot), refusedHints(e.Findings)...)

	case res.status == http.StatusUnprocessableEntity || res.status == http.StatusBadRequest:
		if cl.method == http.MethodPut {
			return apperr.Wrap(apperr.Refused, "service.invalid", cause, i18n.M("service.invalid", cl.bot, detail(e)), i18n.M("service.invalid_hint"))
		}
		return apperr.Wrap(apperr.Refused, "service.invalid", cause, i18n.M("service.invalid_request", detail(e)), i18n.M("service.update_hint"))

	case res.status >= 300 && res.status < 400:
		// Where it points is not shown: a Location may carry anything.
		return c.badResponse(fmt.Errorf("%s %s: HTTP %d redirect, not followed", cl.method, cl.path, res.status))
	}
	return c.badResponse(fmt.Errorf("%s %s: unexpected %w", cl.method, cl.path, cause))
}

// badResponse adds, for a non-default base URL, the hint that the URL itself
// may be wrong (a web site instead of the API answers 404 and HTML).
func (c *Client) badResponse(cause error) error {
	var err *apperr.Error
	_ = errors.As(badResponse(cause), &err)
	if c.base.String() != defaultBaseURL {
		err.Hints = append(err.Hints, i18n.M("service.check_url_hint", c.base.String()))
	}
	return err
}
