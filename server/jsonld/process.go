package jsonld

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// maxRemoteDepth bounds how deeply remote contexts may include other remote
// contexts.
const maxRemoteDepth = 10

// termDef is a processed term definition. An empty iri is a null mapping:
// the term is treated as undefined.
type termDef struct {
	iri      string
	prefix   bool // may be the prefix of compact IRIs produced by compaction
	noPrefix bool // "@prefix": false: never used as a prefix
}

// state is the active context while a @context value is processed.
type state struct {
	terms map[string]termDef
	owned bool // terms belongs to this state; otherwise it is shared and copied before a write
	vocab string
}

func (s *state) set(term string, def termDef) {
	if !s.owned {
		m := make(map[string]termDef, len(s.terms)+8)
		for k, v := range s.terms {
			m[k] = v
		}
		s.terms, s.owned = m, true
	}
	s.terms[term] = def
}

// builder processes one @context value on top of the core definitions.
type builder struct {
	ctx   context.Context
	p     *Processor // nil while the core itself is processed
	core  *coreData  // nil while the core itself is processed
	st    state
	chain []string // remote contexts being processed, for cycle detection
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidContext, fmt.Sprintf(format, args...))
}

// value processes a @context value: null, a URL, an object or an array.
func (b *builder) value(v any, base string, depth int) error {
	switch v := v.(type) {
	case nil:
		b.reset()
	case string:
		return b.remote(v, base, depth)
	case map[string]any:
		return b.object(v, base, depth)
	case []any:
		for _, e := range v {
			if _, ok := e.([]any); ok {
				return invalidf("an array of contexts cannot contain an array")
			}
			if err := b.value(e, base, depth); err != nil {
				return err
			}
		}
	default:
		return invalidf("a context must be a URL, an object or an array, not %T", v)
	}
	return nil
}

// reset returns to the initial active context, the core.
func (b *builder) reset() {
	if b.core == nil {
		b.st = state{terms: map[string]termDef{}, owned: true}
		return
	}
	b.st = state{terms: b.core.defs, vocab: b.core.vocab}
}

// applyCore applies the core definitions over the active context.
func (b *builder) applyCore() {
	if b.core == nil {
		return
	}
	if b.st.owned {
		for k, v := range b.core.defs {
			b.st.terms[k] = v
		}
	}
	b.st.vocab = b.core.vocab
}

func (b *builder) remote(ref, base string, depth int) error {
	if ref == "" {
		return invalidf("a context URL cannot be empty")
	}
	u := resolveURL(base, ref)
	if IsCoreContextURL(u) {
		b.applyCore()
		return nil
	}
	if b.p == nil {
		return invalidf("the core context cannot include %q", u)
	}
	if depth >= maxRemoteDepth {
		return invalidf("remote contexts nested more than %d deep at %q", maxRemoteDepth, u)
	}
	for _, c := range b.chain {
		if c == u {
			return invalidf("remote context %q includes itself", u)
		}
	}
	doc, err := b.p.remoteContext(b.ctx, u)
	if err != nil {
		return err
	}
	b.chain = append(b.chain, u)
	defer func() { b.chain = b.chain[:len(b.chain)-1] }()
	return b.value(doc, u, depth+1)
}

