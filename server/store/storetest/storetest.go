// Package storetest is the behaviour suite of the store contract. Every
// store implementation runs it from its own tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
//	}
//
// newStore must return a fresh, empty store for each call; the suite closes
// it when the subtest ends.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// Expanded names used by the suite.
const (
	ns = "https://opentid.example/ns/"

	tSensor  = ns + "Sensor"
	tDevice  = ns + "Device"
	tParking = ns + "Parking"

	aTemperature = ns + "temperature"
	aHumidity    = ns + "humidity"
	aLocation    = ns + "location"
	aOccupancy   = ns + "occupancy"
	aRefSensor   = ns + "refSensor"
	aName        = ns + "name"
	aUnitCode    = ns + "unitCode"
	aProvidedBy  = ns + "providedBy"
)

var (
	t0 = time.Date(2024, 3, 1, 8, 30, 0, 123456789, time.UTC)
	t1 = t0.Add(90 * time.Minute)
)

// Run runs the behaviour suite against the stores newStore returns.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	open := func(t *testing.T) store.Store {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	t.Run("RoundTrip", func(t *testing.T) { testRoundTrip(t, open(t)) })
	t.Run("GetMissing", func(t *testing.T) { testGetMissing(t, open(t)) })
	t.Run("Replace", func(t *testing.T) { testReplace(t, open(t)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t)) })
	t.Run("ReadYourWrites", func(t *testing.T) { testReadYourWrites(t, open(t)) })
	t.Run("Rollback", func(t *testing.T) { testRollback(t, open(t)) })
	t.Run("Tenants", func(t *testing.T) { testTenants(t, open(t)) })
	t.Run("TenantIsolation", func(t *testing.T) { testTenantIsolation(t, open(t)) })
	t.Run("MissingTenant", func(t *testing.T) { testMissingTenant(t, open(t)) })
	t.Run("Query", func(t *testing.T) { testQuery(t, open(t)) })
	t.Run("InvalidPattern", func(t *testing.T) { testInvalidPattern(t, open(t)) })
	t.Run("QueryLanguage", func(t *testing.T) { testQueryLanguage(t, open(t)) })
	t.Run("GeoQuery", func(t *testing.T) { testGeoQuery(t, open(t)) })
	t.Run("Property", func(t *testing.T) { testProperty(t, open(t)) })
	t.Run("EntityTypes", func(t *testing.T) { testEntityTypes(t, open(t)) })
	t.Run("Attributes", func(t *testing.T) { testAttributes(t, open(t)) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelledContext(t, open(t)) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, open(t)) })
	t.Run("ConcurrentFailures", func(t *testing.T) { testConcurrentFailures(t, open(t)) })
	t.Run("Temporal", func(t *testing.T) { runTemporal(t, open) })
	t.Run("LargeBatch", func(t *testing.T) { testLargeBatch(t, open(t)) })
	t.Run("Subscriptions", func(t *testing.T) { testSubscriptions(t, open) })
}

// --- test entities ---

// named is one attribute instance with its name, for the entity builder.
type named struct {
	name string
	attr *ngsild.Attribute
}

func attr(name, typ string, value any) named {
	return named{name, &ngsild.Attribute{Type: typ, Value: value, CreatedAt: t0, ModifiedAt: t1}}
}

func prop(name string, value any) named { return attr(name, ngsild.TypeProperty, value) }

func rel(name, object string) named { return attr(name, ngsild.TypeRelationship, object) }

func geo(name string, lon, lat string) named {
	return attr(name, ngsild.TypeGeoProperty, map[string]any{
		"type":        "Point",
		"coordinates": []any{json.Number(lon), json.Number(lat)},
	})
}

// dataset sets the datasetId of an attribute instance.
func (n named) dataset(id string) named { n.attr.DatasetID = id; return n }

// entity builds an entity; instances with the same name become the
// instances of one multi-attribute.
func entity(id string, types []string, attrs ...named) *ngsild.Entity {
	e := &ngsild.Entity{ID: id, Types: types, CreatedAt: t0, ModifiedAt: t1}
	for _, a := range attrs {
		if e.Attrs == nil {
			e.Attrs = map[string][]*ngsild.Attribute{}
		}
		e.Attrs[a.name] = append(e.Attrs[a.name], a.attr)
	}
	return e
}

func types(t ...string) []string { return t }

// --- helpers ---

var entityOpts = cmp.Options{cmpopts.EquateApproxTime(0), cmpopts.EquateEmpty()}

