package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
)

var cacheT0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

const cacheAttr = "https://opentid.example/ns/level"

// levelEntity is a sensor whose level is v.
func levelEntity(id string, v int) *ngsild.Entity {
	return &ngsild.Entity{ID: id, Types: []string{"https://opentid.example/ns/Sensor"},
		Attrs: map[string][]*ngsild.Attribute{cacheAttr: {{
			Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(v)), CreatedAt: cacheT0, ModifiedAt: cacheT0}}},
		CreatedAt: cacheT0, ModifiedAt: cacheT0}
}

// levelOf returns the level of entity id as the next writer reads it.
func levelOf(t *testing.T, s *Store, id string) string {
	t.Helper()
	var got string
	err := s.Update(context.Background(), "cache", func(tx store.Tx) error {
		e, err := tx.Get(id)
		if err != nil {
			return err
		}
		got = fmt.Sprint(e.Attrs[cacheAttr][0].Value)
		return nil
	})
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return got
}

// inOneGroup runs the callers concurrently in one group commit, the first
// one holding the turn until the others are queued, and returns their
// errors.
func inOneGroup(s *Store, callers ...func(store.Tx) error) []error {
	s.gc.budget = time.Hour // the first caller's wait must not end the group
	defer func() { s.gc.budget = groupBudget }()
	errs := make([]error, len(callers))
	firstIn := make(chan struct{})
	var wg sync.WaitGroup
	for i, fn := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(context.Background(), "cache", func(tx store.Tx) error {
				if i == 0 {
					close(firstIn)
					waitQueued(s, len(callers)-1)
				}
				return fn(tx)
			})
		}()
		if i == 0 {
			<-firstIn
		}
	}
	wg.Wait()
	return errs
}

