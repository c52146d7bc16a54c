package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// How a query runs.
//
// Every filter of an EntityQuery becomes SQL over "entities e", in one
// statement (a second one for the count):
//
//   - One filter that an index answers drives the statement: its index
//     gives the candidate pks ("e.pk IN (...)"), a superset of the entities
//     the filter matches. In order of preference: ids, the R*Tree of a
//     geo-query, attr_values for q, entity_scopes for scopeQ, entity_types
//     for the type selection.
//   - The entity types, the attribute names and the id pattern are checked
//     exactly in SQL on each candidate (index lookups, REGEXP).
//   - q, scopeQ and the geo-query are then checked exactly by a Go
//     function registered in SQLite (opentid_match), which decodes the
//     candidate's row and applies the query package's Match functions: the
//     store's semantics are those functions', by construction. The
//     function runs per candidate row, inside SQLite; a decoded entity that
//     matches is kept for the result rows, so that it is decoded once
//     (decode.go: decoding is most of the cost of a query).
//   - orderBy sorts on the values the query package extracts (ValueAt),
//     given to SQLite by opentid_sort and compared with CompareValues by
//     the collation opentid_value; rows without a value come last; ties
//     keep creation order (pk).
//
// Paging (LIMIT, OFFSET) and the count apply to the result of all that.
//
// Geo-queries: the R*Tree holds boxes that contain each geometry (the
// great-circle arcs between its vertices included, for near); the query's
// box contains every geometry that can match (for near, the point widened
// by maxDistance on the smallest Earth radius, split at the antimeridian).
// near with minDistance only, and disjoint, match geometries outside any
// box: their candidates are every box of the GeoProperty (the entities
// that have it, of the selected types), checked one by one.

// Ranks of the drivers: the candidates of the highest rank drive.
const (
	rankGeoAll   = 1 // the entities with the GeoProperty (minDistance, disjoint)
	rankTypes    = 2
	rankQWeak    = 3 // the entities with the attribute
	rankScope    = 4
	rankQRange   = 5
	rankQEqual   = 6
	rankGeoBoxes = 7
	rankIDs      = 8
)

// part is a fragment of SQL with its arguments.
type part struct {
	sql  string
	args []any
}

// candidates is a SELECT of pks, a superset of the entities a filter
// matches in the tenant.
type candidates struct {
	part
	rank int
	// typed: the candidates are restricted to the tnos of the query's type
	// selection.
	typed bool
}

// plan is the translation of an EntityQuery.
type plan struct {
	none bool // no entity can match
	// from is the FROM clause; key the column of creation order in it.
	from, key string
	conds     []part
	f         *goFilter
}

func (p *plan) add(sql string, args ...any) { p.conds = append(p.conds, part{sql, args}) }

// where joins the conditions.
func (p *plan) where() (string, []any) {
	var b strings.Builder
	var args []any
	for i, c := range p.conds {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(c.sql)
		args = append(args, c.args...)
	}
	return b.String(), args
}