func resolveURL(base, ref string) string {
	if base == "" {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil || r.IsAbs() {
		return ref
	}
	bu, err := url.Parse(base)
	if err != nil {
		return ref
	}
	return bu.ResolveReference(r).String()
}

// object processes a local context object.
func (b *builder) object(obj map[string]any, base string, depth int) error {
	if imp, ok := obj["@import"]; ok {
		merged, err := b.imported(imp, base, depth)
		if err != nil {
			return err
		}
		for k, v := range obj {
			if k != "@import" {
				merged[k] = v
			}
		}
		obj = merged
	}
	if v, ok := obj["@vocab"]; ok {
		if err := b.setVocab(v); err != nil {
			return err
		}
	}
	for k, v := range obj {
		if err := checkContextEntry(k, v); err != nil {
			return err
		}
	}
	d := definer{b: b, local: obj, status: make(map[string]uint8, len(obj))}
	for k := range obj {
		if k[0] == '@' {
			continue
		}
		if err := d.define(k); err != nil {
			return err
		}
	}
	return nil
}

// imported returns a copy of the object context that @import references.
func (b *builder) imported(imp any, base string, depth int) (map[string]any, error) {
	ref, ok := imp.(string)
	if !ok {
		return nil, invalidf("@import must be a URL")
	}
	u := resolveURL(base, ref)
	var doc any
	switch {
	case IsCoreContextURL(u) && b.core != nil:
		doc = b.core.object
	case b.p == nil:
		return nil, invalidf("the core context cannot import %q", u)
	case depth >= maxRemoteDepth:
		return nil, invalidf("remote contexts nested more than %d deep at %q", maxRemoteDepth, u)
	default:
		var err error
		if doc, err = b.p.remoteContext(b.ctx, u); err != nil {
			return nil, err
		}
	}
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, invalidf("@import of %q: not a context object", u)
	}
	if _, ok := m["@import"]; ok {
		return nil, invalidf("@import of %q: the imported context imports again", u)
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out, nil
}

// setVocab processes a @vocab entry: null unsets it; a term, compact IRI or
// absolute IRI sets it; a relative value is appended to the current @vocab.
func (b *builder) setVocab(v any) error {
	switch v := v.(type) {
	case nil:
		b.st.vocab = ""
		return nil
	case string:
		if v == "" {
			b.st.vocab = ""
			return nil
		}
		iri := v
		if def, ok := b.st.terms[v]; ok && def.iri != "" {
			iri = def.iri
		} else if i := strings.IndexByte(v, ':'); i >= 0 {
			if def, ok := b.st.terms[v[:i]]; ok && def.iri != "" && !isKeyword(def.iri) {
				iri = def.iri + v[i+1:]
			}
		}
		if !isAbsoluteIRI(iri) && !strings.HasPrefix(iri, "_:") {
			if b.st.vocab == "" {
				return invalidf("@vocab %q is not an absolute IRI", v)
			}
			iri = b.st.vocab + iri
		}
		b.st.vocab = iri
		return nil
	}
	return invalidf("@vocab must be a string or null")
}

// checkContextEntry validates the keyword entries of a local context;
// terms are validated when they are defined.
func checkContextEntry(k string, v any) error {
	if k == "" {
		return invalidf("a term cannot be the empty string")
	}
	if k[0] != '@' {
		return nil
	}
	ok := true
	switch k {
	case "@vocab", "@import":
	case "@version":
		_, ok = v.(float64)
	case "@base", "@language":
		ok = isStringOrNull(v)
	case "@direction":
		ok = v == nil || v == "ltr" || v == "rtl"
	case "@protected", "@propagate":
		_, ok = v.(bool)
	case "@type":
		_, ok = v.(map[string]any)
	default:
		if isKeyword(k) {
			return invalidf("keyword %s cannot be redefined", k)
		}
		// other keyword-like entries are ignored, as JSON-LD does
	}
	if !ok {
		return invalidf("%s has a value of the wrong kind", k)
	}
	return nil
}

func isStringOrNull(v any) bool {
	_, ok := v.(string)
	return ok || v == nil
}

const (
	pending uint8 = iota
	busy
	done
)

// definer creates the term definitions of one local context, in dependency
// order: a definition that refers to another term of the same object
// defines that term first.
type definer struct {
	b      *builder
	local  map[string]any
	status map[string]uint8
}

func (d *definer) define(term string) error {
	switch d.status[term] {
	case done:
		return nil
	case busy:
		return invalidf("cyclic definition of term %q", term)
	}
	d.status[term] = busy
	var def termDef
	var err error
	switch v := d.local[term].(type) {
	case nil:
		// null mapping: the term is left undefined
	case string:
		def.iri, err = d.mapping(term, v)
		def.prefix = isPrefixCandidate(term, def.iri)
	case map[string]any:
		def, err = d.expanded(term, v)
	default:
		err = invalidf("term %q: a definition must be a string, an object or null", term)
	}
	if err != nil {
		return err
	}
	d.b.st.set(term, def)
	d.status[term] = done
	return nil
}

// expanded processes an expanded term definition (an object).
func (d *definer) expanded(term string, m map[string]any) (termDef, error) {
	var def termDef
	prefixSet := false
	for k, v := range m {
		ok := true
		switch k {
		case "@id":
			ok = isStringOrNull(v)
		case "@type":
			var s string
			s, ok = v.(string)
			ok = ok && (s == "" || s[0] != '@' || s == "@id" || s == "@vocab" || s == "@json" || s == "@none")
		case "@container":
			ok = validContainer(v)
		case "@language", "@direction":
			ok = isStringOrNull(v)
		case "@prefix":
			def.prefix, ok = v.(bool)
			def.noPrefix, prefixSet = !def.prefix, true
		case "@protected":
			_, ok = v.(bool)
		case "@nest", "@index":
			_, ok = v.(string)
		case "@context":
			return def, invalidf("term %q: scoped contexts are not supported in NGSI-LD", term)
		case "@reverse":
			return def, invalidf("term %q: reverse properties are not supported in NGSI-LD", term)
		default:
			return def, invalidf("term %q: unknown member %q", term, k)
		}
		if !ok {
			return def, invalidf("term %q: %s has a value of the wrong kind", term, k)
		}
	}
	id, hasID := m["@id"]
	if hasID && id == nil {
		return termDef{}, nil
	}
	s, _ := id.(string)
	iri, err := d.mapping(term, s)
	if err != nil {
		return def, err
	}
	def.iri = iri
	if !prefixSet {
		def.prefix = isPrefixCandidate(term, iri)
	} else if def.prefix && strings.ContainsAny(term, ":/") {
		def.prefix = false
	}
	return def, nil
}

func validContainer(v any) bool {
	check := func(s any) bool {
		switch s {
		case "@list", "@set", "@index", "@language", "@graph", "@id", "@type":
			return true
		}
		return false
	}
	if a, ok := v.([]any); ok {
		for _, e := range a {
			if !check(e) {
				return false
			}
		}
		return true
	}
	return check(v)
}

// isPrefixCandidate reports whether a term may prefix compact IRIs.
func isPrefixCandidate(term, iri string) bool {
	if iri == "" || isKeyword(iri) || strings.ContainsAny(term, ":/") {
		return false
	}
	switch iri[len(iri)-1] {
	case '/', '#', ':':
		return true
	}
	return false
}

// mapping returns the IRI that term maps to given the value of its @id
// (empty when absent).
func (d *definer) mapping(term, id string) (string, error) {
	var iri string
	var err error
	switch {
	case id != "" && id != term:
		if iri, err = d.expand(id); err != nil {
			return "", err
		}
	case strings.IndexByte(term, ':') >= 0:
		if iri, err = d.expandIRI(term); err != nil {
			return "", err
		}
	case d.b.st.vocab != "":
		iri = d.b.st.vocab + term
	default:
		return "", invalidf("term %q has no IRI and no @vocab applies", term)
	}
	switch {
	case iri == "@context":
		return "", invalidf("term %q cannot alias @context", term)
	case iri != "" && iri[0] == '@':
		if !isKeyword(iri) {
			return "", invalidf("term %q maps to unknown keyword %q", term, iri)
		}
	case !isAbsoluteIRI(iri) && !strings.HasPrefix(iri, "_:"):
		return "", invalidf("term %q does not map to an absolute IRI: %q", term, iri)
	}
	return iri, nil
}

// expand expands a value of a definition, defining first the terms of the
// local context it refers to.
func (d *definer) expand(v string) (string, error) {
	if v == "" || v[0] == '@' {
		return v, nil
	}
	if _, ok := d.local[v]; ok {
		if err := d.define(v); err != nil {
			return "", err
		}
	}
	if def, ok := d.b.st.terms[v]; ok && def.iri != "" {
		return def.iri, nil
	}
	return d.expandIRI(v)
}

// expandIRI expands v as a compact IRI, an absolute IRI or a
// vocabulary-relative IRI, without looking v itself up as a term.
func (d *definer) expandIRI(v string) (string, error) {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		prefix, suffix := v[:i], v[i+1:]
		if prefix == "_" || strings.HasPrefix(suffix, "//") {
			return v, nil
		}
		if _, ok := d.local[prefix]; ok && prefix != "" && prefix[0] != '@' {
			if err := d.define(prefix); err != nil {
				return "", err
			}
		}
		if def, ok := d.b.st.terms[prefix]; ok && def.iri != "" && !def.noPrefix && !isKeyword(def.iri) {
			return def.iri + suffix, nil
		}
		if isScheme(prefix) {
			return v, nil
		}
	}
	if d.b.st.vocab == "" {
		return "", invalidf("%q is not an absolute IRI and no @vocab applies", v)
	}
	return d.b.st.vocab + v, nil
}

