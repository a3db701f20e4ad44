// Package ini reads and edits INI files the way batou reads them with
// Python's configparser, while keeping every byte of the file.
//
// The dialect is configparser's with interpolation switched off, so a `%`
// is an ordinary character:
//
//   - A section starts with a `[name]` line. Section names and keys are
//     case-sensitive.
//   - A key line is `key = value` or `key: value`; the first `=` or `:`
//     separates the key from the value. An empty value (`key =`) is allowed.
//   - Lines whose first non-blank character is `#` or `;` are comments. A
//     `;` preceded by whitespace starts a comment at the end of a line; a
//     `#` inside a value is kept.
//   - A line indented deeper than its key continues the key's value. The
//     lines are stripped and joined with "\n". Blank lines between
//     continuation lines become empty lines of the value; blank lines at
//     the end of a value are dropped; comment lines inside a value are
//     skipped.
//   - A section defined twice, a key defined twice in one section, a key
//     before the first section and any other line that fits none of the
//     rules are errors that name the file and line.
//
// Parse keeps every line, with its line ending (LF or CRLF), so that
// [File.Bytes] of an unchanged file is identical to the input, including
// comments, blank lines, spacing, a byte order mark and a missing final
// newline. The editing methods ([Section.Set], [Section.Delete],
// [File.AddSection], [File.DeleteSection]) touch only the lines they must
// and check their result by reading it back, so a secrets file can be
// edited without disturbing anything else in it.
package ini
