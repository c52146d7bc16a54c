package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// temporalSchema is the migration step of the attribute histories.
//
// hist_entities gives each entity with a history a key (hid) and keeps
// its types; hist_series is one attribute instance series (attribute
// name and datasetId). hist_instances holds the instances, partitioned by
// time (ts: observedAt, else modifiedAt, in Unix microseconds) in one
// partition per month, created ahead of time at start; a default
// partition takes the instances of other months. Its primary key (series,
// time, instance number) makes the range of one series over an interval
// one index range in each partition the interval touches; partition
// pruning skips the others.
//
// An instance is stored compact when it can be (sqlindex.EncodeInstance):
// data is then NULL. num holds the numeric value of every instance that
// has one; aggregations read it in SQL.
const temporalSchema = `
CREATE TABLE hist_entities (
	hid   bigserial PRIMARY KEY,
	tid   integer NOT NULL REFERENCES tenants (tid),
	id    text COLLATE "C" NOT NULL,
	types text[] NOT NULL,
	UNIQUE (tid, id)
);
CREATE TABLE hist_series (
	sid     bigserial PRIMARY KEY,
	hid     bigint NOT NULL REFERENCES hist_entities (hid) ON DELETE CASCADE,
	name    text COLLATE "C" NOT NULL,
	dataset text COLLATE "C" NOT NULL,
	type    text NOT NULL,
	unit    text NOT NULL,
	UNIQUE (hid, name, dataset)
);
CREATE SEQUENCE hist_iids;
CREATE TABLE hist_instances (
	sid      bigint NOT NULL REFERENCES hist_series (sid) ON DELETE CASCADE,
	ts       bigint NOT NULL,
	iid      bigint NOT NULL,
	created  bigint NOT NULL,
	modified bigint,
	observed boolean NOT NULL,
	num      double precision,
	data     json,
	PRIMARY KEY (sid, ts, iid)
) PARTITION BY RANGE (ts);
CREATE INDEX hist_instances_by_iid ON hist_instances (iid);
CREATE TABLE hist_instances_default PARTITION OF hist_instances DEFAULT;
`

// ensurePartitions creates the monthly partitions of hist_instances from
// back months before now to ahead months after, under an advisory lock.
// A month whose instances already sit in the default partition keeps
// them there.
func (s *Store) ensurePartitions(ctx context.Context, now time.Time, back, ahead int) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: partitions: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('opentid partitions ' || current_schema(), 0))`); err != nil {
		return fmt.Errorf("postgres: partitions: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'hist_instances'::regclass`)
	if err != nil {
		return fmt.Errorf("postgres: partitions: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("postgres: partitions: %w", err)
	}
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -back, 0)
	for m := 0; m <= back+ahead; m++ {
		from, to := first.AddDate(0, m, 0), first.AddDate(0, m+1, 0)
		name := fmt.Sprintf("hist_instances_p%04d%02d", from.Year(), from.Month())
		if slices.Contains(names, name) {
			continue
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM hist_instances_default WHERE ts >= $1 AND ts < $2)`,
			from.UnixMicro(), to.UnixMicro()).Scan(&used); err != nil {
			return fmt.Errorf("postgres: partitions: %w", err)
		}
		if used {
			continue
		}
		// Bounds are integers we compute; DDL takes no parameters.
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF hist_instances FOR VALUES FROM (%d) TO (%d)`,
			name, from.UnixMicro(), to.UnixMicro())); err != nil {
			return fmt.Errorf("postgres: partition %s: %w", name, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: partitions: %w", err)
	}
	return nil
}

// series is one row of hist_series.
type series struct {
	sid           int64
	name, dataset string
	typ, unit     string
}

// histEntity returns the hid and types of entity id's history, hid 0 when
// it has none.
func (r *reader) histEntity(id string) (int64, []string, error) {
	var hid int64
	var types []string
	err := r.queryRow(`SELECT hid, types FROM hist_entities WHERE tid = $1 AND id = $2`, r.tid, id).Scan(&hid, &types)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("postgres: history of %q: %w", id, err)
	}
	return hid, types, nil
}

// instanceRows are the columns of instances to insert.
type instanceRows struct {
	sid, ts, iid, created []int64
	modified              []*int64
	observed              []bool
	num                   []*float64
	data                  []*string
}

