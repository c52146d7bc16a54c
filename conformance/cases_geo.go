package conformance

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"

	"github.com/opentid/opentid/spec"
)

// The cases of the class geo: geo-queries and the GeoJSON representation.

func geoClassCase(name, title string, covers []string, run func(t *T)) Case {
	return classCase(spec.ClassGeo, name, title, covers, run)
}

func geoCases() []Case {
	return []Case{
		geoClassCase("near-max", "near;maxDistance keeps the entities close enough", []string{"near-max"}, caseNearMax),
		geoClassCase("near-min", "near;minDistance keeps the entities far enough", []string{"near-min"}, caseNearMin),
		geoClassCase("distance-sphere", "near measures metres on the sphere, at high latitude and across the antimeridian", []string{"distance-sphere"}, caseDistanceSphere),
		geoClassCase("georel-semicolon", "A literal ; in georel", []string{"georel-semicolon"}, caseGeorelSemicolon),
		geoClassCase("within", "within excludes points on the boundary", []string{"within"}, geoTable(reqWithin, (*T).areas, withinChecks)),
		geoClassCase("polygon-holes", "Polygon holes are outside the polygon", []string{"polygon-holes"}, geoTable(reqHoles, (*T).areas, holeChecks)),
		geoClassCase("contains", "contains", []string{"contains"}, geoTable(reqContains, (*T).zones, containsChecks)),
		geoClassCase("intersects", "intersects includes boundaries", []string{"intersects"}, geoTable(reqIntersects, (*T).areas, intersectsChecks)),
		geoClassCase("disjoint", "disjoint", []string{"disjoint"}, geoTable(reqDisjoint, (*T).areas, disjointChecks)),
		geoClassCase("equals", "equals, whatever the first vertex of a ring", []string{"equals"}, geoTable(reqEquals, (*T).zones, equalsChecks)),
		geoClassCase("overlaps", "overlaps", []string{"overlaps"}, geoTable(reqOverlaps, (*T).zones, overlapsChecks)),
		geoClassCase("geometries", "Every GeoJSON geometry type as reference geometry", []string{"geometries"}, geoTable(reqGeometries, (*T).areas, geometryChecks)),
		geoClassCase("geoproperty", "geoproperty selects the GeoProperty a geo-query applies to", []string{"geoproperty"}, caseGeoproperty),
		geoClassCase("invalid", "A malformed geo-query is a 400 BadRequestData", []string{"invalid"}, caseGeoInvalid),
		geoClassCase("post-geoq", "geoQ of POST /entityOperations/query", []string{"post-geoq"}, casePostGeoQ),
		geoClassCase("geojson-entity", "One entity as a GeoJSON Feature", []string{"geojson-entity"}, caseGeoJSONEntity),
		geoClassCase("geojson-collection", "A query as a GeoJSON FeatureCollection", []string{"geojson-collection"}, caseGeoJSONCollection),
		geoClassCase("geometry-property", "geometryProperty selects the geometry of Features", []string{"geometry-property"}, caseGeometryProperty),
	}
}

const (
	reqNearMax       spec.ReqID = "/req/geo/near-max"
	reqNearMin       spec.ReqID = "/req/geo/near-min"
	reqSphere        spec.ReqID = "/req/geo/distance-sphere"
	reqGeoSemicolon  spec.ReqID = "/req/geo/georel-semicolon"
	reqWithin        spec.ReqID = "/req/geo/within"
	reqHoles         spec.ReqID = "/req/geo/polygon-holes"
	reqContains      spec.ReqID = "/req/geo/contains"
	reqIntersects    spec.ReqID = "/req/geo/intersects"
	reqDisjoint      spec.ReqID = "/req/geo/disjoint"
	reqEquals        spec.ReqID = "/req/geo/equals"
	reqOverlaps      spec.ReqID = "/req/geo/overlaps"
	reqGeometries    spec.ReqID = "/req/geo/geometries"
	reqGeoproperty   spec.ReqID = "/req/geo/geoproperty"
	reqGeoInvalid    spec.ReqID = "/req/geo/invalid"
	reqPostGeoQ      spec.ReqID = "/req/geo/post-geoq"
	reqGeoJSONEntity spec.ReqID = "/req/geo/geojson-entity"
	reqGeoJSONList   spec.ReqID = "/req/geo/geojson-collection"
	reqGeometryProp  spec.ReqID = "/req/geo/geometry-property"
	mediaGeoJSON                = "application/geo+json"
)

