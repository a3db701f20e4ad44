package plan

import (
	"bytes"
	"fmt"
	"strconv"
)

// A root's node tree is most of a plan. It is encoded and parsed directly
// (encoding/json sees one value per root), which keeps large plans cheap.
// A node whose origin equals its parent's leaves it out; Unmarshal fills
// it in again.

// MarshalJSON encodes the node and its subtree.
func (n *Node) MarshalJSON() ([]byte, error) {
	return n.appendJSON(nil, "")
}

func (n *Node) appendJSON(buf []byte, parentOrigin string) ([]byte, error) {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendInt(buf, int64(n.ID), 10)
	buf = appendField(buf, "kind", n.Kind)
	buf = appendField(buf, "label", n.Label)
	if n.Def != nil {
		buf = append(buf, `,"def":`...)
		buf = n.Def.appendJSON(buf)
	}
	if len(n.Attrs) > 0 {
		buf = append(buf, `,"attrs":`...)
		b := bytes.NewBuffer(buf) // appends in place
		if err := writeAttrs(b, n.Attrs); err != nil {
			return nil, fmt.Errorf("%s: %w", n.Label, err)
		}
		buf = b.Bytes()
	}
	if n.Workdir != "" {
		buf = appendField(buf, "workdir", n.Workdir)
	}
	if n.Origin != parentOrigin {
		buf = appendField(buf, "origin", n.Origin)
	}
	if n.BeforeUpdate != "" {
		buf = appendField(buf, "before_update", n.BeforeUpdate)
	}
	return n.appendChildren(buf)
}

func (n *Node) appendChildren(buf []byte) ([]byte, error) {
	if len(n.Children) > 0 {
		buf = append(buf, `,"children":[`...)
		for i, c := range n.Children {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = c.appendJSON(buf, n.Origin); err != nil {
				return nil, err
			}
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
	return p.node(n, "")
}

func (p *parser) node(n *Node, parentOrigin string) error {
	n.Origin = parentOrigin
	return p.object(func(key string) error {
		switch key {
		case "id":
			v, err := p.number()
			id, ok := v.(int64)
			if err != nil || !ok {
				return p.fail()
			}
			n.ID = int(id)
			return nil
		case "attrs":
			a, err := p.attrs()
			n.Attrs = a
			return err
		case "def":
			n.Def = &DefRef{}
			return p.defRef(n.Def)
		case "children":
			return p.children(n)
		}
		return p.nodeString(n, key)
	})
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
// unless it has its own. Origins come before children in the encoding.
func (p *parser) children(n *Node) error {
	if err := p.expect('['); err != nil {
		return err
	}
	if p.peek() == ']' {
		p.pos++
		return nil
	}
	for {
		c := &Node{}
		if err := p.node(c, n.Origin); err != nil {
			return err
		}
		n.Children = append(n.Children, c)
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return nil
		default:
			return p.fail()
		}
	}
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
