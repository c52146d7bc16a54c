package query

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
)

// geoJSON encodes a geometry as an entity holds it after a store round
// trip: a map with json.Number coordinates (orb geometries encode as
// nested coordinate arrays).
func geoJSON(g orb.Geometry) map[string]any {
	if c, ok := g.(orb.Collection); ok {
		list := make([]any, len(c))
		for i, x := range c {
			list[i] = geoJSON(x)
		}
		return map[string]any{"type": "GeometryCollection", "geometries": list}
	}
	data, err := json.Marshal(g)
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var coords any
	if err := dec.Decode(&coords); err != nil {
		panic(err)
	}
	return map[string]any{"type": g.GeoJSONType(), "coordinates": coords}
}

func geoEntity(prop string, value any) *ngsild.Entity {
	return &ngsild.Entity{ID: "urn:ngsi-ld:Thing:1", Attrs: map[string][]*ngsild.Attribute{
		prop: {{Type: ngsild.TypeGeoProperty, Value: value}},
	}}
}

func TestGeometryOf(t *testing.T) {
	tests := []struct {
		in   any
		want orb.Geometry
	}{
		{map[string]any{"type": "Point", "coordinates": []any{json.Number("2.35"), json.Number("48.85")}}, orb.Point{2.35, 48.85}},
		{map[string]any{"type": "Point", "coordinates": []any{2.35, 48.85, 30.0}}, orb.Point{2.35, 48.85}},
		{map[string]any{"type": "LineString", "coordinates": []any{[]any{0, 0}, []any{1, 1}}}, orb.LineString{{0, 0}, {1, 1}}},
		{map[string]any{"type": "GeometryCollection", "geometries": []any{
			map[string]any{"type": "Point", "coordinates": []any{1, 2}},
			map[string]any{"type": "MultiPoint", "coordinates": []any{[]any{3, 4}}},
		}}, orb.Collection{orb.Point{1, 2}, orb.MultiPoint{{3, 4}}}},
		{orb.Point{1, 2}, orb.Point{1, 2}},
	}
	for _, tt := range tests {
		got, ok := GeometryOf(tt.in)
		if !ok {
			t.Errorf("GeometryOf(%v) failed", tt.in)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("GeometryOf(%v) (-want +got):\n%s", tt.in, d)
		}
	}
	for _, bad := range []any{
		nil, "Point", map[string]any{"type": "Point"}, map[string]any{"type": "Circle", "coordinates": []any{0, 0}},
		map[string]any{"type": "Point", "coordinates": []any{200, 0}},
		map[string]any{"type": "GeometryCollection", "geometries": []any{"x"}},
	} {
		if _, ok := GeometryOf(bad); ok {
			t.Errorf("GeometryOf(%v) succeeded", bad)
		}
	}
}