// metresPerDegree is the length of a degree of latitude, and of longitude
// on the equator, on a sphere of radius 6,371,008.8 m.
const metresPerDegree = 2 * math.Pi * 6371008.8 / 360

// geometry is a GeoJSON geometry value.
func geometry(typ string, coords any) Obj { return Obj{"type": typ, "coordinates": coords} }

// geoProp is a normalized GeoProperty.
func geoProp(g Obj) Obj { return Obj{"type": "GeoProperty", "value": g} }

func pt(lon, lat float64) []any { return []any{lon, lat} }

// ring builds a closed linear ring from positions.
func ring(pts ...[]any) []any {
	out := make([]any, 0, len(pts)+1)
	for _, p := range pts {
		out = append(out, p)
	}
	return append(out, pts[0])
}

// box is the counterclockwise ring of a rectangle.
func box(west, south, east, north float64) []any {
	return ring(pt(west, south), pt(east, south), pt(east, north), pt(west, north))
}

// The reference shapes of the area cases: a square, and the same square
// with a square hole (wound clockwise, as RFC 7946 asks of holes).
var (
	squareOuter = box(-1.60, 47.20, -1.50, 47.25)
	squareHole  = ring(pt(-1.57, 47.21), pt(-1.57, 47.24), pt(-1.53, 47.24), pt(-1.53, 47.21))
	square      = []any{squareOuter}
	holed       = []any{squareOuter, squareHole}
)

// areas creates entities around the square: "in" inside it and outside
// its hole, "hole" and the line "path" inside the hole, "edge" on its
// western edge, "road" crossing that edge, and "out" outside.
func (t *T) areas() (string, fixture) {
	return t.shapes(map[string]Obj{
		"in":   geometry("Point", pt(-1.58, 47.225)),
		"hole": geometry("Point", pt(-1.55, 47.225)),
		"path": geometry("LineString", []any{pt(-1.56, 47.22), pt(-1.54, 47.23)}),
		"edge": geometry("Point", pt(-1.60, 47.22)),
		"road": geometry("LineString", []any{pt(-1.65, 47.22), pt(-1.59, 47.22)}),
		"out":  geometry("Point", pt(-1.40, 47.22)),
	})
}

// zones creates polygons and points for contains, equals and overlaps.
func (t *T) zones() (string, fixture) {
	return t.shapes(map[string]Obj{
		"zone": geometry("Polygon", []any{box(-1.56, 47.21, -1.54, 47.23)}),
		"far":  geometry("Polygon", []any{box(-1.46, 47.21, -1.44, 47.23)}),
		"half": geometry("Polygon", []any{box(-1.57, 47.26, -1.52, 47.29)}),
		"dot":  geometry("Point", pt(-1.50, 47.20)),
		"sq":   geometry("Polygon", []any{box(-1.52, 47.20, -1.50, 47.22)}),
	})
}

