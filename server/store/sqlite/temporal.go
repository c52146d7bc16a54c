package sqlite

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// sqlTemporalSchema is the migration step of the attribute histories.
//
// hist_entities gives each entity with a history a small key (hid) and
// keeps its types. hist_series is one attribute instance series of an
// entity: one attribute name and datasetId. hist_instances holds the
// instances, keyed by series and time (observedAt, else modifiedAt, in
// Unix microseconds) then instance number: the range of one series over a
// time interval is one range of the primary key, and the table has no
// other index.
//
// An instance that is a plain numeric Property (no sub-attribute, the
// unitCode of its series, a number whose text is Go's shortest form and
// an observedAt that the stored time reproduces) is compact: data is
// NULL and the row is rebuilt from its columns. Other instances keep
// their attribute as JSON in data. num holds the numeric value of every
// instance that has one (numbers; booleans as 0 and 1), for aggregation.
//
// hist_daily is a rollup of each series per UTC day, maintained on every
// write: count of instances, count, sum, sum of squares, min and max of
// the numeric values. Aggregations over whole days read it instead of the
// instances. hist_counter numbers the instances.
//
// Schema version 5 (sqlDailyByDay) keys hist_daily by day, then series.
// Sensors write the current day of all their series together: its rows
// are then neighbours, a few pages to change per write rather than one
// page per series (with (sid, day), each series' current day sits on its
// own page once the series holds a few months). hist_daily_by_series
// reads a series' days in order; its entries change only when a day is
// new.
const sqlTemporalSchema = `
CREATE TABLE hist_entities (
	hid   INTEGER PRIMARY KEY,
	tid   INTEGER NOT NULL REFERENCES tenants (tid),
	id    TEXT NOT NULL,
	types TEXT NOT NULL,
	UNIQUE (tid, id)
);
CREATE TABLE hist_series (
	sid     INTEGER PRIMARY KEY,
	hid     INTEGER NOT NULL REFERENCES hist_entities (hid) ON DELETE CASCADE,
	name    TEXT NOT NULL,
	dataset TEXT NOT NULL,
	type    TEXT NOT NULL,
	unit    TEXT NOT NULL,
	UNIQUE (hid, name, dataset)
);
CREATE TABLE hist_instances (
	sid      INTEGER NOT NULL REFERENCES hist_series (sid) ON DELETE CASCADE,
	ts       INTEGER NOT NULL,
	iid      INTEGER NOT NULL,
	created  INTEGER NOT NULL,
	modified INTEGER,
	observed INTEGER NOT NULL,
	num      REAL,
	data     BLOB,
	PRIMARY KEY (sid, ts, iid)
) WITHOUT ROWID;
CREATE TABLE hist_daily (
	sid    INTEGER NOT NULL REFERENCES hist_series (sid) ON DELETE CASCADE,
	day    INTEGER NOT NULL,
	cnt    INTEGER NOT NULL,
	n      INTEGER NOT NULL,
	vsum   REAL NOT NULL,
	vsumsq REAL NOT NULL,
	vmin   REAL,
	vmax   REAL,
	PRIMARY KEY (sid, day)
) WITHOUT ROWID;
CREATE TABLE hist_counter (next INTEGER NOT NULL);
INSERT INTO hist_counter (next) VALUES (1);
`

// sqlDailyByDay is the migration step that rebuilds hist_daily with the
// key (day, sid).
const sqlDailyByDay = `
CREATE TABLE hist_daily_by_day (
	sid    INTEGER NOT NULL REFERENCES hist_series (sid) ON DELETE CASCADE,
	day    INTEGER NOT NULL,
	cnt    INTEGER NOT NULL,
	n      INTEGER NOT NULL,
	vsum   REAL NOT NULL,
	vsumsq REAL NOT NULL,
	vmin   REAL,
	vmax   REAL,
	PRIMARY KEY (day, sid)
) WITHOUT ROWID;
INSERT INTO hist_daily_by_day (sid, day, cnt, n, vsum, vsumsq, vmin, vmax)
	SELECT sid, day, cnt, n, vsum, vsumsq, vmin, vmax FROM hist_daily;
DROP TABLE hist_daily;
ALTER TABLE hist_daily_by_day RENAME TO hist_daily;
CREATE INDEX hist_daily_by_series ON hist_daily (sid, day);
`