func (rs *instanceRows) add(sid, iid int64, a *ngsild.Attribute, unit string, created, modified time.Time) error {
	row, err := sqlindex.EncodeInstance(unit, a)
	if err != nil {
		return err
	}
	var mod *int64
	if !modified.IsZero() && !modified.Equal(created) {
		m := modified.UnixMicro()
		mod = &m
	}
	if !row.Observed {
		row.TS = modified.UnixMicro()
	}
	var data *string
	if row.Data != nil {
		d := string(row.Data)
		data = &d
	}
	rs.sid, rs.ts, rs.iid, rs.created = append(rs.sid, sid), append(rs.ts, row.TS), append(rs.iid, iid), append(rs.created, created.UnixMicro())
	rs.modified, rs.observed, rs.num, rs.data = append(rs.modified, mod), append(rs.observed, row.Observed), append(rs.num, row.Num), append(rs.data, data)
	return nil
}

const sqlInsertInstances = `INSERT INTO hist_instances (sid, ts, iid, created, modified, observed, num, data)
SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bool[], $7::float8[], $8::json[])`

// queue queues the insertion of the rows.
func (w *writer) queueInstances(rs *instanceRows) {
	if len(rs.sid) > 0 {
		w.batch.Queue(sqlInsertInstances, rs.sid, rs.ts, rs.iid, rs.created, rs.modified, rs.observed, rs.num, rs.data)
	}
}

// AddInstances records instances of the attributes of entity id.
func (w *writer) AddInstances(id string, types []string, attrs map[string][]*ngsild.Attribute) error {
	if id == "" {
		return errors.New("postgres: add instances: entity without id")
	}
	if err := w.ensureTenant(); err != nil {
		return err
	}
	sorted := slices.Clone(types)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var hid int64
	err := w.queryRow(`INSERT INTO hist_entities (tid, id, types) VALUES ($1, $2, $3)
		ON CONFLICT (tid, id) DO UPDATE SET types = (SELECT array_agg(DISTINCT t COLLATE "C" ORDER BY t COLLATE "C") FROM unnest(hist_entities.types || excluded.types) t)
		RETURNING hid`, w.tid, id, sorted).Scan(&hid)
	if err != nil {
		return fmt.Errorf("postgres: history of %q: %w", id, err)
	}
	total := 0
	for _, list := range attrs {
		for _, a := range list {
			if a != nil {
				total++
			}
		}
	}
	if total == 0 {
		return nil
	}
	iids, err := w.reserveInstanceIDs(total)
	if err != nil {
		return err
	}
	var rs instanceRows
	for _, name := range sqlindex.SortedNames(attrs) {
		// The series of this attribute, by datasetId, in order of first
		// appearance; a series' type is its last instance's.
		var order []string
		last := map[string]*ngsild.Attribute{}
		firstUnit := map[string]string{}
		for _, a := range attrs[name] {
			if a == nil {
				continue
			}
			if _, ok := last[a.DatasetID]; !ok {
				order = append(order, a.DatasetID)
				firstUnit[a.DatasetID] = a.UnitCode
			}
			last[a.DatasetID] = a
		}
		sids := map[string]series{}
		for _, ds := range order {
			s := series{name: name, dataset: ds}
			err := w.queryRow(`INSERT INTO hist_series (hid, name, dataset, type, unit) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (hid, name, dataset) DO UPDATE SET type = excluded.type RETURNING sid, type, unit`,
				hid, name, ds, last[ds].Type, firstUnit[ds]).Scan(&s.sid, &s.typ, &s.unit)
			if err != nil {
				return fmt.Errorf("postgres: history of %q: %w", id, err)
			}
			sids[ds] = s
		}
		for _, a := range attrs[name] {
			if a == nil {
				continue
			}
			s := sids[a.DatasetID]
			if err := rs.add(s.sid, iids[0], a, s.unit, a.CreatedAt, a.ModifiedAt); err != nil {
				return fmt.Errorf("postgres: history of %q: %w", id, err)
			}
			iids = iids[1:]
		}
	}
	w.queueInstances(&rs)
	if w.batch.Len() >= maxQueued {
		return w.flush()
	}
	return nil
}

// reserveInstanceIDs takes n instance numbers, ascending.
func (w *writer) reserveInstanceIDs(n int) ([]int64, error) {
	rows, err := w.query(`SELECT nextval('hist_iids') FROM generate_series(1, $1)`, n)
	if err != nil {
		return nil, fmt.Errorf("postgres: number instances: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: number instances: %w", err)
	}
	slices.Sort(ids)
	return ids, nil
}

