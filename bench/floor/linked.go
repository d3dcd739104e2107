//go:build !floormin

package main

import (
	"context"
	"os"

	binance "github.com/adshao/go-binance/v2"
	"github.com/charmbracelet/huh"
	"github.com/spf13/cobra"
	"github.com/zalando/go-keyring"
)

// linked holds functions that call what smartradex calls in huh,
// go-keyring, go-binance and cobra (beyond what main uses). main only names them, never calls them, but
// holding them keeps that code in the binary, as in smartradex.
var linked = []any{
	forms, exchange, secrets,
	// Called by smartradex where the compiler does not inline them.
	(*cobra.Command).RegisterFlagCompletionFunc, (*cobra.Command).Context,
	(*huh.Form).WithInput, (*huh.Form).WithOutput,
	(*huh.Input).Title, (*huh.Input).Description, (*huh.Input).EchoMode, (*huh.Input).Validate, (*huh.Input).Value,
}

// forms builds and runs the kinds of form smartradex shows.
func forms(ctx context.Context) error {
	var s string
	var ok bool
	form := huh.NewForm(huh.NewGroup(
		huh.NewNote().Title("note"),
		huh.NewInput().Title("input").Description("description").EchoMode(huh.EchoModePassword).
			Validate(func(string) error { return nil }).Value(&s),
		huh.NewSelect[string]().Options(huh.NewOption("a", "a")).Value(&s),
		huh.NewConfirm().Value(&ok),
	))
	return form.WithTheme(huh.ThemeCharm()).WithKeyMap(huh.NewDefaultKeyMap()).
		WithInput(os.Stdin).WithOutput(os.Stderr).RunWithContext(ctx)
}

// exchange makes the three requests smartradex makes to Binance.
func exchange(ctx context.Context) error {
	c := binance.NewClient("key", "secret")
	c.BaseURL = "http://127.0.0.1:1"
	if _, err := c.NewGetAPIKeyPermission().Do(ctx, binance.WithRecvWindow(5000)); err != nil {
		return err
	}
	if _, err := c.NewGetAccountService().OmitZeroBalances(true).Do(ctx); err != nil {
		return err
	}
	_, err := c.NewServerTimeService().Do(ctx)
	return err
}

// secrets uses the keyring as smartradex does.
func secrets() error {
	if err := keyring.Set("floor", "user", "value"); err != nil {
		return err
	}
	if _, err := keyring.Get("floor", "user"); err != nil {
		return err
	}
	return keyring.Delete("floor", "user")
}
