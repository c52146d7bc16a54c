package store

import (
	"context"
	"errors"
	"time"

	"github.com/opentid/opentid/server/ngsild"
)

// ErrLeaseLost: a delivery result names a claim whose lease has expired
// and been taken by another claim; the result is ignored.
var ErrLeaseLost = errors.New("lease lost")

// SubscriptionReader is the subscription side of a snapshot or
// transaction. Subscriptions belong to the tenant of the transaction.
type SubscriptionReader interface {
	// GetSubscription returns the subscription with this id and its
	// delivery status, or ErrNotFound. Inside a read-write transaction it
	// also locks the subscription until the commit, against writers in
	// other processes: periodic notifications rely on it to be sent once
	// per period whatever the number of replicas (SQLite's single writer
	// gives this for free; PostgreSQL locks the row).
	GetSubscription(id string) (*ngsild.Subscription, ngsild.SubscriptionStatus, error)
	// ListSubscriptions returns the subscriptions of the tenant in
	// creation order, paged by limit and offset (a negative limit returns
	// them all), with the total count.
	ListSubscriptions(limit, offset int) ([]StoredSubscription, int, error)
	// SubscriptionGeneration returns a number that changes whenever a
	// subscription of the tenant is created, replaced or deleted, by this
	// process or another; it is 0 for a tenant that never had one. Caches
	// of subscriptions compare it to know when to reload.
	SubscriptionGeneration() (int64, error)
}

// StoredSubscription is a subscription with its delivery status.
type StoredSubscription struct {
	Sub    *ngsild.Subscription
	Status ngsild.SubscriptionStatus
}

// SubscriptionTx is the subscription side of a read-write transaction.
type SubscriptionTx interface {
	SubscriptionReader
	// PutSubscription creates the subscription or replaces the definition
	// of the one with the same id; a replacement keeps the delivery
	// status and the queued notifications. It creates the tenant when
	// needed.
	PutSubscription(s *ngsild.Subscription) error
	// DeleteSubscription removes the subscription, its queued and
	// dead-lettered notifications, or returns ErrNotFound.
	DeleteSubscription(id string) error
	// Enqueue appends a notification to the queue of subscription subID,
	// to be delivered after the transaction commits, in order. When the
	// queue then holds more than maxPending notifications, the oldest are
	// moved to the dead letters (maxPending <= 0: no bound). It returns
	// ErrNotFound for an unknown subscription.
	Enqueue(subID string, data []byte, maxPending int) error
}

// Outbox is the delivery side of a store: the queues of notifications
// that Enqueue fills, shared by every process that uses the store.
//
// Delivery is at least once. A claim leases whole queues (one per
// subscription) so that a queue is delivered by one worker at a time, in
// order; a worker that dies loses its lease when it expires, and the
// notifications it held are claimed again.
type Outbox interface {
	// Claim leases up to maxQueues queues whose head is due at now and
	// that no unexpired lease holds, for lease, and returns up to
	// maxItems notifications of each, oldest first. owner names the
	// claimer (logs). An empty result is not an error.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, maxQueues, maxItems int) ([]Delivery, error)
	// Complete records the outcome of claimed deliveries in one
	// transaction: it removes the delivered notifications, updates the
	// counters of the subscriptions, reschedules failed queues, moves
	// given-up notifications to the dead letters and releases the leases.
	// A result whose lease was lost is skipped; the returned error is then
	// ErrLeaseLost (joined with others) after the other results are
	// recorded.
	Complete(ctx context.Context, results []DeliveryResult) error
	// NextDue returns the earliest time a queue with notifications becomes
	// claimable (due and unleased), or the zero time when every queue is
	// empty.
	NextDue(ctx context.Context) (time.Time, error)
	// DeadLetters lists the dead-lettered notifications of a subscription
	// of tenant, oldest first, at most limit.
	DeadLetters(ctx context.Context, tenant, subID string, limit int) ([]DeadLetter, error)
}

// Delivery is one claimed queue.
type Delivery struct {
	Tenant string
	Sub    *ngsild.Subscription
	// Lease identifies the claim; Complete needs it.
	Lease Lease
	// Attempts counts the failed attempts at the head notification.
	Attempts int
	// LastNotification is when the subscription last notified (throttling).
	LastNotification time.Time
	Items            []OutboxItem
}

// Lease identifies one claim of one queue.
type Lease struct {
	Queue int64 // the store's key of the queue
	Token int64 // unique per claim
}

// OutboxItem is one queued notification.
type OutboxItem struct {
	Seq      int64
	Data     []byte
	QueuedAt time.Time
}

// DeliveryResult is the outcome of one Delivery.
type DeliveryResult struct {
	Lease Lease
	// Delivered are the sequence numbers of the items delivered, to
	// remove from the queue.
	Delivered []int64
	// Sent counts the notifications sent (items may be coalesced), added
	// to timesSent.
	Sent int
	At   time.Time
	// Failed reports a failed attempt at the first item not delivered;
	// it adds one to timesFailed and to the queue's attempts.
	Failed bool
	Error  string
	// GiveUp are items moved to the dead letters (removed from the queue
	// and counted in DeadLettered); the attempts are then reset.
	GiveUp []int64
	// NotBefore is the earliest time the queue may be claimed again
	// (backoff after a failure, throttling after a success).
	NotBefore time.Time
}

// DeadLetter is a notification given up.
type DeadLetter struct {
	Seq      int64
	Data     []byte
	QueuedAt time.Time
	At       time.Time
	Reason   string
}
