package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"

	client "github.com/opentid/opentid/clients/go"
)

// Example is the example of README.md, compiled with the tests (it needs a
// running server, so it has no output to check). TestReadmeExample keeps
// the two the same.
func Example() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://localhost:1026/ngsi-ld/v1",
		// Every request goes to the tenant "nantes" with this @context.
		client.WithRequestEditorFn(client.WithTenant("nantes")),
		client.WithRequestEditorFn(client.WithContext("https://example.org/opentid/context.jsonld")),
	)
	if err != nil {
		log.Fatal(err)
	}

	// Create an AirQualityObserved entity with a property and a location.
	var typ client.EntityTypeNames
	if err := typ.FromEntityTypeName("AirQualityObserved"); err != nil {
		log.Fatal(err)
	}
	station := client.EntityCreate{Id: "urn:ngsi-ld:AirQualityObserved:nantes-01", Type: typ}
	station.Set("no2", client.Property{
		Type: client.PropertyTypeProperty, Value: 22.5, UnitCode: ptr("GQ"),
	})
	station.Set("location", client.GeoProperty{
		Type:  client.GeoPropertyTypeGeoProperty,
		Value: client.Geometry{Type: client.GeometryTypePoint, Coordinates: []any{-1.5536, 47.2184}},
	})
	created, err := c.CreateEntityWithResponse(ctx, nil, station)
	if err := client.Check(created, err, http.StatusCreated); err != nil {
		log.Fatal(err) // an *client.Error: err.(*client.Error).Type() is "AlreadyExists" on a 409
	}

	// Query by type and area: the stations within 2 km of a point, with their count.
	found, err := c.QueryEntitiesWithResponse(ctx, &client.QueryEntitiesParams{
		Type:        ptr("AirQualityObserved"),
		Georel:      ptr("near;maxDistance==2000"),
		Geometry:    ptr(client.GeoQueryGeometryTypePoint),
		Coordinates: ptr("[-1.55,47.22]"),
		Count:       ptr(true),
	})
	if err := client.Check(found, err, http.StatusOK); err != nil {
		log.Fatal(err)
	}
	fmt.Println(*found.Headers200.NGSILDResultsCount, "stations near the point")
	for _, e := range *found.JSON200 {
		no2, _, err := client.DecodeAttr[client.Property](e, "no2")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(*e.Id, no2.Value, *no2.UnitCode)
	}

	// All the stations, 100 per request, following the pages of the server.
	for e, err := range c.QueryEntitiesAll(ctx, &client.QueryEntitiesParams{
		Type: ptr("AirQualityObserved"), Limit: ptr(100),
		Options: client.Options{client.RepresentationOptionKeyValues},
	}) {
		if err != nil {
			log.Fatal(err)
		}
		v, _ := e.Get("no2")
		fmt.Println(*e.Id, v)
	}

	// Record a time series of no2 (temporal API): one instance per observation.
	series := []map[string]any{
		{"type": "Property", "value": 21.0, "unitCode": "GQ", "observedAt": "2026-03-01T10:00:00Z"},
		{"type": "Property", "value": 26.5, "unitCode": "GQ", "observedAt": "2026-03-01T11:00:00Z"},
	}
	history := client.TemporalEntity{Id: &station.Id, Type: &typ}
	history.Set("no2", series)
	recorded, err := c.UpsertTemporalEntityWithResponse(ctx, nil, history)
	if err := client.Check(recorded, err, http.StatusCreated, http.StatusNoContent); err != nil {
		log.Fatal(err)
	}

	// Read it back: the last 10 instances of no2 observed since March 1st.
	ts, err := c.RetrieveTemporalEntityWithResponse(ctx, station.Id, &client.RetrieveTemporalEntityParams{
		Attrs:   client.Attrs{"no2"},
		Timerel: ptr(client.RetrieveTemporalEntityParamsTimerelAfter),
		TimeAt:  ptr("2026-03-01T00:00:00Z"),
		LastN:   ptr(10),
	})
	if err := client.Check(ts, err, http.StatusOK); err != nil {
		log.Fatal(err)
	}
	instances, _, err := client.DecodeInstances[client.Property](*ts.JSON200, "no2")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range instances {
		fmt.Println(*p.ObservedAt, p.Value, p.AdditionalProperties["instanceId"])
	}

	// The daily average and maximum of no2 in March: [value, start, end] per day.
	daily, err := c.RetrieveTemporalEntityWithResponse(ctx, station.Id, &client.RetrieveTemporalEntityParams{
		Attrs:              client.Attrs{"no2"},
		Format:             ptr(client.RetrieveTemporalEntityParamsFormatAggregatedValues),
		AggrMethods:        client.AggrMethods{client.AggrMethodAvg, client.AggrMethodMax},
		AggrPeriodDuration: ptr("P1D"),
		Timerel:            ptr(client.RetrieveTemporalEntityParamsTimerelBetween),
		TimeAt:             ptr("2026-03-01T00:00:00Z"),
		EndTimeAt:          ptr("2026-04-01T00:00:00Z"),
	})
	if err := client.Check(daily, err, http.StatusOK); err != nil {
		log.Fatal(err)
	}
	aggregated, _, err := client.DecodeTemporalAttr[client.TemporalValues](*daily.JSON200, "no2")
	if err != nil {
		log.Fatal(err)
	}
	avg, _ := aggregated.Get("avg")
	for _, day := range avg {
		fmt.Println("from", day[1], "to", day[2], "average", day[0])
	}

	// Subscribe: the endpoint receives a Notification (keyValues) each time the
	// no2 of a station changes to more than 40.
	sub, err := c.CreateSubscriptionWithResponse(ctx, nil, client.SubscriptionCreate{
		Type:              client.SubscriptionTypeNameSubscription,
		Entities:          []client.SubscriptionEntitySelector{{Type: "AirQualityObserved"}},
		WatchedAttributes: []string{"no2"},
		Q:                 ptr("no2>40"),
		Notification: client.NotificationParams{
			Format:   ptr(client.NotificationParamsFormatKeyValues),
			Endpoint: &client.NotificationEndpoint{Uri: ptr("https://alerts.example.org/ngsi-ld/notify")},
		},
	})
	if err := client.Check(sub, err, http.StatusCreated); err != nil {
		log.Fatal(err)
	}
	fmt.Println("subscription", *sub.Headers201.Location)

	// The receiving side, served at the endpoint.
	http.HandleFunc("/ngsi-ld/notify", func(w http.ResponseWriter, r *http.Request) {
		var n client.Notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		for _, e := range n.Data {
			no2, _ := e.Get("no2")
			fmt.Println(n.SubscriptionId, *e.Id, "no2 =", no2)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