// plan translates q.
func (r *reader) plan(q store.EntityQuery) (*plan, error) {
	p := &plan{from: "entities e", key: "e.pk"}
	tid := r.tid
	p.add("e.tid = ?", tid)

	// Alternative selectors bound the ids and the types when each of them
	// does; they are checked exactly below.
	qids, texpr := q.IDs, combineTypes(q.Types, q.TypeExpr)
	if len(q.Selectors) > 0 {
		sids, stexpr := sqlindex.SelectorBounds(q.Selectors)
		if len(qids) == 0 {
			qids = sids
		}
		if stexpr != nil {
			texpr = andTypes(texpr, stexpr)
		}
	}

	var drivers []candidates
	if len(qids) > 0 {
		// One JSON array rather than one parameter per id: the number of
		// ids is not bounded by SQLite's limit on parameters.
		ids, err := json.Marshal(qids)
		if err != nil {
			return nil, err
		}
		drivers = append(drivers, candidates{part: part{
			"SELECT pk FROM entities WHERE tid = ? AND id IN (SELECT value FROM json_each(?))", []any{tid, ids}},
			rank: rankIDs})
	}
	if q.IDPattern != "" {
		// Validated here so that a bad pattern is an error of the query,
		// not of the SQL function halfway through a scan.
		if _, err := patterns.compile(q.IDPattern); err != nil {
			return nil, fmt.Errorf("sqlite: idPattern: %w", err)
		}
		p.add("e.id REGEXP ?", q.IDPattern)
	}
	if len(q.Selectors) > 0 {
		c, err := selectorsCond(tid, q.Selectors)
		if err != nil {
			return nil, err
		}
		p.conds = append(p.conds, c)
	}

	// The type selection: Types and TypeExpr together, and the bound of
	// the selectors.
	var tnos []int64
	typesExact, typed := false, false
	if texpr != nil {
		if set, exact, bounded := typeSet(texpr); bounded {
			var err error
			if tnos, err = r.typeNumbers(set); err != nil {
				return nil, err
			}
			if len(tnos) == 0 {
				p.none = true
				return p, nil
			}
			typesExact, typed = exact, true
			drivers = append(drivers, candidates{part: part{
				"SELECT pk FROM entity_types WHERE tid = ? AND type" + placeholders(len(set)),
				append([]any{tid}, anys(set)...)}, rank: rankTypes, typed: true})
		}
	}
	if tnos == nil {
		// Without a bounded type selection, the index searches run over
		// every type of the tenant, and type number 0 (no type).
		var err error
		if tnos, err = r.allTypeNumbers(); err != nil {
			return nil, err
		}
	}

	if q.Geo != nil {
		c, err := geoCandidates(tid, q.Geo, tnos, typed)
		if err != nil {
			return nil, err
		}
		drivers = append(drivers, c)
	}
	if q.Q != nil {
		if c := qCandidates(tid, q.Q, tnos); c != nil {
			c.typed = c.typed && typed
			drivers = append(drivers, *c)
		}
	}
	if q.ScopeQ != nil {
		if c := scopeCandidates(tid, q.ScopeQ); c != nil {
			drivers = append(drivers, *c)
		}
	}

	var driver *candidates
	for i := range drivers {
		if driver == nil || drivers[i].rank > driver.rank {
			driver = &drivers[i]
		}
	}
	switch {
	case driver == nil:
	case driver.rank == rankTypes && len(driver.args) == 2:
		// One type: its index rows, in pk order, drive a join, so that a
		// page is read without collecting the whole type first.
		p.from, p.key = "entity_types d CROSS JOIN entities e ON e.pk = d.pk", "d.pk"
		p.add("d.tid = ? AND d.type = ?", driver.args...)
	default:
		p.add("e.pk IN ("+driver.sql+")", driver.args...)
	}
	if texpr != nil && !(driver != nil && driver.typed && typesExact) {
		c := part{}
		typeCond(&c, tid, texpr)
		p.conds = append(p.conds, c)
	}
	if len(q.Attrs) > 0 {
		p.add("EXISTS (SELECT 1 FROM entity_attrs a WHERE a.tid = ? AND a.name"+placeholders(len(q.Attrs))+" AND a.pk = e.pk)",
			append([]any{tid}, anys(q.Attrs)...)...)
	}
	if q.Q != nil || q.ScopeQ != nil || q.Geo != nil || len(q.OrderBy) > 0 {
		p.f = &goFilter{q: q.Q, scope: q.ScopeQ, geo: q.Geo, order: q.OrderBy}
	}
	return p, nil
}

// andTypes is the conjunction of two type selections, either may be nil.
func andTypes(a, b query.TypeExpr) query.TypeExpr {
	if a == nil {
		return b
	}
	return &query.TypeAnd{Terms: []query.TypeExpr{a, b}}
}

// selectorsCond is the exact condition of alternative selectors on e.
func selectorsCond(tid int64, sels []store.EntitySelector) (part, error) {
	c := part{sql: "("}
	for i, s := range sels {
		if i > 0 {
			c.sql += " OR "
		}
		var terms []string
		if s.ID != "" {
			terms = append(terms, "e.id = ?")
			c.args = append(c.args, s.ID)
		}
		if s.IDPattern != "" {
			if _, err := patterns.compile(s.IDPattern); err != nil {
				return c, fmt.Errorf("sqlite: idPattern: %w", err)
			}
			terms = append(terms, "e.id REGEXP ?")
			c.args = append(c.args, s.IDPattern)
		}
		if s.TypeExpr != nil {
			t := part{}
			typeCond(&t, tid, s.TypeExpr)
			terms = append(terms, t.sql)
			c.args = append(c.args, t.args...)
		}
		if len(terms) == 0 {
			terms = []string{"1"}
		}
		c.sql += "(" + strings.Join(terms, " AND ") + ")"
	}
	c.sql += ")"
	return c, nil
}

