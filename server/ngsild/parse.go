package ngsild

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// Keys of an attribute object that hold its payload, by attribute type.
var valueKeys = map[string]string{
	TypeProperty:         "value",
	TypeGeoProperty:      "value",
	TypeRelationship:     "object",
	TypeLanguageProperty: "languageMap",
	TypeListProperty:     "valueList",
	TypeJSONProperty:     "json",
	TypeVocabProperty:    "vocab",
	TypeListRelationship: "objectList",
}

// inferredTypes maps a payload key to the attribute type it implies when
// "type" is absent (concise representation, clause 4.5.3). "value" implies
// a GeoProperty when it holds a GeoJSON geometry.
var inferredTypes = map[string]string{
	"value":       TypeProperty,
	"object":      TypeRelationship,
	"languageMap": TypeLanguageProperty,
	"valueList":   TypeListProperty,
	"json":        TypeJSONProperty,
	"vocab":       TypeVocabProperty,
	"objectList":  TypeListRelationship,
}

// attrMemberKeys are the members of an attribute that are not payload and
// not sub-attributes.
var attrMemberKeys = map[string]bool{
	"datasetId": true, "observedAt": true, "unitCode": true, "objectType": true,
}

// ignoredKeys are accepted in input and dropped: system-generated members
// and members that only exist in some output forms.
var ignoredKeys = map[string]bool{
	"@context": true, "createdAt": true, "modifiedAt": true, "deletedAt": true,
	"instanceId": true, "lang": true,
}

// reservedNames cannot name an attribute or a sub-attribute: entity
// members, attribute members and system members.
var reservedNames = map[string]bool{
	"id": true, "type": true, "scope": true, "@context": true,
	"createdAt": true, "modifiedAt": true, "deletedAt": true, "instanceId": true,
	"value": true, "object": true, "languageMap": true, "valueList": true,
	"json": true, "vocab": true, "objectList": true, "lang": true,
	"datasetId": true, "observedAt": true, "unitCode": true, "objectType": true,
}

func isAttrType(t string) bool { _, ok := valueKeys[t]; return ok }

// Fragment is a set of attributes: the body of an append, update or merge,
// or a partial entity. Types and Scope are set only when the body has them;
// ScopeSet tells an absent scope from a scope deleted with the NGSI-LD null.
type Fragment struct {
	ID       string
	Types    []string
	Scope    []string
	ScopeSet bool
	Attrs    map[string][]*Attribute
}

// ParseEntity parses a whole entity (create, replace, batch create or
// upsert) in the normalized or concise representation, or a mix of both.
// The id, an absolute URI, and at least one type are required; the NGSI-LD
// null is refused anywhere.
func ParseEntity(doc map[string]any, c Context) (*Entity, error) {
	if doc == nil {
		return nil, invalidRequest("the entity must be a JSON object")
	}
	p := parser{c: c}
	f, err := p.fragment(doc)
	if err != nil {
		return nil, err
	}
	if _, ok := doc["id"]; !ok {
		return nil, badData("the entity has no \"id\"")
	}
	if len(f.Types) == 0 {
		return nil, badData("the entity has no \"type\"")
	}
	return &Entity{ID: f.ID, Types: f.Types, Scope: f.Scope, Attrs: f.Attrs}, nil
}

// ParseFragment parses a body of attributes. id and type are optional. An
// attribute, sub-attribute, observedAt or unitCode may be the NGSI-LD null
// ("urn:ngsi-ld:null"), kept as such for Merge and UpdateAttrs to delete.
func ParseFragment(doc map[string]any, c Context) (*Fragment, error) {
	if doc == nil {
		return nil, invalidRequest("the body must be a JSON object")
	}
	p := parser{c: c, nullable: true}
	return p.fragment(doc)
}

