package main

import (
	"fmt"
	"os"

	"github.com/batou-go/batou/environments/secrets"
	"golang.org/x/term"
)

// secretKeys returns the keys to decrypt secrets with: those the process
// environment names, and a passphrase prompt on the terminal.
func secretKeys() *secrets.Keys {
	return &secrets.Keys{Passphrase: askPassphrase}
}

// askPassphrase reads a passphrase from the terminal without echo.
func askPassphrase(what string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("%s is protected by a passphrase and there is no terminal to ask for it", what)
	}
	defer tty.Close()
	fmt.Fprintf(tty, "Passphrase for %s: ", what)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	return pw, err
}
