package spec

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/go-cmp/cmp"
)

func mustLoad(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return doc
}

func TestLoad(t *testing.T) {
	doc := mustLoad(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if doc.Info.Version != Version {
		t.Errorf("info.version = %q, want spec.Version %q", doc.Info.Version, Version)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/ngsi-ld/v1" {
		t.Errorf("servers = %v, want exactly /ngsi-ld/v1", doc.Servers)
	}
	if !strings.Contains(doc.Info.Description, NGSILDVersion) {
		t.Errorf("info.description does not name NGSI-LD %s", NGSILDVersion)
	}
}

func TestLoadReturnsFreshDocument(t *testing.T) {
	a := mustLoad(t)
	a.Info.Version = "changed"
	a.Paths.Delete("/entities")
	b := mustLoad(t)
	if b.Info.Version != Version || b.Paths.Value("/entities") == nil {
		t.Error("a change to one loaded document is visible in the next one")
	}
}

func TestOpenAPIReturnsCopy(t *testing.T) {
	a := OpenAPI()
	if len(a) == 0 || !bytes.HasPrefix(a, []byte("openapi: 3.0.3")) {
		t.Fatal("OpenAPI() does not return the YAML document")
	}
	a[0] = 'X'
	if OpenAPI()[0] != 'o' {
		t.Error("OpenAPI() exposes the embedded bytes to changes by callers")
	}
}

// TestOperations pins the list of operations: a path, method or operationId that changes
// is a change of the contract and of the generated clients.
func TestOperations(t *testing.T) {
	want := []string{
		"DELETE /entities/{entityId} deleteEntity",
		"DELETE /entities/{entityId}/attrs/{attrId} deleteAttr",
		"DELETE /subscriptions/{subscriptionId} deleteSubscription",
		"DELETE /temporal/entities/{entityId} deleteTemporalEntity",
		"DELETE /temporal/entities/{entityId}/attrs/{attrId} deleteTemporalAttribute",
		"DELETE /temporal/entities/{entityId}/attrs/{attrId}/{instanceId} deleteTemporalAttributeInstance",
		"GET /attributes retrieveAttributes",
		"GET /attributes/{attrId} retrieveAttributeInfo",
		"GET /entities queryEntities",
		"GET /entities/{entityId} retrieveEntity",
		"GET /subscriptions querySubscriptions",
		"GET /subscriptions/{subscriptionId} retrieveSubscription",
		"GET /temporal/entities queryTemporalEntities",
		"GET /temporal/entities/{entityId} retrieveTemporalEntity",
		"GET /types retrieveEntityTypes",
		"GET /types/{type} retrieveEntityTypeInfo",
		"PATCH /entities/{entityId} mergeEntity",
		"PATCH /entities/{entityId}/attrs updateAttrs",
		"PATCH /entities/{entityId}/attrs/{attrId} partialAttrUpdate",
		"PATCH /subscriptions/{subscriptionId} updateSubscription",
		"PATCH /temporal/entities/{entityId}/attrs/{attrId}/{instanceId} updateTemporalAttributeInstance",
		"POST /entities createEntity",
		"POST /entities/{entityId}/attrs appendAttrs",
		"POST /entityOperations/create batchCreate",
		"POST /entityOperations/delete batchDelete",
		"POST /entityOperations/merge batchMerge",
		"POST /entityOperations/query queryEntitiesPost",
		"POST /entityOperations/update batchUpdate",
		"POST /entityOperations/upsert batchUpsert",
		"POST /subscriptions createSubscription",
		"POST /temporal/entities upsertTemporalEntity",
		"POST /temporal/entities/{entityId}/attrs addTemporalAttributes",
		"POST /temporal/entityOperations/query queryTemporalEntitiesPost",
		"PUT /entities/{entityId} replaceEntity",
		"PUT /entities/{entityId}/attrs/{attrId} replaceAttr",
	}
	doc := mustLoad(t)
	var got []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			got = append(got, method+" "+path+" "+op.OperationID)
		}
	}
	sort.Strings(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
}

