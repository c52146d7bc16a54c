// Package ngsild holds the NGSI-LD information model of the reference
// server: entities and attributes in their expanded form, the parsing of the
// normalized, concise and simplified (keyValues) representations, their
// rendering, and the update semantics (append, partial update, merge-patch,
// replace) of ETSI GS CIM 009.
//
// Everything here works on expanded names: entity types, attribute names and
// vocab values are full IRIs. Expansion and compaction against a request's
// @context happen at the edges, through the Context interface.
//
// The package imports no net/http and no database driver.
package ngsild

import (
	"bytes"
	"encoding/json"
	"time"
)

// Attribute types of NGSI-LD (clause 4.5).
const (
	TypeProperty         = "Property"
	TypeRelationship     = "Relationship"
	TypeGeoProperty      = "GeoProperty"
	TypeLanguageProperty = "LanguageProperty"
	TypeListProperty     = "ListProperty"
	TypeJSONProperty     = "JsonProperty"
	TypeVocabProperty    = "VocabProperty"
	TypeListRelationship = "ListRelationship"
)

// NullURI is the value that deletes an attribute in a merge-patch or
// partial update (clause 5.5.4).
const NullURI = "urn:ngsi-ld:null"

// Entity is one NGSI-LD entity with expanded type and attribute names.
type Entity struct {
	ID    string   `json:"id"`
	Types []string `json:"types"`
	// Scope holds the entity's scopes ("/Nantes/Est"), in input order.
	Scope []string `json:"scope,omitempty"`
	// Attrs maps an expanded attribute name to its instances: one per
	// datasetId, the default instance having an empty DatasetID.
	Attrs      map[string][]*Attribute `json:"attrs,omitempty"`
	CreatedAt  time.Time               `json:"createdAt"`
	ModifiedAt time.Time               `json:"modifiedAt"`
}

// Attribute is one instance of a Property, Relationship, GeoProperty,
// LanguageProperty, ListProperty, JsonProperty, VocabProperty or
// ListRelationship.
type Attribute struct {
	Type string `json:"type"`
	// Value carries the attribute's payload, whatever the attribute type:
	// the value of a Property, the GeoJSON geometry of a GeoProperty, the
	// object of a Relationship (a URI string), the languageMap of a
	// LanguageProperty (map[string]any), the valueList of a ListProperty,
	// the json of a JsonProperty, the expanded vocab of a VocabProperty
	// (string or []any of strings) and the objectList of a ListRelationship.
	Value      any    `json:"value"`
	DatasetID  string `json:"datasetId,omitempty"`
	ObservedAt string `json:"observedAt,omitempty"`
	UnitCode   string `json:"unitCode,omitempty"`
	// ObjectType is the expanded type of the target of a Relationship,
	// when the producer gave one.
	ObjectType []string `json:"objectType,omitempty"`
	// Sub holds the sub-attributes (properties of properties and so on),
	// by expanded name.
	Sub        map[string]*Attribute `json:"sub,omitempty"`
	CreatedAt  time.Time             `json:"createdAt"`
	ModifiedAt time.Time             `json:"modifiedAt"`
}

// MarshalEntity encodes an entity in the storage format used by every
// store: the struct above as encoding/json writes it (marshal.go writes
// the same bytes without reflection).
func MarshalEntity(e *Entity) ([]byte, error) {
	if e == nil {
		return []byte("null"), nil
	}
	// About what an attribute with a value and three timestamps takes, so
	// that the buffer seldom grows.
	size := 256
	for _, list := range e.Attrs {
		size += 320 * len(list)
	}
	return appendEntity(make([]byte, 0, size), e)
}

// AppendEntity appends to dst what MarshalEntity returns for e, which
// must not be nil.
func AppendEntity(dst []byte, e *Entity) ([]byte, error) { return appendEntity(dst, e) }

// UnmarshalEntity decodes what MarshalEntity wrote. Numbers are kept as
// json.Number so that integers survive a round trip unchanged.
func UnmarshalEntity(data []byte) (*Entity, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var e Entity
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	return &e, nil
}
