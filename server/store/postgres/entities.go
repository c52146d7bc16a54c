package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// reader implements store.Reader on a transaction.
type reader struct {
	ctx context.Context
	tx  pgx.Tx
	s   *Store
	// tid is the tenant's key; 0 while the tenant does not exist, which
	// matches no row.
	tid int64
	// w is the writer when the transaction is one, so that reads send
	// the queued writes first.
	w *writer
}

// flush sends the writes queued by the writer, if any.
func (r *reader) flush() error {
	if r.w == nil {
		return nil
	}
	return r.w.flush()
}

func (r *reader) query(sql string, args ...any) (pgx.Rows, error) {
	if err := r.flush(); err != nil {
		return nil, err
	}
	return r.tx.Query(r.ctx, sql, args...)
}

func (r *reader) queryRow(sql string, args ...any) pgx.Row {
	if err := r.flush(); err != nil {
		return errRow{err}
	}
	return r.tx.QueryRow(r.ctx, sql, args...)
}

func (r *reader) exec(sql string, args ...any) (int64, error) {
	if err := r.flush(); err != nil {
		return 0, err
	}
	tag, err := r.tx.Exec(r.ctx, sql, args...)
	return tag.RowsAffected(), err
}

// errRow is a row whose Scan fails with err.
type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }

const sqlGet = `SELECT data FROM entities WHERE tid = $1 AND id = $2`

// Get returns the entity with this id.
func (r *reader) Get(id string) (*ngsild.Entity, error) {
	if r.w != nil {
		return r.w.getForUpdate(id)
	}
	return r.get(sqlGet, id)
}

func (r *reader) get(sql, id string) (*ngsild.Entity, error) {
	var data []byte
	err := r.queryRow(sql, r.tid, id).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: entity %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: get %q: %w", id, err)
	}
	return sqlindex.Decode(id, data)
}

// writer implements store.Tx on the transaction of an Update.
type writer struct {
	reader
	tenant string
	// batch holds the queued writes.
	batch pgx.Batch
	// notified: the transaction has signalled the outbox channel.
	notified bool
}

// maxQueued is the number of queued writes sent in one round trip.
const maxQueued = 256

// flush sends the queued writes in one round trip.
func (w *writer) flush() error {
	if w.batch.Len() == 0 {
		return nil
	}
	b := w.batch
	w.batch = pgx.Batch{}
	if err := w.tx.SendBatch(w.ctx, &b).Close(); err != nil {
		return fmt.Errorf("postgres: write: %w", err)
	}
	return nil
}

// getForUpdate reads an entity for a change: it locks the row, or, when
// the entity does not exist, its id (an advisory lock), and then reads
// again: a process that created it meanwhile has committed.
func (w *writer) getForUpdate(id string) (*ngsild.Entity, error) {
	e, err := w.get(sqlGet+` FOR UPDATE`, id)
	if !errors.Is(err, store.ErrNotFound) {
		return e, err
	}
	if _, err := w.exec(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, w.tenant+"\x1f"+id); err != nil {
		return nil, fmt.Errorf("postgres: lock %q: %w", id, err)
	}
	if w.tid == 0 {
		if w.tid, err = w.s.tenantID(w.ctx, w.tx, w.tenant); err != nil {
			return nil, err
		}
	}
	return w.get(sqlGet+` FOR UPDATE`, id)
}

// ensureTenant creates the writer's tenant when it does not exist yet.
func (w *writer) ensureTenant() error {
	if w.tid != 0 {
		return nil
	}
	err := w.queryRow(`INSERT INTO tenants (name) VALUES ($1)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING tid`, w.tenant).Scan(&w.tid)
	if err != nil {
		return fmt.Errorf("postgres: create tenant %q: %w", w.tenant, err)
	}
	return nil
}

