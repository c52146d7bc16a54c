package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// testSubscriptions runs the behaviour of subscriptions and of the outbox.
func testSubscriptions(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CRUD", func(t *testing.T) { testSubscriptionCRUD(t, open(t)) })
	t.Run("Outbox", func(t *testing.T) { testOutbox(t, open(t)) })
	t.Run("OutboxFailures", func(t *testing.T) { testOutboxFailures(t, open(t)) })
	t.Run("OutboxLease", func(t *testing.T) { testOutboxLease(t, open(t)) })
	t.Run("OutboxBound", func(t *testing.T) { testOutboxBound(t, open(t)) })
}

func subscription(id string) *ngsild.Subscription {
	return &ngsild.Subscription{
		ID:        id,
		Entities:  []ngsild.EntitySelector{{Type: tSensor}},
		Notify:    ngsild.Notify{Endpoint: ngsild.Endpoint{URI: "http://receiver.example/" + id}},
		CreatedAt: t0, ModifiedAt: t0,
	}
}

func mustUpdate(t *testing.T, s store.Store, tenant string, fn func(store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), tenant, fn); err != nil {
		t.Fatal(err)
	}
}

func generation(t *testing.T, s store.Store, tenant string) int64 {
	t.Helper()
	var gen int64
	err := s.View(context.Background(), tenant, func(r store.Reader) error {
		var err error
		gen, err = r.SubscriptionGeneration()
		return err
	})
	if err != nil && !errors.Is(err, store.ErrTenantNotFound) {
		t.Fatal(err)
	}
	return gen
}

func testSubscriptionCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	g0 := generation(t, s, "")
	mustUpdate(t, s, "", func(tx store.Tx) error {
		for i := range 3 {
			if err := tx.PutSubscription(subscription(fmt.Sprintf("urn:sub:%d", i))); err != nil {
				return err
			}
		}
		return nil
	})
	if g1 := generation(t, s, ""); g1 == g0 {
		t.Errorf("generation unchanged after creation: %d", g1)
	}
	// A subscription creates its tenant; tenants are isolated.
	mustUpdate(t, s, "other", func(tx store.Tx) error { return tx.PutSubscription(subscription("urn:sub:x")) })
	err := s.View(ctx, "", func(r store.Reader) error {
		got, st, err := r.GetSubscription("urn:sub:1")
		if err != nil {
			return err
		}
		if got.Notify.Endpoint.URI != "http://receiver.example/urn:sub:1" || got.Entities[0].Type != tSensor || st.TimesSent != 0 {
			t.Errorf("got %+v, status %+v", got, st)
		}
		if _, _, err := r.GetSubscription("urn:sub:x"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("subscription of another tenant: err = %v, want ErrNotFound", err)
		}
		page, total, err := r.ListSubscriptions(2, 1)
		if err != nil {
			return err
		}
		if total != 3 || len(page) != 2 || page[0].Sub.ID != "urn:sub:1" || page[1].Sub.ID != "urn:sub:2" {
			t.Errorf("page = %d items, total %d", len(page), total)
		}
		all, _, err := r.ListSubscriptions(-1, 0)
		if len(all) != 3 {
			t.Errorf("all = %d, want 3", len(all))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	g1 := generation(t, s, "")
	mustUpdate(t, s, "", func(tx store.Tx) error {
		sub := subscription("urn:sub:1")
		sub.Q = "x>1"
		return tx.PutSubscription(sub)
	})
	g2 := generation(t, s, "")
	if g2 == g1 {
		t.Error("generation unchanged after replacement")
	}
	mustUpdate(t, s, "", func(tx store.Tx) error { return tx.DeleteSubscription("urn:sub:1") })
	if generation(t, s, "") == g2 {
		t.Error("generation unchanged after deletion")
	}
	err = s.Update(ctx, "", func(tx store.Tx) error { return tx.DeleteSubscription("urn:sub:1") })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	err = s.Update(ctx, "", func(tx store.Tx) error { return tx.Enqueue("urn:sub:1", []byte("{}"), 0) })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("enqueue for a deleted subscription: err = %v, want ErrNotFound", err)
	}
}

func claim(t *testing.T, s store.Store, now time.Time) []store.Delivery {
	t.Helper()
	ds, err := s.Claim(context.Background(), "test", now, time.Minute, 10, 10)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func status(t *testing.T, s store.Store, tenant, id string) ngsild.SubscriptionStatus {
	t.Helper()
	var st ngsild.SubscriptionStatus
	err := s.View(context.Background(), tenant, func(r store.Reader) error {
		var err error
		_, st, err = r.GetSubscription(id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func seqs(items []store.OutboxItem) []int64 {
	out := make([]int64, len(items))
	for i, it := range items {
		out[i] = it.Seq
	}
	return out
}

func testOutbox(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUpdate(t, s, "t1", func(tx store.Tx) error { return tx.PutSubscription(subscription("urn:sub:a")) })
	now := time.Now()
	if ds := claim(t, s, now); len(ds) != 0 {
		t.Fatalf("claimed %d empty queues", len(ds))
	}
	// A rolled-back transaction queues nothing.
	_ = s.Update(ctx, "t1", func(tx store.Tx) error {
		if err := tx.Enqueue("urn:sub:a", []byte(`"lost"`), 0); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	mustUpdate(t, s, "t1", func(tx store.Tx) error {
		for i := range 3 {
			if err := tx.Enqueue("urn:sub:a", fmt.Appendf(nil, `%d`, i), 0); err != nil {
				return err
			}
		}
		return nil
	})
	if next, err := s.NextDue(ctx); err != nil || next.IsZero() || next.After(now) {
		t.Errorf("NextDue = %v, %v; want a time not after now", next, err)
	}
	ds := claim(t, s, now)
	if len(ds) != 1 || ds[0].Tenant != "t1" || ds[0].Sub.ID != "urn:sub:a" || len(ds[0].Items) != 3 {
		t.Fatalf("claim = %+v", ds)
	}
	for i, it := range ds[0].Items {
		if string(it.Data) != fmt.Sprint(i) {
			t.Errorf("item %d = %s, want queue order", i, it.Data)
		}
	}
	if again := claim(t, s, now); len(again) != 0 {
		t.Errorf("a leased queue was claimed again")
	}
	// Two delivered; the third stays.
	err := s.Complete(ctx, []store.DeliveryResult{{Lease: ds[0].Lease, Delivered: seqs(ds[0].Items[:2]), Sent: 2, At: now, NotBefore: now}})
	if err != nil {
		t.Fatal(err)
	}
	st := status(t, s, "t1", "urn:sub:a")
	if st.TimesSent != 2 || st.Pending != 1 || st.LastSuccess.IsZero() || st.LastNotification.IsZero() || st.TimesFailed != 0 {
		t.Errorf("status = %+v", st)
	}
	ds = claim(t, s, now)
	if len(ds) != 1 || len(ds[0].Items) != 1 || string(ds[0].Items[0].Data) != "2" {
		t.Fatalf("claim after completion = %+v", ds)
	}
	// A completion with a stale lease is refused.
	err = s.Complete(ctx, []store.DeliveryResult{{Lease: store.Lease{Queue: ds[0].Lease.Queue, Token: ds[0].Lease.Token + 1}, Delivered: seqs(ds[0].Items), Sent: 1, At: now}})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("stale lease: err = %v, want ErrLeaseLost", err)
	}
	// Deleting the subscription drops its queue.
	mustUpdate(t, s, "t1", func(tx store.Tx) error { return tx.DeleteSubscription("urn:sub:a") })
	if next, err := s.NextDue(ctx); err != nil || !next.IsZero() {
		t.Errorf("NextDue after deletion = %v, %v; want zero", next, err)
	}
}

func testOutboxFailures(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustUpdate(t, s, "", func(tx store.Tx) error {
		if err := tx.PutSubscription(subscription("urn:sub:f")); err != nil {
			return err
		}
		return tx.Enqueue("urn:sub:f", []byte(`1`), 0)
	})
	now := time.Now()
	ds := claim(t, s, now)
	retry := now.Add(time.Hour)
	if err := s.Complete(ctx, []store.DeliveryResult{{Lease: ds[0].Lease, Failed: true, Error: "boom", At: now, NotBefore: retry}}); err != nil {
		t.Fatal(err)
	}
	st := status(t, s, "", "urn:sub:f")
	if st.TimesFailed != 1 || st.LastFailure.IsZero() || st.LastError != "boom" || st.Pending != 1 {
		t.Errorf("status = %+v", st)
	}
	if got := claim(t, s, now.Add(time.Minute)); len(got) != 0 {
		t.Errorf("claimed before the backoff ended")
	}
	if next, _ := s.NextDue(ctx); next.Sub(retry).Abs() > time.Millisecond {
		t.Errorf("NextDue = %v, want %v", next, retry)
	}
	ds = claim(t, s, retry)
	if len(ds) != 1 || ds[0].Attempts != 1 {
		t.Fatalf("claim after backoff = %+v", ds)
	}
	if err := s.Complete(ctx, []store.DeliveryResult{{Lease: ds[0].Lease, Failed: true, Error: "boom again", GiveUp: seqs(ds[0].Items), At: retry, NotBefore: retry}}); err != nil {
		t.Fatal(err)
	}
	st = status(t, s, "", "urn:sub:f")
	if st.TimesFailed != 2 || st.DeadLettered != 1 || st.Pending != 0 {
		t.Errorf("status after giving up = %+v", st)
	}
	dl, err := s.DeadLetters(ctx, "", "urn:sub:f", 10)
	if err != nil || len(dl) != 1 || string(dl[0].Data) != "1" || dl[0].Reason != "boom again" {
		t.Errorf("dead letters = %+v, %v", dl, err)
	}
}

func testOutboxLease(t *testing.T, s store.Store) {
	mustUpdate(t, s, "", func(tx store.Tx) error {
		if err := tx.PutSubscription(subscription("urn:sub:l")); err != nil {
			return err
		}
		return tx.Enqueue("urn:sub:l", []byte(`1`), 0)
	})
	now := time.Now()
	first, err := s.Claim(context.Background(), "crashed", now, time.Second, 10, 10)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim = %v, %v", first, err)
	}
	// The claimer dies: after the lease, another claims the same items.
	second := claim(t, s, now.Add(2*time.Second))
	if len(second) != 1 || second[0].Items[0].Seq != first[0].Items[0].Seq || second[0].Lease == first[0].Lease {
		t.Fatalf("re-claim = %+v", second)
	}
	err = s.Complete(context.Background(), []store.DeliveryResult{{Lease: first[0].Lease, Delivered: seqs(first[0].Items), Sent: 1, At: now}})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("late completion of the dead claim: err = %v, want ErrLeaseLost", err)
	}
	if st := status(t, s, "", "urn:sub:l"); st.Pending != 1 || st.TimesSent != 0 {
		t.Errorf("status = %+v", st)
	}
}

func testOutboxBound(t *testing.T, s store.Store) {
	mustUpdate(t, s, "", func(tx store.Tx) error {
		if err := tx.PutSubscription(subscription("urn:sub:b")); err != nil {
			return err
		}
		for i := range 5 {
			if err := tx.Enqueue("urn:sub:b", fmt.Appendf(nil, "%d", i), 3); err != nil {
				return err
			}
		}
		return nil
	})
	st := status(t, s, "", "urn:sub:b")
	if st.Pending != 3 || st.DeadLettered != 2 {
		t.Errorf("status = %+v, want 3 pending and 2 dead-lettered", st)
	}
	ds := claim(t, s, time.Now())
	if len(ds) != 1 || string(ds[0].Items[0].Data) != "2" {
		t.Errorf("the oldest notifications should have been dropped: %+v", ds)
	}
}
