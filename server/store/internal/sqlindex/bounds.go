package sqlindex

import (
	"math"
	"strings"

	"github.com/opentid/opentid/server/query"
)

// CombineTypes is the type selection of Types and TypeExpr, or nil.
func CombineTypes(types []string, expr query.TypeExpr) query.TypeExpr {
	var or query.TypeExpr
	if len(types) > 0 {
		terms := make([]query.TypeExpr, len(types))
		for i, t := range types {
			terms[i] = &query.TypeName{Type: t}
		}
		or = &query.TypeOr{Terms: terms}
	}
	switch {
	case or == nil:
		return expr
	case expr == nil:
		return or
	}
	return &query.TypeAnd{Terms: []query.TypeExpr{or, expr}}
}

// TypeSet is a set of types such that every entity the expression matches
// has one of them (bounded), and whether having one of them is exactly
// the expression.
func TypeSet(expr query.TypeExpr) (set []string, exact, bounded bool) {
	switch x := expr.(type) {
	case *query.TypeName:
		return []string{x.Type}, true, true
	case *query.TypeOr:
		exact = true
		set = []string{}
		for _, t := range x.Terms {
			s, ex, b := TypeSet(t)
			if !b {
				return nil, false, false
			}
			set = append(set, s...)
			exact = exact && ex
		}
		return set, exact, true
	case *query.TypeAnd:
		// Any term bounds the conjunction; the smallest is kept.
		for _, t := range x.Terms {
			s, ex, b := TypeSet(t)
			if b && (!bounded || len(s) < len(set)) {
				set, exact, bounded = s, ex && len(x.Terms) == 1, true
			}
		}
		if len(x.Terms) > 1 {
			exact = false
		}
		return set, exact, bounded
	}
	return nil, false, false
}

// Tolerance is the margin of the index comparisons of a number: far more
// than the rounding of a conversion, far less than a difference that
// matters.
func Tolerance(x float64) float64 { return math.Abs(x) * 1e-12 }

// NormalScope writes a scope, or a scope pattern, with a leading "/", as
// entity_scopes keeps it: the query package compares levels after the
// leading "/", so "/a" and "a" are the same scope.
func NormalScope(s string) string {
	if strings.HasPrefix(s, "/") {
		return s
	}
	return "/" + s
}

// CoreLocation is the expanded name of the default GeoProperty of a
// geo-query.
const CoreLocation = "https://uri.etsi.org/ngsi-ld/location"

// Earth radii bounding every radius a distance on the WGS84 sphere may
// use: boxes computed with the smallest one are wide enough for all.
const minEarthRadius = 6356752.0

// QueryBoxes returns the boxes that every geometry matching g meets, split
// at the antimeridian, or bounded false when g bounds no box.
func QueryBoxes(g *query.GeoQuery) ([]Box, bool) {
	if g.Geometry == nil {
		return []Box{{}}, false
	}
	switch g.Rel {
	case query.GeoDisjoint:
		return []Box{{}}, false
	case query.GeoNear:
		if g.MaxDistance <= 0 {
			return []Box{{}}, false
		}
	}
	bd := g.Geometry.Bound()
	b := Box{MinX: bd.Min.X(), MaxX: bd.Max.X(), MinY: bd.Min.Y(), MaxY: bd.Max.Y()}
	if g.Rel == query.GeoNear {
		b = widen(b, g.MaxDistance)
	}
	return splitAntimeridian(b), true
}

// widen grows b by a distance in metres on the sphere, with a margin.
func widen(b Box, metres float64) Box {
	deg := metres / minEarthRadius * 180 / math.Pi * 1.01
	b.MinY, b.MaxY = b.MinY-deg, b.MaxY+deg
	lat := math.Max(math.Abs(b.MinY), math.Abs(b.MaxY))
	if lat >= 89.9 {
		// The circle reaches a pole: every longitude.
		return Box{MinX: -180, MaxX: 180, MinY: math.Max(b.MinY, -90), MaxY: math.Min(b.MaxY, 90)}
	}
	dlon := deg / math.Cos(lat*math.Pi/180)
	b.MinX, b.MaxX = b.MinX-dlon, b.MaxX+dlon
	return b
}

// splitAntimeridian returns b as boxes within [-180, 180] of longitude:
// a box that passes the antimeridian continues on the other side.
func splitAntimeridian(b Box) []Box {
	switch {
	case b.MaxX-b.MinX >= 360:
		b.MinX, b.MaxX = -180, 180
		return []Box{b}
	case b.MinX < -180:
		east := b
		east.MinX, east.MaxX = b.MinX+360, 180
		b.MinX = -180
		return []Box{b, east}
	case b.MaxX > 180:
		west := b
		west.MinX, west.MaxX = -180, b.MaxX-360
		b.MaxX = 180
		return []Box{b, west}
	}
	if b.MaxX-b.MinX > 180 {
		// Such a query geometry may be meant across the antimeridian; the
		// geometries it matches are within all longitudes.
		b.MinX, b.MaxX = -180, 180
	}
	return []Box{b}
}

// ScopeRange tells which stored scopes a scope pattern can match: the
// scope exact when the pattern has no wildcard, else the fixed prefix
// (the levels before the first wildcard): the prefix itself and every
// scope in [prefix+"/", prefix+"0"), '0' following '/' in byte order.
func ScopeRange(pattern string) (exact string, prefix string, wild bool) {
	segs := strings.Split(NormalScope(pattern), "/")
	for i, s := range segs {
		if s == "+" || s == "#" {
			return "", strings.Join(segs[:i], "/"), true
		}
	}
	return NormalScope(pattern), "", false
}
