package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

var georels = map[string]Georel{
	"near": GeoNear, "within": GeoWithin, "contains": GeoContains, "intersects": GeoIntersects,
	"equals": GeoEquals, "disjoint": GeoDisjoint, "overlaps": GeoOverlaps,
}

// ParseGeoQuery parses the geo-query parameters (NGSI-LD clause 4.10).
// With all four parameters empty there is no geo-query: it returns nil,
// nil. Otherwise georel, geometry and coordinates are all required, and
// geoproperty defaults to "location"; a geoproperty given alone is an
// error.
//
//	georel      = "near" 1*2(";" ("maxDistance" / "minDistance") "==" number)
//	            / "within" / "contains" / "intersects" / "equals" / "disjoint" / "overlaps"
//	geometry    = "Point" / "MultiPoint" / "LineString" / "MultiLineString" / "Polygon" / "MultiPolygon"
//	coordinates = the GeoJSON coordinates of that geometry, as JSON text
//
// near needs a Point and at least one distance, in metres: maxDistance
// greater than 0, minDistance 0 or more, minDistance not above
// maxDistance. Coordinates are checked: nesting per geometry type, 2 or 3
// numbers per position, longitude in [-180, 180], latitude in [-90, 90],
// 2 positions or more per line string, closed rings of 4 positions or
// more. The geoproperty name is expanded with expand (nil keeps it).
func ParseGeoQuery(georel, geometry, coordinates, geoproperty string, expand func(string) string) (*GeoQuery, error) {
	if georel == "" && geometry == "" && coordinates == "" && geoproperty == "" {
		return nil, nil
	}
	expand = orIdentity(expand)
	switch {
	case georel == "":
		return nil, syntaxErr("georel", 0, "georel is required with geometry and coordinates")
	case geometry == "":
		return nil, syntaxErr("geometry", 0, "geometry is required with georel and coordinates")
	case coordinates == "":
		return nil, syntaxErr("coordinates", 0, "coordinates are required with georel and geometry")
	}
	g := &GeoQuery{}
	if err := parseGeorel(georel, g); err != nil {
		return nil, err
	}
	if _, ok := geometryTypesOfQuery[geometry]; !ok {
		return nil, syntaxErr("geometry", 0, "unknown geometry %q: expected Point, MultiPoint, LineString, MultiLineString, Polygon or MultiPolygon", geometry)
	}
	if g.Rel == GeoNear && geometry != "Point" {
		return nil, syntaxErr("geometry", 0, "near needs a Point, not a %s", geometry)
	}
	coords, err := decodeCoordinates(coordinates)
	if err != nil {
		return nil, err
	}
	if g.Geometry, err = geometryFromCoords(geometry, coords); err != nil {
		return nil, syntaxErr("coordinates", 0, "invalid %s coordinates: %v", geometry, err)
	}
	if geoproperty == "" {
		geoproperty = "location"
	}
	for i := 0; i < len(geoproperty); i++ {
		if !isWordByte(geoproperty[i]) {
			return nil, syntaxErr("geoproperty", i, "unexpected %q in an attribute name", geoproperty[i])
		}
	}
	g.Property = expand(geoproperty)
	return g, nil
}

var geometryTypesOfQuery = map[string]struct{}{
	"Point": {}, "MultiPoint": {}, "LineString": {}, "MultiLineString": {}, "Polygon": {}, "MultiPolygon": {},
}

func parseGeorel(s string, g *GeoQuery) error {
	parts := strings.Split(s, ";")
	rel, ok := georels[parts[0]]
	if !ok {
		return syntaxErr("georel", 0, "unknown georel %q: expected near, within, contains, intersects, equals, disjoint or overlaps", parts[0])
	}
	g.Rel = rel
	if rel != GeoNear {
		if len(parts) > 1 {
			return syntaxErr("georel", len(parts[0]), "only near takes maxDistance or minDistance")
		}
		return nil
	}
	pos := len(parts[0]) + 1
	seen := map[string]bool{}
	for _, part := range parts[1:] {
		name, num, ok := strings.Cut(part, "==")
		if !ok || (name != "maxDistance" && name != "minDistance") {
			return syntaxErr("georel", pos, "expected maxDistance==<metres> or minDistance==<metres>, found %q", part)
		}
		if seen[name] {
			return syntaxErr("georel", pos, "%s is given twice", name)
		}
		seen[name] = true
		d, err := strconv.ParseFloat(num, 64)
		if err != nil || !isNumberText(num) || math.IsInf(d, 0) || d < 0 {
			return syntaxErr("georel", pos+len(name)+2, "%s must be a number of metres, 0 or more", name)
		}
		if name == "maxDistance" {
			if d == 0 {
				return syntaxErr("georel", pos+len(name)+2, "maxDistance must be greater than 0")
			}
			g.MaxDistance = d
		} else {
			g.MinDistance = d
		}
		pos += len(part) + 1
	}
	if len(seen) == 0 {
		return syntaxErr("georel", len(s), "near needs maxDistance==<metres> or minDistance==<metres>")
	}
	if g.MaxDistance > 0 && g.MinDistance > g.MaxDistance {
		return syntaxErr("georel", 0, "minDistance %v is greater than maxDistance %v", g.MinDistance, g.MaxDistance)
	}
	return nil
}

// decodeCoordinates reads the coordinates parameter as one JSON array.
func decodeCoordinates(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		pos := 0
		var se *json.SyntaxError
		if errors.As(err, &se) {
			pos = int(se.Offset)
		}
		return nil, syntaxErr("coordinates", pos, "coordinates are not valid JSON: %v", err)
	}
	if _, ok := v.([]any); !ok {
		return nil, syntaxErr("coordinates", 0, "coordinates must be a JSON array")
	}
	if rest := bytes.TrimSpace([]byte(s[dec.InputOffset():])); len(rest) > 0 {
		return nil, syntaxErr("coordinates", int(dec.InputOffset()), "unexpected text after the coordinates")
	}
	return v, nil
}
