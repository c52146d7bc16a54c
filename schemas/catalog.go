package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Kind is the NGSI-LD kind of an attribute.
type Kind string

// The attribute kinds used by the models.
const (
	KindProperty     Kind = "Property"
	KindRelationship Kind = "Relationship"
	KindGeoProperty  Kind = "GeoProperty"
)

// Attribute describes one attribute of a model, as read from its schema.
type Attribute struct {
	Name        string
	Kind        Kind
	Description string
	// Measured is true for a measured value: a number that carries a unitCode
	// in the normalized and concise forms.
	Measured bool
	// DefaultUnit is the UN/CEFACT code of the unit of a measured value given
	// without unitCode (keyValues form); Units lists the codes accepted.
	DefaultUnit string
	Units       []string
	Required    bool
	// Common is true for the members shared by all models (defined in the
	// shared definitions rather than in the model's schema).
	Common bool
	// Value summarises the constraints on the value, e.g. "number ≥ 0".
	Value string
}

// Unit is an entry of the unit table: a UN/CEFACT Recommendation 20 common code.
type Unit struct {
	Code, Name, Symbol string
}

// Attributes lists the attributes of a model: the model's own in schema order,
// then the common ones. It returns nil for an unknown model.
func (s *Set) Attributes(typ string) []Attribute {
	m := s.models[typ]
	if m == nil {
		return nil
	}
	out := make([]Attribute, 0, len(m.order))
	for _, n := range m.order {
		out = append(out, *m.attrs[n])
	}
	return out
}