// TestEntityCacheFollowsRollbacks: what a rolled-back write put in the
// writer's entity cache never reaches a later transaction, whether the
// whole transaction or one caller's savepoint was rolled back.
func TestEntityCacheFollowsRollbacks(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "cache.db"))
	defer s.Close()
	ctx := context.Background()
	boom := errors.New("boom")
	const id = "urn:ngsi-ld:Sensor:c1"
	if err := s.Update(ctx, "cache", func(tx store.Tx) error { return tx.Put(levelEntity(id, 1)) }); err != nil {
		t.Fatal(err)
	}
	if s.caches.ents.len() != 1 {
		t.Fatalf("%d cached entities after a write, want 1", s.caches.ents.len())
	}

	// A transaction of one caller that fails after its write.
	err := s.Update(ctx, "cache", func(tx store.Tx) error {
		if err := tx.Put(levelEntity(id, 2)); err != nil {
			return err
		}
		if got := levelOf2(tx, id); got != "2" {
			return fmt.Errorf("own write read back as %s", got)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	if got := levelOf(t, s, id); got != "1" {
		t.Fatalf("after a rolled-back transaction the writer reads level %s, want 1", got)
	}

	// One caller of a group rolled back to its savepoint, the others kept.
	seen := make(chan string, 1)
	errs := inOneGroup(s,
		func(tx store.Tx) error { return tx.Put(levelEntity(id, 3)) },
		func(tx store.Tx) error {
			if err := tx.Put(levelEntity(id, 4)); err != nil {
				return err
			}
			return boom
		},
		func(tx store.Tx) error { seen <- levelOf2(tx, id); return nil },
	)
	if errs[0] != nil || !errors.Is(errs[1], boom) || errs[2] != nil {
		t.Fatalf("group: %v", errs)
	}
	if got := <-seen; got != "3" {
		t.Errorf("a caller after the rolled-back one read level %s, want 3", got)
	}
	if got := levelOf(t, s, id); got != "3" {
		t.Errorf("after the group the writer reads level %s, want 3", got)
	}

	// A caller changing what Get returned does not change the cache.
	err = s.Update(ctx, "cache", func(tx store.Tx) error {
		e, err := tx.Get(id)
		if err == nil {
			e.Attrs[cacheAttr][0].Value = json.Number("99")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := levelOf(t, s, id); got != "3" {
		t.Errorf("after a change of a copy the writer reads level %s, want 3", got)
	}

	// A deletion, in the same transaction and after it.
	err = s.Update(ctx, "cache", func(tx store.Tx) error {
		if err := tx.Delete(id); err != nil {
			return err
		}
		if _, err := tx.Get(id); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get after Delete: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(ctx, "cache", func(tx store.Tx) error {
		_, err := tx.Get(id)
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after a committed Delete: %v", err)
	}
}

func levelOf2(tx store.Tx, id string) string {
	e, err := tx.Get(id)
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(e.Attrs[cacheAttr][0].Value)
}

// TestHistoryCacheFollowsChanges: after each change of a history that
// the writer's series cache does not follow step by step (deletions,
// retention, a rolled-back transaction), new instances still land in a
// series that exists, and the history reads as expected.
func TestHistoryCacheFollowsChanges(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "cache.db"))
	defer s.Close()
	ctx := context.Background()
	const id = "urn:ngsi-ld:Sensor:h1"
	types := []string{"https://opentid.example/ns/Sensor"}
	at := 0
	add := func(tx store.Tx) error {
		at++
		obs := cacheT0.Add(time.Duration(at) * time.Minute)
		return tx.AddInstances(id, types, map[string][]*ngsild.Attribute{cacheAttr: {{
			Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(at)), ObservedAt: obs.Format(time.RFC3339),
			CreatedAt: obs, ModifiedAt: obs}}})
	}
	count := func() int {
		t.Helper()
		n := 0
		err := s.View(ctx, "cache", func(r store.Reader) error {
			h, err := r.History(id, store.TemporalQuery{})
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, a := range h.Attrs {
				n += len(a.Instances)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	update := func(fn func(tx store.Tx) error) { t.Helper(); mustUpdate(t, s, fn) }
	update(add)
	update(add)
	if n := count(); n != 2 {
		t.Fatalf("%d instances, want 2", n)
	}
	if s.caches.hist.len() != 1 {
		t.Fatalf("%d cached histories, want 1", s.caches.hist.len())
	}

	// The series is created by a transaction that rolls back.
	boom := errors.New("boom")
	update(func(tx store.Tx) error { return tx.DeleteHistory(id, "", "", false) })
	rolledBack := func(fn func(tx store.Tx) error) {
		t.Helper()
		err := s.Update(ctx, "cache", func(tx store.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update: %v", err)
		}
	}
	rolledBack(add)
	update(add)
	if n := count(); n != 1 {
		t.Fatalf("after deletion and a rolled-back write: %d instances, want 1", n)
	}

	// A new series of a cached history, created by a transaction that
	// rolls back: the cached history must not keep it.
	other := func(tx store.Tx) error {
		obs := cacheT0.Add(time.Hour)
		return tx.AddInstances(id, types, map[string][]*ngsild.Attribute{benchNS + "flow": {{
			Type: ngsild.TypeProperty, Value: json.Number("7"), ObservedAt: obs.Format(time.RFC3339), CreatedAt: obs, ModifiedAt: obs}}})
	}
	rolledBack(other)
	update(other)
	if n := count(); n != 2 {
		t.Fatalf("after a rolled-back new series written again: %d instances, want 2", n)
	}
	update(func(tx store.Tx) error { return tx.DeleteHistory(id, benchNS+"flow", "", true) })

	// One attribute's history deleted, then written again.
	update(func(tx store.Tx) error { return tx.DeleteHistory(id, cacheAttr, "", true) })
	update(add)
	if n := count(); n != 1 {
		t.Fatalf("after deletion of the attribute's history: %d instances, want 1", n)
	}

	// The last instance deleted: the history goes with it.
	var iid string
	err := s.View(ctx, "cache", func(r store.Reader) error {
		h, err := r.History(id, store.TemporalQuery{})
		if err == nil {
			iid = h.Attrs[0].Instances[0].InstanceID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	update(func(tx store.Tx) error { return tx.DeleteInstance(id, cacheAttr, iid) })
	update(add)
	if n := count(); n != 1 {
		t.Fatalf("after deletion of the last instance: %d instances, want 1", n)
	}

	// Retention removes everything.
	update(func(tx store.Tx) error {
		_, err := tx.PurgeHistory(cacheT0.Add(24*time.Hour), 1000)
		return err
	})
	update(add)
	if n := count(); n != 1 {
		t.Fatalf("after retention: %d instances, want 1", n)
	}
}

// TestRecentSlices: once hist_recent is full, writes move slices of
// series in turn, so that every series reaches hist_instances and
// hist_recent stays near its bound.
func TestRecentSlices(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "slices.db"))
	defer s.Close()
	fixRecentBound(s, 40) // slices of about 10 instances
	const sensors = 20
	writeRecentRounds(t, s, 0, 30, sensors)
	var recent, moved, series int
	if err := s.w.QueryRow(`SELECT count(*) FROM hist_recent`).Scan(&recent); err != nil {
		t.Fatal(err)
	}
	if err := s.w.QueryRow(`SELECT count(*), count(DISTINCT sid) FROM hist_instances`).Scan(&moved, &series); err != nil {
		t.Fatal(err)
	}
	if recent+moved != 30*sensors || recent > int(s.recent.bound)+sensors || series != sensors {
		t.Errorf("%d recent and %d moved instances of %d series, want %d in all, at most %d recent, every series moved",
			recent, moved, series, 30*sensors, s.recent.bound+sensors)
	}
	// Every instance reads back, from either table.
	err := s.View(context.Background(), "cache", func(r store.Reader) error {
		for i := range sensors {
			h, err := r.History(fmt.Sprintf("urn:ngsi-ld:Sensor:s%02d", i), store.TemporalQuery{})
			if err != nil {
				return err
			}
			if n := len(h.Attrs[0].Instances); n != 30 {
				return fmt.Errorf("sensor %d: %d instances, want 30", i, n)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRecentBoundFollowsSeries checks that the bound of hist_recent is
// set, at each round of the slices, to recentPerSeries instances for each
// series written to, within its limits, up and down, and that it is
// found again when the store opens.
func TestRecentBoundFollowsSeries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bound.db")
	s := openTemp(t, path)
	s.recent.min, s.recent.max, s.recent.bound = 40, 400, 40
	check := func(want int64) {
		t.Helper()
		if s.recent.bound != want {
			t.Errorf("bound %d, want %d", s.recent.bound, want)
		}
	}
	round := writeRecentRounds(t, s, 0, 20, 3) // 3 series: 24, below the minimum
	check(40)
	round = writeRecentRounds(t, s, round, 20, 20)
	check(20 * recentPerSeries)
	round = writeRecentRounds(t, s, round, 20, 60) // 480, above the maximum
	check(400)
	// Going down takes a round that starts with 10 series written to.
	writeRecentRounds(t, s, round, 150, 10)
	check(10 * recentPerSeries)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// On opening, the bound comes from what hist_recent holds.
	s = openTemp(t, path)
	defer s.Close()
	var series int64
	if err := s.w.QueryRow(`SELECT count(DISTINCT sid) FROM hist_recent`).Scan(&series); err != nil {
		t.Fatal(err)
	}
	if want := max(recentPerSeries*series, minRecentRows); s.recent.bound != want {
		t.Errorf("bound %d after opening with %d series, want %d", s.recent.bound, series, want)
	}
}

// writeRecentRounds writes rounds of one instance to each of sensors
// series, the first observed round minutes after cacheT0, each round in
// a transaction, and returns the round after the last.
func writeRecentRounds(t *testing.T, s *Store, first, rounds, sensors int) int {
	t.Helper()
	for round := first; round < first+rounds; round++ {
		err := s.Update(context.Background(), "cache", func(tx store.Tx) error {
			for i := range sensors {
				obs := cacheT0.Add(time.Duration(round) * time.Minute)
				err := tx.AddInstances(fmt.Sprintf("urn:ngsi-ld:Sensor:s%02d", i), []string{benchNS + "Sensor"}, map[string][]*ngsild.Attribute{cacheAttr: {{
					Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(round)), ObservedAt: obs.Format(time.RFC3339), CreatedAt: obs, ModifiedAt: obs}}})
				if err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return first + rounds
}

// fixRecentBound makes n the bound of hist_recent, whatever the series.
func fixRecentBound(s *Store, n int64) {
	s.recent.min, s.recent.max, s.recent.bound = n, n, n
}

// TestNumbersFollowRollbacks: the number of an attribute name allocated by
// a transaction that rolls back is not kept. The next name allocated takes
// that number again, so a kept number would file the first name's values
// under the second name.
func TestNumbersFollowRollbacks(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "numbers.db"))
	defer s.Close()
	ctx := context.Background()
	boom := errors.New("boom")
	put := func(id, attr string, v int) func(store.Tx) error {
		return func(tx store.Tx) error {
			e := levelEntity(id, v)
			e.Attrs = map[string][]*ngsild.Attribute{benchNS + attr: e.Attrs[cacheAttr]}
			return tx.Put(e)
		}
	}
	if err := s.Update(ctx, "cache", put("urn:ngsi-ld:Sensor:n0", "level", 1)); err != nil {
		t.Fatal(err)
	}
	err := s.Update(ctx, "cache", func(tx store.Tx) error {
		if err := put("urn:ngsi-ld:Sensor:n1", "flow", 5)(tx); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	// One caller of a group allocates a name and rolls back, the next
	// allocates another.
	errs := inOneGroup(s,
		func(tx store.Tx) error {
			if err := put("urn:ngsi-ld:Sensor:n2", "height", 6)(tx); err != nil {
				return err
			}
			return boom
		},
		put("urn:ngsi-ld:Sensor:n3", "speed", 7),
	)
	if !errors.Is(errs[0], boom) || errs[1] != nil {
		t.Fatalf("group: %v", errs)
	}
	for _, w := range []struct {
		id, attr string
		v        int
	}{{"urn:ngsi-ld:Sensor:n4", "rain", 2}, {"urn:ngsi-ld:Sensor:n1", "flow", 5}, {"urn:ngsi-ld:Sensor:n2", "height", 6}} {
		if err := s.Update(ctx, "cache", put(w.id, w.attr, w.v)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		attr string
		v    float64
		want string
	}{{"level", 1, "urn:ngsi-ld:Sensor:n0"}, {"rain", 2, "urn:ngsi-ld:Sensor:n4"}, {"flow", 5, "urn:ngsi-ld:Sensor:n1"},
		{"height", 6, "urn:ngsi-ld:Sensor:n2"}, {"speed", 7, "urn:ngsi-ld:Sensor:n3"}} {
		lit := query.Literal{Kind: query.KindNumber, Num: c.v}
		err := s.View(ctx, "cache", func(r store.Reader) error {
			res, err := r.Query(store.EntityQuery{Limit: 10,
				Q: &query.Comparison{Path: query.Path{Attr: benchNS + c.attr}, Op: query.OpEqual, Value: query.Value{Single: &lit}}})
			if err != nil {
				return err
			}
			var got []string
			for _, e := range res.Entities {
				got = append(got, e.ID)
			}
			if len(got) != 1 || got[0] != c.want {
				return fmt.Errorf("%s == %v: found %v, want %s", c.attr, c.v, got, c.want)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
	if s.caches.nums.len() == 0 {
		t.Error("no number cached")
	}
}

// TestInPlaceChangesOfRecentInstances: a patch or a deletion of one
// instance moves its own series only, and the deletion of a history
// drops the recent instances of its series; the other series of the
// entity keep their recent instances, and no recent instance is left
// without its series.
func TestInPlaceChangesOfRecentInstances(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "inplace.db"))
	defer s.Close()
	ctx := context.Background()
	const id = "urn:ngsi-ld:Sensor:ip"
	a, b, c := benchNS+"a", benchNS+"b", benchNS+"c"
	err := s.Update(ctx, "cache", func(tx store.Tx) error {
		attrs := map[string][]*ngsild.Attribute{}
		for _, name := range []string{a, b, c} {
			for i := range 2 {
				obs := cacheT0.Add(time.Duration(i) * time.Minute)
				attrs[name] = append(attrs[name], &ngsild.Attribute{Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(i + 1)),
					ObservedAt: obs.Format(time.RFC3339), CreatedAt: obs, ModifiedAt: obs})
			}
		}
		return tx.AddInstances(id, []string{benchNS + "Sensor"}, attrs)
	})
	if err != nil {
		t.Fatal(err)
	}
	history := func() map[string][]string {
		t.Helper()
		out := map[string][]string{}
		err := s.View(ctx, "cache", func(r store.Reader) error {
			h, err := r.History(id, store.TemporalQuery{})
			if err != nil {
				return err
			}
			for _, at := range h.Attrs {
				for _, in := range at.Instances {
					out[at.Name] = append(out[at.Name], fmt.Sprint(in.Attr.Value))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	instanceOf := func(name string, i int) string {
		t.Helper()
		var iid string
		err := s.View(ctx, "cache", func(r store.Reader) error {
			h, err := r.History(id, store.TemporalQuery{Attrs: []string{name}})
			if err == nil {
				iid = h.Attrs[0].Instances[i].InstanceID
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return iid
	}
	update := func(fn func(tx store.Tx) error) { t.Helper(); mustUpdate(t, s, fn) }
	// Patch b's first instance, delete both of a's: a's series goes, b
	// and c stay, c's instances still recent.
	bFirst, aFirst, aSecond := instanceOf(b, 0), instanceOf(a, 0), instanceOf(a, 1)
	at := cacheT0.Add(time.Hour)
	update(func(tx store.Tx) error {
		return tx.PatchInstance(id, b, bFirst, &ngsild.Attribute{Type: ngsild.TypeProperty, Value: json.Number("9"),
			ObservedAt: cacheT0.Format(time.RFC3339), ModifiedAt: at})
	})
	update(func(tx store.Tx) error { return tx.DeleteInstance(id, a, aFirst) })
	update(func(tx store.Tx) error { return tx.DeleteInstance(id, a, aSecond) })
	want := map[string][]string{b: {"9", "2"}, c: {"1", "2"}}
	if got := history(); !cmp.Equal(got, want) {
		t.Fatalf("after a patch and deletions: %v, want %v", got, want)
	}
	var recent, all int
	if err := s.w.QueryRow(`SELECT count(*) FROM hist_recent r JOIN hist_series s USING (sid) WHERE s.name = ?`, c).Scan(&recent); err != nil || recent != 2 {
		t.Fatalf("%d recent instances of the untouched series (%v), want 2", recent, err)
	}
	// The count the store keeps follows, the patched instance included.
	if err := s.w.QueryRow(`SELECT count(*) FROM hist_recent`).Scan(&all); err != nil || int64(all) != s.recent.rows {
		t.Errorf("%d recent instances, counted %d (%v)", all, s.recent.rows, err)
	}
	// Delete c's history: its recent instances go with it.
	update(func(tx store.Tx) error { return tx.DeleteHistory(id, c, "", true) })
	if got, want := history(), map[string][]string{b: {"9", "2"}}; !cmp.Equal(got, want) {
		t.Fatalf("after deleting a history: %v, want %v", got, want)
	}
	var orphans int
	if err := s.w.QueryRow(`SELECT count(*) FROM hist_recent WHERE sid NOT IN (SELECT sid FROM hist_series)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Fatalf("%d recent instances without their series (%v)", orphans, err)
	}
}

// mustUpdate runs fn in a write transaction of tenant "cache".
func mustUpdate(t *testing.T, s *Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), "cache", fn); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionOfRecentInstances: retention removes the recent instances
// older than its cutoff, and leaves the series that have none in
// hist_recent.
func TestRetentionOfRecentInstances(t *testing.T) {
	s := openTemp(t, filepath.Join(t.TempDir(), "retention.db"))
	defer s.Close()
	const id = "urn:ngsi-ld:Sensor:rt"
	a, b := benchNS+"a", benchNS+"b"
	instance := func(at time.Duration, v int) *ngsild.Attribute {
		obs := cacheT0.Add(at)
		return &ngsild.Attribute{Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(v)), ObservedAt: obs.Format(time.RFC3339), CreatedAt: obs, ModifiedAt: obs}
	}
	day := 24 * time.Hour
	mustUpdate(t, s, func(tx store.Tx) error {
		return tx.AddInstances(id, []string{benchNS + "Sensor"}, map[string][]*ngsild.Attribute{
			a: {instance(0, 1), instance(time.Hour, 2), instance(2*day, 3)},
			b: {instance(2*day, 4), instance(3*day, 5)}})
	})
	var removed int
	mustUpdate(t, s, func(tx store.Tx) error {
		var err error
		removed, err = tx.PurgeHistory(cacheT0.Add(day), 1000)
		return err
	})
	if removed != 2 {
		t.Errorf("%d instances removed, want 2", removed)
	}
	err := s.View(context.Background(), "cache", func(r store.Reader) error {
		h, err := r.History(id, store.TemporalQuery{AggrMethods: []store.AggrMethod{store.AggrSum}, AggrPeriod: store.Period{Duration: day},
			Timerel: store.TimeAfter, TimeAt: cacheT0.Add(-day)})
		if err != nil {
			return err
		}
		got := map[string][]any{}
		for _, at := range h.Attrs {
			for _, p := range at.Aggregates {
				got[at.Name] = append(got[at.Name], p.Values[store.AggrSum])
			}
		}
		if want := map[string][]any{a: {3.0}, b: {4.0, 5.0}}; !cmp.Equal(got, want) {
			return fmt.Errorf("daily sums after retention %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var recent int
	if err := s.w.QueryRow(`SELECT count(*) FROM hist_recent r JOIN hist_series s USING (sid) WHERE s.name = ?`, b).Scan(&recent); err != nil || recent != 2 {
		t.Errorf("%d recent instances of the series without old ones (%v), want 2", recent, err)
	}
}
