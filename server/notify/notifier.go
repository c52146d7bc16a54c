// Package notify delivers the notifications of NGSI-LD subscriptions.
//
// Matching happens in the write transaction: Hook, called with the
// entities a transaction changed, finds the subscriptions they trigger and
// queues one notification per subscription in the store's outbox, in the
// same transaction, so that a change commits with its notifications or not
// at all. Nothing is sent on the write path.
//
// Delivery happens in Run: a dispatcher claims due queues (one per
// subscription) with a lease, a bounded pool of goroutines sends each
// queue's notifications in order over HTTP or MQTT, and a completer records
// the outcomes in batches: delivered notifications leave the queue, a
// failure reschedules the queue with exponential backoff, and after
// MaxAttempts failures the notification goes to the dead letters. A
// process that dies mid-delivery loses its leases, and the notifications
// are delivered again: delivery is at least once.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// Options tune a Notifier. The zero value is usable but resolves every
// @context to nothing: the server sets Contexts.
type Options struct {
	// AllowPrivate lets notifications go to loopback, link-local and
	// private addresses (tests, closed networks).
	AllowPrivate bool
	// Timeout bounds one delivery attempt (default 5 s).
	Timeout time.Duration
	// MaxBytes bounds the size of one notification (default 1 MiB); a
	// larger one is given up.
	MaxBytes int
	// MaxAttempts is the number of failed attempts after which a
	// notification is given up (default 8).
	MaxAttempts int
	// MaxPending bounds each subscription's queue (default 10,000): the
	// oldest notifications beyond it are given up.
	MaxPending int
	// Backoff is the delay after the first failure (default 1 s); it
	// doubles at each failure up to MaxBackoff (default 5 min).
	Backoff, MaxBackoff time.Duration
	// Lease is how long a claim holds a queue (default 1 min); it must
	// exceed Timeout times the items of a claim that may fail slowly.
	Lease time.Duration
	// Concurrency is the number of queues delivered at once (default 64).
	Concurrency int
	// Poll is the longest wait between two looks at the outbox (default 1 s).
	Poll time.Duration
	// Contexts resolves the stored @context of a subscription (nil: the
	// core context) for the compaction of its notifications.
	Contexts func(ctx context.Context, raw any) (ngsild.Context, error)
	// Now is the clock (tests); default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Timeout, 5*time.Second)
	def(&o.Backoff, time.Second)
	def(&o.MaxBackoff, 5*time.Minute)
	def(&o.Lease, time.Minute)
	def(&o.Poll, time.Second)
	if o.MaxBytes <= 0 {
		o.MaxBytes = 1 << 20
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 10000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// maxItemsPerClaim bounds the notifications taken from one queue at once.
const maxItemsPerClaim = 64

// Notifier matches changes against subscriptions and delivers the
// notifications. It is safe for concurrent use.
type Notifier struct {
	st    store.Store
	opts  Options
	owner string
	subs  cache
	kick  chan struct{}
	http  *httpSender
	mqtt  *mqttSender

	inFlight atomic.Int64
}

// waker is implemented by stores that can tell when another process
// queued notifications (PostgreSQL's LISTEN/NOTIFY), so that replicas
// deliver without waiting for their next poll.
type waker interface{ Wake(fn func()) }

// New builds a notifier on st. Nothing runs before Run.
func New(st store.Store, opts Options) *Notifier {
	opts = opts.withDefaults()
	n := &Notifier{
		st:    st,
		opts:  opts,
		owner: "opentid-" + strconv.FormatInt(rand.Int64(), 36),
		kick:  make(chan struct{}, 1),
		http:  newHTTPSender(opts.Timeout, opts.AllowPrivate),
		mqtt:  newMQTTSender(opts.Timeout, opts.AllowPrivate),
	}
	if w, ok := st.(waker); ok {
		w.Wake(n.Kick)
	}
	return n
}

func (n *Notifier) now() time.Time { return n.opts.Now().UTC() }

// Kick tells the dispatcher that notifications were queued; the server
// calls it after the commit of a transaction whose Hook queued some.
func (n *Notifier) Kick() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}

// Hook queues the notifications that changes trigger, in tx. It reports
// whether it queued any.
func (n *Notifier) Hook(tx store.Tx, tenant string, changes []Change) (bool, error) {
	ts, err := n.subs.get(tenant, tx)
	if err != nil {
		return false, err
	}
	if len(ts.all) == 0 {
		return false, nil
	}
	now := n.now()
	queued := false
	for _, ch := range changes {
		target := ch.New
		if target == nil {
			target = ch.Old
		}
		var plain, withOld []byte
		err := ts.candidates(target, func(c *compiled) error {
			if !c.matches(ch, now) {
				return nil
			}
			keepOld := ch.New == nil || c.sub.Notify.ShowChanges
			data := plain
			if keepOld {
				data = withOld
			}
			if data == nil {
				ie := itemEntity{}
				var err error
				if ch.New != nil {
					if ie.New, err = ngsild.MarshalEntity(ch.New); err != nil {
						return err
					}
				}
				if keepOld && ch.Old != nil {
					if ie.Old, err = ngsild.MarshalEntity(ch.Old); err != nil {
						return err
					}
				}
				if data, err = encodeItem(ch.Reason(), now, []itemEntity{ie}); err != nil {
					return err
				}
				if keepOld {
					withOld = data
				} else {
					plain = data
				}
			}
			queued = true
			return tx.Enqueue(c.sub.ID, data, n.opts.MaxPending)
		})
		if err != nil {
			return false, fmt.Errorf("notify: %w", err)
		}
	}
	return queued, nil
}

// Run delivers notifications and sends periodic ones until ctx is
// cancelled; it returns when the deliveries under way have ended.
func (n *Notifier) Run(ctx context.Context) {
	results := make(chan store.DeliveryResult, n.opts.Concurrency)
	var deliveries, loops sync.WaitGroup
	loops.Add(2)
	completed := make(chan struct{})
	go func() {
		defer close(completed)
		n.complete(results)
	}()
	go func() { defer loops.Done(); n.dispatch(ctx, results, &deliveries) }()
	go func() { defer loops.Done(); n.periodic(ctx) }()
	loops.Wait()
	deliveries.Wait()
	close(results)
	<-completed
	n.http.close()
	n.mqtt.close()
}

// dispatch claims due queues and starts their delivery.
func (n *Notifier) dispatch(ctx context.Context, results chan<- store.DeliveryResult, wg *sync.WaitGroup) {
	errDelay := n.opts.Poll
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		free := n.opts.Concurrency - int(n.inFlight.Load())
		wait := n.opts.Poll
		if free > 0 {
			claimed, err := n.st.Claim(ctx, n.owner, n.now(), n.opts.Lease, free, maxItemsPerClaim)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				n.opts.Logger.Warn("notify: claim failed", "err", err)
				wait = errDelay
				errDelay = min(2*errDelay, time.Minute)
			default:
				errDelay = n.opts.Poll
				for _, d := range claimed {
					n.inFlight.Add(1)
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := n.deliver(ctx, d)
						n.inFlight.Add(-1)
						results <- r
					}()
				}
				if len(claimed) == free {
					continue // more may be due
				}
				if next, err := n.st.NextDue(ctx); err == nil && !next.IsZero() {
					if d := time.Until(next); d < wait {
						wait = max(d, time.Millisecond)
					}
				}
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-n.kick:
		case <-timer.C:
		}
	}
}

