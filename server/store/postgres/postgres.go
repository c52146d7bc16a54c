// Package postgres is the PostgreSQL store of the reference server, for
// deployments that outgrow one machine: any number of server processes
// (replicas) share one database through it and behave as one server.
//
// It needs plain PostgreSQL 15 or later and no extension. Every Update is
// one READ COMMITTED transaction; entities read for a change are locked
// (SELECT ... FOR UPDATE, or an advisory lock on the id when the entity
// does not exist yet), so that concurrent read-modify-write cycles of
// several processes on one entity serialise. Every View is one REPEATABLE
// READ, read-only transaction: a consistent snapshot.
//
// Writes of entities are pipelined: Put queues one statement that upserts
// the entity and rewrites its index rows, and the queue is sent in
// batches, before the next read of the transaction and at the latest at
// commit.
//
// The notification outbox is claimed with row locks (FOR UPDATE SKIP
// LOCKED), so that each queue is delivered by one process at a time, and
// Enqueue signals the other processes with NOTIFY on commit (Wake).
package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opentid/opentid/server/store"
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// Schema is the PostgreSQL schema that holds the tables, created when
	// missing; empty uses the connection's search_path (usually public).
	Schema string
	// MaxConns is the size of the connection pool; 0 keeps pgx's default
	// (the larger of 4 and the number of CPUs) or the URL's pool_max_conns.
	MaxConns int32
	// PartitionMonths is how many months of instance partitions are
	// created before and after the current month at start (default 24
	// before, 3 after); instances outside go to the default partition.
	// While the store is open, the months ahead are created as time
	// passes (every PartitionCheck).
	PartitionMonthsBack, PartitionMonthsAhead int
	// PartitionCheck is the pause between two checks of the months ahead;
	// 6 hours when zero.
	PartitionCheck time.Duration

	// now is the clock of the partition checks (tests); time.Now when nil.
	now func() time.Time
}

// Store is the PostgreSQL implementation of store.Store. It is safe for
// concurrent use by many goroutines and many processes.
type Store struct {
	pool    *pgxpool.Pool
	schema  string // the schema in use (current_schema())
	channel string // the NOTIFY channel of the outbox

	tenants sync.Map // name -> tid of tenants known to exist

	wakeMu   sync.Mutex
	wakeFns  []func()
	wakeStop context.CancelFunc
	wakeDone chan struct{}

	// partStop ends the goroutine that creates the months ahead.
	partStop context.CancelFunc
	partDone chan struct{}
}

var _ store.Store = (*Store)(nil)

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Open connects to the database at url (postgres://...), brings its
// schema up to date and returns the store. Several processes may open the
// same database at once: migrations run under an advisory lock.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if opts.Schema != "" {
		if !schemaName.MatchString(opts.Schema) {
			return nil, fmt.Errorf("postgres: schema %q: want lower-case letters, digits and underscores", opts.Schema)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = opts.Schema
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool}
	if opts.Schema != "" {
		if _, err := pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+opts.Schema); err != nil && !isUniqueViolation(err) {
			pool.Close()
			return nil, fmt.Errorf("postgres: create schema: %w", err)
		}
	}
	if err := pool.QueryRow(ctx, "SELECT current_schema()").Scan(&s.schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.channel = "opentid_outbox_" + s.schema
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	back, ahead := opts.PartitionMonthsBack, opts.PartitionMonthsAhead
	if back <= 0 {
		back = 24
	}
	if ahead <= 0 {
		ahead = 3
	}
	if err := s.ensurePartitions(ctx, time.Now(), back, ahead); err != nil {
		pool.Close()
		return nil, err
	}
	s.startPartitionChecks(opts, ahead)
	return s, nil
}

// startPartitionChecks runs ensurePartitions for the current month and
// the months ahead every opts.PartitionCheck, so that a server running
// for months keeps writing its instances to monthly partitions rather
// than to the default one. A failed check (the database unreachable for
// a while) is tried again at the next one.
func (s *Store) startPartitionChecks(opts Options, ahead int) {
	every := opts.PartitionCheck
	if every <= 0 {
		every = 6 * time.Hour
	}
	now := opts.now
	if now == nil {
		now = time.Now
	}
	ctx, stop := context.WithCancel(context.Background())
	s.partStop, s.partDone = stop, make(chan struct{})
	go func() {
		defer close(s.partDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = s.ensurePartitions(ctx, now(), 0, ahead)
			}
		}
	}()
}

// Close stops the listener and closes the pool.
func (s *Store) Close() error {
	s.wakeMu.Lock()
	stop, done := s.wakeStop, s.wakeDone
	s.wakeStop = nil
	s.wakeMu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	if s.partStop != nil {
		s.partStop()
		<-s.partDone
	}
	s.pool.Close()
	return nil
}

// tenantID returns the key of tenant, 0 when it does not exist.
func (s *Store) tenantID(ctx context.Context, q querier, name string) (int64, error) {
	if v, ok := s.tenants.Load(name); ok {
		return v.(int64), nil
	}
	var tid int64
	err := q.QueryRow(ctx, `SELECT tid FROM tenants WHERE name = $1`, name).Scan(&tid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: tenant %q: %w", name, err)
	}
	s.tenants.Store(name, tid)
	return tid, nil
}

// querier is what a transaction and a pool have in common.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// View runs fn in a read-only snapshot of tenant.
func (s *Store) View(ctx context.Context, tenant string, fn func(store.Reader) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	r := &reader{ctx: ctx, tx: tx, s: s}
	// The snapshot starts with this first statement.
	if r.tid, err = s.tenantID(ctx, tx, tenant); err != nil {
		return err
	}
	if r.tid == 0 {
		return store.ErrTenantNotFound
	}
	return fn(r)
}

// Update runs fn in a read-write transaction on tenant.
func (s *Store) Update(ctx context.Context, tenant string, fn func(store.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	w := &writer{reader: reader{ctx: ctx, tx: tx, s: s}, tenant: tenant}
	w.w = w
	if w.tid, err = s.tenantID(ctx, tx, tenant); err != nil {
		return err
	}
	if err := fn(w); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	committed = true
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// Tenants lists the tenants, the default one excluded.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT name FROM tenants WHERE tid <> $1 ORDER BY name`, defaultTenantTID)
	if err != nil {
		return nil, fmt.Errorf("postgres: tenants: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: tenants: %w", err)
	}
	return names, nil
}

const defaultTenantTID = 1

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// Wake calls fn, in a goroutine of the store, whenever a process that
// shares the database commits a transaction that queued notifications
// (LISTEN/NOTIFY), and once after the listening connection is
// (re)established. Delivery workers use it to claim new work at once
// rather than at their next poll.
func (s *Store) Wake(fn func()) {
	s.wakeMu.Lock()
	defer s.wakeMu.Unlock()
	s.wakeFns = append(s.wakeFns, fn)
	if s.wakeStop != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.wakeStop, s.wakeDone = cancel, make(chan struct{})
	go s.listen(ctx, s.wakeDone)
}

func (s *Store) wake() {
	s.wakeMu.Lock()
	fns := append([]func(){}, s.wakeFns...)
	s.wakeMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// listen holds a connection that LISTENs on the outbox channel, and
// reconnects after an error.
func (s *Store) listen(ctx context.Context, done chan struct{}) {
	defer close(done)
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		_ = err // reconnect after a pause
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// The connection leaves the pool: it stays in LISTEN mode.
	c := conn.Hijack()
	defer c.Close(context.Background())
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		return err
	}
	s.wake()
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return err
		}
		s.wake()
	}
}
