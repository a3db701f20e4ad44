package jinja

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/syntax"
)

// getter extracts the value a filter works on from an item: the item
// itself or an attribute path such as "address.port".
type getter func(item starlark.Value) (starlark.Value, error)

// attrGetter is Jinja2's make_attrgetter: attribute is None, an integer
// or a dotted path whose numeric parts are indexes. With ignoreCase,
// strings are lower-cased. A missing attribute yields def when def is not
// nil.
func attrGetter(attribute starlark.Value, ignoreCase bool, def starlark.Value) getter {
	var parts []starlark.Value
	switch a := attribute.(type) {
	case nil, starlark.NoneType:
	case starlark.String:
		for _, p := range strings.Split(string(a), ".") {
			if n, err := strconv.Atoi(p); err == nil && isDigits(p) {
				parts = append(parts, starlark.MakeInt(n))
			} else {
				parts = append(parts, starlark.String(p))
			}
		}
	default:
		parts = []starlark.Value{a}
	}
	return func(item starlark.Value) (starlark.Value, error) {
		for _, p := range parts {
			var err error
			if item, err = getitem(item, p); err != nil {
				return nil, err
			}
		}
		if _, ok := item.(*undefined); ok && def != nil {
			item = def
		}
		if s, ok := item.(starlark.String); ok && ignoreCase {
			item = starlark.String(lower(string(s)))
		}
		return item, nil
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// multiGetter is make_multi_attrgetter: comma-separated attributes give a
// tuple key.
func multiGetter(attribute starlark.Value, ignoreCase bool) getter {
	a, ok := attribute.(starlark.String)
	if !ok || !strings.Contains(string(a), ",") {
		return attrGetter(attribute, ignoreCase, nil)
	}
	var getters []getter
	for _, part := range strings.Split(string(a), ",") {
		getters = append(getters, attrGetter(starlark.String(part), ignoreCase, nil))
	}
	return func(item starlark.Value) (starlark.Value, error) {
		key := make(starlark.Tuple, len(getters))
		for i, g := range getters {
			var err error
			if key[i], err = g(item); err != nil {
				return nil, err
			}
		}
		return key, nil
	}
}

// less is Python's a < b on sort keys.
func less(a, b starlark.Value) (bool, error) {
	if err := strictAll([]starlark.Value{a, b}); err != nil {
		return false, err
	}
	return starlark.Compare(syntax.LT, numeric(a), numeric(b))
}

// sortBy sorts items stably by their keys, as Python's sorted() does
// (reverse keeps equal items in their original order).
func sortBy(items []starlark.Value, key getter, reverse bool) ([]starlark.Value, error) {
	keys := make([]starlark.Value, len(items))
	for i, item := range items {
		var err error
		if keys[i], err = key(item); err != nil {
			return nil, err
		}
	}
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	var firstErr error
	sort.SliceStable(idx, func(i, j int) bool {
		a, b := keys[idx[i]], keys[idx[j]]
		if reverse {
			a, b = b, a
		}
		lt, err := less(a, b)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return lt
	})
	out := make([]starlark.Value, len(items))
	for i, j := range idx {
		out[i] = items[j]
	}
	return out, firstErr
}

func fSort(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var reverse, caseSensitive, attribute starlark.Value
	if err := unpack("sort", args, kwargs, "reverse?", &reverse, "case_sensitive?", &caseSensitive, "attribute?", &attribute); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	sorted, err := sortBy(items, multiGetter(attribute, !isTrue(caseSensitive)), isTrue(reverse))
	return starlark.NewList(sorted), err
}

func fDictsort(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var caseSensitive, reverse starlark.Value
	by := "key"
	if err := unpack("dictsort", args, kwargs, "case_sensitive?", &caseSensitive, "by?", &by, "reverse?", &reverse); err != nil {
		return nil, err
	}
	pos := map[string]int{"key": 0, "value": 1}
	p, ok := pos[by]
	if !ok {
		return nil, errors.New(`you can only sort by either "key" or "value"`)
	}
	items, err := mappingItems(in)
	if err != nil {
		return nil, err
	}
	sorted, err := sortBy(items, attrGetter(starlark.MakeInt(p), !isTrue(caseSensitive), nil), isTrue(reverse))
	return starlark.NewList(sorted), err
}

// mappingItems returns the (key, value) pairs of a mapping.
func mappingItems(v starlark.Value) ([]starlark.Value, error) {
	m, ok := v.(starlark.IterableMapping)
	if !ok {
		return nil, errors.New("can only get item pairs from a mapping")
	}
	var items []starlark.Value
	for _, kv := range m.Items() {
		items = append(items, kv)
	}
	return items, nil
}

func fItems(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("items", args, kwargs); err != nil {
		return nil, err
	}
	if _, ok := in.(*undefined); ok {
		return starlark.NewList(nil), nil
	}
	items, err := mappingItems(in)
	return starlark.NewList(items), err
}

func fUnique(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var caseSensitive, attribute starlark.Value
	if err := unpack("unique", args, kwargs, "case_sensitive?", &caseSensitive, "attribute?", &attribute); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	key := attrGetter(attribute, !isTrue(caseSensitive), nil)
	seen := starlark.NewDict(len(items))
	var out []starlark.Value
	for _, item := range items {
		k, err := key(item)
		if err != nil {
			return nil, err
		}
		if _, found, err := seen.Get(k); err != nil || found {
			if err != nil {
				return nil, err
			}
			continue
		}
		_ = seen.SetKey(k, starlark.None)
		out = append(out, item)
	}
	return starlark.NewList(out), nil
}

// aggregate implements min and max: the first item whose key is least
// (or greatest).
func aggregate(name string, greatest bool) filterFunc {
	return func(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var caseSensitive, attribute starlark.Value
		if err := unpack(name, args, kwargs, "case_sensitive?", &caseSensitive, "attribute?", &attribute); err != nil {
			return nil, err
		}
		items, err := iterate(in)
		if err != nil || len(items) == 0 {
			return &undefined{name: name, hint: "No aggregated item, sequence was empty."}, err
		}
		key := attrGetter(attribute, !isTrue(caseSensitive), nil)
		best, bestKey := items[0], starlark.Value(nil)
		if bestKey, err = key(best); err != nil {
			return nil, err
		}
		for _, item := range items[1:] {
			k, err := key(item)
			if err != nil {
				return nil, err
			}
			a, b := k, bestKey
			if greatest {
				a, b = b, a
			}
			if lt, err := less(a, b); err != nil || lt {
				if err != nil {
					return nil, err
				}
				best, bestKey = item, k
			}
		}
		return best, nil
	}
}

var (
	fMin = aggregate("min", false)
	fMax = aggregate("max", true)
)

func fFirst(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	items, err := iterate(in)
	if err == nil && len(items) == 0 {
		return &undefined{name: "first", hint: "No first item, sequence was empty."}, unpack("first", args, kwargs)
	}
	if err != nil {
		return nil, err
	}
	return items[0], unpack("first", args, kwargs)
}

func fLast(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	items, err := iterate(in)
	if err == nil && len(items) == 0 {
		return &undefined{name: "last", hint: "No last item, sequence was empty."}, unpack("last", args, kwargs)
	}
	if err != nil {
		return nil, err
	}
	return items[len(items)-1], unpack("last", args, kwargs)
}

func fList(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("list", args, kwargs); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	return starlark.NewList(items), err
}

func fReverse(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if err := unpack("reverse", args, kwargs); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	out := make([]starlark.Value, len(items))
	for i, item := range items {
		out[len(items)-1-i] = item
	}
	if _, ok := in.(starlark.String); ok {
		var b strings.Builder
		for _, c := range out {
			b.WriteString(string(c.(starlark.String)))
		}
		return starlark.String(b.String()), nil
	}
	return starlark.NewList(out), nil
}

func fJoin(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var sep starlark.Value = starlark.String("")
	var attribute starlark.Value
	if err := unpack("join", args, kwargs, "d?", &sep, "attribute?", &attribute); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	key := attrGetter(attribute, false, nil)
	strs := make([]string, len(items))
	for i, item := range items {
		v, err := key(item)
		if err != nil {
			return nil, err
		}
		if strs[i], err = toStr(v); err != nil {
			return nil, err
		}
	}
	return starlark.String(strings.Join(strs, pyStr(sep))), nil
}

func fSum(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var attribute starlark.Value
	var total starlark.Value = starlark.MakeInt(0)
	if err := unpack("sum", args, kwargs, "attribute?", &attribute, "start?", &total); err != nil {
		return nil, err
	}
	if _, ok := total.(starlark.String); ok {
		return nil, errors.New("sum() can't sum strings [use ''.join(seq) instead]")
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	key := attrGetter(attribute, false, nil)
	for _, item := range items {
		v, err := key(item)
		if err != nil {
			return nil, err
		}
		if total, err = binary("+", total, v); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func fAttr(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	if err := unpack("attr", args, kwargs, "name", &name); err != nil {
		return nil, err
	}
	return getattr(in, name, false)
}

func fBatch(_ *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var size int
	var fill starlark.Value = starlark.None
	if err := unpack("batch", args, kwargs, "linecount", &size, "fill_with?", &fill); err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil || size <= 0 {
		return nil, errors.Join(err, errorIf(size <= 0, "linecount must be positive"))
	}
	var out []starlark.Value
	for len(items) > 0 {
		n := min(size, len(items))
		row := append([]starlark.Value(nil), items[:n]...)
		for len(row) < size && fill != starlark.None {
			row = append(row, fill)
		}
		out, items = append(out, starlark.NewList(row)), items[n:]
	}
	return starlark.NewList(out), nil
}

func errorIf(cond bool, msg string) error {
	if cond {
		return errors.New(msg)
	}
	return nil
}

// fMap is the map filter: map(attribute="x", default=d) or
// map("filter", args...).
func fMap(r *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	fn, err := mapFunc(r, args, kwargs)
	if err != nil {
		return nil, err
	}
	out := make([]starlark.Value, len(items))
	for i, item := range items {
		if out[i], err = fn(item); err != nil {
			return nil, err
		}
	}
	return starlark.NewList(out), nil
}

// mapFunc returns what map applies to each item.
func mapFunc(r *renderer, args starlark.Tuple, kwargs []starlark.Tuple) (getter, error) {
	if len(args) == 0 {
		kw := newKwargs(kwargs)
		attribute, ok := kw.pop("attribute")
		if !ok {
			return nil, errors.New("map requires a filter argument")
		}
		def, _ := kw.pop("default")
		if len(kw.keys) > 0 {
			return nil, fmt.Errorf("unexpected keyword argument %s", quotePy(kw.keys[0]))
		}
		if def == starlark.None {
			def = nil // as in Jinja2, default=None keeps the undefined
		}
		return attrGetter(attribute, false, def), nil
	}
	name := pyStr(args[0])
	def, ok := filters[name]
	if !ok {
		return nil, fmt.Errorf("no filter named %s", quotePy(name))
	}
	rest := args[1:]
	return func(item starlark.Value) (starlark.Value, error) {
		return r.callFilter(name, def, item, rest, kwargs)
	}, nil
}

// selectFilter implements select, reject, selectattr and rejectattr.
func selectFilter(byAttr, keep bool) filterFunc {
	return func(r *renderer, in starlark.Value, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		items, err := iterate(in)
		if err != nil {
			return nil, err
		}
		key := attrGetter(nil, false, nil)
		if byAttr {
			if len(args) == 0 {
				return nil, errors.New("missing parameter for attribute name")
			}
			key, args = attrGetter(args[0], false, nil), args[1:]
		}
		test, err := selectTest(r, args, kwargs)
		if err != nil {
			return nil, err
		}
		var out []starlark.Value
		for _, item := range items {
			v, err := key(item)
			if err != nil {
				return nil, err
			}
			ok, err := test(v)
			if err != nil {
				return nil, err
			}
			if ok == keep {
				out = append(out, item)
			}
		}
		return starlark.NewList(out), nil
	}
}

// selectTest returns the test select and its relatives apply: a named
// test with arguments, or truth when no test is named.
func selectTest(r *renderer, args starlark.Tuple, kwargs []starlark.Tuple) (func(starlark.Value) (bool, error), error) {
	if len(args) == 0 {
		return truth, nil
	}
	name := pyStr(args[0])
	def, ok := tests[name]
	if !ok {
		return nil, fmt.Errorf("no test named %s", quotePy(name))
	}
	rest := args[1:]
	return func(v starlark.Value) (bool, error) { return r.callTest(name, def, v, rest, kwargs) }, nil
}

var (
	fSelect     = selectFilter(false, true)
	fReject     = selectFilter(false, false)
	fSelectattr = selectFilter(true, true)
	fRejectattr = selectFilter(true, false)
)
