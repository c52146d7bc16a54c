package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// Statements run often enough to be prepared once per connection.
const (
	sqlTenantID  = `SELECT tid FROM tenants WHERE name = ?`
	sqlGet       = `SELECT data FROM entities WHERE tid = ? AND id = ?`
	sqlLookupPK  = `SELECT pk FROM entities WHERE tid = ? AND id = ?`
	sqlGetPK     = `SELECT pk, data FROM entities WHERE tid = ? AND id = ?`
	sqlInsert    = `INSERT INTO entities (tid, id, data, created_at, modified_at) VALUES (?, ?, ?, ?, ?)`
	sqlDelTypes  = `DELETE FROM entity_types WHERE pk = ?`
	sqlDelAttrs  = `DELETE FROM entity_attrs WHERE pk = ?`
	sqlAddTypes  = `INSERT INTO entity_types (tid, type, pk) SELECT ?1, value, ?2 FROM json_each(?3)`
	sqlAddAttrs  = `INSERT INTO entity_attrs (tid, name, pk, attr_type) SELECT ?1, value->>0, ?2, value->>1 FROM json_each(?3)`
	sqlDelEntity = `DELETE FROM entities WHERE tid = ? AND id = ?`
)

var (
	readStatements  = append([]string{sqlTenantID, sqlGet, sqlDueCheck, sqlNextDue, sqlSubscriptionGen}, temporalReadStatements...)
	writeStatements = append([]string{sqlTenantID, sqlGet, sqlLookupPK, sqlGetPK, sqlInsert, sqlDelTypes, sqlDelAttrs, sqlAddTypes, sqlAddAttrs, sqlDelEntity,
		sqlSubscriptionGen, sqlTypeNo, sqlAddTypeNo, sqlAttrNo, sqlAddAttrNo, sqlAddScopes, sqlAddBox, sqlAddRTree, sqlDelValues, sqlDelValuesFrom, sqlDelBoxes, sqlDelScopes,
		sqlSavepoint, sqlRelease, sqlRollbackTo}, slices.Concat(outboxStatements, valuesInsert.statements(), valuesUpsert.statements(), valuesUpdate.statements(), entitiesUpdate.statements(), temporalStatements())...)
)

// statements are prepared statements of one *sql.DB, by SQL text.
type statements map[string]*sql.Stmt

func prepare(ctx context.Context, db *sql.DB, write bool) (statements, error) {
	list := readStatements
	if write {
		list = writeStatements
	}
	st := statements{}
	for _, q := range list {
		p, err := db.PrepareContext(ctx, q)
		if err != nil {
			st.close()
			return nil, fmt.Errorf("sqlite: prepare: %w", err)
		}
		st[q] = p
	}
	return st, nil
}

func (st statements) close() {
	for _, p := range st {
		p.Close()
	}
}

// reader implements store.Reader on a transaction.
type reader struct {
	ctx context.Context
	tx  *sql.Tx
	st  *statements
	// bound holds the statements of st bound to tx, made on first use.
	bound map[string]*sql.Stmt
	// tid is the tenant's key; 0 while the tenant does not exist, which
	// matches no row.
	tid int64
}

// stmt returns the prepared statement for q bound to the transaction, or
// nil when q is not a prepared one.
func (r *reader) stmt(q string) *sql.Stmt {
	if s := r.bound[q]; s != nil {
		return s
	}
	p := (*r.st)[q]
	if p == nil {
		return nil
	}
	if r.bound == nil {
		r.bound = map[string]*sql.Stmt{}
	}
	s := r.tx.StmtContext(r.ctx, p)
	r.bound[q] = s
	return s
}

func (r *reader) query(q string, args ...any) (*sql.Rows, error) {
	if s := r.stmt(q); s != nil {
		return s.QueryContext(r.ctx, args...)
	}
	return r.tx.QueryContext(r.ctx, q, args...)
}

func (r *reader) queryRow(q string, args ...any) *sql.Row {
	if s := r.stmt(q); s != nil {
		return s.QueryRowContext(r.ctx, args...)
	}
	return r.tx.QueryRowContext(r.ctx, q, args...)
}

func (r *reader) exec(q string, args ...any) (sql.Result, error) {
	if s := r.stmt(q); s != nil {
		return s.ExecContext(r.ctx, args...)
	}
	return r.tx.ExecContext(r.ctx, q, args...)
}

