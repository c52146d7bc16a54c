package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/storetest"
)

// The temporal read benchmarks are the store behaviour suite's
// (storetest.BenchmarkHistory), on a database filled once per process.

var histDB struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func openHistDB(b *testing.B) *Store {
	b.Helper()
	histDB.once.Do(func() {
		histDB.dir, histDB.err = os.MkdirTemp("", "opentid-hist-bench")
		if histDB.err != nil {
			return
		}
		histDB.path = filepath.Join(histDB.dir, "hist.db")
		s, err := Open(context.Background(), histDB.path, Options{})
		if err != nil {
			histDB.err = err
			return
		}
		start := time.Now()
		histDB.err = storetest.FillHistory(s)
		d := time.Since(start)
		if err := s.Close(); histDB.err == nil {
			histDB.err = err
		}
		n := storetest.HistorySensors * storetest.HistoryReadings
		fmt.Fprintf(os.Stderr, "loaded %d instances in %v (%.0f instances/s through AddInstances)\n",
			n, d.Round(time.Millisecond), float64(n)/d.Seconds())
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

// BenchmarkHistory: raw instances, lastN and aggregations on 1,000,000
// instances (storetest.BenchmarkHistory).
func BenchmarkHistory(b *testing.B) { storetest.BenchmarkHistory(b, openHistDB(b)) }

// BenchmarkHistoryAppend: AddInstances of 1,000 instances (10 sensors x
// 100 readings) per transaction on a fresh database.
func BenchmarkHistoryAppend(b *testing.B) {
	s := openTemp(b, filepath.Join(b.TempDir(), "append.db"))
	b.Cleanup(func() { s.Close() })
	now := time.Now().UTC()
	at := storetest.HistoryStart
	for b.Loop() {
		err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
			for i := range 10 {
				list := make([]*ngsild.Attribute, 100)
				for j := range list {
					list[j] = &ngsild.Attribute{Type: ngsild.TypeProperty, Value: float64(j), ObservedAt: at.Add(time.Duration(j) * time.Minute).Format(time.RFC3339), CreatedAt: now, ModifiedAt: now}
				}
				if err := tx.AddInstances(storetest.HistorySensor(i), []string{benchNS + "NoiseLevelObserved"}, map[string][]*ngsild.Attribute{benchNS + "noise": list}); err != nil {
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
