package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Group commit.
//
// Every write of the store (Update, and the outbox's Claim and Complete)
// runs in the one write transaction that is open on the writer
// connection. Callers take turns: each runs its work, in its own
// goroutine, inside a SAVEPOINT of that transaction. When other callers
// are queued at the end of a turn, the turn passes to one of them and the
// transaction stays open; the last caller of the group commits it, and
// every caller of the group returns after that COMMIT. So many concurrent
// writes share one commit, and the contract of Update holds:
//
//   - an acknowledged write is durable: a caller returns nil only after the
//     COMMIT that holds its writes succeeded;
//   - an error, a panic or a runtime.Goexit of one caller's work rolls
//     back to its savepoint, that is its own writes only; the others stay;
//   - a caller reads its own writes and those of the callers before it in
//     the group, as it would after their commits.
//
// When the transaction itself fails (a savepoint cannot be released or
// rolled back to, the commit fails) the whole group is rolled back and
// every caller whose work had succeeded gets the error.

// maxGroup bounds the callers whose writes share one transaction.
const maxGroup = 128

// groupBudget bounds the time the members of a group spend in their work
// before the turn passes to another caller: past it, the group commits.
// Sharing a commit pays for small writes, whose commit costs as much as
// their work; a large write (a batch of a hundred sensors) gains nothing
// from it, and each member after the first pays for its savepoint, whose
// journal keeps a copy of every page the member changes.
const groupBudget = 10 * time.Millisecond

// Savepoint statements, prepared with the others.
const (
	sqlSavepoint  = `SAVEPOINT member`
	sqlRelease    = `RELEASE member`
	sqlRollbackTo = `ROLLBACK TO member`
)

// group is one write transaction shared by several callers.
type group struct {
	tx *sql.Tx
	// bound caches the prepared statements bound to tx, for all members.
	bound   map[string]*sql.Stmt
	members int
	// work is the time the members spent in their work so far.
	work time.Duration
	// caches is what the members' work taught the writer's caches,
	// installed after the commit (cache.go).
	caches txCaches
	// err is set when the transaction failed as a whole.
	err error
	// done is closed after the commit or the rollback.
	done chan struct{}
}

func (g *group) fail(err error) {
	if g.err == nil {
		g.err = fmt.Errorf("sqlite: write transaction: %w", err)
	}
}

// committer hands the writer connection from caller to caller.
type committer struct {
	// turn is held by the caller whose work runs on the transaction.
	turn sync.Mutex
	mu   sync.Mutex // guards queued and open
	// queued counts the callers waiting for their turn.
	queued int
	open   *group
	// budget is groupBudget (tests change it).
	budget time.Duration
	// groups counts the transactions committed or rolled back (tests).
	groups int64
}

// write runs fn in a savepoint of the shared write transaction and returns
// once the outcome is durable: fn's error as is, or nil after the commit.
func (s *Store) write(ctx context.Context, fn func(g *group) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &s.gc
	c.mu.Lock()
	c.queued++
	c.mu.Unlock()
	c.turn.Lock()
	c.mu.Lock()
	c.queued--
	g := c.open
	c.mu.Unlock()
	if g == nil {
		tx, err := s.w.BeginTx(context.Background(), nil)
		if err != nil {
			c.turn.Unlock()
			return fmt.Errorf("sqlite: begin: %w", err)
		}
		g = &group{tx: tx, bound: map[string]*sql.Stmt{}, done: make(chan struct{})}
		c.mu.Lock()
		c.open = g
		c.mu.Unlock()
	}
	g.members++
	if err := s.member(g, fn); err != nil {
		return err
	}
	<-g.done
	return g.err
}

// member runs fn in a savepoint of g and ends the turn, whatever fn does.
//
// The first member of a group runs without a savepoint: when it fails,
// the transaction, which holds nothing else, is rolled back whole. This
// spares a caller that writes alone the savepoint's journal, whose upkeep
// grows with the pages the transaction changed.
func (s *Store) member(g *group, fn func(g *group) error) (err error) {
	defer s.endTurn(g)
	ex := &reader{ctx: context.Background(), tx: g.tx, st: &s.ws, bound: g.bound}
	if g.err != nil {
		return g.err
	}
	savepoint := g.members > 1
	if savepoint {
		if _, err := ex.exec(sqlSavepoint); err != nil {
			g.fail(err)
			return g.err
		}
	}
	ok := false
	start := time.Now()
	defer func() {
		g.work += time.Since(start)
		switch {
		case ok:
		case !savepoint:
			// fn failed, panicked or exited: the group ends with a
			// rollback, and its only member gets fn's outcome.
			g.fail(errFirstFailed)
		default:
			// fn failed, panicked or exited: undo its writes only.
			if _, rerr := ex.exec(sqlRollbackTo); rerr != nil {
				g.fail(rerr)
			} else if _, rerr := ex.exec(sqlRelease); rerr != nil {
				g.fail(rerr)
			}
		}
	}()
	if err = fn(g); err != nil {
		return err
	}
	ok = true
	if savepoint {
		if _, rerr := ex.exec(sqlRelease); rerr != nil {
			g.fail(rerr)
			return g.err
		}
	}
	return nil
}

// errFirstFailed ends a group whose first member failed; no caller sees
// it.
var errFirstFailed = errors.New("the first write of the transaction failed")

// endTurn passes the turn to a queued caller, or ends the group: commit
// (or rollback after a failure), then wake its members.
func (s *Store) endTurn(g *group) {
	c := &s.gc
	c.mu.Lock()
	pass := g.err == nil && c.queued > 0 && g.members < maxGroup && g.work < c.budget
	if !pass {
		c.open = nil
		c.groups++
	}
	c.mu.Unlock()
	if !pass {
		if g.err == nil {
			if err := g.tx.Commit(); err != nil {
				g.err = fmt.Errorf("sqlite: commit: %w", err)
			} else {
				s.caches.install(&g.caches)
				s.ckpt.commits.Add(1)
			}
		} else {
			_ = g.tx.Rollback()
		}
		close(g.done)
	}
	c.turn.Unlock()
}
