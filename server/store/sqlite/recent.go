package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Recent instances.
//
// hist_instances keeps each series in time order, which is what reads
// want. But sensors write the other way round: one instance to each of
// many series at a time. Inserted there directly, a batch of 100 sensors
// with 10 attributes changes the last page of 1,000 series, and all those
// pages go to the WAL at every commit.
//
// New instances go to hist_recent instead, a table of the same key
// (sid, ts, iid) kept small: a batch changes its few pages, and a slice
// of series leaves it as one range of its key. Once it holds its bound of
// instances, writes move them to hist_instances, a slice of series at a
// time (noteRecent), in key order, so that each series takes its new
// instances in one go. The bound follows the number of series written
// to: a move costs about a page of hist_instances and a rollup row per
// series, so the more instances each series has when it moves, the
// cheaper each instance is. The daily rollup (hist_daily) holds
// the instances of hist_instances: the move adds those of hist_recent to
// it, one increment per series and day, and the readers of the rollup add
// those still in hist_recent themselves.
//
// Readers read both tables, in the same snapshot: an instance is in one
// or the other. The writes that change instances in place work on
// hist_instances alone: a patch or deletion of an instance moves the
// recent instances of its series first, retention those of the series
// with recent instances older than its cutoff; the deletion of a history
// deletes the recent instances of its series.
const sqlRecentSchema = `
CREATE TABLE hist_recent (
	sid      INTEGER NOT NULL,
	ts       INTEGER NOT NULL,
	iid      INTEGER NOT NULL,
	created  INTEGER NOT NULL,
	modified INTEGER,
	observed INTEGER NOT NULL,
	num      REAL,
	data     BLOB,
	PRIMARY KEY (sid, ts, iid)
) WITHOUT ROWID;
`

// The bound of hist_recent, in instances, from which writes move slices
// of it to hist_instances (noteRecent), is recentPerSeries instances per
// series that hist_recent holds, within [minRecentRows, maxRecentRows].
// A series has about recentPerSeries instances when it moves, but for
// fewer than minRecentRows/recentPerSeries series (they move with more)
// or more than maxRecentRows/recentPerSeries (they move with fewer, and
// hist_recent stays within some 6 MB). The series are counted at each
// round of the slices. A slice holds recentSliceRows instances or a
// quarter of the bound, whichever is less: that much is moved at a time,
// which keeps a write's wait for moves short.
const (
	recentPerSeries = 8
	minRecentRows   = 8192
	maxRecentRows   = 131072
	recentSliceRows = 2048
)

// Statements that move the recent instances of the series in (?1, ?2]
// (sids are positive: (0, MaxInt64] is every series).
const (
	sqlRecentCount    = `SELECT count(*), count(DISTINCT sid) FROM hist_recent`
	sqlRecentSliceEnd = `SELECT sid FROM hist_recent WHERE sid > ? ORDER BY sid LIMIT 1 OFFSET ?`
	sqlRecentMerge    = `INSERT INTO hist_instances (sid, ts, iid, created, modified, observed, num, data)
SELECT sid, ts, iid, created, modified, observed, num, data FROM hist_recent WHERE sid > ?1 AND sid <= ?2 ORDER BY sid, ts, iid`
	sqlRecentClear = `DELETE FROM hist_recent WHERE sid > ?1 AND sid <= ?2`
)

// sqlRecentRollup adds the recent instances of the series in (?1, ?2] to
// the daily rollup. Their day is floorDay(ts) (SQLite's division
// truncates toward zero, as Go's does).
var sqlRecentRollup = func() string {
	day := strconv.FormatInt(dayMicros, 10)
	return `INSERT INTO hist_daily (sid, day, cnt, n, vsum, vsumsq, vmin, vmax)
SELECT sid, (ts / ` + day + ` - (ts % ` + day + ` < 0)) * ` + day + ` AS day, count(*), count(num), total(num), total(num * num), min(num), max(num)
FROM hist_recent WHERE sid > ?1 AND sid <= ?2 GROUP BY sid, day ORDER BY day, sid ` + rollupConflict
}()

// histTables are the tables that hold instances.
var histTables = [...]string{"hist_instances", "hist_recent"}

// bothTables joins with UNION ALL the statement made by arm for each
// table that holds instances.
func bothTables(arm func(table string) string) string {
	arms := make([]string, len(histTables))
	for i, t := range histTables {
		arms[i] = arm(t)
	}
	return strings.Join(arms, "\nUNION ALL\n")
}

// recentState is what the store knows of hist_recent.
type recentState struct {
	// rows counts its instances. After a rollback it is too high, which
	// makes the next move come early.
	rows int64
	// bound is the number of instances from which writes move slices.
	bound int64
	// min and max are the limits of the bound: minRecentRows and
	// maxRecentRows (tests change them).
	min, max int64
	// cursor is the last series of the last slice moved: the next slice
	// starts after it (0: from the first series).
	cursor int64
}

