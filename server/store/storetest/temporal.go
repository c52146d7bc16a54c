package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// The temporal part of the suite: attribute histories.

const (
	sensorID = "urn:ngsi-ld:Sensor:hist"
	aNoise   = ns + "noise"
)

// histBase is the time of the first reading of the suite's series.
var histBase = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)

// reading is a numeric Property observed at t.
func reading(v float64, t time.Time) *ngsild.Attribute {
	now := histBase.Add(1000 * time.Hour)
	return &ngsild.Attribute{Type: ngsild.TypeProperty, Value: v, UnitCode: "CEL", ObservedAt: t.UTC().Format(time.RFC3339Nano), CreatedAt: now, ModifiedAt: now}
}

// readings returns n readings of temperature, one per hour from
// histBase, with values i*1.5 - 3 (i = 0..n-1).
func readings(n int) []*ngsild.Attribute {
	out := make([]*ngsild.Attribute, n)
	for i := range out {
		out[i] = reading(float64(i)*1.5-3, histBase.Add(time.Duration(i)*time.Hour))
	}
	return out
}

func addInstances(t *testing.T, s store.Store, tenant, id string, attrs map[string][]*ngsild.Attribute) {
	t.Helper()
	err := s.Update(context.Background(), tenant, func(tx store.Tx) error {
		return tx.AddInstances(id, []string{tSensor}, attrs)
	})
	if err != nil {
		t.Fatalf("AddInstances: %v", err)
	}
}

func history(t *testing.T, s store.Store, id string, q store.TemporalQuery) *store.EntityHistory {
	t.Helper()
	var h *store.EntityHistory
	err := s.View(context.Background(), store.DefaultTenant, func(r store.Reader) error {
		var err error
		h, err = r.History(id, q)
		return err
	})
	if err != nil {
		t.Fatalf("History(%+v): %v", q, err)
	}
	return h
}

// values lists the numeric values of the instances of the first series.
func values(t *testing.T, h *store.EntityHistory) []float64 {
	t.Helper()
	if len(h.Attrs) == 0 {
		return nil
	}
	var out []float64
	for _, in := range h.Attrs[0].Instances {
		out = append(out, number(t, in.Attr.Value))
	}
	return out
}

func number(t *testing.T, v any) float64 {
	t.Helper()
	switch n := v.(type) {
	case float64:
		return n
	case interface{ Float64() (float64, error) }:
		f, err := n.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Fatalf("value %v (%T) is not a number", v, v)
	return 0
}

// expected returns the values of readings(n) whose index is in [from, to).
func expected(from, to int) []float64 {
	var out []float64
	for i := from; i < to; i++ {
		out = append(out, float64(i)*1.5-3)
	}
	return out
}

func hour(i int) time.Time { return histBase.Add(time.Duration(i) * time.Hour) }

func runTemporal(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("HistoryMissing", func(t *testing.T) { testHistoryMissing(t, open(t)) })
	t.Run("Timerel", func(t *testing.T) { testTimerel(t, open(t)) })
	t.Run("LastN", func(t *testing.T) { testLastN(t, open(t)) })
	t.Run("Limit", func(t *testing.T) { testHistoryLimit(t, open(t)) })
	t.Run("EqualTimestamps", func(t *testing.T) { testEqualTimestamps(t, open(t)) })
	t.Run("TimezoneOffsets", func(t *testing.T) { testTimezoneOffsets(t, open(t)) })
	t.Run("InstanceRoundTrip", func(t *testing.T) { testInstanceRoundTrip(t, open(t)) })
	t.Run("TimeProperties", func(t *testing.T) { testTimeProperties(t, open(t)) })
	t.Run("Aggregations", func(t *testing.T) { testAggregations(t, open(t)) })
	t.Run("AggregationsAfterEdits", func(t *testing.T) { testAggregationsAfterEdits(t, open(t)) })
	t.Run("PatchDeleteInstance", func(t *testing.T) { testPatchDeleteInstance(t, open(t)) })
	t.Run("DeleteHistory", func(t *testing.T) { testDeleteHistory(t, open(t)) })
	t.Run("Purge", func(t *testing.T) { testPurge(t, open(t)) })
	t.Run("HistoryTenants", func(t *testing.T) { testHistoryTenants(t, open(t)) })
}

func testHistoryMissing(t *testing.T, s store.Store) {
	err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
		_, err := tx.History("urn:ngsi-ld:Sensor:none", store.TemporalQuery{})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("History of an entity without history: %v, want ErrNotFound", err)
	}
}

