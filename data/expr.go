package data

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Expr is a parsed row-selection expression such as
//
//	label == 0
//	m_bb > 1.2 && jet1_pt < 2
//	!(label != 1 || lepton_pT >= 0.5)
//
// Grammar (usual precedence: ! binds tightest, then comparisons, then &&,
// then ||):
//
//	expr    = and { "||" and }
//	and     = unary { "&&" unary }
//	unary   = "!" unary | "(" expr ")" | compare
//	compare = value ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) value
//	value   = [ "-" | "+" ] ( number | column )
//
// A column is a name of letters, digits, '_' and '.' not starting with a
// digit, or any name between backquotes (`p T`). Numbers are decimal
// literals with an optional exponent (1, -2.5, .5, 1e-3). Comparisons cannot
// be chained: write a < b && b < c. Parentheses and ! nest at most
// maxExprDepth (256) deep; chains of && and || may be of any length.
type Expr struct {
	src  string
	root exprNode
	cols []string // referenced columns, in order of first use
}

// ExprError locates a mistake in an expression. Pos is the 1-based character
// position in the text.
type ExprError struct {
	Expr string
	Pos  int
	Err  error
}

// Error implements error.
func (e *ExprError) Error() string {
	return fmt.Sprintf("where %s: at position %d: %v", quoteString(e.Expr), e.Pos, e.Err)
}

// Unwrap returns the underlying error, for errors.Is and errors.As.
func (e *ExprError) Unwrap() error { return e.Err }

// ParseExpr parses an expression; column names are checked later, by
// [Expr.Compile].
func ParseExpr(src string) (*Expr, error) {
	p := &exprParser{src: src}
	if err := p.lex(); err != nil {
		return nil, err
	}
	if p.peek().kind == tokEOF {
		return nil, p.errAt(p.peek(), "empty expression")
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokOp && isCompareOp(t.text) {
			return nil, p.errAt(t, "comparisons cannot be chained; combine them with && (a < b && b < c)")
		}
		return nil, p.errAt(t, "unexpected %s", t.describe())
	}
	e := &Expr{src: src, root: root}
	collectColumns(root, &e.cols)
	return e, nil
}

// CompileExpr parses src and compiles it against columns in one step.
func CompileExpr(src string, columns []string) (func(row []float64) bool, error) {
	e, err := ParseExpr(src)
	if err != nil {
		return nil, err
	}
	return e.Compile(columns)
}

// String returns the expression's source text.
func (e *Expr) String() string { return e.src }

// Columns returns the column names the expression uses, in order of first use.
func (e *Expr) Columns() []string { return slices.Clone(e.cols) }

// Compile binds the expression to a row layout: columns[j] is the name of
// row[j]. The returned function is safe for concurrent use. An unknown column
// is an [*ExprError] wrapping an [*UnknownColumnError].
func (e *Expr) Compile(columns []string) (func(row []float64) bool, error) {
	index := make(map[string]int, len(columns))
	for j, c := range columns {
		index[c] = j
	}
	return e.compileBool(e.root, columns, index)
}

// ---- syntax tree ----

type exprNode interface{ pos() int }

// logicNode is a chain of operands joined by one operator, kept flat so
// that a long chain (run == 1 || run == 2 || ...) costs no recursion.
type logicNode struct {
	op string // "&&" or "||"
	xs []exprNode
	at int
}

type notNode struct {
	x  exprNode
	at int
}

type cmpNode struct {
	op          string
	left, right valueNode
	at          int
}

type valueNode struct {
	column string // "" for a number
	num    float64
	neg    bool // a column with a unary minus
	at     int
}

func (n *logicNode) pos() int { return n.at }
func (n *notNode) pos() int   { return n.at }
func (n *cmpNode) pos() int   { return n.at }

func collectColumns(n exprNode, cols *[]string) {
	switch n := n.(type) {
	case *logicNode:
		for _, x := range n.xs {
			collectColumns(x, cols)
		}
	case *notNode:
		collectColumns(n.x, cols)
	case *cmpNode:
		for _, v := range []valueNode{n.left, n.right} {
			if v.column != "" && !slices.Contains(*cols, v.column) {
				*cols = append(*cols, v.column)
			}
		}
	}
}

// ---- compilation to closures ----