// newRecentState is the state of a store that has not counted
// hist_recent yet.
func newRecentState() recentState {
	return recentState{bound: minRecentRows, min: minRecentRows, max: maxRecentRows}
}

// count reads the size of hist_recent and sets the bound from the series
// it holds.
func (rs *recentState) count(q func(string, ...any) *sql.Row) error {
	var series int64
	if err := q(sqlRecentCount).Scan(&rs.rows, &series); err != nil {
		return fmt.Errorf("sqlite: recent instances: %w", err)
	}
	rs.bound = min(max(recentPerSeries*series, rs.min), rs.max)
	return nil
}

// slice is the number of instances a slice holds, at least one.
func (rs *recentState) slice() int64 {
	return max(min(rs.bound/4, recentSliceRows), 1)
}

// countRecent reads the state of hist_recent when the store opens.
func (s *Store) countRecent(ctx context.Context) error {
	return s.recent.count(func(q string, args ...any) *sql.Row {
		return s.w.QueryRowContext(ctx, q, args...)
	})
}

// noteRecent counts n instances written to hist_recent and, while there
// are as many as its bound or more, moves slices of them to
// hist_instances: the series after the cursor, in sid order, up to about
// a slice of instances at a time. A series moves with all its recent
// instances, which keeps the moves as cheap per instance as moving
// everything at once, and a write waits for the slices its own instances
// call for. The slices go round the series; at the end of each round,
// the bound is set again from the series hist_recent holds.
func (w *writer) noteRecent(n int64) error {
	rs := w.recent
	rs.rows += n
	for rs.rows >= rs.bound {
		var last int64
		err := w.queryRow(sqlRecentSliceEnd, rs.cursor, rs.slice()-1).Scan(&last)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// Fewer than a slice after the cursor: up to the last series.
			last = math.MaxInt64
		case err != nil:
			return fmt.Errorf("sqlite: move recent instances: %w", err)
		}
		moved, err := w.moveRecent(rs.cursor, last)
		if err != nil {
			return err
		}
		rs.rows -= moved
		rs.cursor = last
		if last == math.MaxInt64 {
			// Round the series: the count is exact again.
			rs.cursor = 0
			if err := rs.count(w.queryRow); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeSeries moves the recent instances of series sid to hist_instances.
func (w *writer) mergeSeries(sid int64) error {
	moved, err := w.moveRecent(sid-1, sid)
	w.recent.rows -= moved
	return err
}

// mergeBefore moves to hist_instances the series that have recent
// instances older than ts (retention), and leaves the others.
func (w *writer) mergeBefore(ts int64) error {
	rows, err := w.query(`SELECT DISTINCT sid FROM hist_recent WHERE ts < ?`, ts)
	if err != nil {
		return fmt.Errorf("sqlite: move recent instances: %w", err)
	}
	var sids []int64
	err = scanRows(rows, func(r *sql.Rows) error {
		var sid int64
		err := r.Scan(&sid)
		sids = append(sids, sid)
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: move recent instances: %w", err)
	}
	for _, sid := range sids {
		if err := w.mergeSeries(sid); err != nil {
			return err
		}
	}
	return nil
}

// sqlRecentDropSeries removes the recent instances of the series of an
// entity's history (?1) that are about to be deleted: of every series, of
// an attribute (?2) or of one of its datasets (?3).
const sqlRecentDropSeries = `DELETE FROM hist_recent WHERE sid IN (SELECT sid FROM hist_series WHERE hid = ?1
	AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR dataset = ?3))`

// dropRecent removes the recent instances of the series of history hid
// that DeleteHistory deletes: those of attribute name (all when nil) with
// datasetId dataset (all when nil). Deleted, they need no move.
func (w *writer) dropRecent(hid int64, name, dataset any) error {
	res, err := w.exec(sqlRecentDropSeries, hid, name, dataset)
	if err != nil {
		return fmt.Errorf("sqlite: delete recent instances: %w", err)
	}
	n, _ := res.RowsAffected()
	w.recent.rows -= n
	return nil
}

// moveRecent moves the recent instances of the series in (from, to] to
// hist_instances and the daily rollup, and returns how many moved.
func (w *writer) moveRecent(from, to int64) (int64, error) {
	var moved int64
	for _, q := range []string{sqlRecentRollup, sqlRecentMerge, sqlRecentClear} {
		res, err := w.exec(q, from, to)
		if err != nil {
			return 0, fmt.Errorf("sqlite: move recent instances: %w", err)
		}
		if q == sqlRecentClear {
			moved, _ = res.RowsAffected()
		}
	}
	return moved, nil
}
