package postgres

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// How a query runs.
//
// An EntityQuery becomes one SELECT over "entities e" whose WHERE clause
// holds a condition per filter, each answered by an index; PostgreSQL's
// planner picks the one that drives:
//
//   - ids, entity types (exactly, also for type expressions), attribute
//     names: exact conditions;
//   - q: for each comparison on a top-level attribute's value, a range of
//     attr_values (numbers, instants, strings); for the others, that the
//     attribute exists (entity_attrs). These are prefilters: the entities
//     they select include every match;
//   - scopeQ: the scopes under each pattern's fixed prefix (entity_scopes),
//     a prefilter;
//   - geo-query: the boxes of the GeoProperty that meet the query's box
//     (GiST on geo_boxes), a prefilter. disjoint and near with only
//     minDistance hold far from the query geometry: their condition is
//     "a box meets the query's box (or the circle's), or a box of a valid
//     geometry is entirely outside it", and the entities of the second
//     kind match for sure (the column "sure").
//
// When the query has no q, scopeQ, geo-query, idPattern or orderBy, SQL
// answers it whole (count, LIMIT, OFFSET). Otherwise the rows the
// conditions select are read in creation order and checked exactly in Go
// by the query package's Match functions (the reference semantics),
// idPattern by Go's regexp (RE2); paging and orderBy apply to the
// entities that pass. The rows checked in Go are those the index
// conditions bound, never a whole tenant, except for idPattern and
// orderBy alone, which have no index.

// cond is a fragment of SQL with its arguments, whose placeholders are
// written "?" and numbered when the statement is assembled.
type cond struct {
	sql  string
	args []any
}

func (c cond) and(o cond) cond {
	return cond{c.sql + " AND " + o.sql, append(slices.Clone(c.args), o.args...)}
}

// join joins conditions with op, in parentheses.
func join(op string, cs []cond) cond {
	var out cond
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.sql
		out.args = append(out.args, c.args...)
	}
	out.sql = "(" + strings.Join(parts, " "+op+" ") + ")"
	return out
}

