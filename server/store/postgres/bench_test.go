package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/storetest"
)

// Benchmarks against the PostgreSQL of OPENTID_TEST_POSTGRES:
//
//	go test -run '^$' -bench . ./server/store/postgres

func benchEntity(i int) *ngsild.Entity {
	now := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	lon, lat := -1.6+float64(i%100)*0.002, 47.2+float64(i/100%100)*0.002
	return &ngsild.Entity{ID: fmt.Sprintf("urn:ngsi-ld:Sensor:%06d", i), Types: []string{"https://opentid.example/ns/Sensor"},
		Attrs: map[string][]*ngsild.Attribute{
			"https://opentid.example/ns/temperature": {{Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(i % 40)), CreatedAt: now, ModifiedAt: now}},
			"https://uri.etsi.org/ngsi-ld/location": {{Type: ngsild.TypeGeoProperty, Value: map[string]any{"type": "Point",
				"coordinates": []any{json.Number(fmt.Sprint(lon)), json.Number(fmt.Sprint(lat))}}, CreatedAt: now, ModifiedAt: now}},
		}, CreatedAt: now, ModifiedAt: now}
}

// BenchmarkPutBatch100: entities written 100 per transaction.
func BenchmarkPutBatch100(b *testing.B) {
	s := openTest(b, Options{})
	ctx := context.Background()
	b.ResetTimer()
	for n := 0; n < b.N; n += 100 {
		err := s.Update(ctx, "", func(tx store.Tx) error {
			for i := n; i < n+100; i++ {
				if err := tx.Put(benchEntity(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQueryTypeBox: type and a bounding box holding about 100 of
// 10,000 entities.
func BenchmarkQueryTypeBox(b *testing.B) {
	s := openTest(b, Options{})
	ctx := context.Background()
	err := s.Update(ctx, "", func(tx store.Tx) error {
		for i := range 10000 {
			if err := tx.Put(benchEntity(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// As autovacuum would, after a bulk load.
	if _, err := s.pool.Exec(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	q := store.EntityQuery{Types: []string{"https://opentid.example/ns/Sensor"}, Limit: 1000,
		Geo: &query.GeoQuery{Rel: query.GeoWithin, Property: "https://uri.etsi.org/ngsi-ld/location",
			Geometry: orb.Polygon{{{-1.6001, 47.2001}, {-1.581, 47.2001}, {-1.581, 47.219}, {-1.6001, 47.219}, {-1.6001, 47.2001}}}}}
	b.ResetTimer()
	for range b.N {
		err := s.View(ctx, "", func(r store.Reader) error {
			res, err := r.Query(q)
			if err == nil && len(res.Entities) == 0 {
				err = fmt.Errorf("no entity")
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistory: raw instances, lastN and aggregations on 1,000,000
// instances (storetest.BenchmarkHistory), loaded first.
func BenchmarkHistory(b *testing.B) {
	s := openTest(b, Options{})
	start := time.Now()
	if err := storetest.FillHistory(s); err != nil {
		b.Fatal(err)
	}
	n := storetest.HistorySensors * storetest.HistoryReadings
	b.Logf("loaded %d instances in %v (%.0f instances/s through AddInstances)", n, time.Since(start).Round(time.Millisecond), float64(n)/time.Since(start).Seconds())
	storetest.BenchmarkHistory(b, s)
}
