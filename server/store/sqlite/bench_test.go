package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
)

// --- benchmarks ---
//
// The query benchmarks run over benchSize entities of about 1 KB, of ten
// types, loaded once per process into a database file that the benchmarks
// share (benchDB). Each query returns about 100 entities, decoded.

const (
	benchNS   = "https://opentid.example/ns/"
	benchSize = 100_000
	benchSeed = 20240301
)

// The territory: about 100 km by 100 km, the size of a French
// department, around Nantes.
const (
	benchMinLon, benchMaxLon = -2.20, -0.88
	benchMinLat, benchMaxLat = 46.80, 47.70
)

var benchTypes = []string{
	"AirQualityObserved", "NoiseLevelObserved", "WeatherObserved", "WaterQualityObserved", "ParkingSpot",
	"TrafficFlowObserved", "StreetLight", "WasteContainer", "FloodMonitoring", "BikeCounter",
}

// benchEntity is an AirQualityObserved-like entity, a pure function of i:
// a location Point in the territory, six measures with observedAt and
// unitCode, a name and a level. Its type is benchTypes[i%10]. Measure no2
// is uniform in [0, 100).
func benchEntity(i int) *ngsild.Entity {
	rng := rand.New(rand.NewPCG(uint64(i), benchSeed))
	now := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	obs := now.Add(-time.Duration(rng.IntN(3600)) * time.Second).Format(time.RFC3339)
	num := func(v float64) json.Number { return json.Number(strconv.FormatFloat(v, 'f', 2, 64)) }
	prop := func(v any) []*ngsild.Attribute {
		return []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: v, CreatedAt: now, ModifiedAt: now}}
	}
	measure := func(v float64, unit string) []*ngsild.Attribute {
		a := prop(num(v))
		a[0].ObservedAt, a[0].UnitCode = obs, unit
		return a
	}
	lon := benchMinLon + rng.Float64()*(benchMaxLon-benchMinLon)
	lat := benchMinLat + rng.Float64()*(benchMaxLat-benchMinLat)
	coord := func(v float64) json.Number { return json.Number(strconv.FormatFloat(v, 'f', 6, 64)) }
	levels := []string{"good", "moderate", "unhealthy"}
	attrs := map[string][]*ngsild.Attribute{
		coreLocation: {{Type: ngsild.TypeGeoProperty, Value: map[string]any{
			"type": "Point", "coordinates": []any{coord(lon), coord(lat)}},
			CreatedAt: now, ModifiedAt: now}},
		benchNS + "name":             prop(fmt.Sprintf("Station %d", i)),
		benchNS + "airQualityLevel":  prop(levels[rng.IntN(len(levels))]),
		benchNS + "no2":              measure(rng.Float64()*100, "GQ"),
		benchNS + "o3":               measure(rng.Float64()*120, "GQ"),
		benchNS + "pm10":             measure(rng.Float64()*50, "GQ"),
		benchNS + "pm25":             measure(rng.Float64()*30, "GQ"),
		benchNS + "temperature":      measure(rng.Float64()*30-5, "CEL"),
		benchNS + "relativeHumidity": measure(rng.Float64(), "C62"),
	}
	typ := benchTypes[i%len(benchTypes)]
	return &ngsild.Entity{
		ID:         fmt.Sprintf("urn:ngsi-ld:%s:%08d", typ, i),
		Types:      []string{benchNS + typ},
		Attrs:      attrs,
		CreatedAt:  now,
		ModifiedAt: now,
	}
}

// benchStore opens a store in a fresh file filled with n bench entities.
func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	if err := fill(path, n); err != nil {
		b.Fatal(err)
	}
	s := openTemp(b, path)
	b.Cleanup(func() { s.Close() })
	return s
}

