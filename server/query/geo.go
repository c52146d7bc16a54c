package query

import (
	"math"
	"sort"

	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
)

// EarthRadius is the mean radius of the WGS84 ellipsoid in metres, the
// radius of the sphere on which near measures distances.
const EarthRadius = 6371008.8

// MatchGeo reports whether e satisfies the geo-query g; a nil g matches
// every entity.
//
// The entity's geometry is the value of its attribute g.Property read by
// GeometryOf; an entity without that attribute, or whose value is not a
// geometry, matches no georel (disjoint included). With several instances
// (datasetId) the entity matches when one instance does.
//
// near measures great-circle distances on a sphere of radius EarthRadius
// (haversine), from the query point to the nearest point of the entity's
// geometry: a point, a vertex, or the nearest point of a segment taken as
// a great-circle arc; a query point inside an entity polygon is at
// distance 0. Distances across the antimeridian are short, as on the
// sphere. maxDistance keeps entities at that distance or nearer,
// minDistance those at that distance or farther.
//
// The other relationships are computed in the plane of longitude and
// latitude, with OGC simple-features meanings (entity geometry first):
// within (every point of the entity is in the query geometry and some
// point of the entity is in its interior: a point on a polygon's boundary
// is not within it), contains (the reverse of within), intersects (they
// share at least one point, boundaries included), disjoint (not
// intersects), equals (each covers the other, whatever the order of the
// vertices), overlaps (same dimension, interiors meet, neither covers the
// other). Polygon holes are outside their polygon; a hole's ring is the
// polygon's boundary. Multi-geometries and collections act as the union
// of their parts. Geometries that cross the antimeridian are not unwrapped
// for these relationships.
func MatchGeo(e *ngsild.Entity, g *GeoQuery) bool {
	if g == nil {
		return true
	}
	if e == nil || g.Geometry == nil {
		return false
	}
	q := shapeOf(g.Geometry)
	for _, a := range e.Attrs[g.Property] {
		if a == nil {
			continue
		}
		geom, ok := GeometryOf(a.Value)
		if !ok {
			continue
		}
		if relate(shapeOf(geom), q, g) {
			return true
		}
	}
	return false
}

func relate(a, b shape, g *GeoQuery) bool {
	if a.dim() < 0 || b.dim() < 0 {
		return false
	}
	switch g.Rel {
	case GeoNear:
		if len(b.points) != 1 || b.dim() != 0 {
			return false
		}
		d := a.distanceFrom(b.points[0])
		return (g.MaxDistance <= 0 || d <= g.MaxDistance) && (g.MinDistance <= 0 || d >= g.MinDistance)
	case GeoWithin:
		return within(a, b)
	case GeoContains:
		return within(b, a)
	case GeoIntersects:
		return intersects(a, b)
	case GeoDisjoint:
		return !intersects(a, b)
	case GeoEquals:
		return coveredBy(a, b) && coveredBy(b, a)
	case GeoOverlaps:
		return overlaps(a, b)
	}
	return false
}

// shape is a geometry taken apart into its points, line strings and
// polygons.
type shape struct {
	points []orb.Point
	lines  []orb.LineString
	polys  []orb.Polygon
}

func shapeOf(g orb.Geometry) shape {
	var s shape
	s.add(g)
	return s
}

func (s *shape) add(g orb.Geometry) {
	switch g := g.(type) {
	case orb.Point:
		s.points = append(s.points, g)
	case orb.MultiPoint:
		s.points = append(s.points, g...)
	case orb.LineString:
		s.lines = append(s.lines, g)
	case orb.MultiLineString:
		s.lines = append(s.lines, g...)
	case orb.Ring:
		s.polys = append(s.polys, orb.Polygon{g})
	case orb.Polygon:
		s.polys = append(s.polys, g)
	case orb.MultiPolygon:
		s.polys = append(s.polys, g...)
	case orb.Bound:
		s.polys = append(s.polys, g.ToPolygon())
	case orb.Collection:
		for _, x := range g {
			s.add(x)
		}
	}
}

// dim is the topological dimension of the shape: 2 with polygons, 1 with
// lines, 0 with points only, -1 when empty.
func (s shape) dim() int {
	switch {
	case len(s.polys) > 0:
		return 2
	case len(s.lines) > 0:
		return 1
	case len(s.points) > 0:
		return 0
	}
	return -1
}

type segment [2]orb.Point

// edges lists the segments of the lines and of the polygon rings.
func (s shape) edges() []segment {
	var out []segment
	add := func(ps []orb.Point) {
		for i := 0; i+1 < len(ps); i++ {
			out = append(out, segment{ps[i], ps[i+1]})
		}
	}
	for _, l := range s.lines {
		add(l)
	}
	for _, p := range s.polys {
		for _, r := range p {
			add(r)
		}
	}
	return out
}

// vertices lists the points, and the vertices of lines and rings.
func (s shape) vertices() []orb.Point {
	out := append([]orb.Point(nil), s.points...)
	for _, l := range s.lines {
		out = append(out, l...)
	}
	for _, p := range s.polys {
		for _, r := range p {
			out = append(out, r...)
		}
	}
	return out
}