// sqlPut upserts an entity and rewrites its index rows in one statement.
// The sub-statements share one snapshot: the deletions see the old rows
// only, the insertions add the new ones.
const sqlPut = `WITH e AS (
	INSERT INTO entities (tid, id, data, created_at, modified_at) VALUES ($1, $2, $3, $4, $5)
	ON CONFLICT (tid, id) DO UPDATE SET data = excluded.data, created_at = excluded.created_at, modified_at = excluded.modified_at
	RETURNING pk
), dt AS (DELETE FROM entity_types d USING e WHERE d.pk = e.pk
), da AS (DELETE FROM entity_attrs d USING e WHERE d.pk = e.pk
), dv AS (DELETE FROM attr_values d USING e WHERE d.pk = e.pk
), dg AS (DELETE FROM geo_boxes d USING e WHERE d.pk = e.pk
), ds AS (DELETE FROM entity_scopes d USING e WHERE d.pk = e.pk
), it AS (INSERT INTO entity_types (tid, type, nh, pk) SELECT $1, t.n, t.h, e.pk FROM e, unnest($6::text[], $19::bigint[]) t (n, h)
), ia AS (INSERT INTO entity_attrs (tid, name, nh, pk, attr_type) SELECT $1, a.n, a.h, e.pk, a.t FROM e, unnest($7::text[], $20::bigint[], $8::text[]) a (n, h, t)
), iv AS (INSERT INTO attr_values (pk, tid, name, nh, num, str) SELECT e.pk, $1, v.n, v.h, v.x, v.s FROM e, unnest($9::text[], $21::bigint[], $10::float8[], $11::text[]) v (n, h, x, s)
), ig AS (INSERT INTO geo_boxes (pk, tid, name, box, valid)
	SELECT e.pk, $1, g.n, box(point(g.x0, g.y0), point(g.x1, g.y1)), g.ok
	FROM e, unnest($12::text[], $13::float8[], $14::float8[], $15::float8[], $16::float8[], $17::bool[]) g (n, x0, y0, x1, y1, ok)
), isc AS (INSERT INTO entity_scopes (tid, scope, pk) SELECT DISTINCT $1, sc, e.pk FROM e, unnest($18::text[]) sc
)
SELECT 1`

// Put creates or replaces e and rewrites its index rows. The statement is
// queued; it is sent before the next read, or at commit.
func (w *writer) Put(e *ngsild.Entity) error {
	if e == nil || e.ID == "" {
		return errors.New("postgres: put: entity without id")
	}
	data, err := ngsild.MarshalEntity(e)
	if err != nil {
		return fmt.Errorf("postgres: encode entity %q: %w", e.ID, err)
	}
	if err := w.ensureTenant(); err != nil {
		return err
	}
	types := sqlindex.DistinctTypes(e)
	var an, at []string
	for _, r := range sqlindex.AttrRows(e) {
		an, at = append(an, r[0]), append(at, r[1])
	}
	var vn []string
	var vx []*float64
	var vs []*string
	for _, v := range sqlindex.ValueRows(e) {
		vn = append(vn, v.Name)
		vx = append(vx, v.Num)
		vs = append(vs, v.Str)
	}
	var gn []string
	var x0, y0, x1, y1 []float64
	var ok []bool
	for _, name := range sqlindex.SortedNames(e.Attrs) {
		for _, a := range e.Attrs[name] {
			if a == nil || a.Type != ngsild.TypeGeoProperty {
				continue
			}
			b, found := sqlindex.GeometryBox(a.Value)
			if !found {
				continue
			}
			_, valid := query.GeometryOf(a.Value)
			gn, ok = append(gn, name), append(ok, valid)
			x0, y0, x1, y1 = append(x0, b.MinX), append(y0, b.MinY), append(x1, b.MaxX), append(y1, b.MaxY)
		}
	}
	scopes := make([]string, len(e.Scope))
	for i, sc := range e.Scope {
		scopes[i] = sqlindex.NormalScope(sc)
	}
	w.batch.Queue(sqlPut, w.tid, e.ID, data, e.CreatedAt.UnixMicro(), e.ModifiedAt.UnixMicro(),
		types, an, at, vn, vx, vs, gn, x0, y0, x1, y1, ok, scopes, hashes(types), hashes(an), hashes(vn))
	if w.batch.Len() >= maxQueued {
		return w.flush()
	}
	return nil
}

// Delete removes the entity and its index rows.
func (w *writer) Delete(id string) error {
	var n int64
	err := w.queryRow(`WITH e AS (DELETE FROM entities WHERE tid = $1 AND id = $2 RETURNING pk
), dt AS (DELETE FROM entity_types d USING e WHERE d.pk = e.pk
), da AS (DELETE FROM entity_attrs d USING e WHERE d.pk = e.pk
), dv AS (DELETE FROM attr_values d USING e WHERE d.pk = e.pk
), dg AS (DELETE FROM geo_boxes d USING e WHERE d.pk = e.pk
), ds AS (DELETE FROM entity_scopes d USING e WHERE d.pk = e.pk
) SELECT count(*) FROM e`, w.tid, id).Scan(&n)
	if err != nil {
		return fmt.Errorf("postgres: delete %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: entity %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// nameHash is the key under which the index tables file a name: 64-bit
// FNV-1a of its bytes.
func nameHash(s string) int64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return int64(h.Sum64())
}

func hashes(names []string) []int64 {
	out := make([]int64, len(names))
	for i, n := range names {
		out[i] = nameHash(n)
	}
	return out
}
