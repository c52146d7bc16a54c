package ngsild

// Rendering of attribute instances for the temporal representations
// (clauses 4.5.7 to 4.5.9).

// RenderInstance renders one attribute instance as an element of the
// array of a temporal representation: normalized, or concise when o asks
// for it (KeyValues renders as normalized). instanceID, when set, is added
// as the "instanceId" member.
func RenderInstance(a *Attribute, instanceID string, c Context, o RenderOptions) Object {
	if o.Form == KeyValues {
		o.Form = Normalized
	}
	r := renderer{c: c, o: o, langs: parseLang(o.Lang)}
	obj, ok := r.attr(a, true).(Object)
	if !ok {
		obj = Object{{"value", a.Value}}
	}
	if instanceID != "" {
		obj = append(obj, Member{"instanceId", instanceID})
	}
	return obj
}

// temporalValueKeys name the member that lists the values of each
// attribute type in the simplified temporal representation (4.5.9).
var temporalValueKeys = map[string]string{
	TypeProperty:         "values",
	TypeGeoProperty:      "values",
	TypeRelationship:     "objects",
	TypeLanguageProperty: "languageMaps",
	TypeListProperty:     "valueLists",
	TypeJSONProperty:     "jsons",
	TypeVocabProperty:    "vocabs",
	TypeListRelationship: "objectLists",
}

// TemporalValuesKey returns the member of the simplified temporal
// representation that lists the values of an attribute of type attrType.
func TemporalValuesKey(attrType string) string {
	if k, ok := temporalValueKeys[attrType]; ok {
		return k
	}
	return "values"
}

// TemporalValue returns the payload of a as listed in the simplified
// temporal representation: the value, object, language map, list, JSON or
// compacted vocab.
func TemporalValue(a *Attribute, c Context) any {
	r := renderer{c: c}
	if a.Type == TypeVocabProperty {
		return r.vocab(a.Value)
	}
	return a.Value
}
