//go:build !linux

package main

import (
	"errors"
	"os"
	"syscall"
)

func openPTY(rows, cols uint16) (ctrl, tty *os.File, err error) {
	return nil, nil, errors.New("pseudo-terminals are only driven on Linux")
}

func ttyAttr() *syscall.SysProcAttr { return nil }
