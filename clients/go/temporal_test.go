package client_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	client "github.com/opentid/opentid/clients/go"
	"github.com/opentid/opentid/spec"
)

const historyID = "urn:ngsi-ld:AirQualityObserved:nantes-02"

// sample is one observed value of a time series.
type sample struct {
	at    string
	value float64
}

// series is an attribute in the temporal representation: one Property
// instance per sample.
func series(t *testing.T, samples ...sample) []map[string]any {
	t.Helper()
	instances := make([]map[string]any, len(samples))
	for i, s := range samples {
		instances[i] = map[string]any{"type": "Property", "value": s.value, "observedAt": s.at, "unitCode": "GQ"}
	}
	return instances
}

// instances returns the instances of an attribute of a temporal entity.
func instances(t *testing.T, e *client.TemporalEntity, name string) []client.Property {
	t.Helper()
	if e == nil {
		t.Fatal("no temporal entity in the response")
	}
	ps, ok, err := client.DecodeInstances[client.Property](*e, name)
	if err != nil || !ok {
		t.Fatalf("temporal attribute %s: found %v, %v", name, ok, err)
	}
	return ps
}

// values returns the values of instances, in their order.
func values(ps []client.Property) []any {
	out := make([]any, len(ps))
	for i, p := range ps {
		out[i] = p.Value
	}
	return out
}

// instanceID returns the instanceId of the instance observed at at.
func instanceID(t *testing.T, ps []client.Property, at string) string {
	t.Helper()
	want, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.ObservedAt != nil && p.ObservedAt.Equal(want) {
			id, _ := p.AdditionalProperties["instanceId"].(string)
			if id == "" {
				t.Fatalf("instance at %s has no instanceId", at)
			}
			return id
		}
	}
	t.Fatalf("no instance observed at %s", at)
	return ""
}

