// Command smartradex sets up and checks the Binance API keys of SmartradeX bots.
package main

import (
	"os"

	"github.com/smartradex/smartradex/internal/cli"
	"github.com/smartradex/smartradex/internal/termquiet"
)

func main() {
	// Before anything reads the environment (see termquiet).
	termquiet.Restore()
	os.Exit(cli.Main())
}
