package components

import (
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The text encodings File and Content support. The empty string stands for
// encoding=None: binary content, never rendered, never diffed.
const (
	encUTF8   = "utf-8"
	encASCII  = "ascii"
	encLatin1 = "latin-1"
)

// normEncoding returns the canonical name of an encoding attribute, as
// Python spells them (case and - or _ do not matter).
func normEncoding(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("encoding must be a string or None, not %s", typeName(v))
	}
	switch s { // the canonical names, as the defaults and Expand give them
	case encUTF8, encASCII, encLatin1:
		return s, nil
	}
	switch strings.ReplaceAll(strings.ToLower(s), "_", "-") {
	case "utf-8", "utf8":
		return encUTF8, nil
	case "ascii", "us-ascii":
		return encASCII, nil
	case "latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1":
		return encLatin1, nil
	}
	return "", fmt.Errorf("unsupported encoding %q; use utf-8, ascii, latin-1 or None (binary)", s)
}

// DecodeText turns bytes in encoding enc (a canonical name, as File's
// Expand gives it) into text.
func DecodeText(enc string, b []byte) (string, error) {
	switch enc {
	case encLatin1:
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), nil
	case encASCII:
		for i, c := range b {
			if c >= 0x80 {
				return "", fmt.Errorf("byte 0x%02x at offset %d is not ascii", c, i)
			}
		}
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("not valid %s text (hint: encoding=None for binary files)", enc)
	}
	return string(b), nil
}

// encodeFinal encodes text and stores it as finalValue does, without
// copying UTF-8 text that stays a string.
func encodeFinal(enc, text string) (any, error) {
	if enc == encUTF8 && utf8.ValidString(text) {
		return text, nil
	}
	b, err := encodeText(enc, text)
	if err != nil {
		return nil, err
	}
	return finalValue(enc, b), nil
}

// encodeText turns text into bytes in encoding enc.
func encodeText(enc, text string) ([]byte, error) {
	if enc == encUTF8 {
		return []byte(text), nil
	}
	limit := rune(0xff)
	if enc == encASCII {
		limit = 0x7f
	}
	out := make([]byte, 0, len(text))
	for i, r := range text {
		if r > limit {
			return nil, fmt.Errorf("character %q at offset %d cannot be encoded as %s", r, i, enc)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// finalValue stores encoded bytes as an attribute value: a string when the
// bytes are the UTF-8 text itself (readable in plans), else []byte.
func finalValue(enc string, b []byte) any {
	if (enc == encUTF8 || enc == encASCII) && utf8.Valid(b) {
		return string(b)
	}
	return b
}

// writtenBytes returns a content attribute as bytes to write to a file:
// a string is not copied, its bytes are handed over as they are, for
// reading only (as os.File.WriteString does). A first deploy so writes
// each new file's content without a copy of it.
func writtenBytes(v any) []byte {
	if s, ok := v.(string); ok {
		return unsafe.Slice(unsafe.StringData(s), len(s))
	}
	return contentBytes(v)
}

// contentBytes returns a content attribute as bytes.
func contentBytes(v any) []byte {
	switch v := v.(type) {
	case string:
		return []byte(v)
	case []byte:
		return v
	}
	return nil
}
