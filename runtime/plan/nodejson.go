package plan

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A root's node tree is most of a plan. It is encoded and parsed directly
// (encoding/json sees one value per root), which keeps large plans cheap.
// A node whose origin equals its parent's leaves it out; Unmarshal fills
// it in again.
//
// On the wire (AppendRequest) a child also leaves out what it repeats of
// its parent, which every sub-component of a File does: its label when
// that is its kind followed by the parent's argument list
// ("Content('a.conf')" under "File('a.conf')"), and its string attributes
// that hold the same text as the parent's attribute of that name (path,
// content), listed under "same". The decoder fills both in again, sharing
// the parent's strings. The indented plan of `batou plan` keeps them.

// minShared is the shortest attribute text worth sharing with the parent.
const minShared = 8

// MarshalJSON encodes the node and its subtree.
func (n *Node) MarshalJSON() ([]byte, error) {
	return n.appendJSON(nil, nil, &nodeEncoding{})
}

// nodeEncoding is how a node tree is encoded: compact leaves out what a
// child repeats of its parent; fl, when set, writes out what has been
// encoded after each child.
type nodeEncoding struct {
	compact bool
	fl      *flusher
	// apart, when set, collects the nodes whose children (followMin or
	// more) are left out of the line and sent in lines of their own.
	apart *[]*Node
}

// appendJSON appends n below parent (nil for a root's node).
func (n *Node) appendJSON(buf []byte, parent *Node, enc *nodeEncoding) ([]byte, error) {
	compact := enc.compact
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendInt(buf, int64(n.ID), 10)
	buf = appendField(buf, "kind", n.Kind)
	if !compact || parent == nil || n.Label == "" || !isDerivedLabel(n.Label, n.Kind, parent.Label) {
		buf = appendField(buf, "label", n.Label)
	}
	if n.Def != nil {
		buf = append(buf, `,"def":`...)
		buf = n.Def.appendJSON(buf)
	}
	var same []string
	if compact && parent != nil {
		var room [4]string // a File's sub-components share path and content
		same = sharedAttrs(room[:0], n.Attrs, parent.Attrs)
	}
	if len(n.Attrs) > len(same) {
		buf = append(buf, `,"attrs":`...)
		b := bytes.NewBuffer(buf) // appends in place
		if err := writeAttrsExcept(b, n.Attrs, same); err != nil {
			return nil, fmt.Errorf("%s: %w", n.Label, err)
		}
		buf = b.Bytes()
	}
	if len(same) > 0 {
		buf = append(buf, `,"same":[`...)
		for i, k := range same {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendString(buf, k)
		}
		buf = append(buf, ']')
	}
	if n.Workdir != "" {
		buf = appendField(buf, "workdir", n.Workdir)
	}
	parentOrigin := ""
	if parent != nil {
		parentOrigin = parent.Origin
	}
	if n.Origin != parentOrigin {
		buf = appendField(buf, "origin", n.Origin)
	}
	if n.BeforeUpdate != "" {
		buf = appendField(buf, "before_update", n.BeforeUpdate)
	}
	return n.appendChildren(buf, enc)
}

// derivedLabel is the label of a child of kind under a parent labelled
// parent that repeats the parent's arguments: Content('a') under File('a').
func derivedLabel(kind, parent string) string {
	i := strings.IndexByte(parent, '(')
	if i < 0 {
		return ""
	}
	return kind + parent[i:]
}

// isDerivedLabel reports whether label is derivedLabel(kind, parent),
// without making that string.
func isDerivedLabel(label, kind, parent string) bool {
	i := strings.IndexByte(parent, '(')
	return i >= 0 && len(label) == len(kind)+len(parent)-i &&
		label[:len(kind)] == kind && label[len(kind):] == parent[i:]
}

// sharedAttrs appends to same (sorted) the string attributes of a that
// hold the same text as the one of the same name in parent.
func sharedAttrs(same []string, a, parent Attrs) []string {
	for k, v := range a {
		s, ok := v.(string)
		if !ok || len(s) < minShared {
			continue
		}
		if ps, ok := parent[k].(string); ok && ps == s {
			same = append(same, k)
		}
	}
	slices.Sort(same)
	return same
}

func (n *Node) appendChildren(buf []byte, enc *nodeEncoding) ([]byte, error) {
	if enc.apart != nil && len(n.Children) >= followMin {
		*enc.apart = append(*enc.apart, n)
		buf = append(buf, `,"children_follow":`...)
		buf = strconv.AppendInt(buf, int64(len(n.Children)), 10)
		return append(buf, '}'), nil
	}
	if len(n.Children) > 0 {
		buf = append(buf, `,"children":[`...)
		for i, c := range n.Children {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = c.appendJSON(buf, n, enc); err != nil {
				return nil, err
			}
			buf = enc.fl.flush(buf, false)
		}
		buf = append(buf, ']')
	}
	return append(buf, '}'), nil
}

func appendField(buf []byte, name, value string) []byte {
	buf = append(buf, ',', '"')
	buf = append(buf, name...)
	buf = append(buf, '"', ':')
	return appendString(buf, value)
}

