// Package apperr defines the error categories that smartradex maps to its
// documented exit codes. Packages that talk to Binance, the SmartradeX
// service or a secret store return *Error values so that the command layer
// can choose an exit code and a localised message without parsing text.
package apperr

import (
	"errors"
	"fmt"

	"github.com/smartradex/smartradex/internal/i18n"
)

// Kind is an error category. Its numeric value is the process exit code.
type Kind int

// The documented exit codes (see `smartradex help exit-codes`).
const (
	OK          Kind = 0
	Unexpected  Kind = 1   // a bug, or a local fault with no better category
	Usage       Kind = 2   // bad flags, malformed input
	Refused     Kind = 3   // the key breaks the policy, or the service refused it (409/422)
	Rejected    Kind = 4   // credentials rejected by Binance or the service
	Unavailable Kind = 5   // a remote could not be reached or kept failing after retries
	Cancelled   Kind = 130 // the user pressed Ctrl-C or declined a confirmation
)

// Error is a categorised, localisable error. Message and Hints are rendered
// in the user's language by the command layer; Error() renders English so
// that logs and tests have a stable text.
type Error struct {
	Kind    Kind
	Code    string // stable machine-readable code, e.g. "binance.invalid_signature"
	Message i18n.Message
	Hints   []i18n.Message
	Err     error // the underlying cause, if any
}

func (e *Error) Error() string {
	s := i18n.EN.Render(e.Message)
	if e.Err != nil {
		s = fmt.Sprintf("%s: %v", s, e.Err)
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an error of the given kind with a catalogue message.
func New(kind Kind, code string, msg i18n.Message, hints ...i18n.Message) *Error {
	return &Error{Kind: kind, Code: code, Message: msg, Hints: hints}
}

// Wrap is New with an underlying cause.
func Wrap(kind Kind, code string, err error, msg i18n.Message, hints ...i18n.Message) *Error {
	return &Error{Kind: kind, Code: code, Message: msg, Hints: hints, Err: err}
}

// KindOf returns the category of err: the Kind of the first *Error in its
// chain, Cancelled for context.Canceled, and Unexpected otherwise.
func KindOf(err error) Kind {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if errors.Is(err, ErrCancelled) {
		return Cancelled
	}
	return Unexpected
}

// ErrCancelled marks an operation the user cancelled.
var ErrCancelled = errors.New("cancelled")

// Stated is implemented by a cause whose every detail its error's message
// and hints already give, in the user's language (a structured finding
// such as the service's refusal of a key): the cause stays in the chain
// for errors.As, and is not printed again after the message.
type Stated interface {
	error
	StatedInMessage()
}
