package components

// builtinKinds lists every built-in kind, in no particular order.
func builtinKinds() []*Kind {
	return []*Kind{}
}