// shapes creates one entity of a fresh type per geometry, as location.
func (t *T) shapes(geoms map[string]Obj) (string, fixture) {
	typ := t.Name("OtcZone")
	f := fixture{}
	var entities []Obj
	for _, k := range sortedKeys(geoms) {
		f[k] = t.EntityID(k)
		entities = append(entities, Obj{"id": f[k], "type": typ, "location": geoProp(geoms[k])})
	}
	t.createAll(entities...)
	return typ, f
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// geoCheck is one geo-query and the entities it selects.
type geoCheck struct {
	georel, geometry string
	coords           any
	want             []string
}

func (c geoCheck) params(typ string) []string {
	return []string{"type", typ, "georel", c.georel, "geometry", c.geometry, "coordinates", string(mustJSON(c.coords))}
}

// zone2 is the reference polygon of the overlaps check: it overlaps
// "half", holds "zone" and misses the rest.
var zone2 = []any{box(-1.58, 47.205, -1.53, 47.27)}

var (
	withinChecks = []geoCheck{
		{"within", "Polygon", square, keys("in", "hole", "path")},
	}
	holeChecks = []geoCheck{
		{"within", "Polygon", holed, keys("in")},
		{"intersects", "Polygon", holed, keys("in", "edge", "road")},
		{"disjoint", "Polygon", holed, keys("hole", "path", "out")},
		{"within", "MultiPolygon", []any{holed}, keys("in")},
	}
	intersectsChecks = []geoCheck{
		{"intersects", "Polygon", square, keys("in", "hole", "path", "edge", "road")},
		{"intersects", "Point", pt(-1.60, 47.22), keys("edge", "road")},
	}
	disjointChecks = []geoCheck{
		{"disjoint", "Polygon", square, keys("out")},
		{"disjoint", "Point", pt(-1.40, 47.22), keys("in", "hole", "path", "edge", "road")},
	}
	containsChecks = []geoCheck{
		{"contains", "Point", pt(-1.55, 47.22), keys("zone")},
		{"contains", "LineString", []any{pt(-1.555, 47.215), pt(-1.545, 47.225)}, keys("zone")},
		{"contains", "Polygon", []any{box(-1.57, 47.20, -1.53, 47.24)}, nil},
	}
	equalsChecks = []geoCheck{
		{"equals", "Point", pt(-1.50, 47.20), keys("dot")},
		{"equals", "Polygon", []any{ring(pt(-1.50, 47.20), pt(-1.50, 47.22), pt(-1.52, 47.22), pt(-1.52, 47.20))}, keys("sq")},
	}
	overlapsChecks = []geoCheck{
		{"overlaps", "Polygon", zone2, keys("half")},
	}
	vertical       = []any{pt(-1.58, 47.20), pt(-1.58, 47.25)}
	geometryChecks = []geoCheck{
		{"intersects", "Point", pt(-1.58, 47.225), keys("in")},
		{"intersects", "MultiPoint", []any{pt(-1.58, 47.225), pt(-1.40, 47.22)}, keys("in", "out")},
		{"intersects", "LineString", vertical, keys("in")},
		{"intersects", "MultiLineString", []any{vertical, []any{pt(-1.40, 47.20), pt(-1.40, 47.25)}}, keys("in", "out")},
		{"within", "Polygon", holed, keys("in")},
		{"within", "MultiPolygon", []any{holed, []any{box(-1.41, 47.21, -1.39, 47.23)}}, keys("in", "out")},
	}
)

// geoTable runs geo-queries on a fixture, restricted to its type.
func geoTable(req spec.ReqID, setup func(*T) (string, fixture), checks []geoCheck) func(t *T) {
	return func(t *T) {
		typ, f := setup(t)
		for _, c := range checks {
			kv := c.params(typ)
			t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), req, describeParams(kv[2:]), f, false, c.want...)
		}
	}
}

// north is a point d metres north of (lon, lat).
func north(lon, lat, d float64) Obj { return geometry("Point", pt(lon, lat+d/metresPerDegree)) }

// east is a point d metres east of (lon, lat) along its parallel.
func east(lon, lat, d float64) Obj {
	return geometry("Point", pt(lon+d/(metresPerDegree*math.Cos(lat*math.Pi/180)), lat))
}

// nearFixture places entities 500, 1,500 and 3,000 metres north of
// nearOrigin.
func (t *T) nearFixture() (string, fixture) {
	return t.shapes(map[string]Obj{
		"n500":  north(nearOrigin[0], nearOrigin[1], 500),
		"n1500": north(nearOrigin[0], nearOrigin[1], 1500),
		"n3000": north(nearOrigin[0], nearOrigin[1], 3000),
	})
}

var nearOrigin = [2]float64{-1.5536, 47.2184}

func nearParams(typ, georel string, lon, lat float64) []string {
	return []string{"type", typ, "georel", georel, "geometry", "Point", "coordinates", fmt.Sprintf("[%g,%g]", lon, lat)}
}

func caseNearMax(t *T) {
	typ, f := t.nearFixture()
	for _, c := range []struct {
		d    string
		want []string
	}{{"1000", keys("n500")}, {"2000", keys("n500", "n1500")}, {"100", nil}, {"4000", keys("n500", "n1500", "n3000")}} {
		kv := nearParams(typ, "near;maxDistance=="+c.d, nearOrigin[0], nearOrigin[1])
		t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), reqNearMax, describeParams(kv[2:]), f, false, c.want...)
	}
}