// ParseAttribute parses one attribute instance, normalized or concise, for
// the given expanded name: the body of a partial attribute update or of a
// replace attribute. The NGSI-LD null is accepted (see ReplaceAttr).
func ParseAttribute(name string, body any, c Context) (*Attribute, error) {
	if body == nil {
		return nil, invalidRequest("the body must be an attribute")
	}
	p := parser{c: c, nullable: true}
	path := c.CompactIRI(name)
	if isInstanceArray(body) {
		return nil, badData("attribute %q: one instance is expected, not an array", path)
	}
	return p.attribute(path, body)
}

type parser struct {
	c        Context
	nullable bool
}

func (p *parser) fragment(doc map[string]any) (*Fragment, error) {
	f := &Fragment{Attrs: make(map[string][]*Attribute, len(doc))}
	for _, k := range sortedKeys(doc) {
		v := doc[k]
		switch {
		case k == "id":
			s, ok := v.(string)
			if !ok || !isURI(s) {
				return nil, badData("the entity id must be an absolute URI, got %s", describe(v))
			}
			f.ID = s
		case k == "type":
			ts, err := p.typeList("type", v)
			if err != nil {
				return nil, err
			}
			f.Types = ts
		case k == "scope":
			if err := p.scope(f, v); err != nil {
				return nil, err
			}
		case ignoredKeys[k]:
		case reservedNames[k] || strings.HasPrefix(k, "@"):
			return nil, badData("%q is a reserved name and cannot be an attribute", k)
		default:
			if err := checkName(k); err != nil {
				return nil, err
			}
			name := p.c.ExpandTerm(k)
			if _, dup := f.Attrs[name]; dup {
				return nil, badData("attribute %q is given twice (as a term and as an IRI)", k)
			}
			list, err := p.instances(k, v)
			if err != nil {
				return nil, err
			}
			f.Attrs[name] = list
		}
	}
	return f, nil
}

