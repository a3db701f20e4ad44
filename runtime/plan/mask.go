package plan

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Masked is what a sensitive value is shown as.
const Masked = "***"

// MinSearched is the length from which a sensitive value is also searched
// inside longer texts. Shorter ones ("42", "ab") would hide every
// occurrence of common text, so they are masked only where they are a
// whole value: a whole attribute or a whole field of an event.
const MinSearched = 4

// Masker is the set of sensitive values of a run: every value that came
// from a secret and every string computed from one. It answers whether a
// text is or contains one, and masks them. The zero value is an empty set;
// a nil *Masker is an empty set too. It is safe for concurrent use.
//
// Every value of MinSearched characters or more that Add is given is
// searched inside texts. A value computed from secrets (Derive) is searched
// only when it contains no searched value: so a base64 form of a secret is
// found in a longer text, while a rendered file that contains the password
// is found through the password.
type Masker struct {
	mu      sync.RWMutex
	values  map[string]struct{}
	needles []string // longest first
	repl    *strings.Replacer
}

// NewMasker returns a masker holding values (as Add).
func NewMasker(values ...string) *Masker {
	m := &Masker{}
	m.Add(values...)
	return m
}

// Add makes values sensitive: values that come from secrets. Empty
// strings are ignored.
func (m *Masker) Add(values ...string) { m.add(values, false) }

// Derive makes values sensitive that were computed from sensitive ones.
func (m *Masker) Derive(values ...string) { m.add(values, true) }

