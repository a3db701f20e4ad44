package ini

import (
	"errors"
	"fmt"
	"slices"
)

// ErrEdit reports an edit that cannot be written without changing the
// meaning of other lines of the file. Edits that fail this way change
// nothing.
var ErrEdit = errors.New("the edit would change the meaning of other lines")

// Set gives key the value. An existing key keeps its place, indentation,
// spacing and end-of-line comment; only its value lines are rewritten. A
// new key is added after the last key of the section. A value with
// several lines is written as indented continuation lines.
//
// Set refuses keys and values that would read back differently: a key
// with `=`, `:` or surrounding whitespace, a value line with surrounding
// whitespace, one that would start a comment, or a value ending in an
// empty line.
func (s *Section) Set(key, value string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if err := checkValue(value); err != nil {
		return fmt.Errorf("value of %s: %w", key, err)
	}
	if k := s.Key(key); k != nil {
		return s.replace(k, value)
	}
	return s.add(key, value)
}

// replace rewrites the value lines of an existing key.
func (s *Section) replace(k *Key, value string) error {
	old := *k
	lines := k.rewrite(value, s.file.newline())
	return s.file.edit(func() { k.lines, k.Value = lines, value }, func() { *k = old })
}

// add appends a new key after the last key of the section.
func (s *Section) add(key, value string) error {
	ind := s.newKeyIndent()
	k := &Key{Name: key, Value: value}
	k.lines = formatValue(ind+key+" = ", "", value, ind+"    ", s.file.newline())
	e, at := &entry{key: k}, s.insertAt()
	return s.file.edit(func() { s.body = slices.Insert(s.body, at, e) },
		func() { s.body = slices.Delete(s.body, at, at+1) })
}

// Delete removes key and its continuation lines. Deleting a key that does
// not exist does nothing.
func (s *Section) Delete(key string) error {
	at := slices.IndexFunc(s.body, func(e *entry) bool { return e.key != nil && e.key.Name == key })
	if at < 0 {
		return nil
	}
	e := s.body[at]
	return s.file.edit(func() { s.body = slices.Delete(s.body, at, at+1) },
		func() { s.body = slices.Insert(s.body, at, e) })
}

// AddSection appends a section called name at the end of the file,
// separated from what comes before by a blank line, and returns it. When
// the section exists already, AddSection returns it unchanged.
func (f *File) AddSection(name string) (*Section, error) {
	if s := f.Section(name); s != nil {
		return s, nil
	}
	if err := checkSectionName(name); err != nil {
		return nil, err
	}
	s := &Section{Name: name, file: f, header: line{"[" + name + "]", f.newline()}}
	blank := f.needsBlank()
	err := f.edit(func() { f.appendSection(s, blank) }, func() { f.dropLastSection(blank) })
	if err != nil {
		return nil, err
	}
	return s, nil
}

// DeleteSection removes the section called name with all its lines.
// Blank lines left at the end of the file by removing the last section
// are removed too. Deleting a section that does not exist does nothing.
func (f *File) DeleteSection(name string) error {
	at := slices.IndexFunc(f.sections, func(s *Section) bool { return s.Name == name })
	if at < 0 {
		return nil
	}
	oldSections, oldHead := f.sections, f.head
	var prev *Section
	var oldBody []*entry
	if at > 0 {
		prev = f.sections[at-1]
		oldBody = prev.body
	}
	return f.edit(func() {
		f.sections = slices.Delete(slices.Clone(oldSections), at, at+1)
		if at == len(f.sections) {
			f.trimTrailingBlanks(prev)
		}
	}, func() {
		f.sections, f.head = oldSections, oldHead
		if prev != nil {
			prev.body = oldBody
		}
	})
}

// edit applies do, reads the result back and keeps it when it has the
// sections, keys and values the in-memory file has; otherwise it calls
// undo and returns ErrEdit. It also renumbers the lines.
func (f *File) edit(do, undo func()) error {
	do()
	if f == nil {
		return nil
	}
	g, _ := Parse(f.name, f.Bytes())
	if g.nerrs != f.nerrs || !sameShape(f, g) {
		undo()
		return fmt.Errorf("%s: %w", f.name, ErrEdit)
	}
	f.renumber(g)
	return nil
}
