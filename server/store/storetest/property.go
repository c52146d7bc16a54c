package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
)

// testProperty compares the store's answers to random queries over random
// entities with a naive filter: the query package's Match functions
// applied to every entity, then sorting and paging in memory.

var propSeed uint64 = 1

const (
	propEntities = 300
	propQueries  = 400
)

var (
	propTypes  = []string{ns + "A", ns + "B", ns + "C"}
	propScopes = []string{"/Nantes", "/Nantes/Est", "/Nantes/Est/Doulon", "/Lyon", "/Lyon/Centre", "Paris"}
	propNames  = []string{"alpha", "Beta", "café", "Zoé", "Ωmega", "", "a b", "10"}
	propDates  = []string{
		"2024-03-01T08:00:00Z", "2024-03-01T10:00:00+02:00", "2024-03-01T08:00:00.5Z", "2024-02-29",
		"2024-03-01T07:00:00-01:30", "2024-03-02T00:00:00Z", "2024-03-01T08:00:00", "12:00:00Z", "not a date",
	}
	aN    = ns + "n"
	aS    = ns + "s"
	aD    = ns + "d"
	aL    = ns + "l"
	aB    = ns + "b"
	aLoc  = coreLocation
	aLoc2 = ns + "where"
	aSub  = ns + "q"
)

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

func randNumber(r *rand.Rand) any {
	switch r.IntN(4) {
	case 0:
		return json.Number(strconv.Itoa(r.IntN(11) - 5))
	case 1:
		return json.Number(strconv.FormatFloat(float64(r.IntN(100))/8, 'f', -1, 64))
	case 2:
		return json.Number("0.1")
	}
	return json.Number(strconv.Itoa(r.IntN(5)))
}

// randScalar: mostly the attribute's own kind, sometimes another one (type
// mismatches).
func randScalar(r *rand.Rand, kind int) any {
	if r.IntN(8) == 0 {
		kind = r.IntN(4)
	}
	switch kind {
	case 0:
		return randNumber(r)
	case 1:
		return pick(r, propNames)
	case 2:
		return pick(r, propDates)
	}
	return r.IntN(2) == 0
}

// Points around two places: a small area, and around the antimeridian.
func randPoint(r *rand.Rand) orb.Point {
	if r.IntN(4) == 0 {
		lon := 179 + r.Float64()*2
		if lon > 180 {
			lon -= 360
		}
		return orb.Point{lon, r.Float64()*2 - 1}
	}
	return orb.Point{float64(r.IntN(21)) / 2, float64(r.IntN(21)) / 2}
}

