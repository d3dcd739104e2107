// Command gen-docs writes smartradex's command reference, in English and
// French, as Markdown under docs/cli/ and as man pages under docs/man/.
//
//	go run ./cmd/gen-docs            # regenerate
//	go test ./cmd/gen-docs           # fails when the committed reference is stale
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/smartradex/smartradex/internal/cli"
	"github.com/smartradex/smartradex/internal/cli/cmdutil"
	"github.com/smartradex/smartradex/internal/i18n"
	"github.com/smartradex/smartradex/internal/iostreams"
)

func main() {
	root := "docs"
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	if err := generate(root); err != nil {
		fmt.Fprintln(os.Stderr, "gen-docs:", err)
		os.Exit(1)
	}
}

// tree builds the command tree as a user with an empty environment would
// see it, so that the reference does not depend on the machine.
func tree(lang i18n.Lang) *cobra.Command {
	io, _, _, _ := iostreams.Test()
	f := cmdutil.New(io, func(string) string { return "" })
	f.SetLang(lang)
	root := cli.NewRootCmd(f)
	root.DisableAutoGenTag = true
	return root
}

func generate(dir string) error {
	for _, lang := range i18n.Langs {
		out := filepath.Join(dir, "cli", string(lang))
		if err := os.RemoveAll(out); err != nil {
			return err
		}
		if err := os.MkdirAll(out, 0o755); err != nil {
			return err
		}
		if err := doc.GenMarkdownTree(tree(lang), out); err != nil {
			return err
		}
	}
	man := filepath.Join(dir, "man")
	if err := os.RemoveAll(man); err != nil {
		return err
	}
	if err := os.MkdirAll(man, 0o755); err != nil {
		return err
	}
	header := &doc.GenManHeader{Title: "SMARTRADEX", Section: "1", Source: "smartradex", Manual: "smartradex manual"}
	return doc.GenManTree(tree(i18n.EN), header, man)
}
