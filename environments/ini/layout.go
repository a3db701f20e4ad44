package ini

// lastLine returns the last line of the file and whether there is one.
func (f *File) lastLine() (line, bool) {
	var last line
	found := false
	f.walk(func(l line) { last, found = l, true })
	return last, found
}

// needsBlank reports whether a new section needs a blank line before it.
func (f *File) needsBlank() bool {
	l, ok := f.lastLine()
	return ok && trim(l.text) != ""
}

// appendTrivia adds a line at the end of the file: to the last section's
// body or, without sections, to the head.
func (f *File) appendTrivia(l line) {
	if n := len(f.sections); n > 0 {
		s := f.sections[n-1]
		s.body = append(s.body, &entry{raw: l})
		return
	}
	f.head = append(f.head, l)
}

// appendSection adds s at the end, after a blank line when blank is set.
func (f *File) appendSection(s *Section, blank bool) {
	if blank {
		f.appendTrivia(line{eol: f.newline()})
	}
	f.sections = append(f.sections, s)
}

// dropLastSection undoes appendSection.
func (f *File) dropLastSection(blank bool) {
	f.sections = f.sections[:len(f.sections)-1]
	if !blank {
		return
	}
	if n := len(f.sections); n > 0 {
		s := f.sections[n-1]
		s.body = s.body[:len(s.body)-1]
		return
	}
	f.head = f.head[:len(f.head)-1]
}

// trimTrailingBlanks removes blank lines at the end of s, or of the head
// when s is nil.
func (f *File) trimTrailingBlanks(s *Section) {
	if s == nil {
		n := len(f.head)
		for n > 0 && trim(f.head[n-1].text) == "" {
			n--
		}
		f.head = f.head[:n]
		return
	}
	n := len(s.body)
	for n > 0 && s.body[n-1].key == nil && trim(s.body[n-1].raw.text) == "" {
		n--
	}
	s.body = s.body[:n]
}

// sameShape reports whether f and g have the same sections, keys and
// values in the same order.
func sameShape(f, g *File) bool {
	if len(f.sections) != len(g.sections) {
		return false
	}
	for i, s := range f.sections {
		t := g.sections[i]
		a, b := s.Keys(), t.Keys()
		if s.Name != t.Name || len(a) != len(b) {
			return false
		}
		for j := range a {
			if a[j].Name != b[j].Name || a[j].Value != b[j].Value {
				return false
			}
		}
	}
	return true
}

// renumber copies the line numbers of g, which has the same shape as f.
func (f *File) renumber(g *File) {
	for i, s := range f.sections {
		t := g.sections[i]
		s.Line = t.Line
		b := t.Keys()
		for j, k := range s.Keys() {
			k.Line, k.valueAt = b[j].Line, b[j].valueAt
		}
	}
}