func (d *DefRef) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"file":`...)
	buf = appendString(buf, d.File)
	buf = appendField(buf, "name", d.Name)
	for _, f := range []struct {
		name string
		on   bool
	}{{"verify", d.Verify}, {"update", d.Update}, {"last_updated", d.LastUpdated}, {"before_update", d.BeforeUpdate}} {
		if f.on {
			buf = append(buf, `,"`+f.name+`":true`...)
		}
	}
	return append(buf, '}')
}

// UnmarshalJSON parses what MarshalJSON wrote.
func (n *Node) UnmarshalJSON(data []byte) error {
	p := &parser{data: data}
	return p.node(n, nil)
}

// node parses n below parent (nil for a root's node), filling in what the
// compact form leaves out.
func (p *parser) node(n *Node, parent *Node) error {
	if parent != nil {
		n.Origin = parent.Origin
	}
	hasLabel, filled := false, false
	var same []string
	if p.blocks != nil {
		defer p.blocks.keepSame(len(p.blocks.same))
	}
	// fill completes n from its parent, before its children need it.
	fill := func() error {
		filled = true
		if !hasLabel && parent != nil {
			n.Label = p.derivedLabel(n.Kind, parent.Label)
		}
		for _, k := range same {
			v, ok := parent.attr(k)
			if !ok {
				return fmt.Errorf("node %d shares attribute %s, which its parent does not have", n.ID, k)
			}
			if n.Attrs == nil {
				n.Attrs = make(Attrs, len(same))
			}
			n.Attrs[k] = v
		}
		return nil
	}
	err := p.object(func(key string) error {
		switch key {
		case "id":
			id, err := p.integer()
			if err != nil {
				return err
			}
			n.ID = int(id)
			return nil
		case "attrs":
			a, err := p.attrs()
			n.Attrs = a
			return err
		case "same":
			var err error
			same, err = p.names()
			return err
		case "def":
			n.Def = &DefRef{}
			return p.defRef(n.Def)
		case "children":
			if err := fill(); err != nil {
				return err
			}
			return p.children(n)
		case "children_follow":
			count, err := p.integer()
			if err != nil || count < 1 || count > maxFollow || p.follow == nil {
				return p.fail()
			}
			if err := fill(); err != nil {
				return err
			}
			*p.follow = append(*p.follow, following{node: n, count: int(count)})
			return nil
		case "label":
			hasLabel = true
		}
		return p.nodeString(n, key)
	})
	if err != nil || filled {
		return err
	}
	return fill()
}

// attr returns the attribute k of n (a nil n has none).
func (n *Node) attr(k string) (Value, bool) {
	if n == nil {
		return nil, false
	}
	v, ok := n.Attrs[k]
	return v, ok
}

// names parses an array of strings (into the parser's blocks, when it
// has them: see node).
func (p *parser) names() ([]string, error) {
	var out []string
	start := 0
	if p.blocks != nil {
		out, start = p.blocks.same, len(p.blocks.same)
	}
	err := p.array(func() error {
		if p.peek() != '"' {
			return p.fail()
		}
		s, err := p.str()
		out = append(out, s)
		return err
	})
	if p.blocks != nil {
		p.blocks.same = out
	}
	return out[start:], err
}

// keepSame drops the names parsed since same held n of them.
func (b *blocks) keepSame(n int) { b.same = b.same[:n] }

// derivedLabel is derivedLabel(kind, parent), in the parser's text.
func (p *parser) derivedLabel(kind, parent string) string {
	i := strings.IndexByte(parent, '(')
	if i < 0 {
		return ""
	}
	return p.keepJoined(kind, parent[i:])
}

func (p *parser) nodeString(n *Node, key string) error {
	if p.peek() != '"' {
		return p.fail()
	}
	s, err := p.str()
	switch key {
	case "kind":
		n.Kind = s
	case "label":
		n.Label = s
	case "workdir":
		n.Workdir = s
	case "origin":
		n.Origin = s
	case "before_update":
		n.BeforeUpdate = s
	default:
		return fmt.Errorf("unknown node field %q", key)
	}
	return err
}

// children parses the children array; each child inherits n's origin
// unless it has its own. Origins and attributes come before children in
// the encoding.
func (p *parser) children(n *Node) error {
	if ok, err := p.parallelChildren(n); ok {
		return err
	}
	if p.blocks == nil {
		return p.array(func() error {
			c := &Node{}
			if err := p.node(c, n); err != nil {
				return err
			}
			n.Children = append(n.Children, c)
			return nil
		})
	}
	b := p.blocks
	start := len(b.stack)
	err := p.array(func() error {
		c := p.newNode()
		b.stack = append(b.stack, c)
		return p.node(c, n)
	})
	if kids := b.stack[start:]; len(kids) > 0 {
		if n.Children == nil {
			n.Children = p.nodeList(kids)
		} else {
			n.Children = append(n.Children, kids...)
		}
	}
	clear(b.stack[start:])
	b.stack = b.stack[:start]
	return err
}

func (p *parser) defRef(d *DefRef) error {
	return p.object(func(key string) error {
		v, err := p.value()
		if err != nil {
			return err
		}
		s, _ := v.(string)
		b, _ := v.(bool)
		switch key {
		case "file":
			d.File = s
		case "name":
			d.Name = s
		case "verify":
			d.Verify = b
		case "update":
			d.Update = b
		case "last_updated":
			d.LastUpdated = b
		case "before_update":
			d.BeforeUpdate = b
		}
		return nil
	})
}
