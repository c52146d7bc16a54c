package query

import "strings"

// ParseOrderBy parses an orderBy parameter (NGSI-LD clause 4.23, new in
// 1.9.1), already URL-decoded:
//
//	orderBy   = item *("," item)
//	item      = path [";" direction]
//	direction = "asc" / "desc"     ; case-insensitive, asc by default
//
// A path has the syntax of q (attr, attr.sub, attr.observedAt,
// attr[key.key]); names are expanded with expand (nil keeps them). Items
// are in order of precedence: "temperature;desc,name" sorts by temperature
// descending, then by name. An empty parameter is an error. CompareValues
// gives the order of values.
func ParseOrderBy(s string, expand func(string) string) ([]OrderTerm, error) {
	p := &scanner{param: "orderBy", s: s}
	expand = orIdentity(expand)
	p.skipSpace()
	if p.eof() {
		return nil, p.errf(0, "empty orderBy")
	}
	var terms []OrderTerm
	for {
		p.skipSpace()
		path, err := p.parsePath(expand)
		if err != nil {
			return nil, err
		}
		t := OrderTerm{Path: path}
		p.skipSpace()
		if p.peek() == ';' {
			p.i++
			start := p.i
			for p.i < len(p.s) && isLetter(p.s[p.i]) {
				p.i++
			}
			switch strings.ToLower(p.s[start:p.i]) {
			case "asc":
			case "desc":
				t.Descending = true
			default:
				return nil, p.errf(start, "expected asc or desc after ';'")
			}
			p.skipSpace()
		}
		terms = append(terms, t)
		if p.eof() {
			return terms, nil
		}
		if p.peek() != ',' {
			return nil, p.errf(p.i, "unexpected %q: expected ',', ';asc', ';desc' or the end", p.rest())
		}
		p.i++
	}
}
