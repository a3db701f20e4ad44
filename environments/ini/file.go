package ini

import "bytes"

// line is one physical line: its text without the line ending, and the
// ending itself ("\n", "\r\n", or "" for a last line without one).
type line struct {
	text string
	eol  string
}

// File is a parsed INI file that remembers every line. The zero value is
// an empty file to which sections can be added.
type File struct {
	name     string
	bom      string
	eol      string
	head     []line
	sections []*Section
	nerrs    int
}

// Section is one `[name]` section of a File.
type Section struct {
	// Name is the text between the brackets.
	Name string
	// Line is the 1-based line of the section header.
	Line int

	file   *File
	header line
	body   []*entry
}

// entry is one element of a section body: a key with its lines, or a
// single line that belongs to no key (blank, comment, or kept verbatim).
type entry struct {
	key *Key
	raw line
}

// Key is one key of a Section with its value.
type Key struct {
	// Name is the key as written, without surrounding whitespace.
	Name string
	// Value is the value with continuation lines joined by "\n".
	Value string
	// Line is the 1-based line of the key.
	Line int

	lines   []line
	valueAt []int
}

// Name returns the file name given to Parse.
func (f *File) Name() string { return f.name }

// Sections returns the sections in file order. A nil File has none.
func (f *File) Sections() []*Section {
	if f == nil {
		return nil
	}
	return append([]*Section(nil), f.sections...)
}

// Section returns the section called name, or nil when there is none.
func (f *File) Section(name string) *Section {
	for _, s := range f.Sections() {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Keys returns the keys of the section in file order.
func (s *Section) Keys() []*Key {
	var keys []*Key
	for _, e := range s.body {
		if e.key != nil {
			keys = append(keys, e.key)
		}
	}
	return keys
}

// Key returns the key called name, or nil when the section has none.
func (s *Section) Key(name string) *Key {
	for _, e := range s.body {
		if e.key != nil && e.key.Name == name {
			return e.key
		}
	}
	return nil
}

// ValueLine returns the 1-based file line that holds line i (counted from
// 0) of the value split at "\n". It returns the key's line when i is out
// of range.
func (k *Key) ValueLine(i int) int {
	if i < 0 || i >= len(k.valueAt) {
		return k.Line
	}
	return k.Line + k.valueAt[i]
}

// Bytes returns the file's content. A file that was parsed and not edited
// comes back byte for byte.
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(f.bom)
	missing := false
	f.walk(func(l line) {
		if missing {
			b.WriteString(f.newline())
		}
		b.WriteString(l.text)
		b.WriteString(l.eol)
		missing = l.eol == ""
	})
	return b.Bytes()
}

// walk calls fn for every line of the file in order.
func (f *File) walk(fn func(line)) {
	for _, l := range f.head {
		fn(l)
	}
	for _, s := range f.sections {
		fn(s.header)
		for _, e := range s.body {
			e.walk(fn)
		}
	}
}

// walk calls fn for every line of the entry.
func (e *entry) walk(fn func(line)) {
	if e.key == nil {
		fn(e.raw)
		return
	}
	for _, l := range e.key.lines {
		fn(l)
	}
}

// newline returns the line ending used for new lines: the file's first.
func (f *File) newline() string {
	if f == nil || f.eol == "" {
		return "\n"
	}
	return f.eol
}
