package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
)

// The query languages: q, type selection, scopeQ, geo-queries and
// orderBy. The expected answers are written by hand from the semantics of
// package query (MatchQ, MatchTypes, MatchScope, MatchGeo, ValueAt,
// CompareValues); testProperty checks the same semantics on random data.

const (
	aDate   = ns + "dateObserved"
	aTags   = ns + "tags"
	aData   = ns + "data"
	aActive = ns + "active"
	aArea   = ns + "area"
	aAcc    = ns + "accuracy"
	// coreLocation is the expanded default GeoProperty of geo-queries.
	coreLocation = "https://uri.etsi.org/ngsi-ld/location"
)

// --- literal and expression builders ---

func num(x float64) query.Literal {
	return query.Literal{Kind: query.KindNumber, Num: x, Str: jsonText(x)}
}
func str(s string) query.Literal { return query.Literal{Kind: query.KindString, Str: s} }
func boolean(b bool) query.Literal {
	return query.Literal{Kind: query.KindBool, Bool: b, Str: jsonText(b)}
}

// when is a date-time literal; s is RFC 3339 or a date.
func when(s string) query.Literal {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if t, err = time.Parse("2006-01-02", s); err != nil {
			panic(err)
		}
	}
	return query.Literal{Kind: query.KindDateTime, Time: t.UTC(), Str: s}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func path(attr string) query.Path { return query.Path{Attr: attr} }

func cmpOp(p query.Path, op query.Op, l query.Literal) *query.Comparison {
	return &query.Comparison{Path: p, Op: op, Value: query.Value{Single: &l}}
}

func anyOf(p query.Path, ls ...query.Literal) *query.Comparison {
	return &query.Comparison{Path: p, Op: query.OpEqual, Value: query.Value{List: ls}}
}

func between(p query.Path, lo, hi query.Literal) *query.Comparison {
	return &query.Comparison{Path: p, Op: query.OpEqual, Value: query.Value{RangeLo: &lo, RangeHi: &hi}}
}

func exists(p query.Path) *query.Comparison { return &query.Comparison{Path: p, Op: query.OpExists} }

func and(xs ...query.Expr) query.Expr { return &query.And{Terms: xs} }
func or(xs ...query.Expr) query.Expr  { return &query.Or{Terms: xs} }

func tname(t string) query.TypeExpr            { return &query.TypeName{Type: t} }
func tand(xs ...query.TypeExpr) query.TypeExpr { return &query.TypeAnd{Terms: xs} }
func tor(xs ...query.TypeExpr) query.TypeExpr  { return &query.TypeOr{Terms: xs} }

func scope(p string) query.ScopeExpr             { return &query.ScopePattern{Pattern: p} }
func sand(xs ...query.ScopeExpr) query.ScopeExpr { return &query.ScopeAnd{Terms: xs} }
func sor(xs ...query.ScopeExpr) query.ScopeExpr  { return &query.ScopeOr{Terms: xs} }

func withScope(e *ngsild.Entity, scopes ...string) *ngsild.Entity {
	e.Scope = scopes
	return e
}

func (n named) observedAt(s string) named { n.attr.ObservedAt = s; return n }

func (n named) sub(name string, value any) named {
	if n.attr.Sub == nil {
		n.attr.Sub = map[string]*ngsild.Attribute{}
	}
	n.attr.Sub[name] = &ngsild.Attribute{Type: ngsild.TypeProperty, Value: value, CreatedAt: t0, ModifiedAt: t1}
	return n
}

func geometry(name string, g map[string]any) named { return attr(name, ngsild.TypeGeoProperty, g) }

func point(lon, lat float64) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []any{jsonNum(lon), jsonNum(lat)}}
}

func jsonNum(x float64) json.Number { return json.Number(jsonText(x)) }

// coords converts rings or lines to decoded GeoJSON coordinates.
func coords(lines ...[][2]float64) []any {
	out := []any{}
	for _, l := range lines {
		ps := []any{}
		for _, p := range l {
			ps = append(ps, []any{jsonNum(p[0]), jsonNum(p[1])})
		}
		out = append(out, ps)
	}
	return out
}

