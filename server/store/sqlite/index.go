package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/opentid/opentid/server/ngsild"
)

// The rows of the query indexes of one entity (schema version 2), computed
// in Go from the entity and written with its row.

// valueRow is one comparable value of a top-level attribute: a row of
// attr_values without its tenant, type and entity. Num and Str are nil
// when absent (JSON null in the array handed to SQLite).
type valueRow struct {
	Name string
	Num  *float64
	Str  *string
}

func (v valueRow) MarshalJSON() ([]byte, error) {
	return json.Marshal([]any{v.Name, v.Num, v.Str})
}

// valueRows lists the comparable values of e's top-level attributes, for
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
func valueRows(e *ngsild.Entity) []valueRow {
	var rows []valueRow
	for _, name := range sortedNames(e.Attrs) {
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

func appendValues(rows []valueRow, name string, v any, languageMap bool, depth int) []valueRow {
	if depth > maxValueDepth {
		return rows
	}
	switch v := v.(type) {
	case string:
		s := v
		row := valueRow{Name: name, Str: &s}
		if t, ok := parseDateTime(v); ok {
			row.Num = &t
		}
		return append(rows, row)
	case bool:
		var f float64
		if v {
			f = 1
		}
		return append(rows, valueRow{Name: name, Num: &f})
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
			for _, k := range sortedNames(v) {
				rows = appendValues(rows, name, v[k], false, depth+1)
			}
		}
		return rows
	}
	if f, ok := number(v); ok {
		return append(rows, valueRow{Name: name, Num: &f})
	}
	return rows
}

// number converts the numbers a decoded entity can hold to float64.
func number(v any) (float64, bool) {
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

// parseDateTime reads an RFC 3339 date-time (with its offset) as Unix
// seconds. Dates and times of day alone are not read: their instant
// depends on conventions that only the function-based evaluation applies,
// so their rows keep num NULL and date-time comparisons always consider
// them.
func parseDateTime(s string) (float64, bool) {
	if len(s) < len("2006-01-02T15:04:05Z") || s[4] != '-' || (s[10] != 'T' && s[10] != 't') {
		return 0, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, false
	}
	return unixSeconds(t), true
}

// unixSeconds is the instant of t as it is stored in attr_values.num.
func unixSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// box is a bounding box in longitude and latitude.
type box struct{ MinX, MaxX, MinY, MaxY float64 }

// boxRow is one GeoProperty instance's box, without its types.
type boxRow struct {
	Name string
	Box  box
}

// boxRows lists the bounding box of every GeoProperty instance of e.
func boxRows(e *ngsild.Entity) []boxRow {
	var rows []boxRow
	for _, name := range sortedNames(e.Attrs) {
		for _, a := range e.Attrs[name] {
			if a == nil || a.Type != ngsild.TypeGeoProperty {
				continue
			}
			if b, ok := geometryBox(a.Value); ok {
				rows = append(rows, boxRow{Name: name, Box: b})
			}
		}
	}
	return rows
}

// geometryBox is the bounding box of a GeoJSON geometry value (every
// position of its coordinates, of all the members of a collection). A
// geometry whose box spans more than 180 degrees of longitude may cross
// the antimeridian; its box covers all longitudes, so that every reading
// of it is inside.
func geometryBox(v any) (box, bool) {
	b := box{MinX: math.Inf(1), MaxX: math.Inf(-1), MinY: math.Inf(1), MaxY: math.Inf(-1)}
	walkGeometry(v, &b, 0)
	if b.MinX > b.MaxX {
		return box{}, false
	}
	if b.MaxX-b.MinX > 180 {
		b.MinX, b.MaxX = -180, 180
	}
	return b, true
}

func walkGeometry(v any, b *box, depth int) {
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
func walkPositions(v any, b *box, depth int) {
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
	x, okx := number(list[0])
	y, oky := number(list[1])
	return [2]float64{x, y}, okx && oky
}

func (b *box) extend(p [2]float64) {
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

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// Statements that maintain the indexes of schema version 2.
const (
	sqlTypeNo    = `SELECT tno FROM types WHERE tid = ? AND type = ?`
	sqlAddTypeNo = `INSERT INTO types (tid, type) VALUES (?, ?) RETURNING tno`
	sqlAddValues = `INSERT INTO attr_values (pk, tno, seq, tid, name, num, str) SELECT ?2, t.value, v.key, ?1, v.value->>0, v.value->>1, v.value->>2 FROM json_each(?3) v, json_each(?4) t`
	sqlAddScopes = `INSERT OR IGNORE INTO entity_scopes (tid, scope, pk) SELECT ?1, value, ?2 FROM json_each(?3)`
	sqlAddBox    = `INSERT INTO geo_boxes (pk) VALUES (?) RETURNING id`
	sqlAddRTree  = `INSERT INTO geo_rtree (id, minx, maxx, miny, maxy, minz, maxz, pk, tid, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlDelValues = `DELETE FROM attr_values WHERE pk = ?`
	sqlDelBoxes  = `DELETE FROM geo_boxes WHERE pk = ?`
	sqlDelScopes = `DELETE FROM entity_scopes WHERE pk = ?`
)

// execer runs statements: a transaction, or the writer's prepared
// statements bound to its transaction.
type execer interface {
	exec(q string, args ...any) (sql.Result, error)
	queryRow(q string, args ...any) *sql.Row
}

// indexer writes the rows of the query indexes. It caches the type
// numbers it has seen in its transaction.
type indexer struct {
	ex  execer
	tno map[[2]any]int64 // (tid, type) -> tno
}

// typeNo returns the number of the type in the tenant, allocating it when
// new.
func (ix *indexer) typeNo(tid int64, typ string) (int64, error) {
	key := [2]any{tid, typ}
	if n, ok := ix.tno[key]; ok {
		return n, nil
	}
	var n int64
	err := ix.ex.queryRow(sqlTypeNo, tid, typ).Scan(&n)
	if err == sql.ErrNoRows {
		err = ix.ex.queryRow(sqlAddTypeNo, tid, typ).Scan(&n)
	}
	if err != nil {
		return 0, err
	}
	if ix.tno == nil {
		ix.tno = map[[2]any]int64{}
	}
	ix.tno[key] = n
	return n, nil
}

// add writes the index rows of e, stored with key pk in tenant tid. The
// entity's previous rows, if any, must have been removed.
func (ix *indexer) add(tid, pk int64, e *ngsild.Entity) error {
	types := distinctTypes(e)
	tnos := make([]int64, 0, len(types))
	for _, t := range types {
		n, err := ix.typeNo(tid, t)
		if err != nil {
			return fmt.Errorf("type number: %w", err)
		}
		tnos = append(tnos, n)
	}
	if len(tnos) == 0 {
		// An entity without a type is indexed under type number 0, which
		// no type has.
		tnos = append(tnos, 0)
	}
	if vals := valueRows(e); len(vals) > 0 {
		v, err := json.Marshal(vals)
		if err != nil {
			return err
		}
		t, err := json.Marshal(tnos)
		if err != nil {
			return err
		}
		if _, err := ix.ex.exec(sqlAddValues, tid, pk, v, t); err != nil {
			return fmt.Errorf("values: %w", err)
		}
	}
	if len(e.Scope) > 0 {
		scopes := make([]string, len(e.Scope))
		for i, sc := range e.Scope {
			scopes[i] = normalScope(sc)
		}
		s, err := json.Marshal(scopes)
		if err != nil {
			return err
		}
		if _, err := ix.ex.exec(sqlAddScopes, tid, pk, s); err != nil {
			return fmt.Errorf("scopes: %w", err)
		}
	}
	for _, b := range boxRows(e) {
		for _, tno := range tnos {
			var id int64
			if err := ix.ex.queryRow(sqlAddBox, pk).Scan(&id); err != nil {
				return fmt.Errorf("geometry: %w", err)
			}
			z := float64(tno)
			if _, err := ix.ex.exec(sqlAddRTree, id, b.Box.MinX, b.Box.MaxX, b.Box.MinY, b.Box.MaxY, z, z, pk, tid, b.Name); err != nil {
				return fmt.Errorf("geometry: %w", err)
			}
		}
	}
	return nil
}

// remove deletes the index rows of schema version 2 of entity pk (used on
// replacement; deletion of the entity cascades).
func (ix *indexer) remove(pk int64) error {
	for _, q := range []string{sqlDelValues, sqlDelBoxes, sqlDelScopes} {
		if _, err := ix.ex.exec(q, pk); err != nil {
			return err
		}
	}
	return nil
}

// txExecer runs statements directly on a transaction (the migration).
type txExecer struct {
	ctx context.Context
	tx  *sql.Tx
}

func (t txExecer) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, q, args...)
}

func (t txExecer) queryRow(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, q, args...)
}

// reindexAll fills the indexes of schema version 2 from the stored
// entities (migration 2). Entities are read in batches by pk, so that
// the read and the writes do not interleave on one statement.
func reindexAll(ctx context.Context, tx *sql.Tx) error {
	ix := &indexer{ex: txExecer{ctx, tx}}
	const batch = 500
	last := int64(-1)
	for {
		type stored struct {
			pk, tid int64
			e       *ngsild.Entity
		}
		var list []stored
		rows, err := tx.QueryContext(ctx, `SELECT pk, tid, id, data FROM entities WHERE pk > ? ORDER BY pk LIMIT ?`, last, batch)
		if err != nil {
			return err
		}
		err = scanRows(rows, func(r *sql.Rows) error {
			var s stored
			var id string
			var data []byte
			if err := r.Scan(&s.pk, &s.tid, &id, &data); err != nil {
				return err
			}
			e, err := decode(id, data)
			if err != nil {
				return err
			}
			s.e = e
			list = append(list, s)
			return nil
		})
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		for _, s := range list {
			if err := ix.add(s.tid, s.pk, s.e); err != nil {
				return fmt.Errorf("reindex %q: %w", s.e.ID, err)
			}
		}
		last = list[len(list)-1].pk
	}
}