// lookupInstance resolves entity, attribute and instanceId.
func (r *reader) lookupInstance(id, name, instanceID string) (int64, series, int64, int64, error) {
	hid, _, err := r.histEntity(id)
	if err != nil {
		return 0, series{}, 0, 0, err
	}
	if hid == 0 {
		return 0, series{}, 0, 0, fmt.Errorf("postgres: history of %q: %w", id, store.ErrNotFound)
	}
	iid := sqlindex.ParseInstanceID(instanceID)
	if iid == 0 {
		return 0, series{}, 0, 0, fmt.Errorf("postgres: instance %q: %w", instanceID, store.ErrInstanceNotFound)
	}
	s := series{name: name}
	var ts int64
	err = r.queryRow(`SELECT s.sid, s.dataset, s.type, s.unit, i.ts FROM hist_series s JOIN hist_instances i ON i.sid = s.sid
		WHERE s.hid = $1 AND s.name = $2 AND i.iid = $3`, hid, name, iid).Scan(&s.sid, &s.dataset, &s.typ, &s.unit, &ts)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, series{}, 0, 0, fmt.Errorf("postgres: instance %q: %w", instanceID, store.ErrInstanceNotFound)
	}
	if err != nil {
		return 0, series{}, 0, 0, fmt.Errorf("postgres: instance %q: %w", instanceID, err)
	}
	return hid, s, iid, ts, nil
}

// PatchInstance replaces one instance, keeping its createdAt.
func (w *writer) PatchInstance(id, name, instanceID string, a *ngsild.Attribute) error {
	_, s, iid, ts, err := w.lookupInstance(id, name, instanceID)
	if err != nil {
		return err
	}
	var created int64
	if err := w.queryRow(`DELETE FROM hist_instances WHERE sid = $1 AND ts = $2 AND iid = $3 RETURNING created`, s.sid, ts, iid).Scan(&created); err != nil {
		return fmt.Errorf("postgres: patch %q: %w", instanceID, err)
	}
	b := *a
	b.DatasetID = s.dataset // an instance stays in its series
	var rs instanceRows
	if err := rs.add(s.sid, iid, &b, s.unit, time.UnixMicro(created).UTC(), a.ModifiedAt); err != nil {
		return fmt.Errorf("postgres: patch %q: %w", instanceID, err)
	}
	w.queueInstances(&rs)
	return nil
}

// DeleteInstance removes one instance.
func (w *writer) DeleteInstance(id, name, instanceID string) error {
	hid, s, iid, ts, err := w.lookupInstance(id, name, instanceID)
	if err != nil {
		return err
	}
	if _, err := w.exec(`DELETE FROM hist_instances WHERE sid = $1 AND ts = $2 AND iid = $3`, s.sid, ts, iid); err != nil {
		return fmt.Errorf("postgres: delete %q: %w", instanceID, err)
	}
	return w.dropEmpty([]int64{hid})
}

// dropEmpty removes the series of the entities hids that have no instance
// left, and the histories left without a series.
func (w *writer) dropEmpty(hids []int64) error {
	_, err := w.exec(`WITH gone AS (
		DELETE FROM hist_series s WHERE s.hid = ANY($1) AND NOT EXISTS (SELECT 1 FROM hist_instances i WHERE i.sid = s.sid) RETURNING s.sid, s.hid
	) DELETE FROM hist_entities e WHERE e.hid = ANY($1)
		AND NOT EXISTS (SELECT 1 FROM hist_series s WHERE s.hid = e.hid AND s.sid NOT IN (SELECT sid FROM gone))`, hids)
	if err != nil {
		return fmt.Errorf("postgres: drop empty histories: %w", err)
	}
	return nil
}

// DeleteHistory removes the history of an entity or of one attribute.
func (w *writer) DeleteHistory(id, name, datasetID string, allDatasets bool) error {
	hid, _, err := w.histEntity(id)
	if err != nil {
		return err
	}
	if hid == 0 {
		return fmt.Errorf("postgres: history of %q: %w", id, store.ErrNotFound)
	}
	var n int64
	switch {
	case name == "":
		n, err = w.exec(`DELETE FROM hist_entities WHERE hid = $1`, hid)
	case allDatasets:
		n, err = w.exec(`DELETE FROM hist_series WHERE hid = $1 AND name = $2`, hid, name)
	default:
		n, err = w.exec(`DELETE FROM hist_series WHERE hid = $1 AND name = $2 AND dataset = $3`, hid, name, datasetID)
	}
	if err != nil {
		return fmt.Errorf("postgres: delete history of %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: history of %q, attribute %q: %w", id, name, store.ErrNotFound)
	}
	return w.dropEmpty([]int64{hid})
}