func testTimerel(t *testing.T, s store.Store) {
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(48)})
	tests := []struct {
		name string
		q    store.TemporalQuery
		want []float64
	}{
		{"all", store.TemporalQuery{}, expected(0, 48)},
		{"before is strict", store.TemporalQuery{Timerel: store.TimeBefore, TimeAt: hour(10)}, expected(0, 10)},
		{"after includes timeAt", store.TemporalQuery{Timerel: store.TimeAfter, TimeAt: hour(40)}, expected(40, 48)},
		{"between is half-open", store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: hour(5), EndTimeAt: hour(8)}, expected(5, 8)},
		{"between off the hour", store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: hour(5).Add(time.Minute), EndTimeAt: hour(8).Add(time.Minute)}, expected(6, 9)},
		{"empty interval", store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: hour(8), EndTimeAt: hour(8)}, nil},
		{"after the last", store.TemporalQuery{Timerel: store.TimeAfter, TimeAt: hour(48)}, nil},
		{"attrs filter", store.TemporalQuery{Attrs: []string{aHumidity}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := history(t, s, sensorID, tc.q)
			if h.ID != sensorID || !slices.Equal(h.Types, []string{tSensor}) {
				t.Errorf("history of %q with types %v", h.ID, h.Types)
			}
			if diff := cmp.Diff(tc.want, values(t, h)); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if tc.want == nil && len(h.Attrs) != 0 {
				t.Errorf("attributes without a selected instance are listed: %+v", h.Attrs)
			}
		})
	}
}

func testLastN(t *testing.T, s store.Store) {
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(48)})
	tests := []struct {
		name string
		q    store.TemporalQuery
		want []float64
	}{
		{"without bounds", store.TemporalQuery{LastN: 3}, expected(45, 48)},
		{"more than there are", store.TemporalQuery{LastN: 100}, expected(0, 48)},
		{"before", store.TemporalQuery{LastN: 2, Timerel: store.TimeBefore, TimeAt: hour(10)}, expected(8, 10)},
		{"after", store.TemporalQuery{LastN: 2, Timerel: store.TimeAfter, TimeAt: hour(10)}, expected(46, 48)},
		{"between", store.TemporalQuery{LastN: 4, Timerel: store.TimeBetween, TimeAt: hour(10), EndTimeAt: hour(20)}, expected(16, 20)},
		{"ignores limit", store.TemporalQuery{LastN: 4, Limit: 2}, expected(44, 48)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := history(t, s, sensorID, tc.q)
			if diff := cmp.Diff(tc.want, values(t, h)); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if len(h.Attrs) > 0 && h.Attrs[0].Truncated {
				t.Error("a lastN answer is marked truncated")
			}
		})
	}
}

func testHistoryLimit(t *testing.T, s store.Store) {
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(10)})
	h := history(t, s, sensorID, store.TemporalQuery{Limit: 4, Timerel: store.TimeAfter, TimeAt: hour(2)})
	a := h.Attrs[0]
	if diff := cmp.Diff(expected(2, 6), values(t, h)); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if !a.Truncated || !a.Next.Equal(hour(6)) {
		t.Errorf("Truncated %v, Next %v; want true, %v", a.Truncated, a.Next, hour(6))
	}
	h = history(t, s, sensorID, store.TemporalQuery{Limit: 8, Timerel: store.TimeAfter, TimeAt: hour(2)})
	if h.Attrs[0].Truncated {
		t.Error("a complete answer is marked truncated")
	}
}

