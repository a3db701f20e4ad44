package main

import (
	"testing"

	"github.com/batou-go/batou/environments"
	"github.com/batou-go/batou/remote"
)

// Every connect_method an environment accepts selects a transport of that
// name; another name is refused with the list.
func TestConnectMethodsHaveTransports(t *testing.T) {
	for _, m := range environments.ConnectMethods() {
		tr, err := remote.TransportNamed(m)
		if err != nil {
			t.Errorf("%s: %v", m, err)
			continue
		}
		if tr.Name() != m {
			t.Errorf("TransportNamed(%q).Name() = %q", m, tr.Name())
		}
	}
	if _, err := remote.TransportNamed("telnet"); err == nil {
		t.Error("telnet is not a transport")
	}
}
