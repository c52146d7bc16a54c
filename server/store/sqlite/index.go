package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// The rows of the query indexes of one entity (schema version 2), computed
// in Go from the entity and written with its row.

// Statements that maintain the indexes of schema version 2.
const (
	sqlTypeNo    = `SELECT tno FROM types WHERE tid = ? AND type = ?`
	sqlAddTypeNo = `INSERT INTO types (tid, type) VALUES (?, ?) RETURNING tno`
	sqlAttrNo    = `SELECT ano FROM attr_names WHERE tid = ? AND name = ?`
	sqlAddAttrNo = `INSERT INTO attr_names (tid, name) VALUES (?, ?) RETURNING ano`
	sqlAddScopes = `INSERT OR IGNORE INTO entity_scopes (tid, scope, pk) SELECT ?1, value, ?2 FROM json_each(?3)`
	sqlAddBox    = `INSERT INTO geo_boxes (pk) VALUES (?) RETURNING id`
	sqlAddRTree  = `INSERT INTO geo_rtree (id, minx, maxx, miny, maxy, minz, maxz, pk, tid, name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	sqlDelValues = `DELETE FROM attr_values WHERE pk = ?`
	sqlDelBoxes  = `DELETE FROM geo_boxes WHERE pk = ?`
	sqlDelScopes = `DELETE FROM entity_scopes WHERE pk = ?`
)

// valuesInsert writes attr_values rows (valueRows, once per type number).
// valuesUpsert writes rows that may replace existing ones (indexer.update).
var (
	valuesInsert = newMultiRow(`INSERT INTO attr_values (pk, tno, seq, ano, num, str) VALUES`, 6, "")
	valuesUpsert = newMultiRow(`INSERT INTO attr_values (pk, tno, seq, ano, num, str) VALUES`, 6,
		`ON CONFLICT (pk, tno, seq) DO UPDATE SET ano = excluded.ano, num = excluded.num, str = excluded.str`)
)

// valuesUpdate changes the value of rows that exist, (pk, tno, seq, num,
// str) each.
var valuesUpdate = newMultiRow(`UPDATE attr_values SET num = v.column4, str = v.column5 FROM (VALUES`, 5,
	`) AS v WHERE attr_values.pk = v.column1 AND attr_values.tno = v.column2 AND attr_values.seq = v.column3`)

// sqlDelValuesFrom deletes the value rows of an entity from a rank on.
const sqlDelValuesFrom = `DELETE FROM attr_values WHERE pk = ? AND seq >= ?`

// indexState is what indexer.update needs to know of the index rows an
// entity has: its value rows, and whether it has scope and geometry rows.
type indexState struct {
	vals          []sqlindex.ValueRow
	scoped, boxed bool
}

func indexStateOf(e *ngsild.Entity, vals []sqlindex.ValueRow) indexState {
	return indexState{vals: vals, scoped: len(e.Scope) > 0, boxed: len(boxRows(e)) > 0}
}

// sameValue reports whether two value rows are stored alike.
func sameValue(a, b sqlindex.ValueRow) bool {
	if a.Name != b.Name || (a.Num == nil) != (b.Num == nil) || (a.Str == nil) != (b.Str == nil) {
		return false
	}
	if a.Num != nil && math.Float64bits(*a.Num) != math.Float64bits(*b.Num) {
		return false
	}
	return a.Str == nil || *a.Str == *b.Str
}

// execer runs statements: a transaction, or the writer's prepared
// statements bound to its transaction.
type execer interface {
	exec(q string, args ...any) (sql.Result, error)
	queryRow(q string, args ...any) *sql.Row
}

// indexer writes the rows of the query indexes. It keeps the type and
// attribute numbers it has seen in its transaction, and finds others in
// numbers when set (the writer's caches).
type indexer struct {
	ex      execer
	nums    map[numKey]int64
	numbers interface {
		get(numKey) (int64, bool)
		set(numKey, int64)
	}
	// pending holds the changes of value rows in place that update
	// queued, 5 values per row (valuesUpdate): a batch of entities
	// writes them in a few statements. flush writes them; every other
	// statement on attr_values, and every read of it, comes after a
	// flush.
	pending []any
}

// numKey names a type (tno) or an attribute (ano) of a tenant.
type numKey struct {
	attr bool
	tid  int64
	name string
}

// flush writes the queued changes of value rows.
func (ix *indexer) flush() error {
	if len(ix.pending) == 0 {
		return nil
	}
	err := execRows(ix.ex, valuesUpdate, ix.pending)
	ix.pending = ix.pending[:0]
	if err != nil {
		return fmt.Errorf("values: %w", err)
	}
	return nil
}

// number returns the number of the type or attribute name in the tenant,
// allocating it when new.
func (ix *indexer) number(k numKey) (int64, error) {
	if n, ok := ix.nums[k]; ok {
		return n, nil
	}
	n, cached := int64(0), false
	if ix.numbers != nil {
		n, cached = ix.numbers.get(k)
	}
	if !cached {
		sel, add := sqlTypeNo, sqlAddTypeNo
		if k.attr {
			sel, add = sqlAttrNo, sqlAddAttrNo
		}
		err := ix.ex.queryRow(sel, k.tid, k.name).Scan(&n)
		if err == sql.ErrNoRows {
			err = ix.ex.queryRow(add, k.tid, k.name).Scan(&n)
		}
		if err != nil {
			return 0, err
		}
		if ix.numbers != nil {
			ix.numbers.set(k, n)
		}
	}
	if ix.nums == nil {
		ix.nums = map[numKey]int64{}
	}
	ix.nums[k] = n
	return n, nil
}

// appendValueRow appends the columns of an attr_values row (valuesInsert,
// valuesUpsert) to args.
func (ix *indexer) appendValueRow(args []any, tid, pk, tno int64, seq int, v sqlindex.ValueRow) ([]any, error) {
	ano, err := ix.number(numKey{attr: true, tid: tid, name: v.Name})
	if err != nil {
		return nil, fmt.Errorf("attribute number: %w", err)
	}
	return append(args, pk, tno, seq, ano, v.Num, v.Str), nil
}

// add writes the index rows of e, stored with key pk in tenant tid. The
// entity's previous rows, if any, must have been removed.
func (ix *indexer) add(tid, pk int64, e *ngsild.Entity, vals []sqlindex.ValueRow) error {
	if err := ix.flush(); err != nil {
		return err
	}
	tnos, err := ix.typeNos(tid, e)
	if err != nil {
		return err
	}
	if len(vals) > 0 {
		args := make([]any, 0, valuesInsert.cols*len(vals)*len(tnos))
		for _, tno := range tnos {
			for seq, v := range vals {
				if args, err = ix.appendValueRow(args, tid, pk, tno, seq, v); err != nil {
					return err
				}
			}
		}
		if err := execRows(ix.ex, valuesInsert, args); err != nil {
			return fmt.Errorf("values: %w", err)
		}
	}
	return ix.addScopesBoxes(tid, pk, e, tnos)
}

// update brings the index rows of e, stored with key pk in tenant tid, up
// to date from old, the state of its rows, whose types are e's: it writes
// only the value rows that changed and removes scope and geometry rows
// only when there are some.
func (ix *indexer) update(tid, pk int64, e *ngsild.Entity, vals []sqlindex.ValueRow, old indexState) error {
	tnos, err := ix.typeNos(tid, e)
	if err != nil {
		return err
	}
	// A row of the same attribute that holds another value is changed in
	// place, queued (flush); the others are written whole, now. The rows
	// of the two kinds are distinct, and distinct from the rows deleted.
	// The keys are boxed once for all the rows of the entity.
	var args []any
	pkv := any(pk)
	for _, tno := range tnos {
		tnov := any(tno)
		for seq, v := range vals {
			switch {
			case seq < len(old.vals) && sameValue(old.vals[seq], v):
			case seq < len(old.vals) && old.vals[seq].Name == v.Name:
				ix.pending = append(ix.pending, pkv, tnov, seq, v.Num, v.Str)
			default:
				if args, err = ix.appendValueRow(args, tid, pk, tno, seq, v); err != nil {
					return err
				}
			}
		}
	}
	if len(old.vals) > len(vals) || len(args) > 0 {
		if err := ix.flush(); err != nil {
			return err
		}
	}
	if len(old.vals) > len(vals) {
		if _, err := ix.ex.exec(sqlDelValuesFrom, pk, len(vals)); err != nil {
			return fmt.Errorf("values: %w", err)
		}
	}
	if err := execRows(ix.ex, valuesUpsert, args); err != nil {
		return fmt.Errorf("values: %w", err)
	}
	if old.boxed {
		if _, err := ix.ex.exec(sqlDelBoxes, pk); err != nil {
			return err
		}
	}
	if old.scoped {
		if _, err := ix.ex.exec(sqlDelScopes, pk); err != nil {
			return err
		}
	}
	return ix.addScopesBoxes(tid, pk, e, tnos)
}

// typeNos returns the type numbers e's index rows are written under.
func (ix *indexer) typeNos(tid int64, e *ngsild.Entity) ([]int64, error) {
	types := distinctTypes(e)
	tnos := make([]int64, 0, len(types))
	for _, t := range types {
		n, err := ix.number(numKey{tid: tid, name: t})
		if err != nil {
			return nil, fmt.Errorf("type number: %w", err)
		}
		tnos = append(tnos, n)
	}
	if len(tnos) == 0 {
		// An entity without a type is indexed under type number 0, which
		// no type has.
		tnos = append(tnos, 0)
	}
	return tnos, nil
}

// addScopesBoxes writes the scope and geometry rows of e.
func (ix *indexer) addScopesBoxes(tid, pk int64, e *ngsild.Entity, tnos []int64) error {
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
	if err := ix.flush(); err != nil {
		return err
	}
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
			if err := ix.add(s.tid, s.pk, s.e, valueRows(s.e)); err != nil {
				return fmt.Errorf("reindex %q: %w", s.e.ID, err)
			}
		}
		last = list[len(list)-1].pk
	}
}
