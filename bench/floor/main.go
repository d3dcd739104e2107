// Command floor is the start-up reference of bench/run. It is built like
// smartradex and links the four libraries smartradex is made of (cobra,
// huh, go-keyring and go-binance) with the very functions smartradex
// calls, so that the same library code is in the binary and the same
// packages are initialised at start-up; then it runs a cobra command that
// only prints a version. Its start-up is the least smartradex can cost.
//
// Built with -tags floormin, it links a single function of each library:
// a smaller binary that still initialises them, reported for comparison.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set like smartradex's, with -X at build time.
var version = "dev"

func main() {
	root := &cobra.Command{
		Use:                "floor",
		Args:               cobra.ArbitraryArgs,
		DisableFlagParsing: true, // whatever the arguments, print the version
		SilenceUsage:       true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 && args[0] == "--linked" {
				// Name what is linked, without calling any of it.
				for _, fn := range linked {
					fmt.Fprintf(cmd.OutOrStdout(), "%T\n", fn)
				}
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), "floor "+version)
			return nil
		},
	}
	if err := root.Execute(); err != nil {
		os.Exit(1)
	}
}