// Units returns the unit table, sorted by code.
func (s *Set) Units() []Unit {
	out := make([]Unit, 0, len(s.units))
	for _, u := range s.units {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func readUnits(common map[string]any) map[string]Unit {
	out := map[string]Unit{}
	def, _ := lookup(common, "/$defs/UnitCode").(map[string]any)
	table, _ := def["x-units"].(map[string]any)
	for code, v := range table {
		e, _ := v.(map[string]any)
		name, _ := e["name"].(string)
		sym, _ := e["symbol"].(string)
		out[code] = Unit{Code: code, Name: name, Symbol: sym}
	}
	return out
}

// catalog reads the attributes of a model from its schema and the shared
// definitions it references: their NGSI-LD kind, whether they are measured
// and their default unit. Validate uses it to rewrite concise and keyValues
// documents into the normalized form.
func (s *Set) catalog(m *model, raw map[string]any) error {
	m.attrs = map[string]*Attribute{}
	requiredAll := map[string]bool{}
	var walk func(node map[string]any, file, ptr string, common bool) error
	walk = func(node map[string]any, file, ptr string, common bool) error {
		required := map[string]bool{}
		for _, r := range asSlice(node["required"]) {
			if n, ok := r.(string); ok {
				required[n] = true
			}
		}
		props, _ := node["properties"].(map[string]any)
		names := make([]string, 0, len(props))
		for n := range props {
			names = append(names, n)
		}
		names = s.keyOrder(file, ptr+"/properties", names)
		for _, n := range names {
			a := m.attrs[n]
			if a == nil {
				sub, _ := props[n].(map[string]any)
				a = s.attribute(n, sub, file)
				if a == nil {
					continue // a core member such as id or type
				}
				a.Common = common
				m.attrs[n] = a
				m.order = append(m.order, n)
			}
		}
		for n := range required {
			requiredAll[n] = true
		}
		for _, e := range asSlice(node["allOf"]) {
			sub, _ := e.(map[string]any)
			ref, _ := sub["$ref"].(string)
			if ref == "" {
				continue
			}
			target, tfile, err := s.resolve(ref, file)
			if err != nil {
				return err
			}
			_, frag, _ := strings.Cut(ref, "#")
			if err := walk(target, tfile, frag, true); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(raw, m.name+".schema.json", "", false); err != nil {
		return err
	}
	for n := range requiredAll {
		if a := m.attrs[n]; a != nil {
			a.Required = true
		}
	}
	return nil
}

// keyOrder sorts names, the members of the object at pointer ptr of a schema
// file, in the order in which the file lists them.
func (s *Set) keyOrder(file, ptr string, names []string) []string {
	rank := map[string]int{}
	for i, n := range s.order[file][ptr] {
		rank[n] = i
	}
	sort.SliceStable(names, func(i, j int) bool {
		ri, iok := rank[names[i]]
		rj, jok := rank[names[j]]
		if iok != jok {
			return iok
		}
		if !iok {
			return names[i] < names[j]
		}
		return ri < rj
	})
	return names
}

// memberOrder records, for every object of a JSON document, the order of its
// members, keyed by the JSON pointer of the object.
func memberOrder(b []byte) (map[string][]string, error) {
	out := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(b))
	var value func(ptr string) error
	value = func(ptr string) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				out[ptr] = append(out[ptr], key)
				if err := value(ptr + "/" + escapeToken(key)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if err := value(fmt.Sprintf("%s/%d", ptr, i)); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return out, value("")
}

// attribute describes the attribute whose schema is node, following its
// references to the shared definitions; it returns nil when node is not an
// NGSI-LD attribute.
func (s *Set) attribute(name string, node map[string]any, file string) *Attribute {
	a := &Attribute{Name: name}
	a.Description, _ = node["description"].(string)
	var summary string
	seen := 0
	var visit func(n map[string]any, f string)
	visit = func(n map[string]any, f string) {
		if seen++; seen > 32 || n == nil {
			return
		}
		if k, ok := n["x-ngsi-ld"].(string); ok && a.Kind == "" {
			a.Kind = Kind(k)
		}
		if b, _ := n["x-measured"].(bool); b {
			a.Measured = true
		}
		if props, ok := n["properties"].(map[string]any); ok {
			if uc, ok := props["unitCode"].(map[string]any); ok {
				if d, ok := uc["default"].(string); ok && a.DefaultUnit == "" {
					a.DefaultUnit = d
				}
				if a.Units == nil {
					for _, u := range asSlice(uc["enum"]) {
						if c, ok := u.(string); ok {
							a.Units = append(a.Units, c)
						}
					}
				}
			}
		}
		if x, ok := n["x-summary"].(string); ok && summary == "" {
			summary = x
		}
		if props, ok := n["properties"].(map[string]any); ok {
			if v, ok := props["value"].(map[string]any); ok && summary == "" {
				summary = s.summarize(v, f)
			}
		}
		var refs []string
		if r, ok := n["$ref"].(string); ok {
			refs = append(refs, r)
		}
		for _, e := range asSlice(n["allOf"]) {
			if m, ok := e.(map[string]any); ok {
				if r, ok := m["$ref"].(string); ok {
					refs = append(refs, r)
				}
			}
		}
		for _, r := range refs {
			t, tf, err := s.resolve(r, f)
			if err == nil {
				visit(t, tf)
			}
		}
	}
	visit(node, file)
	if a.Kind == "" {
		return nil
	}
	if a.Measured && a.DefaultUnit == "" && len(a.Units) > 0 {
		a.DefaultUnit = a.Units[0]
	}
	a.Value = summary
	return a
}

// summarize describes a value schema in a few words, for the documentation.
func (s *Set) summarize(v map[string]any, file string) string {
	if r, ok := v["$ref"].(string); ok {
		t, _, err := s.resolve(r, file)
		if err == nil {
			if x, ok := t["x-summary"].(string); ok {
				return x
			}
			if d, ok := t["description"].(string); ok {
				return strings.TrimSuffix(d, ".")
			}
		}
		return r[strings.LastIndex(r, "/")+1:]
	}
	var parts []string
	if e := asSlice(v["enum"]); len(e) > 0 {
		return "one of " + joinValues(e)
	}
	if c, ok := v["const"]; ok {
		return fmt.Sprintf("%v", c)
	}
	t, _ := v["type"].(string)
	switch t {
	case "array":
		items, _ := v["items"].(map[string]any)
		if e := asSlice(items["enum"]); len(e) > 0 {
			return "list of " + joinValues(e)
		}
		if _, ok := items["properties"]; ok {
			return "list of objects"
		}
		return "list"
	case "":
		t = "number"
	case "string":
		if _, ok := v["pattern"]; ok {
			if m, ok := v["x-message"].(string); ok {
				return strings.TrimPrefix(m, "must be ")
			}
		}
		return "text"
	}
	parts = append(parts, t)
	mn, hasMin := v["minimum"]
	mx, hasMax := v["maximum"]
	switch {
	case hasMin && hasMax:
		parts = append(parts, fmt.Sprintf("%v–%v", mn, mx))
	case hasMin:
		parts = append(parts, fmt.Sprintf("≥ %v", mn))
	case hasMax:
		parts = append(parts, fmt.Sprintf("≤ %v", mx))
	}
	return strings.Join(parts, " ")
}

func joinValues(vals []any) string {
	ss := make([]string, len(vals))
	for i, v := range vals {
		ss[i] = fmt.Sprintf("%v", v)
	}
	return strings.Join(ss, ", ")
}

// resolve follows a $ref of the embedded schemas: "common.schema.json#/$defs/X"
// or "#/$defs/X" relative to file.
func (s *Set) resolve(ref, file string) (map[string]any, string, error) {
	f, frag, _ := strings.Cut(ref, "#")
	if f == "" {
		f = file
	}
	f = strings.TrimPrefix(f, schemaBase)
	doc := s.raw[f]
	if doc == nil {
		return nil, "", fmt.Errorf("reference %q: no embedded schema %q", ref, f)
	}
	node, ok := lookup(doc, frag).(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("reference %q: no such definition", ref)
	}
	return node, f, nil
}

// lookup returns the value at a JSON pointer of doc, or nil.
func lookup(doc any, pointer string) any {
	if pointer == "" {
		return doc
	}
	cur := doc
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			var i int
			if _, err := fmt.Sscanf(tok, "%d", &i); err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
