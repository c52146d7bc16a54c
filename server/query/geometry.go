package query

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/paulmach/orb"
)

// GeometryOf converts a GeoJSON geometry as decoded from JSON (a
// map[string]any whose numbers are float64, json.Number or int) to an orb
// geometry: Point, MultiPoint, LineString, MultiLineString, Polygon,
// MultiPolygon or Collection (GeometryCollection). A value that already is
// an orb.Geometry is returned as is. It reports false for anything that is
// not a valid geometry (see ParseGeoQuery for the checks). A third
// coordinate (altitude) is dropped.
func GeometryOf(v any) (orb.Geometry, bool) {
	switch g := v.(type) {
	case orb.Geometry:
		return g, g != nil
	case map[string]any:
		t, _ := g["type"].(string)
		if t == "GeometryCollection" {
			list, ok := g["geometries"].([]any)
			if !ok {
				return nil, false
			}
			c := make(orb.Collection, 0, len(list))
			for _, x := range list {
				m, ok := GeometryOf(x)
				if !ok {
					return nil, false
				}
				c = append(c, m)
			}
			return c, true
		}
		geom, err := geometryFromCoords(t, g["coordinates"])
		return geom, err == nil
	}
	return nil, false
}

// geometryFromCoords builds a geometry of GeoJSON type typ from decoded
// coordinates, checking the nesting the type requires, that positions
// hold 2 or 3 finite numbers with longitude in [-180, 180] and latitude
// in [-90, 90], that line strings have 2 positions or more and that
// linear rings are closed with 4 positions or more.
func geometryFromCoords(typ string, c any) (orb.Geometry, error) {
	switch typ {
	case "Point":
		return toPoint(c)
	case "MultiPoint":
		ps, err := toPoints(c, 1)
		return orb.MultiPoint(ps), err
	case "LineString":
		ps, err := toPoints(c, 2)
		return orb.LineString(ps), err
	case "MultiLineString":
		var m orb.MultiLineString
		err := eachOf(c, func(x any) error {
			ps, err := toPoints(x, 2)
			m = append(m, orb.LineString(ps))
			return err
		})
		return m, err
	case "Polygon":
		return toPolygon(c)
	case "MultiPolygon":
		var m orb.MultiPolygon
		err := eachOf(c, func(x any) error {
			p, err := toPolygon(x)
			m = append(m, p)
			return err
		})
		return m, err
	}
	return nil, fmt.Errorf("unknown geometry type %q", typ)
}

// eachOf calls f on every element of a non-empty array.
func eachOf(c any, f func(any) error) error {
	list, ok := c.([]any)
	if !ok || len(list) == 0 {
		return fmt.Errorf("expected a non-empty array")
	}
	for i, x := range list {
		if err := f(x); err != nil {
			return fmt.Errorf("element %d: %w", i, err)
		}
	}
	return nil
}

func toPolygon(c any) (orb.Polygon, error) {
	var poly orb.Polygon
	err := eachOf(c, func(x any) error {
		ps, err := toPoints(x, 4)
		if err != nil {
			return err
		}
		if ps[0] != ps[len(ps)-1] {
			return fmt.Errorf("a linear ring must end at its first position")
		}
		poly = append(poly, orb.Ring(ps))
		return nil
	})
	return poly, err
}

func toPoints(c any, minLen int) ([]orb.Point, error) {
	list, ok := c.([]any)
	if !ok {
		return nil, fmt.Errorf("expected an array of positions")
	}
	if len(list) < minLen {
		return nil, fmt.Errorf("expected at least %d positions, got %d", minLen, len(list))
	}
	ps := make([]orb.Point, len(list))
	for i, x := range list {
		p, err := toPoint(x)
		if err != nil {
			return nil, fmt.Errorf("position %d: %w", i, err)
		}
		ps[i] = p
	}
	return ps, nil
}

func toPoint(c any) (orb.Point, error) {
	list, ok := c.([]any)
	if !ok || len(list) < 2 || len(list) > 3 {
		return orb.Point{}, fmt.Errorf("a position is an array of 2 or 3 numbers")
	}
	var p orb.Point
	for i := range list {
		f, ok := toNumber(list[i])
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) {
			return orb.Point{}, fmt.Errorf("a position is an array of 2 or 3 numbers")
		}
		if i < 2 {
			p[i] = f
		}
	}
	if p[0] < -180 || p[0] > 180 {
		return orb.Point{}, fmt.Errorf("longitude %v is outside [-180, 180]", p[0])
	}
	if p[1] < -90 || p[1] > 90 {
		return orb.Point{}, fmt.Errorf("latitude %v is outside [-90, 90]", p[1])
	}
	return p, nil
}

// toNumber converts the numeric types a decoded JSON value or Go code may
// hold to float64.
func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	}
	return 0, false
}
