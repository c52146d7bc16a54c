package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentid/opentid/server/store/sqlite"
)

// BenchmarkNotifications measures the notification path end to end on
// loopback: 1,000 subscriptions, 10,000 entity updates through the HTTP
// API, notifications delivered over HTTP to a receiver in the same
// process. Run it with -benchtime=1x:
//
//	go test ./server -run '^$' -bench Notifications -benchtime=1x
//
// "throughput" sends the updates as fast as 8 clients can and reports the
// notifications per second from the first update to the last
// notification; "latency" sends updates at a fixed rate (open loop) and
// reports the time from the acknowledgement of an update to the receipt
// of its notification. fanout is the number of subscriptions each update
// matches. Every notification is checked: lost ones are reported (and fail
// the benchmark).
func BenchmarkNotifications(b *testing.B) {
	for _, fanout := range []int{1, 5} {
		b.Run(fmt.Sprintf("throughput/fanout=%d", fanout), func(b *testing.B) { benchNotify(b, fanout, 0) })
		b.Run(fmt.Sprintf("latency/fanout=%d/rate=1000", fanout), func(b *testing.B) { benchNotify(b, fanout, 1000) })
	}
}

const (
	benchSubscriptions = 1000
	benchUpdates       = 10000
)

// benchReceiver counts notifications per update and keeps their latency.
type benchReceiver struct {
	acked    []atomic.Int64 // per update: Unix nanoseconds of the acknowledgement
	received []atomic.Int32 // per update: notifications received
	total    atomic.Int64
	last     atomic.Int64
	mu       sync.Mutex
	pending  []pendingReceipt
}

type pendingReceipt struct {
	seq int
	at  int64
}

func (rv *benchReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var n struct {
		Data []struct {
			Seq json.Number `json:"seq"`
		} `json:"data"`
	}
	body, _ := io.ReadAll(r.Body)
	now := time.Now().UnixNano()
	if err := json.Unmarshal(body, &n); err == nil {
		for _, d := range n.Data {
			seq, err := d.Seq.Int64()
			if err != nil || seq < 0 || int(seq) >= len(rv.received) {
				continue
			}
			rv.received[seq].Add(1)
			rv.mu.Lock()
			rv.pending = append(rv.pending, pendingReceipt{int(seq), now})
			rv.mu.Unlock()
		}
	}
	rv.total.Add(1)
	rv.last.Store(now)
	w.WriteHeader(http.StatusNoContent)
}

func benchNotify(b *testing.B, fanout int, rate int) {
	for range b.N {
		st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"), sqlite.Options{})
		if err != nil {
			b.Fatal(err)
		}
		h, err := New(Config{AllowPrivateEndpoints: true}, st, slog.New(slog.DiscardHandler))
		if err != nil {
			b.Fatal(err)
		}
		api := httptest.NewServer(h)
		rv := &benchReceiver{acked: make([]atomic.Int64, benchUpdates), received: make([]atomic.Int32, benchUpdates)}
		recv := httptest.NewServer(rv)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		send := func(method, path string, body []byte) {
			req, _ := http.NewRequest(method, api.URL+BasePath+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				b.Fatalf("%s %s: %d", method, path, resp.StatusCode)
			}
		}
		entities := benchSubscriptions / fanout
		for i := range entities {
			send("POST", "/entities", fmt.Appendf(nil, `{"id":"urn:ngsi-ld:Sensor:%d","type":"Sensor","seq":{"type":"Property","value":-1},"temperature":{"type":"Property","value":20.5,"unitCode":"CEL"}}`, i))
		}
		for i := range benchSubscriptions {
			send("POST", "/subscriptions", fmt.Appendf(nil, `{"type":"Subscription","entities":[{"id":"urn:ngsi-ld:Sensor:%d","type":"Sensor"}],"notification":{"format":"keyValues","endpoint":{"uri":"%s/n"}}}`, i%entities, recv.URL))
		}
		// Updates: update k goes to entity k mod entities.
		update := func(k int) {
			send("PATCH", fmt.Sprintf("/entities/urn:ngsi-ld:Sensor:%d/attrs", k%entities), fmt.Appendf(nil, `{"seq":{"type":"Property","value":%d},"temperature":{"type":"Property","value":21.5,"unitCode":"CEL"}}`, k))
			rv.acked[k].Store(time.Now().UnixNano())
		}
		want := int64(benchUpdates * fanout)
		b.ResetTimer()
		start := time.Now()
		if rate == 0 {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := int(next.Add(1) - 1); k < benchUpdates; k = int(next.Add(1) - 1) {
						update(k)
					}
				}()
			}
			wg.Wait()
		} else {
			// Open loop: updates at rate/fanout per second, so that
			// notifications arrive at rate per second.
			interval := time.Second * time.Duration(fanout) / time.Duration(rate)
			var wg sync.WaitGroup
			for k := range benchUpdates {
				due := start.Add(time.Duration(k) * interval)
				time.Sleep(time.Until(due))
				wg.Add(1)
				go func() { defer wg.Done(); update(k) }()
			}
			wg.Wait()
		}
		sent := time.Since(start)
		deadline := time.Now().Add(60 * time.Second)
		for rv.total.Load() < want && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		elapsed := time.Duration(rv.last.Load() - start.UnixNano())
		b.StopTimer()

		lost, dup := 0, 0
		for k := range benchUpdates {
			switch n := int(rv.received[k].Load()); {
			case n < fanout:
				lost += fanout - n
			case n > fanout:
				dup += n - fanout
			}
		}
		var lat []time.Duration
		rv.mu.Lock()
		for _, p := range rv.pending {
			lat = append(lat, max(0, time.Duration(p.at-rv.acked[p.seq].Load())))
		}
		rv.mu.Unlock()
		slices.Sort(lat)
		pct := func(p float64) float64 {
			if len(lat) == 0 {
				return 0
			}
			return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
		}
		b.ReportMetric(float64(rv.total.Load())/elapsed.Seconds(), "notifications/s")
		b.ReportMetric(float64(benchUpdates)/sent.Seconds(), "updates/s")
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(float64(lost), "lost")
		b.ReportMetric(float64(dup), "duplicates")
		if lost > 0 {
			b.Errorf("%d notifications lost", lost)
		}
		h.(*Server).Close()
		api.Close()
		recv.Close()
		st.Close()
	}
}
