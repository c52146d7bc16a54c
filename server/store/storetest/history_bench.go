package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// The temporal benchmarks, the same for every store: 1,000,000 instances,
// 100 sensors with 10,000 readings each, one every 15 minutes (about 104
// days) from HistoryStart, recorded by FillHistory through AddInstances;
// then the reads of BenchmarkHistory.
const (
	HistorySensors  = 100
	HistoryReadings = 10000
	historyStep     = 15 * time.Minute
	historyAttr     = ns + "noise"
	historyType     = ns + "NoiseLevelObserved"
)

// HistoryStart is the time of the first reading.
var HistoryStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// HistorySensor is the id of sensor i.
func HistorySensor(i int) string { return fmt.Sprintf("urn:ngsi-ld:NoiseLevelObserved:%03d", i) }

// FillHistory records the readings of every sensor in s, 100 readings of
// each per transaction.
func FillHistory(s store.Store) error {
	now := time.Now().UTC()
	for block := 0; block < HistoryReadings; block += 100 {
		err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
			for i := range HistorySensors {
				list := make([]*ngsild.Attribute, 0, 100)
				for j := block; j < block+100; j++ {
					at := HistoryStart.Add(time.Duration(j) * historyStep)
					v := 40 + float64((i*31+j*7)%400)/10
					list = append(list, &ngsild.Attribute{Type: ngsild.TypeProperty, Value: v, UnitCode: "2N",
						ObservedAt: at.Format(time.RFC3339), CreatedAt: now, ModifiedAt: now})
				}
				if err := tx.AddInstances(HistorySensor(i), []string{historyType}, map[string][]*ngsild.Attribute{historyAttr: list}); err != nil {
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

// BenchmarkHistory runs the temporal reads on s, which FillHistory
// filled, one sub-benchmark each:
//
//   - Raw24h: one sensor's raw instances over 24 hours (96);
//   - Hourly7d: hourly avg, min and max over 7 days (168 periods from 672
//     instances);
//   - DailyYear: daily means over a year starting at midnight (365
//     periods; the data cover the first 104 days);
//   - Daily100dOffMidnight: daily means over 100 days starting off
//     midnight, so that each period has two partial days;
//   - LastN10x100: lastN=10 for each of the 100 sensors, in one snapshot.
func BenchmarkHistory(b *testing.B, s store.Store) {
	day := 24 * time.Hour
	aggregated := func(from time.Time, span, period time.Duration, methods ...store.AggrMethod) store.TemporalQuery {
		q := historyBetween(from, span)
		q.AggrMethods, q.AggrPeriod = methods, store.Period{Duration: period}
		return q
	}
	b.Run("Raw24h", func(b *testing.B) {
		benchHistory(b, s, day, func(from time.Time) store.TemporalQuery { return historyBetween(from, day) }, 96)
	})
	b.Run("Hourly7d", func(b *testing.B) {
		benchHistory(b, s, 7*day, func(from time.Time) store.TemporalQuery {
			return aggregated(from, 7*day, time.Hour, store.AggrAvg, store.AggrMin, store.AggrMax)
		}, 168)
	})
	b.Run("DailyYear", func(b *testing.B) {
		benchHistory(b, s, 400*day, func(from time.Time) store.TemporalQuery {
			return aggregated(from, 365*day, day, store.AggrAvg)
		}, 105)
	})
	b.Run("Daily100dOffMidnight", func(b *testing.B) {
		benchHistory(b, s, 101*day, func(from time.Time) store.TemporalQuery {
			return aggregated(from.Add(7*time.Hour), 100*day, day, store.AggrAvg)
		}, 100)
	})
	b.Run("LastN10x100", func(b *testing.B) {
		for b.Loop() {
			err := s.View(context.Background(), store.DefaultTenant, func(r store.Reader) error {
				for i := range HistorySensors {
					h, err := r.History(HistorySensor(i), store.TemporalQuery{Attrs: []string{historyAttr}, LastN: 10})
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
	})
}

func historyBetween(from time.Time, d time.Duration) store.TemporalQuery {
	return store.TemporalQuery{Attrs: []string{historyAttr}, Timerel: store.TimeBetween, TimeAt: from, EndTimeAt: from.Add(d)}
}

// benchHistory runs one History per op for a random sensor and a random
// start in the data (whole hours, so that a window of span fits), and
// checks the number of instances or periods of the answer.
func benchHistory(b *testing.B, s store.Store, span time.Duration, q func(from time.Time) store.TemporalQuery, want int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	total := time.Duration(HistoryReadings) * historyStep
	got := 0
	for b.Loop() {
		id := HistorySensor(rng.IntN(HistorySensors))
		from := HistoryStart
		if span < total {
			from = HistoryStart.Add(time.Duration(rng.Int64N(int64(total-span)/int64(time.Hour))) * time.Hour)
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
