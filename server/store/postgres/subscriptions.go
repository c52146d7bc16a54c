package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// subscriptionsSchema is the migration step of subscriptions and their
// notification queues.
//
// subscriptions holds each subscription as JSON with its delivery status
// and the state of its queue: pending counts its rows of outbox, due_at
// (Unix microseconds) is when the queue may next be claimed (backoff,
// throttling: the same for every process), lease_token and lease_until
// hold the current claim. subscriptions_due finds the claimable queues.
//
// subscription_gens counts the changes of each tenant's subscriptions, so
// that the caches of every process know when to reload.
//
// outbox holds the queued notifications, in seq order per subscription;
// dead_letters the ones given up. Both go with their subscription.
const subscriptionsSchema = `
CREATE TABLE subscriptions (
	sk                bigserial PRIMARY KEY,
	tid               integer NOT NULL REFERENCES tenants (tid),
	id                text COLLATE "C" NOT NULL,
	data              json NOT NULL,
	times_sent        bigint NOT NULL DEFAULT 0,
	times_failed      bigint NOT NULL DEFAULT 0,
	last_notification bigint NOT NULL DEFAULT 0,
	last_success      bigint NOT NULL DEFAULT 0,
	last_failure      bigint NOT NULL DEFAULT 0,
	last_error        text NOT NULL DEFAULT '',
	dead_lettered     bigint NOT NULL DEFAULT 0,
	pending           bigint NOT NULL DEFAULT 0,
	attempts          integer NOT NULL DEFAULT 0,
	due_at            bigint NOT NULL DEFAULT 0,
	lease_token       bigint NOT NULL DEFAULT 0,
	lease_until       bigint NOT NULL DEFAULT 0,
	UNIQUE (tid, id)
);
CREATE INDEX subscriptions_due ON subscriptions (due_at) WHERE pending > 0;
CREATE SEQUENCE lease_tokens;

CREATE TABLE subscription_gens (
	tid integer PRIMARY KEY REFERENCES tenants (tid),
	gen bigint NOT NULL
);

CREATE TABLE outbox (
	seq       bigserial PRIMARY KEY,
	sk        bigint NOT NULL REFERENCES subscriptions (sk) ON DELETE CASCADE,
	data      bytea NOT NULL,
	queued_at bigint NOT NULL
);
CREATE INDEX outbox_by_queue ON outbox (sk, seq);

CREATE TABLE dead_letters (
	seq       bigint PRIMARY KEY,
	sk        bigint NOT NULL REFERENCES subscriptions (sk) ON DELETE CASCADE,
	data      bytea NOT NULL,
	queued_at bigint NOT NULL,
	failed_at bigint NOT NULL,
	reason    text NOT NULL
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

func scanSubscription(row pgx.Row) (store.StoredSubscription, error) {
	var data []byte
	var st ngsild.SubscriptionStatus
	var ln, ls, lf int64
	if err := row.Scan(&data, &st.TimesSent, &st.TimesFailed, &ln, &ls, &lf, &st.LastError, &st.DeadLettered, &st.Pending); err != nil {
		return store.StoredSubscription{}, err
	}
	st.LastNotification, st.LastSuccess, st.LastFailure = fromMicros(ln), fromMicros(ls), fromMicros(lf)
	sub, err := ngsild.UnmarshalSubscription(data)
	if err != nil {
		return store.StoredSubscription{}, fmt.Errorf("postgres: decode subscription: %w", err)
	}
	return store.StoredSubscription{Sub: sub, Status: st}, nil
}

// GetSubscription returns a subscription of the tenant. In a write
// transaction the row is locked, so that read-modify-write cycles of
// several processes (periodic notifications) serialise and the later one
// sees the earlier one's change.
func (r *reader) GetSubscription(id string) (*ngsild.Subscription, ngsild.SubscriptionStatus, error) {
	sql := `SELECT ` + subColumns + ` FROM subscriptions WHERE tid = $1 AND id = $2`
	if r.w != nil {
		sql += ` FOR UPDATE`
	}
	s, err := scanSubscription(r.queryRow(sql, r.tid, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ngsild.SubscriptionStatus{}, fmt.Errorf("postgres: subscription %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, ngsild.SubscriptionStatus{}, fmt.Errorf("postgres: subscription %q: %w", id, err)
	}
	return s.Sub, s.Status, nil
}

// ListSubscriptions pages the subscriptions of the tenant.
func (r *reader) ListSubscriptions(limit, offset int) ([]store.StoredSubscription, int, error) {
	var total int
	if err := r.queryRow(`SELECT count(*) FROM subscriptions WHERE tid = $1`, r.tid).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("postgres: count subscriptions: %w", err)
	}
	if limit == 0 || total == 0 {
		return nil, total, nil
	}
	var lim *int
	if limit > 0 {
		lim = &limit
	}
	rows, err := r.query(`SELECT `+subColumns+` FROM subscriptions WHERE tid = $1 ORDER BY sk LIMIT $2 OFFSET $3`, r.tid, lim, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []store.StoredSubscription
	for rows.Next() {
		s, err := scanSubscription(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("postgres: list subscriptions: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("postgres: list subscriptions: %w", err)
	}
	return out, total, nil
}

// SubscriptionGeneration returns the change counter of the tenant's
// subscriptions.
func (r *reader) SubscriptionGeneration() (int64, error) {
	var gen int64
	err := r.queryRow(`SELECT gen FROM subscription_gens WHERE tid = $1`, r.tid).Scan(&gen)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: subscription generation: %w", err)
	}
	return gen, nil
}

func (w *writer) bumpGeneration() error {
	_, err := w.exec(`INSERT INTO subscription_gens (tid, gen) VALUES ($1, 1) ON CONFLICT (tid) DO UPDATE SET gen = subscription_gens.gen + 1`, w.tid)
	return err
}

// PutSubscription creates or replaces a subscription's definition.
func (w *writer) PutSubscription(s *ngsild.Subscription) error {
	if s == nil || s.ID == "" {
		return errors.New("postgres: put subscription: no id")
	}
	data, err := ngsild.MarshalSubscription(s)
	if err != nil {
		return fmt.Errorf("postgres: encode subscription %q: %w", s.ID, err)
	}
	if err := w.ensureTenant(); err != nil {
		return err
	}
	_, err = w.exec(`INSERT INTO subscriptions (tid, id, data) VALUES ($1, $2, $3) ON CONFLICT (tid, id) DO UPDATE SET data = excluded.data`, w.tid, s.ID, string(data))
	if err != nil {
		return fmt.Errorf("postgres: put subscription %q: %w", s.ID, err)
	}
	if err := w.bumpGeneration(); err != nil {
		return fmt.Errorf("postgres: put subscription %q: %w", s.ID, err)
	}
	return nil
}

// DeleteSubscription removes a subscription with its queues.
func (w *writer) DeleteSubscription(id string) error {
	n, err := w.exec(`DELETE FROM subscriptions WHERE tid = $1 AND id = $2`, w.tid, id)
	if err != nil {
		return fmt.Errorf("postgres: delete subscription %q: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("postgres: subscription %q: %w", id, store.ErrNotFound)
	}
	if err := w.bumpGeneration(); err != nil {
		return fmt.Errorf("postgres: delete subscription %q: %w", id, err)
	}
	return nil
}

// Enqueue appends a notification to a subscription's queue, and signals
// the outbox channel once per transaction (delivered at commit).
func (w *writer) Enqueue(subID string, data []byte, maxPending int) error {
	var sk, pending int64
	err := w.queryRow(`WITH s AS (SELECT sk FROM subscriptions WHERE tid = $1 AND id = $2),
		o AS (INSERT INTO outbox (sk, data, queued_at) SELECT sk, $3, $4 FROM s)
		UPDATE subscriptions u SET pending = pending + 1 FROM s WHERE u.sk = s.sk RETURNING u.sk, u.pending`,
		w.tid, subID, data, time.Now().UnixMicro()).Scan(&sk, &pending)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: subscription %q: %w", subID, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: enqueue for %q: %w", subID, err)
	}
	if maxPending > 0 && pending > int64(maxPending) {
		_, err := w.exec(`WITH old AS (
			DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE sk = $1 ORDER BY seq LIMIT $2)
			RETURNING seq, sk, data, queued_at
		), moved AS (
			INSERT INTO dead_letters (seq, sk, data, queued_at, failed_at, reason)
			SELECT seq, sk, data, queued_at, $3, 'queue full' FROM old RETURNING 1
		) UPDATE subscriptions SET pending = pending - (SELECT count(*) FROM moved), dead_lettered = dead_lettered + (SELECT count(*) FROM moved)
		WHERE sk = $1`, sk, pending-int64(maxPending), time.Now().UnixMicro())
		if err != nil {
			return fmt.Errorf("postgres: enqueue for %q: %w", subID, err)
		}
	}
	if !w.notified {
		if _, err := w.exec(`SELECT pg_notify($1, '')`, w.s.channel); err != nil {
			return fmt.Errorf("postgres: enqueue for %q: %w", subID, err)
		}
		w.notified = true
	}
	return nil
}

// Claim leases due queues. The queues are locked with SKIP LOCKED: queues
// another process is claiming, or whose subscription a transaction is
// changing, are passed over, never waited for.
func (s *Store) Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, maxQueues, maxItems int) ([]store.Delivery, error) {
	nowUS := now.UnixMicro()
	rows, err := s.pool.Query(ctx, `WITH c AS (
		SELECT sk FROM subscriptions WHERE pending > 0 AND due_at <= $1 AND lease_until <= $1
		ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED
	) UPDATE subscriptions s SET lease_token = nextval('lease_tokens'), lease_until = $3
	FROM c, tenants t WHERE s.sk = c.sk AND t.tid = s.tid
	RETURNING s.sk, s.lease_token, t.name, s.attempts, s.last_notification, s.data`, nowUS, maxQueues, now.Add(lease).UnixMicro())
	if err != nil {
		return nil, fmt.Errorf("postgres: claim (%s): %w", owner, err)
	}
	var out []store.Delivery
	var sks []int64
	var d store.Delivery
	var ln int64
	var data []byte
	_, err = pgx.ForEachRow(rows, []any{&d.Lease.Queue, &d.Lease.Token, &d.Tenant, &d.Attempts, &ln, &data}, func() error {
		sub, err := ngsild.UnmarshalSubscription(data)
		if err != nil {
			return fmt.Errorf("decode subscription: %w", err)
		}
		x := d
		x.Sub, x.LastNotification = sub, fromMicros(ln)
		out = append(out, x)
		sks = append(sks, d.Lease.Queue)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim (%s): %w", owner, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	rows, err = s.pool.Query(ctx, `SELECT q.sk, o.seq, o.data, o.queued_at FROM unnest($1::bigint[]) q (sk)
		CROSS JOIN LATERAL (SELECT seq, data, queued_at FROM outbox WHERE outbox.sk = q.sk ORDER BY seq LIMIT $2) o
		ORDER BY q.sk, o.seq`, sks, maxItems)
	if err != nil {
		return nil, fmt.Errorf("postgres: claim (%s): %w", owner, err)
	}
	at := map[int64]int{}
	for i, d := range out {
		at[d.Lease.Queue] = i
	}
	var sk, queued int64
	var it store.OutboxItem
	_, err = pgx.ForEachRow(rows, []any{&sk, &it.Seq, &it.Data, &queued}, func() error {
		x := it
		x.Data = append([]byte(nil), it.Data...)
		x.QueuedAt = fromMicros(queued)
		d := &out[at[sk]]
		d.Items = append(d.Items, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: claim (%s): %w", owner, err)
	}
	return out, nil
}

// Complete records delivery outcomes in one transaction.
func (s *Store) Complete(ctx context.Context, results []store.DeliveryResult) error {
	lost := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		lost = 0
		for _, r := range results {
			var token int64
			err := tx.QueryRow(ctx, `SELECT lease_token FROM subscriptions WHERE sk = $1 FOR UPDATE`, r.Lease.Queue).Scan(&token)
			if errors.Is(err, pgx.ErrNoRows) || (err == nil && token != r.Lease.Token) {
				lost++ // deleted meanwhile, or claimed again after the lease expired
				continue
			}
			if err != nil {
				return err
			}
			at := micros(r.At)
			reason := r.Error
			if reason == "" {
				reason = "given up"
			}
			_, err = tx.Exec(ctx, `WITH delivered AS (
				DELETE FROM outbox WHERE sk = $1 AND seq = ANY($2) RETURNING seq
			), given AS (
				DELETE FROM outbox WHERE sk = $1 AND seq = ANY($3) RETURNING seq, sk, data, queued_at
			), dead AS (
				INSERT INTO dead_letters (seq, sk, data, queued_at, failed_at, reason)
				SELECT seq, sk, data, queued_at, $7, $8 FROM given RETURNING 1
			), n AS (SELECT (SELECT count(*) FROM delivered) AS delivered, (SELECT count(*) FROM dead) AS given)
			UPDATE subscriptions SET
				pending = pending - n.delivered - n.given,
				times_sent = times_sent + $4,
				times_failed = times_failed + CASE WHEN $5::boolean THEN 1 ELSE 0 END,
				last_notification = CASE WHEN $6 THEN $7 ELSE last_notification END,
				last_success = CASE WHEN $4 > 0 THEN $7 ELSE last_success END,
				last_failure = CASE WHEN $5 THEN $7 ELSE last_failure END,
				last_error = CASE WHEN $5 THEN $9 ELSE last_error END,
				attempts = CASE WHEN $5 AND n.given = 0 THEN attempts + 1 ELSE 0 END,
				dead_lettered = dead_lettered + n.given,
				due_at = $10, lease_token = 0, lease_until = 0
			FROM n WHERE sk = $1`,
				r.Lease.Queue, r.Delivered, r.GiveUp, r.Sent, r.Failed, r.Sent > 0 || r.Failed, at, reason, r.Error, micros(r.NotBefore))
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: complete deliveries: %w", err)
	}
	if lost > 0 {
		return fmt.Errorf("postgres: %d deliveries: %w", lost, store.ErrLeaseLost)
	}
	return nil
}

// NextDue returns when the next queue becomes claimable.
func (s *Store) NextDue(ctx context.Context) (time.Time, error) {
	var v *int64
	err := s.pool.QueryRow(ctx, `SELECT min(greatest(due_at, lease_until)) FROM subscriptions WHERE pending > 0`).Scan(&v)
	if err != nil {
		return time.Time{}, fmt.Errorf("postgres: next due: %w", err)
	}
	if v == nil {
		return time.Time{}, nil
	}
	if *v == 0 {
		return time.UnixMicro(1).UTC(), nil
	}
	return fromMicros(*v), nil
}

// DeadLetters lists a subscription's dead letters.
func (s *Store) DeadLetters(ctx context.Context, tenant, subID string, limit int) ([]store.DeadLetter, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.seq, d.data, d.queued_at, d.failed_at, d.reason
		FROM dead_letters d JOIN subscriptions s ON s.sk = d.sk JOIN tenants t ON t.tid = s.tid
		WHERE t.name = $1 AND s.id = $2 ORDER BY d.seq LIMIT $3`, tenant, subID, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: dead letters: %w", err)
	}
	var out []store.DeadLetter
	var d store.DeadLetter
	var q, f int64
	_, err = pgx.ForEachRow(rows, []any{&d.Seq, &d.Data, &q, &f, &d.Reason}, func() error {
		x := d
		x.Data = append([]byte(nil), d.Data...)
		x.QueuedAt, x.At = fromMicros(q), fromMicros(f)
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: dead letters: %w", err)
	}
	return out, nil
}