// complete records delivery results in batches.
func (n *Notifier) complete(results <-chan store.DeliveryResult) {
	for r := range results {
		batch := []store.DeliveryResult{r}
	drain:
		for len(batch) < 256 {
			select {
			case r, ok := <-results:
				if !ok {
					break drain
				}
				batch = append(batch, r)
			default:
				break drain
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := n.st.Complete(ctx, batch)
		cancel()
		if err != nil && !errors.Is(err, store.ErrLeaseLost) {
			n.opts.Logger.Warn("notify: recording deliveries failed; they will be delivered again", "err", err)
		}
		n.Kick() // the queues may hold more
	}
}

// backoff is the delay after the attempts-th failure, with jitter.
func (n *Notifier) backoff(attempts int) time.Duration {
	d := n.opts.Backoff
	for i := 1; i < attempts && d < n.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, n.opts.MaxBackoff)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

// deliver sends the items of one claimed queue, in order, and says what
// happened.
func (n *Notifier) deliver(ctx context.Context, d store.Delivery) store.DeliveryResult {
	res := store.DeliveryResult{Lease: d.Lease}
	fail := func(seq int64, err error) store.DeliveryResult {
		now := n.now()
		res.At, res.Failed, res.Error = now, true, err.Error()
		attempts := d.Attempts + 1
		if isPermanent(err) || attempts >= n.opts.MaxAttempts {
			res.GiveUp = []int64{seq}
			res.NotBefore = now
		} else {
			res.NotBefore = now.Add(n.backoff(attempts))
		}
		n.opts.Logger.Info("notify: delivery failed", "subscription", d.Sub.ID, "tenant", d.Tenant, "attempt", attempts, "err", err)
		return res
	}
	if len(d.Items) == 0 {
		res.At = n.now()
		return res
	}
	u, err := ParseEndpoint(d.Sub.Notify.Endpoint.URI)
	if err != nil {
		return fail(d.Items[0].Seq, permanentError{err})
	}
	var ldctx ngsild.Context = coreOnly{}
	if n.opts.Contexts != nil {
		if ldctx, err = n.opts.Contexts(ctx, d.Sub.Context); err != nil {
			return fail(d.Items[0].Seq, fmt.Errorf("the subscription's @context: %w", err))
		}
	}
	ctxValue, ctxURL := contextMembers(d.Sub.Context)
	send := func(items []*item) error {
		note, err := render(d.Sub, ldctx, ctxValue, ctxURL, items, n.now())
		if err != nil {
			return permanentError{err}
		}
		if len(note.Body) > n.opts.MaxBytes {
			return permanentError{fmt.Errorf("the notification has %d bytes, more than the limit of %d", len(note.Body), n.opts.MaxBytes)}
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), n.opts.Timeout)
		defer cancel()
		if isMQTT(u) {
			return n.mqtt.send(sctx, u, d.Sub, d.Tenant, note)
		}
		return n.http.send(sctx, u, d.Sub, d.Tenant, note)
	}
	if d.Sub.Throttling > 0 {
		// Throttled: one notification with the latest state of each
		// entity, then nothing before the period has passed.
		var items []*item
		for _, it := range d.Items {
			x, err := decodeItem(it.Data)
			if err != nil {
				return fail(it.Seq, permanentError{err})
			}
			items = append(items, x)
		}
		if err := send(items); err != nil {
			return fail(d.Items[0].Seq, err)
		}
		now := n.now()
		for _, it := range d.Items {
			res.Delivered = append(res.Delivered, it.Seq)
		}
		res.Sent, res.At = 1, now
		res.NotBefore = now.Add(time.Duration(d.Sub.Throttling * float64(time.Second)))
		return res
	}
	for _, it := range d.Items {
		if ctx.Err() != nil && len(res.Delivered) > 0 {
			break // shutting down: record what was sent
		}
		x, err := decodeItem(it.Data)
		if err == nil {
			err = send([]*item{x})
		}
		if err != nil {
			return fail(it.Seq, err)
		}
		res.Delivered = append(res.Delivered, it.Seq)
		res.Sent++
	}
	res.At = n.now()
	res.NotBefore = res.At
	return res
}

// contextMembers returns the @context member of application/ld+json
// notifications and the URL of the Link header of application/json ones.
func contextMembers(raw any) (value any, link string) {
	switch v := raw.(type) {
	case nil:
		return CoreContextURL, CoreContextURL
	case string:
		return []any{v, CoreContextURL}, v
	default:
		return v, CoreContextURL
	}
}

// coreOnly compacts nothing: the notifications of a notifier without a
// context resolver carry full IRIs.
type coreOnly struct{}

func (coreOnly) ExpandTerm(t string) string   { return t }
func (coreOnly) CompactIRI(iri string) string { return iri }

// periodic queues the notifications of subscriptions with a timeInterval.
func (n *Notifier) periodic(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var tenants []string
	var listed time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := n.now()
		if now.Sub(listed) > 5*time.Second {
			ts, err := n.st.Tenants(ctx)
			if err != nil {
				continue
			}
			tenants, listed = append([]string{store.DefaultTenant}, ts...), now
		}
		for _, tenant := range tenants {
			if err := n.periodicTenant(ctx, tenant, now); err != nil && ctx.Err() == nil {
				n.opts.Logger.Warn("notify: periodic notifications failed", "tenant", tenant, "err", err)
			}
		}
	}
}