func testEqualTimestamps(t *testing.T, s store.Store) {
	at := histBase.Add(time.Hour)
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: {reading(1, at), reading(2, at)}})
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: {reading(3, at), reading(0, histBase)}})
	h := history(t, s, sensorID, store.TemporalQuery{})
	if diff := cmp.Diff([]float64{0, 1, 2, 3}, values(t, h)); diff != "" {
		t.Errorf("instances with equal times keep their recording order (-want +got):\n%s", diff)
	}
	ids := map[string]bool{}
	for _, in := range h.Attrs[0].Instances {
		ids[in.InstanceID] = true
	}
	if len(ids) != 4 {
		t.Errorf("instanceIds are not distinct: %v", ids)
	}
	h = history(t, s, sensorID, store.TemporalQuery{LastN: 2})
	if diff := cmp.Diff([]float64{2, 3}, values(t, h)); diff != "" {
		t.Errorf("lastN among equal times (-want +got):\n%s", diff)
	}
	h = history(t, s, sensorID, store.TemporalQuery{Timerel: store.TimeAfter, TimeAt: at})
	if diff := cmp.Diff([]float64{1, 2, 3}, values(t, h)); diff != "" {
		t.Errorf("after timeAt equal to the instances' time (-want +got):\n%s", diff)
	}
	h = history(t, s, sensorID, store.TemporalQuery{AggrMethods: []store.AggrMethod{store.AggrTotalCount, store.AggrSum}})
	if got := h.Attrs[0].Aggregates; len(got) != 1 || got[0].Values[store.AggrTotalCount] != 4 || got[0].Values[store.AggrSum] != 6.0 {
		t.Errorf("aggregates %+v, want totalCount 4 and sum 6", got)
	}
}

func testTimezoneOffsets(t *testing.T, s store.Store) {
	paris := time.FixedZone("CEST", 2*3600)
	a := reading(7, histBase)
	a.ObservedAt = histBase.In(paris).Format(time.RFC3339) // 02:00:00+02:00
	b := reading(8, histBase.Add(time.Hour))
	b.ObservedAt = "2024-04-30T21:00:00-04:00" // 01:00:00Z
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: {b, a}})
	h := history(t, s, sensorID, store.TemporalQuery{Timerel: store.TimeBefore, TimeAt: histBase.Add(30 * time.Minute).In(paris)})
	if diff := cmp.Diff([]float64{7}, values(t, h)); diff != "" {
		t.Errorf("instants compare whatever their offsets (-want +got):\n%s", diff)
	}
	h = history(t, s, sensorID, store.TemporalQuery{})
	for i, want := range []time.Time{histBase, histBase.Add(time.Hour)} {
		in := h.Attrs[0].Instances[i]
		if !in.Time.Equal(want) {
			t.Errorf("instance %d at %v, want %v", i, in.Time, want)
		}
		got, err := time.Parse(time.RFC3339Nano, in.Attr.ObservedAt)
		if err != nil || !got.Equal(want) {
			t.Errorf("instance %d observedAt %q, want the instant %v", i, in.Attr.ObservedAt, want)
		}
	}
}

