package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/paulmach/orb"
)

func TestParseTypeExpr(t *testing.T) {
	n := func(s string) *TypeName { return &TypeName{Type: ns + s} }
	tests := []parseCase[TypeExpr]{
		{"A", n("A")},
		{"A,B", &TypeOr{Terms: []TypeExpr{n("A"), n("B")}}},
		{"A|B", &TypeOr{Terms: []TypeExpr{n("A"), n("B")}}},
		{"A;B", &TypeAnd{Terms: []TypeExpr{n("A"), n("B")}}},
		{"(A;B)|C", &TypeOr{Terms: []TypeExpr{&TypeAnd{Terms: []TypeExpr{n("A"), n("B")}}, n("C")}}},
		{"A;B|C,D", &TypeOr{Terms: []TypeExpr{&TypeAnd{Terms: []TypeExpr{n("A"), n("B")}}, n("C"), n("D")}}},
		{"A;(B|C)", &TypeAnd{Terms: []TypeExpr{n("A"), &TypeOr{Terms: []TypeExpr{n("B"), n("C")}}}}},
		{"https://smartdatamodels.org/dataModel.Parking/ParkingSpot", &TypeName{Type: "https://smartdatamodels.org/dataModel.Parking/ParkingSpot"}},
		{" A , B ", &TypeOr{Terms: []TypeExpr{n("A"), n("B")}}},
		{"Capteur_Qualité", n("Capteur_Qualité")},
	}
	errs := []errCase{
		{"", 0, "empty"},
		{"A,", 2, "expected a name"},
		{"(A", 0, "not closed"},
		{"A)", 1, "without a matching"},
		{"A B", 2, "unexpected"},
		{";A", 0, "expected a name"},
		{`A"`, 1, "unexpected"},
	}
	checkParser(t, "type", func(s string) (TypeExpr, error) { return ParseTypeExpr(s, expandTest) }, tests, errs)
}

func TestParseScopeQ(t *testing.T) {
	p := func(s string) *ScopePattern { return &ScopePattern{Pattern: s} }
	tests := []parseCase[ScopeExpr]{
		{"/Nantes", p("/Nantes")},
		{"/Nantes/Est", p("/Nantes/Est")},
		{"/Nantes/+", p("/Nantes/+")},
		{"/+/Parking", p("/+/Parking")},
		{"/Nantes/#", p("/Nantes/#")},
		{"/#", p("/#")},
		{"/A;/B", &ScopeAnd{Terms: []ScopeExpr{p("/A"), p("/B")}}},
		{"/A,/B|/C", &ScopeOr{Terms: []ScopeExpr{p("/A"), p("/B"), p("/C")}}},
		{"(/A|/B);/C", &ScopeAnd{Terms: []ScopeExpr{&ScopeOr{Terms: []ScopeExpr{p("/A"), p("/B")}}, p("/C")}}},
		{"/Île-de-France/Évry", p("/Île-de-France/Évry")},
	}
	errs := []errCase{
		{"", 0, "empty"},
		{"Nantes", 0, "starts with '/'"},
		{"/", 1, "empty scope level"},
		{"/A//B", 3, "empty scope level"},
		{"/A/", 3, "empty scope level"},
		{"/#/A", 1, "'#' must be the last"},
		{"/A+", 1, "must stand alone"},
		{"/A;", 3, "expected a name"},
		{"(/A", 0, "not closed"},
	}
	checkParser(t, "scopeQ", ParseScopeQ, tests, errs)
}

func TestParseOrderBy(t *testing.T) {
	tests := []parseCase[[]OrderTerm]{
		{"temperature", []OrderTerm{{Path: Path{Attr: ns + "temperature"}}}},
		{"temperature;desc,name;ASC", []OrderTerm{{Path: Path{Attr: ns + "temperature"}, Descending: true}, {Path: Path{Attr: ns + "name"}}}},
		{"a.observedAt;desc", []OrderTerm{{Path: Path{Attr: ns + "a", Member: "observedAt"}, Descending: true}}},
		{"a.b[c.d], e", []OrderTerm{{Path: Path{Attr: ns + "a", Sub: []string{ns + "b"}, JSON: []string{"c", "d"}}}, {Path: Path{Attr: ns + "e"}}}},
	}
	errs := []errCase{
		{"", 0, "empty"},
		{"a;up", 2, "asc or desc"},
		{"a,", 2, "expected an attribute name"},
		{"a b", 2, "unexpected"},
		{"a;desc;asc", 6, "unexpected"},
	}
	checkParser(t, "orderBy", func(s string) ([]OrderTerm, error) { return ParseOrderBy(s, expandTest) }, tests, errs)
}

