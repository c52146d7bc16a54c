package ngsild

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t1 = t0.Add(time.Hour)

const baseDoc = `{"id": "urn:ngsi-ld:Thing:1", "type": "Thing", "scope": "/A",
	"p": {"value": 1, "unitCode": "CEL", "observedAt": "2026-01-01T00:00:00Z",
		"q": {"value": "sub", "r": {"value": "subsub"}}, "s": {"value": 2}},
	"m": [{"value": 10}, {"value": 11, "datasetId": "urn:d:1"}, {"value": 12, "datasetId": "urn:d:2"}],
	"rel": {"object": "urn:x:1"}}`

// entityAt parses doc and stamps it at when.
func entityAt(t *testing.T, doc string, when time.Time) *Entity {
	t.Helper()
	e, err := ParseEntity(decodeDoc(t, doc), testCtx)
	if err != nil {
		t.Fatal(err)
	}
	Stamp(e, when)
	return e
}

func fragment(t *testing.T, doc string) *Fragment {
	t.Helper()
	f, err := ParseFragment(decodeDoc(t, doc), testCtx)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func attribute(t *testing.T, body string) *Attribute {
	t.Helper()
	a, err := ParseAttribute(vocab+"p", decodeAny(t, body), testCtx)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStamp(t *testing.T) {
	e := entityAt(t, baseDoc, t0)
	want := []time.Time{e.CreatedAt, e.ModifiedAt,
		e.Attrs[vocab+"p"][0].CreatedAt, e.Attrs[vocab+"p"][0].Sub[vocab+"q"].Sub[vocab+"r"].ModifiedAt,
		e.Attrs[vocab+"m"][2].CreatedAt}
	for i, got := range want {
		if !got.Equal(t0) {
			t.Errorf("timestamp %d = %v, want %v", i, got, t0)
		}
	}
}

func TestAppend(t *testing.T) {
	t.Run("adds, replaces, merges types and scope", func(t *testing.T) {
		e := entityAt(t, baseDoc, t0)
		f := fragment(t, `{"type": ["Thing", "Building"], "scope": ["/A", "/B"],
			"new": 5, "rel": {"object": "urn:x:2"}, "m": {"value": 13, "datasetId": "urn:d:3"}}`)
		updated, notUpdated := Append(e, f, false, t1)
		if diff := cmp.Diff([]string{vocab + "m", vocab + "new", vocab + "rel"}, updated); diff != "" {
			t.Errorf("updated (-want +got):\n%s", diff)
		}
		if len(notUpdated) != 0 {
			t.Errorf("notUpdated = %v", notUpdated)
		}
		want := entityAt(t, `{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": ["/A", "/B"],
			"p": {"value": 1, "unitCode": "CEL", "observedAt": "2026-01-01T00:00:00Z",
				"q": {"value": "sub", "r": {"value": "subsub"}}, "s": {"value": 2}},
			"m": [{"value": 10}, {"value": 11, "datasetId": "urn:d:1"}, {"value": 12, "datasetId": "urn:d:2"},
				{"value": 13, "datasetId": "urn:d:3"}],
			"rel": {"object": "urn:x:2"}, "new": 5}`, t0)
		want.ModifiedAt = t1
		want.Attrs[vocab+"rel"][0].ModifiedAt = t1 // createdAt kept
		stampAttr(want.Attrs[vocab+"m"][3], t1)
		stampAttr(want.Attrs[vocab+"new"][0], t1)
		if diff := cmp.Diff(want, e); diff != "" {
			t.Errorf("Append (-want +got):\n%s", diff)
		}
	})
	t.Run("noOverwrite", func(t *testing.T) {
		e := entityAt(t, baseDoc, t0)
		f := fragment(t, `{"rel": {"object": "urn:x:2"}, "m": {"value": 0, "datasetId": "urn:d:1"}, "new": 5}`)
		updated, notUpdated := Append(e, f, true, t1)
		if diff := cmp.Diff([]string{vocab + "new"}, updated); diff != "" {
			t.Errorf("updated (-want +got):\n%s", diff)
		}
		wantNot := []NotUpdated{
			{vocab + "m", "attribute already exists and noOverwrite is set (datasetId urn:d:1)"},
			{vocab + "rel", "attribute already exists and noOverwrite is set"},
		}
		if diff := cmp.Diff(wantNot, notUpdated); diff != "" {
			t.Errorf("notUpdated (-want +got):\n%s", diff)
		}
		if got := e.Attrs[vocab+"rel"][0].Value; got != "urn:x:1" {
			t.Errorf("rel overwritten: %v", got)
		}
		if !e.ModifiedAt.Equal(t1) {
			t.Errorf("entity modifiedAt = %v", e.ModifiedAt)
		}
	})
}

func TestUpdateAttrs(t *testing.T) {
	e := entityAt(t, baseDoc, t0)
	f := fragment(t, `{"type": "Building", "rel": {"object": "urn:x:2"}, "missing": 1,
		"m": [{"value": "urn:ngsi-ld:null", "datasetId": "urn:d:1"}, {"value": 0, "datasetId": "urn:d:9"}]}`)
	updated, notUpdated := UpdateAttrs(e, f, t1)
	if diff := cmp.Diff([]string{vocab + "m", vocab + "rel"}, updated); diff != "" {
		t.Errorf("updated (-want +got):\n%s", diff)
	}
	wantNot := []NotUpdated{
		{vocab + "m", "attribute does not exist (datasetId urn:d:9)"},
		{vocab + "missing", "attribute does not exist"},
	}
	if diff := cmp.Diff(wantNot, notUpdated); diff != "" {
		t.Errorf("notUpdated (-want +got):\n%s", diff)
	}
	want := entityAt(t, `{"id": "urn:ngsi-ld:Thing:1", "type": "Thing", "scope": "/A",
		"p": {"value": 1, "unitCode": "CEL", "observedAt": "2026-01-01T00:00:00Z",
			"q": {"value": "sub", "r": {"value": "subsub"}}, "s": {"value": 2}},
		"m": [{"value": 10}, {"value": 12, "datasetId": "urn:d:2"}],
		"rel": {"object": "urn:x:2"}}`, t0)
	want.ModifiedAt = t1
	want.Attrs[vocab+"rel"][0].ModifiedAt = t1
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("UpdateAttrs (-want +got):\n%s", diff)
	}
}

func TestPartialAttrUpdate(t *testing.T) {
	t.Run("keeps the members not given", func(t *testing.T) {
		e := entityAt(t, baseDoc, t0)
		err := PartialAttrUpdate(e, vocab+"p", attribute(t, `{"value": 2, "observedAt": "2026-02-01T00:00:00Z",
			"q": {"value": "new"}, "s": "urn:ngsi-ld:null", "t": {"value": 3}}`), t1)
		if err != nil {
			t.Fatal(err)
		}
		want := entityAt(t, `{"id": "urn:ngsi-ld:Thing:1", "type": "Thing", "p": {"value": 2, "unitCode": "CEL",
			"observedAt": "2026-02-01T00:00:00Z", "q": {"value": "new"}, "t": {"value": 3}}}`, t0)
		want.ModifiedAt = t1
		p := want.Attrs[vocab+"p"][0]
		p.ModifiedAt = t1
		p.Sub[vocab+"q"].ModifiedAt = t1 // replaced whole, createdAt kept
		stampAttr(p.Sub[vocab+"t"], t1)
		if diff := cmp.Diff(p, e.Attrs[vocab+"p"][0]); diff != "" {
			t.Errorf("PartialAttrUpdate (-want +got):\n%s", diff)
		}
		if !e.ModifiedAt.Equal(t1) {
			t.Errorf("entity modifiedAt = %v", e.ModifiedAt)
		}
	})
	t.Run("unitCode deleted by null, instance by datasetId", func(t *testing.T) {
		e := entityAt(t, baseDoc, t0)
		if err := PartialAttrUpdate(e, vocab+"p", attribute(t, `{"value": 2, "unitCode": "urn:ngsi-ld:null"}`), t1); err != nil {
			t.Fatal(err)
		}
		if got := e.Attrs[vocab+"p"][0].UnitCode; got != "" {
			t.Errorf("unitCode = %q", got)
		}
		if err := PartialAttrUpdate(e, vocab+"m", attribute(t, `{"value": 99, "datasetId": "urn:d:2"}`), t1); err != nil {
			t.Fatal(err)
		}
		if got := e.Attrs[vocab+"m"][2].Value; got != n("99") {
			t.Errorf("m urn:d:2 = %v", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, attr, body string
			kind             error
		}{
			{"missing attribute", vocab + "zz", `{"value": 1}`, ErrAttrNotFound},
			{"missing datasetId", vocab + "m", `{"value": 1, "datasetId": "urn:d:9"}`, ErrAttrNotFound},
			{"type change", vocab + "rel", `{"value": 1}`, ErrBadRequestData},
		}
		for _, tt := range tests {
			e := entityAt(t, baseDoc, t0)
			err := PartialAttrUpdate(e, tt.attr, attribute(t, tt.body), t1)
			if !errors.Is(err, tt.kind) {
				t.Errorf("%s: error = %v, want %v", tt.name, err, tt.kind)
			}
		}
	})
}

func TestReplaceAttr(t *testing.T) {
	e := entityAt(t, baseDoc, t0)
	if err := ReplaceAttr(e, vocab+"p", attribute(t, `{"object": "urn:x:5", "z": 1}`), t1); err != nil {
		t.Fatal(err)
	}
	want := &Attribute{Type: TypeRelationship, Value: "urn:x:5", CreatedAt: t0, ModifiedAt: t1,
		Sub: map[string]*Attribute{vocab + "z": {Type: TypeProperty, Value: n("1"), CreatedAt: t1, ModifiedAt: t1}}}
	if diff := cmp.Diff(want, e.Attrs[vocab+"p"][0]); diff != "" {
		t.Errorf("ReplaceAttr (-want +got):\n%s", diff)
	}
	if err := ReplaceAttr(e, vocab+"m", attribute(t, `{"value": 1, "datasetId": "urn:d:9"}`), t1); !errors.Is(err, ErrAttrNotFound) {
		t.Errorf("missing datasetId: error = %v", err)
	}
	if err := ReplaceAttr(e, vocab+"p", attribute(t, `"urn:ngsi-ld:null"`), t1); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("null: error = %v", err)
	}
}

func TestDeleteAttr(t *testing.T) {
	tests := []struct {
		name, attr, datasetID string
		all                   bool
		kind                  error
		left                  int // instances of the attribute left
	}{
		{"default instance", vocab + "m", "", false, nil, 2},
		{"by datasetId", vocab + "m", "urn:d:2", false, nil, 2},
		{"all instances", vocab + "m", "", true, nil, 0},
		{"single attribute", vocab + "rel", "", false, nil, 0},
		{"missing datasetId", vocab + "m", "urn:d:9", false, ErrAttrNotFound, 3},
		{"missing default instance", vocab + "rel", "urn:d:1", false, ErrAttrNotFound, 1},
		{"missing attribute", vocab + "zz", "", false, ErrAttrNotFound, 0},
		{"missing attribute, all", vocab + "zz", "", true, ErrAttrNotFound, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := entityAt(t, baseDoc, t0)
			err := DeleteAttr(e, tt.attr, tt.datasetID, tt.all)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("error = %v, want %v", err, tt.kind)
			}
			list, ok := e.Attrs[tt.attr]
			if len(list) != tt.left || ok != (tt.left > 0) {
				t.Errorf("%d instances left (present %v), want %d", len(list), ok, tt.left)
			}
			if tt.kind == nil && tt.left > 0 && findInstance(list, tt.datasetID) >= 0 {
				t.Errorf("instance %q still there", tt.datasetID)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	e := entityAt(t, baseDoc, t0)
	f := fragment(t, `{"type": "Building", "scope": "/C",
		"p": {"value": 5, "observedAt": "urn:ngsi-ld:null", "q": {"value": "sub2", "r": "urn:ngsi-ld:null", "u": 1}, "s": "urn:ngsi-ld:null"},
		"m": [{"value": "urn:ngsi-ld:null", "datasetId": "urn:d:1"}, {"value": 14, "datasetId": "urn:d:4"}],
		"rel": "urn:ngsi-ld:null",
		"gone": "urn:ngsi-ld:null",
		"new": {"value": 1, "x": "urn:ngsi-ld:null"}}`)
	Merge(e, f, t1)
	want := entityAt(t, `{"id": "urn:ngsi-ld:Thing:1", "type": ["Thing", "Building"], "scope": "/C",
		"p": {"value": 5, "unitCode": "CEL", "q": {"value": "sub2", "u": 1}},
		"m": [{"value": 10}, {"value": 12, "datasetId": "urn:d:2"}, {"value": 14, "datasetId": "urn:d:4"}],
		"new": 1}`, t0)
	want.ModifiedAt = t1
	p := want.Attrs[vocab+"p"][0]
	p.ModifiedAt = t1
	p.Sub[vocab+"q"].ModifiedAt = t1
	stampAttr(p.Sub[vocab+"q"].Sub[vocab+"u"], t1)
	stampAttr(want.Attrs[vocab+"m"][2], t1)
	stampAttr(want.Attrs[vocab+"new"][0], t1)
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("Merge (-want +got):\n%s", diff)
	}

	t.Run("type change replaces the instance", func(t *testing.T) {
		e := entityAt(t, baseDoc, t0)
		Merge(e, fragment(t, `{"rel": 3}`), t1)
		want := &Attribute{Type: TypeProperty, Value: n("3"), CreatedAt: t0, ModifiedAt: t1}
		if diff := cmp.Diff(want, e.Attrs[vocab+"rel"][0]); diff != "" {
			t.Errorf("Merge (-want +got):\n%s", diff)
		}
	})
	t.Run("scope removed by null, kept when absent", func(t *testing.T) {
		e := entityAt(t, baseDoc, t0)
		Merge(e, fragment(t, `{"new": 1}`), t1)
		if diff := cmp.Diff([]string{"/A"}, e.Scope); diff != "" {
			t.Errorf("scope (-want +got):\n%s", diff)
		}
		Merge(e, fragment(t, `{"scope": "urn:ngsi-ld:null"}`), t1)
		if e.Scope != nil {
			t.Errorf("scope = %v, want none", e.Scope)
		}
	})
}

func TestReplace(t *testing.T) {
	old := entityAt(t, baseDoc, t0)
	repl, err := ParseEntity(decodeDoc(t, `{"id": "urn:ngsi-ld:Thing:1", "type": "Building", "a": 1}`), testCtx)
	if err != nil {
		t.Fatal(err)
	}
	got := Replace(old, repl, t1)
	want := &Entity{ID: "urn:ngsi-ld:Thing:1", Types: []string{x("Building")}, CreatedAt: t0, ModifiedAt: t1,
		Attrs: map[string][]*Attribute{vocab + "a": {{Type: TypeProperty, Value: n("1"), CreatedAt: t1, ModifiedAt: t1}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Replace (-want +got):\n%s", diff)
	}
}