func (e *Expr) compileBool(n exprNode, columns []string, index map[string]int) (func([]float64) bool, error) {
	switch n := n.(type) {
	case *logicNode:
		fs := make([]func([]float64) bool, len(n.xs))
		for i, x := range n.xs {
			f, err := e.compileBool(x, columns, index)
			if err != nil {
				return nil, err
			}
			fs[i] = f
		}
		and := n.op == "&&"
		if len(fs) == 2 {
			l, r := fs[0], fs[1]
			if and {
				return func(row []float64) bool { return l(row) && r(row) }, nil
			}
			return func(row []float64) bool { return l(row) || r(row) }, nil
		}
		return func(row []float64) bool {
			for _, f := range fs {
				if f(row) != and {
					return !and
				}
			}
			return and
		}, nil
	case *notNode:
		x, err := e.compileBool(n.x, columns, index)
		if err != nil {
			return nil, err
		}
		return func(row []float64) bool { return !x(row) }, nil
	case *cmpNode:
		return e.compileCompare(n, columns, index)
	}
	panic("unreachable")
}

func (e *Expr) compileCompare(n *cmpNode, columns []string, index map[string]int) (func([]float64) bool, error) {
	resolve := func(v valueNode) (int, error) {
		if v.column == "" {
			return -1, nil
		}
		j, ok := index[v.column]
		if !ok {
			return 0, &ExprError{Expr: e.src, Pos: v.at, Err: &UnknownColumnError{Name: v.column, Known: columns}}
		}
		return j, nil
	}
	li, err := resolve(n.left)
	if err != nil {
		return nil, err
	}
	ri, err := resolve(n.right)
	if err != nil {
		return nil, err
	}
	cmp := compareFunc(n.op)
	// The common shape, column op number, gets a closure without indirection
	// through value closures: it is evaluated for every row of big files.
	if li >= 0 && !n.left.neg && ri < 0 {
		c := n.right.num
		switch n.op {
		case "==":
			return func(row []float64) bool { return row[li] == c }, nil
		case "!=":
			return func(row []float64) bool { return row[li] != c }, nil
		case "<":
			return func(row []float64) bool { return row[li] < c }, nil
		case "<=":
			return func(row []float64) bool { return row[li] <= c }, nil
		case ">":
			return func(row []float64) bool { return row[li] > c }, nil
		case ">=":
			return func(row []float64) bool { return row[li] >= c }, nil
		}
	}
	l, r := valueFunc(n.left, li), valueFunc(n.right, ri)
	return func(row []float64) bool { return cmp(l(row), r(row)) }, nil
}

func valueFunc(v valueNode, j int) func([]float64) float64 {
	switch {
	case j < 0:
		c := v.num
		return func([]float64) float64 { return c }
	case v.neg:
		return func(row []float64) float64 { return -row[j] }
	default:
		return func(row []float64) float64 { return row[j] }
	}
}

func compareFunc(op string) func(a, b float64) bool {
	switch op {
	case "==":
		return func(a, b float64) bool { return a == b }
	case "!=":
		return func(a, b float64) bool { return a != b }
	case "<":
		return func(a, b float64) bool { return a < b }
	case "<=":
		return func(a, b float64) bool { return a <= b }
	case ">":
		return func(a, b float64) bool { return a > b }
	case ">=":
		return func(a, b float64) bool { return a >= b }
	}
	panic("unknown comparison " + op)
}

func isCompareOp(s string) bool {
	switch s {
	case "==", "!=", "<", "<=", ">", ">=":
		return true
	}
	return false
}

// ---- lexer and parser ----

type tokKind int

const (
	tokEOF tokKind = iota
	tokNum
	tokIdent
	tokOp // operators and parentheses
)

type token struct {
	kind tokKind
	text string // source text; for identifiers, the name without backquotes
	num  float64
	pos  int // 1-based character position
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokNum:
		return "number " + t.text
	case tokIdent:
		return "column name " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

type exprParser struct {
	src   string
	toks  []token
	i     int
	depth int // nesting of parentheses and !
}

// maxExprDepth bounds the nesting of parentheses and ! in an expression, so
// that parsing, compiling and evaluating it cannot exhaust the stack.
const maxExprDepth = 256

func (p *exprParser) errAt(t token, format string, args ...any) error {
	return &ExprError{Expr: p.src, Pos: t.pos, Err: fmt.Errorf(format, args...)}
}

func (p *exprParser) peek() token { return p.toks[p.i] }

func (p *exprParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *exprParser) lex() error {
	s := p.src
	// charPos converts byte offsets, which only grow, to 1-based character
	// positions, counting each byte once.
	lastOff, lastPos := 0, 1
	charPos := func(byteOff int) int {
		lastPos += utf8.RuneCountInString(s[lastOff:byteOff])
		lastOff = byteOff
		return lastPos
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			j := scanNumber(s, i)
			v, err := strconv.ParseFloat(s[i:j], 64)
			if err != nil || j < len(s) && isIdentChar(s[j]) {
				for j < len(s) && isIdentChar(s[j]) {
					j++
				}
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("malformed number %s", quoteString(s[i:j]))}
			}
			p.toks = append(p.toks, token{kind: tokNum, text: s[i:j], num: v, pos: charPos(i)})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(s) && isIdentChar(s[j]) {
				j++
			}
			p.toks = append(p.toks, token{kind: tokIdent, text: s[i:j], pos: charPos(i)})
			i = j
		case c == '`':
			j := strings.IndexByte(s[i+1:], '`')
			if j < 0 {
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("unterminated `quoted column name`")}
			}
			if j == 0 {
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("empty column name ``")}
			}
			p.toks = append(p.toks, token{kind: tokIdent, text: s[i+1 : i+1+j], pos: charPos(i)})
			i += j + 2
		default:
			two := ""
			if i+1 < len(s) {
				two = s[i : i+2]
			}
			switch two {
			case "==", "!=", "<=", ">=", "&&", "||":
				p.toks = append(p.toks, token{kind: tokOp, text: two, pos: charPos(i)})
				i += 2
				continue
			}
			switch c {
			case '<', '>', '!', '(', ')', '-', '+':
				p.toks = append(p.toks, token{kind: tokOp, text: string(c), pos: charPos(i)})
				i++
			case '=':
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("use == to test equality")}
			case '&':
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("use && for 'and'")}
			case '|':
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("use || for 'or'")}
			default:
				r, _ := utf8.DecodeRuneInString(s[i:])
				return &ExprError{Expr: s, Pos: charPos(i), Err: fmt.Errorf("unexpected character %q", r)}
			}
		}
	}
	p.toks = append(p.toks, token{kind: tokEOF, pos: charPos(len(s))})
	return nil
}

