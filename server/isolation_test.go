package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestSlowEndpointDoesNotDelayOthers holds one endpoint's deliveries
// blocked and checks that another subscription's notifications all arrive
// meanwhile.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	ts := newTestServer(t, fastNotify())
	release := make(chan struct{})
	var entered atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered.Add(1)
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	defer slow.Close()
	defer close(release) // runs before slow.Close, which waits for handlers
	fast := newReceiver(t)

	ts.must(201, "POST", "/subscriptions", subBody(slow.URL+"/notify", ""))
	ts.must(201, "POST", "/subscriptions", subBody(fast.url, ""))
	create := func(i int) {
		ts.must(201, "POST", "/entities", fmt.Sprintf(`{"id":"urn:ngsi-ld:Sensor:iso-%d","type":"Sensor","temperature":%d}`, i, i))
	}
	// First change: both endpoints are called; the slow one stays blocked.
	create(0)
	data(t, fast.next(t))
	for deadline := time.Now().Add(5 * time.Second); entered.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the slow endpoint was never called")
		}
	}
	// Further changes while a delivery is held must still reach the fast
	// endpoint.
	const n = 5
	for i := 1; i < n; i++ {
		create(i)
	}
	seen := map[string]bool{}
	for i := 1; i < n; i++ {
		seen[data(t, fast.next(t))["id"].(string)] = true
	}
	if len(seen) != n-1 {
		t.Fatalf("the fast endpoint got %d distinct entities while the slow one was blocked, want %d", len(seen), n-1)
	}
}
