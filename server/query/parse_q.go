package query

import (
	"regexp"
	"strings"
)

// maxDepth bounds the nesting of parentheses in every expression parsed
// here, so that hostile input cannot exhaust the stack.
const maxDepth = 64

// ParseQ parses a q parameter (NGSI-LD clause 4.9), already URL-decoded.
//
// Grammar (spaces between tokens are ignored):
//
//	expr    = and *("|" and)                ; OR
//	and     = factor *(";" factor)          ; AND binds tighter than OR
//	factor  = "(" expr ")" / term
//	term    = path [op value]               ; a path alone tests existence
//	path    = name *("." name) *("[" key *("." key) "]")
//	op      = "==" / "!=" / ">" / ">=" / "<" / "<=" / "~=" / "!~="
//	value   = literal / literal ".." literal / literal 1*("," literal)
//	literal = quoted / number / "true" / "false" / date-time / date / time / word
//
// Ranges and lists go with == and != only (a!=1..5: outside the range;
// a!=1,2: none of them). Quoted strings escape '"' and '\' with a
// backslash; any other backslash is kept, so that regular expressions
// such as "\d+" read naturally. An unquoted word (a URI such as
// urn:ngsi-ld:Device:1) ends at ; | ( ) , " a space or "..", so it cannot
// hold those: quote it. The value of ~= and !~= is a regular expression
// (RE2 syntax, unanchored), quoted or not; unquoted, it ends at a ; | )
// or space outside parentheses and brackets, so "a~=^(x|y)$" works.
//
// '|' is always the OR operator: q=status==free|occupied is
// (status==free) OR (the attribute occupied exists); write
// status=="free","occupied" or status==free,occupied for a list.
//
// Nested groups of the same operator are flattened ((a;b);c is one And of
// three terms) and a group of one term is that term.
func ParseQ(s string, expand func(term string) string) (Expr, error) {
	p := &qParser{scanner: scanner{param: "q", s: s}, expand: orIdentity(expand)}
	p.skipSpace()
	if p.eof() {
		return nil, p.errf(0, "empty expression")
	}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if !p.eof() {
		if p.peek() == ')' {
			return nil, p.errf(p.i, "unbalanced parentheses: ')' without a matching '('")
		}
		return nil, p.errf(p.i, "unexpected %q: expected ';', '|' or the end of the expression", p.rest())
	}
	return e, nil
}

type qParser struct {
	scanner
	expand func(string) string
	depth  int
}

