package ngsild

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Form is an entity representation (clause 4.5).
type Form int

const (
	// Normalized: every attribute is an object with its type (4.5.2).
	Normalized Form = iota
	// Concise: the attribute type is left out where input parsing infers
	// it back, and a Property or GeoProperty without sub-members is its
	// bare value (4.5.3).
	Concise
	// KeyValues: the simplified representation, attribute name to value
	// (4.5.4).
	KeyValues
)

// RenderOptions select the representation of an entity.
type RenderOptions struct {
	Form Form
	// SysAttrs adds createdAt and modifiedAt to the entity, and in the
	// normalized and concise forms to attributes and sub-attributes.
	SysAttrs bool
	// Attrs keeps only the attributes with these expanded names; nil
	// keeps all.
	Attrs map[string]bool
	// Lang, when set, renders each LanguageProperty as a Property holding
	// the best matching string (clause 4.15): the language ranges of Lang
	// in order ("fr-CA,en"), each matched by exact tag and then by primary
	// subtag; then "@none"; then any entry.
	Lang string
}

// Object is a JSON object whose members keep their order.
type Object []Member

// Member is one member of an Object.
type Member struct {
	Key   string
	Value any
}

// Get returns the value of the member key.
func (o Object) Get(key string) (any, bool) {
	for _, m := range o {
		if m.Key == key {
			return m.Value, true
		}
	}
	return nil, false
}

// MarshalJSON writes the members in order.
func (o Object) MarshalJSON() ([]byte, error) {
	return appendJSON(make([]byte, 0, 256), o)
}

// sysTime is the layout of createdAt and modifiedAt.
const sysTime = "2006-01-02T15:04:05.000Z"

