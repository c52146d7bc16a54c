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
	sqlInsert    = `INSERT INTO entities (tid, id, data, created_at, modified_at) VALUES (?, ?, ?, ?, ?)`
	sqlUpdate    = `UPDATE entities SET data = ?, created_at = ?, modified_at = ? WHERE pk = ?`
	sqlDelTypes  = `DELETE FROM entity_types WHERE pk = ?`
	sqlDelAttrs  = `DELETE FROM entity_attrs WHERE pk = ?`
	sqlAddTypes  = `INSERT INTO entity_types (tid, type, pk) SELECT ?1, value, ?2 FROM json_each(?3)`
	sqlAddAttrs  = `INSERT INTO entity_attrs (tid, name, pk, attr_type) SELECT ?1, value->>0, ?2, value->>1 FROM json_each(?3)`
	sqlDelEntity = `DELETE FROM entities WHERE tid = ? AND id = ?`
)

var (
	readStatements  = append([]string{sqlTenantID, sqlGet}, temporalReadStatements...)
	writeStatements = append([]string{sqlTenantID, sqlGet, sqlLookupPK, sqlInsert, sqlUpdate, sqlDelTypes, sqlDelAttrs, sqlAddTypes, sqlAddAttrs, sqlDelEntity,
		sqlTypeNo, sqlAddTypeNo, sqlAddValues, sqlAddScopes, sqlAddBox, sqlAddRTree, sqlDelValues, sqlDelBoxes, sqlDelScopes,
		sqlSavepoint, sqlRelease, sqlRollbackTo}, slices.Concat(outboxStatements, temporalStatements())...)
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
}

// Put creates or replaces e and rewrites its index rows. A replacement
// keeps the entity's pk, hence its place in creation order.
func (w *writer) Put(e *ngsild.Entity) error {
	if e == nil || e.ID == "" {
		return errors.New("sqlite: put: entity without id")
	}
	data, err := ngsild.MarshalEntity(e)
	if err != nil {
		return fmt.Errorf("sqlite: encode entity %q: %w", e.ID, err)
	}
	// The tenant is created by its first write, in this transaction.
	if err := w.ensureTenant(); err != nil {
		return err
	}
	created, modified := e.CreatedAt.UnixMicro(), e.ModifiedAt.UnixMicro()

	var pk int64
	err = w.queryRow(sqlLookupPK, w.tid, e.ID).Scan(&pk)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		res, err := w.exec(sqlInsert, w.tid, e.ID, data, created, modified)
		if err != nil {
			return fmt.Errorf("sqlite: insert %q: %w", e.ID, err)
		}
		if pk, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("sqlite: insert %q: %w", e.ID, err)
		}
	case err != nil:
		return fmt.Errorf("sqlite: put %q: %w", e.ID, err)
	default:
		for _, q := range [][]any{
			{sqlUpdate, data, created, modified, pk},
			{sqlDelTypes, pk},
			{sqlDelAttrs, pk},
		} {
			if _, err := w.exec(q[0].(string), q[1:]...); err != nil {
				return fmt.Errorf("sqlite: replace %q: %w", e.ID, err)
			}
		}
		if err := w.ix.remove(pk); err != nil {
			return fmt.Errorf("sqlite: replace %q: %w", e.ID, err)
		}
	}

	if err := w.addIndexRows(sqlAddTypes, pk, distinctTypes(e)); err != nil {
		return fmt.Errorf("sqlite: index types of %q: %w", e.ID, err)
	}
	if err := w.addIndexRows(sqlAddAttrs, pk, attrRows(e)); err != nil {
		return fmt.Errorf("sqlite: index attributes of %q: %w", e.ID, err)
	}
	if err := w.ix.add(w.tid, pk, e); err != nil {
		return fmt.Errorf("sqlite: index %q: %w", e.ID, err)
	}
	return nil
}

// addIndexRows inserts the rows of one index table for entity pk, given as
// a JSON array in one statement.
func (w *writer) addIndexRows(q string, pk int64, rows any) error {
	v, err := json.Marshal(rows)
	if err != nil {
		return err
	}
	if string(v) == "[]" || string(v) == "null" {
		return nil
	}
	_, err = w.exec(q, w.tid, pk, v)
	return err
}

// Delete removes the entity; its index rows go with it (ON DELETE CASCADE).
func (w *writer) Delete(id string) error {
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
