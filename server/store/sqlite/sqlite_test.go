package sqlite

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/paulmach/orb"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
	"github.com/opentid/opentid/server/store/storetest"
)

// openTemp opens a store at path, or fails the test.
func openTemp(tb testing.TB, path string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTemp(t, filepath.Join(t.TempDir(), "opentid.db"))
	})
}

// TestStoreWithoutCache runs the behaviour suite with the writer's caches
// off: every read of the writer goes to SQL, after the rows it queued.
func TestStoreWithoutCache(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "opentid.db"), Options{CacheEntries: -1})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestStoreMovedInstances runs the behaviour suite with recent instances
// moved to hist_instances, a slice of series at a time, from the first
// instance (1) or from the seventh (7): the suite then reads instances
// from either table and from both.
func TestStoreMovedInstances(t *testing.T) {
	for _, every := range []int64{1, 7} {
		t.Run(fmt.Sprint(every), func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store {
				s := openTemp(t, filepath.Join(t.TempDir(), "opentid.db"))
				fixRecentBound(s, every)
				return s
			})
		})
	}
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	// A path with the characters a URI filename must escape.
	path := filepath.Join(t.TempDir(), "a dir?#%", "opentid.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	e := &ngsild.Entity{ID: "urn:ngsi-ld:Sensor:1", Types: []string{"https://opentid.example/ns/Sensor"},
		Attrs: map[string][]*ngsild.Attribute{"https://opentid.example/ns/temperature": {{
			Type: ngsild.TypeProperty, Value: json.Number("21.5"), CreatedAt: now, ModifiedAt: now}}},
		CreatedAt: now, ModifiedAt: now}

	s := openTemp(t, path)
	if err := s.Update(ctx, "nantes", func(tx store.Tx) error { return tx.Put(e) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		s = openTemp(t, path)
		var got *ngsild.Entity
		err := s.View(ctx, "nantes", func(r store.Reader) error {
			var err error
			got, err = r.Get(e.ID)
			return err
		})
		if err != nil {
			t.Fatalf("View after reopen: %v", err)
		}
		if diff := cmp.Diff(e, got, cmpopts.EquateApproxTime(0)); diff != "" {
			t.Errorf("entity after reopen (-want +got):\n%s", diff)
		}
		if tenants, err := s.Tenants(ctx); err != nil || !cmp.Equal(tenants, []string{"nantes"}) {
			t.Errorf("Tenants after reopen = %q, %v", tenants, err)
		}
		var version int
		if err := s.r.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
			t.Errorf("user_version = %d, %v; want %d", version, err, len(migrations))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "opentid.db")
	s := openTemp(t, path)
	if _, err := s.w.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{})
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer database succeeded")
	}
	if !errors.Is(err, ErrNewerSchema) {
		t.Errorf("Open error = %v, want ErrNewerSchema", err)
	}
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		opts    Options
		wantErr string
	}{
		{Options{Synchronous: "full", ReadConns: 1}, ""},
		{Options{Synchronous: "NORMAL"}, ""},
		{Options{Synchronous: "OFF"}, "Synchronous"},
		{Options{ReadConns: -1}, "ReadConns"},
	} {
		s, err := Open(ctx, filepath.Join(t.TempDir(), "opentid.db"), tc.opts)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("Open(%+v): %v", tc.opts, err)
				continue
			}
			var mode string
			if err := s.w.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("journal_mode = %q, %v; want wal", mode, err)
			}
			s.Close()
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("Open(%+v) error = %v, want one about %s", tc.opts, err, tc.wantErr)
		}
		if s != nil {
			s.Close()
		}
	}
}

