package query

import (
	"strconv"
	"strings"
	"time"
)

// String writes the expression as canonical q text: expanded names,
// strings always quoted, parentheses only where needed. ParseQ with an
// identity expansion reads it back to the same tree.
func (a *And) String() string { return joinExprs(a.Terms, ";") }

// String writes the expression as canonical q text (see And.String).
func (o *Or) String() string { return joinExprs(o.Terms, "|") }

func joinExprs(terms []Expr, sep string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = groupString(t, sep)
	}
	return strings.Join(parts, sep)
}

// String writes the comparison as canonical q text.
func (c *Comparison) String() string {
	s := c.Path.String()
	if c.Op == OpExists {
		return s
	}
	return s + c.Op.String() + c.Value.String()
}

// String returns the q text of the operator ("" for OpExists).
func (o Op) String() string {
	for _, x := range operators {
		if x.op == o {
			return x.text
		}
	}
	return ""
}

// String writes the path in q syntax: attr.sub.member[key.key].
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Attr)
	for _, s := range p.Sub {
		b.WriteByte('.')
		b.WriteString(s)
	}
	if p.Member != "" {
		b.WriteByte('.')
		b.WriteString(p.Member)
	}
	if len(p.JSON) > 0 {
		b.WriteByte('[')
		b.WriteString(strings.Join(p.JSON, "."))
		b.WriteByte(']')
	}
	return b.String()
}

// String writes the value in q syntax.
func (v Value) String() string {
	switch {
	case v.RangeLo != nil && v.RangeHi != nil:
		return v.RangeLo.String() + ".." + v.RangeHi.String()
	case len(v.List) > 0:
		parts := make([]string, len(v.List))
		for i, l := range v.List {
			parts[i] = l.String()
		}
		return strings.Join(parts, ",")
	case v.Single != nil:
		return v.Single.String()
	}
	return ""
}

// String writes the literal in q syntax: strings quoted, the other kinds
// as their source text (or a canonical form when there is none).
func (l Literal) String() string {
	switch l.Kind {
	case KindNumber:
		if l.Str != "" {
			return l.Str
		}
		return strconv.FormatFloat(l.Num, 'g', -1, 64)
	case KindBool:
		return strconv.FormatBool(l.Bool)
	case KindDateTime:
		if l.Str != "" {
			return l.Str
		}
		return l.Time.UTC().Format(time.RFC3339Nano)
	}
	return quote(l.Str)
}