func TestParseGeoQuery(t *testing.T) {
	loc := "https://uri.etsi.org/ngsi-ld/location"
	square := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}}
	tests := []struct {
		georel, geometry, coords, prop string
		want                           *GeoQuery
	}{
		{"", "", "", "", nil},
		{"near;maxDistance==1000", "Point", "[2.35,48.85]", "", &GeoQuery{Rel: GeoNear, Geometry: orb.Point{2.35, 48.85}, Property: loc, MaxDistance: 1000}},
		{"near;minDistance==10", "Point", "[2.35, 48.85, 35]", "", &GeoQuery{Rel: GeoNear, Geometry: orb.Point{2.35, 48.85}, Property: loc, MinDistance: 10}},
		{"near;minDistance==0;maxDistance==5.5", "Point", "[0,0]", "", &GeoQuery{Rel: GeoNear, Geometry: orb.Point{0, 0}, Property: loc, MaxDistance: 5.5}},
		{"within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1],[0,0]]]", "observationSpace", &GeoQuery{Rel: GeoWithin, Geometry: square, Property: ns + "observationSpace"}},
		{"contains", "Point", "[180,-90]", "", &GeoQuery{Rel: GeoContains, Geometry: orb.Point{180, -90}, Property: loc}},
		{"intersects", "LineString", "[[0,0],[1,1]]", "", &GeoQuery{Rel: GeoIntersects, Geometry: orb.LineString{{0, 0}, {1, 1}}, Property: loc}},
		{"equals", "MultiPoint", "[[0,0]]", "", &GeoQuery{Rel: GeoEquals, Geometry: orb.MultiPoint{{0, 0}}, Property: loc}},
		{"disjoint", "MultiLineString", "[[[0,0],[1,1]],[[2,2],[3,3]]]", "", &GeoQuery{Rel: GeoDisjoint, Geometry: orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}}, Property: loc}},
		{"overlaps", "MultiPolygon", "[[[[0,0],[1,0],[1,1],[0,1],[0,0]]]]", "", &GeoQuery{Rel: GeoOverlaps, Geometry: orb.MultiPolygon{square}, Property: loc}},
	}
	for _, tt := range tests {
		got, err := ParseGeoQuery(tt.georel, tt.geometry, tt.coords, tt.prop, expandTest)
		if err != nil {
			t.Errorf("ParseGeoQuery(%q, %q, %q): %v", tt.georel, tt.geometry, tt.coords, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseGeoQuery(%q, %q, %q) (-want +got):\n%s", tt.georel, tt.geometry, tt.coords, d)
		}
	}
	errs := []struct {
		georel, geometry, coords, prop string
		param                          string
		pos                            int
		msg                            string
	}{
		{"", "Point", "[0,0]", "", "georel", 0, "georel is required"},
		{"within", "", "[0,0]", "", "geometry", 0, "geometry is required"},
		{"within", "Point", "", "", "coordinates", 0, "coordinates are required"},
		{"", "", "", "location", "georel", 0, "georel is required"},
		{"beside", "Point", "[0,0]", "", "georel", 0, "unknown georel"},
		{"near", "Point", "[0,0]", "", "georel", 4, "near needs maxDistance"},
		{"near;maxDistance==0", "Point", "[0,0]", "", "georel", 18, "greater than 0"},
		{"near;maxDistance==-1", "Point", "[0,0]", "", "georel", 18, "0 or more"},
		{"near;maxDistance==x", "Point", "[0,0]", "", "georel", 18, "number of metres"},
		{"near;maxDistance=1", "Point", "[0,0]", "", "georel", 5, "expected maxDistance=="},
		{"near;maxDistance==1;maxDistance==2", "Point", "[0,0]", "", "georel", 20, "given twice"},
		{"near;maxDistance==1;minDistance==2", "Point", "[0,0]", "", "georel", 0, "greater than maxDistance"},
		{"within;maxDistance==1", "Polygon", "[0,0]", "", "georel", 6, "only near"},
		{"near;maxDistance==1", "Polygon", "[[[0,0],[1,0],[1,1],[0,0]]]", "", "geometry", 0, "near needs a Point"},
		{"within", "Circle", "[0,0]", "", "geometry", 0, "unknown geometry"},
		{"within", "Point", "[0,", "", "coordinates", 0, "not valid JSON"},
		{"within", "Point", "[0,0] x", "", "coordinates", 5, "unexpected text"},
		{"within", "Point", `{"a":1}`, "", "coordinates", 0, "JSON array"},
		{"within", "Point", "[181,0]", "", "coordinates", 0, "longitude 181"},
		{"within", "Point", "[0,-91]", "", "coordinates", 0, "latitude -91"},
		{"within", "Point", `[0,"1"]`, "", "coordinates", 0, "2 or 3 numbers"},
		{"within", "Point", "[[0,0]]", "", "coordinates", 0, "2 or 3 numbers"},
		{"within", "LineString", "[[0,0]]", "", "coordinates", 0, "at least 2 positions"},
		{"within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1]]]", "", "coordinates", 0, "must end at its first position"},
		{"within", "Polygon", "[[[0,0],[1,0],[0,0]]]", "", "coordinates", 0, "at least 4 positions"},
		{"within", "Polygon", "[]", "", "coordinates", 0, "non-empty array"},
		{"within", "MultiPolygon", "[[[0,0],[1,0],[1,1],[0,0]]]", "", "coordinates", 0, "at least 4 positions"},
		{"within", "Point", "[0,0]", "a b", "geoproperty", 1, "unexpected"},
	}
	for _, tt := range errs {
		_, err := ParseGeoQuery(tt.georel, tt.geometry, tt.coords, tt.prop, expandTest)
		wantSyntaxError(t, err, tt.param, tt.pos, tt.msg)
	}
}

