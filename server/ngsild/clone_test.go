package ngsild

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCloneEntity(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	e := &Entity{ID: "urn:ngsi-ld:Sensor:1", Types: []string{"T"}, Scope: []string{"/a"}, CreatedAt: now, ModifiedAt: now,
		Attrs: map[string][]*Attribute{
			"p": {{Type: TypeProperty, Value: json.Number("1.5"), UnitCode: "CEL", ObservedAt: "2025-01-01T00:00:00Z",
				Sub: map[string]*Attribute{"q": {Type: TypeProperty, Value: map[string]any{"k": []any{"x", json.Number("2"), true, nil}}}}}},
			"r": {{Type: TypeRelationship, Value: "urn:x", ObjectType: []string{"U"}}, {Type: TypeRelationship, Value: "urn:y", DatasetID: "urn:d"}},
		}}
	c, ok := CloneEntity(e)
	if !ok {
		t.Fatal("CloneEntity: not ok")
	}
	if diff := cmp.Diff(e, c); diff != "" {
		t.Fatalf("clone differs (-orig +clone):\n%s", diff)
	}
	// Changing the clone leaves the original alone.
	c.Types[0] = "changed"
	c.Attrs["p"][0].Sub["q"].Value.(map[string]any)["k"].([]any)[0] = "changed"
	c.Attrs["r"][0].ObjectType[0] = "changed"
	c.Attrs["r"] = append(c.Attrs["r"][:1], &Attribute{})
	if e.Types[0] != "T" || e.Attrs["p"][0].Sub["q"].Value.(map[string]any)["k"].([]any)[0] != "x" ||
		e.Attrs["r"][0].ObjectType[0] != "U" || e.Attrs["r"][1].Value != "urn:y" {
		t.Error("a change of the clone reached the original")
	}
	if _, ok := CloneEntity(&Entity{Attrs: map[string][]*Attribute{"p": {{Value: struct{}{}}}}}); ok {
		t.Error("CloneEntity of an unknown value type: ok, want false")
	}
}