// boundary returns the rings of the polygons as lines.
func (s shape) boundary() shape {
	var b shape
	for _, p := range s.polys {
		for _, r := range p {
			b.lines = append(b.lines, orb.LineString(r))
		}
	}
	return b
}

type location int

const (
	exterior location = iota
	onBoundary
	inInterior
)

// eps is the planar tolerance, in degrees (about 0.1 mm), under which a
// point counts as lying on a segment.
const eps = 1e-9

// locate tells where p lies with respect to the shape: in its interior,
// on its boundary (a polygon's rings, the two ends of an open line), or
// outside.
func (s shape) locate(p orb.Point) location {
	best := exterior
	for _, q := range s.points {
		if planarDist(p, q) <= eps {
			return inInterior
		}
	}
	for _, l := range s.lines {
		closed := len(l) > 2 && l[0] == l[len(l)-1]
		for i := 0; i+1 < len(l); i++ {
			if segmentDist(p, l[i], l[i+1]) > eps {
				continue
			}
			if !closed && (planarDist(p, l[0]) <= eps || planarDist(p, l[len(l)-1]) <= eps) {
				best = onBoundary
				continue
			}
			return inInterior
		}
	}
	for _, poly := range s.polys {
		switch locatePolygon(p, poly) {
		case inInterior:
			return inInterior
		case onBoundary:
			best = onBoundary
		}
	}
	return best
}

func locatePolygon(p orb.Point, poly orb.Polygon) location {
	for _, r := range poly {
		for i := 0; i+1 < len(r); i++ {
			if segmentDist(p, r[i], r[i+1]) <= eps {
				return onBoundary
			}
		}
	}
	if len(poly) == 0 || !ringContains(poly[0], p) {
		return exterior
	}
	for _, hole := range poly[1:] {
		if ringContains(hole, p) {
			return exterior
		}
	}
	return inInterior
}

// ringContains is the even-odd rule for a point known not to lie on the
// ring.
func ringContains(r orb.Ring, p orb.Point) bool {
	in := false
	for i, j := 0, len(r)-1; i < len(r); j, i = i, i+1 {
		a, b := r[i], r[j]
		if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0]-a[0])*(p[1]-a[1])/(b[1]-a[1])+a[0] {
			in = !in
		}
	}
	return in
}

func planarDist(a, b orb.Point) float64 { return math.Hypot(a[0]-b[0], a[1]-b[1]) }

// segmentDist is the planar distance from p to the segment a-b.
func segmentDist(p, a, b orb.Point) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return planarDist(p, a)
	}
	t := ((p[0]-a[0])*dx + (p[1]-a[1])*dy) / l2
	t = math.Max(0, math.Min(1, t))
	return planarDist(p, orb.Point{a[0] + t*dx, a[1] + t*dy})
}

func cross(ax, ay, bx, by float64) float64 { return ax*by - ay*bx }

// splits returns the parameters in (0, 1) at which segment e meets the
// segment f (one crossing point, or the ends of a collinear overlap).
func splits(ts []float64, e, f segment) []float64 {
	rx, ry := e[1][0]-e[0][0], e[1][1]-e[0][1]
	sx, sy := f[1][0]-f[0][0], f[1][1]-f[0][1]
	qx, qy := f[0][0]-e[0][0], f[0][1]-e[0][1]
	add := func(t float64) {
		if t > 0 && t < 1 {
			ts = append(ts, t)
		}
	}
	denom := cross(rx, ry, sx, sy)
	if denom == 0 {
		rr := rx*rx + ry*ry
		if rr == 0 || cross(qx, qy, rx, ry) != 0 {
			return ts
		}
		add((qx*rx + qy*ry) / rr)
		add(((f[1][0]-e[0][0])*rx + (f[1][1]-e[0][1])*ry) / rr)
		return ts
	}
	t := cross(qx, qy, sx, sy) / denom
	u := cross(qx, qy, rx, ry) / denom
	if u >= 0 && u <= 1 {
		add(t)
	}
	return ts
}

// samples returns points of a at which its position relative to b
// decides a relationship: a's vertices, the points where a's segments
// meet b's, and the midpoints of the pieces between them (mids). Along a
// piece, the position relative to b does not change.
func (a shape) samples(b shape) (points, mids []orb.Point) {
	points = a.vertices()
	bEdges := b.edges()
	for _, e := range a.edges() {
		ts := []float64{0, 1}
		for _, f := range bEdges {
			ts = splits(ts, e, f)
		}
		for _, q := range b.points {
			ts = splits(ts, e, segment{q, q})
		}
		sort.Float64s(ts)
		at := func(t float64) orb.Point {
			return orb.Point{e[0][0] + t*(e[1][0]-e[0][0]), e[0][1] + t*(e[1][1]-e[0][1])}
		}
		for k := 0; k+1 < len(ts); k++ {
			if ts[k+1]-ts[k] < 1e-12 {
				continue
			}
			if k > 0 {
				points = append(points, at(ts[k]))
			}
			mids = append(mids, at((ts[k]+ts[k+1])/2))
		}
	}
	return points, mids
}

