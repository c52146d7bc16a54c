package client_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	client "github.com/opentid/opentid/clients/go"
	"github.com/opentid/opentid/spec"
)

const (
	stationID = "urn:ngsi-ld:AirQualityObserved:nantes-01"
	deviceID  = "urn:ngsi-ld:Device:nantes-01"
)

func ptr[T any](v T) *T { return &v }

// typeNames is the type member of an entity with one type.
func typeNames(t *testing.T, name string) client.EntityTypeNames {
	t.Helper()
	var n client.EntityTypeNames
	if err := n.FromEntityTypeName(name); err != nil {
		t.Fatal(err)
	}
	return n
}

// station is an AirQualityObserved entity in the normalized representation.
func station(t *testing.T, id string, no2 float64, lon, lat float64) client.Entity {
	t.Helper()
	e := client.Entity{Id: ptr(id), Type: ptr(typeNames(t, "AirQualityObserved"))}
	e.Set("no2", client.Property{Type: client.PropertyTypeProperty, Value: no2, UnitCode: ptr("GQ"), ObservedAt: nil})
	e.Set("location", client.GeoProperty{Type: client.GeoPropertyTypeGeoProperty, Value: client.Geometry{
		Type: client.GeometryTypePoint, Coordinates: []any{lon, lat},
	}})
	return e
}

// must fails the test when a call did not get one of the statuses want.
func must(t *testing.T, r client.Response, err error, want ...int) {
	t.Helper()
	if err := client.Check(r, err, want...); err != nil {
		t.Fatal(err)
	}
}

// problem returns the short problem type of a failed call, or fails the
// test when the call got one of the success statuses.
func problem(t *testing.T, r client.Response, err error, status int) string {
	t.Helper()
	err = client.Check(r, err)
	var e *client.Error
	if !errors.As(err, &e) {
		t.Fatalf("want an *client.Error, got %v", err)
	}
	if e.StatusCode != status {
		t.Errorf("status %d, want %d (%s)", e.StatusCode, status, e.Body)
	}
	return e.Type()
}

func property(t *testing.T, e client.Entity, name string) client.Property {
	t.Helper()
	p, ok, err := client.DecodeAttr[client.Property](e, name)
	if err != nil || !ok {
		t.Fatalf("attribute %s: found %v, %v", name, ok, err)
	}
	return p
}