func TestEveryOperation(t *testing.T) {
	lowerCamel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	summary := regexp.MustCompile(`\(NGSI-LD \d+\.\d+\.\d+`)
	doc := mustLoad(t)
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			id := op.OperationID
			if !lowerCamel.MatchString(id) {
				t.Errorf("%s: operationId %q is not lowerCamelCase", where, id)
			}
			if prev, dup := seen[id]; dup {
				t.Errorf("%s: operationId %q also used by %s", where, id, prev)
			}
			seen[id] = where
			if len(op.Tags) == 0 {
				t.Errorf("%s: no tags", where)
			}
			if !summary.MatchString(op.Summary) {
				t.Errorf("%s: summary %q does not cite an NGSI-LD clause", where, op.Summary)
			}
			params := map[string]bool{}
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Ref == "" {
					t.Errorf("%s: parameter %q is not a named component", where, p.Value.Name)
				}
				params[p.Value.In+":"+p.Value.Name] = true
			}
			for _, h := range []string{"header:NGSILD-Tenant", "header:Link"} {
				if !params[h] {
					t.Errorf("%s: does not list %s", where, h)
				}
			}
			for code, resp := range op.Responses.Map() {
				isError := strings.HasPrefix(code, "4") || strings.HasPrefix(code, "5")
				if isError && resp.Ref == "" {
					t.Errorf("%s: error response %s is not a named component", where, code)
				}
			}
			if op.Responses.Value("500") == nil {
				t.Errorf("%s: no 500 response", where)
			}
		}
	}
}

func TestErrorResponsesUseProblemDetails(t *testing.T) {
	doc := mustLoad(t)
	want := doc.Components.Schemas["ProblemDetails"].Value
	for name, resp := range doc.Components.Responses {
		if name == "PartialUpdate" || name == "BatchPartial" {
			continue
		}
		for _, mt := range []string{"application/json", "application/problem+json"} {
			c := resp.Value.Content.Get(mt)
			if c == nil || c.Schema == nil || c.Schema.Value != want {
				t.Errorf("response %s: %s is not ProblemDetails", name, mt)
			}
		}
	}
}

type validationCase struct {
	name        string
	method      string
	target      string
	contentType string
	body        string
	headers     map[string]string
	wantErr     bool
}