func caseNearMin(t *T) {
	typ, f := t.nearFixture()
	for _, c := range []struct {
		d    string
		want []string
	}{{"1000", keys("n1500", "n3000")}, {"2000", keys("n3000")}, {"100", keys("n500", "n1500", "n3000")}} {
		kv := nearParams(typ, "near;minDistance=="+c.d, nearOrigin[0], nearOrigin[1])
		t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), reqNearMin, describeParams(kv[2:]), f, false, c.want...)
	}
}

func caseDistanceSphere(t *T) {
	typ, f := t.shapes(map[string]Obj{
		// At 60° north a degree of longitude is half as long as at the
		// equator: e1500 is 1,500 m away, 3,000 m in planar degrees.
		"e1500": east(10, 60, 1500),
		"e2500": east(10, 60, 2500),
		// Around the antimeridian at 17° south.
		"west":  geometry("Point", pt(-179.995, -17)),
		"east":  geometry("Point", pt(179.999, -17)),
		"other": geometry("Point", pt(179.0, -17)),
	})
	for _, c := range []struct {
		lon, lat float64
		want     []string
	}{{10, 60, keys("e1500")}, {179.995, -17, keys("west", "east")}, {-179.999, -17, keys("west", "east")}} {
		kv := nearParams(typ, "near;maxDistance==2000", c.lon, c.lat)
		t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), reqSphere, describeParams(kv[2:]), f, false, c.want...)
	}
}

func caseGeorelSemicolon(t *T) {
	typ, f := t.nearFixture()
	t.findBoth(reqGeoSemicolon, f, false, keys("n500"), nearParams(typ, "near;maxDistance==1000", nearOrigin[0], nearOrigin[1])...)
	t.findBoth(reqGeoSemicolon, f, false, keys("n3000"), nearParams(typ, "near;minDistance==2000", nearOrigin[0], nearOrigin[1])...)
}

func caseGeoproperty(t *T) {
	typ := t.Name("OtcZone")
	f := fixture{"g1": t.EntityID("g1"), "g2": t.EntityID("g2")}
	inside, outside := geoProp(geometry("Point", pt(-1.58, 47.225))), geoProp(geometry("Point", pt(-1.40, 47.22)))
	t.createAll(
		Obj{"id": f["g1"], "type": typ, "location": inside, "entrance": outside},
		Obj{"id": f["g2"], "type": typ, "location": outside, "entrance": inside},
	)
	kv := geoCheck{georel: "within", geometry: "Polygon", coords: square}.params(typ)
	t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), reqGeoproperty, "within the square on location", f, false, "g1")
	kv = append(kv, "geoproperty", "entrance")
	t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), reqGeoproperty, "within the square with geoproperty=entrance", f, false, "g2")
}

func caseGeoInvalid(t *T) {
	typ := t.Name("OtcZone")
	open := `[[[-1.6,47.2],[-1.5,47.2],[-1.5,47.25],[-1.6,47.25]]]`
	for _, kv := range [][]string{
		{"georel", "nearby", "geometry", "Point", "coordinates", "[-1.5,47.2]"},
		{"georel", "near", "geometry", "Point", "coordinates", "[-1.5,47.2]"},
		{"georel", "near;maxDistance==100", "geometry", "Polygon", "coordinates", string(mustJSON(square))},
		{"georel", "within", "geometry", "Polygon", "coordinates", open},
		{"georel", "within", "geometry", "Circle", "coordinates", "[-1.5,47.2]"},
		{"georel", "intersects", "geometry", "Point", "coordinates", "[-1.5,95]"},
		{"georel", "intersects", "geometry", "Point", "coordinates", "[-1.5"},
		{"georel", "within"},
	} {
		resp := t.Do(GetRequest("/entities", query(append([]string{"type", typ}, kv...)...)))
		t.expectProblem(resp, reqGeoInvalid, http.StatusBadRequest, spec.ProblemBadRequestData)
	}
}

func casePostGeoQ(t *T) {
	typ, f := t.areas()
	sel := []any{Obj{"type": typ}}
	for _, c := range []struct {
		what string
		geoQ Obj
		want []string
	}{
		{"within the square", Obj{"georel": "within", "geometry": "Polygon", "coordinates": square}, keys("in", "hole", "path")},
		{"within the holed square", Obj{"georel": "within", "geometry": "Polygon", "coordinates": holed}, keys("in")},
		{"near a point", Obj{"georel": "near;maxDistance==500", "geometry": "Point", "coordinates": pt(-1.58, 47.225)}, keys("in")},
	} {
		t.expectKeys(t.Do(postQuery(Obj{"entities": sel, "geoQ": c.geoQ})), reqPostGeoQ, "POST query with geoQ "+c.what, f, false, c.want...)
	}
}