// TestOperations calls every operation of the spec through the client.
func TestOperations(t *testing.T) {
	ctx := context.Background()
	c, rec := newClient(t)

	t.Run("create", func(t *testing.T) {
		e := station(t, stationID, 22.5, -1.5536, 47.2184)
		e.Set("refDevice", client.Relationship{Type: client.RelationshipTypeRelationship, Object: deviceID})
		r, err := c.CreateEntityWithResponse(ctx, nil, client.EntityCreate{Id: *e.Id, Type: *e.Type, AdditionalProperties: e.AdditionalProperties})
		must(t, r, err, http.StatusCreated)
		if loc := r.Headers201.Location; loc == nil || !strings.HasSuffix(*loc, "/entities/"+stationID) {
			t.Errorf("Location %v", loc)
		}
		r, err = c.CreateEntityWithResponse(ctx, nil, client.EntityCreate{Id: *e.Id, Type: *e.Type})
		if got := problem(t, r, err, http.StatusConflict); got != spec.ProblemAlreadyExists {
			t.Errorf("second create: %s", got)
		}
	})

	t.Run("retrieve normalized", func(t *testing.T) {
		r, err := c.RetrieveEntityWithResponse(ctx, stationID, nil)
		must(t, r, err, http.StatusOK)
		no2 := property(t, *r.JSON200, "no2")
		if no2.Value != 22.5 || no2.UnitCode == nil || *no2.UnitCode != "GQ" {
			t.Errorf("no2 %+v", no2)
		}
		rel, ok, err := client.DecodeAttr[client.Relationship](*r.JSON200, "refDevice")
		if err != nil || !ok || rel.Object != deviceID {
			t.Errorf("refDevice %+v %v %v", rel, ok, err)
		}
	})

	t.Run("retrieve keyValues", func(t *testing.T) {
		r, err := c.RetrieveEntityWithResponse(ctx, stationID, &client.RetrieveEntityParams{
			Options: client.Options{client.RepresentationOptionKeyValues},
		})
		must(t, r, err, http.StatusOK)
		if v, _ := r.JSON200.Get("no2"); v != 22.5 {
			t.Errorf("no2 = %v, want 22.5", v)
		}
		r, err = c.RetrieveEntityWithResponse(ctx, stationID, &client.RetrieveEntityParams{
			Format: ptr(client.RepresentationFormatSimplified), Attrs: client.Attrs{"no2"},
		})
		must(t, r, err, http.StatusOK)
		if _, ok := r.JSON200.Get("refDevice"); ok {
			t.Error("attrs=no2 returned refDevice")
		}
	})

	t.Run("retrieve GeoJSON", func(t *testing.T) {
		r, err := c.RetrieveEntityWithResponse(ctx, stationID, nil, client.WithAccept(client.MediaGeoJSON))
		must(t, r, err, http.StatusOK)
		f := r.ApplicationgeoJSON200
		if f == nil || f.Id != stationID || f.Geometry == nil || f.Geometry.Type != client.GeometryTypePoint {
			t.Errorf("feature %+v", f)
		}
	})

	t.Run("query by type with count", func(t *testing.T) {
		r, err := c.QueryEntitiesWithResponse(ctx, &client.QueryEntitiesParams{
			Type: ptr("AirQualityObserved"), Count: ptr(true),
		})
		must(t, r, err, http.StatusOK)
		if len(*r.JSON200) != 1 || *(*r.JSON200)[0].Id != stationID {
			t.Errorf("entities %+v", *r.JSON200)
		}
		if n := r.Headers200.NGSILDResultsCount; n == nil || *n != 1 {
			t.Errorf("NGSILD-Results-Count %v", n)
		}
	})

	t.Run("query by area", func(t *testing.T) {
		near := &client.QueryEntitiesParams{
			Type:        ptr("AirQualityObserved"),
			Georel:      ptr("near;maxDistance==2000"),
			Geometry:    ptr(client.GeoQueryGeometryTypePoint),
			Coordinates: ptr("[-1.5500,47.2200]"),
		}
		r, err := c.QueryEntitiesWithResponse(ctx, near)
		must(t, r, err, http.StatusOK)
		if len(*r.JSON200) != 1 {
			t.Errorf("near Nantes: %d entities, want 1", len(*r.JSON200))
		}
		near.Coordinates = ptr("[2.3522,48.8566]")
		r, err = c.QueryEntitiesWithResponse(ctx, near)
		must(t, r, err, http.StatusOK)
		if len(*r.JSON200) != 0 {
			t.Errorf("near Paris: %d entities, want 0", len(*r.JSON200))
		}
	})

	t.Run("query via POST", func(t *testing.T) {
		r, err := c.QueryEntitiesPostWithResponse(ctx, &client.QueryEntitiesPostParams{Count: ptr(true)}, client.Query{
			Type:     client.QueryTypeQuery,
			Entities: []client.EntitySelector{{Type: ptr("AirQualityObserved")}},
		})
		must(t, r, err, http.StatusOK)
		if len(*r.JSON200) != 1 {
			t.Errorf("entities %+v", *r.JSON200)
		}
	})

	t.Run("attributes", func(t *testing.T) {
		pm10 := client.Entity{}
		pm10.Set("pm10", client.Property{Type: client.PropertyTypeProperty, Value: 12.0, UnitCode: ptr("GQ")})
		r1, err := c.AppendAttrsWithResponse(ctx, stationID, nil, pm10)
		must(t, r1, err, http.StatusNoContent)

		update := client.Entity{}
		update.Set("no2", client.Property{Type: client.PropertyTypeProperty, Value: 30.0})
		update.Set("o3", client.Property{Type: client.PropertyTypeProperty, Value: 1.0})
		r2, err := c.UpdateAttrsWithResponse(ctx, stationID, nil, update)
		must(t, r2, err, http.StatusMultiStatus)
		if res := r2.JSON207; res == nil || !slices.Contains(res.Updated, "no2") || len(res.NotUpdated) != 1 || res.NotUpdated[0].AttributeName != "o3" {
			t.Errorf("update result %+v", res)
		}

		r3, err := c.PartialAttrUpdateWithResponse(ctx, stationID, "no2", nil, client.AttributeFragment{"value": 31.5})
		must(t, r3, err, http.StatusNoContent)

		r4, err := c.ReplaceAttrWithResponse(ctx, stationID, "pm10", nil, client.AttributeFragment{"type": "Property", "value": 14.0})
		must(t, r4, err, http.StatusNoContent)

		got, err := c.RetrieveEntityWithResponse(ctx, stationID, nil)
		must(t, got, err, http.StatusOK)
		if v := property(t, *got.JSON200, "no2").Value; v != 31.5 {
			t.Errorf("no2 = %v, want 31.5", v)
		}
		if p := property(t, *got.JSON200, "pm10"); p.Value != 14.0 || p.UnitCode != nil {
			t.Errorf("pm10 %+v, want 14 without unitCode", p)
		}

		r5, err := c.DeleteAttrWithResponse(ctx, stationID, "pm10", nil)
		must(t, r5, err, http.StatusNoContent)
		r5, err = c.DeleteAttrWithResponse(ctx, stationID, "pm10", nil)
		if got := problem(t, r5, err, http.StatusNotFound); got != spec.ProblemResourceNotFound {
			t.Errorf("deleting a deleted attribute: %s", got)
		}
	})

	t.Run("merge and replace", func(t *testing.T) {
		merge := client.Entity{}
		merge.Set("pm25", client.Property{Type: client.PropertyTypeProperty, Value: 8.0})
		merge.Set("refDevice", "urn:ngsi-ld:null")
		r1, err := c.MergeEntityWithResponse(ctx, stationID, nil, merge)
		must(t, r1, err, http.StatusNoContent)
		got, err := c.RetrieveEntityWithResponse(ctx, stationID, &client.RetrieveEntityParams{Options: client.Options{client.RepresentationOptionKeyValues}})
		must(t, got, err, http.StatusOK)
		if v, _ := got.JSON200.Get("pm25"); v != 8.0 {
			t.Errorf("pm25 = %v after merge", v)
		}
		if _, ok := got.JSON200.Get("refDevice"); ok {
			t.Error("refDevice kept after merge with urn:ngsi-ld:null")
		}

		repl := station(t, stationID, 5, -1.5536, 47.2184)
		r2, err := c.ReplaceEntityWithResponse(ctx, stationID, nil, client.EntityReplace{Type: *repl.Type, AdditionalProperties: repl.AdditionalProperties})
		must(t, r2, err, http.StatusNoContent)
		got, err = c.RetrieveEntityWithResponse(ctx, stationID, &client.RetrieveEntityParams{Options: client.Options{client.RepresentationOptionKeyValues}})
		must(t, got, err, http.StatusOK)
		if _, ok := got.JSON200.Get("pm25"); ok {
			t.Error("pm25 kept after replace")
		}
	})

	t.Run("batch", func(t *testing.T) {
		ids := []string{"urn:ngsi-ld:AirQualityObserved:b1", "urn:ngsi-ld:AirQualityObserved:b2"}
		var batch client.EntityCreateArray
		for i, id := range ids {
			batch = append(batch, station(t, id, float64(10+i), -1.5, 47.2))
		}
		r1, err := c.BatchCreateWithResponse(ctx, nil, batch)
		must(t, r1, err, http.StatusCreated)
		if diff := cmp.Diff(ids, *r1.JSON201); diff != "" {
			t.Errorf("created ids (-want +got):\n%s", diff)
		}

		upsert := append(batch, station(t, "urn:ngsi-ld:AirQualityObserved:b3", 12, -1.5, 47.2))
		r2, err := c.BatchUpsertWithResponse(ctx, &client.BatchUpsertParams{Options: client.OptionsUpsert{client.UpsertOptionUpdate}}, upsert)
		must(t, r2, err, http.StatusCreated)
		if diff := cmp.Diff([]string{"urn:ngsi-ld:AirQualityObserved:b3"}, *r2.JSON201); diff != "" {
			t.Errorf("upserted ids (-want +got):\n%s", diff)
		}

		var updates client.EntityWithIdArray
		for _, id := range ids {
			e := client.Entity{Id: ptr(id)}
			e.Set("no2", client.Property{Type: client.PropertyTypeProperty, Value: 40.0})
			updates = append(updates, e)
		}
		r3, err := c.BatchUpdateWithResponse(ctx, &client.BatchUpdateParams{Options: client.OptionsNoOverwrite{client.NoOverwriteOptionNoOverwrite}}, updates)
		must(t, r3, err, http.StatusNoContent)
		r4, err := c.BatchMergeWithResponse(ctx, nil, updates)
		must(t, r4, err, http.StatusNoContent)

		r5, err := c.BatchDeleteWithResponse(ctx, nil, client.EntityIdList{ids[0], "urn:ngsi-ld:AirQualityObserved:unknown"})
		must(t, r5, err, http.StatusMultiStatus)
		res := r5.JSON207
		if res == nil || !slices.Equal(res.Success, []string{ids[0]}) || len(res.Errors) != 1 ||
			!strings.HasSuffix(res.Errors[0].Error.Type, "/"+spec.ProblemResourceNotFound) {
			t.Errorf("batch delete result %+v", res)
		}
		r5, err = c.BatchDeleteWithResponse(ctx, nil, client.EntityIdList{ids[1], "urn:ngsi-ld:AirQualityObserved:b3"})
		must(t, r5, err, http.StatusNoContent)
	})

	t.Run("subscriptions", func(t *testing.T) { testSubscriptions(ctx, t, c) })

	t.Run("types and attributes", func(t *testing.T) {
		r1, err := c.RetrieveEntityTypesWithResponse(ctx, nil)
		must(t, r1, err, http.StatusOK)
		list, err := r1.JSON200.AsEntityTypeList()
		if err != nil || !slices.Contains(list.TypeList, "AirQualityObserved") {
			t.Errorf("type list %+v %v", list, err)
		}
		r1, err = c.RetrieveEntityTypesWithResponse(ctx, &client.RetrieveEntityTypesParams{Details: ptr(true)})
		must(t, r1, err, http.StatusOK)
		types, err := r1.JSON200.AsEntityTypeArray()
		if err != nil || len(types) != 1 || !slices.Contains(types[0].AttributeNames, "no2") {
			t.Errorf("type details %+v %v", types, err)
		}

		r2, err := c.RetrieveEntityTypeInfoWithResponse(ctx, "AirQualityObserved", nil)
		must(t, r2, err, http.StatusOK)
		if r2.JSON200.EntityCount != 1 {
			t.Errorf("entityCount %d, want 1", r2.JSON200.EntityCount)
		}

		r3, err := c.RetrieveAttributesWithResponse(ctx, nil)
		must(t, r3, err, http.StatusOK)
		attrs, err := r3.JSON200.AsAttributeList()
		if err != nil || !slices.Contains(attrs.AttributeList, "no2") {
			t.Errorf("attribute list %+v %v", attrs, err)
		}
		r3, err = c.RetrieveAttributesWithResponse(ctx, &client.RetrieveAttributesParams{Details: ptr(true)})
		must(t, r3, err, http.StatusOK)
		if details, err := r3.JSON200.AsAttributeArray(); err != nil || len(details) == 0 {
			t.Errorf("attribute details %+v %v", details, err)
		}

		r4, err := c.RetrieveAttributeInfoWithResponse(ctx, "no2", nil)
		must(t, r4, err, http.StatusOK)
		if r4.JSON200.AttributeName != "no2" || r4.JSON200.AttributeCount == nil || *r4.JSON200.AttributeCount != 1 {
			t.Errorf("attribute info %+v", r4.JSON200)
		}
	})

	t.Run("delete", func(t *testing.T) {
		r, err := c.DeleteEntityWithResponse(ctx, stationID, nil)
		must(t, r, err, http.StatusNoContent)
		got, err := c.RetrieveEntityWithResponse(ctx, stationID, nil)
		if p := problem(t, got, err, http.StatusNotFound); p != spec.ProblemResourceNotFound {
			t.Errorf("retrieve after delete: %s", p)
		}
	})

	t.Run("temporal", func(t *testing.T) { testTemporal(ctx, t, c) })

	t.Run("bad request", func(t *testing.T) {
		r, err := c.QueryEntitiesWithResponse(ctx, nil)
		if p := problem(t, r, err, http.StatusBadRequest); p != spec.ProblemBadRequestData {
			t.Errorf("unrestricted query: %s", p)
		}
		if r.JSON400 == nil || r.JSON400.Detail == nil {
			t.Errorf("400 body not decoded as ProblemDetails: %s", r.Body)
		}
	})

	checkCoverage(t, rec.calls)
}