// Statements of the temporal write path.
const (
	sqlHistEntity       = `SELECT hid, types FROM hist_entities WHERE tid = ? AND id = ?`
	sqlHistAddEntity    = `INSERT INTO hist_entities (tid, id, types) VALUES (?, ?, ?)`
	sqlHistSetTypes     = `UPDATE hist_entities SET types = ? WHERE hid = ?`
	sqlHistSeries       = `SELECT sid, type, unit FROM hist_series WHERE hid = ? AND name = ? AND dataset = ?`
	sqlHistAddSeries    = `INSERT INTO hist_series (hid, name, dataset, type, unit) VALUES (?, ?, ?, ?, ?)`
	sqlHistSetType      = `UPDATE hist_series SET type = ? WHERE sid = ?`
	sqlHistCounter      = `UPDATE hist_counter SET next = next + ?`
	sqlHistCounterNext  = `SELECT next FROM hist_counter`
	sqlHistEntitySeries = `SELECT e.hid, e.types, s.sid, s.name, s.dataset, s.type, s.unit FROM hist_entities e
LEFT JOIN hist_series s ON s.hid = e.hid WHERE e.tid = ? AND e.id = ?`
	sqlHistRecomputeDel = `DELETE FROM hist_daily WHERE sid = ? AND day = ?`
)

// sqlHistRecompute recomputes the rollup of one day of a series from the
// instances of hist_instances, the ones the rollup holds (recent.go).
const sqlHistRecompute = `INSERT INTO hist_daily (sid, day, cnt, n, vsum, vsumsq, vmin, vmax)
SELECT ?1, ?2, count(*), count(num), total(num), total(num * num), min(num), max(num) FROM hist_instances WHERE sid = ?1 AND ts >= ?2 AND ts < ?2 + ?3 HAVING count(*) > 0`

// histInsert writes instance rows.
var histInsert = newMultiRow(`INSERT INTO hist_recent (sid, ts, iid, created, modified, observed, num, data) VALUES`, 8, "")

// rollupConflict adds a row of increments to the daily rollup.
const rollupConflict = `ON CONFLICT (day, sid) DO UPDATE SET cnt = cnt + excluded.cnt, n = n + excluded.n, vsum = vsum + excluded.vsum, vsumsq = vsumsq + excluded.vsumsq,
	vmin = CASE WHEN excluded.vmin IS NULL THEN vmin WHEN vmin IS NULL OR excluded.vmin < vmin THEN excluded.vmin ELSE vmin END,
	vmax = CASE WHEN excluded.vmax IS NULL THEN vmax WHEN vmax IS NULL OR excluded.vmax > vmax THEN excluded.vmax ELSE vmax END`

var temporalWriteStatements = slices.Concat([]string{sqlHistEntity, sqlHistAddEntity, sqlHistSetTypes, sqlHistSeries, sqlHistAddSeries, sqlHistSetType,
	sqlHistCounter, sqlHistCounterNext, sqlHistEntitySeries, sqlHistRecomputeDel, sqlHistRecompute}, histInsert.statements())

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
	var raw string
	err := r.queryRow(sqlHistEntity, r.tid, id).Scan(&hid, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, fmt.Errorf("sqlite: history of %q: %w", id, err)
	}
	var types []string
	if err := json.Unmarshal([]byte(raw), &types); err != nil {
		return 0, nil, fmt.Errorf("sqlite: history of %q: %w", id, err)
	}
	return hid, types, nil
}