// number replaces each "?" of sql by $n, n counting from first.
func number(sql string, first int) string {
	var b strings.Builder
	n := first
	for _, c := range []byte(sql) {
		if c == '?' {
			b.WriteString("$" + strconv.Itoa(n))
			n++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// plan is the SQL of a query and what Go checks.
type plan struct {
	where cond
	// sure is an SQL expression that is true for rows the geo-query
	// matches for sure; "false" when there is none.
	sure cond
	// goCheck: rows must pass match in Go.
	goCheck bool
	pattern *regexp.Regexp
	// selectors checks the alternative selectors, id patterns included.
	selectors *sqlindex.Selectors
	q         store.EntityQuery
}

func (r *reader) plan(q store.EntityQuery) (*plan, error) {
	tid := r.tid
	p := &plan{q: q, sure: cond{sql: "false"}}
	conds := []cond{{"e.tid = ?", []any{tid}}}
	if len(q.IDs) > 0 {
		conds = append(conds, cond{"e.id = ANY(?)", []any{q.IDs}})
	}
	if q.IDPattern != "" {
		re, err := regexp.Compile(q.IDPattern)
		if err != nil {
			return nil, fmt.Errorf("postgres: idPattern: %w", err)
		}
		p.pattern, p.goCheck = re, true
	}
	if texpr := sqlindex.CombineTypes(q.Types, q.TypeExpr); texpr != nil {
		conds = append(conds, typeCond(tid, texpr))
	}
	if len(q.Selectors) > 0 {
		sels, err := sqlindex.CompileSelectors(q.Selectors)
		if err != nil {
			return nil, fmt.Errorf("postgres: idPattern: %w", err)
		}
		// SQL checks each selector's id and types; Go checks the whole of
		// them again when one has an id pattern.
		conds = append(conds, selectorsCond(tid, q.Selectors))
		if slices.ContainsFunc(q.Selectors, func(s store.EntitySelector) bool { return s.IDPattern != "" }) {
			p.selectors, p.goCheck = sels, true
		}
	}
	if len(q.Attrs) > 0 {
		conds = append(conds, cond{"EXISTS (SELECT 1 FROM entity_attrs a WHERE a.tid = ? AND a.nh = ANY(?) AND a.name = ANY(?) AND a.pk = e.pk)", []any{tid, hashes(q.Attrs), q.Attrs}})
	}
	if q.Q != nil {
		if c, ok := qCond(tid, q.Q); ok {
			conds = append(conds, c)
		}
		p.goCheck = true
	}
	if q.ScopeQ != nil {
		if c, ok := scopeCond(tid, q.ScopeQ); ok {
			conds = append(conds, c)
		}
		p.goCheck = true
	}
	if q.Geo != nil {
		c, sure := geoCond(tid, q.Geo)
		conds = append(conds, c)
		p.sure = sure
		p.goCheck = true
	}
	if len(q.OrderBy) > 0 {
		p.goCheck = true
	}
	p.where = join("AND", conds)
	return p, nil
}

// selectorsCond is a condition that every entity matching one of the
// selectors satisfies: its id and type selection, without its id pattern.
func selectorsCond(tid int64, sels []store.EntitySelector) cond {
	alts := make([]cond, len(sels))
	for i, s := range sels {
		terms := []cond{{sql: "true"}}
		if s.ID != "" {
			terms = append(terms, cond{"e.id = ?", []any{s.ID}})
		}
		if s.TypeExpr != nil {
			terms = append(terms, typeCond(tid, s.TypeExpr))
		}
		alts[i] = join("AND", terms)
	}
	return join("OR", alts)
}

// typeCond is the exact condition of a type selection on e.
func typeCond(tid int64, expr query.TypeExpr) cond {
	if set, exact, bounded := sqlindex.TypeSet(expr); bounded && exact {
		return cond{"EXISTS (SELECT 1 FROM entity_types t WHERE t.tid = ? AND t.nh = ANY(?) AND t.type = ANY(?) AND t.pk = e.pk)", []any{tid, hashes(set), set}}
	}
	switch x := expr.(type) {
	case *query.TypeName:
		return cond{"EXISTS (SELECT 1 FROM entity_types t WHERE t.tid = ? AND t.nh = ? AND t.type = ? AND t.pk = e.pk)", []any{tid, nameHash(x.Type), x.Type}}
	case *query.TypeOr:
		if len(x.Terms) == 0 {
			return cond{sql: "false"}
		}
		var cs []cond
		for _, t := range x.Terms {
			cs = append(cs, typeCond(tid, t))
		}
		return join("OR", cs)
	case *query.TypeAnd:
		if len(x.Terms) == 0 {
			return cond{sql: "true"}
		}
		var cs []cond
		for _, t := range x.Terms {
			cs = append(cs, typeCond(tid, t))
		}
		return join("AND", cs)
	}
	return cond{sql: "false"}
}

// qCond returns a condition that every entity matching a q expression
// satisfies, or false when the indexes cannot bound it.
func qCond(tid int64, expr query.Expr) (cond, bool) {
	switch x := expr.(type) {
	case *query.And:
		var cs []cond
		for _, t := range x.Terms {
			if c, ok := qCond(tid, t); ok {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			return cond{}, false
		}
		return join("AND", cs), true
	case *query.Or:
		if len(x.Terms) == 0 {
			return cond{}, false
		}
		var cs []cond
		for _, t := range x.Terms {
			c, ok := qCond(tid, t)
			if !ok {
				return cond{}, false
			}
			cs = append(cs, c)
		}
		return join("OR", cs), true
	case *query.Comparison:
		return comparisonCond(tid, x), true
	}
	return cond{}, false
}

// comparisonCond bounds one comparison: values of attr_values where the
// index holds them, else the existence of the attribute. Numbers and
// instants are compared with a small tolerance and strict orders as
// non-strict ones, as the exact check follows.
func comparisonCond(tid int64, c *query.Comparison) cond {
	exists := cond{"EXISTS (SELECT 1 FROM entity_attrs a WHERE a.tid = ? AND a.nh = ? AND a.name = ? AND a.pk = e.pk)", []any{tid, nameHash(c.Path.Attr), c.Path.Attr}}
	switch c.Op {
	case query.OpExists, query.OpMatch, query.OpUnequal, query.OpNotMatch:
		return exists
	}
	if len(c.Path.Sub) > 0 || c.Path.Member != "" || len(c.Path.JSON) > 0 {
		return exists
	}
	var alts []cond
	lit := func(l query.Literal, op string) bool {
		var x float64
		switch l.Kind {
		case query.KindString:
			alts = append(alts, strCond(op, l.Str))
			return true
		case query.KindNumber:
			x = l.Num
		case query.KindDateTime:
			x = sqlindex.UnixSeconds(l.Time)
			// Strings without an instant in the index remain candidates.
			alts = append(alts, cond{sql: "(num IS NULL AND str IS NOT NULL)"})
		default:
			return false
		}
		lo, hi := x-sqlindex.Tolerance(x), x+sqlindex.Tolerance(x)
		switch op {
		case "=":
			alts = append(alts, cond{"num BETWEEN ? AND ?", []any{lo, hi}})
		case ">", ">=":
			alts = append(alts, cond{"num >= ?", []any{lo}})
		case "<", "<=":
			alts = append(alts, cond{"num <= ?", []any{hi}})
		}
		return true
	}
	v := c.Value
	switch c.Op {
	case query.OpEqual:
		switch {
		case v.Single != nil:
			if !lit(*v.Single, "=") {
				return exists
			}
		case len(v.List) > 0:
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
				alts = append(alts, strCond(">=", lo.Str).and(strCond("<=", hi.Str)))
			case lo.Kind == query.KindNumber || lo.Kind == query.KindDateTime:
				x, y := lo.Num, hi.Num
				if lo.Kind == query.KindDateTime {
					x, y = sqlindex.UnixSeconds(lo.Time), sqlindex.UnixSeconds(hi.Time)
					alts = append(alts, cond{sql: "(num IS NULL AND str IS NOT NULL)"})
				}
				alts = append(alts, cond{"num BETWEEN ? AND ?", []any{x - sqlindex.Tolerance(x), y + sqlindex.Tolerance(y)}})
			default:
				return exists
			}
		default:
			return exists
		}
	case query.OpGreater, query.OpGreaterEq, query.OpLess, query.OpLessEq:
		op := map[query.Op]string{query.OpGreater: ">", query.OpGreaterEq: ">=", query.OpLess: "<", query.OpLessEq: "<="}[c.Op]
		if v.Single == nil || !lit(*v.Single, op) {
			return exists
		}
	default:
		return exists
	}
	in := join("OR", alts)
	return cond{"e.pk IN (SELECT pk FROM attr_values WHERE tid = ? AND nh = ? AND name = ? AND " + in.sql + ")",
		append([]any{tid, nameHash(c.Path.Attr), c.Path.Attr}, in.args...)}
}

// strCond compares str with a string through the index on its first 512
// characters, then exactly: left() preserves the order non-strictly.
func strCond(op, v string) cond {
	switch op {
	case "=":
		return cond{"(left(str, 512) = left(?, 512) AND str = ?)", []any{v, v}}
	case ">", ">=":
		return cond{"(left(str, 512) >= left(?, 512) AND str " + op + " ?)", []any{v, v}}
	}
	return cond{"(left(str, 512) <= ? AND str " + op + " ?)", []any{v, v}}
}

// scopeCond bounds a scope query by the scopes under each pattern's fixed
// prefix.
func scopeCond(tid int64, expr query.ScopeExpr) (cond, bool) {
	switch x := expr.(type) {
	case *query.ScopeAnd:
		var cs []cond
		for _, t := range x.Terms {
			if c, ok := scopeCond(tid, t); ok {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			return cond{}, false
		}
		return join("AND", cs), true
	case *query.ScopeOr:
		if len(x.Terms) == 0 {
			return cond{}, false
		}
		var cs []cond
		for _, t := range x.Terms {
			c, ok := scopeCond(tid, t)
			if !ok {
				return cond{}, false
			}
			cs = append(cs, c)
		}
		return join("OR", cs), true
	case *query.ScopePattern:
		const sel = "e.pk IN (SELECT pk FROM entity_scopes WHERE tid = ? AND "
		exact, prefix, wild := sqlindex.ScopeRange(x.Pattern)
		if !wild {
			return cond{sel + "left(scope, 512) = left(?, 512) AND scope = ?)", []any{tid, exact, exact}}, true
		}
		// left() keeps the order non-strictly: s >= a implies
		// left(s) >= left(a), and left(s) <= s < b.
		return cond{sel + "(left(scope, 512) = left(?, 512) AND scope = ? OR left(scope, 512) >= left(?, 512) AND left(scope, 512) < ? AND scope >= ? AND scope < ?))",
			[]any{tid, prefix, prefix, prefix + "/", prefix + "0", prefix + "/", prefix + "0"}}, true
	}
	return cond{}, false
}

// geoCond returns the condition of a geo-query and the expression of the
// rows it matches for sure.
func geoCond(tid int64, g *query.GeoQuery) (where, sure cond) {
	name := g.Property
	if name == "" {
		name = sqlindex.CoreLocation
	}
	never := cond{sql: "false"}
	if boxes, bounded := sqlindex.QueryBoxes(g); bounded {
		var cs []cond
		for _, b := range boxes {
			cs = append(cs, cond{"g.box && ?::box", []any{pgBox(b)}})
		}
		in := join("OR", cs)
		return cond{"e.pk IN (SELECT pk FROM geo_boxes g WHERE g.tid = ? AND g.name = ? AND " + in.sql + ")",
			append([]any{tid, name}, in.args...)}, never
	}
	// disjoint, near with minDistance only: the entities whose box meets
	// the query's (checked in Go), and those with a valid geometry whose
	// box is outside it (they match).
	var outer sqlindex.Box
	switch {
	case g.Geometry == nil:
		return never, never
	case g.Rel == query.GeoDisjoint:
		b := g.Geometry.Bound()
		outer = sqlindex.Box{MinX: b.Min.X(), MaxX: b.Max.X(), MinY: b.Min.Y(), MaxY: b.Max.Y()}
	case g.Rel == query.GeoNear && g.MinDistance > 0:
		if _, ok := g.Geometry.(orb.Point); !ok {
			return never, never
		}
		wide := *g
		wide.MaxDistance, wide.MinDistance = g.MinDistance, 0
		boxes, _ := sqlindex.QueryBoxes(&wide)
		if len(boxes) != 1 {
			// Split at the antimeridian: no sure answer, check every box.
			return cond{"EXISTS (SELECT 1 FROM geo_boxes g WHERE g.tid = ? AND g.name = ? AND g.pk = e.pk)", []any{tid, name}}, never
		}
		outer = boxes[0]
	default:
		return cond{"EXISTS (SELECT 1 FROM geo_boxes g WHERE g.tid = ? AND g.name = ? AND g.pk = e.pk)", []any{tid, name}}, never
	}
	sure = cond{"EXISTS (SELECT 1 FROM geo_boxes g WHERE g.pk = e.pk AND g.tid = ? AND g.name = ? AND g.valid AND NOT g.box && ?::box)",
		[]any{tid, name, pgBox(outer)}}
	near := cond{"e.pk IN (SELECT pk FROM geo_boxes g WHERE g.tid = ? AND g.name = ? AND g.box && ?::box)", []any{tid, name, pgBox(outer)}}
	return join("OR", []cond{near, sure}), sure
}

// pgBox writes a box as PostgreSQL's box input.
func pgBox(b sqlindex.Box) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	return "((" + f(b.MinX) + "," + f(b.MinY) + "),(" + f(b.MaxX) + "," + f(b.MaxY) + "))"
}

// Query returns one page of the entities that match q.
func (r *reader) Query(q store.EntityQuery) (store.QueryResult, error) {
	var res store.QueryResult
	if q.Limit < 0 || q.Offset < 0 {
		return res, fmt.Errorf("postgres: query: negative limit or offset")
	}
	p, err := r.plan(q)
	if err != nil {
		return res, err
	}
	if !p.goCheck {
		return r.runSQL(p)
	}
	return r.runChecked(p)
}

// runSQL answers a query that SQL decides whole.
func (r *reader) runSQL(p *plan) (store.QueryResult, error) {
	var res store.QueryResult
	where := number(p.where.sql, 1)
	if p.q.Count {
		if err := r.queryRow("SELECT count(*) FROM entities e WHERE "+where, p.where.args...).Scan(&res.Total); err != nil {
			return res, fmt.Errorf("postgres: count: %w", err)
		}
	}
	if p.q.Limit == 0 {
		return res, nil
	}
	n := len(p.where.args)
	rows, err := r.query(fmt.Sprintf("SELECT e.id, e.data FROM entities e WHERE %s ORDER BY e.pk LIMIT $%d OFFSET $%d", where, n+1, n+2),
		append(slices.Clone(p.where.args), p.q.Limit, p.q.Offset)...)
	if err != nil {
		return res, fmt.Errorf("postgres: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var data []byte
		if err := rows.Scan(&id, &data); err != nil {
			return res, fmt.Errorf("postgres: query: %w", err)
		}
		e, err := sqlindex.Decode(id, data)
		if err != nil {
			return res, err
		}
		res.Entities = append(res.Entities, e)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("postgres: query: %w", err)
	}
	return res, nil
}

// runChecked reads the candidate rows in creation order, checks them in
// Go, and pages (and sorts) the entities that pass.
func (r *reader) runChecked(p *plan) (store.QueryResult, error) {
	var res store.QueryResult
	q := p.q
	all := cond{"SELECT e.id, e.data, " + p.sure.sql + " FROM entities e WHERE ", p.sure.args}
	sql := number(all.sql+p.where.sql+" ORDER BY e.pk", 1)
	rows, err := r.query(sql, append(slices.Clone(all.args), p.where.args...)...)
	if err != nil {
		return res, fmt.Errorf("postgres: query: %w", err)
	}
	defer rows.Close()
	// Without a count or an order, reading stops at the end of the page.
	need := q.Offset + q.Limit
	early := !q.Count && len(q.OrderBy) == 0
	var matched []*ngsild.Entity
	n := 0
	for rows.Next() {
		var id string
		var data []byte
		var sure bool
		if err := rows.Scan(&id, &data, &sure); err != nil {
			return res, fmt.Errorf("postgres: query: %w", err)
		}
		if p.pattern != nil && !p.pattern.MatchString(id) {
			continue
		}
		e, err := sqlindex.Decode(id, data)
		if err != nil {
			return res, err
		}
		if (p.selectors != nil && !p.selectors.Match(e.ID, e.Types)) ||
			!query.MatchQ(e, q.Q) || !query.MatchScope(e.Scope, q.ScopeQ) || (!sure && !query.MatchGeo(e, geoWithProperty(q.Geo))) {
			continue
		}
		n++
		if len(q.OrderBy) > 0 || (n > q.Offset && n <= need) {
			matched = append(matched, e)
		}
		if early && n >= need {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("postgres: query: %w", err)
	}
	rows.Close()
	res.Total = n
	if !q.Count {
		res.Total = 0
	}
	if len(q.OrderBy) > 0 {
		sortEntities(matched, q.OrderBy)
		lo, hi := min(q.Offset, len(matched)), min(need, len(matched))
		matched = matched[lo:hi]
	}
	if q.Limit > 0 {
		res.Entities = matched
	}
	return res, nil
}

// geoWithProperty sets the default GeoProperty of a geo-query.
func geoWithProperty(g *query.GeoQuery) *query.GeoQuery {
	if g == nil || g.Property != "" {
		return g
	}
	c := *g
	c.Property = sqlindex.CoreLocation
	return &c
}

// sortEntities orders entities by the orderBy keys (query.ValueAt,
// query.CompareValues), entities without a value last; ties keep the
// creation order the slice has.
func sortEntities(es []*ngsild.Entity, order []query.OrderTerm) {
	type keyed struct {
		e    *ngsild.Entity
		vals []any
		has  []bool
	}
	list := make([]keyed, len(es))
	for i, e := range es {
		k := keyed{e: e, vals: make([]any, len(order)), has: make([]bool, len(order))}
		for j, t := range order {
			k.vals[j], k.has[j] = query.ValueAt(e, t.Path)
		}
		list[i] = k
	}
	slices.SortStableFunc(list, func(a, b keyed) int {
		for j, t := range order {
			switch {
			case a.has[j] != b.has[j]:
				if a.has[j] {
					return -1
				}
				return 1
			case !a.has[j]:
				continue
			}
			c := query.CompareValues(a.vals[j], b.vals[j])
			if t.Descending {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
	for i := range list {
		es[i] = list[i].e
	}
}

// EntityTypes describes the types in use, with the attributes of their
// entities.
func (r *reader) EntityTypes(types []string) ([]store.TypeStat, error) {
	filter := ""
	args := []any{r.tid}
	if len(types) > 0 {
		filter, args = " AND t.type = ANY($2)", append(args, types)
	}
	rows, err := r.query("SELECT t.type, count(*) FROM entity_types t WHERE t.tid = $1"+filter+" GROUP BY t.type ORDER BY t.type", args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: entity types: %w", err)
	}
	var out []store.TypeStat
	byType := map[string]int{}
	var ts store.TypeStat
	_, err = pgx.ForEachRow(rows, []any{&ts.Type, &ts.Entities}, func() error {
		byType[ts.Type] = len(out)
		out = append(out, store.TypeStat{Type: ts.Type, Entities: ts.Entities})
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, wrap("entity types", err)
	}
	rows, err = r.query(`SELECT DISTINCT t.type, a.name, a.attr_type
		FROM entity_types t JOIN entity_attrs a ON a.pk = t.pk
		WHERE t.tid = $1`+filter+` ORDER BY 1, 2, 3`, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: entity types: %w", err)
	}
	var typ, name, attrType string
	_, err = pgx.ForEachRow(rows, []any{&typ, &name, &attrType}, func() error {
		st := &out[byType[typ]]
		if n := len(st.Attrs); n == 0 || st.Attrs[n-1].Name != name {
			st.Attrs = append(st.Attrs, store.AttributeUse{Name: name})
		}
		use := &st.Attrs[len(st.Attrs)-1]
		use.AttrTypes = append(use.AttrTypes, attrType)
		return nil
	})
	return out, wrap("entity types", err)
}

// Attributes describes the attribute names in use.
func (r *reader) Attributes(names []string) ([]store.AttributeStat, error) {
	filter := ""
	args := []any{r.tid}
	if len(names) > 0 {
		filter, args = " AND a.name = ANY($2)", append(args, names)
	}
	rows, err := r.query("SELECT a.name, count(DISTINCT a.pk) FROM entity_attrs a WHERE a.tid = $1"+filter+" GROUP BY a.name ORDER BY a.name", args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: attributes: %w", err)
	}
	var out []store.AttributeStat
	byName := map[string]int{}
	var as store.AttributeStat
	_, err = pgx.ForEachRow(rows, []any{&as.Name, &as.Entities}, func() error {
		byName[as.Name] = len(out)
		out = append(out, store.AttributeStat{Name: as.Name, Entities: as.Entities})
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, wrap("attributes", err)
	}
	details := []struct {
		q   string
		add func(as *store.AttributeStat, v string)
	}{
		{`SELECT DISTINCT a.name, a.attr_type FROM entity_attrs a WHERE a.tid = $1` + filter + ` ORDER BY 1, 2`,
			func(as *store.AttributeStat, v string) { as.AttrTypes = append(as.AttrTypes, v) }},
		{`SELECT DISTINCT a.name, t.type FROM entity_attrs a JOIN entity_types t ON t.pk = a.pk
			WHERE a.tid = $1` + filter + ` ORDER BY 1, 2`,
			func(as *store.AttributeStat, v string) { as.TypeNames = append(as.TypeNames, v) }},
	}
	for _, d := range details {
		rows, err := r.query(d.q, args...)
		if err != nil {
			return nil, fmt.Errorf("postgres: attributes: %w", err)
		}
		var name, v string
		_, err = pgx.ForEachRow(rows, []any{&name, &v}, func() error {
			d.add(&out[byName[name]], v)
			return nil
		})
		if err != nil {
			return nil, wrap("attributes", err)
		}
	}
	return out, nil
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("postgres: %s: %w", what, err)
}
