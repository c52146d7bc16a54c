package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// subscriptionsSchema is the migration step of subscriptions and their
// notification queues.
//
// subscriptions holds each subscription as a JSON blob with its delivery
// status and the state of its queue: pending counts the rows of outbox
// for it, due_at (Unix microseconds) is when the queue may next be
// claimed (backoff, throttling), lease_token and lease_until hold the
// current claim. subscriptions_due finds the claimable queues.
//
// subscription_gens counts the changes of each tenant's subscriptions,
// so that caches know when to reload.
//
// outbox holds the queued notifications, in seq order per subscription;
// dead_letters the ones given up. Both go with their subscription.
const subscriptionsSchema = `
CREATE TABLE subscriptions (
	sk                INTEGER PRIMARY KEY,
	tid               INTEGER NOT NULL REFERENCES tenants (tid),
	id                TEXT NOT NULL,
	data              BLOB NOT NULL,
	times_sent        INTEGER NOT NULL DEFAULT 0,
	times_failed      INTEGER NOT NULL DEFAULT 0,
	last_notification INTEGER NOT NULL DEFAULT 0,
	last_success      INTEGER NOT NULL DEFAULT 0,
	last_failure      INTEGER NOT NULL DEFAULT 0,
	last_error        TEXT NOT NULL DEFAULT '',
	dead_lettered     INTEGER NOT NULL DEFAULT 0,
	pending           INTEGER NOT NULL DEFAULT 0,
	attempts          INTEGER NOT NULL DEFAULT 0,
	due_at            INTEGER NOT NULL DEFAULT 0,
	lease_token       INTEGER NOT NULL DEFAULT 0,
	lease_until       INTEGER NOT NULL DEFAULT 0,
	UNIQUE (tid, id)
);
CREATE INDEX subscriptions_due ON subscriptions (due_at) WHERE pending > 0;

CREATE TABLE subscription_gens (
	tid INTEGER PRIMARY KEY REFERENCES tenants (tid),
	gen INTEGER NOT NULL
);

CREATE TABLE outbox (
	seq       INTEGER PRIMARY KEY,
	sk        INTEGER NOT NULL REFERENCES subscriptions (sk) ON DELETE CASCADE,
	data      BLOB NOT NULL,
	queued_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_queue ON outbox (sk, seq);

CREATE TABLE dead_letters (
	seq       INTEGER PRIMARY KEY,
	sk        INTEGER NOT NULL REFERENCES subscriptions (sk) ON DELETE CASCADE,
	data      BLOB NOT NULL,
	queued_at INTEGER NOT NULL,
	failed_at INTEGER NOT NULL,
	reason    TEXT NOT NULL
);
CREATE INDEX dead_letters_by_queue ON dead_letters (sk, seq);
`

const subColumns = `data, times_sent, times_failed, last_notification, last_success, last_failure, last_error, dead_lettered, pending`

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

type rowScanner interface{ Scan(dest ...any) error }

func scanSubscription(row rowScanner, extra ...any) (store.StoredSubscription, error) {
	var data []byte
	var st ngsild.SubscriptionStatus
	var ln, ls, lf int64
	dest := append([]any{&data, &st.TimesSent, &st.TimesFailed, &ln, &ls, &lf, &st.LastError, &st.DeadLettered, &st.Pending}, extra...)
	if err := row.Scan(dest...); err != nil {
		return store.StoredSubscription{}, err
	}
	st.LastNotification, st.LastSuccess, st.LastFailure = fromMicros(ln), fromMicros(ls), fromMicros(lf)
	sub, err := ngsild.UnmarshalSubscription(data)
	if err != nil {
		return store.StoredSubscription{}, fmt.Errorf("sqlite: decode subscription: %w", err)
	}
	return store.StoredSubscription{Sub: sub, Status: st}, nil
}

