package plan

import (
	"runtime"
	"sync"
)

// A plan's bytes are mostly the children of a few nodes (a component with
// a thousand Files). When the agent decodes a plan its other cores are
// idle (the controller waits for it), so a large children array is cut
// into parts by a quick scan of its structure and the parts are parsed at
// once, each by its own parser.

// parallelMin is the size of a children array worth parsing in parts.
const parallelMin = 128 << 10

// parallelChildren parses the children array of n at p.pos in parts, when
// it is large, there are cores to share it and the scan finds its end; ok
// is false (with p unchanged) otherwise.
func (p *parser) parallelChildren(n *Node) (ok bool, err error) {
	workers := min(runtime.GOMAXPROCS(0), 4)
	if !p.parallel || workers < 2 || len(p.data)-p.pos < parallelMin {
		return false, nil
	}
	spans, end, ok := scanElements(p.data, p.pos)
	if !ok || len(spans) < 2*workers {
		return false, nil
	}
	total := spans[len(spans)-1].end - spans[0].start
	type part struct {
		from, to int // spans[from:to]
		nodes    []*Node
		follow   []following
		err      error
	}
	var parts []*part
	from, size := 0, 0
	for i, s := range spans {
		size += s.end - s.start
		if size*workers >= total*(len(parts)+1) || i == len(spans)-1 {
			parts = append(parts, &part{from: from, to: i + 1})
			from = i + 1
		}
	}
	var wg sync.WaitGroup
	for _, pt := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := &parser{data: p.data, src: p.src}
			if p.blocks != nil {
				sub.blocks = &blocks{}
			}
			if p.follow != nil {
				sub.follow = &pt.follow
			}
			pt.nodes = make([]*Node, 0, pt.to-pt.from)
			for _, s := range spans[pt.from:pt.to] {
				sub.pos = s.start
				c := sub.newNode()
				if pt.err = sub.node(c, n); pt.err != nil {
					return
				}
				if sub.pos != s.end {
					pt.err = sub.fail()
					return
				}
				pt.nodes = append(pt.nodes, c)
			}
		}()
	}
	wg.Wait()
	n.Children = make([]*Node, 0, len(spans))
	for _, pt := range parts {
		if pt.err != nil {
			return true, pt.err
		}
		n.Children = append(n.Children, pt.nodes...)
		if p.follow != nil {
			*p.follow = append(*p.follow, pt.follow...)
		}
	}
	p.pos = end
	return true, nil
}

// span is where one element of an array is in the data.
type span struct{ start, end int }

// scanElements finds the objects of the array starting at data[pos] (a
// '[') without parsing them: it follows strings and nesting only. It
// returns their spans and the position after the closing ']'; ok is false
// when the array is not a plain list of objects.
func scanElements(data []byte, pos int) (spans []span, end int, ok bool) {
	i := skipSpace(data, pos)
	if i >= len(data) || data[i] != '[' {
		return nil, 0, false
	}
	i++
	for {
		i = skipSpace(data, i)
		if i < len(data) && data[i] == ']' && len(spans) == 0 {
			return spans, i + 1, true
		}
		if i >= len(data) || data[i] != '{' {
			return nil, 0, false
		}
		start := i
		if i, ok = skipObject(data, i); !ok {
			return nil, 0, false
		}
		spans = append(spans, span{start, i})
		i = skipSpace(data, i)
		if i >= len(data) {
			return nil, 0, false
		}
		switch data[i] {
		case ',':
			i++
		case ']':
			return spans, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// skipObject returns the position after the object or array starting at
// data[i], following strings and nesting.
func skipObject(data []byte, i int) (int, bool) {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		}
	}
	return i, false
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}
