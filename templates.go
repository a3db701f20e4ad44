package main

import (
	"github.com/batou-go/batou/starlib"
	"github.com/batou-go/batou/starlib/jinja"
)

// templates returns the template engine (section 5 of the spec).
func templates() starlib.Renderer { return jinja.New() }
