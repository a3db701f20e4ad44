// Package jinja renders batou's templates: the Jinja2 language, configured
// as batou configures Jinja2, over Starlark values.
//
// # Configuration
//
// The settings are those of batou's Jinja2 environment and are fixed:
// StrictUndefined (using an undefined name, attribute or item is an error;
// "is defined", "is undefined" and the default filter still work),
// keep_trailing_newline (the output ends with a newline exactly when the
// template does), line statements with the prefix "@@", default
// delimiters, no autoescaping, no trim_blocks or lstrip_blocks. As in
// Jinja2, a block tag may end with a colon ({% for s in servers: %}).
//
// # How it works
//
// gonja's lexer (github.com/nikolalohinski/gonja/v2/tokens), configured as
// above, splits the source into text, comments and tags, and handles the
// "-" whitespace control markers, line statements and raw blocks. The
// inside of every tag is then scanned again here with Python's literal
// rules, and this package parses the statements and expressions with
// Jinja2's grammar and evaluates them with Python's semantics directly on
// Starlark values. gonja's own parser and evaluator are not used: they
// work on reflected Go values, and differ from Jinja2 in operator
// precedence, tuple unpacking, string escapes and error lines. The golden
// corpus in testdata/golden, rendered by Jinja2 itself, pins the result
// byte for byte.
//
// # Values
//
// Templates see Starlark values. Strings, numbers, booleans, None, lists,
// tuples and dicts (in insertion order) behave as the Python values do.
// Attribute access calls HasAttrs.Attr lazily, when the template uses the
// attribute; a missing attribute (Attr returns nil, nil or a
// starlark.NoSuchAttrError) is undefined, and its error message is the
// NoSuchAttrError text when there is one. For a dict, x.k falls back to
// x["k"], and x["k"] to the attribute, as in Jinja2. Values print as
// Python's str() prints them: True, None, 1.0, ['a', 1], ('a',),
// {'a': 1}; values that are not plain data (components, hosts, addresses,
// structs) print with their Starlark String(). Truth is Python's.
//
// Methods of strings and dicts are Starlark's, except where Python
// differs in what a template would see: str.format (with format specs),
// ljust, rjust, center and zfill, and dict.items/keys/values, which
// return views that print as dict_items([...]). Callables in the context
// or returned by Attr (bound builtins, Starlark functions) are called on
// the thread given to Render, so step limits, cancellation and thread
// locals apply; they never receive an undefined value.
//
// The filters, tests and globals are Jinja2's (range, dict, namespace,
// joiner, cycler, self), except the wordwrap, random, urlize and pprint
// filters and the lipsum global, which are not implemented. escape and
// safe return plain strings, not Markup. testdata/golden/*.known lists
// the differences from Jinja2 that the corpus pins down.
//
// # Errors
//
// Render returns an *Error that names the template and the line within
// it: the line of the token for syntax errors (including unknown filters
// and tests, which Jinja2 also rejects when compiling), and the line of
// the expression or statement being executed for runtime errors, the
// innermost one when a macro fails. These lines are those Jinja2 reports.
//
// Nothing is logged: gonja's logging stays disabled, as it is by default,
// and this package changes no global state.
package jinja
