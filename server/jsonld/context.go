package jsonld

import (
	"strings"
)

// Context is a processed @context: the term map a request's @context
// yields, with the core context applied last. It is immutable and safe for
// concurrent use.
type Context struct {
	iris     map[string]string   // term → IRI (absolute IRI, blank node or keyword)
	prefixes map[string]string   // terms usable as the prefix of "prefix:suffix" when expanding
	compact  []prefixTerm        // terms usable as the prefix of compact IRIs, sorted by term
	inverse  map[string]string   // IRI → preferred term
	vocab    string              // never empty: the core's @vocab unless the user context sets one
	core     map[string]struct{} // terms of the core context
	raw      any
}

type prefixTerm struct {
	term, iri string
}

// Raw returns the @context value as received, for echoing in
// application/ld+json responses; nil when only the core context applies.
func (c *Context) Raw() any { return c.raw }

// IsCoreTerm reports whether term is defined by the core context.
func (c *Context) IsCoreTerm(term string) bool {
	_, ok := c.core[term]
	return ok
}

// ExpandTerm expands term to an IRI, relative to the vocabulary: a defined
// term becomes its IRI; "prefix:suffix" with a defined prefix becomes the
// prefix IRI followed by suffix; an absolute IRI, a blank node identifier
// or a keyword is returned as is; anything else is appended to @vocab.
func (c *Context) ExpandTerm(term string) string {
	head, tail := c.expansion(term)
	switch {
	case head == "":
		return tail
	case tail == "":
		return head
	}
	return head + tail
}

// expansion returns the expansion of term as two parts to be concatenated,
// so that callers that only compare need not allocate.
func (c *Context) expansion(term string) (head, tail string) {
	if iri, ok := c.iris[term]; ok {
		return iri, ""
	}
	if term == "" || term[0] == '@' {
		return "", term
	}
	if i := strings.IndexByte(term, ':'); i >= 0 {
		prefix, suffix := term[:i], term[i+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return "", term
		}
		if iri, ok := c.prefixes[prefix]; ok {
			return iri, suffix
		}
		if isScheme(prefix) {
			return "", term
		}
	}
	return c.vocab, term
}

// expandsTo reports whether ExpandTerm(term) == iri, without allocating.
func (c *Context) expandsTo(term, iri string) bool {
	head, tail := c.expansion(term)
	return len(iri) == len(head)+len(tail) && strings.HasPrefix(iri, head) && strings.HasSuffix(iri, tail)
}

// CompactIRI is the inverse of ExpandTerm: the term whose IRI is iri (the
// shortest, then the lexicographically least one, core terms first), else
// iri relative to @vocab, else a compact IRI "prefix:suffix" (the shortest,
// then the least), else iri unchanged. A result always expands back to iri.
func (c *Context) CompactIRI(iri string) string {
	if term, ok := c.inverse[iri]; ok {
		return term
	}
	if v := c.vocab; len(iri) > len(v) && strings.HasPrefix(iri, v) {
		if s := iri[len(v):]; c.expandsTo(s, iri) {
			return s
		}
	}
	best := ""
	for _, p := range c.compact {
		if len(iri) <= len(p.iri) || !strings.HasPrefix(iri, p.iri) {
			continue
		}
		n := len(p.term) + 1 + len(iri) - len(p.iri)
		if best != "" && n > len(best) {
			continue
		}
		candidate := p.term + ":" + iri[len(p.iri):]
		if !c.expandsTo(candidate, iri) {
			continue
		}
		if best == "" || n < len(best) || candidate < best {
			best = candidate
		}
	}
	if best != "" {
		return best
	}
	return iri
}

// isScheme reports whether s is a URI scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		case i > 0 && ('0' <= ch && ch <= '9' || ch == '+' || ch == '-' || ch == '.'):
		default:
			return false
		}
	}
	return true
}

// isAbsoluteIRI reports whether s starts with a scheme followed by ':'.
func isAbsoluteIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	return i > 0 && isScheme(s[:i])
}

var keywords = map[string]bool{
	"@base": true, "@container": true, "@context": true, "@direction": true,
	"@graph": true, "@id": true, "@import": true, "@included": true,
	"@index": true, "@json": true, "@language": true, "@list": true,
	"@nest": true, "@none": true, "@prefix": true, "@propagate": true,
	"@protected": true, "@reverse": true, "@set": true, "@type": true,
	"@value": true, "@version": true, "@vocab": true,
}

func isKeyword(s string) bool { return keywords[s] }
