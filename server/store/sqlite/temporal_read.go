package sqlite

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// timeColumns are the SQL expressions of the three time properties.
var timeColumns = [...]string{
	store.TimeObservedAt: "ts",
	store.TimeCreatedAt:  "created",
	store.TimeModifiedAt: "coalesce(modified, created)",
}

const sqlHistListSeries = `SELECT sid, name, dataset, type, unit FROM hist_series WHERE hid = ? ORDER BY name, dataset`

// instanceSQL returns the statement that reads one series between two
// bounds [?2, ?3), in ascending or descending time order, ?4 rows at most,
// from both tables (recent.go). The ORDER BY of the compound makes SQLite
// merge the two arms, each read in order from its index, so that LIMIT
// stops both early.
func instanceSQL(tp store.TimeProperty, desc bool) string {
	col := timeColumns[tp]
	dir := "ASC"
	if desc {
		dir = "DESC"
	}
	return bothTables(func(table string) string {
		return fmt.Sprintf(`SELECT %[1]s, ts, iid, created, modified, observed, num, data FROM %[2]s
WHERE sid = ?1 AND %[1]s >= ?2 AND %[1]s < ?3`, col, table)
	}) + fmt.Sprintf("\nORDER BY 1 %[1]s, 3 %[1]s LIMIT ?4", dir)
}

// rawAggregateSQL aggregates one series over a JSON array of periods
// [key, from, to), over the instances of both tables (recent.go).
func rawAggregateSQL(tp store.TimeProperty) string {
	col := strings.ReplaceAll(strings.ReplaceAll(timeColumns[tp], "ts", "i.ts"), "created", "i.created")
	return `SELECT k, count(*), count(num), total(num), total(num * num), min(num), max(num), count(DISTINCT coalesce(num, data->'$.value'))
FROM (` + bothTables(func(table string) string {
		return fmt.Sprintf(`SELECT p.value->>0 AS k, i.num AS num, i.data AS data
FROM json_each(?2) p CROSS JOIN %[2]s i ON i.sid = ?1 AND %[1]s >= p.value->>1 AND %[1]s < p.value->>2`, col, table)
	}) + `)
GROUP BY k`
}

// boundsSQL returns the first and last times of one series in [?2, ?3).
func boundsSQL(tp store.TimeProperty) string {
	return `SELECT min(first), max(last) FROM (` + bothTables(func(table string) string {
		return fmt.Sprintf(`SELECT min(%[1]s) AS first, max(%[1]s) AS last FROM %[2]s WHERE sid = ?1 AND %[1]s >= ?2 AND %[1]s < ?3`, timeColumns[tp], table)
	}) + `)`
}

// sqlDailyAggregate aggregates one series over a JSON array of pieces of
// whole days [key, from, to): the daily rollup, and the instances of
// hist_recent, which it does not hold yet (recent.go).
const sqlDailyAggregate = `SELECT k, sum(cnt), sum(n), total(vsum), total(vsumsq), min(vmin), max(vmax), 0 FROM (
SELECT p.value->>0 AS k, d.cnt AS cnt, d.n AS n, d.vsum AS vsum, d.vsumsq AS vsumsq, d.vmin AS vmin, d.vmax AS vmax
FROM json_each(?2) p CROSS JOIN hist_daily d ON d.sid = ?1 AND d.day >= p.value->>1 AND d.day < p.value->>2
UNION ALL
SELECT p.value->>0, 1, i.num IS NOT NULL, coalesce(i.num, 0), coalesce(i.num * i.num, 0), i.num, i.num
FROM json_each(?2) p CROSS JOIN hist_recent i ON i.sid = ?1 AND i.ts >= p.value->>1 AND i.ts < p.value->>2)
GROUP BY k`

var temporalReadStatements = func() []string {
	list := []string{sqlHistEntity, sqlHistListSeries, sqlDailyAggregate}
	for _, tp := range []store.TimeProperty{store.TimeObservedAt, store.TimeCreatedAt, store.TimeModifiedAt} {
		list = append(list, instanceSQL(tp, false), instanceSQL(tp, true), rawAggregateSQL(tp), boundsSQL(tp))
	}
	return list
}()