// getGeoJSON is a GET that accepts GeoJSON.
func getGeoJSON(path string, q url.Values) Request {
	r := GetRequest(path, q)
	r.Header.Set("Accept", mediaGeoJSON)
	return r
}

// geoJSONBody checks the status and media type of a GeoJSON answer and
// returns its object, or ends the case.
func (t *T) geoJSONBody(resp *Response, req spec.ReqID) Obj {
	ok := t.expectStatus(resp, req, http.StatusOK)
	ok = t.Expect(resp.MediaType() == mediaGeoJSON, req, "the media type of a GeoJSON answer", mediaGeoJSON, resp.MediaType()) && ok
	if !ok || !t.Expect(resp.Object() != nil, req, "the body must be a JSON object", "an object", string(resp.Body)) {
		t.Stop()
	}
	return resp.Object()
}

var sensorPoint = Obj{"type": "Point", "coordinates": []any{-1.5536, 47.2184}}

// expectFeature checks a Feature of the usual sensor.
func (t *T) expectFeature(feat Obj, req spec.ReqID, id string, geom any) {
	t.Expect(feat["type"] == "Feature" && feat["id"] == id, req, "a Feature with the entity id", `"type": "Feature", "id": "`+id+`"`, show(Obj{"type": feat["type"], "id": feat["id"]}))
	t.Expect(jsonEqual(feat["geometry"], geom), req, "the geometry of the Feature", show(geom), show(feat["geometry"]))
	props, _ := feat["properties"].(map[string]any)
	t.Expect(props != nil && props["type"] == t.Name("OtcSensor") && props["temperature"] != nil, req,
		"properties hold the entity type and its attributes", "type "+t.Name("OtcSensor")+" and temperature", show(feat["properties"]))
}

func caseGeoJSONEntity(t *T) {
	id := t.newSensor("sensor")
	t.expectFeature(t.geoJSONBody(t.Do(getGeoJSON(EntityPath(id), nil)), reqGeoJSONEntity), reqGeoJSONEntity, id, sensorPoint)
}

// features returns the features of a FeatureCollection by id.
func (t *T) features(fc Obj, req spec.ReqID) map[string]Obj {
	list, ok := fc["features"].([]any)
	if !t.Expect(fc["type"] == "FeatureCollection" && ok, req, "a FeatureCollection with features", `"type": "FeatureCollection"`, show(fc["type"])) {
		t.Stop()
	}
	out := map[string]Obj{}
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			id, _ := m["id"].(string)
			out[id] = m
		}
	}
	return out
}

func caseGeoJSONCollection(t *T) {
	a, b := t.newSensor("a"), t.newSensor("b")
	fc := t.geoJSONBody(t.Do(getGeoJSON("/entities", query("type", t.Name("OtcSensor")))), reqGeoJSONList)
	feats := t.features(fc, reqGeoJSONList)
	t.Expect(len(feats) == 2, reqGeoJSONList, "one Feature per entity", "2 features", fmt.Sprint(len(feats)))
	for _, id := range []string{a, b} {
		t.expectFeature(feats[id], reqGeoJSONList, id, sensorPoint)
	}
}

func caseGeometryProperty(t *T) {
	id := t.EntityID("sensor")
	e := sensor(id, t.Name("OtcSensor"))
	entrance := geometry("Point", pt(-1.5540, 47.2190))
	e["entrance"] = geoProp(entrance)
	t.create(e)
	feat := t.geoJSONBody(t.Do(getGeoJSON(EntityPath(id), query("geometryProperty", "entrance"))), reqGeometryProp)
	t.expectFeature(feat, reqGeometryProp, id, entrance)
	fc := t.geoJSONBody(t.Do(getGeoJSON("/entities", query("type", t.Name("OtcSensor"), "geometryProperty", "entrance"))), reqGeometryProp)
	t.expectFeature(t.features(fc, reqGeometryProp)[id], reqGeometryProp, id, entrance)
	feat = t.geoJSONBody(t.Do(getGeoJSON(EntityPath(id), query("geometryProperty", "otcNoSuchGeoProperty"))), reqGeometryProp)
	t.expectFeature(feat, reqGeometryProp, id, nil)
}