func (m *Masker) add(values []string, derived bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, v := range values {
		if _, ok := m.values[v]; ok || v == "" {
			continue
		}
		if m.values == nil {
			m.values = map[string]struct{}{}
		}
		m.values[v] = struct{}{}
		if len(v) >= MinSearched && (!derived || m.firstNeedleIn(v) == "") {
			i, _ := slices.BinarySearchFunc(m.needles, v, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
			m.needles = slices.Insert(m.needles, i, v)
			m.repl = nil
		}
	}
}

// Len returns the number of sensitive values.
func (m *Masker) Len() int {
	if m == nil {
		return 0
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.values)
}

// Is reports whether v is a sensitive value as a whole.
func (m *Masker) Is(v string) bool {
	if m == nil || v == "" {
		return false
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.values[v]
	return ok
}

// Touches reports whether text is a sensitive value or contains a searched
// one.
func (m *Masker) Touches(text string) bool {
	if m.Len() == 0 {
		return false
	}
	if m.Is(text) {
		return true
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.firstNeedleIn(text) != ""
}

// firstNeedleIn returns the first searched value found in text, or "".
// The caller holds the lock.
func (m *Masker) firstNeedleIn(text string) string {
	for _, n := range m.needles {
		if len(n) <= len(text) && strings.Contains(text, n) {
			return n
		}
	}
	return ""
}

// Used returns the sensitive values that text is or contains: text itself
// when it is one, and every searched value found in it.
func (m *Masker) Used(text string) []string {
	if m.Len() == 0 {
		return nil
	}
	var out []string
	if m.Is(text) {
		out = append(out, text)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, n := range m.needles {
		if n != text && len(n) <= len(text) && strings.Contains(text, n) {
			out = append(out, n)
		}
	}
	return out
}

// Values returns every sensitive value, sorted.
func (m *Masker) Values() []string {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]string, 0, len(m.values))
	for v := range m.values {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// Mask returns text with sensitive values replaced by ***: every
// searched value inside it, longest first, and else the whole text when it
// is a sensitive value (a short secret, or a string computed from one).
func (m *Masker) Mask(text string) string {
	if text == "" || m.Len() == 0 {
		return text
	}
	out := text
	if r := m.replacer(); r != nil {
		out = r.Replace(text)
	}
	if out == text && m.Is(text) {
		return Masked
	}
	return out
}

// replacer returns the replacer of the searched values, building it once
// per change of the set.
func (m *Masker) replacer() *strings.Replacer {
	m.mu.RLock()
	r, n := m.repl, len(m.needles)
	m.mu.RUnlock()
	if r != nil || n == 0 {
		return r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.repl == nil && len(m.needles) > 0 {
		pairs := make([]string, 0, 2*len(m.needles))
		for _, v := range m.needles {
			pairs = append(pairs, v, Masked)
		}
		m.repl = strings.NewReplacer(pairs...)
	}
	return m.repl
}

// MaskEvent returns e with sensitive values masked in every text field.
func (m *Masker) MaskEvent(e Event) Event {
	if m.Len() == 0 {
		return e
	}
	for _, f := range []*string{&e.Title, &e.Host, &e.Root, &e.Path, &e.Diff, &e.Message, &e.File, &e.Hint, &e.Detail, &e.Via} {
		*f = m.Mask(*f)
	}
	return e
}

// MaskValue returns a copy of v in which sensitive strings are masked: a
// string that is a sensitive value becomes ***, searched values inside
// longer strings become ***, and so do numbers whose decimal form is a
// sensitive value.
func (m *Masker) MaskValue(v Value) Value {
	switch v := v.(type) {
	case string:
		return m.Mask(v)
	case int64:
		if m.Is(strconv.FormatInt(v, 10)) {
			return Masked
		}
	case float64:
		if m.Is(strconv.FormatFloat(v, 'g', -1, 64)) {
			return Masked
		}
	case []Value:
		return m.maskList(v)
	case Tuple:
		return Tuple(m.maskList(v))
	case *Dict:
		return &Dict{Keys: m.maskList(v.Keys), Values: m.maskList(v.Values)}
	case Bytes:
		if m.Touches(string(v)) {
			return Bytes(Masked)
		}
	case Address:
		if m.Touches(v.Host) {
			v.Host = Masked
		}
	case *View:
		c := *v
		c.Attrs = m.MaskAttrs(v.Attrs)
		c.Label = m.Mask(v.Label)
		return &c
	case *Struct:
		return &Struct{Fields: m.MaskAttrs(v.Fields)}
	}
	return v
}

func (m *Masker) maskList(vs []Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = m.MaskValue(v)
	}
	return out
}

// MaskAttrs returns a copy of a with its values masked.
func (m *Masker) MaskAttrs(a Attrs) Attrs {
	if a == nil {
		return nil
	}
	out := make(Attrs, len(a))
	for k, v := range a {
		out[k] = m.MaskValue(v)
	}
	return out
}

// Strings calls fn for every string inside v: strings, the decimal form
// of numbers, bytes as text, address hosts, and the strings of lists,
// dicts, views and structs.
func Strings(v Value, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case int64:
		fn(strconv.FormatInt(v, 10))
	case float64:
		fn(strconv.FormatFloat(v, 'g', -1, 64))
	case Bytes:
		fn(string(v))
	case Address:
		fn(v.Host)
	case []Value:
		stringsOf(v, fn)
	case Tuple:
		stringsOf(v, fn)
	case *Dict:
		stringsOf(v.Keys, fn)
		stringsOf(v.Values, fn)
	case *View:
		fn(v.Label)
		attrStrings(v.Attrs, fn)
	case *Struct:
		attrStrings(v.Fields, fn)
	}
}

func stringsOf(vs []Value, fn func(string)) {
	for _, v := range vs {
		Strings(v, fn)
	}
}

func attrStrings(a Attrs, fn func(string)) {
	for _, v := range a {
		Strings(v, fn)
	}
}

// UsedBy returns the sensitive values that p uses, sorted: those that are,
// or are searched inside, a string of its roots' attributes or of its
// host data.
func (m *Masker) UsedBy(p *Plan) []string {
	if m.Len() == 0 {
		return nil
	}
	seen := map[string]bool{}
	visit := func(s string) {
		for _, u := range m.Used(s) {
			seen[u] = true
		}
	}
	for _, r := range p.Roots {
		if r.Node != nil {
			r.Node.Walk(func(n *Node) { attrStrings(n.Attrs, visit); visit(n.Label) })
		}
	}
	for _, v := range p.Host.Data {
		visit(v)
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Masked returns a copy of p to show to people: sensitive values in
// attributes, labels and host data are masked, and so are the lists of
// secrets and secret files.
func (p *Plan) Masked(m *Masker) *Plan {
	c := *p
	c.Roots = make([]*Root, len(p.Roots))
	for i, r := range p.Roots {
		rc := *r
		rc.Node = maskNode(m, r.Node)
		c.Roots[i] = &rc
	}
	if p.Host.Data != nil {
		c.Host.Data = make(map[string]string, len(p.Host.Data))
		for k, v := range p.Host.Data {
			c.Host.Data[k] = m.Mask(v)
		}
	}
	c.Secrets = make([]string, len(p.Secrets))
	for i := range p.Secrets {
		c.Secrets[i] = Masked
	}
	if p.SecretFiles != nil {
		c.SecretFiles = make(map[string]string, len(p.SecretFiles))
		for k := range p.SecretFiles {
			c.SecretFiles[k] = Masked
		}
	}
	return &c
}

func maskNode(m *Masker, n *Node) *Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Label = m.Mask(n.Label)
	c.Attrs = m.MaskAttrs(n.Attrs)
	c.Children = make([]*Node, len(n.Children))
	for i, ch := range n.Children {
		c.Children[i] = maskNode(m, ch)
	}
	if n.Children == nil {
		c.Children = nil
	}
	return &c
}

// TouchesAttrs reports whether a string inside the attributes is or
// contains a sensitive value.
func (m *Masker) TouchesAttrs(a Attrs) bool {
	if m.Len() == 0 {
		return false
	}
	found := false
	attrStrings(a, func(s string) { found = found || m.Touches(s) })
	return found
}
