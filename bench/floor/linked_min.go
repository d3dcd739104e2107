//go:build floormin

package main

import (
	binance "github.com/adshao/go-binance/v2"
	"github.com/charmbracelet/huh"
	"github.com/zalando/go-keyring"
)

// linked holds a single function of each library (cobra is used by main).
var linked = []any{huh.NewInput, keyring.Get, binance.NewClient}