// coveredBy reports whether every point of a is in b (interior or
// boundary).
func coveredBy(a, b shape) bool {
	if a.dim() < 0 || a.dim() > b.dim() {
		return false
	}
	points, mids := a.samples(b)
	for _, list := range [][]orb.Point{points, mids} {
		for _, p := range list {
			if b.locate(p) == exterior {
				return false
			}
		}
	}
	if a.dim() == 2 {
		// b's rings must not pass through a's interior, or b has a hole
		// (or an outer edge) inside a.
		points, mids := b.boundary().samples(a)
		for _, list := range [][]orb.Point{points, mids} {
			for _, p := range list {
				if a.locate(p) == inInterior {
					return false
				}
			}
		}
	}
	return true
}

func within(a, b shape) bool {
	if !coveredBy(a, b) {
		return false
	}
	if a.dim() == 2 {
		return true
	}
	return anyIn(a, b, inInterior, true)
}

// anyIn reports whether some sample of a lies at loc relative to b; with
// vertices false only piece midpoints count.
func anyIn(a, b shape, loc location, vertices bool) bool {
	points, mids := a.samples(b)
	if !vertices {
		points = nil
	}
	for _, list := range [][]orb.Point{points, mids} {
		for _, p := range list {
			if b.locate(p) == loc {
				return true
			}
		}
	}
	return false
}

func intersects(a, b shape) bool {
	for _, e := range a.edges() {
		for _, f := range b.edges() {
			if segmentsMeet(e, f) {
				return true
			}
		}
	}
	for _, p := range a.vertices() {
		if b.locate(p) != exterior {
			return true
		}
	}
	for _, p := range b.vertices() {
		if a.locate(p) != exterior {
			return true
		}
	}
	return false
}

func segmentsMeet(e, f segment) bool {
	o := func(a, b, c orb.Point) float64 { return cross(b[0]-a[0], b[1]-a[1], c[0]-a[0], c[1]-a[1]) }
	d1, d2 := o(f[0], f[1], e[0]), o(f[0], f[1], e[1])
	d3, d4 := o(e[0], e[1], f[0]), o(e[0], e[1], f[1])
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return segmentDist(e[0], f[0], f[1]) <= eps || segmentDist(e[1], f[0], f[1]) <= eps ||
		segmentDist(f[0], e[0], e[1]) <= eps || segmentDist(f[1], e[0], e[1]) <= eps
}

func overlaps(a, b shape) bool {
	if a.dim() != b.dim() || coveredBy(a, b) || coveredBy(b, a) {
		return false
	}
	switch a.dim() {
	case 0:
		for _, p := range a.points {
			if b.locate(p) == inInterior {
				return true
			}
		}
		return false
	case 1:
		return anyIn(a, b, inInterior, false)
	}
	return anyIn(a, b, inInterior, true) || anyIn(b, a, inInterior, true)
}

// distanceFrom is the great-circle distance in metres from q to the
// nearest point of the shape (0 when q is inside one of its polygons).
func (s shape) distanceFrom(q orb.Point) float64 {
	d := math.Inf(1)
	for _, p := range s.points {
		d = math.Min(d, haversine(q, p))
	}
	for _, e := range s.edges() {
		d = math.Min(d, arcDistance(q, e[0], e[1]))
	}
	for _, poly := range s.polys {
		if locatePolygon(q, poly) != exterior {
			return 0
		}
	}
	return d
}

// haversine is the great-circle distance in metres between two
// longitude/latitude points.
func haversine(a, b orb.Point) float64 {
	la1, la2 := a[1]*math.Pi/180, b[1]*math.Pi/180
	dla := la2 - la1
	dlo := (b[0] - a[0]) * math.Pi / 180
	h := math.Sin(dla/2)*math.Sin(dla/2) + math.Cos(la1)*math.Cos(la2)*math.Sin(dlo/2)*math.Sin(dlo/2)
	return 2 * EarthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

type vec3 [3]float64

func unit(p orb.Point) vec3 {
	lo, la := p[0]*math.Pi/180, p[1]*math.Pi/180
	return vec3{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
}

func (a vec3) cross(b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func (a vec3) dot(b vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func (a vec3) norm() float64 { return math.Sqrt(a.dot(a)) }

// arcDistance is the great-circle distance in metres from p to the
// shorter great-circle arc from a to b.
func arcDistance(p, a, b orb.Point) float64 {
	ends := math.Min(haversine(p, a), haversine(p, b))
	A, B, P := unit(a), unit(b), unit(p)
	n := A.cross(B)
	nn := n.norm()
	if nn < 1e-15 {
		return ends
	}
	// The foot of the perpendicular from P lies on the arc when it is on
	// the B side of A and on the A side of B.
	pn := P.dot(n) / nn
	foot := vec3{P[0] - pn*n[0]/nn, P[1] - pn*n[1]/nn, P[2] - pn*n[2]/nn}
	if foot.norm() < 1e-15 || A.cross(foot).dot(n) < 0 || foot.cross(B).dot(n) < 0 {
		return ends
	}
	return math.Min(ends, EarthRadius*math.Atan2(math.Abs(pn), foot.norm()))
}
