package client

import (
	"encoding/json"
	"fmt"
)

// DecodeAttr decodes the attribute name of e into a value of type T, for
// instance a Property, a Relationship or a GeoProperty in the normalized
// representation, or a plain value in the simplified one. The spec leaves
// attribute members untyped because their form depends on the
// representation; the caller, who chose it, names the type. ok is false
// when e has no such attribute.
func DecodeAttr[T any](e Entity, name string) (v T, ok bool, err error) {
	raw, ok := e.Get(name)
	if !ok {
		return v, false, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return v, true, fmt.Errorf("ngsi-ld: attribute %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, true, fmt.Errorf("ngsi-ld: attribute %s: %w", name, err)
	}
	return v, true, nil
}