// testTemporal calls the temporal operations: it records a time series of
// no2 and pm10, reads it back with timerel and lastN, as simplified pairs
// and as a daily aggregation, queries it by GET and POST, then edits and
// deletes instances, attributes and the whole history.
func testTemporal(ctx context.Context, t *testing.T, c *client.ClientWithResponses) {
	e := client.TemporalEntity{Id: ptr(historyID), Type: ptr(typeNames(t, "AirQualityObserved"))}
	e.Set("no2", series(t,
		sample{"2026-03-01T10:00:00Z", 20},
		sample{"2026-03-01T12:00:00+01:00", 24}, // 11:00 UTC
		sample{"2026-03-01T12:00:00Z", 28},
	))
	r1, err := c.UpsertTemporalEntityWithResponse(ctx, nil, e)
	must(t, r1, err, http.StatusCreated)
	if loc := r1.Headers201.Location; loc == nil || !strings.HasSuffix(*loc, "/temporal/entities/"+historyID) {
		t.Errorf("Location %v", loc)
	}
	more := client.TemporalEntity{Id: ptr(historyID), Type: ptr(typeNames(t, "AirQualityObserved"))}
	more.Set("no2", series(t, sample{"2026-03-01T13:00:00Z", 30}))
	r1, err = c.UpsertTemporalEntityWithResponse(ctx, nil, more)
	must(t, r1, err, http.StatusNoContent)

	var pm10 client.TemporalEntity
	pm10.Set("pm10", series(t, sample{"2026-03-01T10:00:00Z", 11}, sample{"2026-03-01T12:00:00Z", 15}))
	r2, err := c.AddTemporalAttributesWithResponse(ctx, historyID, nil, pm10)
	must(t, r2, err, http.StatusNoContent)

	// The current state follows the latest instances.
	cur, err := c.RetrieveEntityWithResponse(ctx, historyID, &client.RetrieveEntityParams{Options: client.Options{client.RepresentationOptionKeyValues}})
	must(t, cur, err, http.StatusOK)
	if v, _ := cur.JSON200.Get("no2"); v != 30.0 {
		t.Errorf("current no2 = %v, want 30", v)
	}

	t.Run("retrieve with timerel and lastN", func(t *testing.T) {
		r, err := c.RetrieveTemporalEntityWithResponse(ctx, historyID, nil)
		must(t, r, err, http.StatusOK)
		all := instances(t, r.JSON200, "no2")
		if diff := cmp.Diff([]any{20.0, 24.0, 28.0, 30.0}, values(all)); diff != "" {
			t.Errorf("all instances (-want +got):\n%s", diff)
		}
		if u := all[0].UnitCode; u == nil || *u != "GQ" {
			t.Errorf("unitCode %v", u)
		}

		r, err = c.RetrieveTemporalEntityWithResponse(ctx, historyID, &client.RetrieveTemporalEntityParams{
			Attrs:   client.Attrs{"no2"},
			Timerel: ptr(client.RetrieveTemporalEntityParamsTimerelAfter),
			TimeAt:  ptr("2026-03-01T11:00:00Z"),
		})
		must(t, r, err, http.StatusOK)
		if diff := cmp.Diff([]any{24.0, 28.0, 30.0}, values(instances(t, r.JSON200, "no2"))); diff != "" {
			t.Errorf("after 11:00 (-want +got):\n%s", diff)
		}
		if _, ok := r.JSON200.Get("pm10"); ok {
			t.Error("attrs=no2 returned pm10")
		}

		r, err = c.RetrieveTemporalEntityWithResponse(ctx, historyID, &client.RetrieveTemporalEntityParams{
			Attrs:     client.Attrs{"no2"},
			Timerel:   ptr(client.RetrieveTemporalEntityParamsTimerelBetween),
			TimeAt:    ptr("2026-03-01T10:00:00Z"),
			EndTimeAt: ptr("2026-03-01T13:00:00Z"),
			LastN:     ptr(2),
		})
		must(t, r, err, http.StatusOK)
		if diff := cmp.Diff([]any{24.0, 28.0}, values(instances(t, r.JSON200, "no2"))); diff != "" {
			t.Errorf("last 2 between 10:00 and 13:00 (-want +got):\n%s", diff)
		}
	})

	t.Run("simplified and aggregated", func(t *testing.T) {
		r, err := c.RetrieveTemporalEntityWithResponse(ctx, historyID, &client.RetrieveTemporalEntityParams{
			Attrs: client.Attrs{"pm10"}, Options: client.TemporalOptions{client.TemporalOptionTemporalValues},
		})
		must(t, r, err, http.StatusOK)
		pm10 := temporalValues(t, r.JSON200, "pm10")
		pairs, _ := pm10.Get("values")
		if len(pairs) != 2 || pairs[0][0] != 11.0 || pairs[1][0] != 15.0 || pm10.Type != "Property" {
			t.Errorf("simplified pm10 %+v", pm10)
		}

		r, err = c.RetrieveTemporalEntityWithResponse(ctx, historyID, &client.RetrieveTemporalEntityParams{
			Attrs:              client.Attrs{"no2"},
			Format:             ptr(client.RetrieveTemporalEntityParamsFormatAggregatedValues),
			AggrMethods:        client.AggrMethods{client.AggrMethodAvg, client.AggrMethodMax, client.AggrMethodTotalCount},
			AggrPeriodDuration: ptr("P1D"),
			Timerel:            ptr(client.RetrieveTemporalEntityParamsTimerelBetween),
			TimeAt:             ptr("2026-03-01T00:00:00Z"),
			EndTimeAt:          ptr("2026-03-02T00:00:00Z"),
		})
		must(t, r, err, http.StatusOK)
		no2 := temporalValues(t, r.JSON200, "no2")
		for method, want := range map[string]float64{"avg": 25.5, "max": 30, "totalCount": 4} {
			triples, _ := no2.Get(method)
			if len(triples) != 1 || len(triples[0]) != 3 || triples[0][0] != want {
				t.Errorf("%s: %v, want one period of %v", method, triples, want)
				continue
			}
			start, _ := triples[0][1].(string)
			if at, err := time.Parse(time.RFC3339, start); err != nil || !at.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("%s: period starts at %v", method, triples[0][1])
			}
		}
	})

	t.Run("query", func(t *testing.T) {
		r, err := c.QueryTemporalEntitiesWithResponse(ctx, &client.QueryTemporalEntitiesParams{
			Type:    ptr("AirQualityObserved"),
			Q:       ptr("no2>25"),
			Attrs:   client.Attrs{"no2"},
			Timerel: ptr(client.QueryTemporalEntitiesParamsTimerelBefore),
			TimeAt:  ptr("2026-03-01T11:00:00Z"),
			Count:   ptr(true),
		})
		must(t, r, err, http.StatusOK)
		if len(*r.JSON200) != 1 || *(*r.JSON200)[0].Id != historyID {
			t.Fatalf("temporal query: %s", r.Body)
		}
		if diff := cmp.Diff([]any{20.0}, values(instances(t, &(*r.JSON200)[0], "no2"))); diff != "" {
			t.Errorf("before 11:00 (-want +got):\n%s", diff)
		}
		if n := r.Headers200.NGSILDResultsCount; n == nil || *n != 1 {
			t.Errorf("NGSILD-Results-Count %v", n)
		}

		p, err := c.QueryTemporalEntitiesPostWithResponse(ctx, nil, client.TemporalQuery{
			Type:      client.TemporalQueryTypeQuery,
			Entities:  []client.EntitySelector{{Id: ptr(historyID)}},
			Attrs:     []string{"no2"},
			TemporalQ: &client.TemporalQ{Timerel: ptr(client.TemporalQTimerelAfter), TimeAt: ptr("2026-03-01T10:00:00Z"), LastN: ptr(1)},
		})
		must(t, p, err, http.StatusOK)
		if len(*p.JSON200) != 1 {
			t.Fatalf("temporal query via POST: %s", p.Body)
		}
		if diff := cmp.Diff([]any{30.0}, values(instances(t, &(*p.JSON200)[0], "no2"))); diff != "" {
			t.Errorf("lastN=1 via POST (-want +got):\n%s", diff)
		}
	})

	t.Run("instances, attributes and history", func(t *testing.T) {
		r, err := c.RetrieveTemporalEntityWithResponse(ctx, historyID, &client.RetrieveTemporalEntityParams{Attrs: client.Attrs{"no2"}})
		must(t, r, err, http.StatusOK)
		all := instances(t, r.JSON200, "no2")
		at12, at10 := instanceID(t, all, "2026-03-01T12:00:00Z"), instanceID(t, all, "2026-03-01T10:00:00Z")

		u, err := c.UpdateTemporalAttributeInstanceWithResponse(ctx, historyID, "no2", at12, nil, client.AttributeFragment{"value": 27.0})
		must(t, u, err, http.StatusNoContent)
		d, err := c.DeleteTemporalAttributeInstanceWithResponse(ctx, historyID, "no2", at10, nil)
		must(t, d, err, http.StatusNoContent)
		d, err = c.DeleteTemporalAttributeInstanceWithResponse(ctx, historyID, "no2", at10, nil)
		if p := problem(t, d, err, http.StatusNotFound); p != spec.ProblemResourceNotFound {
			t.Errorf("deleting a deleted instance: %s", p)
		}
		r, err = c.RetrieveTemporalEntityWithResponse(ctx, historyID, nil)
		must(t, r, err, http.StatusOK)
		now := instances(t, r.JSON200, "no2")
		if diff := cmp.Diff([]any{24.0, 27.0, 30.0}, values(now)); diff != "" {
			t.Errorf("after patch and delete (-want +got):\n%s", diff)
		}
		if id := instanceID(t, now, "2026-03-01T12:00:00Z"); id != at12 {
			t.Errorf("patched instance %s became %s", at12, id)
		}

		da, err := c.DeleteTemporalAttributeWithResponse(ctx, historyID, "pm10", nil)
		must(t, da, err, http.StatusNoContent)
		r, err = c.RetrieveTemporalEntityWithResponse(ctx, historyID, nil)
		must(t, r, err, http.StatusOK)
		if _, ok := r.JSON200.Get("pm10"); ok {
			t.Error("pm10 history kept after its deletion")
		}

		de, err := c.DeleteTemporalEntityWithResponse(ctx, historyID, nil)
		must(t, de, err, http.StatusNoContent)
		r, err = c.RetrieveTemporalEntityWithResponse(ctx, historyID, nil)
		if p := problem(t, r, err, http.StatusNotFound); p != spec.ProblemResourceNotFound {
			t.Errorf("temporal retrieve after delete: %s", p)
		}
		cur, err := c.RetrieveEntityWithResponse(ctx, historyID, nil)
		must(t, cur, err, http.StatusOK) // the current state is kept
	})
}

// temporalValues returns an attribute of a temporal entity in the
// simplified or aggregated representation.
func temporalValues(t *testing.T, e *client.TemporalEntity, name string) client.TemporalValues {
	t.Helper()
	if e == nil {
		t.Fatal("no temporal entity in the response")
	}
	v, ok, err := client.DecodeTemporalAttr[client.TemporalValues](*e, name)
	if err != nil {
		t.Fatalf("temporal attribute %s: %v", name, err)
	}
	if !ok {
		t.Fatalf("no temporal attribute %s", name)
	}
	return v
}