func FuzzParseTypeExpr(f *testing.F) {
	for _, s := range []string{"A", "A,B", "A|B", "A;B", "(A;B)|C", "((A))", "https://x.org/a,b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, ok := checkRoundTrip(t, s, func(s string) (TypeExpr, error) { return ParseTypeExpr(s, nil) }); ok {
			MatchTypes([]string{"A", "B"}, e)
		}
	})
}

func FuzzParseScopeQ(f *testing.F) {
	for _, s := range []string{"/A", "/A/+", "/A/#", "/A;/B", "(/A|/B),/C", "/#"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, ok := checkRoundTrip(t, s, ParseScopeQ); ok {
			MatchScope([]string{"/A", "/A/B", "/C/D/E"}, e)
		}
	})
}

func FuzzParseGeoQuery(f *testing.F) {
	f.Add("near;maxDistance==1000", "Point", "[2.35,48.85]", "")
	f.Add("within", "Polygon", "[[[0,0],[1,0],[1,1],[0,1],[0,0]]]", "location")
	f.Add("intersects", "MultiPolygon", "[[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.2,0.2],[0.4,0.2],[0.4,0.4],[0.2,0.2]]]]", "")
	f.Add("overlaps", "MultiLineString", "[[[0,0],[1,1]]]", "")
	f.Fuzz(func(t *testing.T, georel, geometry, coords, prop string) {
		g, err := ParseGeoQuery(georel, geometry, coords, prop, nil)
		if err != nil || g == nil {
			return
		}
		if g.Geometry == nil || g.Property == "" {
			t.Fatalf("incomplete query %+v", g)
		}
		// Evaluating the query against itself must not panic either.
		e := geoEntity(g.Property, geoJSON(g.Geometry))
		MatchGeo(e, g)
	})
}
