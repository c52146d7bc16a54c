package ngsild

import (
	"encoding/json"
	"maps"
	"slices"
)

// CloneEntity returns a deep copy of e, sharing nothing that a caller may
// modify. ok is false when a value is of a type other than those JSON
// decoding produces (nil, bool, string, json.Number, float64,
// map[string]any, []any), which it cannot copy safely.
func CloneEntity(e *Entity) (c *Entity, ok bool) {
	if e == nil {
		return nil, true
	}
	c = &Entity{ID: e.ID, Types: slices.Clone(e.Types), Scope: slices.Clone(e.Scope), CreatedAt: e.CreatedAt, ModifiedAt: e.ModifiedAt}
	if e.Attrs != nil {
		c.Attrs = make(map[string][]*Attribute, len(e.Attrs))
		for name, list := range e.Attrs {
			cl := make([]*Attribute, len(list))
			for i, a := range list {
				if cl[i], ok = cloneAttribute(a); !ok {
					return nil, false
				}
			}
			c.Attrs[name] = cl
		}
	}
	return c, true
}

func cloneAttribute(a *Attribute) (*Attribute, bool) {
	if a == nil {
		return nil, true
	}
	c := *a
	c.ObjectType = slices.Clone(a.ObjectType)
	var ok bool
	if c.Value, ok = cloneValue(a.Value); !ok {
		return nil, false
	}
	if a.Sub != nil {
		c.Sub = make(map[string]*Attribute, len(a.Sub))
		for k, s := range a.Sub {
			if c.Sub[k], ok = cloneAttribute(s); !ok {
				return nil, false
			}
		}
	}
	return &c, true
}

func cloneValue(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool, string, json.Number, float64:
		return x, true
	case map[string]any:
		if x == nil {
			return x, true
		}
		c := maps.Clone(x)
		for k, e := range x {
			var ok bool
			if c[k], ok = cloneValue(e); !ok {
				return nil, false
			}
		}
		return c, true
	case []any:
		if x == nil {
			return x, true
		}
		c := make([]any, len(x))
		for i, e := range x {
			var ok bool
			if c[i], ok = cloneValue(e); !ok {
				return nil, false
			}
		}
		return c, true
	default:
		return nil, false
	}
}
