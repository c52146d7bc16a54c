package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	client "github.com/opentid/opentid/clients/go"
	"github.com/opentid/opentid/spec"
)

// TestTenant checks that WithTenant selects a tenant for every request of
// a client, and that the tenant header of an operation's parameters wins.
func TestTenant(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t, client.WithRequestEditorFn(client.WithTenant("nantes")))
	e := station(t, stationID, 10, -1.55, 47.21)
	r, err := c.CreateEntityWithResponse(ctx, nil, client.EntityCreate{Id: *e.Id, Type: *e.Type, AdditionalProperties: e.AdditionalProperties})
	must(t, r, err, http.StatusCreated)

	got, err := c.RetrieveEntityWithResponse(ctx, stationID, nil)
	must(t, got, err, http.StatusOK)

	other, err := c.RetrieveEntityWithResponse(ctx, stationID, &client.RetrieveEntityParams{NGSILDTenant: ptr("rennes")})
	if p := problem(t, other, err, http.StatusNotFound); p != spec.ProblemNonexistentTenant {
		t.Errorf("unknown tenant: %s", p)
	}
}

// TestContext checks that WithContext sends the @context in a Link header:
// the short names of the context expand on the way in and compact on the
// way out, and a request without it sees the expanded names.
func TestContext(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t)
	withCtx := client.WithContext(testContextURL)
	e := station(t, stationID, 10, -1.55, 47.21)
	r, err := c.CreateEntityWithResponse(ctx, nil, client.EntityCreate{Id: *e.Id, Type: *e.Type, AdditionalProperties: e.AdditionalProperties}, withCtx)
	must(t, r, err, http.StatusCreated)

	short, err := c.RetrieveEntityWithResponse(ctx, stationID, &client.RetrieveEntityParams{Link: ptr(client.ContextLink(testContextURL))})
	must(t, short, err, http.StatusOK)
	if _, ok := short.JSON200.Get("no2"); !ok {
		t.Errorf("no short name no2 with the @context: %s", short.Body)
	}
	long, err := c.RetrieveEntityWithResponse(ctx, stationID, nil)
	must(t, long, err, http.StatusOK)
	if _, ok := long.JSON200.Get("https://opentid.org/ns/no2"); !ok {
		t.Errorf("no expanded name without the @context: %s", long.Body)
	}
	typ, err := long.JSON200.Type.AsEntityTypeName()
	if err != nil || typ != "https://opentid.org/ns/AirQualityObserved" {
		t.Errorf("type without the @context: %q %v", typ, err)
	}

	// With a JSON-LD body the @context travels in the body; WithContext
	// then sends no Link header, which the server would refuse.
	ld := station(t, "urn:ngsi-ld:AirQualityObserved:ld", 10, -1.55, 47.21)
	var lc client.LdContext
	if err := lc.FromLdContextURL(testContextURL); err != nil {
		t.Fatal(err)
	}
	r, err = c.CreateEntityWithApplicationLdPlusJSONBodyWithResponse(ctx, nil,
		client.EntityCreate{Id: *ld.Id, Type: *ld.Type, Context: &lc, AdditionalProperties: ld.AdditionalProperties}, withCtx)
	must(t, r, err, http.StatusCreated)
}

// TestQueryEntitiesAll checks that the iterator follows the pages of a
// query to the end, and stops when the caller stops.
func TestQueryEntitiesAll(t *testing.T) {
	ctx := context.Background()
	c, rec := newClient(t)
	var batch client.EntityCreateArray
	for i := range 7 {
		batch = append(batch, station(t, "urn:ngsi-ld:AirQualityObserved:p"+string(rune('a'+i)), float64(i), -1.55, 47.21))
	}
	r, err := c.BatchCreateWithResponse(ctx, nil, batch)
	must(t, r, err, http.StatusCreated)

	before := len(rec.calls)
	var ids []string
	for e, err := range c.QueryEntitiesAll(ctx, &client.QueryEntitiesParams{Type: ptr("AirQualityObserved"), Limit: ptr(3)}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *e.Id)
	}
	if len(ids) != 7 {
		t.Errorf("%d entities, want 7: %v", len(ids), ids)
	}
	if n := len(rec.calls) - before; n != 3 {
		t.Errorf("%d requests for 7 entities by 3, want 3", n)
	}

	n := 0
	for _, err := range c.QueryEntitiesPostAll(ctx, &client.QueryEntitiesPostParams{Limit: ptr(2)}, client.Query{
		Type: client.QueryTypeQuery, Entities: []client.EntitySelector{{Type: ptr("AirQualityObserved")}},
	}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 3 {
			break
		}
	}
	if n != 3 {
		t.Errorf("stopped after %d entities, want 3", n)
	}

	var errs []error
	for _, err := range c.QueryEntitiesAll(ctx, nil) {
		errs = append(errs, err)
	}
	var e *client.Error
	if len(errs) != 1 || !errors.As(errs[0], &e) || e.Type() != spec.ProblemBadRequestData {
		t.Errorf("unrestricted query: want one BadRequestData error, got %v", errs)
	}
}
