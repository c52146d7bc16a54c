package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opentid/opentid/server/store/sqlite"
)

// benchIngest posts bodies built by body(client, i) to path and reports
// the attribute instances per second, perRequest instances per body.
// clients is the number of concurrent clients: 1 is a closed loop of one
// request at a time; more run RunParallel goroutines (a multiple of
// GOMAXPROCS), each client writing its own entities.
func benchIngest(b *testing.B, path string, clients, perRequest int, body func(client, i int) []byte) {
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
	if clients == 1 {
		i := 0
		for b.Loop() {
			post(0, i)
			i++
		}
	} else {
		var next atomic.Int64
		b.SetParallelism((clients + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			client := int(next.Add(1))
			for i := 0; pb.Next(); i++ {
				post(client, i)
			}
		})
	}
	b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "instances/s")
}

var ingestStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkIngestBatchUpsert: batch upserts of 100 sensors with 10
// observed numeric attributes each (1,000 instances per request), from
// one client.
func BenchmarkIngestBatchUpsert(b *testing.B) {
	benchIngest(b, "/entityOperations/upsert?options=update", 1, 1000, sensorBatch)
}

// BenchmarkIngestBatchUpsertParallel: the same from 4 concurrent clients
// (sensor gateways), each with its own 100 sensors.
func BenchmarkIngestBatchUpsertParallel(b *testing.B) {
	benchIngest(b, "/entityOperations/upsert?options=update", 4, 1000, sensorBatch)
}

// sensorBatch is the i-th batch of client's 100 sensors: 10 numeric
// attributes each, observed one minute after the previous batch.
func sensorBatch(client, i int) []byte {
	at := ingestStart.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
	var items []string
	for e := range 100 {
		var attrs []string
		for a := range 10 {
			attrs = append(attrs, fmt.Sprintf(`"m%d":{"type":"Property","value":%d.5,"observedAt":%q}`, a, (i+e+a)%100, at))
		}
		items = append(items, fmt.Sprintf(`{"id":"urn:ngsi-ld:Sensor:%d-%d","type":"Sensor",%s}`, client, e, strings.Join(attrs, ",")))
	}
	return []byte("[" + strings.Join(items, ",") + "]")
}

// BenchmarkIngestTemporalAPI: POST /temporal/entities of one sensor with
// 10 attributes of 100 instances each (1,000 instances per request).
func BenchmarkIngestTemporalAPI(b *testing.B) {
	benchIngest(b, "/temporal/entities", 1, 1000, func(_, i int) []byte {
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
