package client_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	client "github.com/opentid/opentid/clients/go"
	"github.com/opentid/opentid/spec"
)

// receiver is an HTTP endpoint of notifications: it decodes each one and
// passes it on.
type receiver struct {
	url string
	ch  chan client.Notification
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rv := &receiver{ch: make(chan client.Notification, 16)}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var n client.Notification
		if err := json.NewDecoder(req.Body).Decode(&n); err != nil {
			t.Errorf("notification body: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		rv.ch <- n
	}))
	t.Cleanup(hs.Close)
	rv.url = hs.URL + "/notify"
	return rv
}

// next waits for the next notification.
func (rv *receiver) next(t *testing.T) client.Notification {
	t.Helper()
	select {
	case n := <-rv.ch:
		return n
	case <-time.After(5 * time.Second):
		t.Fatal("no notification within 5 s")
		return client.Notification{}
	}
}

// testSubscriptions calls the subscription operations: it subscribes an
// HTTP receiver to the changes of no2 of the station, checks that an
// update notifies it and that the delivery counters follow, then pauses
// and deletes the subscription.
func testSubscriptions(ctx context.Context, t *testing.T, c *client.ClientWithResponses) {
	const subID = "urn:ngsi-ld:Subscription:no2-alerts"
	rv := newReceiver(t)

	created, err := c.CreateSubscriptionWithResponse(ctx, nil, client.SubscriptionCreate{
		Id:                ptr(subID),
		Type:              client.SubscriptionTypeNameSubscription,
		SubscriptionName:  ptr("NO2 above 40"),
		Entities:          []client.SubscriptionEntitySelector{{Type: "AirQualityObserved"}},
		WatchedAttributes: []string{"no2"},
		Q:                 ptr("no2>40"),
		Notification: client.NotificationParams{
			Format:   ptr(client.NotificationParamsFormatKeyValues),
			Endpoint: &client.NotificationEndpoint{Uri: ptr(rv.url), Accept: ptr(client.NotificationEndpointAcceptApplicationjson)},
		},
	})
	must(t, created, err, http.StatusCreated)
	if loc := created.Headers201.Location; loc == nil || !strings.HasSuffix(*loc, "/subscriptions/"+subID) {
		t.Errorf("Location %v", loc)
	}

	// An update below the threshold does not notify; the next one does.
	for _, no2 := range []float64{35, 45.5} {
		r, err := c.PartialAttrUpdateWithResponse(ctx, stationID, "no2", nil, client.AttributeFragment{"value": no2})
		must(t, r, err, http.StatusNoContent)
	}
	n := rv.next(t)
	if n.SubscriptionId != subID || n.Type != client.NotificationTypeNotification || len(n.Data) != 1 {
		t.Fatalf("notification %+v", n)
	}
	if e := n.Data[0]; e.Id == nil || *e.Id != stationID || e.AdditionalProperties["no2"] != 45.5 {
		t.Errorf("notified entity %v, want %s with no2 45.5 (keyValues)", e, stationID)
	}
	if n.TriggerReason == nil || *n.TriggerReason != "entityUpdated" {
		t.Errorf("triggerReason %v", n.TriggerReason)
	}

	// The delivery counters of the subscription follow the delivery.
	var sub client.Subscription
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r, err := c.RetrieveSubscriptionWithResponse(ctx, subID, nil)
		must(t, r, err, http.StatusOK)
		sub = *r.JSON200
		if sent := sub.Notification.TimesSent; sent != nil && *sent == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timesSent never reached 1: %+v", sub.Notification)
		}
	}
	if sub.Status != client.SubscriptionStatusActive || !sub.IsActive || sub.Q == nil || *sub.Q != "no2>40" ||
		sub.Notification.Status == nil || *sub.Notification.Status != client.NotificationParamsStatusOk ||
		sub.Notification.LastSuccess == nil {
		t.Errorf("subscription %+v, notification %+v", sub, sub.Notification)
	}

	list, err := c.QuerySubscriptionsWithResponse(ctx, &client.QuerySubscriptionsParams{Count: ptr(true)})
	must(t, list, err, http.StatusOK)
	if len(*list.JSON200) != 1 || (*list.JSON200)[0].Id != subID {
		t.Errorf("subscriptions %+v", *list.JSON200)
	}
	if cnt := list.Headers200.NGSILDResultsCount; cnt == nil || *cnt != 1 {
		t.Errorf("NGSILD-Results-Count %v", cnt)
	}

	// Paused, the subscription keeps its other members and notifies no more.
	upd, err := c.UpdateSubscriptionWithResponse(ctx, subID, nil, client.SubscriptionPatch{IsActive: ptr(false)})
	must(t, upd, err, http.StatusNoContent)
	got, err := c.RetrieveSubscriptionWithResponse(ctx, subID, nil)
	must(t, got, err, http.StatusOK)
	if got.JSON200.Status != client.SubscriptionStatusPaused || got.JSON200.IsActive || got.JSON200.Q == nil {
		t.Errorf("after pause: %+v", got.JSON200)
	}
	r, err := c.PartialAttrUpdateWithResponse(ctx, stationID, "no2", nil, client.AttributeFragment{"value": 50.0})
	must(t, r, err, http.StatusNoContent)
	select {
	case n := <-rv.ch:
		t.Errorf("notification of a paused subscription: %+v", n)
	case <-time.After(300 * time.Millisecond):
	}

	del, err := c.DeleteSubscriptionWithResponse(ctx, subID, nil)
	must(t, del, err, http.StatusNoContent)
	got, err = c.RetrieveSubscriptionWithResponse(ctx, subID, nil)
	if p := problem(t, got, err, http.StatusNotFound); p != spec.ProblemResourceNotFound {
		t.Errorf("retrieve after delete: %s", p)
	}
}