// rest returns a short excerpt of the input from the current position,
// for error messages.
func (p *scanner) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *qParser) parseOr() (Expr, error) {
	var terms []Expr
	for {
		e, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if o, ok := e.(*Or); ok {
			terms = append(terms, o.Terms...)
		} else {
			terms = append(terms, e)
		}
		p.skipSpace()
		if p.peek() != '|' {
			break
		}
		p.i++
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &Or{Terms: terms}, nil
}

func (p *qParser) parseAnd() (Expr, error) {
	var terms []Expr
	for {
		e, err := p.parseFactor()
		if err != nil {
			return nil, err
		}
		if a, ok := e.(*And); ok {
			terms = append(terms, a.Terms...)
		} else {
			terms = append(terms, e)
		}
		p.skipSpace()
		if p.peek() != ';' {
			break
		}
		p.i++
	}
	if len(terms) == 1 {
		return terms[0], nil
	}
	return &And{Terms: terms}, nil
}

func (p *qParser) parseFactor() (Expr, error) {
	p.skipSpace()
	if p.peek() != '(' {
		return p.parseComparison()
	}
	open := p.i
	if p.depth >= maxDepth {
		return nil, p.errf(open, "parentheses nested too deeply")
	}
	p.depth++
	p.i++
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.peek() != ')' {
		if p.eof() {
			return nil, p.errf(open, "unbalanced parentheses: '(' is not closed")
		}
		return nil, p.errf(p.i, "unexpected %q: expected ';', '|' or ')'", p.rest())
	}
	p.i++
	p.depth--
	return e, nil
}

func (p *qParser) parseComparison() (Expr, error) {
	if p.eof() || strings.IndexByte(";|)", p.peek()) >= 0 {
		return nil, p.errf(p.i, "expected an attribute path")
	}
	path, err := p.parsePath(p.expand)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.eof() || strings.IndexByte(";|)", p.peek()) >= 0 {
		return &Comparison{Path: path, Op: OpExists}, nil
	}
	opPos := p.i
	op, opText := p.parseOp()
	if op == OpExists {
		return nil, p.errf(opPos, "unknown operator %q: expected ==, !=, >, >=, <, <=, ~= or !~=", opText)
	}
	p.skipSpace()
	var v Value
	if op == OpMatch || op == OpNotMatch {
		v, err = p.parseRegex(opText)
	} else {
		v, err = p.parseValue(op, opText)
	}
	if err != nil {
		return nil, err
	}
	return &Comparison{Path: path, Op: op, Value: v}, nil
}

var operators = []struct {
	text string
	op   Op
}{
	{"!~=", OpNotMatch}, {"==", OpEqual}, {"!=", OpUnequal}, {">=", OpGreaterEq},
	{"<=", OpLessEq}, {"~=", OpMatch}, {">", OpGreater}, {"<", OpLess},
}

// parseOp reads an operator. It returns OpExists and the offending text
// when the input holds no valid operator. An operator directly followed by
// another operator character ("===", "<>", "=>") is invalid.
func (p *qParser) parseOp() (Op, string) {
	end := p.i
	for end < len(p.s) && strings.IndexByte("=!<>~", p.s[end]) >= 0 {
		end++
	}
	text := p.s[p.i:end]
	if text == "" {
		return OpExists, p.rest()
	}
	for _, o := range operators {
		if text == o.text {
			p.i = end
			return o.op, o.text
		}
	}
	return OpExists, text
}

func (p *qParser) parseValue(op Op, opText string) (Value, error) {
	first, err := p.parseLiteral(opText)
	if err != nil {
		return Value{}, err
	}
	switch {
	case strings.HasPrefix(p.s[p.i:], ".."):
		if op != OpEqual && op != OpUnequal {
			return Value{}, p.errf(p.i, "a range goes only with == or !=, not %s", opText)
		}
		dots := p.i
		p.i += 2
		hi, err := p.parseLiteral("..")
		if err != nil {
			return Value{}, err
		}
		if first.Kind != hi.Kind || first.Kind == KindBool {
			return Value{}, p.errf(dots, "the bounds of a range must both be numbers, date-times or strings")
		}
		if strings.HasPrefix(p.s[p.i:], "..") || p.peek() == ',' {
			return Value{}, p.errf(p.i, "a range cannot be part of a list or of another range")
		}
		return Value{RangeLo: &first, RangeHi: &hi}, nil
	case p.peek() == ',':
		if op != OpEqual && op != OpUnequal {
			return Value{}, p.errf(p.i, "a list of values goes only with == or !=, not %s", opText)
		}
		list := []Literal{first}
		for p.peek() == ',' {
			p.i++
			l, err := p.parseLiteral(",")
			if err != nil {
				return Value{}, err
			}
			if strings.HasPrefix(p.s[p.i:], "..") {
				return Value{}, p.errf(p.i, "a range cannot be part of a list")
			}
			list = append(list, l)
		}
		return Value{List: list}, nil
	}
	if first.Kind == KindBool && op != OpEqual && op != OpUnequal {
		return Value{}, p.errf(p.i-len(first.Str), "true and false compare only with == and !=")
	}
	return Value{Single: &first}, nil
}

// parseLiteral reads a quoted string or an unquoted token; after names the
// token that precedes it, for the message when the value is missing.
func (p *qParser) parseLiteral(after string) (Literal, error) {
	start := p.i
	if p.peek() == '"' {
		s, err := p.parseQuoted()
		return Literal{Kind: KindString, Str: s}, err
	}
	for p.i < len(p.s) && !strings.HasPrefix(p.s[p.i:], "..") && !isSpace(p.s[p.i]) &&
		strings.IndexByte(`;|(),"`, p.s[p.i]) < 0 {
		p.i++
	}
	tok := p.s[start:p.i]
	if tok == "" {
		return Literal{}, p.errf(start, "expected a value after %q", after)
	}
	l, ok := classify(tok)
	if !ok {
		return Literal{}, p.errf(start, "number %s is out of range", tok)
	}
	return l, nil
}

// parseQuoted reads a double-quoted string at the current position.
func (p *scanner) parseQuoted() (string, error) {
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), nil
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '"' || p.s[p.i+1] == '\\'):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.errf(start, "unterminated string: missing '\"'")
}

// parseRegex reads the pattern of ~= or !~= and checks that it compiles.
func (p *qParser) parseRegex(opText string) (Value, error) {
	start := p.i
	var pattern string
	if p.peek() == '"' {
		s, err := p.parseQuoted()
		if err != nil {
			return Value{}, err
		}
		pattern = s
	} else {
		depth, class := 0, false
	scan:
		for ; p.i < len(p.s); p.i++ {
			switch c := p.s[p.i]; {
			case c == '\\':
				p.i++
			case class:
				class = c != ']'
			case c == '[':
				class = true
			case c == '(':
				depth++
			case c == ')':
				if depth == 0 {
					break scan
				}
				depth--
			case depth == 0 && (c == ';' || c == '|' || isSpace(c)):
				break scan
			}
		}
		if p.i > len(p.s) {
			p.i = len(p.s)
		}
		pattern = p.s[start:p.i]
		if pattern == "" {
			return Value{}, p.errf(start, "expected a regular expression after %q", opText)
		}
	}
	if _, err := regexp.Compile(pattern); err != nil {
		return Value{}, p.errf(start, "invalid regular expression: %v", err)
	}
	return Value{Single: &Literal{Kind: KindString, Str: pattern}}, nil
}