// typeList parses an entity type or objectType: a name or a non-empty array
// of names, expanded, without duplicates.
func (p *parser) typeList(what string, v any) ([]string, error) {
	var raw []any
	switch t := v.(type) {
	case string:
		raw = []any{t}
	case []any:
		raw = t
	}
	if len(raw) == 0 {
		return nil, badData("%s must be a name or a non-empty array of names, got %s", what, describe(v))
	}
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		s, ok := r.(string)
		if !ok {
			return nil, badData("%s must be a name or a non-empty array of names, got %s", what, describe(r))
		}
		if err := checkName(s); err != nil {
			return nil, err
		}
		if e := p.c.ExpandTerm(s); !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (p *parser) scope(f *Fragment, v any) error {
	f.ScopeSet = true
	if s, ok := v.(string); ok && s == NullURI && p.nullable {
		f.Scope = nil
		return nil
	}
	var raw []any
	switch t := v.(type) {
	case string:
		raw = []any{t}
	case []any:
		raw = t
	default:
		return badData("scope must be a string or an array of strings, got %s", describe(v))
	}
	f.Scope = make([]string, 0, len(raw))
	for _, r := range raw {
		s, ok := r.(string)
		if !ok || !strings.HasPrefix(s, "/") || strings.IndexFunc(s, forbiddenInScope) >= 0 {
			return badData("a scope must be a string starting with \"/\", without spaces, got %s", describe(r))
		}
		if !slices.Contains(f.Scope, s) {
			f.Scope = append(f.Scope, s)
		}
	}
	return nil
}

func forbiddenInScope(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// instances parses the value of a top-level attribute: one instance, or an
// array of instances (multi-attribute, clause 4.5.5) with distinct
// datasetIds and at most one default instance.
func (p *parser) instances(path string, v any) ([]*Attribute, error) {
	if !isInstanceArray(v) {
		a, err := p.attribute(path, v)
		if err != nil {
			return nil, err
		}
		return []*Attribute{a}, nil
	}
	raw := v.([]any)
	list := make([]*Attribute, 0, len(raw))
	for _, r := range raw {
		a, err := p.attribute(path, r)
		if err != nil {
			return nil, err
		}
		for _, b := range list {
			if b.DatasetID != a.DatasetID {
				continue
			}
			if a.DatasetID == "" {
				return nil, badData("attribute %q has more than one default instance (without datasetId)", path)
			}
			return nil, badData("attribute %q has several instances with datasetId %q", path, a.DatasetID)
		}
		list = append(list, a)
	}
	return list, nil
}

// isInstanceArray reports whether v is a non-empty array of attribute
// objects, as opposed to an array value of a concise Property.
func isInstanceArray(v any) bool {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return false
	}
	for _, e := range a {
		if !isAttrObject(e) {
			return false
		}
	}
	return true
}

// isAttrObject reports whether v is an object with an attribute type or a
// payload key.
func isAttrObject(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	if t, ok := m["type"].(string); ok && isAttrType(t) {
		return true
	}
	for k := range inferredTypes {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// Shapes of an attribute in input, as decided by inferShape.
type shape int

const (
	shapeObject    shape = iota // an attribute object (normalized or concise)
	shapeBare                   // a bare value: a Property with that value
	shapeGeometry               // a bare GeoJSON geometry: a GeoProperty
	shapeNull                   // the NGSI-LD null
	shapeInstances              // an array of attribute objects
)

// inferShape decides what an attribute value in input is, and for an
// attribute object its type: the explicit "type", or the type implied by
// its payload key. The renderer uses it too, to drop only what input
// parsing will infer back.
func inferShape(v any) (shape, string, error) {
	switch t := v.(type) {
	case nil:
		return 0, "", badData("null is not an attribute value")
	case string:
		if t == NullURI {
			return shapeNull, TypeProperty, nil
		}
		return shapeBare, TypeProperty, nil
	case map[string]any:
		return inferObjectShape(t)
	case []any:
		if isInstanceArray(t) {
			return shapeInstances, "", nil
		}
	}
	return shapeBare, TypeProperty, nil
}

func inferObjectShape(m map[string]any) (shape, string, error) {
	if tv, ok := m["type"]; ok {
		t, ok := tv.(string)
		if !ok {
			return 0, "", badData("the attribute type must be a string, got %s", describe(tv))
		}
		if isAttrType(t) {
			return shapeObject, t, nil
		}
		if geometryTypes[t] && !hasPayloadKey(m) {
			return shapeGeometry, TypeGeoProperty, nil
		}
		return 0, "", badData("%q is not an attribute type (Property, Relationship, GeoProperty, LanguageProperty, ListProperty, JsonProperty, VocabProperty, ListRelationship)", t)
	}
	typ := ""
	for _, k := range sortedKeys(m) {
		it, ok := inferredTypes[k]
		if !ok {
			continue
		}
		if typ != "" {
			return 0, "", badData("the attribute has several payload members (%s and %s) and no type", valueKeys[typ], k)
		}
		typ = it
		if k == "value" && looksLikeGeometry(m[k]) {
			typ = TypeGeoProperty
		}
	}
	if typ != "" {
		return shapeObject, typ, nil
	}
	for k := range m {
		if attrMemberKeys[k] {
			return 0, "", badData("the attribute has %q but no value member", k)
		}
	}
	return shapeBare, TypeProperty, nil
}

func hasPayloadKey(m map[string]any) bool {
	for k := range inferredTypes {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// attribute parses one attribute instance. path names it in errors.
func (p *parser) attribute(path string, v any) (*Attribute, error) {
	sh, typ, err := inferShape(v)
	if err != nil {
		return nil, prefix(path, err)
	}
	switch sh {
	case shapeNull:
		if !p.nullable {
			return nil, badData("attribute %q: the NGSI-LD null is only allowed in partial updates and merges", path)
		}
		return &Attribute{Type: TypeProperty, Value: NullURI}, nil
	case shapeBare:
		return &Attribute{Type: TypeProperty, Value: v}, nil
	case shapeInstances:
		return nil, badData("attribute %q: an array of attribute instances is not allowed here", path)
	case shapeGeometry:
		if err := checkGeometry(v); err != nil {
			return nil, badData("attribute %q: invalid GeoJSON geometry: %v", path, err)
		}
		return &Attribute{Type: TypeGeoProperty, Value: v}, nil
	}
	m := v.(map[string]any)
	a := &Attribute{Type: typ}
	key := valueKeys[typ]
	for _, k := range sortedKeys(m) {
		mv := m[k]
		switch {
		case k == "type" || ignoredKeys[k]:
		case k == key:
			if err := p.payload(path, a, mv); err != nil {
				return nil, err
			}
		case isPayloadKey(k):
			return nil, badData("attribute %q: member %q is not allowed in a %s", path, k, typ)
		case attrMemberKeys[k]:
			if err := p.member(path, a, k, mv); err != nil {
				return nil, err
			}
		case reservedNames[k] || strings.HasPrefix(k, "@"):
			return nil, badData("attribute %q: %q is a reserved name and cannot be a sub-attribute", path, k)
		default:
			if err := p.sub(path, a, k, mv); err != nil {
				return nil, err
			}
		}
	}
	if a.Value == nil {
		return nil, badData("attribute %q: a %s needs a %q member", path, typ, key)
	}
	return a, nil
}

func isPayloadKey(k string) bool { _, ok := inferredTypes[k]; return ok }

func (p *parser) sub(path string, a *Attribute, k string, v any) error {
	subPath := path + "." + k
	if err := checkName(k); err != nil {
		return prefix(path, err)
	}
	if isInstanceArray(v) {
		return badData("sub-attribute %q: a sub-attribute has a single instance", subPath)
	}
	s, err := p.attribute(subPath, v)
	if err != nil {
		return err
	}
	name := p.c.ExpandTerm(k)
	if a.Sub == nil {
		a.Sub = make(map[string]*Attribute)
	}
	if _, dup := a.Sub[name]; dup {
		return badData("sub-attribute %q is given twice (as a term and as an IRI)", subPath)
	}
	a.Sub[name] = s
	return nil
}

// payload validates and stores the payload member of a.
func (p *parser) payload(path string, a *Attribute, v any) error {
	if s, ok := v.(string); ok && s == NullURI || isNullLanguageMap(a.Type, v) {
		if !p.nullable {
			return badData("attribute %q: the NGSI-LD null is only allowed in partial updates and merges", path)
		}
		a.Value = NullURI
		return nil
	}
	key := valueKeys[a.Type]
	switch a.Type {
	case TypeProperty, TypeJSONProperty:
		if v == nil {
			return badData("attribute %q: %q cannot be null", path, key)
		}
	case TypeGeoProperty:
		if err := checkGeometry(v); err != nil {
			return badData("attribute %q: invalid GeoJSON geometry: %v", path, err)
		}
	case TypeRelationship:
		s, ok := v.(string)
		if !ok || !isURI(s) {
			return badData("attribute %q: \"object\" must be a URI, got %s", path, describe(v))
		}
	case TypeLanguageProperty:
		if err := checkLanguageMap(v); err != nil {
			return badData("attribute %q: %v", path, err)
		}
	case TypeListProperty:
		if _, ok := v.([]any); !ok {
			return badData("attribute %q: \"valueList\" must be an array, got %s", path, describe(v))
		}
	case TypeVocabProperty:
		vocab, err := p.vocab(v)
		if err != nil {
			return badData("attribute %q: %v", path, err)
		}
		v = vocab
	case TypeListRelationship:
		list, err := objectList(v)
		if err != nil {
			return badData("attribute %q: %v", path, err)
		}
		v = list
	}
	a.Value = v
	return nil
}

func isNullLanguageMap(typ string, v any) bool {
	m, ok := v.(map[string]any)
	return ok && typ == TypeLanguageProperty && len(m) == 1 && m["@none"] == NullURI
}

func checkLanguageMap(v any) error {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return errorf("\"languageMap\" must be a non-empty object, got %s", describe(v))
	}
	for tag, s := range m {
		if tag == "" {
			return errorf("\"languageMap\" has an empty language tag")
		}
		switch t := s.(type) {
		case string:
			continue
		case []any:
			if allStrings(t) {
				continue
			}
		}
		return errorf("\"languageMap\" entry %q must be a string or an array of strings", tag)
	}
	return nil
}

func allStrings(a []any) bool {
	for _, e := range a {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// vocab expands a vocab value: a term or a non-empty array of terms.
func (p *parser) vocab(v any) (any, error) {
	switch t := v.(type) {
	case string:
		if t != "" {
			return p.c.ExpandTerm(t), nil
		}
	case []any:
		if len(t) > 0 && allStrings(t) {
			out := make([]any, len(t))
			for i, s := range t {
				if s == "" {
					return nil, errorf("\"vocab\" has an empty term")
				}
				out[i] = p.c.ExpandTerm(s.(string))
			}
			return out, nil
		}
	}
	return nil, errorf("\"vocab\" must be a term or a non-empty array of terms, got %s", describe(v))
}

// objectList normalizes an objectList to an array of URI strings. Input
// elements are URIs or {"object": URI}.
func objectList(v any) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, errorf("\"objectList\" must be an array, got %s", describe(v))
	}
	out := make([]any, len(a))
	for i, e := range a {
		if m, ok := e.(map[string]any); ok && len(m) == 1 {
			e = m["object"]
		}
		s, ok := e.(string)
		if !ok || !isURI(s) {
			return nil, errorf("\"objectList\"[%d] must be a URI or {\"object\": URI}, got %s", i, describe(a[i]))
		}
		out[i] = s
	}
	return out, nil
}

// member validates and stores datasetId, observedAt, unitCode or
// objectType.
func (p *parser) member(path string, a *Attribute, k string, v any) error {
	s, isString := v.(string)
	if p.nullable && isString && s == NullURI && (k == "observedAt" || k == "unitCode") {
		if k == "observedAt" {
			a.ObservedAt = NullURI
		} else {
			a.UnitCode = NullURI
		}
		return nil
	}
	switch k {
	case "datasetId":
		if !isString || !isURI(s) {
			return badData("attribute %q: datasetId must be a URI, got %s", path, describe(v))
		}
		a.DatasetID = s
	case "observedAt":
		t, ok := normalizeTime(s)
		if !isString || !ok {
			return badData("attribute %q: observedAt must be an RFC 3339 date-time, got %s", path, describe(v))
		}
		a.ObservedAt = t
	case "unitCode":
		if !isString || s == "" {
			return badData("attribute %q: unitCode must be a non-empty string, got %s", path, describe(v))
		}
		a.UnitCode = s
	case "objectType":
		ts, err := p.typeList("objectType of attribute "+quote(path), v)
		if err != nil {
			return err
		}
		a.ObjectType = ts
	}
	return nil
}

// normalizeTime parses an RFC 3339 date-time and writes it in UTC with the
// fractional digits it was given.
func normalizeTime(s string) (string, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", false
	}
	t = t.UTC()
	if t.Year() < 0 || t.Year() > 9999 {
		return "", false
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac = s[i:j]
	}
	return t.Format("2006-01-02T15:04:05") + frac + "Z", true
}

// checkName refuses empty names and the characters NGSI-LD forbids in
// names: < > " ' = ; ( ), white space and control characters.
func checkName(n string) error {
	if n == "" {
		return badData("a name cannot be empty")
	}
	if i := strings.IndexFunc(n, forbiddenInName); i >= 0 {
		return badData("name %q has a forbidden character %q", n, []rune(n[i:])[0])
	}
	return nil
}

func forbiddenInName(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune(`<>"'=;()`, r)
}

// isURI reports whether s is an absolute URI: a scheme (RFC 3986, clause
// 3.1), a colon, and a non-empty rest without spaces or characters that
// cannot appear in a URI.
func isURI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i < 1 || i == len(s)-1 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return strings.IndexFunc(s[i+1:], func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || strings.ContainsRune("<>\"{}|\\^`", r)
	}) < 0
}
