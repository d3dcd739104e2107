// Package termquiet keeps smartradex's start from asking the terminal
// anything.
//
// bubbletea v1 (under huh) asks the terminal for its background colour and
// cursor position from its package initialisation, at every start of any
// program that links it, whenever standard output is a terminal: a round
// trip to the terminal before `smartradex version` prints a word (one
// network round trip over SSH), keystrokes typed ahead read as the answer,
// and, on a pseudo-terminal that answers nothing (expect, a container's -t
// without a terminal behind it), five seconds of waiting at every start.
// termenv, which asks, does not when CI is set; so this package sets CI
// while the packages initialise, and main takes it back with Restore
// before anything else runs. The forms ask the background colour
// themselves, once, when a first form is about to be drawn, with a short
// wait (internal/prompt/forms).
//
// It imports only syscall, so that Go initialises it before os and hence
// before any package that reads the environment through os: among the
// packages whose imports are initialised, Go initialises the one with the
// smallest import path first, and this path sorts before "os". A test of
// the built binary checks the order (cmd/smartradex, termquiet.txtar).
package termquiet

import "syscall"

// marker is CI's value while the packages initialise, so that Restore
// takes back only its own.
const marker = "smartradex-initialising"

func init() {
	if _, ok := syscall.Getenv("CI"); !ok {
		_ = syscall.Setenv("CI", marker)
	}
}

// Restore removes the CI that init set, if it still has init's value; the
// user's own CI is never touched. main calls it first.
func Restore() {
	if v, ok := syscall.Getenv("CI"); ok && v == marker {
		_ = syscall.Unsetenv("CI")
	}
}
