package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentid/opentid/server/store/sqlite"
)

// benchIngest posts bodies built by body(client, i) to path and reports
// the attribute instances per second, perRequest instances per body.
// clients is the number of concurrent clients, each writing its own
// entities in a closed loop: each iteration is one request, sent by the
// first client free (the setup runs once: b.Loop). Before the timer
// starts, each client posts prefill bodies, i from -prefill to -1 (the
// history a running server holds).
func benchIngest(b *testing.B, path string, clients, prefill, perRequest int, body func(client, i int) []byte) {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "ingest.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	s, err := Open(Config{}, st, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s)
	b.Cleanup(hs.Close)
	post := func(client, i int) {
		resp, err := http.Post(hs.URL+BasePath+path, "application/json", bytes.NewReader(body(client, i)))
		if err != nil {
			b.Error(err)
			return
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Errorf("status %d", resp.StatusCode)
		}
	}
	for client := range clients {
		for i := -prefill; i < 0; i++ {
			post(client, i)
		}
	}
	// Each iteration hands a request to a client; the rate is measured
	// from the first request to the end of the last.
	requests := make(chan struct{})
	var wg sync.WaitGroup
	for client := range clients {
		wg.Go(func() {
			for i := 0; ; i++ {
				if _, ok := <-requests; !ok {
					return
				}
				post(client, i)
			}
		})
	}
	start, n := time.Now(), 0
	for b.Loop() {
		requests <- struct{}{}
		n++
	}
	close(requests)
	wg.Wait()
	b.ReportMetric(float64(n*perRequest)/time.Since(start).Seconds(), "instances/s")
}

var ingestStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkIngestBatchUpsert: batch upserts of 100 sensors with 10
// observed numeric attributes each (1,000 instances per request), from
// one client, on a fresh database.
func BenchmarkIngestBatchUpsert(b *testing.B) {
	benchIngest(b, "/entityOperations/upsert?options=update", 1, 0, 1000, sensorBatch)
}

// BenchmarkIngestBatchUpsertSteady: the same once the sensors have 200
// days of history (one reading a day), as on a server that has run for a
// while: every series then spans several pages of instances and of daily
// rollups.
func BenchmarkIngestBatchUpsertSteady(b *testing.B) {
	benchIngest(b, "/entityOperations/upsert?options=update", 1, 200, 1000, sensorBatch)
}

// BenchmarkIngestBatchUpsertParallel: the steady case from 4 concurrent
// clients (sensor gateways), each with its own 100 sensors.
func BenchmarkIngestBatchUpsertParallel(b *testing.B) {
	benchIngest(b, "/entityOperations/upsert?options=update", 4, 200, 1000, sensorBatch)
}

// BenchmarkIngestBatchUpsertManySeries: a town's sensors, 10 gateways of
// 100 sensors each (10,000 attribute histories), after 50 days.
func BenchmarkIngestBatchUpsertManySeries(b *testing.B) {
	benchIngest(b, "/entityOperations/upsert?options=update", 10, 50, 1000, sensorBatch)
}

// sensorBatch is the i-th batch of client's 100 sensors: 10 numeric
// attributes each, observed one minute after the previous batch; a
// history batch (i < 0) is observed -i days before the first. It is built
// with appends (about 40 µs), not fmt (about 0.4 ms and 480 KB of garbage
// per batch), so that the clients, which share the cores with the server,
// take little of them.
func sensorBatch(client, i int) []byte {
	step := time.Minute
	if i < 0 {
		step = 24 * time.Hour
	}
	at := ingestStart.Add(time.Duration(i) * step).Format(time.RFC3339)
	b := make([]byte, 0, 100*1100)
	b = append(b, '[')
	for e := range 100 {
		if e > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":"urn:ngsi-ld:Sensor:`...)
		b = strconv.AppendInt(b, int64(client), 10)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(e), 10)
		b = append(b, `","type":"Sensor"`...)
		for a := range 10 {
			b = append(b, `,"m`...)
			b = strconv.AppendInt(b, int64(a), 10)
			b = append(b, `":{"type":"Property","value":`...)
			b = strconv.AppendInt(b, int64((i+e+a)%100), 10)
			b = append(b, `.5,"observedAt":"`...)
			b = append(b, at...)
			b = append(b, `"}`...)
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// BenchmarkIngestTemporalAPI: POST /temporal/entities of one sensor with
// 10 attributes of 100 instances each (1,000 instances per request).
func BenchmarkIngestTemporalAPI(b *testing.B) {
	benchIngest(b, "/temporal/entities", 1, 0, 1000, func(_, i int) []byte {
		var attrs []string
		for a := range 10 {
			var inst []string
			for k := range 100 {
				at := ingestStart.Add(time.Duration(i*100+k) * time.Minute).Format(time.RFC3339)
				inst = append(inst, fmt.Sprintf(`{"type":"Property","value":%d.5,"observedAt":%q}`, (k+a)%100, at))
			}
			attrs = append(attrs, fmt.Sprintf(`"m%d":[%s]`, a, strings.Join(inst, ",")))
		}
		return []byte(fmt.Sprintf(`{"id":"urn:ngsi-ld:Sensor:%d","type":"Sensor",%s}`, i%100, strings.Join(attrs, ",")))
	})
}
