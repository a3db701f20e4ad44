package plan

import (
	"strings"
	"unsafe"
)

// A plan of a thousand Files has three thousand nodes, and parsing each
// took a dozen allocations: the node, its list of children, a copy of
// every string, the label it derives from its parent's. The agent's
// parsers (newPlanParser) take nodes and lists of children from blocks,
// take strings without escapes from one copy of the data they parse, and
// put the other strings they make one after the other in blocks of text.
// All of it lives as long as the plan, as the plan's nodes did.

// Blocks of nodes, of child lists and of text start small (a plan of a
// few nodes stays small) and double up to these sizes.
const (
	maxNodeBlock = 256
	maxKidsBlock = 1024
	maxTextBlock = 32 << 10
)

// newPlanParser returns a parser of data for the agent: the nodes and
// strings it returns share blocks, and strings share data's copy.
func newPlanParser(data []byte) *parser {
	return &parser{data: data, src: string(data), blocks: &blocks{}}
}

// ownPlanParser is newPlanParser for data that no one changes again: its
// strings are parts of data itself, without a copy.
func ownPlanParser(data []byte) *parser {
	if len(data) == 0 {
		return newPlanParser(data)
	}
	return &parser{data: data, src: unsafe.String(&data[0], len(data)), blocks: &blocks{}}
}

// blocks are what a plan parser allocates from.
type blocks struct {
	nodes     []Node
	nodeBlock int
	kids      []*Node
	kidsBlock int
	text      strings.Builder
	textBlock int
	// stack holds the children of the nodes being parsed, until a
	// node's list is complete; same holds the names of "same" lists.
	stack []*Node
	same  []string
}

// newNode returns a new zero node.
func (p *parser) newNode() *Node {
	b := p.blocks
	if b == nil {
		return &Node{}
	}
	if len(b.nodes) == 0 {
		b.nodeBlock = min(max(2*b.nodeBlock, 8), maxNodeBlock)
		b.nodes = make([]Node, b.nodeBlock)
	}
	n := &b.nodes[0]
	b.nodes = b.nodes[1:]
	return n
}

// nodeList returns a copy of list in a slice of its length and capacity.
func (p *parser) nodeList(list []*Node) []*Node {
	b := p.blocks
	if b == nil {
		return append([]*Node(nil), list...)
	}
	if len(b.kids) < len(list) {
		b.kidsBlock = min(max(2*b.kidsBlock, 16), maxKidsBlock)
		b.kids = make([]*Node, max(b.kidsBlock, len(list)))
	}
	out := b.kids[:len(list):len(list)]
	b.kids = b.kids[len(list):]
	copy(out, list)
	return out
}

// keepBytes returns b as a string, in a block of text when the parser
// has blocks.
func (p *parser) keepBytes(b []byte) string {
	t := p.textFor(len(b))
	if t == nil {
		return string(b)
	}
	start := t.Len()
	t.Write(b)
	return t.String()[start:]
}

// keepJoined returns a followed by b, in a block of text when the parser
// has blocks.
func (p *parser) keepJoined(a, b string) string {
	t := p.textFor(len(a) + len(b))
	if t == nil {
		return a + b
	}
	start := t.Len()
	t.WriteString(a)
	t.WriteString(b)
	return t.String()[start:]
}

// textFor returns the block of text to append size bytes to, nil when
// the parser has no blocks or the text is too large to share one.
func (p *parser) textFor(size int) *strings.Builder {
	b := p.blocks
	if b == nil || size > maxTextBlock/4 {
		return nil
	}
	if b.text.Cap()-b.text.Len() < size {
		b.textBlock = min(max(2*b.textBlock, 1<<10), maxTextBlock)
		b.text = strings.Builder{}
		b.text.Grow(b.textBlock)
	}
	return &b.text
}