// PurgeHistory removes up to max instances of the tenant older than
// cutoff, oldest first.
func (w *writer) PurgeHistory(cutoff time.Time, max int) (int, error) {
	if w.tid == 0 || max <= 0 {
		return 0, nil
	}
	rows, err := w.query(`WITH old AS (
		SELECT i.sid, i.ts, i.iid, s.hid FROM hist_instances i JOIN hist_series s ON s.sid = i.sid JOIN hist_entities e ON e.hid = s.hid
		WHERE e.tid = $1 AND i.ts < $2 ORDER BY i.ts, i.iid LIMIT $3
	), gone AS (
		DELETE FROM hist_instances i USING old WHERE i.sid = old.sid AND i.ts = old.ts AND i.iid = old.iid RETURNING old.hid
	) SELECT hid, count(*) FROM gone GROUP BY hid`, w.tid, cutoff.UnixMicro(), max)
	if err != nil {
		return 0, fmt.Errorf("postgres: purge: %w", err)
	}
	var hids []int64
	removed := 0
	var hid int64
	var n int
	if _, err := pgx.ForEachRow(rows, []any{&hid, &n}, func() error {
		hids, removed = append(hids, hid), removed+n
		return nil
	}); err != nil {
		return 0, fmt.Errorf("postgres: purge: %w", err)
	}
	if len(hids) > 0 {
		if err := w.dropEmpty(hids); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// timeColumns are the SQL expressions of the three time properties.
var timeColumns = [...]string{
	store.TimeObservedAt: "ts",
	store.TimeCreatedAt:  "created",
	store.TimeModifiedAt: "coalesce(modified, created)",
}

// instanceSQL reads one series between two bounds [$2, $3), in ascending
// or descending time order, $4 rows at most (NULL: all).
func instanceSQL(tp store.TimeProperty, desc bool) string {
	col := timeColumns[tp]
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	return fmt.Sprintf(`SELECT %[1]s, ts, iid, created, modified, observed, num, data FROM hist_instances
WHERE sid = $1 AND %[1]s >= $2 AND %[1]s < $3 ORDER BY %[1]s %[2]s, iid %[2]s LIMIT $4`, col, dir)
}

// History returns the selected history of entity id.
func (r *reader) History(id string, q store.TemporalQuery) (*store.EntityHistory, error) {
	// The entity's history and its series in one statement (a round trip
	// to the server costs about as much as a read of a series).
	rows, err := r.query(`SELECT e.hid, e.types, s.sid, s.name, s.dataset, s.type, s.unit FROM hist_entities e
LEFT JOIN hist_series s ON s.hid = e.hid WHERE e.tid = $1 AND e.id = $2 ORDER BY s.name, s.dataset`, r.tid, id)
	if err != nil {
		return nil, fmt.Errorf("postgres: history of %q: %w", id, err)
	}
	var hid int64
	var types []string
	var list []series
	var sid *int64
	var name, dataset, typ, unit *string
	_, err = pgx.ForEachRow(rows, []any{&hid, &types, &sid, &name, &dataset, &typ, &unit}, func() error {
		if sid != nil && (len(q.Attrs) == 0 || slices.Contains(q.Attrs, *name)) {
			list = append(list, series{sid: *sid, name: *name, dataset: *dataset, typ: *typ, unit: *unit})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: history of %q: %w", id, err)
	}
	if hid == 0 {
		return nil, fmt.Errorf("postgres: history of %q: %w", id, store.ErrNotFound)
	}
	h := &store.EntityHistory{ID: id, Types: types}
	for _, s := range list {
		ah := store.AttrHistory{Name: s.name, DatasetID: s.dataset, Type: s.typ}
		if len(q.AggrMethods) > 0 {
			ah.Aggregates, err = r.aggregate(s, q)
			if err == nil && len(ah.Aggregates) == 0 {
				continue
			}
		} else {
			err = r.instances(s, q, &ah)
			if err == nil && len(ah.Instances) == 0 {
				continue
			}
		}
		if err != nil {
			return nil, fmt.Errorf("postgres: history of %q: %w", id, err)
		}
		h.Attrs = append(h.Attrs, ah)
	}
	return h, nil
}

// instances reads the selected instances of one series.
func (r *reader) instances(s series, q store.TemporalQuery, ah *store.AttrHistory) error {
	lo, hi := sqlindex.Bounds(q)
	desc := false
	var limit *int
	switch {
	case q.LastN > 0:
		desc, limit = true, &q.LastN
	case q.Limit > 0:
		n := q.Limit + 1
		limit = &n
	}
	list, err := r.readInstances(instanceSQL(q.TimeProperty, desc), s, lo, hi, limit)
	if err != nil {
		return err
	}
	if desc {
		slices.Reverse(list)
	}
	ah.Instances = list
	if q.LastN <= 0 && q.Limit > 0 && len(ah.Instances) > q.Limit {
		ah.Truncated, ah.Next = true, ah.Instances[q.Limit].Time
		ah.Instances = ah.Instances[:q.Limit]
	}
	return nil
}

func (r *reader) readInstances(sql string, s series, lo, hi int64, limit *int) ([]store.Instance, error) {
	rows, err := r.query(sql, s.sid, lo, hi, limit)
	if err != nil {
		return nil, err
	}
	var out []store.Instance
	in := sqlindex.StoredInstance{Unit: s.unit, DatasetID: s.dataset}
	_, err = pgx.ForEachRow(rows, []any{&in.Time, &in.TS, &in.IID, &in.Created, &in.Modified, &in.Observed, &in.Num, &in.Data}, func() error {
		inst, err := in.Instance()
		out = append(out, inst)
		return err
	})
	return out, err
}

// aggregate computes the aggregates of one series in SQL, one statement
// for every period.
func (r *reader) aggregate(s series, q store.TemporalQuery) ([]store.Aggregate, error) {
	lo, hi := sqlindex.Bounds(q)
	col := timeColumns[q.TimeProperty]
	if lo == math.MinInt64 || hi == math.MaxInt64 {
		var first, last *int64
		err := r.queryRow(fmt.Sprintf(`SELECT min(%[1]s), max(%[1]s) FROM hist_instances WHERE sid = $1 AND %[1]s >= $2 AND %[1]s < $3`, col), s.sid, lo, hi).Scan(&first, &last)
		if err != nil {
			return nil, err
		}
		if first == nil {
			return nil, nil
		}
		if lo == math.MinInt64 {
			lo = *first
		}
		if hi == math.MaxInt64 {
			hi = *last + 1
		}
	}
	if lo >= hi {
		return nil, nil
	}
	periods, err := sqlindex.Periods(q, lo, hi)
	if err != nil {
		return nil, err
	}
	// The periods follow each other from lo to hi: one range of the
	// series is read, each instance going to the period of the last start
	// at or before its time (width_bucket). The bounds as constants let
	// PostgreSQL skip the partitions outside them.
	froms := make([]int64, len(periods))
	for i, p := range periods {
		froms[i] = p.From
	}
	distinct := "0"
	if slices.Contains(q.AggrMethods, store.AggrDistinctCount) {
		distinct = `count(DISTINCT coalesce('n' || num::text, 'j' || (data->'value')::text))`
	}
	rows, err := r.query(fmt.Sprintf(`SELECT width_bucket(%[1]s, $2::bigint[]) AS k, count(*), count(num), coalesce(sum(num), 0), coalesce(sum(num * num), 0), min(num), max(num), %[2]s
FROM hist_instances WHERE sid = $1 AND %[1]s >= $3 AND %[1]s < $4
GROUP BY k`, col, distinct), s.sid, froms, lo, hi)
	if err != nil {
		return nil, err
	}
	parts := make([]sqlindex.Partial, len(periods))
	var k int64
	var p sqlindex.Partial
	_, err = pgx.ForEachRow(rows, []any{&k, &p.Cnt, &p.N, &p.Sum, &p.Sumsq, &p.Min, &p.Max, &p.Distinct}, func() error {
		if k >= 1 && int(k) <= len(parts) {
			parts[k-1].Merge(p)
		}
		p = sqlindex.Partial{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sqlindex.Aggregates(periods, parts, q.AggrMethods), nil
}

// Instance returns one instance.
func (r *reader) Instance(id, name, instanceID string) (store.Instance, error) {
	_, s, iid, ts, err := r.lookupInstance(id, name, instanceID)
	if err != nil {
		return store.Instance{}, err
	}
	one := 1
	list, err := r.readInstances(`SELECT ts, ts, iid, created, modified, observed, num, data FROM hist_instances
		WHERE sid = $1 AND ts = $2 AND iid = $3 LIMIT $4`, s, ts, iid, &one)
	if err != nil {
		return store.Instance{}, fmt.Errorf("postgres: instance %q: %w", instanceID, err)
	}
	if len(list) == 0 {
		return store.Instance{}, fmt.Errorf("postgres: instance %q: %w", instanceID, store.ErrInstanceNotFound)
	}
	return list[0], nil
}
