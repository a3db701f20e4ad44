package jinja

import "go.starlark.net/starlark"

// at is the template line a node starts on, as Jinja2 numbers it.
type at struct{ line int }

func (a at) pos() int { return a.line }

// expr is an expression node.
type expr interface{ pos() int }

// Expression nodes.
type (
	constExpr struct {
		at
		v starlark.Value
	}
	nameExpr struct {
		at
		name string
	}
	listExpr struct {
		at
		items []expr
	}
	tupleExpr struct {
		at
		items []expr
	}
	dictExpr struct {
		at
		keys, values []expr
	}
	attrExpr struct {
		at
		x    expr
		name string
		key  starlark.Value // name as a Starlark string, for item lookups
	}
	itemExpr struct {
		at
		x, key expr
	}
	sliceExpr struct {
		at
		x, lo, hi, step expr
	}
	callExpr struct {
		at
		fn expr
		callArgs
	}
	filterExpr struct {
		at
		x    expr // nil in a {% filter %} block: the body is the input
		name string
		def  *filterDef
		callArgs
	}
	testExpr struct {
		at
		x    expr
		name string
		def  *testDef
		callArgs
	}
	notExpr struct {
		at
		x expr
	}
	unaryExpr struct {
		at
		op string // "-" or "+"
		x  expr
	}
	binExpr struct {
		at
		op   string // + - * / // % **
		x, y expr
	}
	logicExpr struct {
		at
		and  bool
		x, y expr
	}
	concatExpr struct {
		at
		items []expr
	}
	compareExpr struct {
		at
		x   expr
		ops []string // == != < <= > >= in notin
		ys  []expr
	}
	condExpr struct {
		at
		cond, then, els expr // els may be nil
	}
)

// callArgs are the arguments of a call, filter or test.
type callArgs struct {
	args   []expr
	kwargs []kwarg
	star   expr // *args
	dstar  expr // **kwargs
}

// kwarg is one name=value argument.
type kwarg struct {
	name  string
	value expr
}

// stmt is a statement node: text, output or a block tag.
type stmt interface{ pos() int }

// Statement nodes.
type (
	textStmt struct {
		at
		text string
	}
	outputStmt struct {
		at
		x expr
	}
	forStmt struct {
		at
		target target
		iter   expr
		// consts holds the items of iter when it is a list or tuple of
		// constants, made once at parse time (see loopItems).
		consts    starlark.Tuple
		cond      expr
		body      []stmt
		orelse    []stmt
		recursive bool
	}
	ifStmt struct {
		at
		lines  []int // line of the if and of each elif
		conds  []expr
		bodies [][]stmt
		orelse []stmt
	}
	setStmt struct {
		at
		target target
		value  expr
	}
	setBlockStmt struct {
		at
		target  target
		filters []*filterExpr
		body    []stmt
	}
	macroStmt struct {
		at
		def *macroDef
	}
	callBlockStmt struct {
		at
		call   *callExpr
		caller *macroDef
	}
	filterBlockStmt struct {
		at
		filters []*filterExpr
		body    []stmt
	}
	withStmt struct {
		at
		targets []target
		values  []expr
		body    []stmt
	}
	blockStmt struct { // {% block %}: its body in a scope of its own
		at
		name string
		body []stmt
	}
	loaderStmt struct { // include, import, from, extends
		at
		tag string
	}
)

// macroDef is a macro or the body of a {% call %} block.
type macroDef struct {
	name     string
	params   []string
	defaults []expr // for the last len(defaults) params
	body     []stmt
	// Whether the body mentions varargs, kwargs or caller: only then does
	// the macro accept extra arguments or a caller, as in Jinja2.
	varargs, kwargs, caller bool
}

// target is the left side of an assignment or a loop variable.
type target interface{}

type (
	nameTarget  string
	tupleTarget []target
	nsTarget    struct{ ns, attr string } // {% set ns.attr = ... %}
)