var validationCases = []validationCase{
	{
		name: "create normalized with ld+json", method: "POST", target: "/entities",
		contentType: "application/ld+json",
		body: `{"@context":"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
			"id":"urn:ngsi-ld:AirQualityObserved:1","type":"AirQualityObserved",
			"no2":{"type":"Property","value":22.5,"unitCode":"GQ","observedAt":"2026-03-01T10:00:00Z"},
			"location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[2.35,48.85]}}}`,
	},
	{
		name: "create concise with json and Link and tenant", method: "POST", target: "/entities",
		contentType: "application/json",
		headers: map[string]string{
			"Link":          `<https://example.org/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`,
			"NGSILD-Tenant": "lyon",
		},
		body: `{"id":"urn:ngsi-ld:Room:1","type":["Room","Space"],"temperature":21.5,
			"name":{"value":"Salle 1"},"isPartOf":{"object":"urn:ngsi-ld:Building:1"},
			"tags":["a","b"],"reading":[{"value":1,"datasetId":"urn:ngsi-ld:Dataset:a"},{"value":2}]}`,
	},
	{
		name: "create without type", method: "POST", target: "/entities",
		contentType: "application/json", body: `{"id":"urn:ngsi-ld:Room:1"}`, wantErr: true,
	},
	{
		name: "create with a type that is not a string", method: "POST", target: "/entities",
		contentType: "application/json", body: `{"id":"urn:ngsi-ld:Room:1","type":42}`, wantErr: true,
	},
	{
		name: "create with a body that is not JSON", method: "POST", target: "/entities",
		contentType: "application/json", body: `{"id": "urn:ngsi-ld:Room:1",`, wantErr: true,
	},
	{
		name: "create with an unsupported media type", method: "POST", target: "/entities",
		contentType: "text/plain", body: `{"id":"urn:ngsi-ld:Room:1","type":"Room"}`, wantErr: true,
	},
	{
		name: "create without body", method: "POST", target: "/entities",
		contentType: "application/json", wantErr: true,
	},
	{
		name: "query with all parameters", method: "GET",
		target: "/entities?id=urn:ngsi-ld:Room:1,urn:ngsi-ld:Room:2&type=Room%7CSpace&idPattern=.*&attrs=temperature,name" +
			"&q=temperature%3E20&limit=10&offset=0&count=true&options=keyValues,sysAttrs&format=concise" +
			"&lang=fr&pick=id,type,name&omit=tags&orderBy=temperature;desc",
	},
	{name: "query with negative limit", method: "GET", target: "/entities?limit=-1", wantErr: true},
	{name: "query with negative offset", method: "GET", target: "/entities?offset=-5", wantErr: true},
	{name: "query with non-numeric limit", method: "GET", target: "/entities?limit=ten", wantErr: true},
	{name: "query with limit zero and count", method: "GET", target: "/entities?type=Room&limit=0&count=true"},
	{name: "query with unknown option", method: "GET", target: "/entities?options=keyValues,bogus", wantErr: true},
	{name: "query with unknown format", method: "GET", target: "/entities?format=geojson", wantErr: true},
	{name: "query with non-boolean count", method: "GET", target: "/entities?count=yes", wantErr: true},
	{name: "retrieve", method: "GET", target: "/entities/urn:ngsi-ld:Room:1?options=concise&attrs=temperature"},
	{name: "retrieve with format simplified", method: "GET", target: "/entities/urn:ngsi-ld:Room:1?format=simplified"},
	{
		name: "replace entity", method: "PUT", target: "/entities/urn:ngsi-ld:Room:1",
		contentType: "application/json", body: `{"type":"Room","temperature":20}`,
	},
	{
		name: "merge with merge-patch", method: "PATCH", target: "/entities/urn:ngsi-ld:Room:1",
		contentType: "application/merge-patch+json", body: `{"temperature":"urn:ngsi-ld:null","name":"Salle"}`,
	},
	{
		name: "merge with a non-object body", method: "PATCH", target: "/entities/urn:ngsi-ld:Room:1",
		contentType: "application/json", body: `[1,2]`, wantErr: true,
	},
	{name: "delete entity with type", method: "DELETE", target: "/entities/urn:ngsi-ld:Room:1?type=Room"},
	{
		name: "append with noOverwrite", method: "POST", target: "/entities/urn:ngsi-ld:Room:1/attrs?options=noOverwrite",
		contentType: "application/json", body: `{"humidity":{"type":"Property","value":40}}`,
	},
	{
		name: "append with merge-patch is unsupported", method: "POST", target: "/entities/urn:ngsi-ld:Room:1/attrs",
		contentType: "application/merge-patch+json", body: `{"humidity":40}`, wantErr: true,
	},
	{
		name: "update attrs", method: "PATCH", target: "/entities/urn:ngsi-ld:Room:1/attrs",
		contentType: "application/json", body: `{"temperature":{"type":"Property","value":19}}`,
	},
	{
		name: "partial attribute update", method: "PATCH", target: "/entities/urn:ngsi-ld:Room:1/attrs/temperature",
		contentType: "application/json", body: `{"value":19,"observedAt":"2026-03-01T10:00:00Z"}`,
	},
	{
		name: "replace attribute", method: "PUT", target: "/entities/urn:ngsi-ld:Room:1/attrs/temperature",
		contentType: "application/ld+json", body: `{"type":"Property","value":19}`,
	},
	{
		name: "delete attribute instance", method: "DELETE",
		target: "/entities/urn:ngsi-ld:Room:1/attrs/reading?datasetId=urn:ngsi-ld:Dataset:a",
	},
	{name: "delete all attribute instances", method: "DELETE", target: "/entities/urn:ngsi-ld:Room:1/attrs/reading?deleteAll=true"},
	{name: "delete attribute with bad deleteAll", method: "DELETE", target: "/entities/urn:ngsi-ld:Room:1/attrs/reading?deleteAll=maybe", wantErr: true},
	{
		name: "batch create", method: "POST", target: "/entityOperations/create",
		contentType: "application/json", body: `[{"id":"urn:ngsi-ld:Room:1","type":"Room"},{"id":"urn:ngsi-ld:Room:2","type":"Room","t":1}]`,
	},
	{
		name: "batch create with a body that is not an array", method: "POST", target: "/entityOperations/create",
		contentType: "application/json", body: `{"id":"urn:ngsi-ld:Room:1","type":"Room"}`, wantErr: true,
	},
	{
		name: "batch upsert with update", method: "POST", target: "/entityOperations/upsert?options=update",
		contentType: "application/ld+json", body: `[{"id":"urn:ngsi-ld:Room:1","type":"Room","@context":"https://example.org/ctx.jsonld"}]`,
	},
	{
		name: "batch upsert with noOverwrite", method: "POST", target: "/entityOperations/upsert?options=noOverwrite",
		contentType: "application/json", body: `[]`, wantErr: true,
	},
	{
		name: "batch update", method: "POST", target: "/entityOperations/update?options=noOverwrite",
		contentType: "application/json", body: `[{"id":"urn:ngsi-ld:Room:1","temperature":3}]`,
	},
	{
		// Items are checked one by one by the server and reported in the
		// BatchOperationResult, so the array schema lets this through.
		name: "batch update item without id", method: "POST", target: "/entityOperations/update",
		contentType: "application/json", body: `[{"temperature":3}]`,
	},
	{
		name: "batch delete", method: "POST", target: "/entityOperations/delete",
		contentType: "application/json", body: `["urn:ngsi-ld:Room:1","urn:ngsi-ld:Room:2"]`,
	},
	{
		name: "batch delete with objects", method: "POST", target: "/entityOperations/delete",
		contentType: "application/json", body: `[{"id":"urn:ngsi-ld:Room:1"}]`, wantErr: true,
	},
	{
		name: "batch merge", method: "POST", target: "/entityOperations/merge",
		contentType: "application/json", body: `[{"id":"urn:ngsi-ld:Room:1","temperature":3}]`,
	},
	{name: "types", method: "GET", target: "/types"},
	{name: "types with details", method: "GET", target: "/types?details=true"},
	{name: "type info", method: "GET", target: "/types/Room"},
	{name: "attributes with details", method: "GET", target: "/attributes?details=false"},
	{name: "attribute info", method: "GET", target: "/attributes/temperature"},
}

