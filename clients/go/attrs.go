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
	return decodeMember[T](raw, ok, "attribute", name)
}

// DecodeTemporalAttr decodes the attribute name of e, an entity in a
// temporal representation, into a value of type T: TemporalValues for the
// simplified (clause 4.5.9) and aggregated (4.5.19) representations. ok is
// false when e has no such attribute.
func DecodeTemporalAttr[T any](e TemporalEntity, name string) (v T, ok bool, err error) {
	raw, ok := e.Get(name)
	return decodeMember[T](raw, ok, "temporal attribute", name)
}

// DecodeInstances decodes the instances of the attribute name of e, an
// entity in the temporal representation (clause 4.5.7), into values of
// type T, usually Property. Each instance keeps its instanceId among the
// additional members of T. ok is false when e has no such attribute.
func DecodeInstances[T any](e TemporalEntity, name string) (v []T, ok bool, err error) {
	return DecodeTemporalAttr[[]T](e, name)
}

// decodeMember re-decodes an untyped member into T.
func decodeMember[T any](raw any, present bool, what, name string) (v T, ok bool, err error) {
	if !present {
		return v, false, nil
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return v, true, fmt.Errorf("ngsi-ld: %s %s: %w", what, name, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, true, fmt.Errorf("ngsi-ld: %s %s: %w", what, name, err)
	}
	return v, true, nil
}
