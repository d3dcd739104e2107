// Command smartradex sets up and checks the Binance API keys of SmartradeX bots.
package main

import (
	"os"

	"github.com/smartradex/smartradex/internal/cli"
)

func main() { os.Exit(cli.Main()) }
