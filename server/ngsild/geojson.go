package ngsild

import (
	"encoding/json"
	"fmt"
	"math"
)

// geometryTypes are the GeoJSON geometry types (RFC 7946, clause 3.1)
// accepted as the value of a GeoProperty.
var geometryTypes = map[string]bool{
	"Point": true, "MultiPoint": true, "LineString": true, "MultiLineString": true,
	"Polygon": true, "MultiPolygon": true, "GeometryCollection": true,
}

// looksLikeGeometry reports whether v is an object whose "type" names a
// GeoJSON geometry type. It decides the inference of a GeoProperty; the
// geometry is validated afterwards.
func looksLikeGeometry(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	t, _ := m["type"].(string)
	return geometryTypes[t]
}

// checkGeometry validates a GeoJSON geometry: a known type, coordinates
// nested to the depth the type requires, positions of two or three numbers
// with longitude in [-180, 180] and latitude in [-90, 90], line strings of
// two positions or more, closed linear rings of four positions or more.
func checkGeometry(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("a GeoJSON geometry must be an object")
	}
	t, ok := m["type"].(string)
	if !ok {
		return fmt.Errorf("a GeoJSON geometry needs a string \"type\"")
	}
	if t == "GeometryCollection" {
		gs, ok := m["geometries"].([]any)
		if !ok {
			return fmt.Errorf("a GeometryCollection needs a \"geometries\" array")
		}
		for i, g := range gs {
			if err := checkGeometry(g); err != nil {
				return fmt.Errorf("geometries[%d]: %w", i, err)
			}
		}
		return nil
	}
	if !geometryTypes[t] {
		return fmt.Errorf("%q is not a GeoJSON geometry type", t)
	}
	c, ok := m["coordinates"]
	if !ok {
		return fmt.Errorf("a %s needs \"coordinates\"", t)
	}
	var err error
	switch t {
	case "Point":
		err = checkPosition(c)
	case "MultiPoint":
		err = checkPositions(c, 1)
	case "LineString":
		err = checkPositions(c, 2)
	case "MultiLineString":
		err = eachElement(c, func(e any) error { return checkPositions(e, 2) })
	case "Polygon":
		err = checkPolygon(c)
	case "MultiPolygon":
		err = eachElement(c, checkPolygon)
	}
	if err != nil {
		return fmt.Errorf("%s coordinates: %w", t, err)
	}
	return nil
}

// eachElement applies check to every element of a non-empty array.
func eachElement(v any, check func(any) error) error {
	a, ok := v.([]any)
	if !ok || len(a) == 0 {
		return fmt.Errorf("expected a non-empty array")
	}
	for i, e := range a {
		if err := check(e); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

func checkPositions(v any, minLen int) error {
	a, ok := v.([]any)
	if !ok {
		return fmt.Errorf("expected an array of positions")
	}
	if len(a) < minLen {
		return fmt.Errorf("expected at least %d positions, got %d", minLen, len(a))
	}
	for i, p := range a {
		if err := checkPosition(p); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
	}
	return nil
}

func checkPolygon(v any) error {
	return eachElement(v, func(ring any) error {
		if err := checkPositions(ring, 4); err != nil {
			return err
		}
		r := ring.([]any)
		first, _ := position(r[0])
		last, _ := position(r[len(r)-1])
		if len(first) != len(last) {
			return fmt.Errorf("linear ring is not closed")
		}
		for i := range first {
			if first[i] != last[i] {
				return fmt.Errorf("linear ring is not closed")
			}
		}
		return nil
	})
}

func checkPosition(v any) error {
	p, err := position(v)
	if err != nil {
		return err
	}
	if p[0] < -180 || p[0] > 180 {
		return fmt.Errorf("longitude %v out of [-180, 180]", p[0])
	}
	if p[1] < -90 || p[1] > 90 {
		return fmt.Errorf("latitude %v out of [-90, 90]", p[1])
	}
	return nil
}

// position reads a GeoJSON position: an array of two or three numbers.
func position(v any) ([]float64, error) {
	a, ok := v.([]any)
	if !ok || len(a) < 2 || len(a) > 3 {
		return nil, fmt.Errorf("a position is an array of 2 or 3 numbers")
	}
	p := make([]float64, len(a))
	for i, n := range a {
		f, ok := toFloat(n)
		if !ok {
			return nil, fmt.Errorf("a position is an array of 2 or 3 numbers")
		}
		p[i] = f
	}
	return p, nil
}

// toFloat converts a decoded JSON number to a finite float64.
func toFloat(v any) (float64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = n
	case int:
		f = float64(n)
	default:
		return 0, false
	}
	return f, !math.IsInf(f, 0) && !math.IsNaN(f)
}