// AddInstances records instances of the attributes of entity id.
func (w *writer) AddInstances(id string, types []string, attrs map[string][]*ngsild.Attribute) error {
	if id == "" {
		return errors.New("sqlite: add instances: entity without id")
	}
	if err := w.ensureTenant(); err != nil {
		return err
	}
	hid, known, bySeries, err := w.histEntitySeries(id)
	if err != nil {
		return err
	}
	// Until the rows are all written, the cache does not know them.
	key := w.cacheKey(id)
	w.mine.hist.forget(key)
	merged := known
	if !sortedSubset(types, known) {
		merged = slices.Clone(known)
		merged = append(merged, types...)
		slices.Sort(merged)
		merged = slices.Compact(merged)
	}
	switch {
	case hid == 0:
		rawTypes, _ := json.Marshal(merged)
		res, err := w.exec(sqlHistAddEntity, w.tid, id, string(rawTypes))
		if err == nil {
			hid, err = res.LastInsertId()
		}
		if err != nil {
			return fmt.Errorf("sqlite: history of %q: %w", id, err)
		}
	case !slices.Equal(merged, known):
		rawTypes, _ := json.Marshal(merged)
		if _, err := w.exec(sqlHistSetTypes, string(rawTypes), hid); err != nil {
			return fmt.Errorf("sqlite: history of %q: %w", id, err)
		}
	}
	total := 0
	for _, list := range attrs {
		total += len(list)
	}
	if total == 0 {
		w.mine.hist.set(key, &cachedHistory{hid: hid, types: merged, series: bySeries.m})
		return nil
	}
	// The rows join those of the other AddInstances calls of the
	// transaction, written together by flushInstances.
	for _, name := range sortedNames(attrs) {
		for _, a := range attrs[name] {
			if a == nil {
				continue
			}
			s, err := w.seriesIn(&bySeries, hid, name, a)
			if err != nil {
				return fmt.Errorf("sqlite: history of %q: %w", id, err)
			}
			if err := w.pending.add(s, 0, a, a.CreatedAt, a.ModifiedAt); err != nil {
				return fmt.Errorf("sqlite: history of %q: %w", id, err)
			}
		}
	}
	w.mine.hist.set(key, &cachedHistory{hid: hid, types: merged, series: bySeries.m})
	return nil
}

// sortedSubset reports whether every element of list is in sorted, a
// sorted list without duplicates.
func sortedSubset(list, sorted []string) bool {
	for _, v := range list {
		if _, found := slices.BinarySearch(sorted, v); !found {
			return false
		}
	}
	return true
}

// flushInstances writes the instances that AddInstances collected: it
// numbers them in the order they were added and inserts them, with their
// rollup increments, in a few multi-row statements. Everything that reads
// or changes instances in the transaction calls it first, and Update
// calls it before the commit.
func (w *writer) flushInstances() error {
	b := &w.pending
	n := int64(len(b.rows) / 8)
	if n == 0 {
		return nil
	}
	var next int64
	// Two statements: UPDATE ... RETURNING costs several times more here.
	if _, err := w.exec(sqlHistCounter, n); err != nil {
		return fmt.Errorf("sqlite: number instances: %w", err)
	}
	if err := w.queryRow(sqlHistCounterNext).Scan(&next); err != nil {
		return fmt.Errorf("sqlite: number instances: %w", err)
	}
	iid := next - n
	for i := 2; i < len(b.rows); i += 8 {
		b.rows[i] = iid
		iid++
	}
	err := w.writeBatch(b)
	b.release()
	if err == nil {
		err = w.noteRecent(n)
	}
	if err != nil {
		return fmt.Errorf("sqlite: record instances: %w", err)
	}
	return nil
}

// History reads a history after writing the pending instances.
func (w *writer) History(id string, q store.TemporalQuery) (*store.EntityHistory, error) {
	if err := w.flushInstances(); err != nil {
		return nil, err
	}
	return w.reader.History(id, q)
}

// Instance reads an instance after writing the pending ones.
func (w *writer) Instance(id, name, instanceID string) (store.Instance, error) {
	if err := w.flushInstances(); err != nil {
		return store.Instance{}, err
	}
	return w.reader.Instance(id, name, instanceID)
}