func TestMatchGeo(t *testing.T) {
	loc := "https://uri.etsi.org/ngsi-ld/location"
	// A 4x4 square with a 2x2 hole in the middle.
	donut := orb.Polygon{{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}, {{1, 1}, {3, 1}, {3, 3}, {1, 3}, {1, 1}}}
	square := func(x0, y0, x1, y1 float64) orb.Polygon {
		return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
	}
	paris := orb.Point{2.3522, 48.8566}
	tests := []struct {
		name   string
		entity orb.Geometry
		q      GeoQuery
		want   bool
	}{
		// near, on the sphere
		{"point within 1 km", orb.Point{2.3622, 48.8566}, GeoQuery{Rel: GeoNear, Geometry: paris, MaxDistance: 1000}, true},  // ~733 m
		{"point beyond 700 m", orb.Point{2.3622, 48.8566}, GeoQuery{Rel: GeoNear, Geometry: paris, MaxDistance: 700}, false}, // ~733 m
		{"minDistance keeps far", orb.Point{2.3622, 48.8566}, GeoQuery{Rel: GeoNear, Geometry: paris, MinDistance: 700}, true},
		{"minDistance drops near", orb.Point{2.3622, 48.8566}, GeoQuery{Rel: GeoNear, Geometry: paris, MinDistance: 800}, false},
		{"ring between min and max", orb.Point{2.3622, 48.8566}, GeoQuery{Rel: GeoNear, Geometry: paris, MinDistance: 700, MaxDistance: 800}, true},
		{"antimeridian", orb.Point{-179.9995, 0}, GeoQuery{Rel: GeoNear, Geometry: orb.Point{179.9995, 0}, MaxDistance: 120}, true}, // ~111 m
		{"antimeridian too far", orb.Point{-179.999, 0}, GeoQuery{Rel: GeoNear, Geometry: orb.Point{179.999, 0}, MaxDistance: 200}, false},
		{"near a segment's middle", orb.LineString{{0, -1}, {0, 1}}, GeoQuery{Rel: GeoNear, Geometry: orb.Point{0.001, 0}, MaxDistance: 120}, true}, // ~111 m
		{"near a polygon edge", square(0, 0, 1, 1), GeoQuery{Rel: GeoNear, Geometry: orb.Point{0.5, -0.001}, MaxDistance: 120}, true},
		{"inside a polygon is distance 0", square(0, 0, 1, 1), GeoQuery{Rel: GeoNear, Geometry: orb.Point{0.5, 0.5}, MaxDistance: 1}, true},
		{"inside a polygon fails minDistance", square(0, 0, 1, 1), GeoQuery{Rel: GeoNear, Geometry: orb.Point{0.5, 0.5}, MinDistance: 1}, false},
		{"segment across the antimeridian", orb.LineString{{179, 0}, {-179, 0}}, GeoQuery{Rel: GeoNear, Geometry: orb.Point{180, 0.001}, MaxDistance: 120}, true},
		// within and contains
		{"point in donut", orb.Point{0.5, 0.5}, GeoQuery{Rel: GeoWithin, Geometry: donut}, true},
		{"point in hole", orb.Point{2, 2}, GeoQuery{Rel: GeoWithin, Geometry: donut}, false},
		{"point on outer boundary", orb.Point{0, 2}, GeoQuery{Rel: GeoWithin, Geometry: donut}, false},
		{"point on hole boundary", orb.Point{1, 2}, GeoQuery{Rel: GeoWithin, Geometry: donut}, false},
		{"point on boundary intersects", orb.Point{0, 2}, GeoQuery{Rel: GeoIntersects, Geometry: donut}, true},
		{"point on hole boundary intersects", orb.Point{1, 2}, GeoQuery{Rel: GeoIntersects, Geometry: donut}, true},
		{"point in hole is disjoint", orb.Point{2, 2}, GeoQuery{Rel: GeoDisjoint, Geometry: donut}, true},
		{"polygon in the ring of the donut", square(0.2, 0.2, 0.8, 3.8), GeoQuery{Rel: GeoWithin, Geometry: donut}, true},
		{"polygon covering the hole", square(0.5, 0.5, 3.5, 3.5), GeoQuery{Rel: GeoWithin, Geometry: donut}, false},
		{"polygon sharing an edge is within", square(0, 0, 1, 1), GeoQuery{Rel: GeoWithin, Geometry: square(0, 0, 2, 2)}, true},
		{"polygon within itself", square(0, 0, 1, 1), GeoQuery{Rel: GeoWithin, Geometry: square(0, 0, 1, 1)}, true},
		{"polygon sticking out", square(1, 1, 3, 3), GeoQuery{Rel: GeoWithin, Geometry: square(0, 0, 2, 2)}, false},
		{"line crossing a concave notch", orb.LineString{{0, 2}, {2, 2}}, GeoQuery{Rel: GeoWithin, Geometry: orb.Polygon{{{0, 0}, {2, 0}, {2, 3}, {1, 1}, {0, 3}, {0, 0}}}}, false},
		{"line inside", orb.LineString{{0.5, 0.5}, {1.5, 1.5}}, GeoQuery{Rel: GeoWithin, Geometry: square(0, 0, 2, 2)}, true},
		{"line along the boundary only", orb.LineString{{0, 0}, {2, 0}}, GeoQuery{Rel: GeoWithin, Geometry: square(0, 0, 2, 2)}, false},
		{"point within a multipolygon's second part", orb.Point{11, 11}, GeoQuery{Rel: GeoWithin, Geometry: orb.MultiPolygon{square(0, 0, 1, 1), square(10, 10, 12, 12)}}, true},
		{"multipoint partly out", orb.MultiPoint{{0.5, 0.5}, {5, 5}}, GeoQuery{Rel: GeoWithin, Geometry: square(0, 0, 1, 1)}, false},
		{"point on a line", orb.Point{1, 1}, GeoQuery{Rel: GeoWithin, Geometry: orb.LineString{{0, 0}, {2, 2}}}, true},
		{"point at a line's end", orb.Point{0, 0}, GeoQuery{Rel: GeoWithin, Geometry: orb.LineString{{0, 0}, {2, 2}}}, false},
		{"polygon contains point", square(0, 0, 2, 2), GeoQuery{Rel: GeoContains, Geometry: orb.Point{1, 1}}, true},
		{"polygon does not contain its boundary point", square(0, 0, 2, 2), GeoQuery{Rel: GeoContains, Geometry: orb.Point{0, 1}}, false},
		{"donut does not contain hole point", donut, GeoQuery{Rel: GeoContains, Geometry: orb.Point{2, 2}}, false},
		{"point never contains a polygon", orb.Point{1, 1}, GeoQuery{Rel: GeoContains, Geometry: square(0, 0, 2, 2)}, false},
		// intersects and disjoint
		{"crossing lines intersect", orb.LineString{{0, 0}, {2, 2}}, GeoQuery{Rel: GeoIntersects, Geometry: orb.LineString{{0, 2}, {2, 0}}}, true},
		{"parallel lines do not", orb.LineString{{0, 0}, {2, 0}}, GeoQuery{Rel: GeoIntersects, Geometry: orb.LineString{{0, 1}, {2, 1}}}, false},
		{"touching squares intersect", square(0, 0, 1, 1), GeoQuery{Rel: GeoIntersects, Geometry: square(1, 0, 2, 1)}, true},
		{"polygon inside another intersects", square(1, 1, 2, 2), GeoQuery{Rel: GeoIntersects, Geometry: square(0, 0, 5, 5)}, true},
		{"polygon in the hole is disjoint", square(1.5, 1.5, 2.5, 2.5), GeoQuery{Rel: GeoDisjoint, Geometry: donut}, true},
		{"far squares are disjoint", square(0, 0, 1, 1), GeoQuery{Rel: GeoDisjoint, Geometry: square(5, 5, 6, 6)}, true},
		{"overlapping squares are not disjoint", square(0, 0, 2, 2), GeoQuery{Rel: GeoDisjoint, Geometry: square(1, 1, 3, 3)}, false},
		// equals
		{"same square, other start", square(0, 0, 1, 1), GeoQuery{Rel: GeoEquals, Geometry: orb.Polygon{{{1, 1}, {0, 1}, {0, 0}, {1, 0}, {1, 1}}}}, true},
		{"same square, reversed", square(0, 0, 1, 1), GeoQuery{Rel: GeoEquals, Geometry: orb.Polygon{{{0, 0}, {0, 1}, {1, 1}, {1, 0}, {0, 0}}}}, true},
		{"different squares", square(0, 0, 1, 1), GeoQuery{Rel: GeoEquals, Geometry: square(0, 0, 1, 2)}, false},
		{"same point", orb.Point{1, 2}, GeoQuery{Rel: GeoEquals, Geometry: orb.Point{1, 2}}, true},
		{"line split in two", orb.LineString{{0, 0}, {2, 0}}, GeoQuery{Rel: GeoEquals, Geometry: orb.LineString{{0, 0}, {1, 0}, {2, 0}}}, true},
		{"donut is not its outer square", donut, GeoQuery{Rel: GeoEquals, Geometry: square(0, 0, 4, 4)}, false},
		// overlaps
		{"overlapping squares", square(0, 0, 2, 2), GeoQuery{Rel: GeoOverlaps, Geometry: square(1, 1, 3, 3)}, true},
		{"touching squares do not overlap", square(0, 0, 1, 1), GeoQuery{Rel: GeoOverlaps, Geometry: square(1, 0, 2, 1)}, false},
		{"nested squares do not overlap", square(1, 1, 2, 2), GeoQuery{Rel: GeoOverlaps, Geometry: square(0, 0, 5, 5)}, false},
		{"cross of rectangles overlaps", square(0, 1, 3, 2), GeoQuery{Rel: GeoOverlaps, Geometry: square(1, 0, 2, 3)}, true},
		{"collinear lines overlap", orb.LineString{{0, 0}, {2, 0}}, GeoQuery{Rel: GeoOverlaps, Geometry: orb.LineString{{1, 0}, {3, 0}}}, true},
		{"crossing lines do not overlap", orb.LineString{{0, 0}, {2, 2}}, GeoQuery{Rel: GeoOverlaps, Geometry: orb.LineString{{0, 2}, {2, 0}}}, false},
		{"point and polygon never overlap", orb.Point{1, 1}, GeoQuery{Rel: GeoOverlaps, Geometry: square(0, 0, 2, 2)}, false},
		{"multipoints overlap", orb.MultiPoint{{0, 0}, {1, 1}}, GeoQuery{Rel: GeoOverlaps, Geometry: orb.MultiPoint{{1, 1}, {2, 2}}}, true},
	}
	for _, tt := range tests {
		q := tt.q
		q.Property = loc
		e := geoEntity(loc, geoJSON(tt.entity))
		if got := MatchGeo(e, &q); got != tt.want {
			t.Errorf("%s: MatchGeo = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMatchGeoEdges(t *testing.T) {
	loc := "https://uri.etsi.org/ngsi-ld/location"
	q := &GeoQuery{Rel: GeoDisjoint, Geometry: orb.Point{0, 0}, Property: loc}
	if MatchGeo(&ngsild.Entity{}, q) {
		t.Error("an entity without the geoproperty must not match, even disjoint")
	}
	if MatchGeo(geoEntity(loc, "not a geometry"), q) {
		t.Error("a value that is not a geometry must not match")
	}
	if !MatchGeo(&ngsild.Entity{}, nil) {
		t.Error("a nil geo-query must match")
	}
	// Multi-attribute: one instance in the area is enough.
	e := &ngsild.Entity{Attrs: map[string][]*ngsild.Attribute{loc: {
		{Type: ngsild.TypeGeoProperty, Value: geoJSON(orb.Point{50, 50}), DatasetID: "urn:a"},
		{Type: ngsild.TypeGeoProperty, Value: geoJSON(orb.Point{0.5, 0.5})},
	}}}
	within := &GeoQuery{Rel: GeoWithin, Geometry: orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}, Property: loc}
	if !MatchGeo(e, within) {
		t.Error("one instance within must be enough")
	}
	// Another geoproperty than location.
	other := ns + "observationSpace"
	g, err := ParseGeoQuery("intersects", "Point", "[0.5,0.5]", "observationSpace", expandTest)
	if err != nil {
		t.Fatal(err)
	}
	if g.Property != other || !MatchGeo(geoEntity(other, geoJSON(orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}})), g) {
		t.Error("geoproperty observationSpace was not used")
	}
}

func TestHaversine(t *testing.T) {
	// Paris to London, about 343.9 km on this sphere.
	d := haversine(orb.Point{2.3522, 48.8566}, orb.Point{-0.1276, 51.5072})
	if d < 343000 || d > 345000 {
		t.Errorf("Paris-London = %.0f m", d)
	}
	// One degree of latitude: pi*R/180.
	if d := haversine(orb.Point{0, 0}, orb.Point{0, 1}); d < 111195 || d > 111196 {
		t.Errorf("one degree = %.3f m", d)
	}
}
