package query

import "strings"

// boolNode is the tree shared by the type selection and scope query
// languages: leaves joined by ';' (AND) and by '|' or ',' (OR), with
// parentheses; AND binds tighter than OR. Op is 0 for a leaf.
type boolNode struct {
	op    byte
	leaf  string
	terms []*boolNode
}

type boolParser struct {
	scanner
	atom  func(p *scanner) (string, error)
	depth int
}

// parseBoolExpr parses s with atom reading each leaf. Nested groups of the
// same operator are flattened and a group of one term is that term.
func parseBoolExpr(param, s string, atom func(p *scanner) (string, error)) (*boolNode, error) {
	p := &boolParser{scanner: scanner{param: param, s: s}, atom: atom}
	p.skipSpace()
	if p.eof() {
		return nil, p.errf(0, "empty expression")
	}
	n, err := p.parse('|')
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		if p.peek() == ')' {
			return nil, p.errf(p.i, "unbalanced parentheses: ')' without a matching '('")
		}
		return nil, p.errf(p.i, "unexpected %q: expected ';', '|', ',' or the end of the expression", p.rest())
	}
	return n, nil
}

// parse reads a sequence joined by op ('|' also accepts ','), whose terms
// are sequences joined by ';' (when op is '|') or factors.
func (p *boolParser) parse(op byte) (*boolNode, error) {
	var terms []*boolNode
	for {
		var n *boolNode
		var err error
		if op == '|' {
			n, err = p.parse(';')
		} else {
			n, err = p.factor()
		}
		if err != nil {
			return nil, err
		}
		if n.op == op {
			terms = append(terms, n.terms...)
		} else {
			terms = append(terms, n)
		}
		p.skipSpace()
		if c := p.peek(); c != op && (op != '|' || c != ',') {
			break
		}
		p.i++
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &boolNode{op: op, terms: terms}, nil
}

func (p *boolParser) factor() (*boolNode, error) {
	p.skipSpace()
	if p.peek() != '(' {
		if p.eof() || strings.IndexByte(";|,)", p.peek()) >= 0 {
			return nil, p.errf(p.i, "expected a name or '('")
		}
		s, err := p.atom(&p.scanner)
		if err != nil {
			return nil, err
		}
		return &boolNode{leaf: s}, nil
	}
	open := p.i
	if p.depth >= maxDepth {
		return nil, p.errf(open, "parentheses nested too deeply")
	}
	p.depth++
	p.i++
	n, err := p.parse('|')
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		if p.eof() {
			return nil, p.errf(open, "unbalanced parentheses: '(' is not closed")
		}
		return nil, p.errf(p.i, "unexpected %q: expected ';', '|', ',' or ')'", p.rest())
	}
	p.i++
	p.depth--
	return n, nil
}

// isWordByte reports whether c may appear in an entity type name or a
// scope level.
func isWordByte(c byte) bool {
	return c >= 0x80 || c > ' ' && c != 0x7f && strings.IndexByte(`;|,()"`, c) < 0
}
