package prompt

import (
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Wrap breaks text into lines of at most width columns, at spaces only
// (never inside a word, a command or a no-break space); a word longer
// than width stays whole on its own line so that it can still be copied.
// Lines after the first of each paragraph start with indent.
func Wrap(text string, width int, indent string) string {
	if width <= 0 {
		return text
	}
	paras := strings.Split(text, "\n")
	for i, p := range paras {
		var b strings.Builder
		col := 0
		for j, word := range strings.Split(p, " ") {
			n := utf8.RuneCountInString(word)
			switch {
			case j == 0:
			case col+1+n > width:
				b.WriteString("\n" + indent)
				col = utf8.RuneCountInString(indent)
			default:
				b.WriteString(" ")
				col++
			}
			b.WriteString(word)
			col += n
		}
		paras[i] = b.String()
	}
	return strings.Join(paras, "\n")
}

// TermWidth is the width in columns of w when it is a terminal, else 0
// (callers choose a default).
func TermWidth(w io.Writer) int {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return 0
	}
	fd := int(f.Fd()) //nolint:gosec // a file descriptor fits an int
	if !term.IsTerminal(fd) {
		return 0
	}
	cols, _, err := term.GetSize(fd)
	if err != nil {
		return 0
	}
	return cols
}
