package components

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Diffs longer than maxDiffLines are cut to their first and last
// diffLead lines, as batou does.
const (
	maxDiffLines = 200
	diffLead     = 50
)

// textDiff returns a unified diff (diff -u style, both headers naming path)
// from old to new, and false when either side is not text in enc, so that
// no diff can be shown.
func textDiff(path, enc string, old, new []byte) (string, bool) {
	n, ok := diffText(enc, new)
	if !ok {
		return "", false
	}
	return textDiffTo(path, enc, old, n)
}

// textDiffTo is textDiff with the new side already text, n.
func textDiffTo(path, enc string, old []byte, n string) (string, bool) {
	o, ok := diffText(enc, old)
	if !ok {
		return "", false
	}
	if o == "" {
		return capLines(addedDiff(path, n)), true
	}
	return capLines(udiff.Unified(path, path, o, n)), true
}

// addedDiff is the unified diff from nothing to text, written directly:
// every line added (the diff of each new file of a first deploy). It is
// what udiff.Unified returns for an empty old side.
func addedDiff(path, text string) string {
	if text == "" {
		return ""
	}
	lines := strings.Count(text, "\n")
	count := "" // of the lines, unless 1
	// The diff's exact size (one allocation of it, no slack): the
	// headers, and each line with a '+' before it and a newline after.
	size := len("--- \n+++ \n@@ -0,0 +1 @@\n") + 2*len(path) + len(text) + lines
	if !strings.HasSuffix(text, "\n") {
		lines++
		size += len("+\n" + noNewline)
	}
	if lines != 1 {
		count = strconv.Itoa(lines)
		size += 1 + len(count)
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString("--- ")
	b.WriteString(path)
	b.WriteString("\n+++ ")
	b.WriteString(path)
	b.WriteString("\n@@ -0,0 +1")
	if count != "" {
		b.WriteByte(',')
		b.WriteString(count)
	}
	b.WriteString(" @@\n")
	for text != "" {
		line, rest, found := strings.Cut(text, "\n")
		b.WriteByte('+')
		b.WriteString(line)
		b.WriteByte('\n')
		if !found {
			b.WriteString(noNewline)
		}
		text = rest
	}
	return b.String()
}

// noNewline ends a diff whose last line has no newline.
const noNewline = "\\ No newline at end of file\n"

// contentText is diffText for a content attribute (a string or bytes):
// text that needs no decoding is the string itself, not a copy.
func contentText(enc string, v any) (string, bool) {
	if s, ok := v.(string); ok && enc != encLatin1 {
		return s, enc != "" && strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
	}
	return diffText(enc, contentBytes(v))
}

// diffText decodes b for a diff; binary data (NUL bytes, invalid text, or
// encoding None) gives false.
func diffText(enc string, b []byte) (string, bool) {
	if enc == "" || bytes.IndexByte(b, 0) >= 0 {
		return "", false
	}
	if enc == encLatin1 {
		s, err := DecodeText(enc, b)
		return s, err == nil
	}
	return string(b), utf8.Valid(b)
}

// capLines shortens a long diff (or list) to its first and last diffLead
// lines, with a line saying how many were left out.
func capLines(s string) string {
	if n := strings.Count(s, "\n"); n+1 <= maxDiffLines || (n == maxDiffLines && strings.HasSuffix(s, "\n")) {
		return s // counted, not split: most diffs are short
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	cut := len(lines) - 2*diffLead
	var b strings.Builder
	b.WriteString(strings.Join(lines[:diffLead], ""))
	fmt.Fprintf(&b, "[... %d lines not shown ...]\n", cut)
	b.WriteString(strings.Join(lines[len(lines)-diffLead:], ""))
	return b.String()
}