// TestKillDurability checks that an acknowledged Update survives SIGKILL of
// the process: a child process (this test binary, re-run) writes entities,
// reports each acknowledged one, and is killed without closing the store.
func TestKillDurability(t *testing.T) {
	if path := os.Getenv("OPENTID_SQLITE_KILL_CHILD"); path != "" {
		killChild(path)
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "opentid.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillDurability$")
	cmd.Env = append(os.Environ(), "OPENTID_SQLITE_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill the child after its 50th acknowledged write, while it is
	// writing more.
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 50 {
		if id, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 50 {
		t.Fatalf("child acknowledged %d writes before it stopped", len(acked))
	}

	s := openTemp(t, path)
	defer s.Close()
	err = s.View(context.Background(), "crash", func(r store.Reader) error {
		for _, id := range acked {
			if _, err := r.Get(id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Errorf("after SIGKILL: %v", err)
	}
}

func killChild(path string) {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		e := benchEntity(i)
		if err := s.Update(context.Background(), "crash", func(tx store.Tx) error { return tx.Put(e) }); err != nil {
			fmt.Println("update:", err)
			os.Exit(1)
		}
		fmt.Println("acked", e.ID)
	}
}

// TestMigrateV1 opens a database of schema version 1 that holds entities:
// migration 2 indexes them, so that the query languages find them.
func TestMigrateV1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "opentid.db")
	db, err := sql.Open("sqlite", fileDSN(path, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2024, 3, 1, 8, 0, 0, 0, time.UTC)
	e := &ngsild.Entity{ID: "urn:ngsi-ld:Sensor:1", Types: []string{benchNS + "Sensor"},
		Attrs: map[string][]*ngsild.Attribute{
			benchNS + "temperature": {{Type: ngsild.TypeProperty, Value: json.Number("21.5"), CreatedAt: now, ModifiedAt: now}},
			coreLocation: {{Type: ngsild.TypeGeoProperty, CreatedAt: now, ModifiedAt: now,
				Value: map[string]any{"type": "Point", "coordinates": []any{json.Number("-1.55"), json.Number("47.22")}}}},
		},
		Scope: []string{"/Nantes"}, CreatedAt: now, ModifiedAt: now}
	data, err := ngsild.MarshalEntity(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		migrations[0].sql,
		"PRAGMA user_version = 1",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO entities (pk, tid, id, data, created_at, modified_at) VALUES (1, 1, ?, ?, 0, 0)`, e.ID, data); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO entity_types (tid, type, pk) VALUES (1, ?, 1)`, e.Types[0]); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openTemp(t, path)
	defer s.Close()
	lit := query.Literal{Kind: query.KindNumber, Num: 20}
	q := store.EntityQuery{
		Types:  e.Types,
		Q:      &query.Comparison{Path: query.Path{Attr: benchNS + "temperature"}, Op: query.OpGreater, Value: query.Value{Single: &lit}},
		ScopeQ: &query.ScopePattern{Pattern: "/Nantes/#"},
		Geo:    &query.GeoQuery{Rel: query.GeoNear, Geometry: orb.Point{-1.55, 47.22}, MaxDistance: 10, Property: coreLocation},
		Limit:  10, Count: true,
	}
	err = s.View(ctx, store.DefaultTenant, func(r store.Reader) error {
		res, err := r.Query(q)
		if err == nil && (res.Total != 1 || len(res.Entities) != 1) {
			err = fmt.Errorf("found %d (total %d), want the migrated entity", len(res.Entities), res.Total)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestIndexMaintenance checks that replacing and deleting entities leaves
// no index row behind, the R*Tree included.
func TestIndexMaintenance(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, filepath.Join(t.TempDir(), "opentid.db"))
	defer s.Close()
	count := func() map[string]int {
		out := map[string]int{}
		for _, table := range []string{"attr_values", "geo_boxes", "geo_rtree", "entity_scopes", "entity_types", "entity_attrs"} {
			var n int
			if err := s.w.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out[table] = n
		}
		return out
	}
	put := func(es ...*ngsild.Entity) {
		t.Helper()
		err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error {
			for _, e := range es {
				if err := tx.Put(e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	e := benchEntity(1)
	e.Types = append(e.Types, benchNS+"Other")
	e.Scope = []string{"/a", "b"}
	put(e)
	once := count()
	if once["geo_rtree"] != 2 || once["geo_boxes"] != 2 || once["entity_scopes"] != 2 {
		t.Errorf("index rows of a two-typed entity with two scopes: %v", once)
	}
	put(e, e)
	if diff := cmp.Diff(once, count()); diff != "" {
		t.Errorf("index rows after replacements (-first +now):\n%s", diff)
	}
	err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error { return tx.Delete(e.ID) })
	if err != nil {
		t.Fatal(err)
	}
	for table, n := range count() {
		if n != 0 {
			t.Errorf("%s: %d rows after deletion", table, n)
		}
	}
}

// TestDecode checks the stored-entity parser against ngsild.UnmarshalEntity.
func TestDecode(t *testing.T) {
	now := time.Date(2024, 3, 1, 8, 0, 0, 123456789, time.FixedZone("", 3600))
	odd := &ngsild.Entity{ID: "urn:x:\"quoted\"\u00e9\\", Types: []string{"T\u2028", "U"}, Scope: []string{"/a"},
		Attrs: map[string][]*ngsild.Attribute{
			"a": {{Type: ngsild.TypeProperty, Value: map[string]any{"k": []any{json.Number("-1.5e3"), nil, true, false, "\t\u00fc\U0001F600"}, "": map[string]any{}},
				DatasetID: "urn:ds", ObservedAt: "2024-03-01T10:00:00+02:00", UnitCode: "CEL", ObjectType: []string{"O"},
				Sub:       map[string]*ngsild.Attribute{"s": {Type: ngsild.TypeRelationship, Value: "urn:y", CreatedAt: now}},
				CreatedAt: now, ModifiedAt: now}},
			"b": {{Type: ngsild.TypeListProperty, Value: []any{}}},
			"c": {{Type: ngsild.TypeProperty, Value: nil}},
		},
		CreatedAt: now, ModifiedAt: now}
	es := []*ngsild.Entity{odd, {ID: "urn:empty"}}
	for i := range 20 {
		es = append(es, benchEntity(i))
	}
	for _, e := range es {
		data, err := ngsild.MarshalEntity(e)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ngsild.UnmarshalEntity(data)
		if err != nil {
			t.Fatal(err)
		}
		got, err := sqlindex.DecodeFast(data)
		if err != nil {
			t.Fatalf("decode %s: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("decode %s (-UnmarshalEntity +decode):\n%s", data, diff)
		}
	}
	// What the parser does not expect goes to UnmarshalEntity.
	for _, data := range []string{`{"id":"x","extra":1}`, `{"ID":"x"}`, `{"id":"x"} `} {
		e, err := decode("x", []byte(data))
		if err != nil || e.ID != "x" {
			t.Errorf("decode(%s) = %+v, %v", data, e, err)
		}
	}
	if _, err := decode("x", []byte(`{"id":`)); err == nil {
		t.Error("decode of truncated data: no error")
	}
}

// TestIndexUpdate checks that replacements of an entity read in the same
// transaction (whose index rows are updated from their known state) leave
// the rows a full rebuild of the indexes writes.
func TestIndexUpdate(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, filepath.Join(t.TempDir(), "opentid.db"))
	defer s.Close()
	dump := func(tx *sql.Tx) string {
		var b strings.Builder
		for _, q := range []string{
			`SELECT pk, tno, seq, tid, name, num, str FROM attr_values JOIN attr_names USING (ano) ORDER BY pk, tno, seq`,
			`SELECT tid, scope, pk FROM entity_scopes ORDER BY tid, scope, pk`,
			`SELECT pk, tid, name, minx, maxx, miny, maxy, minz, maxz FROM geo_rtree ORDER BY pk, tid, name, minx, miny, minz`,
			`SELECT b.pk, r.pk FROM geo_boxes b LEFT JOIN geo_rtree r USING (id) ORDER BY b.pk, r.pk`,
		} {
			rows, err := tx.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				fmt.Fprintln(&b, vals...)
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			b.WriteString("--\n")
		}
		return b.String()
	}
	check := func(step string) {
		t.Helper()
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		got := dump(tx)
		for _, q := range []string{`DELETE FROM attr_values`, `DELETE FROM entity_scopes`, `DELETE FROM geo_boxes`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if err := reindexAll(ctx, tx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(dump(tx), got); diff != "" {
			t.Errorf("%s: index rows (-rebuilt +updated):\n%s", step, diff)
		}
	}
	e := benchEntity(1)
	if err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error { return tx.Put(e) }); err != nil {
		t.Fatal(err)
	}
	check("created")
	steps := []struct {
		name   string
		change func(e *ngsild.Entity)
	}{
		{"values changed", func(e *ngsild.Entity) {
			e.Attrs[benchNS+"no2"][0].Value = json.Number("12.5")
			e.Attrs[benchNS+"name"][0].Value = "Renamed"
		}},
		{"nothing changed", func(e *ngsild.Entity) {}},
		{"number to string", func(e *ngsild.Entity) { e.Attrs[benchNS+"o3"][0].Value = "high" }},
		{"attributes removed", func(e *ngsild.Entity) {
			delete(e.Attrs, benchNS+"pm10")
			delete(e.Attrs, benchNS+"relativeHumidity")
		}},
		{"attributes added", func(e *ngsild.Entity) {
			e.Attrs[benchNS+"aaa"] = []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: json.Number("1")}}
			e.Attrs[benchNS+"zzz"] = []*ngsild.Attribute{{Type: ngsild.TypeProperty, Value: true}}
		}},
		{"scopes added", func(e *ngsild.Entity) { e.Scope = []string{"/a", "/b/c"} }},
		{"scopes changed", func(e *ngsild.Entity) { e.Scope = []string{"/d"} }},
		{"location moved", func(e *ngsild.Entity) {
			e.Attrs[coreLocation][0].Value = map[string]any{"type": "Point", "coordinates": []any{json.Number("2.5"), json.Number("48.5")}}
		}},
		{"scopes and location removed", func(e *ngsild.Entity) {
			e.Scope = nil
			delete(e.Attrs, coreLocation)
		}},
		{"type added", func(e *ngsild.Entity) { e.Types = append(e.Types, benchNS+"Other") }},
		{"values changed under two types", func(e *ngsild.Entity) { e.Attrs[benchNS+"no2"][0].Value = json.Number("7") }},
		{"all attributes removed", func(e *ngsild.Entity) { e.Attrs = map[string][]*ngsild.Attribute{} }},
	}
	for _, step := range steps {
		err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error {
			// Twice in one transaction: the second replacement starts from
			// the state the first one wrote.
			for range 2 {
				got, err := tx.Get(e.ID)
				if err != nil {
					return err
				}
				step.change(got)
				if err := tx.Put(got); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		check(step.name)
	}
}

// TestMigrateDailyByDay: a database of schema version 4 keeps its daily
// rollup when version 5 rebuilds it keyed by day, and whole-day
// aggregations read it.
func TestMigrateDailyByDay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "opentid.db")
	db, err := sql.Open("sqlite", fileDSN(path, []string{"foreign_keys(1)"}, ""))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:4] {
		if _, err := tx.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
		if m.fn != nil {
			if err := m.fn(context.Background(), tx); err != nil {
				t.Fatal(err)
			}
		}
	}
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for _, q := range []string{
		`INSERT INTO hist_entities (hid, tid, id, types) VALUES (1, 1, 'urn:ngsi-ld:Sensor:m', '["https://opentid.example/ns/Sensor"]')`,
		`INSERT INTO hist_series (sid, hid, name, dataset, type, unit) VALUES (1, 1, 'https://opentid.example/ns/level', '', 'Property', '')`,
		fmt.Sprintf(`INSERT INTO hist_instances (sid, ts, iid, created, modified, observed, num, data) VALUES
			(1, %[1]d + 3600000000, 1, %[1]d, NULL, 1, 2, NULL), (1, %[1]d + 7200000000, 2, %[1]d, NULL, 1, 4, NULL)`, day),
		fmt.Sprintf(`INSERT INTO hist_daily (sid, day, cnt, n, vsum, vsumsq, vmin, vmax) VALUES (1, %d, 2, 2, 6, 20, 2, 4)`, day),
		"PRAGMA user_version = 4",
	} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openTemp(t, path)
	defer s.Close()
	var key string
	if err := s.w.QueryRow(`SELECT group_concat(name) FROM pragma_index_info('hist_daily_by_series')`).Scan(&key); err != nil || key != "sid,day" {
		t.Fatalf("index hist_daily_by_series on %q (%v), want sid,day", key, err)
	}
	from := time.UnixMicro(day).UTC()
	err = s.View(context.Background(), store.DefaultTenant, func(r store.Reader) error {
		h, err := r.History("urn:ngsi-ld:Sensor:m", store.TemporalQuery{Timerel: store.TimeBetween, TimeAt: from, EndTimeAt: from.Add(24 * time.Hour),
			AggrMethods: []store.AggrMethod{store.AggrSum, store.AggrMax}, AggrPeriod: store.Period{Duration: 24 * time.Hour}})
		if err != nil {
			return err
		}
		if len(h.Attrs) != 1 || len(h.Attrs[0].Aggregates) != 1 {
			return fmt.Errorf("history %+v, want one attribute with one period", h)
		}
		got := h.Attrs[0].Aggregates[0].Values
		if got[store.AggrSum] != 6.0 || got[store.AggrMax] != 4.0 {
			return fmt.Errorf("aggregates %v, want sum 6 and max 4", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateValuesByAno: a database of schema version 6, whose value
// rows hold the tenant and the name of their attribute, answers the same
// queries once the rows name their attribute by number (version 7), the
// same name in two tenants included.
func TestMigrateValuesByAno(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "opentid.db")
	db, err := sql.Open("sqlite", fileDSN(path, []string{"foreign_keys(1)"}, ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:6] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	temp := benchNS + "temperature"
	statements := []string{`INSERT INTO tenants (tid, name) VALUES (2, 'other')`,
		`INSERT INTO types (tno, tid, type) VALUES (1, 1, '` + benchNS + `Sensor'), (2, 2, '` + benchNS + `Sensor')`}
	for i, v := range []float64{21.5, 12.5} {
		e := &ngsild.Entity{ID: fmt.Sprintf("urn:ngsi-ld:Sensor:%d", i+1), Types: []string{benchNS + "Sensor"},
			Attrs:     map[string][]*ngsild.Attribute{temp: {{Type: ngsild.TypeProperty, Value: json.Number(fmt.Sprint(v)), CreatedAt: now, ModifiedAt: now}}},
			CreatedAt: now, ModifiedAt: now}
		data, err := ngsild.MarshalEntity(e)
		if err != nil {
			t.Fatal(err)
		}
		pk, tid := i+1, i+1
		statements = append(statements,
			fmt.Sprintf(`INSERT INTO entities (pk, tid, id, data, created_at, modified_at) VALUES (%d, %d, '%s', CAST('%s' AS BLOB), 0, 0)`, pk, tid, e.ID, data),
			fmt.Sprintf(`INSERT INTO entity_types (tid, type, pk) VALUES (%d, '%s', %d)`, tid, e.Types[0], pk),
			fmt.Sprintf(`INSERT INTO attr_values (pk, tno, seq, tid, name, num, str) VALUES (%d, %d, 0, %d, '%s', %g, NULL)`, pk, tid, tid, temp, v))
	}
	statements = append(statements, "PRAGMA user_version = 6")
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s := openTemp(t, path)
	defer s.Close()
	var names int
	if err := s.w.QueryRow(`SELECT count(*) FROM attr_values v JOIN attr_names n USING (ano) WHERE n.name = ?`, temp).Scan(&names); err != nil || names != 2 {
		t.Fatalf("%d value rows named by number (%v), want 2", names, err)
	}
	for _, c := range []struct {
		tenant string
		op     query.Op
		want   string
	}{
		{store.DefaultTenant, query.OpGreater, "urn:ngsi-ld:Sensor:1"},
		{store.DefaultTenant, query.OpLess, ""},
		{"other", query.OpLess, "urn:ngsi-ld:Sensor:2"},
		{"other", query.OpGreater, ""},
	} {
		lit := query.Literal{Kind: query.KindNumber, Num: 20}
		q := store.EntityQuery{Types: []string{benchNS + "Sensor"}, Limit: 10,
			Q: &query.Comparison{Path: query.Path{Attr: temp}, Op: c.op, Value: query.Value{Single: &lit}}}
		err := s.View(ctx, c.tenant, func(r store.Reader) error {
			res, err := r.Query(q)
			if err != nil {
				return err
			}
			var got string
			for _, e := range res.Entities {
				got += e.ID
			}
			if got != c.want {
				return fmt.Errorf("tenant %q, temperature %v 20: found %q, want %q", c.tenant, c.op, got, c.want)
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	}
}

// TestValueChangesSeenInTransaction: the entity rows and value rows the
// writer queues (flushEntities) are seen by a query or a read later in the
// same transaction, whatever happens to the entity in between, with the
// writer's cache and without.
func TestValueChangesSeenInTransaction(t *testing.T) {
	for _, entries := range []int{0, -1} {
		t.Run(fmt.Sprint(entries), func(t *testing.T) { testValueChangesSeen(t, entries) })
	}
}

func testValueChangesSeen(t *testing.T, cacheEntries int) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "opentid.db"), Options{CacheEntries: cacheEntries})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := benchEntity(1)
	no2 := benchNS + "no2"
	if err := s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error { return tx.Put(e) }); err != nil {
		t.Fatal(err)
	}
	last := fmt.Sprint(e.Attrs[no2][0].Value)
	above := func(tx store.Tx, v float64) int {
		t.Helper()
		lit := query.Literal{Kind: query.KindNumber, Num: v}
		res, err := tx.Query(store.EntityQuery{Q: &query.Comparison{Path: query.Path{Attr: no2}, Op: query.OpGreater, Value: query.Value{Single: &lit}}, Limit: 10, Count: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range res.Entities {
			if v := fmt.Sprint(got.Attrs[no2][0].Value); v != last {
				t.Errorf("query returned no2 %s, want the last written %s", v, last)
			}
		}
		return res.Total
	}
	set := func(tx store.Tx, v string) {
		t.Helper()
		got, err := tx.Get(e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if was := fmt.Sprint(got.Attrs[no2][0].Value); was != last {
			t.Errorf("read no2 %s, want the last written %s", was, last)
		}
		last = v
		got.Attrs[no2][0].Value = json.Number(v)
		if err := tx.Put(got); err != nil {
			t.Fatal(err)
		}
	}
	err = s.Update(ctx, store.DefaultTenant, func(tx store.Tx) error {
		set(tx, "500")
		if n := above(tx, 400); n != 1 {
			t.Errorf("after a change to 500: %d entities with no2 > 400, want 1", n)
		}
		set(tx, "600")
		set(tx, "5")
		if n := above(tx, 400); n != 0 {
			t.Errorf("after changes to 600 then 5: %d entities with no2 > 400, want 0", n)
		}
		set(tx, "700")
		if err := tx.Delete(e.ID); err != nil {
			return err
		}
		if n := above(tx, 400); n != 0 {
			t.Errorf("after a change and a deletion: %d entities with no2 > 400, want 0", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.w.QueryRow(`SELECT count(*) FROM attr_values`).Scan(&rows); err != nil || rows != 0 {
		t.Errorf("%d value rows left after the deletion (%v)", rows, err)
	}
}
