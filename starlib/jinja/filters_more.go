package jinja

import (
	"errors"
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"

	"go.starlark.net/starlark"
)

// fSlice splits a sequence into n columns, the first ones one longer
// when it does not divide evenly (padded with fill_with otherwise).
func fSlice(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var n int
	var fill starlark.Value = starlark.None
	if err := unpack("slice", args, kwargs, "slices", &n, "fill_with?", &fill); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil || n <= 0 {
		return nil, errors.Join(err, errorIf(n <= 0, "slices must be positive"))
	}
	per, extra := len(items)/n, len(items)%n
	var out []starlark.Value
	offset := 0
	for i := 0; i < n; i++ {
		start := offset + i*per
		if i < extra {
			offset++
		}
		col := append([]starlark.Value(nil), items[start:offset+(i+1)*per]...)
		if fill != starlark.None && i >= extra {
			col = append(col, fill)
		}
		out = append(out, starlark.NewList(col))
	}
	return starlark.NewList(out), nil
}

// fGroupby sorts items by an attribute and groups them: a list of
// (grouper, list) pairs that also have those attributes.
func fGroupby(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var attribute, def, caseSensitive starlark.Value
	if err := unpack("groupby", args, kwargs, "attribute", &attribute, "default?", &def, "case_sensitive?", &caseSensitive); err != nil {
		return nil, err
	}
	if def == starlark.None {
		def = nil
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	key := attrGetter(attribute, !isTrue(caseSensitive), def)
	if items, err = sortBy(items, key, false); err != nil {
		return nil, err
	}
	return groupSorted(items, key, attrGetter(attribute, false, def))
}

// groupSorted groups consecutive items with equal keys; each group is
// named by the display key of its first item.
func groupSorted(items []starlark.Value, key, display getter) (starlark.Value, error) {
	var out []starlark.Value
	var last starlark.Value
	for _, item := range items {
		k, err := key(item)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 {
			if same, err := equal(k, last); err != nil || same {
				g := out[len(out)-1].(*group)
				g.list.Append(item)
				continue
			}
		}
		name, err := display(item)
		if err != nil {
			return nil, err
		}
		out, last = append(out, &group{grouper: name, list: starlark.NewList([]starlark.Value{item})}), k
	}
	return starlark.NewList(out), nil
}

// group is one result of groupby: a pair (grouper, list) with those
// names as attributes.
type group struct {
	grouper starlark.Value
	list    *starlark.List
}

var (
	_ starlark.Indexable = (*group)(nil)
	_ starlark.HasAttrs  = (*group)(nil)
)

func (g *group) tuple() starlark.Tuple      { return starlark.Tuple{g.grouper, g.list} }
func (g *group) String() string             { return pyRepr(g.tuple()) }
func (g *group) Type() string               { return "tuple" }
func (g *group) Freeze()                    { g.list.Freeze() }
func (g *group) Truth() starlark.Bool       { return true }
func (g *group) Hash() (uint32, error)      { return g.tuple().Hash() }
func (g *group) Len() int                   { return 2 }
func (g *group) Iterate() starlark.Iterator { return g.tuple().Iterate() }
func (g *group) Index(i int) starlark.Value { return g.tuple()[i] }
func (g *group) AttrNames() []string        { return []string{"grouper", "list"} }

func (g *group) Attr(name string) (starlark.Value, error) {
	switch name {
	case "grouper":
		return g.grouper, nil
	case "list":
		return g.list, nil
	}
	return nil, nil
}

var (
	commentRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)<!--.*?-->`) })
	tagRE     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?s)<.*?>`) })
)

// fStriptags removes SGML/XML tags and comments, collapses whitespace and
// unescapes entities, as markupsafe's striptags does.
func fStriptags(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("striptags", args, kwargs); err != nil {
		return nil, err
	}
	s := tagRE().ReplaceAllString(commentRE().ReplaceAllString(pyStr(in), ""), "")
	return starlark.String(html.UnescapeString(strings.Join(strings.FieldsFunc(s, isPySpace), " "))), nil
}

// fUrlencode quotes a string for URLs, or builds a query string from a
// dict or a list of pairs.
func fUrlencode(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("urlencode", args, kwargs); err != nil {
		return nil, err
	}
	if _, isStr := in.(starlark.String); isStr || !isIterable(in) {
		return starlark.String(urlQuote(pyStr(in), false)), nil
	}
	pairs, err := mappingItems(in)
	if err != nil {
		if pairs, err = iterate(in); err != nil {
			return nil, err
		}
	}
	parts := make([]string, len(pairs))
	for i, p := range pairs {
		kv, err := iterate(p)
		if err != nil || len(kv) != 2 {
			return nil, errors.Join(err, unpackError(2, len(kv)))
		}
		parts[i] = urlQuote(pyStr(kv[0]), true) + "=" + urlQuote(pyStr(kv[1]), true)
	}
	return starlark.String(strings.Join(parts, "&")), nil
}

// urlQuote percent-encodes UTF-8 bytes except letters, digits and _.-~
// ("/" too, outside query strings, where a space becomes "+").
func urlQuote(s string, forQuery bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_.-~", c) >= 0:
			b.WriteByte(c)
		case c == '/' && !forQuery:
			b.WriteByte(c)
		case c == ' ' && forQuery:
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

var attrKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[\s/>=]`) })

// fXmlattr renders a dict as XML/HTML attributes, skipping None and
// undefined values.
func fXmlattr(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	autospace := starlark.Value(starlark.True)
	if err := unpack("xmlattr", args, kwargs, "autospace?", &autospace); err != nil {
		return nil, err
	}
	pairs, err := mappingItems(in)
	if err != nil {
		return nil, err
	}
	var items []string
	for _, p := range pairs {
		k, v := p.(starlark.Tuple)[0], p.(starlark.Tuple)[1]
		if v == starlark.None || isUndefined(v) {
			continue
		}
		key := pyStr(k)
		if attrKeyRE().MatchString(key) {
			return nil, fmt.Errorf("Invalid character in attribute name: %s", pyRepr(k))
		}
		items = append(items, escapeHTML(key)+`="`+escapeHTML(pyStr(v))+`"`)
	}
	rv := strings.Join(items, " ")
	if isTrue(autospace) && rv != "" {
		rv = " " + rv
	}
	return starlark.String(rv), nil
}