// Render writes e in the representation o asks for: "id", "type" (a string
// for one type, an array otherwise), "scope", the attributes sorted by
// compacted name (an array, or a "dataset" object in keyValues, for several
// instances), then createdAt and modifiedAt with SysAttrs.
func Render(e *Entity, c Context, o RenderOptions) Object {
	r := renderer{c: c, o: o, langs: parseLang(o.Lang)}
	out := make(Object, 0, len(e.Attrs)+5)
	out = append(out, Member{"id", e.ID})
	if len(e.Types) > 0 {
		out = append(out, Member{"type", r.names(e.Types)})
	}
	switch len(e.Scope) {
	case 0:
	case 1:
		out = append(out, Member{"scope", e.Scope[0]})
	default:
		out = append(out, Member{"scope", slices.Clone(e.Scope)})
	}
	start := len(out)
	for name, list := range e.Attrs {
		if len(list) == 0 || o.Attrs != nil && !o.Attrs[name] {
			continue
		}
		out = append(out, Member{r.key(name), r.instances(list)})
	}
	slices.SortFunc(out[start:], func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
	if o.SysAttrs {
		out = r.sys(out, e.CreatedAt, e.ModifiedAt)
	}
	return out
}

type renderer struct {
	c     Context
	o     RenderOptions
	langs []string
}

// key compacts an attribute name, keeping the IRI where the term would be
// read back as a reserved member.
func (r *renderer) key(name string) string {
	k := r.c.CompactIRI(name)
	if reservedNames[k] || strings.HasPrefix(k, "@") || k == "" {
		return name
	}
	return k
}

// names compacts types: a string for one, an array otherwise.
func (r *renderer) names(ts []string) any {
	if len(ts) == 1 {
		return r.c.CompactIRI(ts[0])
	}
	out := make([]any, len(ts))
	for i, t := range ts {
		out[i] = r.c.CompactIRI(t)
	}
	return out
}

func (r *renderer) sys(out Object, created, modified time.Time) Object {
	if !created.IsZero() {
		out = append(out, Member{"createdAt", created.UTC().Format(sysTime)})
	}
	if !modified.IsZero() {
		out = append(out, Member{"modifiedAt", modified.UTC().Format(sysTime)})
	}
	return out
}

func (r *renderer) instances(list []*Attribute) any {
	if len(list) == 1 {
		return r.attr(list[0], false)
	}
	if r.o.Form == KeyValues {
		// Clause 4.5.4: several instances simplify to {"dataset":
		// {datasetId: value}}, the default instance under "@none".
		ds := make(Object, 0, len(list))
		for _, a := range list {
			k := a.DatasetID
			if k == "" {
				k = "@none"
			}
			ds = append(ds, Member{k, r.simplified(a)})
		}
		slices.SortFunc(ds, func(a, b Member) int {
			if a.Key == "@none" || b.Key == "@none" {
				return boolCompare(b.Key == "@none", a.Key == "@none")
			}
			return strings.Compare(a.Key, b.Key)
		})
		return Object{{"dataset", ds}}
	}
	sorted := slices.Clone(list)
	slices.SortStableFunc(sorted, func(a, b *Attribute) int { return strings.Compare(a.DatasetID, b.DatasetID) })
	out := make([]any, len(sorted))
	for i, a := range sorted {
		out[i] = r.attr(a, true)
	}
	return out
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// attr renders one instance. inArray forbids the bare concise form, which
// would not be read back as an instance of a multi-attribute.
func (r *renderer) attr(a *Attribute, inArray bool) any {
	if r.o.Form == KeyValues {
		return r.simplified(a)
	}
	typ, key, val, lang := r.payload(a)
	m := make(Object, 0, 4+len(a.Sub))
	m = append(m, Member{"type", typ}, Member{key, val})
	if lang != "" {
		m = append(m, Member{"lang", lang})
	}
	if len(a.ObjectType) > 0 {
		m = append(m, Member{"objectType", r.names(a.ObjectType)})
	}
	if a.DatasetID != "" {
		m = append(m, Member{"datasetId", a.DatasetID})
	}
	if a.ObservedAt != "" {
		m = append(m, Member{"observedAt", a.ObservedAt})
	}
	if a.UnitCode != "" {
		m = append(m, Member{"unitCode", a.UnitCode})
	}
	if r.o.SysAttrs {
		m = r.sys(m, a.CreatedAt, a.ModifiedAt)
	}
	start := len(m)
	for name, s := range a.Sub {
		m = append(m, Member{r.key(name), r.attr(s, false)})
	}
	slices.SortFunc(m[start:], func(a, b Member) int { return strings.Compare(a.Key, b.Key) })
	if r.o.Form != Concise {
		return m
	}
	// Concise: leave out exactly what parsing infers back.
	if len(m) == 2 && !inArray {
		if sh, _, err := inferShape(val); err == nil &&
			(sh == shapeBare && typ == TypeProperty || sh == shapeGeometry && typ == TypeGeoProperty) {
			return val
		}
	}
	if sh, t, err := inferObjectShape(map[string]any{key: val}); err == nil && sh == shapeObject && t == typ {
		return m[1:]
	}
	return m
}

// payload returns the type and payload member of a, a LanguageProperty
// becoming a Property when a language is picked.
func (r *renderer) payload(a *Attribute) (typ, key string, val any, lang string) {
	typ, key, val = a.Type, valueKeys[a.Type], a.Value
	switch a.Type {
	case TypeLanguageProperty:
		if v, tag, ok := r.pick(a.Value); ok {
			return TypeProperty, "value", v, tag
		}
	case TypeVocabProperty:
		val = r.vocab(a.Value)
	case TypeListRelationship:
		list, _ := a.Value.([]any)
		objs := make([]any, len(list))
		for i, u := range list {
			objs[i] = Object{{"object", u}}
		}
		val = objs
	}
	return typ, key, val, ""
}

func (r *renderer) vocab(v any) any {
	switch t := v.(type) {
	case string:
		return r.c.CompactIRI(t)
	case []any:
		out := make([]any, len(t))
		for i, s := range t {
			str, _ := s.(string)
			out[i] = r.c.CompactIRI(str)
		}
		return out
	}
	return v
}

// simplified renders the value of a in keyValues. Property, GeoProperty
// and Relationship give their value, geometry and object; the other types
// keep their payload key ({"languageMap": ...}, {"valueList": ...},
// {"json": ...}, {"vocab": ...}, {"objectList": [URI...]}) so that the
// value cannot be taken for a Property value, except that a picked
// language gives the bare string.
func (r *renderer) simplified(a *Attribute) any {
	switch a.Type {
	case TypeProperty, TypeGeoProperty, TypeRelationship:
		return a.Value
	case TypeLanguageProperty:
		if v, _, ok := r.pick(a.Value); ok {
			return v
		}
	case TypeVocabProperty:
		return Object{{"vocab", r.vocab(a.Value)}}
	}
	return Object{{valueKeys[a.Type], a.Value}}
}

// parseLang splits a language preference list ("fr-CA, en;q=0.5") into
// ranges in the order given; "" gives none.
func parseLang(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if i := strings.IndexByte(part, ';'); i >= 0 {
			part = part[:i]
		}
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// pick chooses the entry of a languageMap that best matches r.langs.
func (r *renderer) pick(v any) (any, string, bool) {
	m, ok := v.(map[string]any)
	if !ok || len(r.langs) == 0 || len(m) == 0 {
		return nil, "", false
	}
	tags := sortedKeys(m)
	for _, want := range r.langs {
		if want == "*" {
			break
		}
		for _, t := range tags {
			if strings.EqualFold(t, want) {
				return m[t], t, true
			}
		}
		primary := primarySubtag(want)
		for _, t := range tags {
			if t != "@none" && strings.EqualFold(primarySubtag(t), primary) {
				return m[t], t, true
			}
		}
	}
	if s, ok := m["@none"]; ok {
		return s, "@none", true
	}
	return m[tags[0]], tags[0], true
}

func primarySubtag(tag string) string {
	if i := strings.IndexByte(tag, '-'); i >= 0 {
		return tag[:i]
	}
	return tag
}

// appendJSON encodes v, writing Object members in order, map keys sorted,
// strings without HTML escaping and json.Number as written.
func appendJSON(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, t), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case json.Number:
		if t == "" {
			return append(b, '0'), nil
		}
		return append(b, t...), nil
	case Object:
		b = append(b, '{')
		for i, m := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, m.Key)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, m.Value); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[string]any:
		b = append(b, '{')
		for i, k := range sortedKeys(t) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, t[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case []any:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case []string:
		b = append(b, '[')
		for i, e := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']'), nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

const hexDigits = "0123456789abcdef"

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