// finish turns the active context into a Context, with the core applied
// last so that core terms win.
func (b *builder) finish(raw any) *Context {
	vocab := b.st.vocab
	b.applyCore()
	if vocab != "" {
		b.st.vocab = vocab
	}
	if !b.st.owned && b.core != nil && b.st.vocab == b.core.vocab {
		c := *b.core.ctx
		c.raw = raw
		return &c
	}
	var coreSet map[string]struct{}
	if b.core != nil {
		coreSet = b.core.ctx.core
	}
	return newContext(b.st.terms, b.st.vocab, coreSet, raw)
}

func newContext(terms map[string]termDef, vocab string, coreSet map[string]struct{}, raw any) *Context {
	c := &Context{
		iris:     make(map[string]string, len(terms)),
		prefixes: make(map[string]string),
		inverse:  make(map[string]string, len(terms)),
		vocab:    vocab,
		core:     coreSet,
		raw:      raw,
	}
	if c.core == nil { // the core itself
		c.core = make(map[string]struct{}, len(terms))
		for t := range terms {
			c.core[t] = struct{}{}
		}
	}
	for t, def := range terms {
		if def.iri == "" {
			continue
		}
		c.iris[t] = def.iri
		if isKeyword(def.iri) {
			continue
		}
		if !def.noPrefix {
			c.prefixes[t] = def.iri
		}
		if def.prefix {
			c.compact = append(c.compact, prefixTerm{term: t, iri: def.iri})
		}
	}
	sort.Slice(c.compact, func(i, j int) bool { return c.compact[i].term < c.compact[j].term })
	for t, iri := range c.iris {
		if cur, ok := c.inverse[iri]; !ok || c.preferred(t, cur) {
			c.inverse[iri] = t
		}
	}
	return c
}

// preferred reports whether term a is preferred to term b for compaction:
// core terms first, then the shortest, then the lexicographically least.
func (c *Context) preferred(a, b string) bool {
	if ac, bc := c.IsCoreTerm(a), c.IsCoreTerm(b); ac != bc {
		return ac
	}
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return a < b
}
