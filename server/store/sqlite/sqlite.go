// Package sqlite is the embedded store of the reference server: a single
// SQLite database file, through the pure-Go driver modernc.org/sqlite.
//
// The database runs in WAL mode. Writes go through one connection, in
// BEGIN IMMEDIATE transactions, so that Update calls are serialised in the
// process and against other processes; concurrent Update calls share one
// transaction and one commit, each in its own savepoint (group commit,
// group.go). Reads use a separate pool of connections, each View being
// one read transaction and so one consistent snapshot, which WAL lets run
// beside the writer.
//
// Durability: with Synchronous "NORMAL" (the default) a committed Update
// survives a crash of the process, not the loss of power; "FULL" syncs the
// WAL at every commit and survives both.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	// The driver registers itself as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/opentid/opentid/server/store"
)

// Options tune a Store. The zero value is usable.
type Options struct {
	// Synchronous is SQLite's synchronous setting: "NORMAL" (the default)
	// or "FULL".
	Synchronous string
	// ReadConns is the size of the pool of read connections; 4 when zero.
	ReadConns int
	// CacheEntries bounds each of the writer's caches (cache.go): of
	// entities, of history series (by entity) and of type and attribute
	// numbers; 8,192 when zero, none when negative. An entity of ten
	// attributes takes about 5 KB there (about 40 MB at the default
	// bound).
	CacheEntries int
}

const (
	defaultReadConns = 4
	busyTimeoutMS    = 5000
	cacheSizeKiB     = 32 * 1024
	defaultTenantTID = 1
	// walCheckpointPages is the WAL size of reference, in pages: the
	// background checkpoints (checkpoint.go) keep it about there, and the
	// writer's own checkpoint starts at a multiple of it. Sensor writes
	// change the same pages over and over (the last page of each
	// attribute's history); a large WAL copies each of them once for many
	// commits (SQLite's default, 1,000 pages, checkpointed at almost every
	// commit of a batch of 100 sensors).
	walCheckpointPages = 16384
)

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	w, r   *sql.DB
	ws, rs statements
	gc     committer
	caches *caches
	ckpt   checkpointer
	// recent is the state of hist_recent (recent.go); only the writer's
	// turn reads and changes it.
	recent recentState
	// bufs are the buffers the writer reuses (buffers.go).
	bufs buffers
}

var _ store.Store = (*Store)(nil)

// Open opens the database file at path, creating it when missing, and
// brings its schema up to date. It refuses a database written by a newer
// version of the program (ErrNewerSchema).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	sync := strings.ToUpper(opts.Synchronous)
	switch sync {
	case "":
		sync = "NORMAL"
	case "NORMAL", "FULL":
	default:
		return nil, fmt.Errorf("sqlite: Synchronous %q: want NORMAL or FULL", opts.Synchronous)
	}
	readConns := opts.ReadConns
	if readConns == 0 {
		readConns = defaultReadConns
	}
	if readConns < 0 {
		return nil, fmt.Errorf("sqlite: ReadConns %d: want a positive number", readConns)
	}
	if err := registerFunctions(); err != nil {
		return nil, err
	}

	common := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS),
		"foreign_keys(1)",
		fmt.Sprintf("cache_size(-%d)", cacheSizeKiB),
		"temp_store(MEMORY)",
	}
	cacheEntries := opts.CacheEntries
	if cacheEntries == 0 {
		cacheEntries = defaultCacheEntries
	}
	s := &Store{caches: newCaches(cacheEntries)}
	s.gc.budget = groupBudget
	s.recent = newRecentState()
	var err error
	s.w, err = openDB(ctx, fileDSN(path, append(common, "journal_mode(WAL)", "synchronous("+sync+")",
		fmt.Sprintf("wal_autocheckpoint(%d)", walBackstopPages)), "immediate"), 1)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.w); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := s.countRecent(ctx); err != nil {
		s.w.Close()
		return nil, err
	}
	s.r, err = openDB(ctx, fileDSN(path, append(common, "query_only(1)"), ""), readConns)
	if err != nil {
		s.w.Close()
		return nil, err
	}
	if s.ws, err = prepare(ctx, s.w, true); err == nil {
		s.rs, err = prepare(ctx, s.r, false)
	}
	if err == nil {
		err = s.ckpt.start(ctx, fileDSN(path, common, ""))
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// fileDSN builds the driver's DSN for a file path: a SQLite URI filename
// with the pragmas every connection runs when it opens.
func fileDSN(path string, pragmas []string, txlock string) string {
	// In a URI filename, '%', '?' and '#' of the path must be escaped.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	if txlock != "" {
		q.Set("_txlock", txlock)
	}
	return "file:" + esc + "?" + q.Encode()
}

func openDB(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	return db, nil
}

// Close closes the connections. The WAL is checkpointed by SQLite when the
// last connection closes.
func (s *Store) Close() error {
	errs := []error{s.ckpt.close()}
	s.ws.close()
	s.rs.close()
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// View runs fn in a read transaction of the read pool.
func (s *Store) View(ctx context.Context, tenant string, fn func(store.Reader) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	r := &reader{ctx: ctx, tx: tx, st: &s.rs}
	// The snapshot starts with this first read.
	if err := r.lookupTenant(tenant); err != nil {
		return err
	}
	if r.tid == 0 {
		return store.ErrTenantNotFound
	}
	return fn(r)
}

// Update runs fn in a write transaction of the writer connection, shared
// with the concurrent callers (group commit, group.go). fn's statements
// are not interrupted when ctx ends: the transaction may hold the writes
// of other callers.
func (s *Store) Update(ctx context.Context, tenant string, fn func(store.Tx) error) error {
	return s.write(ctx, func(g *group) error {
		w := &writer{reader: reader{ctx: context.WithoutCancel(ctx), tx: g.tx, st: &s.ws, bound: g.bound}, tenant: tenant,
			caches: s.caches, group: &g.caches, recent: &s.recent, bufs: &s.bufs, pending: instanceBatch{pool: &s.bufs}}
		w.ix.ex, w.ix.numbers = &w.reader, numbers{w}
		if err := w.lookupTenant(tenant); err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		if err := w.flushInstances(); err != nil {
			return err
		}
		if err := w.flushEntities(); err != nil {
			return err
		}
		// What this caller's work taught the caches now belongs to the
		// group: installed if its commit succeeds (cache.go).
		g.caches.merge(&w.mine)
		return nil
	})
}

// Tenants lists the tenants, the default one excluded.
func (s *Store) Tenants(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name FROM tenants WHERE tid <> ? ORDER BY name`, defaultTenantTID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tenants: %w", err)
	}
	names, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tenants: %w", err)
	}
	return names, nil
}

// scanStrings reads a one-column result and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	var out []string
	err := scanRows(rows, func(s *sql.Rows) error {
		var v string
		err := s.Scan(&v)
		out = append(out, v)
		return err
	})
	return out, err
}