// fill writes n bench entities into the database at path, in batches.
func fill(path string, n int) error {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	const batch = 1000
	for lo := 0; lo < n; lo += batch {
		err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
			for i := lo; i < min(lo+batch, n); i++ {
				if err := tx.Put(benchEntity(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// benchDB is the shared database of the query benchmarks: filled once per
// process, then each benchmark opens it read-only in its own Store.
var benchDB struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func openBenchDB(b *testing.B) *Store {
	b.Helper()
	benchDB.once.Do(func() {
		// OPENTID_BENCH_DB names a database file kept between runs: it is
		// filled when missing, and reused as is otherwise.
		if path := os.Getenv("OPENTID_BENCH_DB"); path != "" {
			benchDB.path = path
			if _, err := os.Stat(path); err == nil {
				return
			}
			benchDB.err = fill(path, benchSize)
			return
		}
		benchDB.dir, benchDB.err = os.MkdirTemp("", "opentid-bench-")
		if benchDB.err != nil {
			return
		}
		benchDB.path = filepath.Join(benchDB.dir, "bench.db")
		start := time.Now()
		benchDB.err = fill(benchDB.path, benchSize)
		fmt.Fprintf(os.Stderr, "loaded %d entities in %v\n", benchSize, time.Since(start).Round(time.Millisecond))
	})
	if benchDB.err != nil {
		b.Fatal(benchDB.err)
	}
	s := openTemp(b, benchDB.path)
	b.Cleanup(func() { s.Close() })
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDB.dir != "" {
		os.RemoveAll(benchDB.dir)
	}
	if histDB.dir != "" {
		os.RemoveAll(histDB.dir)
	}
	os.Exit(code)
}

// benchQuery runs q in a View per op and checks the size of the answer.
func benchQuery(b *testing.B, q store.EntityQuery, wantMin, wantMax int) {
	s := openBenchDB(b)
	ctx := context.Background()
	n := 0
	for b.Loop() {
		err := s.View(ctx, store.DefaultTenant, func(r store.Reader) error {
			res, err := r.Query(q)
			n = len(res.Entities)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if n < wantMin || n > wantMax {
		b.Fatalf("%d entities, want %d to %d", n, wantMin, wantMax)
	}
	b.ReportMetric(float64(n), "entities/op")
}

// BenchmarkQueryTypeQ: type=AirQualityObserved;q=no2>99 (1 % of the
// type's 10,000 entities).
func BenchmarkQueryTypeQ(b *testing.B) {
	benchQuery(b, store.EntityQuery{
		Types: []string{benchNS + "AirQualityObserved"},
		Q: &query.Comparison{Path: query.Path{Attr: benchNS + "no2"}, Op: query.OpGreater,
			Value: query.Value{Single: &query.Literal{Kind: query.KindNumber, Num: 99, Str: "99"}}},
		Limit: 1000,
	}, 60, 140)
}

// district is a pentagon of about 1 % of the territory's area, around its
// centre.
func district() orb.Polygon {
	cx, cy := (benchMinLon+benchMaxLon)/2, (benchMinLat+benchMaxLat)/2
	rx, ry := (benchMaxLon-benchMinLon)*0.0625, (benchMaxLat-benchMinLat)*0.0625
	ring := orb.Ring{}
	for k := range 5 {
		a := 2 * math.Pi * float64(k) / 5
		ring = append(ring, orb.Point{cx + rx*math.Cos(a), cy + ry*math.Sin(a)})
	}
	return orb.Polygon{append(ring, ring[0])}
}

// BenchmarkQueryTypeWithin: type=AirQualityObserved;georel=within a
// district polygon.
func BenchmarkQueryTypeWithin(b *testing.B) {
	benchQuery(b, store.EntityQuery{
		Types: []string{benchNS + "AirQualityObserved"},
		Geo:   &query.GeoQuery{Rel: query.GeoWithin, Geometry: district(), Property: coreLocation},
		Limit: 1000,
	}, 60, 140)
}

// BenchmarkQueryTypeNear: type=AirQualityObserved;georel=near;
// maxDistance==5640 around the centre (a disc of 1 % of the territory).
func BenchmarkQueryTypeNear(b *testing.B) {
	cx, cy := (benchMinLon+benchMaxLon)/2, (benchMinLat+benchMaxLat)/2
	benchQuery(b, store.EntityQuery{
		Types: []string{benchNS + "AirQualityObserved"},
		Geo:   &query.GeoQuery{Rel: query.GeoNear, Geometry: orb.Point{cx, cy}, Property: coreLocation, MaxDistance: 5640},
		Limit: 1000,
	}, 60, 140)
}

// BenchmarkQueryType: the first 100 entities of one type.
func BenchmarkQueryType(b *testing.B) {
	benchQuery(b, store.EntityQuery{Types: []string{benchNS + "AirQualityObserved"}, Limit: 100}, 100, 100)
}

// BenchmarkDecode: decoding one stored bench entity, with the store's
// parser and with ngsild.UnmarshalEntity.
func BenchmarkDecode(b *testing.B) {
	data, err := ngsild.MarshalEntity(benchEntity(1))
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []struct {
		name string
		fn   func([]byte) (*ngsild.Entity, error)
	}{
		{"store", func(data []byte) (*ngsild.Entity, error) { return decode("", data) }},
		{"UnmarshalEntity", ngsild.UnmarshalEntity},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := d.fn(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGet: one Get per View.
func BenchmarkGet(b *testing.B) {
	s := openBenchDB(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		n := (i * 7919) % benchSize
		id := fmt.Sprintf("urn:ngsi-ld:%s:%08d", benchTypes[n%len(benchTypes)], n)
		i++
		err := s.View(ctx, store.DefaultTenant, func(r store.Reader) error {
			_, err := r.Get(id)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPut: one new entity per Update (one commit per op).
func BenchmarkPut(b *testing.B) {
	s := benchStore(b, 0)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		e := benchEntity(i)
		i++
		if err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error { return tx.Put(e) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutBatch100: 100 new entities per Update; reports the cost per
// entity.
func BenchmarkPutBatch100(b *testing.B) {
	const batch = 100
	s := benchStore(b, 0)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error {
			for range batch {
				if err := tx.Put(benchEntity(i)); err != nil {
					return err
				}
				i++
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/entity")
}

// BenchmarkPutParallel: one new entity per Update from 8 goroutines at
// once (writes that can share a commit).
func BenchmarkPutParallel(b *testing.B) {
	s := benchStore(b, 0)
	ctx := context.Background()
	var next atomic.Int64
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := benchEntity(int(next.Add(1)))
			if err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error { return tx.Put(e) }); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkReplaceBatch100: 100 existing entities read, changed and
// written back per Update (sensors reporting new values); reports the
// cost per entity.
func BenchmarkReplaceBatch100(b *testing.B) {
	const batch = 100
	s := benchStore(b, batch)
	ctx := context.Background()
	ids := make([]string, batch)
	for i := range ids {
		ids[i] = benchEntity(i).ID
	}
	round := 0
	for b.Loop() {
		round++
		err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error {
			for _, id := range ids {
				e, err := tx.Get(id)
				if err != nil {
					return err
				}
				for _, list := range e.Attrs {
					for _, a := range list {
						if _, ok := a.Value.(json.Number); ok {
							a.Value = json.Number(strconv.Itoa(round))
						}
					}
				}
				if err := tx.Put(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/entity")
}
