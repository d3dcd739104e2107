package cmdutil

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/redact"
)

// statedCause is a cause its message says in full (apperr.Stated).
type statedCause struct{}

func (statedCause) Error() string    { return "stated in English" }
func (statedCause) StatedInMessage() {}

func TestDescribeError(t *testing.T) {
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	cause := errors.New("dial tcp: refused " + secret)
	cases := []struct {
		name  string
		lang  i18n.Lang
		err   error
		code  string
		exit  int
		human []string // lines on stderr, in order
	}{
		{"cause shown", i18n.EN, apperr.Wrap(apperr.Unavailable, "service.unreachable", cause, i18n.M("error.cancelled"), i18n.M("error.unexpected_hint")),
			"service.unreachable", 5, []string{"error: cancelled: nothing was changed (dial tcp: refused [REDACTED])", "hint: "}},
		{"usage hides its cause", i18n.FR, apperr.Wrap(apperr.Usage, "usage.flag", cause, i18n.M("error.flag", "bad"), i18n.M("error.unexpected_hint")),
			"usage.flag", 2, []string{"erreur : bad", "conseil : "}},
		{"cancelled without prefix", i18n.EN, apperr.Wrap(apperr.Cancelled, "cancelled", cause, i18n.M("error.cancelled")),
			"cancelled", 130, []string{"cancelled: nothing was changed"}},
		{"a stated cause is not said twice", i18n.FR, apperr.Wrap(apperr.Rejected, "service.binance_rejected", statedCause{}, i18n.M("error.cancelled")),
			"service.binance_rejected", 4, []string{"erreur : annulé : rien n'a été modifié\n"}},
		{"a stated cause deeper down is still shown", i18n.EN, apperr.Wrap(apperr.Unavailable, "service.unreachable", fmt.Errorf("wrapped: %w", statedCause{}), i18n.M("error.cancelled")),
			"service.unreachable", 5, []string{"(wrapped: stated in English)"}},
		{"plain error is unexpected", i18n.EN, errors.New("boom " + secret),
			"unexpected", 1, []string{"error: ", "boom [REDACTED]", "hint: "}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			red := &redact.Redactor{}
			red.Add(secret)
			e := DescribeError(c.lang, red, c.err)
			if e.Code != c.code || e.ExitCode != c.exit || e.Hints == nil {
				t.Errorf("described %+v", e)
			}
			var out bytes.Buffer
			e.Print(&out, c.lang)
			got := out.String()
			pos := 0
			for _, w := range c.human {
				i := strings.Index(got[pos:], w)
				if i < 0 {
					t.Fatalf("human form lacks %q after %d:\n%s", w, pos, got)
				}
				pos += i + len(w)
			}
			if strings.Contains(got, secret) || strings.Contains(e.Message, secret) {
				t.Error("the secret was shown")
			}
			if c.exit == 130 && strings.HasPrefix(got, "error") {
				t.Errorf("a cancellation printed as an error: %q", got)
			}
		})
	}
}