// lookupTenant sets r.tid, to 0 when the tenant does not exist.
func (r *reader) lookupTenant(name string) error {
	err := r.queryRow(sqlTenantID, name).Scan(&r.tid)
	if errors.Is(err, sql.ErrNoRows) {
		r.tid = 0
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlite: tenant %q: %w", name, err)
	}
	return nil
}

// Get returns the entity with this id.
func (r *reader) Get(id string) (*ngsild.Entity, error) {
	var data []byte
	err := r.queryRow(sqlGet, r.tid, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: entity %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %q: %w", id, err)
	}
	return decode(id, data)
}

// writer implements store.Tx on the write transaction of an Update.
type writer struct {
	reader
	tenant string
	ix     indexer
	// sigs holds the type and attribute index rows of the entities read
	// or written by this writer, by id (see Get).
	sigs map[string]indexSig
	// pending holds the instances AddInstances collected, not written yet
	// (flushInstances).
	pending instanceBatch
	// caches are the store's caches, group the overlay of the group
	// commit and mine this caller's (cache.go).
	caches *caches
	group  *txCaches
	mine   txCaches
	// recent is the store's state of hist_recent (recent.go).
	recent *recentState
	// rewrites queues the new rows of entities that exist, (pk, data,
	// created, modified) each, one per entity (rewriteAt: pk -> its
	// place), written together by flushEntities.
	rewrites  []any
	rewriteAt map[int64]int
	// rewriteBufs are the buffers of the queued rows' data, given back to
	// bufs, the store's, once they are written (buffers.go).
	rewriteBufs []*[]byte
	bufs        *buffers
}

// entitiesUpdate rewrites entity rows, (pk, data, created, modified) each.
var entitiesUpdate = newMultiRow(`UPDATE entities SET data = v.column2, created_at = v.column3, modified_at = v.column4 FROM (VALUES`, 4,
	`) AS v WHERE entities.pk = v.column1`)

// queueEntity queues the new row of entity pk; a later one of the same
// entity replaces it.
func (w *writer) queueEntity(pk int64, data []byte, created, modified int64) {
	if i, ok := w.rewriteAt[pk]; ok {
		w.rewrites[i+1], w.rewrites[i+2], w.rewrites[i+3] = data, created, modified
		return
	}
	if w.rewriteAt == nil {
		w.rewriteAt = map[int64]int{}
	}
	w.rewriteAt[pk] = len(w.rewrites)
	w.rewrites = append(w.rewrites, pk, data, created, modified)
}

// flushEntities writes the queued entity rows and the queued value rows:
// every read of those tables in SQL, and the end of the caller's work,
// come after it.
func (w *writer) flushEntities() error {
	if len(w.rewrites) > 0 {
		err := execRows(&w.reader, entitiesUpdate, w.rewrites)
		clear(w.rewrites)
		w.rewrites, w.rewriteAt = w.rewrites[:0], nil
		for _, b := range w.rewriteBufs {
			w.bufs.bytes.put(b)
		}
		w.rewriteBufs = w.rewriteBufs[:0]
		if err != nil {
			return fmt.Errorf("sqlite: replace entities: %w", err)
		}
	}
	return w.ix.flush()
}

// indexSig is what the entity_types and entity_attrs rows of an entity
// are made of: its distinct types and its (name, attribute type) pairs;
// and the state of its other index rows (indexer.update).
type indexSig struct {
	types []string
	attrs [][2]string
	ix    indexState
	pk    int64 // the entity's row
}

func sigOf(e *ngsild.Entity) indexSig {
	return indexSig{types: distinctTypes(e), attrs: attrRows(e)}
}

// Get reads an entity and remembers its type and attribute index rows,
// so that a replacement of it in this transaction (the usual next step)
// rewrites them only when they change.
func (w *writer) Get(id string) (*ngsild.Entity, error) {
	if e, ok := w.cachedEntity(id); ok {
		return e, nil
	}
	if err := w.flushEntities(); err != nil {
		return nil, err
	}
	var pk int64
	var data []byte
	err := w.queryRow(sqlGetPK, w.tid, id).Scan(&pk, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: entity %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: get %q: %w", id, err)
	}
	e, err := decode(id, data)
	if err == nil {
		sig := sigOf(e)
		sig.ix = indexStateOf(e, valueRows(e))
		sig.pk = pk
		w.remember(id, sig)
		w.cacheEntity(e, sig)
	}
	return e, err
}

func (w *writer) remember(id string, sig indexSig) {
	if w.sigs == nil {
		w.sigs = map[string]indexSig{}
	}
	w.sigs[id] = sig
}

