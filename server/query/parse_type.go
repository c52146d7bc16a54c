package query

import "strings"

// ParseTypeExpr parses an entity type selection (NGSI-LD clause 4.17):
// type names joined by ',' or '|' (OR) and ';' (AND), with parentheses,
// AND binding tighter than OR: "A", "A,B", "A|B", "A;B", "(A;B)|C".
// Names are expanded with expand (nil keeps them as written).
func ParseTypeExpr(s string, expand func(term string) string) (TypeExpr, error) {
	n, err := parseBoolExpr("type", s, scanTypeName)
	if err != nil {
		return nil, err
	}
	return typeTree(n, orIdentity(expand)), nil
}

func scanTypeName(p *scanner) (string, error) {
	start := p.i
	for p.i < len(p.s) && isWordByte(p.s[p.i]) {
		p.i++
	}
	if p.i == start {
		return "", p.errf(start, "expected a type name, found %q", p.s[start])
	}
	return p.s[start:p.i], nil
}

func typeTree(n *boolNode, expand func(string) string) TypeExpr {
	if n.op == 0 {
		return &TypeName{Type: expand(n.leaf)}
	}
	terms := make([]TypeExpr, len(n.terms))
	for i, t := range n.terms {
		terms[i] = typeTree(t, expand)
	}
	if n.op == ';' {
		return &TypeAnd{Terms: terms}
	}
	return &TypeOr{Terms: terms}
}

// String writes the type name.
func (t *TypeName) String() string { return t.Type }

// String writes the selection in canonical form: ';' for AND, '|' for OR.
func (t *TypeAnd) String() string { return joinTypes(t.Terms, ";") }

// String writes the selection in canonical form: ';' for AND, '|' for OR.
func (t *TypeOr) String() string { return joinTypes(t.Terms, "|") }

func joinTypes(terms []TypeExpr, sep string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = groupString(t, sep)
	}
	return strings.Join(parts, sep)
}

// groupString writes a term of a sequence joined by sep, in parentheses
// when it is itself a sequence that would not read back the same.
func groupString(t any, sep string) string {
	s, _ := t.(interface{ String() string })
	if s == nil {
		return ""
	}
	switch t.(type) {
	case *Or, *TypeOr, *ScopeOr:
		return "(" + s.String() + ")"
	case *And, *TypeAnd, *ScopeAnd:
		if sep == ";" {
			return "(" + s.String() + ")"
		}
	}
	return s.String()
}