// scanNumber returns the end of the decimal literal starting at i.
func scanNumber(s string, i int) int {
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			return j
		}
	}
	return i
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '.' }

func (p *exprParser) parseOr() (exprNode, error) {
	return p.parseChain("||", p.parseAnd)
}

func (p *exprParser) parseAnd() (exprNode, error) {
	return p.parseChain("&&", p.parseUnary)
}

// parseChain parses operands joined by op into one flat node (or the single
// operand).
func (p *exprParser) parseChain(op string, operand func() (exprNode, error)) (exprNode, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	var n *logicNode
	for p.peek().kind == tokOp && p.peek().text == op {
		t := p.next()
		x, err := operand()
		if err != nil {
			return nil, err
		}
		if n == nil {
			n = &logicNode{op: op, xs: []exprNode{first}, at: t.pos}
		}
		n.xs = append(n.xs, x)
	}
	if n == nil {
		return first, nil
	}
	return n, nil
}

func (p *exprParser) parseUnary() (exprNode, error) {
	t := p.peek()
	if t.kind == tokOp && (t.text == "!" || t.text == "(") {
		if p.depth++; p.depth > maxExprDepth {
			return nil, p.errAt(t, "parentheses and ! nested more than %d deep", maxExprDepth)
		}
		defer func() { p.depth-- }()
	}
	if t.kind == tokOp && t.text == "!" {
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &notNode{x: x, at: t.pos}, nil
	}
	if t.kind == tokOp && t.text == "(" {
		p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokOp || c.text != ")" {
			if c.kind == tokOp && isCompareOp(c.text) {
				return nil, p.errAt(c, "a parenthesised condition cannot be compared; parentheses group conditions, not values")
			}
			return nil, p.errAt(c, "expected ) to close the ( at position %d, found %s", t.pos, c.describe())
		}
		return x, nil
	}
	return p.parseCompare()
}

func (p *exprParser) parseCompare() (exprNode, error) {
	left, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	op := p.next()
	if op.kind != tokOp || !isCompareOp(op.text) {
		return nil, p.errAt(op, "expected a comparison (== != < <= > >=) after %s, found %s", describeValue(left), op.describe())
	}
	right, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	return &cmpNode{op: op.text, left: left, right: right, at: op.pos}, nil
}

func describeValue(v valueNode) string {
	if v.column != "" {
		return strconv.Quote(v.column)
	}
	return strconv.FormatFloat(v.num, 'g', -1, 64)
}

func (p *exprParser) parseValue() (valueNode, error) {
	t := p.next()
	neg := false
	if t.kind == tokOp && (t.text == "-" || t.text == "+") {
		neg = t.text == "-"
		sign := t
		t = p.next()
		if t.kind != tokNum && t.kind != tokIdent {
			return valueNode{}, p.errAt(t, "expected a number or a column name after %q, found %s", sign.text, t.describe())
		}
		t.pos = sign.pos
	}
	switch t.kind {
	case tokNum:
		v := t.num
		if neg {
			v = -v
		}
		return valueNode{num: v, at: t.pos}, nil
	case tokIdent:
		return valueNode{column: t.text, neg: neg, at: t.pos}, nil
	}
	return valueNode{}, p.errAt(t, "expected a number or a column name, found %s", t.describe())
}