// GetSubscription returns a subscription of the tenant.
func (r *reader) GetSubscription(id string) (*ngsild.Subscription, ngsild.SubscriptionStatus, error) {
	s, err := scanSubscription(r.queryRow(`SELECT `+subColumns+` FROM subscriptions WHERE tid = ? AND id = ?`, r.tid, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ngsild.SubscriptionStatus{}, fmt.Errorf("sqlite: subscription %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, ngsild.SubscriptionStatus{}, fmt.Errorf("sqlite: subscription %q: %w", id, err)
	}
	return s.Sub, s.Status, nil
}

// ListSubscriptions pages the subscriptions of the tenant.
func (r *reader) ListSubscriptions(limit, offset int) ([]store.StoredSubscription, int, error) {
	var total int
	if err := r.queryRow(`SELECT count(*) FROM subscriptions WHERE tid = ?`, r.tid).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlite: count subscriptions: %w", err)
	}
	if limit == 0 || total == 0 {
		return nil, total, nil
	}
	rows, err := r.query(`SELECT `+subColumns+` FROM subscriptions WHERE tid = ? ORDER BY sk LIMIT ? OFFSET ?`, r.tid, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	var out []store.StoredSubscription
	err = scanRows(rows, func(rs *sql.Rows) error {
		s, err := scanSubscription(rs)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list subscriptions: %w", err)
	}
	return out, total, nil
}

// SubscriptionGeneration returns the change counter of the tenant's
// subscriptions.
// sqlSubscriptionGen reads the generation of a tenant's subscriptions,
// which every write that may notify reads (prepared with the others).
const sqlSubscriptionGen = `SELECT gen FROM subscription_gens WHERE tid = ?`

func (r *reader) SubscriptionGeneration() (int64, error) {
	var gen int64
	err := r.queryRow(sqlSubscriptionGen, r.tid).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: subscription generation: %w", err)
	}
	return gen, nil
}

// ensureTenant creates the writer's tenant when it does not exist yet.
func (w *writer) ensureTenant() error {
	if w.tid != 0 {
		return nil
	}
	err := w.queryRow(`INSERT INTO tenants (name) VALUES (?) RETURNING tid`, w.tenant).Scan(&w.tid)
	if err != nil {
		return fmt.Errorf("sqlite: create tenant %q: %w", w.tenant, err)
	}
	return nil
}

func (w *writer) bumpGeneration() error {
	_, err := w.exec(`INSERT INTO subscription_gens (tid, gen) VALUES (?, 1) ON CONFLICT (tid) DO UPDATE SET gen = gen + 1`, w.tid)
	return err
}

// PutSubscription creates or replaces a subscription's definition.
func (w *writer) PutSubscription(s *ngsild.Subscription) error {
	if s == nil || s.ID == "" {
		return errors.New("sqlite: put subscription: no id")
	}
	data, err := ngsild.MarshalSubscription(s)
	if err != nil {
		return fmt.Errorf("sqlite: encode subscription %q: %w", s.ID, err)
	}
	if err := w.ensureTenant(); err != nil {
		return err
	}
	_, err = w.exec(`INSERT INTO subscriptions (tid, id, data) VALUES (?, ?, ?) ON CONFLICT (tid, id) DO UPDATE SET data = excluded.data`, w.tid, s.ID, data)
	if err != nil {
		return fmt.Errorf("sqlite: put subscription %q: %w", s.ID, err)
	}
	if err := w.bumpGeneration(); err != nil {
		return fmt.Errorf("sqlite: put subscription %q: %w", s.ID, err)
	}
	return nil
}

// DeleteSubscription removes a subscription with its queues.
func (w *writer) DeleteSubscription(id string) error {
	res, err := w.exec(`DELETE FROM subscriptions WHERE tid = ? AND id = ?`, w.tid, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete subscription %q: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("sqlite: delete subscription %q: %w", id, err)
		}
		return fmt.Errorf("sqlite: subscription %q: %w", id, store.ErrNotFound)
	}
	if err := w.bumpGeneration(); err != nil {
		return fmt.Errorf("sqlite: delete subscription %q: %w", id, err)
	}
	return nil
}

// Statements of the outbox, prepared on the writer connection.
const (
	sqlQueueOf     = `SELECT sk, pending FROM subscriptions WHERE tid = ? AND id = ?`
	sqlOutboxAdd   = `INSERT INTO outbox (sk, data, queued_at) VALUES (?, ?, ?)`
	sqlQueueAdded  = `UPDATE subscriptions SET pending = pending + 1 - ?1, dead_lettered = dead_lettered + ?1 WHERE sk = ?2`
	sqlClaimQueues = `SELECT s.sk, t.name, s.attempts, s.last_notification, s.data
			FROM subscriptions s JOIN tenants t ON t.tid = s.tid
			WHERE s.pending > 0 AND s.due_at <= ?1 AND s.lease_until <= ?1
			ORDER BY s.due_at LIMIT ?2`
	sqlClaimLease = `UPDATE subscriptions SET lease_token = l.value->>1, lease_until = ?1
			FROM json_each(?2) l WHERE subscriptions.sk = l.value->>0`
	sqlClaimItems = `SELECT sk, seq, data, queued_at FROM (
			SELECT o.sk, o.seq, o.data, o.queued_at, row_number() OVER (PARTITION BY o.sk ORDER BY o.seq) AS rn
			FROM outbox o WHERE o.sk IN (SELECT value->>0 FROM json_each(?1))) WHERE rn <= ?2 ORDER BY sk, seq`
	sqlLeaseTokens = `SELECT sk, lease_token FROM subscriptions WHERE sk IN (SELECT value FROM json_each(?))`
	sqlOutboxDone  = `DELETE FROM outbox WHERE seq IN (SELECT o.seq FROM json_each(?1) j JOIN outbox o ON o.seq = j.value->>1 AND o.sk = j.value->>0) RETURNING sk`
	// sqlQueuesDone applies the outcomes [sk, delivered, given up, sent,
	// failed, attempted, at, error, not before] of a batch of results.
	sqlQueuesDone = `UPDATE subscriptions SET
				pending = pending - r.value->>1 - r.value->>2,
				times_sent = times_sent + r.value->>3,
				times_failed = times_failed + r.value->>4,
				last_notification = CASE WHEN r.value->>5 THEN r.value->>6 ELSE last_notification END,
				last_success = CASE WHEN r.value->>3 > 0 THEN r.value->>6 ELSE last_success END,
				last_failure = CASE WHEN r.value->>4 > 0 THEN r.value->>6 ELSE last_failure END,
				last_error = CASE WHEN r.value->>4 > 0 THEN r.value->>7 ELSE last_error END,
				attempts = CASE WHEN r.value->>4 > 0 AND r.value->>2 = 0 THEN attempts + 1 ELSE 0 END,
				dead_lettered = dead_lettered + r.value->>2,
				due_at = r.value->>8, lease_token = 0, lease_until = 0
			FROM json_each(?1) r WHERE subscriptions.sk = r.value->>0`
)

// Statements of the outbox on the read pool, prepared there: the
// dispatcher runs them at every look at the outbox.
const (
	sqlDueCheck = `SELECT count(*) FROM (SELECT 1 FROM subscriptions
		WHERE pending > 0 AND due_at <= ?1 AND lease_until <= ?1 LIMIT 1)`
	sqlNextDue = `SELECT min(max(due_at, lease_until)) FROM subscriptions WHERE pending > 0`
)

var outboxStatements = []string{sqlQueueOf, sqlOutboxAdd, sqlQueueAdded, sqlClaimQueues, sqlClaimLease, sqlClaimItems,
	sqlLeaseTokens, sqlOutboxDone, sqlQueuesDone}

// Enqueue appends a notification to a subscription's queue.
func (w *writer) Enqueue(subID string, data []byte, maxPending int) error {
	var sk, pending int64
	err := w.queryRow(sqlQueueOf, w.tid, subID).Scan(&sk, &pending)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: subscription %q: %w", subID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: enqueue for %q: %w", subID, err)
	}
	now := time.Now().UnixMicro()
	if _, err := w.exec(sqlOutboxAdd, sk, data, now); err != nil {
		return fmt.Errorf("sqlite: enqueue for %q: %w", subID, err)
	}
	pending++
	var dropped int64
	if maxPending > 0 && pending > int64(maxPending) {
		over := pending - int64(maxPending)
		if _, err := w.exec(`INSERT INTO dead_letters (seq, sk, data, queued_at, failed_at, reason)
			SELECT seq, sk, data, queued_at, ?, 'queue full' FROM outbox WHERE sk = ? ORDER BY seq LIMIT ?`, now, sk, over); err != nil {
			return fmt.Errorf("sqlite: enqueue for %q: %w", subID, err)
		}
		res, err := w.exec(`DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE sk = ? ORDER BY seq LIMIT ?)`, sk, over)
		if err != nil {
			return fmt.Errorf("sqlite: enqueue for %q: %w", subID, err)
		}
		dropped, _ = res.RowsAffected()
	}
	_, err = w.exec(sqlQueueAdded, dropped, sk)
	if err != nil {
		return fmt.Errorf("sqlite: enqueue for %q: %w", subID, err)
	}
	return nil
}