func square(x0, y0, x1, y1 float64) [][2]float64 {
	return [][2]float64{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

func orbRing(r [][2]float64) orb.Ring {
	out := orb.Ring{}
	for _, p := range r {
		out = append(out, orb.Point(p))
	}
	return out
}

// --- q, type selection and scopes ---

func qData() []*ngsild.Entity {
	return []*ngsild.Entity{
		withScope(entity("urn:ngsi-ld:Sensor:01", types(tSensor),
			prop(aTemperature, json.Number("21.5")).observedAt("2024-03-01T10:00:00+02:00"),
			prop(aName, "Café"),
			prop(aDate, "2024-03-01T08:00:00Z"),
			attr(aTags, ngsild.TypeListProperty, []any{"a", "b"})), "/Nantes/Est"),
		withScope(entity("urn:ngsi-ld:Sensor:02", types(tSensor, tDevice),
			prop(aTemperature, json.Number("30")).sub(aAcc, json.Number("0.5")),
			prop(aName, "Zoé"),
			prop(aDate, "2024-03-01T10:30:00+02:00")), "/Nantes", "/Lyon/Centre"),
		entity("urn:ngsi-ld:Sensor:03", types(tSensor),
			prop(aTemperature, "hot"),
			prop(aName, "Ω"),
			prop(aDate, "2024-03-02")),
		entity("urn:ngsi-ld:Parking:04", types(tParking),
			prop(aOccupancy, json.Number("3")),
			rel(aRefSensor, "urn:ngsi-ld:Sensor:01"),
			attr(aName, ngsild.TypeLanguageProperty, map[string]any{"fr": "Parc", "en": "Park"}),
			attr(aData, ngsild.TypeJSONProperty, map[string]any{"a": map[string]any{"b": json.Number("5")}})),
		withScope(entity("urn:ngsi-ld:Device:05", types(tDevice)), "/Paris"),
		entity("urn:ngsi-ld:Sensor:06", types(tSensor),
			prop(aTemperature, json.Number("10")),
			prop(aTemperature, json.Number("40")).dataset("urn:ngsi-ld:Dataset:b"),
			prop(aActive, true)),
	}
}

func testQueryLanguage(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant, qData()...)
	// Noise in another tenant: the same entities.
	put(t, s, "other", qData()...)
	const (
		s1 = "urn:ngsi-ld:Sensor:01"
		s2 = "urn:ngsi-ld:Sensor:02"
		s3 = "urn:ngsi-ld:Sensor:03"
		p4 = "urn:ngsi-ld:Parking:04"
		d5 = "urn:ngsi-ld:Device:05"
		s6 = "urn:ngsi-ld:Sensor:06"
	)
	temp := path(aTemperature)
	tests := []struct {
		name string
		q    store.EntityQuery
		want []string
	}{
		{"greater", store.EntityQuery{Q: cmpOp(temp, query.OpGreater, num(20))}, []string{s1, s2, s6}},
		{"greater or equal", store.EntityQuery{Q: cmpOp(temp, query.OpGreaterEq, num(30))}, []string{s2, s6}},
		{"less", store.EntityQuery{Q: cmpOp(temp, query.OpLess, num(21.5))}, []string{s6}},
		{"less or equal", store.EntityQuery{Q: cmpOp(temp, query.OpLessEq, num(21.5))}, []string{s1, s6}},
		{"equal", store.EntityQuery{Q: cmpOp(temp, query.OpEqual, num(21.5))}, []string{s1}},
		{"equal list", store.EntityQuery{Q: anyOf(temp, num(10), num(30))}, []string{s2, s6}},
		{"equal range", store.EntityQuery{Q: between(temp, num(20), num(30))}, []string{s1, s2}},
		{"unequal: type mismatch and other instance", store.EntityQuery{Q: cmpOp(temp, query.OpUnequal, num(21.5))}, []string{s2, s3, s6}},
		{"string on a number attribute", store.EntityQuery{Q: cmpOp(temp, query.OpEqual, str("hot"))}, []string{s3}},
		{"number given as string does not equal", store.EntityQuery{Q: cmpOp(temp, query.OpEqual, str("30"))}, nil},
		{"missing attribute", store.EntityQuery{Q: cmpOp(path(aHumidity), query.OpGreater, num(0))}, nil},
		{"missing attribute, unequal", store.EntityQuery{Q: cmpOp(path(aHumidity), query.OpUnequal, num(0))}, nil},
		{"exists", store.EntityQuery{Q: exists(temp)}, []string{s1, s2, s3, s6}},
		{"unicode equal", store.EntityQuery{Q: cmpOp(path(aName), query.OpEqual, str("Café"))}, []string{s1}},
		{"unicode order", store.EntityQuery{Q: cmpOp(path(aName), query.OpGreater, str("Z"))}, []string{s2, s3}},
		{"regex", store.EntityQuery{Q: cmpOp(path(aName), query.OpMatch, str("é$"))}, []string{s1, s2}},
		{"not regex", store.EntityQuery{Q: cmpOp(path(aName), query.OpNotMatch, str("é"))}, []string{s3, p4}},
		{"language string", store.EntityQuery{Q: cmpOp(path(aName), query.OpEqual, str("Park"))}, []string{p4}},
		{"date-time with offsets", store.EntityQuery{Q: cmpOp(path(aDate), query.OpGreater, when("2024-03-01T08:15:00Z"))}, []string{s2, s3}},
		{"date-time equal across offsets", store.EntityQuery{Q: cmpOp(path(aDate), query.OpEqual, when("2024-03-01T10:00:00+02:00"))}, []string{s1}},
		{"date range", store.EntityQuery{Q: between(path(aDate), when("2024-03-01T08:20:00Z"), when("2024-03-02"))}, []string{s2, s3}},
		{"observedAt", store.EntityQuery{Q: cmpOp(query.Path{Attr: aTemperature, Member: "observedAt"}, query.OpGreaterEq, when("2024-03-01T08:00:00Z"))}, []string{s1}},
		{"sub-attribute", store.EntityQuery{Q: cmpOp(query.Path{Attr: aTemperature, Sub: []string{aAcc}}, query.OpLess, num(1))}, []string{s2}},
		{"JSON path", store.EntityQuery{Q: cmpOp(query.Path{Attr: aData, JSON: []string{"a", "b"}}, query.OpEqual, num(5))}, []string{p4}},
		{"list element", store.EntityQuery{Q: cmpOp(path(aTags), query.OpEqual, str("b"))}, []string{s1}},
		{"relationship object", store.EntityQuery{Q: cmpOp(path(aRefSensor), query.OpEqual, str("urn:ngsi-ld:Sensor:01"))}, []string{p4}},
		{"boolean", store.EntityQuery{Q: cmpOp(path(aActive), query.OpEqual, boolean(true))}, []string{s6}},
		{"and", store.EntityQuery{Q: and(cmpOp(temp, query.OpGreater, num(20)), cmpOp(path(aName), query.OpEqual, str("Zoé")))}, []string{s2}},
		{"or", store.EntityQuery{Q: or(cmpOp(temp, query.OpLess, num(15)), cmpOp(path(aOccupancy), query.OpEqual, num(3)))}, []string{p4, s6}},
		{"or with an unindexed term", store.EntityQuery{Q: or(cmpOp(temp, query.OpEqual, num(30)), cmpOp(path(aName), query.OpMatch, str("^Ω")))}, []string{s2, s3}},
		{"type and q", store.EntityQuery{Types: []string{tSensor}, Q: cmpOp(temp, query.OpGreater, num(20))}, []string{s1, s2, s6}},
		{"type and q, other type", store.EntityQuery{Types: []string{tDevice}, Q: cmpOp(temp, query.OpGreater, num(20))}, []string{s2}},
		{"type or", store.EntityQuery{TypeExpr: tor(tname(tSensor), tname(tParking))}, []string{s1, s2, s3, p4, s6}},
		{"type and: multi-typed entity", store.EntityQuery{TypeExpr: tand(tname(tSensor), tname(tDevice))}, []string{s2}},
		{"type nested", store.EntityQuery{TypeExpr: tand(tname(tDevice), tor(tname(tSensor), tname(tParking)))}, []string{s2}},
		{"types and type expression", store.EntityQuery{Types: []string{tDevice}, TypeExpr: tname(tSensor)}, []string{s2}},
		{"unknown type", store.EntityQuery{TypeExpr: tname(ns + "Nope"), Q: exists(temp)}, nil},
		{"scope exact", store.EntityQuery{ScopeQ: scope("/Nantes")}, []string{s2}},
		{"scope subtree", store.EntityQuery{ScopeQ: scope("/Nantes/#")}, []string{s1, s2}},
		{"scope one level", store.EntityQuery{ScopeQ: scope("/Nantes/+")}, []string{s1}},
		{"scope everything", store.EntityQuery{ScopeQ: scope("/#")}, []string{s1, s2, d5}},
		{"scope or", store.EntityQuery{ScopeQ: sor(scope("/Paris"), scope("/Lyon/#"))}, []string{s2, d5}},
		{"scope and", store.EntityQuery{ScopeQ: sand(scope("/Nantes"), scope("/Lyon/+"))}, []string{s2}},
		{"scope and q", store.EntityQuery{ScopeQ: scope("/Nantes/#"), Q: cmpOp(temp, query.OpGreater, num(25))}, []string{s2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Limit, tc.q.Count = 100, true
			checkIDs(t, s, store.DefaultTenant, tc.q, tc.want)
		})
	}

	ordered := []struct {
		name string
		q    store.EntityQuery
		want []string
	}{
		{"number, strings after numbers, missing last",
			store.EntityQuery{OrderBy: []query.OrderTerm{{Path: temp}}, Limit: 100},
			[]string{s6, s1, s2, s3, p4, d5}},
		{"descending, missing still last",
			store.EntityQuery{OrderBy: []query.OrderTerm{{Path: temp, Descending: true}}, Limit: 100},
			[]string{s3, s2, s1, s6, p4, d5}},
		{"unicode strings, then objects",
			store.EntityQuery{OrderBy: []query.OrderTerm{{Path: path(aName)}}, Limit: 100},
			[]string{s1, s2, s3, p4, d5, s6}},
		{"date-times across offsets and dates",
			store.EntityQuery{OrderBy: []query.OrderTerm{{Path: path(aDate), Descending: true}}, Limit: 100},
			[]string{s3, s2, s1, p4, d5, s6}},
		{"paged and filtered",
			store.EntityQuery{Types: []string{tSensor}, OrderBy: []query.OrderTerm{{Path: temp, Descending: true}}, Limit: 2, Offset: 1},
			[]string{s2, s1}},
		{"two keys",
			store.EntityQuery{OrderBy: []query.OrderTerm{{Path: path(aActive)}, {Path: path(aName), Descending: true}}, Limit: 100},
			[]string{s6, p4, s3, s2, s1, d5}},
	}
	for _, tc := range ordered {
		t.Run("orderBy "+tc.name, func(t *testing.T) {
			checkIDs(t, s, store.DefaultTenant, tc.q, tc.want)
		})
	}
}

// --- geo-queries ---

func geoData() []*ngsild.Entity {
	hole := square(4, 4, 6, 6)
	// The hole's ring turns the other way.
	for i, j := 0, len(hole)-1; i < j; i, j = i+1, j-1 {
		hole[i], hole[j] = hole[j], hole[i]
	}
	return []*ngsild.Entity{
		entity("urn:g:01", types(tSensor), geometry(coreLocation, point(2.35, 48.85))),
		entity("urn:g:02", types(tSensor), geometry(coreLocation, point(179.95, 0))),
		entity("urn:g:03", types(tSensor), geometry(coreLocation, point(-179.95, 0))),
		entity("urn:g:04", types(tParking), geometry(coreLocation, map[string]any{
			"type": "Polygon", "coordinates": coords(square(0, 0, 10, 10), hole)})),
		entity("urn:g:05", types(tSensor), geometry(coreLocation, point(5, 5))),
		entity("urn:g:06", types(tSensor, tDevice), geometry(coreLocation, point(10, 5))),
		entity("urn:g:07", types(tSensor), geometry(coreLocation, point(3, 3))),
		entity("urn:g:08", types(tDevice), geometry(coreLocation, map[string]any{
			"type": "LineString", "coordinates": coords([][2]float64{{179, 1}, {-179, 1}})[0]})),
		entity("urn:g:09", types(tSensor), geometry(aArea, point(3, 3))),
		entity("urn:g:10", types(tSensor), prop(aTemperature, json.Number("1"))),
	}
}

func testGeoQuery(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant, geoData()...)
	put(t, s, "other", geoData()...)
	hole := orbRing(square(4, 4, 6, 6))
	squareWithHole := orb.Polygon{orbRing(square(0, 0, 10, 10)), hole}
	g := func(rel query.Georel, geom orb.Geometry) *query.GeoQuery {
		return &query.GeoQuery{Rel: rel, Geometry: geom, Property: coreLocation}
	}
	near := func(p orb.Point, maxD, minD float64) *query.GeoQuery {
		q := g(query.GeoNear, p)
		q.MaxDistance, q.MinDistance = maxD, minD
		return q
	}
	tests := []struct {
		name  string
		geo   *query.GeoQuery
		types []string
		want  []string
	}{
		{"near", near(orb.Point{2.35, 48.85}, 1000, 0), nil, []string{"urn:g:01"}},
		{"near across the antimeridian", near(orb.Point{179.99, 0}, 10000, 0), nil, []string{"urn:g:02", "urn:g:03"}},
		{"near a line crossing the antimeridian", near(orb.Point{180, 1}, 5000, 0), nil, []string{"urn:g:08"}},
		{"near a polygon: inside is at distance 0", near(orb.Point{1, 1}, 10, 0), nil, []string{"urn:g:04"}},
		{"minDistance", near(orb.Point{2.35, 48.85}, 0, 1000), nil,
			[]string{"urn:g:02", "urn:g:03", "urn:g:04", "urn:g:05", "urn:g:06", "urn:g:07", "urn:g:08"}},
		{"minDistance and maxDistance", near(orb.Point{5, 5}, 320000, 100), nil, []string{"urn:g:04", "urn:g:07"}},
		{"within, holes and boundaries excluded", g(query.GeoWithin, squareWithHole), nil, []string{"urn:g:04", "urn:g:07"}},
		{"within, typed", g(query.GeoWithin, squareWithHole), []string{tSensor}, []string{"urn:g:07"}},
		{"within another GeoProperty", &query.GeoQuery{Rel: query.GeoWithin, Geometry: squareWithHole, Property: aArea}, nil, []string{"urn:g:09"}},
		{"intersects, boundary included", g(query.GeoIntersects, squareWithHole), nil, []string{"urn:g:04", "urn:g:06", "urn:g:07", "urn:g:08"}},
		{"contains", g(query.GeoContains, orb.Point{3, 3}), nil, []string{"urn:g:04", "urn:g:07"}},
		{"disjoint", g(query.GeoDisjoint, squareWithHole), nil, []string{"urn:g:01", "urn:g:02", "urn:g:03", "urn:g:05"}},
		{"equals", g(query.GeoEquals, orb.Point{3, 3}), nil, []string{"urn:g:07"}},
		{"overlaps", g(query.GeoOverlaps, orb.Polygon{orbRing(square(8, 8, 12, 12))}), nil, []string{"urn:g:04"}},
		{"multi-typed entity", g(query.GeoIntersects, squareWithHole), []string{tDevice}, []string{"urn:g:06", "urn:g:08"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkIDs(t, s, store.DefaultTenant, store.EntityQuery{Geo: tc.geo, Types: tc.types, Limit: 100, Count: true}, tc.want)
		})
	}
}