// histEntitySeries is histEntity with the series of the history by name
// and datasetId, in one statement.
func (w *writer) histEntitySeries(id string) (int64, []string, seriesMap, error) {
	if hid, types, bySeries, ok := w.cachedHistory(id); ok {
		return hid, types, bySeries, nil
	}
	out := map[[2]string]series{}
	rows, err := w.query(sqlHistEntitySeries, w.tid, id)
	if err != nil {
		return 0, nil, seriesMap{}, fmt.Errorf("sqlite: history of %q: %w", id, err)
	}
	var hid int64
	var raw string
	err = scanRows(rows, func(rs *sql.Rows) error {
		var sid sql.NullInt64
		var name, dataset, typ, unit sql.NullString
		if err := rs.Scan(&hid, &raw, &sid, &name, &dataset, &typ, &unit); err != nil {
			return err
		}
		if sid.Valid {
			out[[2]string{name.String, dataset.String}] = series{sid: sid.Int64, name: name.String, dataset: dataset.String, typ: typ.String, unit: unit.String}
		}
		return nil
	})
	if err != nil {
		return 0, nil, seriesMap{}, fmt.Errorf("sqlite: history of %q: %w", id, err)
	}
	if hid == 0 {
		return 0, nil, seriesMap{m: out}, nil
	}
	var types []string
	if err := json.Unmarshal([]byte(raw), &types); err != nil {
		return 0, nil, seriesMap{}, fmt.Errorf("sqlite: history of %q: %w", id, err)
	}
	return hid, types, seriesMap{m: out}, nil
}

// seriesIn is seriesFor with the series of the entity known: it creates
// the series when missing and records a's type as the series' latest,
// keeping known in step.
func (w *writer) seriesIn(known *seriesMap, hid int64, name string, a *ngsild.Attribute) (series, error) {
	key := [2]string{name, a.DatasetID}
	s, ok := known.m[key]
	switch {
	case !ok:
		s = series{name: name, dataset: a.DatasetID, typ: a.Type, unit: a.UnitCode}
		res, err := w.exec(sqlHistAddSeries, hid, name, a.DatasetID, s.typ, s.unit)
		if err == nil {
			s.sid, err = res.LastInsertId()
		}
		if err != nil {
			return s, err
		}
		known.set(key, s)
	case s.typ != a.Type:
		s.typ = a.Type
		if _, err := w.exec(sqlHistSetType, a.Type, s.sid); err != nil {
			return s, err
		}
		known.set(key, s)
	}
	return s, nil
}

// seriesFor returns the series of attribute name with a's datasetId,
// creating it, and records a's type as the series' latest.
func (w *writer) seriesFor(hid int64, name string, a *ngsild.Attribute) (series, error) {
	s := series{name: name, dataset: a.DatasetID}
	err := w.queryRow(sqlHistSeries, hid, name, a.DatasetID).Scan(&s.sid, &s.typ, &s.unit)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		s.typ, s.unit = a.Type, a.UnitCode
		res, err := w.exec(sqlHistAddSeries, hid, name, a.DatasetID, s.typ, s.unit)
		if err == nil {
			s.sid, err = res.LastInsertId()
		}
		return s, err
	case err != nil:
		return s, err
	}
	if s.typ != a.Type {
		s.typ = a.Type
		if _, err := w.exec(sqlHistSetType, a.Type, s.sid); err != nil {
			return s, err
		}
	}
	return s, nil
}

// instanceBatch collects instance rows, written by writeBatch with
// multi-row statements.
type instanceBatch struct {
	rows []any // the values of the rows, 8 per row
	buf  *[]any
	pool *buffers // where buf comes from
	// The instances of a batch of readings share their timestamps: each
	// is boxed once in a row.
	ts, created       int64
	tsBox, createdBox any
}

// boxOnce returns v in an interface, the one of last when v is its value.
func boxOnce(v int64, last *int64, boxed *any) any {
	if *boxed == nil || *last != v {
		*last, *boxed = v, v
	}
	return *boxed
}

// add encodes one instance of series s.
func (b *instanceBatch) add(s series, iid int64, a *ngsild.Attribute, created, modified time.Time) error {
	row, err := encodeInstance(s, a)
	if err != nil {
		return err
	}
	var mod any
	if !modified.IsZero() && !modified.Equal(created) {
		mod = modified.UnixMicro()
	}
	if a.ObservedAt == "" {
		row.ts = modified.UnixMicro()
	}
	var data any
	if row.data != nil {
		data = string(row.data)
	}
	if b.buf == nil {
		b.buf = b.pool.rows.get()
		b.rows = *b.buf
	}
	b.rows = append(b.rows, s.sid, boxOnce(row.ts, &b.ts, &b.tsBox), iid, boxOnce(created.UnixMicro(), &b.created, &b.createdBox),
		mod, row.observed, row.num, data)
	return nil
}