func put(t *testing.T, s store.Store, tenant string, es ...*ngsild.Entity) {
	t.Helper()
	err := s.Update(context.Background(), tenant, func(tx store.Tx) error {
		for _, e := range es {
			if err := tx.Put(e); err != nil {
				return fmt.Errorf("Put(%s): %w", e.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update(%q): %v", tenant, err)
	}
}

func view(t *testing.T, s store.Store, tenant string, fn func(store.Reader) error) {
	t.Helper()
	if err := s.View(context.Background(), tenant, fn); err != nil {
		t.Fatalf("View(%q): %v", tenant, err)
	}
}

func get(t *testing.T, s store.Store, tenant, id string) (*ngsild.Entity, error) {
	t.Helper()
	var e *ngsild.Entity
	var getErr error
	view(t, s, tenant, func(r store.Reader) error {
		e, getErr = r.Get(id)
		return nil
	})
	return e, getErr
}

func ids(es []*ngsild.Entity) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

// queryIDs runs q in tenant and returns the ids of the page and the total.
func queryIDs(t *testing.T, s store.Store, tenant string, q store.EntityQuery) ([]string, int) {
	t.Helper()
	var res store.QueryResult
	view(t, s, tenant, func(r store.Reader) error {
		var err error
		res, err = r.Query(q)
		return err
	})
	return ids(res.Entities), res.Total
}

func all() store.EntityQuery { return store.EntityQuery{Limit: 1000, Count: true} }

// checkIDs checks the ids a query returns, and its Total when q.Count is
// set (so use it for unpaged queries only).
func checkIDs(t *testing.T, s store.Store, tenant string, q store.EntityQuery, want []string) {
	t.Helper()
	got, total := queryIDs(t, s, tenant, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Query(%+v) ids (-want +got):\n%s", q, diff)
	}
	if q.Count && total != len(want) {
		t.Errorf("Query(%+v) Total = %d, want %d", q, total, len(want))
	}
}

func entityTypes(t *testing.T, s store.Store, tenant string, filter []string) []store.TypeStat {
	t.Helper()
	var out []store.TypeStat
	view(t, s, tenant, func(r store.Reader) error {
		var err error
		out, err = r.EntityTypes(filter)
		return err
	})
	return out
}

func attributes(t *testing.T, s store.Store, tenant string, filter []string) []store.AttributeStat {
	t.Helper()
	var out []store.AttributeStat
	view(t, s, tenant, func(r store.Reader) error {
		var err error
		out, err = r.Attributes(filter)
		return err
	})
	return out
}

// --- tests ---

func testRoundTrip(t *testing.T, s store.Store) {
	withSub := prop(aTemperature, json.Number("21.5"))
	withSub.attr.ObservedAt = "2024-03-01T08:00:00Z"
	withSub.attr.UnitCode = "CEL"
	withSub.attr.Sub = map[string]*ngsild.Attribute{
		aProvidedBy: {Type: ngsild.TypeRelationship, Value: "urn:ngsi-ld:Device:7", ObjectType: []string{tDevice}, CreatedAt: t0, ModifiedAt: t0},
		aUnitCode: {Type: ngsild.TypeProperty, Value: "CEL", CreatedAt: t0, ModifiedAt: t0,
			Sub: map[string]*ngsild.Attribute{aName: {Type: ngsild.TypeProperty, Value: "degré Celsius", CreatedAt: t0, ModifiedAt: t0}}},
	}
	tests := []struct {
		name string
		e    *ngsild.Entity
	}{
		{"minimal", entity("urn:ngsi-ld:Sensor:min", types(tSensor))},
		{"multi-typed with scope", func() *ngsild.Entity {
			e := entity("urn:ngsi-ld:Sensor:scoped", types(tSensor, tDevice), prop(aName, "capteur"))
			e.Scope = []string{"/Nantes/Est", "/Nantes"}
			return e
		}()},
		{"multi-attribute by datasetId", entity("urn:ngsi-ld:Sensor:multi", types(tSensor),
			prop(aTemperature, json.Number("20")),
			prop(aTemperature, json.Number("19.25")).dataset("urn:ngsi-ld:Dataset:raw"),
			attr(aTemperature, ngsild.TypeJSONProperty, map[string]any{"raw": json.Number("2025")}).dataset("urn:ngsi-ld:Dataset:json"),
		)},
		{"sub-attributes", entity("urn:ngsi-ld:Sensor:sub", types(tSensor), withSub)},
		{"numbers", entity("urn:ngsi-ld:Sensor:num", types(tSensor),
			prop(ns+"big", json.Number("9007199254740993")),
			prop(ns+"huge", json.Number("123456789012345678901234567890")),
			prop(ns+"neg", json.Number("-0.000001")),
			prop(ns+"exp", json.Number("6.02e23")),
		)},
		{"nested values", entity("urn:ngsi-ld:Sensor:nested", types(tSensor),
			geo(aLocation, "-1.5536", "47.2184"),
			prop(ns+"obj", map[string]any{"a": []any{json.Number("1"), "two", true, nil, map[string]any{"b": false}}}),
			attr(ns+"list", ngsild.TypeListProperty, []any{json.Number("1"), json.Number("2")}),
			attr(ns+"label", ngsild.TypeLanguageProperty, map[string]any{"fr": "Capteur", "br": "Kaptor"}),
			attr(ns+"kind", ngsild.TypeVocabProperty, ns+"air"),
			attr(ns+"targets", ngsild.TypeListRelationship, []any{"urn:a", "urn:b"}),
		)},
		{"unicode", entity("urn:ngsi-ld:Capteur:Château-d’Eau-é-😀", types(ns+"Capteur_Météo"),
			prop(ns+"nom_été", "Lœil du château 日本 \u2028 \"quoted\" \\ <tag>"),
		)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			put(t, s, store.DefaultTenant, tc.e)
			got, err := get(t, s, store.DefaultTenant, tc.e.ID)
			if err != nil {
				t.Fatalf("Get(%s): %v", tc.e.ID, err)
			}
			if diff := cmp.Diff(tc.e, got, entityOpts); diff != "" {
				t.Errorf("Get(%s) (-put +got):\n%s", tc.e.ID, diff)
			}
		})
	}
}

func testGetMissing(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant, entity("urn:ngsi-ld:Sensor:01", types(tSensor)))
	for _, id := range []string{"urn:ngsi-ld:Sensor:02", "urn:ngsi-ld:Sensor:0", "", "URN:NGSI-LD:SENSOR:01"} {
		if _, err := get(t, s, store.DefaultTenant, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get(%q) error = %v, want ErrNotFound", id, err)
		}
	}
}

func testReplace(t *testing.T, s store.Store) {
	const id = "urn:ngsi-ld:Sensor:r"
	put(t, s, store.DefaultTenant,
		entity(id, types(tSensor, tDevice), prop(aTemperature, json.Number("1")), prop(aHumidity, json.Number("2"))),
		entity("urn:ngsi-ld:Sensor:after", types(tSensor)),
	)
	replacement := entity(id, types(tSensor), attr(aTemperature, ngsild.TypeJSONProperty, map[string]any{"v": json.Number("3")}))
	put(t, s, store.DefaultTenant, replacement)

	got, err := get(t, s, store.DefaultTenant, id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(replacement, got, entityOpts); diff != "" {
		t.Errorf("Get after replace (-want +got):\n%s", diff)
	}
	// A replacement keeps the entity's place in creation order.
	checkIDs(t, s, store.DefaultTenant, all(), []string{id, "urn:ngsi-ld:Sensor:after"})
	checkIDs(t, s, store.DefaultTenant, store.EntityQuery{Types: []string{tDevice}, Limit: 10}, nil)
	checkIDs(t, s, store.DefaultTenant, store.EntityQuery{Attrs: []string{aHumidity}, Limit: 10}, nil)
	checkIDs(t, s, store.DefaultTenant, store.EntityQuery{Attrs: []string{aTemperature}, Limit: 10}, []string{id})

	wantTypes := []store.TypeStat{{Type: tSensor, Entities: 2, Attrs: []store.AttributeUse{{Name: aTemperature, AttrTypes: []string{ngsild.TypeJSONProperty}}}}}
	if diff := cmp.Diff(wantTypes, entityTypes(t, s, store.DefaultTenant, nil), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("EntityTypes after replace (-want +got):\n%s", diff)
	}
	wantAttrs := []store.AttributeStat{{Name: aTemperature, Entities: 1, AttrTypes: []string{ngsild.TypeJSONProperty}, TypeNames: []string{tSensor}}}
	if diff := cmp.Diff(wantAttrs, attributes(t, s, store.DefaultTenant, nil), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Attributes after replace (-want +got):\n%s", diff)
	}
}

func testDelete(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant,
		entity("urn:ngsi-ld:Sensor:1", types(tSensor), prop(aTemperature, json.Number("1"))),
		entity("urn:ngsi-ld:Parking:1", types(tParking), prop(aOccupancy, json.Number("1"))),
	)
	err := s.Update(context.Background(), store.DefaultTenant, func(tx store.Tx) error {
		if err := tx.Delete("urn:ngsi-ld:Sensor:1"); err != nil {
			return err
		}
		if _, err := tx.Get("urn:ngsi-ld:Sensor:1"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get after Delete in the same transaction: error = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, err := get(t, s, store.DefaultTenant, "urn:ngsi-ld:Sensor:1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: error = %v, want ErrNotFound", err)
	}
	checkIDs(t, s, store.DefaultTenant, all(), []string{"urn:ngsi-ld:Parking:1"})
	checkIDs(t, s, store.DefaultTenant, store.EntityQuery{Types: []string{tSensor}, Limit: 10}, nil)
	if got := entityTypes(t, s, store.DefaultTenant, nil); len(got) != 1 || got[0].Type != tParking {
		t.Errorf("EntityTypes after Delete = %+v, want only %s", got, tParking)
	}
	if got := attributes(t, s, store.DefaultTenant, nil); len(got) != 1 || got[0].Name != aOccupancy {
		t.Errorf("Attributes after Delete = %+v, want only %s", got, aOccupancy)
	}

	for _, tenant := range []string{store.DefaultTenant, "never-written"} {
		err = s.Update(context.Background(), tenant, func(tx store.Tx) error {
			return tx.Delete("urn:ngsi-ld:Sensor:1")
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Delete of a missing entity in tenant %q: error = %v, want ErrNotFound", tenant, err)
		}
	}
	if _, err := get(t, s, store.DefaultTenant, "urn:ngsi-ld:Parking:1"); err != nil {
		t.Errorf("the other entity is gone: %v", err)
	}
}

func testReadYourWrites(t *testing.T, s store.Store) {
	e := entity("urn:ngsi-ld:Sensor:ryw", types(tSensor), prop(aTemperature, json.Number("4")))
	err := s.Update(context.Background(), "fresh", func(tx store.Tx) error {
		// Reads of a tenant that does not exist yet behave as reads of an
		// empty tenant.
		if _, err := tx.Get(e.ID); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("Get before Put: error = %v, want ErrNotFound", err)
		}
		res, err := tx.Query(all())
		if err != nil || len(res.Entities) != 0 || res.Total != 0 {
			return fmt.Errorf("Query of a new tenant = %+v, %v; want nothing", res, err)
		}
		if ts, err := tx.EntityTypes(nil); err != nil || len(ts) != 0 {
			return fmt.Errorf("EntityTypes of a new tenant = %+v, %v; want nothing", ts, err)
		}
		if as, err := tx.Attributes(nil); err != nil || len(as) != 0 {
			return fmt.Errorf("Attributes of a new tenant = %+v, %v; want nothing", as, err)
		}
		if err := tx.Put(e); err != nil {
			return err
		}
		got, err := tx.Get(e.ID)
		if err != nil {
			return fmt.Errorf("Get after Put: %w", err)
		}
		if diff := cmp.Diff(e, got, entityOpts); diff != "" {
			return fmt.Errorf("Get after Put (-put +got):\n%s", diff)
		}
		res, err = tx.Query(store.EntityQuery{Types: []string{tSensor}, Limit: 10, Count: true})
		if err != nil || res.Total != 1 || len(res.Entities) != 1 {
			return fmt.Errorf("Query after Put = %+v, %v; want the entity", res, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func testRollback(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	keep := entity("urn:ngsi-ld:Sensor:keep", types(tSensor), prop(aTemperature, json.Number("1")))
	put(t, s, "existing", keep)

	tests := []struct {
		name   string
		tenant string
		fn     func(tx store.Tx) error
	}{
		{"new tenant", "rolled-back", func(tx store.Tx) error {
			if err := tx.Put(entity("urn:ngsi-ld:Sensor:new", types(tSensor))); err != nil {
				return err
			}
			return boom
		}},
		{"existing tenant", "existing", func(tx store.Tx) error {
			if err := tx.Put(entity("urn:ngsi-ld:Sensor:new", types(tDevice))); err != nil {
				return err
			}
			if err := tx.Put(entity(keep.ID, types(tParking))); err != nil {
				return err
			}
			if err := tx.Delete(keep.ID); err != nil {
				return err
			}
			return boom
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.Update(context.Background(), tc.tenant, tc.fn); !errors.Is(err, boom) {
				t.Fatalf("Update error = %v, want %v", err, boom)
			}
		})
	}

	if err := s.View(context.Background(), "rolled-back", func(store.Reader) error { return nil }); !errors.Is(err, store.ErrTenantNotFound) {
		t.Errorf("View of a rolled-back tenant: error = %v, want ErrTenantNotFound", err)
	}
	tenants, err := s.Tenants(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"existing"}, tenants); diff != "" {
		t.Errorf("Tenants after rollback (-want +got):\n%s", diff)
	}
	got, err := get(t, s, "existing", keep.ID)
	if err != nil {
		t.Fatalf("Get of the kept entity: %v", err)
	}
	if diff := cmp.Diff(keep, got, entityOpts); diff != "" {
		t.Errorf("kept entity changed (-want +got):\n%s", diff)
	}
	checkIDs(t, s, "existing", all(), []string{keep.ID})
	if got := entityTypes(t, s, "existing", nil); len(got) != 1 || got[0].Type != tSensor {
		t.Errorf("EntityTypes after rollback = %+v, want only %s", got, tSensor)
	}
}

func testTenants(t *testing.T, s store.Store) {
	ctx := context.Background()
	got, err := s.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("Tenants of a new store = %q, want none", got)
	}
	// The default tenant exists before any write.
	view(t, s, store.DefaultTenant, func(r store.Reader) error {
		res, err := r.Query(all())
		if err != nil || len(res.Entities) != 0 || res.Total != 0 {
			t.Errorf("Query of the empty default tenant = %+v, %v", res, err)
		}
		return nil
	})

	for _, name := range []string{"zeta", "alpha", store.DefaultTenant, "Mid", "alpha", "été"} {
		put(t, s, name, entity("urn:ngsi-ld:Sensor:"+name, types(tSensor)))
	}
	got, err = s.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Mid", "alpha", "zeta", "été"}, got); diff != "" {
		t.Errorf("Tenants (-want +got):\n%s", diff)
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	const id = "urn:ngsi-ld:Sensor:shared"
	a := entity(id, types(tSensor), prop(aTemperature, json.Number("1")))
	b := entity(id, types(tDevice), rel(aRefSensor, "urn:ngsi-ld:Sensor:x"))
	put(t, s, "a", a, entity("urn:ngsi-ld:Sensor:only-a", types(tSensor)))
	put(t, s, "b", b)

	for _, tc := range []struct {
		tenant string
		want   *ngsild.Entity
	}{{"a", a}, {"b", b}} {
		got, err := get(t, s, tc.tenant, id)
		if err != nil {
			t.Fatalf("Get in %q: %v", tc.tenant, err)
		}
		if diff := cmp.Diff(tc.want, got, entityOpts); diff != "" {
			t.Errorf("Get in %q (-want +got):\n%s", tc.tenant, diff)
		}
	}
	if _, err := get(t, s, store.DefaultTenant, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get in the default tenant: error = %v, want ErrNotFound", err)
	}
	if _, err := get(t, s, "b", "urn:ngsi-ld:Sensor:only-a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of a's entity in b: error = %v, want ErrNotFound", err)
	}

	checkIDs(t, s, "a", all(), []string{id, "urn:ngsi-ld:Sensor:only-a"})
	checkIDs(t, s, "b", all(), []string{id})
	checkIDs(t, s, "b", store.EntityQuery{Types: []string{tSensor}, Limit: 10}, nil)
	checkIDs(t, s, "a", store.EntityQuery{IDs: []string{id}, Types: []string{tDevice}, Limit: 10}, nil)
	checkIDs(t, s, store.DefaultTenant, all(), nil)

	wantB := []store.TypeStat{{Type: tDevice, Entities: 1, Attrs: []store.AttributeUse{{Name: aRefSensor, AttrTypes: []string{ngsild.TypeRelationship}}}}}
	if diff := cmp.Diff(wantB, entityTypes(t, s, "b", nil), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("EntityTypes of b (-want +got):\n%s", diff)
	}
	wantA := []store.AttributeStat{{Name: aTemperature, Entities: 1, AttrTypes: []string{ngsild.TypeProperty}, TypeNames: []string{tSensor}}}
	if diff := cmp.Diff(wantA, attributes(t, s, "a", nil), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Attributes of a (-want +got):\n%s", diff)
	}

	// A delete in one tenant leaves the other alone.
	if err := s.Update(context.Background(), "a", func(tx store.Tx) error { return tx.Delete(id) }); err != nil {
		t.Fatal(err)
	}
	if _, err := get(t, s, "b", id); err != nil {
		t.Errorf("Get in b after a delete in a: %v", err)
	}
}

func testMissingTenant(t *testing.T, s store.Store) {
	called := false
	err := s.View(context.Background(), "never-written", func(store.Reader) error { called = true; return nil })
	if !errors.Is(err, store.ErrTenantNotFound) {
		t.Errorf("View of a tenant never written: error = %v, want ErrTenantNotFound", err)
	}
	if called {
		t.Error("View called fn for a missing tenant")
	}
	// A read-only Update creates no tenant.
	if err := s.Update(context.Background(), "read-only", func(tx store.Tx) error {
		_, err := tx.Query(all())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if tenants, err := s.Tenants(context.Background()); err != nil || len(tenants) != 0 {
		t.Errorf("Tenants after a read-only Update = %q, %v; want none", tenants, err)
	}
}

// queryData is the data set of the query tests, in creation order.
func queryData() []*ngsild.Entity {
	return []*ngsild.Entity{
		entity("urn:ngsi-ld:Sensor:01", types(tSensor), prop(aTemperature, json.Number("1")), geo(aLocation, "1", "2")),
		entity("urn:ngsi-ld:Sensor:02", types(tSensor, tDevice), prop(aTemperature, json.Number("2")), prop(aHumidity, json.Number("50"))),
		entity("urn:ngsi-ld:Parking:01", types(tParking), prop(aOccupancy, json.Number("3")), rel(aRefSensor, "urn:ngsi-ld:Sensor:01")),
		entity("urn:ngsi-ld:Sensor:03", types(tSensor), prop(aHumidity, json.Number("60"))),
		entity("urn:ngsi-ld:Parking:02", types(tParking), prop(aOccupancy, json.Number("4")),
			prop(aTemperature, json.Number("5")).dataset("urn:ngsi-ld:Dataset:a"),
			attr(aTemperature, ngsild.TypeJSONProperty, map[string]any{"t": json.Number("5")}).dataset("urn:ngsi-ld:Dataset:b")),
		entity("urn:x:Device:12", types(tDevice)),
	}
}

func testQuery(t *testing.T, s store.Store) {
	data := queryData()
	// Two transactions, so that creation order spans commits.
	put(t, s, store.DefaultTenant, data[:3]...)
	put(t, s, store.DefaultTenant, data[3:]...)
	// Noise in another tenant.
	put(t, s, "other", queryData()...)

	const (
		s1 = "urn:ngsi-ld:Sensor:01"
		s2 = "urn:ngsi-ld:Sensor:02"
		p1 = "urn:ngsi-ld:Parking:01"
		s3 = "urn:ngsi-ld:Sensor:03"
		p2 = "urn:ngsi-ld:Parking:02"
		d  = "urn:x:Device:12"
	)
	tests := []struct {
		name      string
		q         store.EntityQuery
		want      []string
		wantTotal int // checked when q.Count
	}{
		{"everything", store.EntityQuery{Limit: 100}, []string{s1, s2, p1, s3, p2, d}, 0},
		{"everything with count", store.EntityQuery{Limit: 100, Count: true}, []string{s1, s2, p1, s3, p2, d}, 6},
		{"ids", store.EntityQuery{IDs: []string{d, s1, "urn:missing"}, Limit: 100}, []string{s1, d}, 0},
		{"ids are exact", store.EntityQuery{IDs: []string{"urn:ngsi-ld:Sensor:0", "urn:ngsi-ld:sensor:01"}, Limit: 100}, nil, 0},
		{"anchored pattern", store.EntityQuery{IDPattern: `^urn:.*:0[12]$`, Limit: 100}, []string{s1, s2, p1, p2}, 0},
		{"unanchored pattern", store.EntityQuery{IDPattern: `Sensor`, Limit: 100}, []string{s1, s2, s3}, 0},
		{"pattern matching nothing", store.EntityQuery{IDPattern: `^Sensor`, Limit: 100}, nil, 0},
		{"one type", store.EntityQuery{Types: []string{tSensor}, Limit: 100}, []string{s1, s2, s3}, 0},
		{"types any-of", store.EntityQuery{Types: []string{tDevice, tParking}, Limit: 100}, []string{s2, p1, p2, d}, 0},
		{"unknown type", store.EntityQuery{Types: []string{ns + "Nope"}, Limit: 100}, nil, 0},
		{"one attribute", store.EntityQuery{Attrs: []string{aHumidity}, Limit: 100}, []string{s2, s3}, 0},
		{"attributes any-of", store.EntityQuery{Attrs: []string{aRefSensor, aLocation}, Limit: 100}, []string{s1, p1}, 0},
		{"multi-attribute", store.EntityQuery{Attrs: []string{aTemperature}, Limit: 100, Count: true}, []string{s1, s2, p2}, 3},
		{"type and attribute", store.EntityQuery{Types: []string{tSensor}, Attrs: []string{aHumidity}, Limit: 100}, []string{s2, s3}, 0},
		{"ids and type", store.EntityQuery{IDs: []string{s1, p1, d}, Types: []string{tSensor, tDevice}, Limit: 100}, []string{s1, d}, 0},
		{"pattern and type", store.EntityQuery{IDPattern: `:0[12]$`, Types: []string{tParking}, Limit: 100}, []string{p1, p2}, 0},
		{"everything combined", store.EntityQuery{IDs: []string{s1, s2, s3}, IDPattern: `0[23]`, Types: []string{tSensor}, Attrs: []string{aTemperature}, Limit: 100, Count: true}, []string{s2}, 1},
		{"first page", store.EntityQuery{Limit: 2, Count: true}, []string{s1, s2}, 6},
		{"second page", store.EntityQuery{Limit: 2, Offset: 2, Count: true}, []string{p1, s3}, 6},
		{"last page", store.EntityQuery{Limit: 2, Offset: 5, Count: true}, []string{d}, 6},
		{"past the end", store.EntityQuery{Limit: 2, Offset: 10, Count: true}, nil, 6},
		{"filtered page", store.EntityQuery{Types: []string{tSensor, tParking}, Limit: 2, Offset: 1, Count: true}, []string{s2, p1}, 5},
		{"count only", store.EntityQuery{Limit: 0, Count: true}, nil, 6},
		{"filtered count only", store.EntityQuery{Types: []string{tParking}, Count: true}, nil, 2},
		{"limit 0 without count", store.EntityQuery{}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, total := queryIDs(t, s, store.DefaultTenant, tc.q)
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if tc.q.Count && total != tc.wantTotal {
				t.Errorf("Total = %d, want %d", total, tc.wantTotal)
			}
		})
	}

	// The entities of a query are whole.
	var res store.QueryResult
	view(t, s, store.DefaultTenant, func(r store.Reader) error {
		var err error
		res, err = r.Query(store.EntityQuery{Limit: 100})
		return err
	})
	if diff := cmp.Diff(data, res.Entities, entityOpts); diff != "" {
		t.Errorf("Query entities (-put +got):\n%s", diff)
	}
}

func testInvalidPattern(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant, entity("urn:ngsi-ld:Sensor:01", types(tSensor)))
	for _, pattern := range []string{"(", "[z-a]", `\`, "a**", `(?<name`} {
		err := s.View(context.Background(), store.DefaultTenant, func(r store.Reader) error {
			_, err := r.Query(store.EntityQuery{IDPattern: pattern, Limit: 10, Count: true})
			return err
		})
		if err == nil {
			t.Errorf("Query with IDPattern %q: no error", pattern)
		}
	}
}

func testEntityTypes(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant, queryData()...)
	put(t, s, "other", entity("urn:o", types(ns+"Other"), prop(aName, "x")))

	sensor := store.TypeStat{Type: tSensor, Entities: 3, Attrs: []store.AttributeUse{
		{Name: aHumidity, AttrTypes: []string{ngsild.TypeProperty}},
		{Name: aLocation, AttrTypes: []string{ngsild.TypeGeoProperty}},
		{Name: aTemperature, AttrTypes: []string{ngsild.TypeProperty}},
	}}
	device := store.TypeStat{Type: tDevice, Entities: 2, Attrs: []store.AttributeUse{
		{Name: aHumidity, AttrTypes: []string{ngsild.TypeProperty}},
		{Name: aTemperature, AttrTypes: []string{ngsild.TypeProperty}},
	}}
	parking := store.TypeStat{Type: tParking, Entities: 2, Attrs: []store.AttributeUse{
		{Name: aOccupancy, AttrTypes: []string{ngsild.TypeProperty}},
		{Name: aRefSensor, AttrTypes: []string{ngsild.TypeRelationship}},
		{Name: aTemperature, AttrTypes: []string{ngsild.TypeJSONProperty, ngsild.TypeProperty}},
	}}
	tests := []struct {
		name   string
		filter []string
		want   []store.TypeStat
	}{
		{"all", nil, []store.TypeStat{device, parking, sensor}},
		{"one", []string{tParking}, []store.TypeStat{parking}},
		{"some, unsorted, with an absent one", []string{tSensor, ns + "Nope", tDevice}, []store.TypeStat{device, sensor}},
		{"only absent ones", []string{ns + "Nope"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, entityTypes(t, s, store.DefaultTenant, tc.filter), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("EntityTypes(%q) (-want +got):\n%s", tc.filter, diff)
			}
		})
	}
}

func testAttributes(t *testing.T, s store.Store) {
	put(t, s, store.DefaultTenant, queryData()...)
	put(t, s, "other", entity("urn:o", types(ns+"Other"), prop(aTemperature, "x")))

	temperature := store.AttributeStat{Name: aTemperature, Entities: 3,
		AttrTypes: []string{ngsild.TypeJSONProperty, ngsild.TypeProperty},
		TypeNames: []string{tDevice, tParking, tSensor}}
	humidity := store.AttributeStat{Name: aHumidity, Entities: 2,
		AttrTypes: []string{ngsild.TypeProperty}, TypeNames: []string{tDevice, tSensor}}
	location := store.AttributeStat{Name: aLocation, Entities: 1,
		AttrTypes: []string{ngsild.TypeGeoProperty}, TypeNames: []string{tSensor}}
	occupancy := store.AttributeStat{Name: aOccupancy, Entities: 2,
		AttrTypes: []string{ngsild.TypeProperty}, TypeNames: []string{tParking}}
	refSensor := store.AttributeStat{Name: aRefSensor, Entities: 1,
		AttrTypes: []string{ngsild.TypeRelationship}, TypeNames: []string{tParking}}
	tests := []struct {
		name   string
		filter []string
		want   []store.AttributeStat
	}{
		{"all", nil, []store.AttributeStat{humidity, location, occupancy, refSensor, temperature}},
		{"one", []string{aTemperature}, []store.AttributeStat{temperature}},
		{"some, unsorted, with an absent one", []string{aRefSensor, ns + "nope", aHumidity}, []store.AttributeStat{humidity, refSensor}},
		{"only absent ones", []string{ns + "nope"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, attributes(t, s, store.DefaultTenant, tc.filter), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Attributes(%q) (-want +got):\n%s", tc.filter, diff)
			}
		})
	}
}

func testCancelledContext(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	called := false
	err := s.Update(ctx, "cancelled", func(tx store.Tx) error {
		called = true
		return tx.Put(entity("urn:ngsi-ld:Sensor:c", types(tSensor)))
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context: error = %v, called = %v; want context.Canceled", err, called)
	}
	if err := s.View(ctx, store.DefaultTenant, func(store.Reader) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("View with a cancelled context: error = %v, want context.Canceled", err)
	}
	if err := s.View(context.Background(), "cancelled", func(store.Reader) error { return nil }); !errors.Is(err, store.ErrTenantNotFound) {
		t.Errorf("View after a cancelled Update: error = %v, want ErrTenantNotFound", err)
	}
}

func testConcurrency(t *testing.T, s store.Store) {
	const (
		writers   = 6
		perWriter = 25
		readers   = 3
	)
	ctx := context.Background()
	put(t, s, "conc", entity("urn:ngsi-ld:Sensor:seed", types(tSensor)))

	var wg sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				e := entity(fmt.Sprintf("urn:ngsi-ld:Sensor:w%d-%d", w, i), types(tSensor, tDevice), prop(aTemperature, json.Number(fmt.Sprint(i))))
				if err := s.Update(ctx, "conc", func(tx store.Tx) error { return tx.Put(e) }); err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
			}
		})
	}
	var rg sync.WaitGroup
	for r := range readers {
		rg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				err := s.View(ctx, "conc", func(rd store.Reader) error {
					res, err := rd.Query(store.EntityQuery{Types: []string{tSensor}, Limit: 5, Count: true})
					if err != nil {
						return err
					}
					// A snapshot is consistent: the count does not move
					// within it.
					again, err := rd.Query(store.EntityQuery{Types: []string{tDevice, tSensor}, Count: true})
					if err != nil {
						return err
					}
					if again.Total != res.Total {
						return fmt.Errorf("count moved within a snapshot: %d then %d", res.Total, again.Total)
					}
					_, err = rd.Get("urn:ngsi-ld:Sensor:seed")
					return err
				})
				if err != nil {
					t.Errorf("reader %d: %v", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(done)
	rg.Wait()

	_, total := queryIDs(t, s, "conc", store.EntityQuery{Types: []string{tDevice}, Count: true})
	if want := writers * perWriter; total != want {
		t.Errorf("after concurrent writes: %d entities, want %d", total, want)
	}
}

// testConcurrentFailures runs many concurrent Update calls of which some
// fail after writing (or panic): only the writes of the successful ones
// remain, whatever transaction the store made them share.
func testConcurrentFailures(t *testing.T, s store.Store) {
	const callers = 48
	ctx := context.Background()
	boom := errors.New("boom")
	id := func(i int) string { return fmt.Sprintf("urn:ngsi-ld:Sensor:cf%02d", i) }
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, callers)
	for i := range callers {
		wg.Go(func() {
			<-start
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = s.Update(ctx, "cf", func(tx store.Tx) error {
				// Read-your-writes within the caller's own work.
				if err := tx.Put(entity(id(i), types(tSensor), prop(aTemperature, json.Number(fmt.Sprint(i))))); err != nil {
					return err
				}
				if _, err := tx.Get(id(i)); err != nil {
					return fmt.Errorf("read own write: %w", err)
				}
				switch i % 4 {
				case 1:
					return boom
				case 3:
					if i%8 == 3 {
						panic(boom)
					}
					return fmt.Errorf("wrapped: %w", boom)
				}
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	var want []string
	for i := range callers {
		switch i % 4 {
		case 0, 2:
			if errs[i] != nil {
				t.Errorf("caller %d: %v, want nil", i, errs[i])
			}
			want = append(want, id(i))
		case 1:
			if !errors.Is(errs[i], boom) {
				t.Errorf("caller %d: %v, want %v", i, errs[i], boom)
			}
		case 3:
			if errs[i] == nil {
				t.Errorf("caller %d: nil error, want one", i)
			}
		}
	}
	got, total := queryIDs(t, s, "cf", store.EntityQuery{Types: []string{tSensor}, Limit: 1000, Count: true})
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" || total != len(want) {
		t.Errorf("entities after concurrent writes with failures (total %d) (-want +got):\n%s", total, diff)
	}
}

func testLargeBatch(t *testing.T, s store.Store) {
	const n = 10000
	err := s.Update(context.Background(), "batch", func(tx store.Tx) error {
		for i := range n {
			e := entity(fmt.Sprintf("urn:ngsi-ld:Sensor:%05d", i), types(tSensor),
				prop(aTemperature, json.Number(fmt.Sprint(i))), geo(aLocation, "-1.55", "47.21"))
			if err := tx.Put(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update of %d entities: %v", n, err)
	}
	got, total := queryIDs(t, s, "batch", store.EntityQuery{Types: []string{tSensor}, Limit: 2, Offset: n - 1, Count: true})
	if total != n {
		t.Errorf("Total = %d, want %d", total, n)
	}
	if diff := cmp.Diff([]string{fmt.Sprintf("urn:ngsi-ld:Sensor:%05d", n-1)}, got); diff != "" {
		t.Errorf("last page (-want +got):\n%s", diff)
	}
}
