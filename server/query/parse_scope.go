package query

import "strings"

// ParseScopeQ parses a scope query (NGSI-LD clause 4.19): scope patterns
// joined by ',' or '|' (OR) and ';' (AND), with parentheses, AND binding
// tighter than OR. A pattern starts with '/' and has one or more
// non-empty levels separated by '/'; a level "+" stands for exactly one
// level and a last level "#" for zero or more levels: "/Nantes/Est",
// "/Nantes/+", "/Nantes/#", "/+/Parking", "/#".
func ParseScopeQ(s string) (ScopeExpr, error) {
	n, err := parseBoolExpr("scopeQ", s, scanScope)
	if err != nil {
		return nil, err
	}
	return scopeTree(n), nil
}

func scanScope(p *scanner) (string, error) {
	start := p.i
	if p.peek() != '/' {
		return "", p.errf(p.i, "a scope starts with '/'")
	}
	for p.peek() == '/' {
		p.i++
		level := p.i
		for p.i < len(p.s) && isWordByte(p.s[p.i]) && p.s[p.i] != '/' {
			p.i++
		}
		switch l := p.s[level:p.i]; {
		case l == "":
			return "", p.errf(level, "empty scope level")
		case l == "#":
			if p.peek() == '/' {
				return "", p.errf(level, "'#' must be the last level")
			}
		case l != "+" && strings.ContainsAny(l, "+#"):
			return "", p.errf(level, "'+' and '#' must stand alone as a level")
		}
	}
	return p.s[start:p.i], nil
}

func scopeTree(n *boolNode) ScopeExpr {
	if n.op == 0 {
		return &ScopePattern{Pattern: n.leaf}
	}
	terms := make([]ScopeExpr, len(n.terms))
	for i, t := range n.terms {
		terms[i] = scopeTree(t)
	}
	if n.op == ';' {
		return &ScopeAnd{Terms: terms}
	}
	return &ScopeOr{Terms: terms}
}

// String writes the pattern.
func (s *ScopePattern) String() string { return s.Pattern }

// String writes the query in canonical form: ';' for AND, '|' for OR.
func (s *ScopeAnd) String() string { return joinScopes(s.Terms, ";") }

// String writes the query in canonical form: ';' for AND, '|' for OR.
func (s *ScopeOr) String() string { return joinScopes(s.Terms, "|") }

func joinScopes(terms []ScopeExpr, sep string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = groupString(t, sep)
	}
	return strings.Join(parts, sep)
}
