package ngsild

import (
	"encoding/json"
	"strconv"
	"time"
)

// The storage encoding of an entity, written without reflection.
//
// MarshalEntity writes exactly what encoding/json writes for an Entity
// (TestMarshalEntityAsEncodingJSON and FuzzParseEntity compare them), a
// few times faster: writes encode every entity they store. What this file
// does not write itself (a string that needs escaping, a float, a map or
// list value, a time outside the years 0 to 9999) it hands to
// encoding/json.

// appendEntity appends the encoding of e.
func appendEntity(b []byte, e *Entity) ([]byte, error) {
	var err error
	b = append(b, `{"id":`...)
	if b, err = appendJSONString(b, e.ID); err != nil {
		return nil, err
	}
	b = append(b, `,"types":`...)
	if b, err = appendStrings(b, e.Types); err != nil {
		return nil, err
	}
	if len(e.Scope) > 0 {
		b = append(b, `,"scope":`...)
		if b, err = appendStrings(b, e.Scope); err != nil {
			return nil, err
		}
	}
	if len(e.Attrs) > 0 {
		b = append(b, `,"attrs":`...)
		if b, err = appendObject(b, e.Attrs, appendAttributes); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"createdAt":`...)
	if b, err = appendTime(b, e.CreatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"modifiedAt":`...)
	if b, err = appendTime(b, e.ModifiedAt); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendObject appends the JSON object of m, its members in key order
// (as encoding/json writes a map), each value appended by value.
func appendObject[V any](b []byte, m map[string]V, value func([]byte, V) ([]byte, error)) ([]byte, error) {
	var err error
	b = append(b, '{')
	for i, name := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = appendJSONString(b, name); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = value(b, m[name]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendAttributes appends the encoding of list, null for nil.
func appendAttributes(b []byte, list []*Attribute) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	var err error
	b = append(b, '[')
	for j, a := range list {
		if j > 0 {
			b = append(b, ',')
		}
		if b, err = appendAttribute(b, a); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendAttribute appends the encoding of a, null for nil.
func appendAttribute(b []byte, a *Attribute) ([]byte, error) {
	if a == nil {
		return append(b, "null"...), nil
	}
	var err error
	b = append(b, `{"type":`...)
	if b, err = appendJSONString(b, a.Type); err != nil {
		return nil, err
	}
	b = append(b, `,"value":`...)
	if b, err = appendValue(b, a.Value); err != nil {
		return nil, err
	}
	for _, m := range [...]struct{ key, v string }{{`,"datasetId":`, a.DatasetID}, {`,"observedAt":`, a.ObservedAt}, {`,"unitCode":`, a.UnitCode}} {
		if m.v != "" {
			b = append(b, m.key...)
			if b, err = appendJSONString(b, m.v); err != nil {
				return nil, err
			}
		}
	}
	if len(a.ObjectType) > 0 {
		b = append(b, `,"objectType":`...)
		if b, err = appendStrings(b, a.ObjectType); err != nil {
			return nil, err
		}
	}
	if len(a.Sub) > 0 {
		b = append(b, `,"sub":`...)
		if b, err = appendObject(b, a.Sub, appendAttribute); err != nil {
			return nil, err
		}
	}
	b = append(b, `,"createdAt":`...)
	if b, err = appendTime(b, a.CreatedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"modifiedAt":`...)
	if b, err = appendTime(b, a.ModifiedAt); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendValue appends an attribute's value: the common scalars here, the
// rest through encoding/json.
func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendJSONString(b, x)
	case bool:
		return strconv.AppendBool(b, x), nil
	case json.Number:
		if plainNumber(string(x)) {
			return append(b, x...), nil
		}
	}
	return appendMarshal(b, v)
}

// appendStrings appends a list of strings, null for nil.
func appendStrings(b []byte, list []string) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, s := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendJSONString(b, s); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendJSONString appends s quoted. A string with a byte encoding/json
// escapes (a control character, a quote, a backslash, <, >, &, or
// anything beyond ASCII, which it checks for invalid UTF-8 and U+2028)
// goes through encoding/json.
func appendJSONString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendMarshal(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// appendTime appends t as time.Time's MarshalJSON does. A time it
// refuses (a year outside 0 to 9999, an offset of seconds or of a day or
// more) goes through it, for its error.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	_, off := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || off%60 != 0 || off <= -24*3600 || off >= 24*3600 {
		return appendMarshal(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

func appendMarshal(b []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// plainNumber reports whether s is a JSON number made of an optional
// minus, digits without a leading zero, and an optional fraction: what
// encoding/json writes unchanged. Others (exponents, invalid text, "")
// go through encoding/json.
func plainNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	digits := i - start
	if digits == 0 || (digits > 1 && s[start] == '0') {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		frac := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == frac {
			return false
		}
	}
	return i == len(s)
}
