package schemas

import "strings"

// coreMembers are the members of an entity that are not attributes; they are
// the same in every form.
var coreMembers = map[string]bool{
	"id": true, "type": true, "scope": true, "@context": true, "createdAt": true, "modifiedAt": true,
}

// attributeTypes are the values of "type" that mark an attribute in the
// normalized form.
var attributeTypes = map[string]bool{
	"Property": true, "Relationship": true, "GeoProperty": true, "LanguageProperty": true,
	"VocabProperty": true, "JsonProperty": true, "ListProperty": true, "ListRelationship": true,
}

// conciseKeys are the members that mark an attribute written as an object in
// the concise form.
var conciseKeys = []string{"value", "object", "languageMap", "vocab", "json", "valueList", "objectList"}

// DetectForm tells the form of an entity document: normalized when every
// attribute is an object with an NGSI-LD attribute "type", concise when some
// attribute is an object with a "value", "object" (or another NGSI-LD value
// member) or a "type", keyValues otherwise.
func DetectForm(doc map[string]any) Form {
	full, marked := 0, 0
	attrs := 0
	for k, v := range doc {
		if coreMembers[k] {
			continue
		}
		attrs++
		switch {
		case isNormalized(v):
			full++
			marked++
		case isConcise(v):
			marked++
		}
	}
	switch {
	case attrs > 0 && full == attrs:
		return FormNormalized
	case marked > 0:
		return FormConcise
	}
	return FormKeyValues
}

func isNormalized(v any) bool {
	o, ok := v.(map[string]any)
	if !ok {
		return false
	}
	t, _ := o["type"].(string)
	return attributeTypes[t]
}

func isConcise(v any) bool {
	o, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, k := range conciseKeys {
		if _, ok := o[k]; ok {
			return true
		}
	}
	return false
}

// ptrMap records how the attributes of a normalized document built by
// normalize relate to the document as given, to map JSON pointers back.
type ptrMap map[string]*ptrNode

type ptrNode struct {
	// wrapped is true when the given value is the bare value (or object) of
	// the attribute: ".../value/x" in the normalized document is ".../x" in
	// the given one, and the members added ("type", "unitCode") are the
	// attribute itself.
	wrapped bool
	sub     ptrMap
}

// normalize rewrites a concise or keyValues document into the normalized form.
// The document is not modified; values are shared, not copied.
func (m *model) normalize(doc map[string]any, form Form) (map[string]any, ptrMap) {
	out := make(map[string]any, len(doc))
	pm := ptrMap{}
	for k, v := range doc {
		if coreMembers[k] {
			out[k] = v
			continue
		}
		a := m.attrs[k]
		if a == nil {
			a = &Attribute{Name: k, Kind: KindProperty}
		}
		out[k], pm[k] = normalizeAttr(v, a, form)
	}
	return out, pm
}

func normalizeAttr(v any, a *Attribute, form Form) (any, *ptrNode) {
	if form == FormKeyValues {
		return wrap(v, a, true), &ptrNode{wrapped: true}
	}
	o, isObj := v.(map[string]any)
	switch {
	case isObj && isNormalized(o):
		return v, &ptrNode{}
	case isObj && isConcise(o):
		n := make(map[string]any, len(o)+1)
		node := &ptrNode{}
		for k, x := range o {
			if attributeMembers[k] {
				n[k] = x
				continue
			}
			// A sub-attribute, itself in the concise form.
			sub := &Attribute{Name: k, Kind: KindProperty}
			var sn *ptrNode
			n[k], sn = normalizeAttr(x, sub, FormConcise)
			if node.sub == nil {
				node.sub = ptrMap{}
			}
			node.sub[k] = sn
		}
		switch {
		case o["object"] != nil || o["objectList"] != nil:
			n["type"] = string(KindRelationship)
		case a.Kind == KindGeoProperty:
			n["type"] = string(KindGeoProperty)
		default:
			n["type"] = string(KindProperty)
		}
		return n, node
	}
	// A bare value in the concise form: its unit, if any, is missing.
	return wrap(v, a, false), &ptrNode{wrapped: true}
}

// attributeMembers are the members of an attribute object that are not
// sub-attributes.
var attributeMembers = map[string]bool{
	"type": true, "value": true, "object": true, "unitCode": true, "observedAt": true, "datasetId": true,
	"instanceId": true, "createdAt": true, "modifiedAt": true, "languageMap": true, "vocab": true, "json": true,
	"valueList": true, "objectList": true, "objectType": true, "lang": true,
}

// wrap makes the attribute object of a bare value; withUnit adds the default
// unit of a measured value (the keyValues form states no unit).
func wrap(v any, a *Attribute, withUnit bool) map[string]any {
	switch a.Kind {
	case KindRelationship:
		return map[string]any{"type": string(KindRelationship), "object": v}
	case KindGeoProperty:
		return map[string]any{"type": string(KindGeoProperty), "value": v}
	}
	n := map[string]any{"type": string(KindProperty), "value": v}
	if withUnit && a.Measured && a.DefaultUnit != "" {
		n["unitCode"] = a.DefaultUnit
	}
	return n
}

// mapPointer maps the reference tokens of a location in the normalized
// document back to the document as given.
func (pm ptrMap) mapPointer(tokens []string) []string {
	if len(tokens) == 0 || pm == nil {
		return tokens
	}
	node := pm[tokens[0]]
	if node == nil {
		return tokens
	}
	head := []string{tokens[0]}
	if len(tokens) == 1 {
		return head
	}
	if node.wrapped {
		if tokens[1] == "value" || tokens[1] == "object" {
			return append(head, tokens[2:]...)
		}
		return head
	}
	if tokens[1] == "type" {
		return head
	}
	if node.sub != nil && node.sub[tokens[1]] != nil {
		return append(head, node.sub.mapPointer(tokens[1:])...)
	}
	return tokens
}

// pointer joins reference tokens into a JSON pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

func escapeToken(t string) string {
	return strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
}
