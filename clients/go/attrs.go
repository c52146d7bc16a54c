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

// DecodeInstances decodes the instances of the attribute name of e, an
// entity in the temporal representation (clause 4.5.7), into values of
// type T, usually Property. Each instance keeps its instanceId among the
// additional members of T. ok is false when e has no such attribute; the
// simplified and aggregated representations are read with AsTemporalValues
// instead.
func DecodeInstances[T any](e TemporalEntity, name string) (v []T, ok bool, err error) {
	raw, ok := e.Get(name)
	if !ok {
		return nil, false, nil
	}
	b, err := raw.MarshalJSON()
	if err != nil {
		return nil, true, fmt.Errorf("ngsi-ld: temporal attribute %s: %w", name, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, true, fmt.Errorf("ngsi-ld: temporal attribute %s: %w", name, err)
	}
	return v, true, nil
}
