// Package sqlindex holds what the SQL stores (sqlite, postgres) compute
// the same way in Go: the rows of their query indexes derived from an
// entity (comparable values, geometry boxes, scopes), the bounds a query
// puts on those indexes, the fast decoder of stored entities, and the
// encoding and aggregation helpers of attribute histories. It imports no
// database driver.
package sqlindex

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server/ngsild"
)

// The rows of the query indexes of one entity (schema version 2), computed
// in Go from the entity and written with its row.

// ValueRow is one comparable value of a top-level attribute: a row of
// attr_values without its tenant, type and entity. Num and Str are nil
// when absent (JSON null in its JSON form).
type ValueRow struct {
	Name string
	Num  *float64
	Str  *string
}

func (v ValueRow) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{v.Name, v.Num, v.Str})
}

// ValueRows lists the comparable values of e's top-level attributes, for
// the attr_values index. The index is a prefilter: for every comparison
// it answers, the entities a q expression matches are among those it
// finds. So it holds every scalar a comparison can look at:
//
//   - the value of every instance (every datasetId) of every attribute,
//     whatever its attribute type: the value of a Property, the object of
//     a Relationship, the vocab of a VocabProperty;
//   - each element of a list value (ListProperty, ListRelationship, a
//     Property with an array value), recursively;
//   - each string of a LanguageProperty's language map;
//   - the "@value" of a typed value ({"@type": "DateTime", "@value": ...}).
//
// Numbers go to num; booleans to num as 0 and 1; strings to str, and a
// string that is an RFC 3339 date-time also to num, as its instant in Unix
// seconds. Other structured values (JSON objects) have no row: only the
// function-based evaluation looks into them.
func ValueRows(e *ngsild.Entity) []ValueRow {
	var rows []ValueRow
	for _, name := range SortedNames(e.Attrs) {
		for _, a := range e.Attrs[name] {
			if a == nil {
				continue
			}
			languageMap := a.Type == ngsild.TypeLanguageProperty
			rows = appendValues(rows, name, a.Value, languageMap, 0)
		}
	}
	return rows
}

// maxValueDepth bounds the recursion into nested lists.
const maxValueDepth = 8

func appendValues(rows []ValueRow, name string, v any, languageMap bool, depth int) []ValueRow {
	if depth > maxValueDepth {
		return rows
	}
	switch v := v.(type) {
	case string:
		s := v
		row := ValueRow{Name: name, Str: &s}
		if t, ok := ParseDateTime(v); ok {
			row.Num = &t
		}
		return append(rows, row)
	case bool:
		var f float64
		if v {
			f = 1
		}
		return append(rows, ValueRow{Name: name, Num: &f})
	case []any:
		for _, x := range v {
			rows = appendValues(rows, name, x, languageMap, depth+1)
		}
		return rows
	case map[string]any:
		if x, ok := v["@value"]; ok {
			return appendValues(rows, name, x, languageMap, depth+1)
		}
		if languageMap {
			for _, k := range SortedNames(v) {
				rows = appendValues(rows, name, v[k], false, depth+1)
			}
		}
		return rows
	}
	if f, ok := Number(v); ok {
		return append(rows, ValueRow{Name: name, Num: &f})
	}
	return rows
}

