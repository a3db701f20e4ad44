package secrets

// Error is a problem with a secrets file: which file, what went wrong and
// what to do about it. It never holds cleartext.
type Error struct {
	// File is the project-relative path of the file.
	File string
	// Msg says what went wrong.
	Msg string
	// Hint says what to do; it may be empty.
	Hint string
	// Err is the underlying error, if any.
	Err error
}

// Error renders "file: msg", followed by the hint on its own line.
func (e *Error) Error() string {
	s := e.Msg
	if e.File != "" {
		s = e.File + ": " + s
	}
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	return s
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }
