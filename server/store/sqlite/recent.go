package sqlite

import (
	"context"
	"fmt"
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
// New instances go to hist_recent instead, a table written in the order
// the instances arrive: a batch fills a few pages at its end. Its index
// (sid, ts, iid) is small, for the table is small. Once it holds
// mergeRecentRows instances, the write that crosses that line moves them
// all to hist_instances, in key order, so that each series takes its new
// instances in one go. The daily rollup (hist_daily) holds the instances
// of hist_instances: the move adds those of hist_recent to it, one
// increment per series and day, and the readers of the rollup add those
// still in hist_recent themselves.
//
// Readers read both tables, in the same snapshot: an instance is in one
// or the other. The writes that change instances in place (patch,
// deletion, retention, deletion of a history) move the recent instances
// first and work on hist_instances alone.
const sqlRecentSchema = `
CREATE TABLE hist_recent (
	sid      INTEGER NOT NULL,
	ts       INTEGER NOT NULL,
	iid      INTEGER NOT NULL,
	created  INTEGER NOT NULL,
	modified INTEGER,
	observed INTEGER NOT NULL,
	num      REAL,
	data     BLOB
);
CREATE INDEX hist_recent_by_series ON hist_recent (sid, ts, iid);
`

// mergeRecentRows is the size of hist_recent, in instances, at which a
// write moves it to hist_instances.
const mergeRecentRows = 16384

// Statements that move the recent instances.
const (
	sqlRecentCount  = `SELECT count(*) FROM hist_recent`
	sqlRecentRollup = `INSERT INTO hist_daily (sid, day, cnt, n, vsum, vsumsq, vmin, vmax)
SELECT sid, ` + sqlDayOfTS + ` AS day, count(*), count(num), total(num), total(num * num), min(num), max(num) FROM hist_recent
GROUP BY sid, day ORDER BY day, sid ` + rollupConflict
	sqlRecentMerge = `INSERT INTO hist_instances (sid, ts, iid, created, modified, observed, num, data)
SELECT sid, ts, iid, created, modified, observed, num, data FROM hist_recent ORDER BY sid, ts, iid`
	sqlRecentClear = `DELETE FROM hist_recent`
)

// sqlDayOfTS is the start of the UTC day of ts, as floorDay computes it
// (SQLite's division truncates toward zero, as Go's does).
const sqlDayOfTS = `(ts / 86400000000 - (ts % 86400000000 < 0)) * 86400000000`

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

// countRecent reads the size of hist_recent when the store opens.
func (s *Store) countRecent(ctx context.Context) error {
	if err := s.w.QueryRowContext(ctx, sqlRecentCount).Scan(&s.recentRows); err != nil {
		return fmt.Errorf("sqlite: recent instances: %w", err)
	}
	return nil
}

// noteRecent counts n instances written to hist_recent and moves them all
// to hist_instances once there are enough. The count only runs in the
// writer's turn; after a rollback it is too high, which makes the next
// move come early.
func (w *writer) noteRecent(n int64) error {
	*w.recentRows += n
	if *w.recentRows < w.recentMax {
		return nil
	}
	return w.mergeRecent()
}

// mergeRecent moves the recent instances to hist_instances.
func (w *writer) mergeRecent() error {
	for _, q := range []string{sqlRecentRollup, sqlRecentMerge, sqlRecentClear} {
		if _, err := w.exec(q); err != nil {
			return fmt.Errorf("sqlite: move recent instances: %w", err)
		}
	}
	*w.recentRows = 0
	return nil
}