func (n *Notifier) periodicTenant(ctx context.Context, tenant string, now time.Time) error {
	var due []string
	err := n.st.View(ctx, tenant, func(r store.Reader) error {
		ts, err := n.subs.get(tenant, r)
		if err != nil {
			return err
		}
		for _, c := range ts.all {
			if periodicDue(c.sub, now) {
				due = append(due, c.sub.ID)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrTenantNotFound) {
		return err
	}
	for _, id := range due {
		queued := false
		err := n.st.Update(ctx, tenant, func(tx store.Tx) error {
			sub, _, err := tx.GetSubscription(id)
			if err != nil || !periodicDue(sub, now) {
				return nil // deleted, or sent by another process
			}
			c, err := Compile(sub)
			if err != nil {
				return nil
			}
			entities, err := periodicEntities(tx, c)
			if err != nil {
				return err
			}
			data, err := encodeItem(ngsild.TriggerTimeInterval, now, entities)
			if err != nil {
				return err
			}
			if err := tx.Enqueue(sub.ID, data, n.opts.MaxPending); err != nil {
				return err
			}
			sub.LastPeriodic = &now
			queued = true
			return tx.PutSubscription(sub)
		})
		if err != nil {
			return err
		}
		if queued {
			n.Kick()
		}
	}
	return nil
}

func periodicDue(s *ngsild.Subscription, now time.Time) bool {
	if s.TimeInterval <= 0 || s.Paused || s.Expired(now) {
		return false
	}
	return s.LastPeriodic == nil || !s.LastPeriodic.Add(time.Duration(s.TimeInterval*float64(time.Second))).After(now)
}

// maxPeriodicEntities bounds the entities of one periodic notification.
const maxPeriodicEntities = 1000

// periodicEntities returns the entities a periodic subscription selects,
// through the store's indexes, one query per entity selector.
func periodicEntities(r store.Reader, c *compiled) ([]itemEntity, error) {
	base := store.EntityQuery{Q: c.q, ScopeQ: c.scope, Geo: c.geo, Limit: maxPeriodicEntities}
	var queries []store.EntityQuery
	for _, sel := range c.sub.Entities {
		q := base
		if sel.ID != "" {
			q.IDs = []string{sel.ID}
		}
		q.IDPattern = sel.IDPattern
		if sel.Type != "" {
			q.Types = []string{sel.Type}
		}
		queries = append(queries, q)
	}
	if len(queries) == 0 {
		q := base
		q.Attrs = c.sub.WatchedAttributes
		queries = append(queries, q)
	}
	var out []itemEntity
	seen := map[string]bool{}
	for _, q := range queries {
		res, err := r.Query(q)
		if err != nil {
			return nil, err
		}
		for _, e := range res.Entities {
			if seen[e.ID] || len(out) >= maxPeriodicEntities {
				continue
			}
			seen[e.ID] = true
			data, err := ngsild.MarshalEntity(e)
			if err != nil {
				return nil, err
			}
			out = append(out, itemEntity{New: data})
		}
	}
	return out, nil
}