func testInstanceRoundTrip(t *testing.T, s store.Store) {
	created := histBase.Add(time.Minute)
	plain := reading(21.5, histBase)
	big := &ngsild.Attribute{Type: ngsild.TypeProperty, Value: json.Number("12345678901234567890"), ObservedAt: "2024-05-01T01:00:00.123456Z", CreatedAt: created, ModifiedAt: created}
	rich := &ngsild.Attribute{Type: ngsild.TypeProperty, Value: map[string]any{"a": "b"}, DatasetID: "urn:ngsi-ld:Dataset:x", UnitCode: "DB",
		Sub:       map[string]*ngsild.Attribute{aProvidedBy: {Type: ngsild.TypeRelationship, Value: "urn:ngsi-ld:Device:1", CreatedAt: created, ModifiedAt: created}},
		CreatedAt: created, ModifiedAt: created}
	noObs := &ngsild.Attribute{Type: ngsild.TypeProperty, Value: "text", CreatedAt: created, ModifiedAt: histBase.Add(2 * time.Hour)}
	otherUnit := reading(3, histBase.Add(3*time.Hour))
	otherUnit.UnitCode = "FAH"
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: {plain, big, noObs, otherUnit}, aNoise: {rich}})
	h := history(t, s, sensorID, store.TemporalQuery{})
	if len(h.Attrs) != 2 || h.Attrs[0].Name != aNoise || h.Attrs[0].DatasetID != "urn:ngsi-ld:Dataset:x" || h.Attrs[1].Name != aTemperature {
		t.Fatalf("series %+v", h.Attrs)
	}
	got := h.Attrs[1].Instances
	if len(got) != 4 {
		t.Fatalf("%d instances, want 4", len(got))
	}
	check := func(name string, got *ngsild.Attribute, want *ngsild.Attribute) {
		t.Helper()
		w := *want
		if w.ObservedAt != "" {
			ts, _ := time.Parse(time.RFC3339Nano, w.ObservedAt)
			g, err := time.Parse(time.RFC3339Nano, got.ObservedAt)
			if err != nil || !g.Equal(ts) {
				t.Errorf("%s: observedAt %q, want %q", name, got.ObservedAt, w.ObservedAt)
			}
			w.ObservedAt = got.ObservedAt
		}
		if diff := cmp.Diff(normalize(t, &w), normalize(t, got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	check("plain", got[0].Attr, plain)
	check("big number", got[1].Attr, big)
	check("without observedAt", got[2].Attr, noObs)
	check("other unit", got[3].Attr, otherUnit)
	check("sub-attributes", h.Attrs[0].Instances[0].Attr, rich)
	if !got[2].Time.Equal(noObs.ModifiedAt) {
		t.Errorf("an instance without observedAt is at %v, want its modifiedAt %v", got[2].Time, noObs.ModifiedAt)
	}
	if h.Attrs[1].Type != ngsild.TypeProperty {
		t.Errorf("series type %q", h.Attrs[1].Type)
	}
}

// normalize gives an attribute a form where numbers compare by value.
func normalize(t *testing.T, a *ngsild.Attribute) *ngsild.Attribute {
	t.Helper()
	data, err := ngsild.MarshalEntity(&ngsild.Entity{ID: "x", Attrs: map[string][]*ngsild.Attribute{"a": {a}}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := ngsild.UnmarshalEntity(data)
	if err != nil {
		t.Fatal(err)
	}
	return e.Attrs["a"][0]
}

func testTimeProperties(t *testing.T, s store.Store) {
	list := readings(5)
	for i, a := range list {
		// Recorded in reverse order of observation.
		a.CreatedAt = histBase.Add(time.Duration(100-i) * time.Minute)
		a.ModifiedAt = a.CreatedAt
	}
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: list})
	h := history(t, s, sensorID, store.TemporalQuery{TimeProperty: store.TimeCreatedAt})
	if diff := cmp.Diff([]float64{3, 1.5, 0, -1.5, -3}, values(t, h)); diff != "" {
		t.Errorf("ordered by createdAt (-want +got):\n%s", diff)
	}
	h = history(t, s, sensorID, store.TemporalQuery{TimeProperty: store.TimeModifiedAt, Timerel: store.TimeBefore, TimeAt: histBase.Add(98 * time.Minute)})
	if diff := cmp.Diff([]float64{3, 1.5}, values(t, h)); diff != "" {
		t.Errorf("before on modifiedAt (-want +got):\n%s", diff)
	}
	if got := h.Attrs[0].Instances[0].Time; !got.Equal(histBase.Add(96 * time.Minute)) {
		t.Errorf("instance time %v is not its modifiedAt", got)
	}
	h = history(t, s, sensorID, store.TemporalQuery{TimeProperty: store.TimeCreatedAt, AggrMethods: []store.AggrMethod{store.AggrMax}, AggrPeriod: store.Period{Duration: 2 * time.Minute}})
	var maxes []any
	for _, ag := range h.Attrs[0].Aggregates {
		maxes = append(maxes, ag.Values[store.AggrMax])
	}
	if diff := cmp.Diff([]any{3.0, 0.0, -3.0}, maxes); diff != "" {
		t.Errorf("max per 2 minutes of createdAt (-want +got):\n%s", diff)
	}
}

// reference computes an aggregation in Go, from the values.
func reference(m store.AggrMethod, vals []float64) any {
	if len(vals) == 0 {
		return nil
	}
	sum, sumsq := 0.0, 0.0
	mn, mx := math.Inf(1), math.Inf(-1)
	distinct := map[float64]bool{}
	for _, v := range vals {
		sum += v
		sumsq += v * v
		mn, mx = math.Min(mn, v), math.Max(mx, v)
		distinct[v] = true
	}
	mean := sum / float64(len(vals))
	switch m {
	case store.AggrTotalCount:
		return len(vals)
	case store.AggrDistinctCount:
		return len(distinct)
	case store.AggrSum:
		return sum
	case store.AggrAvg:
		return mean
	case store.AggrMin:
		return mn
	case store.AggrMax:
		return mx
	case store.AggrSumsq:
		return sumsq
	case store.AggrStddev:
		dev := 0.0
		for _, v := range vals {
			dev += (v - mean) * (v - mean)
		}
		return math.Sqrt(dev / float64(len(vals)))
	}
	return nil
}

func closeTo(a, b any) bool {
	fa, ok1 := a.(float64)
	fb, ok2 := b.(float64)
	if ok1 && ok2 {
		return math.Abs(fa-fb) <= 1e-9*math.Max(1, math.Abs(fb))
	}
	return a == b
}

// testAggregations checks every method against the reference, over
// periods read from the instances (hours), from the daily rollup (whole
// days) and from both (days starting off midnight).
func testAggregations(t *testing.T, s store.Store) {
	// 5 days of readings every 20 minutes, with repeated values.
	var list []*ngsild.Attribute
	var vals []float64
	var times []time.Time
	for i := range 5 * 72 {
		v := float64((i*7)%23) - 5 + float64(i%3)*0.25
		at := histBase.Add(time.Duration(i) * 20 * time.Minute)
		list = append(list, reading(v, at))
		vals, times = append(vals, v), append(times, at)
	}
	list = append(list, &ngsild.Attribute{Type: ngsild.TypeProperty, Value: "offline", ObservedAt: histBase.Add(30 * time.Minute).Format(time.RFC3339), CreatedAt: histBase, ModifiedAt: histBase})
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: list})
	day := 24 * time.Hour
	tests := []struct {
		name     string
		from, to time.Time
		period   store.Period
	}{
		{"hourly", histBase.Add(5 * time.Hour), histBase.Add(29 * time.Hour), store.Period{Duration: time.Hour}},
		{"daily on midnight", histBase, histBase.Add(5 * day), store.Period{Duration: day}},
		{"daily off midnight", histBase.Add(7 * time.Hour), histBase.Add(4*day + 7*time.Hour), store.Period{Duration: day}},
		{"two days, partial end", histBase, histBase.Add(3*day + 5*time.Hour), store.Period{Duration: 2 * day}},
		{"whole interval", histBase.Add(90 * time.Minute), histBase.Add(4 * day), store.Period{}},
		{"monthly", histBase, histBase.Add(5 * day), store.Period{Months: 1}},
	}
	for _, tc := range tests {
		for _, methods := range [][]store.AggrMethod{store.AggrMethods, {store.AggrAvg, store.AggrMin, store.AggrMax, store.AggrStddev, store.AggrSumsq, store.AggrSum, store.AggrTotalCount}} {
			name := tc.name
			if len(methods) != len(store.AggrMethods) {
				name += " without distinctCount"
			}
			t.Run(name, func(t *testing.T) {
				h := history(t, s, sensorID, store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: tc.from, EndTimeAt: tc.to, AggrMethods: methods, AggrPeriod: tc.period})
				var want []store.Aggregate
				for from := tc.from; from.Before(tc.to); {
					to := tc.to
					if !tc.period.IsZero() {
						to = tc.period.AddTo(from)
						if to.After(tc.to) {
							to = tc.to
						}
					}
					var in []float64
					count := 0
					for i, at := range times {
						if !at.Before(from) && at.Before(to) {
							in = append(in, vals[i])
							count++
						}
					}
					if off := histBase.Add(30 * time.Minute); !off.Before(from) && off.Before(to) {
						count++ // the string instance
					}
					if count > 0 {
						ag := store.Aggregate{Start: from, End: to, Values: map[store.AggrMethod]any{}}
						for _, m := range methods {
							if v := reference(m, in); v != nil {
								ag.Values[m] = v
							}
						}
						if slices.Contains(methods, store.AggrTotalCount) {
							ag.Values[store.AggrTotalCount] = count
						}
						if slices.Contains(methods, store.AggrDistinctCount) && count > len(in) {
							ag.Values[store.AggrDistinctCount] = ag.Values[store.AggrDistinctCount].(int) + 1
						}
						want = append(want, ag)
					}
					from = to
				}
				if len(h.Attrs) != 1 {
					t.Fatalf("%d series", len(h.Attrs))
				}
				if diff := cmp.Diff(want, h.Attrs[0].Aggregates, cmp.Comparer(func(a, b float64) bool { return closeTo(a, b) })); diff != "" {
					t.Errorf("aggregates (-want +got):\n%s", diff)
				}
			})
		}
	}
	t.Run("too many periods", func(t *testing.T) {
		err := s.View(context.Background(), "", func(r store.Reader) error {
			_, err := r.History(sensorID, store.TemporalQuery{AggrMethods: []store.AggrMethod{store.AggrSum}, AggrPeriod: store.Period{Duration: time.Minute}, MaxPeriods: 100})
			return err
		})
		if !errors.Is(err, store.ErrTooManyPeriods) {
			t.Errorf("err %v, want ErrTooManyPeriods", err)
		}
	})
	t.Run("open interval", func(t *testing.T) {
		h := history(t, s, sensorID, store.TemporalQuery{Timerel: store.TimeAfter, TimeAt: histBase.Add(4 * day), AggrMethods: []store.AggrMethod{store.AggrTotalCount}})
		ag := h.Attrs[0].Aggregates
		if len(ag) != 1 || ag[0].Values[store.AggrTotalCount] != 72 || !ag[0].Start.Equal(histBase.Add(4*day)) || !ag[0].End.Equal(times[len(times)-1].Add(time.Microsecond)) {
			t.Errorf("aggregate after the 4th day: %+v", ag)
		}
	})
}