// Put creates or replaces e and rewrites its index rows. A replacement
// keeps the entity's pk, hence its place in creation order.
func (w *writer) Put(e *ngsild.Entity) error {
	if e == nil || e.ID == "" {
		return errors.New("sqlite: put: entity without id")
	}
	buf := w.bufs.bytes.get()
	data, err := ngsild.AppendEntity(*buf, e)
	if err != nil {
		return fmt.Errorf("sqlite: encode entity %q: %w", e.ID, err)
	}
	*buf = data
	sig := sigOf(e)
	// The tenant is created by its first write, in this transaction.
	if err := w.ensureTenant(); err != nil {
		return err
	}
	// Until the rows are all written, the cache does not know them.
	w.mine.ents.forget(w.cacheKey(e.ID))
	vals := valueRows(e)
	sig.ix = indexStateOf(e, vals)
	created, modified := e.CreatedAt.UnixMicro(), e.ModifiedAt.UnixMicro()

	var pk int64
	addTypes, addAttrs := true, true
	// The other index rows are updated from their known state when the
	// entity's types are unchanged, else removed and written again.
	var oldIndex *indexState
	if old, known := w.sigs[e.ID]; known {
		pk = old.pk
	} else {
		err = w.queryRow(sqlLookupPK, w.tid, e.ID).Scan(&pk)
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := w.exec(sqlInsert, w.tid, e.ID, data, created, modified)
		w.bufs.bytes.put(buf)
		if err != nil {
			return fmt.Errorf("sqlite: insert %q: %w", e.ID, err)
		}
		if pk, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: insert %q: %w", e.ID, err)
		}
		sig.pk = pk
	case err != nil:
		return fmt.Errorf("sqlite: put %q: %w", e.ID, err)
	default:
		old, known := w.sigs[e.ID]
		addTypes = !known || !slices.Equal(old.types, sig.types)
		addAttrs = !known || !slices.Equal(old.attrs, sig.attrs)
		w.queueEntity(pk, data, created, modified)
		w.rewriteBufs = append(w.rewriteBufs, buf)
		var q [][]any
		if addTypes {
			q = append(q, []any{sqlDelTypes, pk})
		}
		if addAttrs {
			q = append(q, []any{sqlDelAttrs, pk})
		}
		for _, q := range q {
			if _, err := w.exec(q[0].(string), q[1:]...); err != nil {
				return fmt.Errorf("sqlite: replace %q: %w", e.ID, err)
			}
		}
		sig.pk = pk
		if known && !addTypes {
			oldIndex = &old.ix
		} else if err := w.ix.remove(pk); err != nil {
			return fmt.Errorf("sqlite: replace %q: %w", e.ID, err)
		}
	}
	// Whatever fails below fails the caller's transaction: the rows are
	// known from now on.
	delete(w.sigs, e.ID)

	// The index rows go to SQLite as JSON arrays (json_each).
	if addTypes && len(sig.types) > 0 {
		types, err := json.Marshal(sig.types)
		if err == nil {
			_, err = w.exec(sqlAddTypes, w.tid, pk, types)
		}
		if err != nil {
			return fmt.Errorf("sqlite: index types of %q: %w", e.ID, err)
		}
	}
	if addAttrs && len(sig.attrs) > 0 {
		attrs, err := json.Marshal(sig.attrs)
		if err == nil {
			_, err = w.exec(sqlAddAttrs, w.tid, pk, attrs)
		}
		if err != nil {
			return fmt.Errorf("sqlite: index attributes of %q: %w", e.ID, err)
		}
	}
	if oldIndex != nil {
		err = w.ix.update(w.tid, pk, e, vals, *oldIndex)
	} else {
		err = w.ix.add(w.tid, pk, e, vals)
	}
	if err != nil {
		return fmt.Errorf("sqlite: index %q: %w", e.ID, err)
	}
	w.remember(e.ID, sig)
	w.cacheEntity(e, sig)
	return nil
}

// Delete removes the entity; its index rows go with it (ON DELETE CASCADE).
func (w *writer) Delete(id string) error {
	// The deletion takes the entity's value rows (a trigger).
	if err := w.flushEntities(); err != nil {
		return err
	}
	delete(w.sigs, id)
	w.mine.ents.forget(w.cacheKey(id))
	res, err := w.exec(sqlDelEntity, w.tid, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: delete %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: entity %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// Query runs q after writing the rows queued (flushEntities).
func (w *writer) Query(q store.EntityQuery) (store.QueryResult, error) {
	if err := w.flushEntities(); err != nil {
		return store.QueryResult{}, err
	}
	return w.reader.Query(q)
}