// release empties b and gives its buffer back (buffers.go).
func (b *instanceBatch) release() {
	if b.buf != nil {
		*b.buf = b.rows
		b.pool.rows.put(b.buf)
	}
	*b = instanceBatch{pool: b.pool}
}

// writeBatch inserts the rows of b into hist_recent; the daily rollup
// takes them when they move to hist_instances (recent.go).
func (w *writer) writeBatch(b *instanceBatch) error {
	if len(b.rows) == 0 {
		return nil
	}
	return w.execRows(histInsert, b.rows)
}

// insertInstance writes one instance row to hist_recent, and counts it
// there.
func (w *writer) insertInstance(s series, iid int64, a *ngsild.Attribute, created, modified time.Time) error {
	b := instanceBatch{pool: w.bufs}
	defer b.release()
	if err := b.add(s, iid, a, created, modified); err != nil {
		return err
	}
	if err := w.writeBatch(&b); err != nil {
		return err
	}
	w.recent.rows++
	return nil
}

// instanceRow is the encoded form of an instance.
type instanceRow struct {
	ts       int64
	observed int
	num      *float64
	data     []byte // nil for a compact instance
}

func encodeInstance(s series, a *ngsild.Attribute) (instanceRow, error) {
	var row instanceRow
	if a.ObservedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, a.ObservedAt)
		if err != nil {
			return row, fmt.Errorf("observedAt %q: %w", a.ObservedAt, err)
		}
		row.ts, row.observed = t.UnixMicro(), 1+fractionDigits(a.ObservedAt)
	}
	text, isNumber := numberText(a.Value)
	if isNumber {
		if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) {
			row.num = &f
		}
	} else if b, ok := a.Value.(bool); ok {
		f := 0.0
		if b {
			f = 1
		}
		row.num = &f
	}
	compact := a.Type == ngsild.TypeProperty && row.num != nil && isNumber &&
		strconv.FormatFloat(*row.num, 'f', -1, 64) == text &&
		len(a.Sub) == 0 && len(a.ObjectType) == 0 && a.UnitCode == s.unit &&
		(a.ObservedAt == "" || formatTime(row.ts, row.observed-1) == a.ObservedAt)
	if compact {
		return row, nil
	}
	c := *a
	c.DatasetID, c.CreatedAt, c.ModifiedAt = "", time.Time{}, time.Time{}
	data, err := json.Marshal(&c)
	if err != nil {
		return row, err
	}
	row.data = data
	return row, nil
}

// numberText returns the JSON text of a numeric value.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return n.String(), true
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// formatTime writes Unix microseconds as an RFC 3339 UTC date-time with
// digits fractional digits (at most 6).
func formatTime(us int64, digits int) string {
	t := time.UnixMicro(us).UTC()
	layout := "2006-01-02T15:04:05"
	if digits > 0 {
		layout += "." + strings.Repeat("0", min(digits, 6))
	}
	return t.Format(layout) + "Z"
}

// fractionDigits counts the fractional digits of the seconds of an RFC
// 3339 date-time.
func fractionDigits(s string) int {
	i := strings.IndexByte(s, '.')
	if i < 0 {
		return 0
	}
	n := 0
	for j := i + 1; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
		n++
	}
	return n
}

// recomputeDay rebuilds the rollup row of one day of a series from its
// instances.
func (w *writer) recomputeDay(sid, day int64) error {
	if _, err := w.exec(sqlHistRecomputeDel, sid, day); err != nil {
		return err
	}
	_, err := w.exec(sqlHistRecompute, sid, day, dayMicros)
	return err
}

// findInstance locates instance iid of attribute name of entity hid, in
// either table (recent.go).
func (r *reader) findInstance(hid int64, name string, iid int64) (series, int64, error) {
	for _, table := range histTables {
		var s series
		var ts int64
		err := r.queryRow(`SELECT s.sid, s.dataset, s.type, s.unit, i.ts FROM hist_series s JOIN `+table+` i ON i.sid = s.sid
		WHERE s.hid = ? AND s.name = ? AND i.iid = ?`, hid, name, iid).Scan(&s.sid, &s.dataset, &s.typ, &s.unit, &ts)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		s.name = name
		return s, ts, err
	}
	return series{}, 0, store.ErrInstanceNotFound
}