// testAggregationsAfterEdits checks that the aggregates follow patches
// and deletions of instances.
func testAggregationsAfterEdits(t *testing.T, s store.Store) {
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(72)})
	h := history(t, s, sensorID, store.TemporalQuery{})
	insts := h.Attrs[0].Instances
	err := s.Update(context.Background(), "", func(tx store.Tx) error {
		if err := tx.DeleteInstance(sensorID, aTemperature, insts[30].InstanceID); err != nil {
			return err
		}
		moved := reading(1000, hour(50))
		return tx.PatchInstance(sensorID, aTemperature, insts[10].InstanceID, moved)
	})
	if err != nil {
		t.Fatal(err)
	}
	q := store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: histBase, EndTimeAt: hour(72), AggrMethods: []store.AggrMethod{store.AggrTotalCount, store.AggrMax, store.AggrSum}, AggrPeriod: store.Period{Duration: 24 * time.Hour}}
	ag := history(t, s, sensorID, q).Attrs[0].Aggregates
	day := func(from, to int, skip ...int) (int, float64, float64) {
		n, mx, sum := 0, math.Inf(-1), 0.0
		for i := from; i < to; i++ {
			if slices.Contains(skip, i) {
				continue
			}
			v := float64(i)*1.5 - 3
			n, mx, sum = n+1, math.Max(mx, v), sum+v
		}
		return n, mx, sum
	}
	n0, mx0, s0 := day(0, 24, 10)
	n1, mx1, s1 := day(24, 48, 30)
	n2, _, s2 := day(48, 72)
	want := [][3]any{{n0, mx0, s0}, {n1, mx1, s1}, {n2 + 1, 1000.0, s2 + 1000}}
	for i, w := range want {
		got := [3]any{ag[i].Values[store.AggrTotalCount], ag[i].Values[store.AggrMax], ag[i].Values[store.AggrSum]}
		if !closeTo(got[0], w[0]) || !closeTo(got[1], w[1]) || !closeTo(got[2], w[2]) {
			t.Errorf("day %d: count, max, sum = %v, want %v", i, got, w)
		}
	}
}

