package ini

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkKey reports a key name that would not read back as itself.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("empty key")
	case trim(key) != key:
		return fmt.Errorf("key %q has leading or trailing whitespace", key)
	case strings.ContainsAny(key, "=:\r\n"):
		return fmt.Errorf("key %q contains =, : or a line break", key)
	case strings.HasPrefix(key, "[") || isComment(key) || inlineComment(key) >= 0:
		return fmt.Errorf("key %q would be read as a section header or a comment", key)
	}
	return nil
}

// checkValue reports a value that would not read back as itself.
func checkValue(value string) error {
	lines := strings.Split(value, "\n")
	for i, v := range lines {
		switch {
		case strings.ContainsRune(v, '\r'):
			return fmt.Errorf("line %d contains a carriage return", i+1)
		case trim(v) != v:
			return fmt.Errorf("line %d has leading or trailing whitespace", i+1)
		case inlineComment(v) >= 0:
			return fmt.Errorf("line %d would be read as a comment: a ; at its start or after whitespace starts one", i+1)
		case i > 0 && isComment(v):
			return fmt.Errorf("line %d would be read as a comment: it starts with #", i+1)
		}
	}
	if len(lines) > 1 && lines[len(lines)-1] == "" {
		return fmt.Errorf("the value ends with an empty line, which would be dropped")
	}
	return nil
}

// checkSectionName reports a section name that would not read back as
// itself.
func checkSectionName(name string) error {
	n, msg, _ := headerName("[" + name + "]")
	if msg != "" || n != name || trim(name) != name || strings.ContainsAny(name, "[]\r\n") ||
		inlineComment(name) >= 0 {
		return fmt.Errorf("%q cannot be a section name", name)
	}
	return nil
}

// rewrite returns the key's lines with a new value, keeping the text
// before the value and the end-of-line comment of the key line, and the
// indentation of existing continuation lines.
func (k *Key) rewrite(value, eol string) []line {
	prefix, suffix := splitKeyLine(k.lines[0].text)
	ind := leading(k.lines[0].text) + "    "
	if len(k.valueAt) > 1 {
		ind = leading(k.lines[k.valueAt[1]].text)
	}
	out := formatValue(prefix, suffix, value, ind, eol)
	if len(out) > 1 {
		out[0].eol = k.lines[0].eol
	}
	out[len(out)-1].eol = k.lines[len(k.lines)-1].eol
	return out
}

// splitKeyLine cuts a key line around its value: prefix ends with the
// separator and the whitespace after it, suffix starts after the value.
// For an empty value, prefix is the text up to the separator and a space.
func splitKeyLine(text string) (prefix, suffix string) {
	content := text[:commentStart(text)]
	sep := strings.IndexAny(content, "=:")
	rest := content[sep+1:]
	val := trim(rest)
	if val == "" {
		return text[:sep+1] + " ", text[sep+1:]
	}
	start := sep + 1 + len(leading(rest))
	return text[:start], text[start+len(val):]
}

// formatValue writes the lines of a key: the first value line between
// prefix and suffix, then one continuation line per further value line.
func formatValue(prefix, suffix, value, ind, eol string) []line {
	vals := strings.Split(value, "\n")
	first := trimRight(prefix)
	switch {
	case vals[0] != "":
		first = prefix + vals[0] + suffix
	case trim(suffix) != "":
		first += suffix
	}
	out := []line{{first, eol}}
	for _, v := range vals[1:] {
		if v != "" {
			v = ind + v
		}
		out = append(out, line{v, eol})
	}
	return out
}

// newKeyIndent returns the indentation for a new key: the last key's, or
// for a section without keys the next section header's, so that the
// header is not read as a continuation of the new key.
func (s *Section) newKeyIndent() string {
	if keys := s.Keys(); len(keys) > 0 {
		return leading(keys[len(keys)-1].lines[0].text)
	}
	if s.file == nil {
		return ""
	}
	at := slices.Index(s.file.sections, s)
	if at >= 0 && at+1 < len(s.file.sections) {
		return leading(s.file.sections[at+1].header.text)
	}
	return ""
}

// insertAt returns where a new key goes in the body: after the last key,
// or in a section without keys after the comments below the header.
func (s *Section) insertAt() int {
	for at := len(s.body) - 1; at >= 0; at-- {
		if s.body[at].key != nil {
			return at + 1
		}
	}
	at := 0
	for at < len(s.body) && isComment(s.body[at].raw.text) {
		at++
	}
	return at
}

// isSpace reports whether r is whitespace the way Python's str.isspace
// sees it, which adds the four ASCII separators U+001C..U+001F to Go's set.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// trim removes leading and trailing whitespace.
func trim(s string) string { return strings.TrimFunc(s, isSpace) }

// trimRight removes trailing whitespace.
func trimRight(s string) string { return strings.TrimRightFunc(s, isSpace) }

// leading returns the whitespace at the start of s.
func leading(s string) string {
	return s[:len(s)-len(strings.TrimLeftFunc(s, isSpace))]
}

// indentOf returns the number of whitespace characters that start s.
func indentOf(s string) int {
	return utf8.RuneCountInString(leading(s))
}

// isComment reports whether a whole line is a comment.
func isComment(s string) bool {
	t := trim(s)
	return strings.HasPrefix(t, "#") || strings.HasPrefix(t, ";")
}

// commentStart returns the byte offset at which a comment starts in a
// line, or len(s) when there is none.
func commentStart(s string) int {
	if isComment(s) {
		return 0
	}
	if i := inlineComment(s); i >= 0 {
		return i
	}
	return len(s)
}

// inlineComment returns the offset of the first `;` that is at the start
// of s or follows whitespace, or -1.
func inlineComment(s string) int {
	prevSpace := true
	for i, r := range s {
		if r == ';' && prevSpace {
			return i
		}
		prevSpace = isSpace(r)
	}
	return -1
}