func newRequest(t *testing.T, c validationCase) *http.Request {
	t.Helper()
	r := httptest.NewRequest(c.method, "http://broker.example:1026/ngsi-ld/v1"+c.target, strings.NewReader(c.body))
	if c.contentType != "" {
		r.Header.Set("Content-Type", c.contentType)
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestRequestValidation(t *testing.T) {
	doc := mustLoad(t)
	// The gorillamux router matches the relative server URL under any host. (The legacy
	// router of kin-openapi does not match a relative server URL against absolute requests.)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	for _, c := range validationCases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest(t, c)
			route, pathParams, err := router.FindRoute(r)
			if err != nil {
				t.Fatalf("FindRoute(%s %s): %v", c.method, c.target, err)
			}
			err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
				Request:    r,
				PathParams: pathParams,
				Route:      route,
			})
			if (err != nil) != c.wantErr {
				t.Errorf("ValidateRequest error = %v, want error: %v", err, c.wantErr)
			}
			if err != nil {
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
}

func TestRoutesOutsideTheAPI(t *testing.T) {
	doc := mustLoad(t)
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/healthz", "/ngsi-ld/v1/csourceRegistrations"} {
		r := httptest.NewRequest("GET", "http://broker.example"+target, nil)
		if _, _, err := router.FindRoute(r); !errors.Is(err, routers.ErrPathNotFound) {
			t.Errorf("FindRoute(%s) error = %v, want ErrPathNotFound", target, err)
		}
	}
	r := httptest.NewRequest("PUT", "http://broker.example/ngsi-ld/v1/types", nil)
	if _, _, err := router.FindRoute(r); !errors.Is(err, routers.ErrMethodNotAllowed) {
		t.Errorf("FindRoute(PUT /types) error = %v, want ErrMethodNotAllowed", err)
	}
}

// TestOptionsParsing shows how a comma-separated options value is decoded: as an array of
// enumerated strings, so options=keyValues,sysAttrs passes and an unknown value does not.
func TestOptionsParsing(t *testing.T) {
	doc := mustLoad(t)
	p := doc.Components.Parameters["Options"].Value
	if p.In != "query" || p.Name != "options" || p.Style != "form" || p.Explode == nil || *p.Explode {
		t.Fatalf("options is not a form, non-exploded query parameter: %+v", p)
	}
	if got := p.Schema.Value.Items.Value.Enum; len(got) != 4 {
		t.Errorf("options values = %v, want 4", got)
	}
}