func testPatchDeleteInstance(t *testing.T, s store.Store) {
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(3)})
	h := history(t, s, sensorID, store.TemporalQuery{})
	first := h.Attrs[0].Instances[0]
	later := histBase.Add(5000 * time.Hour)
	patched := reading(99, hour(0))
	patched.CreatedAt, patched.ModifiedAt = later, later
	err := s.Update(context.Background(), "", func(tx store.Tx) error {
		return tx.PatchInstance(sensorID, aTemperature, first.InstanceID, patched)
	})
	if err != nil {
		t.Fatal(err)
	}
	h = history(t, s, sensorID, store.TemporalQuery{})
	got := h.Attrs[0].Instances[0]
	err = s.View(context.Background(), "", func(r store.Reader) error {
		one, err := r.Instance(sensorID, aTemperature, first.InstanceID)
		if err == nil && (one.InstanceID != first.InstanceID || number(t, one.Attr.Value) != 99 || !one.Time.Equal(hour(0))) {
			err = fmt.Errorf("Instance returned %+v", one)
		}
		return err
	})
	if err != nil {
		t.Error(err)
	}
	if got.InstanceID != first.InstanceID || number(t, got.Attr.Value) != 99 || !got.Attr.CreatedAt.Equal(first.Attr.CreatedAt) || !got.Attr.ModifiedAt.Equal(later) {
		t.Errorf("patched instance %+v %+v", got, got.Attr)
	}
	for _, tc := range []struct {
		name, id, attr, inst string
		want                 error
	}{
		{"unknown entity", "urn:ngsi-ld:Sensor:none", aTemperature, first.InstanceID, store.ErrNotFound},
		{"unknown instance", sensorID, aTemperature, "urn:ngsi-ld:instance:999999", store.ErrInstanceNotFound},
		{"foreign instanceId", sensorID, aTemperature, "urn:x:1", store.ErrInstanceNotFound},
		{"other attribute", sensorID, aHumidity, first.InstanceID, store.ErrInstanceNotFound},
	} {
		err := s.Update(context.Background(), "", func(tx store.Tx) error { return tx.DeleteInstance(tc.id, tc.attr, tc.inst) })
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: DeleteInstance: %v, want %v", tc.name, err, tc.want)
		}
		err = s.Update(context.Background(), "", func(tx store.Tx) error { return tx.PatchInstance(tc.id, tc.attr, tc.inst, patched) })
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: PatchInstance: %v, want %v", tc.name, err, tc.want)
		}
	}
	err = s.Update(context.Background(), "", func(tx store.Tx) error {
		for _, in := range h.Attrs[0].Instances {
			if err := tx.DeleteInstance(sensorID, aTemperature, in.InstanceID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(context.Background(), "", func(r store.Reader) error {
		_, err := r.History(sensorID, store.TemporalQuery{})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("history after deleting every instance: %v, want ErrNotFound", err)
	}
}

func testDeleteHistory(t *testing.T, s store.Store) {
	ds := reading(5, histBase)
	ds.DatasetID = "urn:ngsi-ld:Dataset:b"
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: append(readings(2), ds), aHumidity: readings(1)})
	del := func(name, dataset string, all bool) error {
		return s.Update(context.Background(), "", func(tx store.Tx) error { return tx.DeleteHistory(sensorID, name, dataset, all) })
	}
	if err := del(aTemperature, "", false); err != nil {
		t.Fatal(err)
	}
	h := history(t, s, sensorID, store.TemporalQuery{})
	var got []string
	for _, a := range h.Attrs {
		got = append(got, a.Name+"|"+a.DatasetID)
	}
	if diff := cmp.Diff([]string{aHumidity + "|", aTemperature + "|urn:ngsi-ld:Dataset:b"}, got); diff != "" {
		t.Errorf("series left (-want +got):\n%s", diff)
	}
	if err := del(aTemperature, "", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted series: %v, want ErrNotFound", err)
	}
	if err := del(aTemperature, "", true); err != nil {
		t.Errorf("deleting every dataset: %v", err)
	}
	if err := del("", "", false); err != nil {
		t.Fatal(err)
	}
	if err := del("", "", false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting a deleted history: %v, want ErrNotFound", err)
	}
}

func testPurge(t *testing.T, s store.Store) {
	addInstances(t, s, "", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(72)})
	addInstances(t, s, "", "urn:ngsi-ld:Sensor:old", map[string][]*ngsild.Attribute{aTemperature: readings(3)})
	purge := func(cutoff time.Time, max int) int {
		var n int
		err := s.Update(context.Background(), "", func(tx store.Tx) error {
			var err error
			n, err = tx.PurgeHistory(cutoff, max)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := purge(hour(30), 10); n != 10 {
		t.Errorf("first round purged %d, want 10", n)
	}
	total := 10
	for n := purge(hour(30), 10); n > 0; n = purge(hour(30), 10) {
		total += n
	}
	if total != 30+3 {
		t.Errorf("purged %d instances, want 33", total)
	}
	if diff := cmp.Diff(expected(30, 72), values(t, history(t, s, sensorID, store.TemporalQuery{}))); diff != "" {
		t.Errorf("left after purge (-want +got):\n%s", diff)
	}
	err := s.View(context.Background(), "", func(r store.Reader) error {
		_, err := r.History("urn:ngsi-ld:Sensor:old", store.TemporalQuery{})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("history emptied by purge: %v, want ErrNotFound", err)
	}
	ag := history(t, s, sensorID, store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: histBase, EndTimeAt: hour(48),
		AggrMethods: []store.AggrMethod{store.AggrTotalCount, store.AggrMin}, AggrPeriod: store.Period{Duration: 24 * time.Hour}}).Attrs[0].Aggregates
	if len(ag) != 1 || ag[0].Values[store.AggrTotalCount] != 18 || !closeTo(ag[0].Values[store.AggrMin], 30*1.5-3) {
		t.Errorf("daily aggregates after purge: %+v", ag)
	}
}

func testHistoryTenants(t *testing.T, s store.Store) {
	addInstances(t, s, "t1", sensorID, map[string][]*ngsild.Attribute{aTemperature: readings(2)})
	err := s.View(context.Background(), store.DefaultTenant, func(r store.Reader) error {
		_, err := r.History(sensorID, store.TemporalQuery{})
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("history of another tenant: %v, want ErrNotFound", err)
	}
	err = s.View(context.Background(), "t1", func(r store.Reader) error {
		h, err := r.History(sensorID, store.TemporalQuery{})
		if err == nil && len(h.Attrs) != 1 {
			err = fmt.Errorf("%d series", len(h.Attrs))
		}
		return err
	})
	if err != nil {
		t.Errorf("history in its tenant: %v", err)
	}
	tenants, err := s.Tenants(context.Background())
	if err != nil || !slices.Contains(tenants, "t1") {
		t.Errorf("a history write creates its tenant: %v, %v", tenants, err)
	}
}