// typeCond writes the exact SQL condition of a type selection on e.
func typeCond(c *part, tid int64, expr query.TypeExpr) {
	switch x := expr.(type) {
	case *query.TypeName:
		c.sql += "EXISTS (SELECT 1 FROM entity_types t WHERE t.tid = ? AND t.type = ? AND t.pk = e.pk)"
		c.args = append(c.args, tid, x.Type)
	case *query.TypeOr, *query.TypeAnd:
		var terms []query.TypeExpr
		op := " OR "
		if and, ok := x.(*query.TypeAnd); ok {
			terms, op = and.Terms, " AND "
		} else {
			terms = x.(*query.TypeOr).Terms
		}
		if len(terms) == 0 {
			// An empty conjunction holds; an empty disjunction does not.
			c.sql += map[bool]string{true: "1", false: "0"}[op == " AND "]
			return
		}
		c.sql += "("
		for i, t := range terms {
			if i > 0 {
				c.sql += op
			}
			typeCond(c, tid, t)
		}
		c.sql += ")"
	default:
		c.sql += "0"
	}
}

// typeNumbers returns the tnos of the types that exist in the tenant.
func (r *reader) typeNumbers(types []string) ([]int64, error) {
	return r.int64s("SELECT tno FROM types WHERE tid = ? AND type"+placeholders(len(types))+" ORDER BY tno",
		append([]any{r.tid}, anys(types)...)...)
}

// allTypeNumbers returns the tnos of the tenant, and 0.
func (r *reader) allTypeNumbers() ([]int64, error) {
	return r.int64s("SELECT 0 UNION ALL SELECT tno FROM types WHERE tid = ?", r.tid)
}

func (r *reader) int64s(q string, args ...any) ([]int64, error) {
	rows, err := r.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: query: %w", err)
	}
	out := []int64{}
	err = scanRows(rows, func(s *sql.Rows) error {
		var n int64
		err := s.Scan(&n)
		out = append(out, n)
		return err
	})
	return out, wrap("query", err)
}