// lookupInstance resolves entity, attribute and instanceId.
func (r *reader) lookupInstance(id, name, instanceID string) (int64, series, int64, int64, error) {
	hid, _, err := r.histEntity(id)
	if err != nil {
		return 0, series{}, 0, 0, err
	}
	if hid == 0 {
		return 0, series{}, 0, 0, fmt.Errorf("sqlite: history of %q: %w", id, store.ErrNotFound)
	}
	iid := parseInstanceID(instanceID)
	if iid == 0 {
		return 0, series{}, 0, 0, fmt.Errorf("sqlite: instance %q: %w", instanceID, store.ErrInstanceNotFound)
	}
	s, ts, err := r.findInstance(hid, name, iid)
	if err != nil {
		return 0, series{}, 0, 0, fmt.Errorf("sqlite: instance %q: %w", instanceID, err)
	}
	return hid, s, iid, ts, nil
}

// PatchInstance replaces one instance, keeping its createdAt.
func (w *writer) PatchInstance(id, name, instanceID string, a *ngsild.Attribute) error {
	if err := w.flushInstances(); err != nil {
		return err
	}
	w.mine.hist.forget(w.cacheKey(id))
	_, s, iid, ts, err := w.lookupInstance(id, name, instanceID)
	if err != nil {
		return err
	}
	// In place: on hist_instances alone (recent.go).
	if err := w.mergeSeries(s.sid); err != nil {
		return err
	}
	var created int64
	if err := w.queryRow(`DELETE FROM hist_instances WHERE sid = ? AND ts = ? AND iid = ? RETURNING created`, s.sid, ts, iid).Scan(&created); err != nil {
		return fmt.Errorf("sqlite: patch %q: %w", instanceID, err)
	}
	if err := w.recomputeDay(s.sid, floorDay(ts)); err != nil {
		return fmt.Errorf("sqlite: patch %q: %w", instanceID, err)
	}
	b := *a
	b.DatasetID = s.dataset // an instance stays in its series
	if err := w.insertInstance(s, iid, &b, time.UnixMicro(created).UTC(), a.ModifiedAt); err != nil {
		return fmt.Errorf("sqlite: patch %q: %w", instanceID, err)
	}
	return nil
}

// DeleteInstance removes one instance.
func (w *writer) DeleteInstance(id, name, instanceID string) error {
	if err := w.flushInstances(); err != nil {
		return err
	}
	w.mine.hist.forget(w.cacheKey(id))
	hid, s, iid, ts, err := w.lookupInstance(id, name, instanceID)
	if err != nil {
		return err
	}
	// In place: on hist_instances alone (recent.go).
	if err := w.mergeSeries(s.sid); err != nil {
		return err
	}
	if _, err := w.exec(`DELETE FROM hist_instances WHERE sid = ? AND ts = ? AND iid = ?`, s.sid, ts, iid); err != nil {
		return fmt.Errorf("sqlite: delete %q: %w", instanceID, err)
	}
	if err := w.recomputeDay(s.sid, floorDay(ts)); err != nil {
		return fmt.Errorf("sqlite: delete %q: %w", instanceID, err)
	}
	return w.dropEmpty(hid)
}

// dropEmpty removes the series of entity hid that have no instance left
// in either table, and the entity's history when no series is left.
func (w *writer) dropEmpty(hid int64) error {
	if _, err := w.exec(`DELETE FROM hist_series WHERE hid = ? AND NOT EXISTS (SELECT 1 FROM hist_instances i WHERE i.sid = hist_series.sid)
	AND NOT EXISTS (SELECT 1 FROM hist_recent r WHERE r.sid = hist_series.sid)`, hid); err != nil {
		return fmt.Errorf("sqlite: drop empty series: %w", err)
	}
	if _, err := w.exec(`DELETE FROM hist_entities WHERE hid = ? AND NOT EXISTS (SELECT 1 FROM hist_series s WHERE s.hid = ?)`, hid, hid); err != nil {
		return fmt.Errorf("sqlite: drop empty history: %w", err)
	}
	return nil
}