func geoValue(g orb.Geometry) map[string]any {
	var m map[string]any
	b, err := json.Marshal(orbGeoJSON(g))
	if err != nil {
		panic(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		panic(err)
	}
	return m
}

// orbGeoJSON writes the GeoJSON geometry object of the few shapes the test
// uses.
func orbGeoJSON(g orb.Geometry) map[string]any {
	pos := func(p orb.Point) []float64 { return []float64{p[0], p[1]} }
	switch g := g.(type) {
	case orb.Point:
		return map[string]any{"type": "Point", "coordinates": pos(g)}
	case orb.LineString:
		var c [][]float64
		for _, p := range g {
			c = append(c, pos(p))
		}
		return map[string]any{"type": "LineString", "coordinates": c}
	case orb.Polygon:
		var c [][][]float64
		for _, ring := range g {
			var rc [][]float64
			for _, p := range ring {
				rc = append(rc, pos(p))
			}
			c = append(c, rc)
		}
		return map[string]any{"type": "Polygon", "coordinates": c}
	}
	panic(fmt.Sprintf("unexpected geometry %T", g))
}

func randGeometry(r *rand.Rand) orb.Geometry {
	p := randPoint(r)
	switch r.IntN(5) {
	case 0:
		q := randPoint(r)
		return orb.LineString{p, q}
	case 1:
		w, h := float64(1+r.IntN(4)), float64(1+r.IntN(4))
		return boxPolygon(p[0], p[1], p[0]+w, p[1]+h)
	}
	return p
}

func boxPolygon(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

func randEntity(r *rand.Rand, i int) *ngsild.Entity {
	var ts []string
	for _, t := range propTypes {
		if r.IntN(3) == 0 {
			ts = append(ts, t)
		}
	}
	if len(ts) == 0 {
		ts = []string{pick(r, propTypes)}
	}
	var attrs []named
	maybe := func(a named) {
		if r.IntN(5) != 0 {
			attrs = append(attrs, a)
		}
	}
	n := prop(aN, randScalar(r, 0))
	if r.IntN(3) == 0 {
		n = n.sub(aSub, randNumber(r))
	}
	if r.IntN(3) == 0 {
		n = n.observedAt(pick(r, propDates[:6]))
	}
	maybe(n)
	if r.IntN(6) == 0 {
		attrs = append(attrs, prop(aN, randScalar(r, 0)).dataset("urn:ngsi-ld:Dataset:x"))
	}
	maybe(prop(aS, randScalar(r, 1)))
	maybe(prop(aD, randScalar(r, 2)))
	maybe(prop(aB, randScalar(r, 3)))
	if r.IntN(3) == 0 {
		attrs = append(attrs, attr(aL, ngsild.TypeListProperty, []any{randScalar(r, 0), randScalar(r, 1)}))
	}
	if r.IntN(4) == 0 {
		attrs = append(attrs, attr(aS, ngsild.TypeLanguageProperty, map[string]any{"fr": pick(r, propNames), "en": pick(r, propNames)}).dataset("urn:ngsi-ld:Dataset:lang"))
	}
	maybe(geometry(aLoc, geoValue(randGeometry(r))))
	if r.IntN(4) == 0 {
		attrs = append(attrs, geometry(aLoc2, geoValue(randPoint(r))))
	}
	e := entity(fmt.Sprintf("urn:ngsi-ld:P:%03d", i), ts, attrs...)
	for _, sc := range propScopes {
		if r.IntN(5) == 0 {
			e.Scope = append(e.Scope, sc)
		}
	}
	return e
}

func randLiteral(r *rand.Rand) query.Literal {
	switch r.IntN(4) {
	case 0:
		v, _ := randNumber(r).(json.Number)
		f, _ := v.Float64()
		return num(f)
	case 1:
		return str(pick(r, propNames))
	case 2:
		return when(pick(r, propDates[:6]))
	}
	return boolean(r.IntN(2) == 0)
}

func randPath(r *rand.Rand) query.Path {
	switch r.IntN(10) {
	case 0:
		return query.Path{Attr: aN, Sub: []string{aSub}}
	case 1:
		return query.Path{Attr: aN, Member: "observedAt"}
	case 2:
		return query.Path{Attr: aL}
	}
	return query.Path{Attr: pick(r, []string{aN, aN, aS, aD, aB, ns + "missing"})}
}

func randComparison(r *rand.Rand) query.Expr {
	p := randPath(r)
	op := query.Op(r.IntN(int(query.OpNotMatch) + 1))
	c := &query.Comparison{Path: p, Op: op}
	switch op {
	case query.OpExists:
	case query.OpMatch, query.OpNotMatch:
		l := str(pick(r, []string{"^a", "é", "[0-9]", "^$", "(?i)z"}))
		c.Value.Single = &l
	case query.OpEqual, query.OpUnequal:
		switch r.IntN(3) {
		case 0:
			c.Value.List = []query.Literal{randLiteral(r), randLiteral(r)}
		case 1:
			lo, hi := randLiteral(r), randLiteral(r)
			if lo.Kind == query.KindNumber && hi.Kind == query.KindNumber && lo.Num > hi.Num {
				lo, hi = hi, lo
			}
			c.Value.RangeLo, c.Value.RangeHi = &lo, &hi
		default:
			l := randLiteral(r)
			c.Value.Single = &l
		}
	default:
		l := randLiteral(r)
		c.Value.Single = &l
	}
	return c
}

func randQ(r *rand.Rand, depth int) query.Expr {
	if depth == 0 || r.IntN(2) == 0 {
		return randComparison(r)
	}
	terms := []query.Expr{randQ(r, depth-1), randQ(r, depth-1)}
	if r.IntN(2) == 0 {
		return and(terms...)
	}
	return or(terms...)
}

func randTypeExpr(r *rand.Rand) query.TypeExpr {
	switch r.IntN(4) {
	case 0:
		return tor(tname(pick(r, propTypes)), tname(pick(r, propTypes)))
	case 1:
		return tand(tname(pick(r, propTypes)), tname(pick(r, propTypes)))
	case 2:
		return tand(tname(pick(r, propTypes)), tor(tname(pick(r, propTypes)), tname(ns+"Nope")))
	}
	return tname(pick(r, propTypes))
}

func randScope(r *rand.Rand) query.ScopeExpr {
	p := func() query.ScopeExpr {
		return scope(pick(r, []string{"/Nantes", "/Nantes/#", "/Nantes/+", "/#", "/+/Centre", "/Paris", "/Lyon/#"}))
	}
	switch r.IntN(3) {
	case 0:
		return sand(p(), p())
	case 1:
		return sor(p(), p())
	}
	return p()
}

func randGeo(r *rand.Rand) *query.GeoQuery {
	g := &query.GeoQuery{Rel: query.Georel(r.IntN(int(query.GeoOverlaps) + 1)), Property: aLoc}
	if r.IntN(5) == 0 {
		g.Property = aLoc2
	}
	if g.Rel == query.GeoNear {
		g.Geometry = randPoint(r)
		if r.IntN(3) != 0 {
			g.MaxDistance = float64(1+r.IntN(300)) * 1000
		}
		if g.MaxDistance == 0 || r.IntN(3) == 0 {
			g.MinDistance = float64(1+r.IntN(300)) * 1000
		}
		return g
	}
	g.Geometry = randGeometry(r)
	if r.IntN(3) == 0 {
		p := randPoint(r)
		g.Geometry = boxPolygon(p[0]-3, p[1]-3, p[0]+3, p[1]+3)
	}
	return g
}

func randQuery(r *rand.Rand) store.EntityQuery {
	q := store.EntityQuery{Limit: 1000, Count: true}
	if r.IntN(2) == 0 {
		q.TypeExpr = randTypeExpr(r)
	}
	if r.IntN(6) == 0 {
		q.Types = []string{pick(r, propTypes)}
	}
	if r.IntN(3) != 0 {
		q.Q = randQ(r, 2)
	}
	if r.IntN(4) == 0 {
		q.ScopeQ = randScope(r)
	}
	if r.IntN(3) == 0 {
		q.Geo = randGeo(r)
	}
	if r.IntN(3) == 0 {
		q.OrderBy = []query.OrderTerm{{Path: randPath(r), Descending: r.IntN(2) == 0}}
		if r.IntN(3) == 0 {
			q.OrderBy = append(q.OrderBy, query.OrderTerm{Path: randPath(r), Descending: r.IntN(2) == 0})
		}
	}
	if r.IntN(4) == 0 {
		q.Limit, q.Offset = 1+r.IntN(10), r.IntN(10)
	}
	if r.IntN(10) == 0 {
		q.IDPattern = "[02468]$"
	}
	if r.IntN(4) == 0 {
		q.Selectors = randSelectors(r)
	}
	return q
}

// randSelectors returns one to three alternative selectors, each with
// some of an id (of an entity or of none), an id pattern and a type
// selection.
func randSelectors(r *rand.Rand) []store.EntitySelector {
	sels := make([]store.EntitySelector, 1+r.IntN(3))
	for i := range sels {
		s := &sels[i]
		if r.IntN(2) == 0 {
			s.ID = fmt.Sprintf("urn:ngsi-ld:P:%03d", r.IntN(propEntities+20))
		}
		if r.IntN(3) == 0 {
			s.IDPattern = pick(r, []string{"[13579]$", "^urn:ngsi-ld:P:0", "P:1[0-4]"})
		}
		if r.IntN(2) == 0 {
			s.TypeExpr = randTypeExpr(r)
		}
	}
	return sels
}

// selected reports whether e matches one of the selectors (none: true).
func selected(e *ngsild.Entity, sels []store.EntitySelector) bool {
	if len(sels) == 0 {
		return true
	}
	for _, s := range sels {
		if (s.ID == "" || s.ID == e.ID) &&
			(s.IDPattern == "" || regexp.MustCompile(s.IDPattern).MatchString(e.ID)) &&
			query.MatchTypes(e.Types, s.TypeExpr) {
			return true
		}
	}
	return false
}

// naive answers q over es (in creation order) with the query package.
func naive(es []*ngsild.Entity, q store.EntityQuery) ([]string, int) {
	var re *regexp.Regexp
	if q.IDPattern != "" {
		re = regexp.MustCompile(q.IDPattern)
	}
	var hits []*ngsild.Entity
	for _, e := range es {
		switch {
		case len(q.Types) > 0 && !slices.ContainsFunc(q.Types, func(t string) bool { return slices.Contains(e.Types, t) }),
			!query.MatchTypes(e.Types, q.TypeExpr),
			re != nil && !re.MatchString(e.ID),
			!selected(e, q.Selectors),
			!query.MatchQ(e, q.Q),
			!query.MatchScope(e.Scope, q.ScopeQ),
			!query.MatchGeo(e, q.Geo):
			continue
		}
		hits = append(hits, e)
	}
	slices.SortStableFunc(hits, func(a, b *ngsild.Entity) int {
		for _, t := range q.OrderBy {
			va, oka := query.ValueAt(a, t.Path)
			vb, okb := query.ValueAt(b, t.Path)
			switch {
			case oka && !okb:
				return -1
			case !oka && okb:
				return 1
			case !oka && !okb:
				continue
			}
			c := query.CompareValues(va, vb)
			if t.Descending {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	total := len(hits)
	hits = hits[min(q.Offset, len(hits)):]
	hits = hits[:min(q.Limit, len(hits))]
	return ids(hits), total
}

func testProperty(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(propSeed, 2))
	var es []*ngsild.Entity
	for i := range propEntities {
		es = append(es, randEntity(r, i))
	}
	// Several transactions, and replacements, so that creation order and
	// index maintenance are exercised.
	for lo := 0; lo < len(es); lo += 50 {
		put(t, s, store.DefaultTenant, es[lo:min(lo+50, len(es))]...)
	}
	for i := 0; i < len(es); i += 7 {
		es[i] = randEntity(r, i)
		put(t, s, store.DefaultTenant, es[i])
	}
	put(t, s, "other", es[:50]...)

	failures := 0
	for i := range propQueries {
		q := randQuery(r)
		want, wantTotal := naive(es, q)
		got, total := queryIDs(t, s, store.DefaultTenant, q)
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" || total != wantTotal {
			failures++
			t.Errorf("query %d: %s\nids (-naive +store):\n%s\ntotal %d, naive %d", i, describe(q), diff, total, wantTotal)
			if failures >= 5 {
				t.Fatal("too many failures")
			}
		}
	}
}

// describe prints a query's trees for a failure message.
func describe(q store.EntityQuery) string {
	b, _ := json.MarshalIndent(struct {
		Q       any
		Types   []string
		TypeX   any
		ScopeQ  any
		Geo     any
		GeoType string
		OrderBy any
		IDPat   string
		Sels    any
		Limit   int
		Offset  int
	}{q.Q, q.Types, q.TypeExpr, q.ScopeQ, q.Geo, fmt.Sprintf("%T", geomOf(q.Geo)), q.OrderBy, q.IDPattern, q.Selectors, q.Limit, q.Offset}, "", "  ")
	return string(b)
}

func geomOf(g *query.GeoQuery) orb.Geometry {
	if g == nil {
		return nil
	}
	return g.Geometry
}