// placeholders writes " = ?" for one value, " IN (?, ...)" for more.
func placeholders(n int) string {
	if n == 1 {
		return " = ?"
	}
	return " IN (" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

func anys[T any](vals []T) []any {
	out := make([]any, len(vals))
	for i, v := range vals {
		out[i] = v
	}
	return out
}

// --- q ---

// qCandidates returns candidates for a q expression from attr_values and
// entity_attrs, or nil when the index cannot bound it. Only comparisons on
// a top-level attribute's value use attr_values; for the others, the
// attribute must exist, which entity_attrs answers (weakly). Inequality
// and "does not match" bound nothing: they may hold for values the index
// does not keep.
func qCandidates(tid int64, expr query.Expr, tnos []int64) *candidates {
	switch x := expr.(type) {
	case *query.And:
		var best *candidates
		for _, t := range x.Terms {
			if c := qCandidates(tid, t, tnos); c != nil && (best == nil || c.rank > best.rank) {
				best = c
			}
		}
		return best
	case *query.Or:
		if len(x.Terms) == 0 {
			return nil
		}
		u := &candidates{rank: rankQEqual, typed: true}
		for i, t := range x.Terms {
			c := qCandidates(tid, t, tnos)
			if c == nil {
				return nil
			}
			u.typed = u.typed && c.typed
			if i > 0 {
				u.sql += " UNION ALL "
			}
			u.sql += c.sql
			u.args = append(u.args, c.args...)
			u.rank = min(u.rank, c.rank)
		}
		return u
	case *query.Comparison:
		return comparisonCandidates(tid, x, tnos)
	}
	return nil
}

func comparisonCandidates(tid int64, c *query.Comparison, tnos []int64) *candidates {
	exists := &candidates{part: part{"SELECT pk FROM entity_attrs WHERE tid = ? AND name = ?", []any{tid, c.Path.Attr}}, rank: rankQWeak}
	switch c.Op {
	case query.OpExists, query.OpMatch, query.OpUnequal, query.OpNotMatch:
		// The path must resolve, so the attribute must exist.
		return exists
	}
	if len(c.Path.Sub) > 0 || c.Path.Member != "" || len(c.Path.JSON) > 0 {
		return exists
	}
	// Conditions on one row of attr_values, each an index range. Numbers
	// and instants are compared with a small tolerance, and strictly
	// ordered comparisons as non-strict ones: the float that SQLite keeps
	// may differ from the one Go compares by rounding (text conversion,
	// instants closer than the float's resolution).
	var conds []part
	rank := rankQRange
	lit := func(l query.Literal, op string) bool {
		var x float64
		switch l.Kind {
		case query.KindString:
			conds = append(conds, part{"str " + op + " ?", []any{l.Str}})
			return true
		case query.KindNumber:
			x = l.Num
		case query.KindDateTime:
			x = unixSeconds(l.Time)
			// Strings that are not RFC 3339 date-times with an offset have
			// no instant in the index; they remain candidates.
			conds = append(conds, part{"num IS NULL AND str IS NOT NULL", nil})
		default:
			return false
		}
		lo, hi := x-tolerance(x), x+tolerance(x)
		switch op {
		case "=":
			conds = append(conds, part{"num BETWEEN ? AND ?", []any{lo, hi}})
		case ">", ">=":
			conds = append(conds, part{"num >= ?", []any{lo}})
		case "<", "<=":
			conds = append(conds, part{"num <= ?", []any{hi}})
		}
		return true
	}
	v := c.Value
	switch c.Op {
	case query.OpEqual:
		switch {
		case v.Single != nil:
			rank = rankQEqual
			if !lit(*v.Single, "=") {
				return exists
			}
		case len(v.List) > 0:
			rank = rankQEqual
			for _, l := range v.List {
				if !lit(l, "=") {
					return exists
				}
			}
		case v.RangeLo != nil && v.RangeHi != nil:
			lo, hi := *v.RangeLo, *v.RangeHi
			switch {
			case lo.Kind != hi.Kind:
				return exists
			case lo.Kind == query.KindString:
				conds = append(conds, part{"str BETWEEN ? AND ?", []any{lo.Str, hi.Str}})
			case lo.Kind == query.KindNumber || lo.Kind == query.KindDateTime:
				x, y := lo.Num, hi.Num
				if lo.Kind == query.KindDateTime {
					x, y = unixSeconds(lo.Time), unixSeconds(hi.Time)
					conds = append(conds, part{"num IS NULL AND str IS NOT NULL", nil})
				}
				conds = append(conds, part{"num BETWEEN ? AND ?", []any{x - tolerance(x), y + tolerance(y)}})
			default:
				return exists
			}
		default:
			return exists
		}
	case query.OpGreater, query.OpGreaterEq, query.OpLess, query.OpLessEq:
		if v.Single == nil || !lit(*v.Single, map[query.Op]string{
			query.OpGreater: ">", query.OpGreaterEq: ">=", query.OpLess: "<", query.OpLessEq: "<="}[c.Op]) {
			return exists
		}
	default:
		return exists
	}
	out := &candidates{rank: rank, typed: true}
	for i, cond := range conds {
		if i > 0 {
			out.sql += " UNION ALL "
		}
		out.sql += "SELECT pk FROM attr_values WHERE ano = (" + sqlAttrNo + ") AND tno" + placeholders(len(tnos)) + " AND " + cond.sql
		out.args = append(append(append(out.args, tid, c.Path.Attr), anys(tnos)...), cond.args...)
	}
	return out
}

// --- scopeQ ---

// scopeCandidates returns candidates for a scope query from
// entity_scopes: for each pattern, the scopes under its fixed prefix (the
// segments before the first wildcard).
func scopeCandidates(tid int64, expr query.ScopeExpr) *candidates {
	switch x := expr.(type) {
	case *query.ScopeAnd:
		for _, t := range x.Terms {
			if c := scopeCandidates(tid, t); c != nil {
				return c
			}
		}
		return nil
	case *query.ScopeOr:
		if len(x.Terms) == 0 {
			return nil
		}
		u := &candidates{rank: rankScope}
		for i, t := range x.Terms {
			c := scopeCandidates(tid, t)
			if c == nil {
				return nil
			}
			if i > 0 {
				u.sql += " UNION ALL "
			}
			u.sql += c.sql
			u.args = append(u.args, c.args...)
		}
		return u
	case *query.ScopePattern:
		segs := strings.Split(normalScope(x.Pattern), "/")
		fixed := len(segs)
		for i, s := range segs {
			if s == "+" || s == "#" {
				fixed = i
				break
			}
		}
		const sel = "SELECT pk FROM entity_scopes WHERE tid = ? AND "
		if fixed == len(segs) {
			return &candidates{part: part{sel + "scope = ?", []any{tid, normalScope(x.Pattern)}}, rank: rankScope}
		}
		prefix := strings.Join(segs[:fixed], "/")
		// '0' follows '/' in byte order: [prefix/, prefix0) is everything
		// below prefix.
		return &candidates{part: part{
			sel + "(scope = ? OR (scope >= ? AND scope < ?))", []any{tid, prefix, prefix + "/", prefix + "0"}},
			rank: rankScope}
	}
	return nil
}

// --- geo ---

// geoCandidates returns the candidates of a geo-query from the R*Tree:
// the boxes of the GeoProperty that meet the query's box, for each type
// number. The box of near is the one of the geometry widened by
// maxDistance. near with only minDistance, and disjoint, hold for
// geometries far from the query's: their candidates are all the boxes of
// the GeoProperty (the entities that have it), and the exact check does
// the rest.
func geoCandidates(tid int64, g *query.GeoQuery, tnos []int64, typed bool) (candidates, error) {
	name := g.Property
	if name == "" {
		name = coreLocation
	}
	boxes, bounded := queryBoxes(g)
	rank := rankGeoBoxes
	if !bounded {
		rank = rankGeoAll
	}
	c := candidates{rank: rank, typed: typed}
	for _, b := range boxes {
		for _, tno := range tnos {
			if c.sql != "" {
				c.sql += " UNION ALL "
			}
			c.sql += "SELECT pk FROM geo_rtree WHERE minz <= ? AND maxz >= ?"
			c.args = append(c.args, tno, tno)
			if bounded {
				c.sql += " AND minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?"
				c.args = append(c.args, b.MaxX, b.MinX, b.MaxY, b.MinY)
			}
			c.sql += " AND name = ? AND tid = ?"
			c.args = append(c.args, name, tid)
		}
	}
	return c, nil
}

// maxKept bounds the decoded entities a query keeps between its match
// function and its result rows.
const maxKept = 10000

// Query returns one page of the entities that match q.
func (r *reader) Query(q store.EntityQuery) (store.QueryResult, error) {
	var res store.QueryResult
	if q.Limit < 0 || q.Offset < 0 {
		return res, fmt.Errorf("sqlite: query: negative limit or offset")
	}
	p, err := r.plan(q)
	if err != nil || p.none {
		return res, err
	}
	if p.f != nil {
		h := filters.add(p.f)
		defer filters.remove(h)
		p.f.keepMax = min(q.Offset+q.Limit, maxKept)
		if q.Q != nil || q.ScopeQ != nil || q.Geo != nil {
			p.add("opentid_match(?, e.pk, e.data)", h)
		}
		return r.run(q, p, h)
	}
	return r.run(q, p, 0)
}

// run executes a plan: the count, then the page.
func (r *reader) run(q store.EntityQuery, p *plan, h int64) (store.QueryResult, error) {
	var res store.QueryResult
	cond, args := p.where()
	if q.Count {
		err := r.queryRow("SELECT count(*) FROM "+p.from+" WHERE "+cond, args...).Scan(&res.Total)
		if err != nil {
			return res, fmt.Errorf("sqlite: count: %w", err)
		}
	}
	if q.Limit == 0 {
		return res, nil
	}
	order := p.key
	if len(q.OrderBy) > 0 {
		var b strings.Builder
		for i, t := range q.OrderBy {
			key := fmt.Sprintf("opentid_sort(%d, e.pk, e.data, %d)", h, i)
			dir := ""
			if t.Descending {
				dir = " DESC"
			}
			fmt.Fprintf(&b, "%s IS NULL, %s COLLATE opentid_value%s, ", key, key, dir)
		}
		b.WriteString(p.key)
		order = b.String()
	}
	rows, err := r.query("SELECT e.pk, e.id, e.data FROM "+p.from+" WHERE "+cond+" ORDER BY "+order+" LIMIT ? OFFSET ?",
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return res, fmt.Errorf("sqlite: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var id string
		var data sql.RawBytes
		if err := rows.Scan(&pk, &id, &data); err != nil {
			return res, fmt.Errorf("sqlite: query: %w", err)
		}
		var e *ngsild.Entity
		if p.f != nil {
			e = p.f.take(pk)
		}
		if e == nil {
			if e, err = decode(id, data); err != nil {
				return res, err
			}
		}
		res.Entities = append(res.Entities, e)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("sqlite: query: %w", err)
	}
	return res, nil
}