// outboxTx runs fn in a write transaction outside any tenant, shared with
// the concurrent writers (group.go), with the writer's prepared
// statements.
func (s *Store) outboxTx(ctx context.Context, fn func(ex *reader) error) error {
	return s.write(ctx, func(g *group) error {
		return fn(&reader{ctx: context.WithoutCancel(ctx), tx: g.tx, st: &s.ws, bound: g.bound})
	})
}

// Claim leases due queues.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, maxQueues, maxItems int) ([]store.Delivery, error) {
	// Look on the read pool first: the write lock is taken only when a
	// queue is due.
	var due int
	err := s.rs[sqlDueCheck].QueryRowContext(ctx, now.UnixMicro()).Scan(&due)
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim (%s): %w", owner, err)
	}
	if due == 0 {
		return nil, nil
	}
	type claimed struct {
		d    store.Delivery
		data []byte
	}
	var out []claimed
	err = s.outboxTx(ctx, func(ex *reader) error {
		out = out[:0]
		nowUS := now.UnixMicro()
		rows, err := ex.query(sqlClaimQueues, nowUS, maxQueues)
		if err != nil {
			return err
		}
		err = scanRows(rows, func(rs *sql.Rows) error {
			var c claimed
			var sk, ln int64
			if err := rs.Scan(&sk, &c.d.Tenant, &c.d.Attempts, &ln, &c.data); err != nil {
				return err
			}
			c.d.LastNotification = fromMicros(ln)
			c.d.Lease = store.Lease{Queue: sk, Token: rand.Int64N(1<<62) + 1}
			out = append(out, c)
			return nil
		})
		if err != nil || len(out) == 0 {
			return err
		}
		until := now.Add(lease).UnixMicro()
		byQueue := make(map[int64]*store.Delivery, len(out))
		leases := make([][2]int64, len(out))
		for i := range out {
			byQueue[out[i].d.Lease.Queue] = &out[i].d
			leases[i] = [2]int64{out[i].d.Lease.Queue, out[i].d.Lease.Token}
		}
		list, err := json.Marshal(leases)
		if err != nil {
			return err
		}
		if _, err := ex.exec(sqlClaimLease, until, string(list)); err != nil {
			return err
		}
		rows, err = ex.query(sqlClaimItems, string(list), maxItems)
		if err != nil {
			return err
		}
		return scanRows(rows, func(rs *sql.Rows) error {
			var it store.OutboxItem
			var sk, q int64
			if err := rs.Scan(&sk, &it.Seq, &it.Data, &q); err != nil {
				return err
			}
			it.QueuedAt = fromMicros(q)
			if d := byQueue[sk]; d != nil {
				d.Items = append(d.Items, it)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim (%s): %w", owner, err)
	}
	// The subscriptions are decoded after the commit, off the writer.
	deliveries := make([]store.Delivery, len(out))
	for i, c := range out {
		d := c.d
		if d.Sub, err = ngsild.UnmarshalSubscription(c.data); err != nil {
			return nil, fmt.Errorf("sqlite: claim (%s): decode subscription: %w", owner, err)
		}
		deliveries[i] = d
	}
	return deliveries, nil
}

// Complete records delivery outcomes, with one statement for each kind of
// change whatever the number of results.
func (s *Store) Complete(ctx context.Context, results []store.DeliveryResult) error {
	var lost int
	err := s.outboxTx(ctx, func(ex *reader) error {
		lost = 0
		queues := make([]int64, len(results))
		for i, r := range results {
			queues[i] = r.Lease.Queue
		}
		list, err := json.Marshal(queues)
		if err != nil {
			return err
		}
		rows, err := ex.query(sqlLeaseTokens, string(list))
		if err != nil {
			return err
		}
		tokens := make(map[int64]int64, len(results))
		err = scanRows(rows, func(rs *sql.Rows) error {
			var sk, token int64
			err := rs.Scan(&sk, &token)
			tokens[sk] = token
			return err
		})
		if err != nil {
			return err
		}
		var valid []store.DeliveryResult
		var done [][2]int64 // [queue, seq] of the delivered items
		for _, r := range results {
			if token, ok := tokens[r.Lease.Queue]; !ok || token != r.Lease.Token {
				lost++ // deleted meanwhile, or claimed again after the lease expired
				continue
			}
			delete(tokens, r.Lease.Queue) // one result per claim
			valid = append(valid, r)
			for _, seq := range r.Delivered {
				done = append(done, [2]int64{r.Lease.Queue, seq})
			}
		}
		if len(valid) == 0 {
			return nil
		}
		delivered := map[int64]int64{}
		if len(done) > 0 {
			list, err := json.Marshal(done)
			if err != nil {
				return err
			}
			rows, err := ex.query(sqlOutboxDone, string(list))
			if err != nil {
				return err
			}
			err = scanRows(rows, func(rs *sql.Rows) error {
				var sk int64
				err := rs.Scan(&sk)
				delivered[sk]++
				return err
			})
			if err != nil {
				return err
			}
		}
		outcomes := make([][]any, 0, len(valid))
		for _, r := range valid {
			at := micros(r.At)
			given, err := removeItems(ex, r.Lease.Queue, r.GiveUp, r.Error, at)
			if err != nil {
				return err
			}
			attempted := r.Sent > 0 || r.Failed
			outcomes = append(outcomes, []any{r.Lease.Queue, delivered[r.Lease.Queue], given, r.Sent, boolInt(r.Failed),
				boolInt(attempted), at, r.Error, micros(r.NotBefore)})
		}
		data, err := json.Marshal(outcomes)
		if err != nil {
			return err
		}
		_, err = ex.exec(sqlQueuesDone, string(data))
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: complete deliveries: %w", err)
	}
	if lost > 0 {
		return fmt.Errorf("sqlite: %d deliveries: %w", lost, store.ErrLeaseLost)
	}
	return nil
}

// removeItems deletes items of a queue; with reason set it moves them to
// the dead letters. It returns how many were removed.
func removeItems(ex *reader, sk int64, seqs []int64, reason string, at int64) (int64, error) {
	if len(seqs) == 0 {
		return 0, nil
	}
	list, err := json.Marshal(seqs)
	if err != nil {
		return 0, err
	}
	if at != 0 {
		if reason == "" {
			reason = "given up"
		}
		_, err := ex.exec(`INSERT INTO dead_letters (seq, sk, data, queued_at, failed_at, reason)
			SELECT seq, sk, data, queued_at, ?, ? FROM outbox WHERE sk = ? AND seq IN (SELECT value FROM json_each(?))`, at, reason, sk, string(list))
		if err != nil {
			return 0, err
		}
	}
	res, err := ex.exec(`DELETE FROM outbox WHERE sk = ? AND seq IN (SELECT value FROM json_each(?))`, sk, string(list))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NextDue returns when the next queue becomes claimable.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var v sql.NullInt64
	err := s.rs[sqlNextDue].QueryRowContext(ctx).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlite: next due: %w", err)
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	if v.Int64 == 0 {
		return time.UnixMicro(1).UTC(), nil
	}
	return fromMicros(v.Int64), nil
}

// DeadLetters lists a subscription's dead letters.
func (s *Store) DeadLetters(ctx context.Context, tenant, subID string, limit int) ([]store.DeadLetter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT d.seq, d.data, d.queued_at, d.failed_at, d.reason
		FROM dead_letters d JOIN subscriptions s ON s.sk = d.sk JOIN tenants t ON t.tid = s.tid
		WHERE t.name = ? AND s.id = ? ORDER BY d.seq LIMIT ?`, tenant, subID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: dead letters: %w", err)
	}
	var out []store.DeadLetter
	err = scanRows(rows, func(rs *sql.Rows) error {
		var d store.DeadLetter
		var q, f int64
		if err := rs.Scan(&d.Seq, &d.Data, &q, &f, &d.Reason); err != nil {
			return err
		}
		d.QueuedAt, d.At = fromMicros(q), fromMicros(f)
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: dead letters: %w", err)
	}
	return out, nil
}
