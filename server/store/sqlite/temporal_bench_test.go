package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// The temporal benchmarks run on 1,000,000 instances: 100 sensors with
// 10,000 readings each, one every 15 minutes (about 104 days) from
// histBenchStart, loaded once per process through AddInstances.
const (
	histSensors  = 100
	histReadings = 10000
	histStep     = 15 * time.Minute
	histAttr     = benchNS + "noise"
)

var histBenchStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

var histDB struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func sensorName(i int) string { return fmt.Sprintf("urn:ngsi-ld:NoiseLevelObserved:%03d", i) }

// fillHistory records the readings of every sensor, 100 readings of each
// per transaction.
func fillHistory(path string) error {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	now := time.Now().UTC()
	for block := 0; block < histReadings; block += 100 {
		err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
			for i := range histSensors {
				list := make([]*ngsild.Attribute, 0, 100)
				for j := block; j < block+100; j++ {
					at := histBenchStart.Add(time.Duration(j) * histStep)
					v := 40 + float64((i*31+j*7)%400)/10
					list = append(list, &ngsild.Attribute{Type: ngsild.TypeProperty, Value: v, UnitCode: "2N",
						ObservedAt: at.Format(time.RFC3339), CreatedAt: now, ModifiedAt: now})
				}
				if err := tx.AddInstances(sensorName(i), []string{benchNS + "NoiseLevelObserved"}, map[string][]*ngsild.Attribute{histAttr: list}); err != nil {
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

func openHistDB(b *testing.B) *Store {
	b.Helper()
	histDB.once.Do(func() {
		histDB.dir, histDB.err = os.MkdirTemp("", "opentid-hist-bench")
		if histDB.err != nil {
			return
		}
		histDB.path = filepath.Join(histDB.dir, "hist.db")
		start := time.Now()
		histDB.err = fillHistory(histDB.path)
		d := time.Since(start)
		fmt.Fprintf(os.Stderr, "loaded %d instances in %v (%.0f instances/s through AddInstances)\n",
			histSensors*histReadings, d.Round(time.Millisecond), float64(histSensors*histReadings)/d.Seconds())
		if fi, err := os.Stat(histDB.path); err == nil {
			fmt.Fprintf(os.Stderr, "database file: %d bytes\n", fi.Size())
		}
	})
	if histDB.err != nil {
		b.Fatal(histDB.err)
	}
	s := openTemp(b, histDB.path)
	b.Cleanup(func() { s.Close() })
	return s
}

// benchHistory runs one History per op for a random sensor and a random
// start, and checks the number of instances or periods of the answer.
func benchHistory(b *testing.B, span time.Duration, q func(from time.Time) store.TemporalQuery, want int) {
	s := openHistDB(b)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	total := time.Duration(histReadings) * histStep
	got := 0
	for b.Loop() {
		id := sensorName(rng.IntN(histSensors))
		from := histBenchStart
		if span < total {
			from = histBenchStart.Add(time.Duration(rng.Int64N(int64(total-span)/int64(time.Hour))) * time.Hour)
		}
		err := s.View(ctx, store.DefaultTenant, func(r store.Reader) error {
			h, err := r.History(id, q(from))
			if err == nil && len(h.Attrs) == 1 {
				got = len(h.Attrs[0].Instances) + len(h.Attrs[0].Aggregates)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if got != want {
		b.Fatalf("%d instances or periods, want %d", got, want)
	}
}

func between(from time.Time, d time.Duration) store.TemporalQuery {
	return store.TemporalQuery{Attrs: []string{histAttr}, Timerel: store.TimeBetween, TimeAt: from, EndTimeAt: from.Add(d)}
}

// BenchmarkHistoryRaw24h: one sensor's raw instances over 24 hours (96).
func BenchmarkHistoryRaw24h(b *testing.B) {
	benchHistory(b, 24*time.Hour, func(from time.Time) store.TemporalQuery { return between(from, 24*time.Hour) }, 96)
}

// BenchmarkHistoryHourly7d: hourly avg, min and max over 7 days (168
// periods from 672 instances, read from the instances).
func BenchmarkHistoryHourly7d(b *testing.B) {
	benchHistory(b, 7*24*time.Hour, func(from time.Time) store.TemporalQuery {
		q := between(from, 7*24*time.Hour)
		q.AggrMethods = []store.AggrMethod{store.AggrAvg, store.AggrMin, store.AggrMax}
		q.AggrPeriod = store.Period{Duration: time.Hour}
		return q
	}, 168)
}

// BenchmarkHistoryDailyYear: daily means over a year starting at
// midnight (365 periods; the data cover the first 104 days).
func BenchmarkHistoryDailyYear(b *testing.B) {
	benchHistory(b, 400*24*time.Hour, func(from time.Time) store.TemporalQuery {
		q := between(from, 365*24*time.Hour)
		q.AggrMethods = []store.AggrMethod{store.AggrAvg}
		q.AggrPeriod = store.Period{Duration: 24 * time.Hour}
		return q
	}, 105)
}

// BenchmarkHistoryDaily100dOffMidnight: daily means over 100 days
// starting off midnight, so that every period reads the rollup for its
// whole days and the instances for its two partial days.
func BenchmarkHistoryDaily100dOffMidnight(b *testing.B) {
	benchHistory(b, 101*24*time.Hour, func(from time.Time) store.TemporalQuery {
		q := between(from.Add(7*time.Hour), 100*24*time.Hour)
		q.AggrMethods = []store.AggrMethod{store.AggrAvg}
		q.AggrPeriod = store.Period{Duration: 24 * time.Hour}
		return q
	}, 100)
}

// BenchmarkHistoryLastN10x100: lastN=10 for each of the 100 sensors, in
// one snapshot.
func BenchmarkHistoryLastN10x100(b *testing.B) {
	s := openHistDB(b)
	ctx := context.Background()
	for b.Loop() {
		err := s.View(ctx, store.DefaultTenant, func(r store.Reader) error {
			for i := range histSensors {
				h, err := r.History(sensorName(i), store.TemporalQuery{Attrs: []string{histAttr}, LastN: 10})
				if err != nil {
					return err
				}
				if n := len(h.Attrs[0].Instances); n != 10 {
					return fmt.Errorf("%d instances", n)
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHistoryAppend: AddInstances of 1,000 instances (10 sensors x
// 100 readings) per transaction on a fresh database.
func BenchmarkHistoryAppend(b *testing.B) {
	s := openTemp(b, filepath.Join(b.TempDir(), "append.db"))
	b.Cleanup(func() { s.Close() })
	now := time.Now().UTC()
	at := histBenchStart
	for b.Loop() {
		err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
			for i := range 10 {
				list := make([]*ngsild.Attribute, 100)
				for j := range list {
					list[j] = &ngsild.Attribute{Type: ngsild.TypeProperty, Value: float64(j), ObservedAt: at.Add(time.Duration(j) * time.Minute).Format(time.RFC3339), CreatedAt: now, ModifiedAt: now}
				}
				if err := tx.AddInstances(sensorName(i), []string{benchNS + "NoiseLevelObserved"}, map[string][]*ngsild.Attribute{histAttr: list}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		at = at.Add(100 * time.Minute)
	}
	b.ReportMetric(float64(b.N)*1000/b.Elapsed().Seconds(), "instances/s")
}