// History returns the selected history of entity id.
func (r *reader) History(id string, q store.TemporalQuery) (*store.EntityHistory, error) {
	hid, types, err := r.histEntity(id)
	if err != nil {
		return nil, err
	}
	if hid == 0 {
		return nil, fmt.Errorf("sqlite: history of %q: %w", id, store.ErrNotFound)
	}
	rows, err := r.query(sqlHistListSeries, hid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: history of %q: %w", id, err)
	}
	var list []series
	err = scanRows(rows, func(rs *sql.Rows) error {
		var s series
		err := rs.Scan(&s.sid, &s.name, &s.dataset, &s.typ, &s.unit)
		if len(q.Attrs) == 0 || slices.Contains(q.Attrs, s.name) {
			list = append(list, s)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: history of %q: %w", id, err)
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
			return nil, fmt.Errorf("sqlite: history of %q: %w", id, err)
		}
		h.Attrs = append(h.Attrs, ah)
	}
	return h, nil
}

// instances reads the selected instances of one series.
func (r *reader) instances(s series, q store.TemporalQuery, ah *store.AttrHistory) error {
	lo, hi := bounds(q)
	desc, limit := false, -1
	switch {
	case q.LastN > 0:
		desc, limit = true, q.LastN
	case q.Limit > 0:
		limit = q.Limit + 1
	}
	rows, err := r.query(instanceSQL(q.TimeProperty, desc), s.sid, lo, hi, limit)
	if err != nil {
		return err
	}
	err = scanRows(rows, func(rs *sql.Rows) error {
		inst, err := scanInstance(rs, s)
		ah.Instances = append(ah.Instances, inst)
		return err
	})
	if err != nil {
		return err
	}
	if desc {
		slices.Reverse(ah.Instances)
	}
	if q.LastN <= 0 && q.Limit > 0 && len(ah.Instances) > q.Limit {
		ah.Truncated, ah.Next = true, ah.Instances[q.Limit].Time
		ah.Instances = ah.Instances[:q.Limit]
	}
	return nil
}

// scanInstance rebuilds an instance from its row.
func scanInstance(rs *sql.Rows, s series) (store.Instance, error) {
	var t, ts, iid, created int64
	var modified sql.NullInt64
	var observed int
	var num sql.NullFloat64
	var data []byte
	if err := rs.Scan(&t, &ts, &iid, &created, &modified, &observed, &num, &data); err != nil {
		return store.Instance{}, err
	}
	a := &ngsild.Attribute{}
	if data == nil {
		a.Type, a.UnitCode = ngsild.TypeProperty, s.unit
		a.Value = json.Number(strconv.FormatFloat(num.Float64, 'f', -1, 64))
	} else {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(a); err != nil {
			return store.Instance{}, fmt.Errorf("decode instance %d: %w", iid, err)
		}
	}
	a.DatasetID = s.dataset
	if observed > 0 && a.ObservedAt == "" {
		a.ObservedAt = formatTime(ts, observed-1)
	}
	a.CreatedAt = time.UnixMicro(created).UTC()
	a.ModifiedAt = a.CreatedAt
	if modified.Valid {
		a.ModifiedAt = time.UnixMicro(modified.Int64).UTC()
	}
	return store.Instance{InstanceID: instanceIDPrefix + strconv.FormatInt(iid, 10), Time: time.UnixMicro(t).UTC(), Attr: a}, nil
}

// partial is the mergeable state of one period's aggregation.
type partial struct {
	cnt, n, distinct int64
	sum, sumsq       float64
	min, max         sql.NullFloat64
}

func (p *partial) merge(o partial) {
	p.cnt += o.cnt
	p.n += o.n
	p.distinct += o.distinct
	p.sum += o.sum
	p.sumsq += o.sumsq
	if o.min.Valid && (!p.min.Valid || o.min.Float64 < p.min.Float64) {
		p.min = o.min
	}
	if o.max.Valid && (!p.max.Valid || o.max.Float64 > p.max.Float64) {
		p.max = o.max
	}
}

// aggregate computes the aggregates of one series in SQL: periods made of
// whole UTC days read the daily rollup, the rest the instances.
func (r *reader) aggregate(s series, q store.TemporalQuery) ([]store.Aggregate, error) {
	lo, hi := bounds(q)
	if lo == math.MinInt64 || hi == math.MaxInt64 {
		var first, last sql.NullInt64
		err := r.queryRow(boundsSQL(q.TimeProperty), s.sid, lo, hi).Scan(&first, &last)
		if err != nil {
			return nil, err
		}
		if !first.Valid {
			return nil, nil
		}
		if lo == math.MinInt64 {
			lo = first.Int64
		}
		if hi == math.MaxInt64 {
			hi = last.Int64 + 1
		}
	}
	if lo >= hi {
		return nil, nil
	}
	maxPeriods := q.MaxPeriods
	if maxPeriods <= 0 {
		maxPeriods = 100000
	}
	// The periods, then the pieces each is read from.
	type period struct{ from, to int64 }
	var periods []period
	for from := lo; from < hi; {
		to := hi
		if !q.AggrPeriod.IsZero() {
			to = min(hi, q.AggrPeriod.AddTo(time.UnixMicro(from)).UnixMicro())
			if to <= from {
				return nil, fmt.Errorf("aggregation period is not positive")
			}
		}
		if len(periods) == maxPeriods {
			return nil, store.ErrTooManyPeriods
		}
		periods = append(periods, period{from, to})
		from = to
	}
	useDaily := q.TimeProperty == store.TimeObservedAt && !slices.Contains(q.AggrMethods, store.AggrDistinctCount)
	var raw, daily [][3]int64
	for i, p := range periods {
		k := int64(i)
		a, b := ceilDay(p.from), floorDay(p.to)
		if !useDaily || a >= b {
			raw = append(raw, [3]int64{k, p.from, p.to})
			continue
		}
		daily = append(daily, [3]int64{k, a, b})
		if p.from < a {
			raw = append(raw, [3]int64{k, p.from, a})
		}
		if b < p.to {
			raw = append(raw, [3]int64{k, b, p.to})
		}
	}
	parts := make([]partial, len(periods))
	if err := r.aggregateInto(parts, rawAggregateSQL(q.TimeProperty), s.sid, raw); err != nil {
		return nil, err
	}
	if err := r.aggregateInto(parts, sqlDailyAggregate, s.sid, daily); err != nil {
		return nil, err
	}
	var out []store.Aggregate
	for i, p := range parts {
		if p.cnt == 0 {
			continue
		}
		out = append(out, store.Aggregate{
			Start:  time.UnixMicro(periods[i].from).UTC(),
			End:    time.UnixMicro(periods[i].to).UTC(),
			Values: aggregateValues(p, q.AggrMethods),
		})
	}
	return out, nil
}

// aggregateInto runs one aggregation statement over pieces and merges the
// results into parts.
func (r *reader) aggregateInto(parts []partial, q string, sid int64, pieces [][3]int64) error {
	if len(pieces) == 0 {
		return nil
	}
	arg, err := json.Marshal(pieces)
	if err != nil {
		return err
	}
	rows, err := r.query(q, sid, string(arg))
	if err != nil {
		return err
	}
	return scanRows(rows, func(rs *sql.Rows) error {
		var k int64
		var p partial
		if err := rs.Scan(&k, &p.cnt, &p.n, &p.sum, &p.sumsq, &p.min, &p.max, &p.distinct); err != nil {
			return err
		}
		if k >= 0 && int(k) < len(parts) {
			parts[k].merge(p)
		}
		return nil
	})
}

// aggregateValues computes the methods from a period's state, as the
// PostgreSQL store does.
func aggregateValues(p partial, methods []store.AggrMethod) map[store.AggrMethod]any {
	shared := sqlindex.Partial{Cnt: p.cnt, N: p.n, Distinct: p.distinct, Sum: p.sum, Sumsq: p.sumsq}
	if p.min.Valid {
		shared.Min = &p.min.Float64
	}
	if p.max.Valid {
		shared.Max = &p.max.Float64
	}
	return shared.Values(methods)
}

// Instance returns one instance.
func (r *reader) Instance(id, name, instanceID string) (store.Instance, error) {
	_, s, _, ts, err := r.lookupInstance(id, name, instanceID)
	if err != nil {
		return store.Instance{}, err
	}
	rows, err := r.query(instanceSQL(store.TimeObservedAt, false), s.sid, ts, ts+1, -1)
	if err != nil {
		return store.Instance{}, fmt.Errorf("sqlite: instance %q: %w", instanceID, err)
	}
	var found *store.Instance
	err = scanRows(rows, func(rs *sql.Rows) error {
		in, err := scanInstance(rs, s)
		if err == nil && in.InstanceID == instanceID {
			found = &in
		}
		return err
	})
	if err != nil {
		return store.Instance{}, fmt.Errorf("sqlite: instance %q: %w", instanceID, err)
	}
	if found == nil {
		return store.Instance{}, fmt.Errorf("sqlite: instance %q: %w", instanceID, store.ErrInstanceNotFound)
	}
	return *found, nil
}
