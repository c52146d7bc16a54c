package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// Checkpoints in the background.
//
// A checkpoint copies the pages of the WAL back to the database file (and
// syncs both). Left to SQLite, the commit that finds the WAL over its
// threshold runs it, on the writer's connection, and the writer waits:
// with sensor batches that was about a tenth of the writer's time. A
// goroutine of the store runs PASSIVE checkpoints on a connection of its
// own instead, while the writer goes on (a passive checkpoint never
// blocks a writer or a reader, and copies what no reader still needs).
// Once the WAL has been copied whole, the next write transaction starts
// it again from its beginning. The writer's own automatic checkpoint
// stays, at a larger threshold, for when the background falls behind
// (a long reader holding old pages, say).

const (
	// checkpointEvery is the pause between background checkpoints, when
	// something was committed since the last one.
	checkpointEvery = 250 * time.Millisecond
	// walBackstopPages is the WAL size, in pages, at which a commit runs
	// the checkpoint itself.
	walBackstopPages = 4 * walCheckpointPages
)

// checkpointer runs the background checkpoints of a Store.
type checkpointer struct {
	db      *sql.DB
	commits atomic.Int64 // commits so far (endTurn)
	stop    chan struct{}
	done    sync.WaitGroup
	// runs counts the checkpoints run (tests).
	runs atomic.Int64
}

// start opens the checkpointer's connection and its goroutine.
func (c *checkpointer) start(ctx context.Context, dsn string) error {
	db, err := openDB(ctx, dsn, 1)
	if err != nil {
		return err
	}
	c.db = db
	c.stop = make(chan struct{})
	c.done.Add(1)
	go c.loop()
	return nil
}

func (c *checkpointer) loop() {
	defer c.done.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var seen int64
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		n := c.commits.Load()
		if n == seen {
			continue
		}
		seen = n
		// A failure (SQLITE_BUSY when another checkpoint runs) is left to
		// the next round and to the writer's backstop.
		var busy, logged, copied int
		if err := c.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logged, &copied); err == nil {
			c.runs.Add(1)
		}
	}
}

// close stops the goroutine and closes the connection.
func (c *checkpointer) close() error {
	if c.db == nil {
		return nil
	}
	close(c.stop)
	c.done.Wait()
	return c.db.Close()
}