// Number converts the numbers a decoded entity can hold to float64.
func Number(v any) (float64, bool) {
	var f float64
	switch v := v.(type) {
	case json.Number:
		var err error
		if f, err = strconv.ParseFloat(string(v), 64); err != nil {
			return 0, false
		}
	case float64:
		f = v
	case float32:
		f = float64(v)
	case int:
		f = float64(v)
	case int64:
		f = float64(v)
	default:
		return 0, false
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// ParseDateTime reads an RFC 3339 date-time (with its offset) as Unix
// seconds. Dates and times of day alone are not read: their instant
// depends on conventions that only the function-based evaluation applies,
// so their rows keep num NULL and date-time comparisons always consider
// them.
func ParseDateTime(s string) (float64, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || (s[10] != 'T' && s[10] != 't') {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return UnixSeconds(t), true
}

// UnixSeconds is the instant of t as it is stored in attr_values.num.
func UnixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// Box is a bounding box in longitude and latitude.
type Box struct{ MinX, MaxX, MinY, MaxY float64 }

// BoxRow is one GeoProperty instance's box, without its types.
type BoxRow struct {
	Name string
	Box  Box
}

// BoxRows lists the bounding box of every GeoProperty instance of e.
func BoxRows(e *ngsild.Entity) []BoxRow {
	var rows []BoxRow
	for _, name := range SortedNames(e.Attrs) {
		for _, a := range e.Attrs[name] {
			if a == nil || a.Type != ngsild.TypeGeoProperty {
				continue
			}
			if b, ok := GeometryBox(a.Value); ok {
				rows = append(rows, BoxRow{Name: name, Box: b})
			}
		}
	}
	return rows
}

// GeometryBox is the bounding box of a GeoJSON geometry value (every
// position of its coordinates, of all the members of a collection). A
// geometry whose box spans more than 180 degrees of longitude may cross
// the antimeridian; its box covers all longitudes, so that every reading
// of it is inside.
func GeometryBox(v any) (Box, bool) {
	b := Box{MinX: math.Inf(1), MaxX: math.Inf(-1), MinY: math.Inf(1), MaxY: math.Inf(-1)}
	walkGeometry(v, &b, 0)
	if b.MinX > b.MaxX {
		return Box{}, false
	}
	if b.MaxX-b.MinX > 180 {
		b.MinX, b.MaxX = -180, 180
	}
	return b, true
}

func walkGeometry(v any, b *Box, depth int) {
	m, ok := v.(map[string]any)
	if !ok || depth > maxValueDepth {
		return
	}
	if gs, ok := m["geometries"].([]any); ok {
		for _, g := range gs {
			walkGeometry(g, b, depth+1)
		}
	}
	walkPositions(m["coordinates"], b, 0)
}

// walkPositions extends b with every position in nested coordinate
// arrays, and with the great-circle arcs between consecutive positions of
// one array: near measures distances to a line or ring along such arcs,
// which may reach latitudes beyond their ends'.
func walkPositions(v any, b *Box, depth int) {
	list, ok := v.([]any)
	if !ok || depth > maxValueDepth {
		return
	}
	if p, ok := position(list); ok {
		b.extend(p)
		return
	}
	var prev [2]float64
	for i, x := range list {
		if l, ok := x.([]any); ok {
			if p, ok := position(l); ok {
				b.extend(p)
				if i > 0 {
					lo, hi := arcLatitudes(prev, p)
					b.MinY, b.MaxY = min(b.MinY, lo), max(b.MaxY, hi)
				}
				prev = p
				continue
			}
		}
		walkPositions(x, b, depth+1)
	}
}

// position reads a GeoJSON position: longitude and latitude (and an
// altitude, ignored).
func position(list []any) ([2]float64, bool) {
	if len(list) < 2 {
		return [2]float64{}, false
	}
	x, okx := Number(list[0])
	y, oky := Number(list[1])
	return [2]float64{x, y}, okx && oky
}

func (b *Box) extend(p [2]float64) {
	b.MinX, b.MaxX = min(b.MinX, p[0]), max(b.MaxX, p[0])
	b.MinY, b.MaxY = min(b.MinY, p[1]), max(b.MaxY, p[1])
}

// arcLatitudes returns the lowest and highest latitude of the shorter
// great-circle arc between two positions (degrees).
func arcLatitudes(a, b [2]float64) (lo, hi float64) {
	lo, hi = min(a[1], b[1]), max(a[1], b[1])
	va, vb := unitVector(a), unitVector(b)
	n := cross(va, vb)
	nn := math.Sqrt(dot(n, n))
	if nn < 1e-12 {
		return lo, hi // the same or antipodal points
	}
	n = [3]float64{n[0] / nn, n[1] / nn, n[2] / nn}
	// The northernmost point of the great circle: the pole's direction
	// projected on the circle's plane.
	top := [3]float64{-n[2] * n[0], -n[2] * n[1], 1 - n[2]*n[2]}
	tn := math.Sqrt(dot(top, top))
	if tn < 1e-12 {
		return lo, hi // the equator
	}
	top = [3]float64{top[0] / tn, top[1] / tn, top[2] / tn}
	onArc := func(p [3]float64) bool {
		return dot(cross(va, p), n) >= 0 && dot(cross(p, vb), n) >= 0
	}
	lat := math.Asin(min(1, top[2])) * 180 / math.Pi
	if onArc(top) {
		hi = max(hi, lat)
	}
	if onArc([3]float64{-top[0], -top[1], -top[2]}) {
		lo = min(lo, -lat)
	}
	return lo, hi
}

func unitVector(p [2]float64) [3]float64 {
	lon, lat := p[0]*math.Pi/180, p[1]*math.Pi/180
	return [3]float64{math.Cos(lat) * math.Cos(lon), math.Cos(lat) * math.Sin(lon), math.Sin(lat)}
}

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func SortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// DistinctTypes returns the sorted, distinct types of e.
func DistinctTypes(e *ngsild.Entity) []string {
	t := slices.Clone(e.Types)
	slices.Sort(t)
	return slices.Compact(t)
}

// AttrRows lists the distinct (attribute name, attribute type) pairs of
// e's instances, sorted.
func AttrRows(e *ngsild.Entity) [][2]string {
	var rows [][2]string
	for name, insts := range e.Attrs {
		for _, a := range insts {
			if a != nil {
				rows = append(rows, [2]string{name, a.Type})
			}
		}
	}
	slices.SortFunc(rows, func(a, b [2]string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
	return slices.Compact(rows)
}
