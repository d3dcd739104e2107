// Command smartradexd is the SmartradeX key service: it serves the v1 API
// that smartradex registers Binance keys with (serve), and administers its
// database (migrate, vault-key, admin). See docs/service.md.
package main

import (
	"os"

	"github.com/smartradex/smartradex/internal/smartradexd"
)

func main() { os.Exit(smartradexd.Main()) }
