package prompt

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/apperr"
	"github.com/smartradex/smartradex/internal/i18n"
)

func TestSandboxed(t *testing.T) {
	for lang, label := range map[i18n.Lang]string{i18n.EN: "[SANDBOX] ", i18n.FR: "[BAC À SABLE] "} {
		f := &Fake{Answers: []any{"k", "s", true, "a"}}
		p := Sandboxed(f, lang)
		ctx := context.Background()
		p.Input(ctx, "Key", "", nil)
		p.Password(ctx, "Secret", "", nil)
		p.Confirm(ctx, "Sure?", "", "", "", true)
		p.Select(ctx, "Pick", "", []Option{{"a", "A"}}, "a")
		for _, q := range f.Asked {
			if !strings.HasPrefix(q.Title, label) {
				t.Errorf("%s: title %q lacks %q", lang, q.Title, label)
			}
		}
		if len(f.Asked) != 4 {
			t.Errorf("asked %d questions", len(f.Asked))
		}
	}
}

const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

func wantCancelled(t *testing.T, err error) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.Cancelled || ae.Message.Key != "error.cancelled" {
		t.Fatalf("err = %#v, want a Cancelled apperr saying nothing was changed", err)
	}
}
