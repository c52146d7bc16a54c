package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/opentid/opentid/spec"
)

// Requirement IDs the helpers cite.
const (
	reqCreate         spec.ReqID = "/req/core/entity-create"
	reqRetrieve       spec.ReqID = "/req/core/entity-retrieve"
	reqProblemDetails spec.ReqID = "/req/core/problem-details"
	reqErrorStatus    spec.ReqID = "/req/core/error-status"
	reqNormalized     spec.ReqID = "/req/core/repr-normalized"
	reqContextCompact spec.ReqID = "/req/core/context-compaction"
	iriBase                      = "https://example.org/opentid/conformance/"
	coreContextURL               = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
	buildingID                   = "urn:ngsi-ld:Building:opentid-conformance"
)

// Obj is a JSON object under construction.
type Obj = map[string]any

// Prop is a normalized Property.
func Prop(v any) Obj { return Obj{"type": "Property", "value": v} }

// Rel is a normalized Relationship.
func Rel(object string) Obj { return Obj{"type": "Relationship", "object": object} }

// Point is a normalized GeoProperty holding a point.
func Point(lon, lat float64) Obj {
	return Obj{"type": "GeoProperty", "value": Obj{"type": "Point", "coordinates": []any{lon, lat}}}
}

// sensor is the entity most cases work on: a Property with a unit, a text
// Property, a Relationship and a GeoProperty.
func sensor(id, typ string) Obj {
	return Obj{
		"id": id, "type": typ,
		"temperature": Obj{"type": "Property", "value": 21.5, "unitCode": "CEL"},
		"name":        Prop("Capteur 1"),
		"isPartOf":    Rel(buildingID),
		"location":    Point(-1.5536, 47.2184),
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

// linkHeader is the JSON-LD context Link header for a context URL.
func linkHeader(ctxURL string) string {
	return fmt.Sprintf(`<%s>; rel="%s"; type="%s"`, ctxURL, jsonldContextRel, MediaJSONLD)
}

// JSONRequest sends body as application/json.
func JSONRequest(method, path string, body any) Request {
	return Request{Method: method, Path: path, Header: header("Content-Type", MediaJSON, "Accept", MediaJSON), Body: mustJSON(body)}
}

// GetRequest is a GET that accepts application/json.
func GetRequest(path string, q url.Values) Request {
	return Request{Method: http.MethodGet, Path: path, Query: q, Header: header("Accept", MediaJSON)}
}

func query(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return q
}

// create creates an entity as a precondition and ends the case if the
// server refuses it.
func (t *T) create(e Obj) {
	t.createIn(e, "")
}

func (t *T) createIn(e Obj, tenant string) {
	req := JSONRequest(http.MethodPost, "/entities", e)
	if tenant != "" {
		req.Header.Set(HeaderTenant, tenant)
	}
	resp := t.Do(req)
	if resp.Status != http.StatusCreated {
		t.Fatalf(reqCreate, "creating the entity %v: status %d, want 201", e["id"], resp.Status)
	}
}

// getEntity retrieves an entity and ends the case unless it is a 200 with
// a JSON object.
func (t *T) getEntity(id string, q url.Values, req spec.ReqID) Obj {
	resp := t.Do(GetRequest(EntityPath(id), q))
	if resp.Status != http.StatusOK {
		t.Fatalf(req, "retrieving %s: status %d, want 200", id, resp.Status)
	}
	e := resp.Object()
	if e == nil {
		t.Fatalf(req, "retrieving %s: the body is not a JSON object", id)
	}
	return e
}

// expectStatus checks the status code.
func (t *T) expectStatus(resp *Response, req spec.ReqID, want ...int) bool {
	return t.Expect(slices.Contains(want, resp.Status), req, "unexpected status code",
		strings.Trim(fmt.Sprint(want), "[]"), fmt.Sprint(resp.Status))
}

// problemURI is the type URI of an NGSI-LD error type.
func problemURI(name string) string {
	if p, ok := spec.Problem(name); ok {
		return p.URI
	}
	return "https://uri.etsi.org/ngsi-ld/errors/" + name
}

// expectProblem checks an error response: the status, a ProblemDetails
// body, and its type among types (any type when none given). Status and
// type failures cite req.
func (t *T) expectProblem(resp *Response, req spec.ReqID, status int, types ...string) bool {
	ok := t.expectStatus(resp, req, status)
	ok = t.checkProblemBody(resp) && ok
	if len(types) > 0 {
		got, _ := resp.Object()["type"].(string)
		want := make([]string, len(types))
		for i, n := range types {
			want[i] = problemURI(n)
		}
		ok = t.Expect(slices.Contains(want, got), req, "wrong error type", strings.Join(want, " or "), got) && ok
	}
	return ok
}

// checkProblemBody checks the ProblemDetails shape and that the type's
// status is the one NGSI-LD assigns.
func (t *T) checkProblemBody(resp *Response) bool {
	mt := resp.MediaType()
	if !t.Expect(mt == MediaJSON || mt == "application/problem+json", reqProblemDetails,
		"an error response must be JSON", "application/json or application/problem+json", mt) {
		return false
	}
	obj := resp.Object()
	if !t.Expect(obj != nil, reqProblemDetails, "an error body must be a JSON object", "a ProblemDetails object", string(resp.Body)) {
		return false
	}
	typ, _ := obj["type"].(string)
	u, err := url.Parse(typ)
	if !t.Expect(err == nil && u.IsAbs(), reqProblemDetails, "the ProblemDetails type must be an absolute URI", "an absolute URI", fmt.Sprintf("%q", typ)) {
		return false
	}
	for _, p := range spec.Problems() {
		if p.URI == typ {
			return t.Expect(p.Status == resp.Status, reqErrorStatus, "the status does not match the error type "+p.Name,
				fmt.Sprint(p.Status), fmt.Sprint(resp.Status))
		}
	}
	return true
}

// jsonEqual compares JSON values whatever their Go representation.
func jsonEqual(a, b any) bool { return string(mustJSON(a)) == string(mustJSON(b)) }

func show(v any) string {
	if v == nil {
		return "nothing"
	}
	return string(mustJSON(v))
}

// attr returns the attribute name of entity e as an object, or nil.
func attr(e Obj, name string) Obj {
	a, _ := e[name].(map[string]any)
	return a
}

// expectAttrValue checks the value (or object) member of an attribute in
// the normalized representation.
func (t *T) expectAttrValue(e Obj, name string, want any, req spec.ReqID) bool {
	a := attr(e, name)
	var got any
	if a != nil {
		got = a["value"]
		if got == nil {
			got = a["object"]
		}
	}
	return t.Expect(got != nil && jsonEqual(got, want), req, fmt.Sprintf("attribute %q of %v", name, e["id"]), show(want), show(got))
}

// expectNoAttr checks that an attribute is absent.
func (t *T) expectNoAttr(e Obj, name string, req spec.ReqID) bool {
	_, present := e[name]
	return t.Expect(!present, req, fmt.Sprintf("attribute %q of %v should not exist", name, e["id"]), "no attribute", show(e[name]))
}

// expectHasAttr checks that an attribute is present.
func (t *T) expectHasAttr(e Obj, name string, req spec.ReqID) bool {
	_, present := e[name]
	return t.Expect(present, req, fmt.Sprintf("attribute %q of %v is missing", name, e["id"]), "the attribute", "no attribute")
}

// entityIDs lists the ids of the entities of a query response.
func entityIDs(resp *Response) []string {
	var ids []string
	for _, v := range resp.Array() {
		if m, ok := v.(map[string]any); ok {
			if id, ok := m["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}

// expectIDs checks that a query returned exactly these entities.
func (t *T) expectIDs(resp *Response, req spec.ReqID, want ...string) bool {
	if !t.expectStatus(resp, req, http.StatusOK) {
		return false
	}
	if !t.Expect(resp.Array() != nil, req, "the query result must be a JSON array", "an array", string(resp.Body)) {
		return false
	}
	want = slices.Sorted(slices.Values(want))
	got := entityIDs(resp)
	return t.Expect(slices.Equal(got, want), req, "the query returned the wrong entities", strings.Join(want, ", "), strings.Join(got, ", "))
}

// strList turns a JSON array of strings into a Go slice.
func strList(v any) []string {
	var out []string
	switch x := v.(type) {
	case []any:
		for _, s := range x {
			if str, ok := s.(string); ok {
				out = append(out, str)
			}
		}
	case string:
		out = append(out, x)
	}
	return out
}

// sameTerm reports whether got names the term: the term itself or an IRI
// ending with it.
func sameTerm(got, term string) bool {
	return got == term || strings.HasSuffix(got, "/"+term) || strings.HasSuffix(got, "#"+term)
}
