package prompt

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/smartradex/smartradex/internal/i18n"
)

// TestScreenInTurn: a screen asked in turn folds its notes into the first
// question, asks every field again when Check refuses, and shows the
// refusal with the typed secrets scrubbed.
func TestScreenInTurn(t *testing.T) {
	const wrong = "wrong-secret-value"
	screen := func(key, sec *string, ok *bool) Screen {
		return Screen{
			Banner: "banner",
			Notes:  []Note{{Title: "Paste the key", Body: "from Binance"}, {Title: "Demo keys", Body: "demo_ok"}},
			Fields: []Field{
				InputField(key, "API key", "64 letters", nil),
				PasswordField(sec, "Secret", "", nil),
				ConfirmField(ok, "Sure?", "", "", ""),
			},
			Check: func() error {
				if *sec == wrong {
					return errors.New("refused: " + *sec)
				}
				return nil
			},
		}
	}
	t.Run("fake", func(t *testing.T) {
		f := &Fake{Answers: []any{"k1", wrong, true, "k2", "right-secret", false}}
		var key, sec string
		ok := true
		if err := Ask(context.Background(), Sandboxed(f, i18n.EN), screen(&key, &sec, &ok)); err != nil {
			t.Fatal(err)
		}
		if key != "k2" || sec != "right-secret" || ok {
			t.Fatalf("values %q %q %v", key, sec, ok)
		}
		if len(f.Asked) != 6 || f.Remaining() != 0 {
			t.Fatalf("asked %+v", f.Asked)
		}
		first := f.Asked[0]
		if first.Title != "[SANDBOX] Paste the key" || first.Description != "from Binance\n\nDemo keys\ndemo_ok\n\nAPI key\n64 letters" {
			t.Errorf("first question %q / %q", first.Title, first.Description)
		}
		if f.Asked[1].Title != "[SANDBOX] Secret" || f.Asked[2].Default != "true" {
			t.Errorf("later questions %+v", f.Asked[1:3])
		}
		if r := f.Asked[2].Rejected; len(r) != 1 || r[0] != "refused: [REDACTED]" {
			t.Errorf("refusal %q", r)
		}
		if f.Asked[3].Title != "[SANDBOX] Paste the key" {
			t.Errorf("not asked again from the first field: %+v", f.Asked[3])
		}
	})
	t.Run("line", func(t *testing.T) {
		var out bytes.Buffer
		p := NewLine(strings.NewReader("k1\ny\n"), &out, i18n.FR)
		var key string
		ok := false
		s := Screen{Notes: []Note{{Title: "Titre", Body: "Texte"}}, Fields: []Field{InputField(&key, "Clé", "", nil), ConfirmField(&ok, "Sûr ?", "", "", "")}}
		if err := Ask(context.Background(), p, s); err != nil || key != "k1" || !ok {
			t.Fatalf("Ask: %q %v %v", key, ok, err)
		}
		for _, want := range []string{"Titre\nTexte\n\nClé\n> ", "Sûr ?\nOui / Non [o/N]"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("screen lacks %q:\n%s", want, out.String())
			}
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var key, sec string
		ok := true
		wantCancelled(t, Ask(ctx, &Fake{Answers: []any{"k"}}, screen(&key, &sec, &ok)))
	})
}