// DeleteHistory removes the history of an entity or of one attribute.
func (w *writer) DeleteHistory(id, name, datasetID string, allDatasets bool) error {
	if err := w.flushInstances(); err != nil {
		return err
	}
	w.mine.hist.forget(w.cacheKey(id))
	hid, _, err := w.histEntity(id)
	if err != nil {
		return err
	}
	if hid == 0 {
		return fmt.Errorf("sqlite: history of %q: %w", id, store.ErrNotFound)
	}
	// The recent instances of the series deleted go first: hist_recent
	// has no foreign key to cascade from hist_series (recent.go).
	var attr, dataset any
	if name != "" {
		attr = name
		if !allDatasets {
			dataset = datasetID
		}
	}
	if err := w.dropRecent(hid, attr, dataset); err != nil {
		return err
	}
	var res sql.Result
	switch {
	case name == "":
		res, err = w.exec(`DELETE FROM hist_entities WHERE hid = ?`, hid)
	case allDatasets:
		res, err = w.exec(`DELETE FROM hist_series WHERE hid = ? AND name = ?`, hid, name)
	default:
		res, err = w.exec(`DELETE FROM hist_series WHERE hid = ? AND name = ? AND dataset = ?`, hid, name, datasetID)
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete history of %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("sqlite: history of %q, attribute %q: %w", id, name, store.ErrNotFound)
	}
	return w.dropEmpty(hid)
}

// PurgeHistory removes up to max instances older than cutoff, oldest
// first within each series, series after series.
func (w *writer) PurgeHistory(cutoff time.Time, max int) (int, error) {
	if err := w.flushInstances(); err != nil {
		return 0, err
	}
	if w.tid == 0 || max <= 0 {
		return 0, nil
	}
	// Series and histories may go: the cache forgets them all.
	w.mine.hist.forgetAll()
	cut := cutoff.UnixMicro()
	// In place: on hist_instances alone, where the recent instances older
	// than the cutoff move first (recent.go).
	if err := w.mergeBefore(cut); err != nil {
		return 0, err
	}
	rows, err := w.query(`SELECT s.sid, s.hid FROM hist_series s JOIN hist_entities e ON e.hid = s.hid WHERE e.tid = ? ORDER BY s.sid`, w.tid)
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	var list [][2]int64
	err = scanRows(rows, func(r *sql.Rows) error {
		var sid, hid int64
		err := r.Scan(&sid, &hid)
		list = append(list, [2]int64{sid, hid})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: purge: %w", err)
	}
	removed := 0
	touched := map[int64]bool{}
	for _, sh := range list {
		if removed >= max {
			break
		}
		sid := sh[0]
		res, err := w.exec(`DELETE FROM hist_instances WHERE sid = ?1 AND (ts, iid) IN
			(SELECT ts, iid FROM hist_instances WHERE sid = ?1 AND ts < ?2 ORDER BY ts, iid LIMIT ?3)`, sid, cut, max-removed)
		if err != nil {
			return removed, fmt.Errorf("sqlite: purge: %w", err)
		}
		n, _ := res.RowsAffected()
		if n == 0 {
			continue
		}
		removed += int(n)
		touched[sh[1]] = true
		// The days before the oldest instance left are empty; its own day
		// lost instances.
		var oldest sql.NullInt64
		if err := w.queryRow(`SELECT min(ts) FROM hist_instances WHERE sid = ?`, sid).Scan(&oldest); err != nil {
			return removed, fmt.Errorf("sqlite: purge: %w", err)
		}
		first := floorDay(cut) + dayMicros
		if oldest.Valid {
			first = floorDay(oldest.Int64)
		}
		if _, err := w.exec(`DELETE FROM hist_daily WHERE sid = ? AND day < ?`, sid, first); err != nil {
			return removed, fmt.Errorf("sqlite: purge: %w", err)
		}
		if oldest.Valid {
			if err := w.recomputeDay(sid, first); err != nil {
				return removed, fmt.Errorf("sqlite: purge: %w", err)
			}
		}
	}
	for hid := range touched {
		if err := w.dropEmpty(hid); err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// temporalStatements are the temporal statements the writer prepares: it
// reads histories too.
func temporalStatements() []string {
	return slices.Concat(temporalWriteStatements, temporalReadStatements)
}
