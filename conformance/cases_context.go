package conformance

import (
	"net/http"
	"strings"

	"github.com/opentid/opentid/spec"
)

func contextCases() []Case {
	return []Case{
		coreCase("context-member", "The @context member of an application/ld+json body is applied",
			[]string{"context-member", "context-compaction"}, caseContextMember),
		coreCase("context-link", "The @context of a Link header is applied to requests and responses",
			[]string{"context-link", "context-compaction"}, caseContextLink),
		coreCase("context-response", "Responses state their @context", []string{"context-response"}, caseContextResponse),
		coreCase("context-cross", "An entity created under one @context is read under another", []string{"context-cross", "context-compaction"}, caseContextCross),
		coreCase("context-ldjson-without-context", "application/ld+json without @context is refused",
			[]string{"context-ldjson-without-context"}, caseContextLDJSONWithoutContext),
		coreCase("context-link-with-ldjson", "A Link header with an application/ld+json body is refused",
			[]string{"context-link-with-ldjson"}, caseContextLinkWithLDJSON),
		coreCase("context-core-precedence", "The core @context wins over a user @context", []string{"context-core-precedence"}, caseContextCorePrecedence),
		coreCase("context-unavailable", "An unreachable @context is a 504 LdContextNotAvailable", []string{"context-unavailable"}, caseContextUnavailable),
	}
}

const (
	reqContextMember     spec.ReqID = "/req/core/context-member"
	reqContextLink       spec.ReqID = "/req/core/context-link"
	reqContextResponse   spec.ReqID = "/req/core/context-response"
	reqContextCross      spec.ReqID = "/req/core/context-cross"
	reqContextNoContext  spec.ReqID = "/req/core/context-ldjson-without-context"
	reqContextLinkLDJSON spec.ReqID = "/req/core/context-link-with-ldjson"
	reqContextCore       spec.ReqID = "/req/core/context-core-precedence"
	reqContextMissing    spec.ReqID = "/req/core/context-unavailable"
)

// iri returns an IRI unique to the case for a term.
func (t *T) iri(term string) string {
	return iriBase + strings.ReplaceAll(t.prefix, ":", "-") + "/" + term
}

// ldRequest sends body, with its @context member, as application/ld+json.
func ldRequest(method, path string, body Obj, ctx any) Request {
	b := Obj{"@context": ctx}
	for k, v := range body {
		b[k] = v
	}
	return Request{Method: method, Path: path, Header: header("Content-Type", MediaJSONLD, "Accept", MediaJSON), Body: mustJSON(b)}
}

// withLink adds a JSON-LD context Link header.
func withLink(r Request, ctxURL string) Request {
	if r.Header == nil {
		r.Header = header()
	}
	r.Header.Set("Link", linkHeader(ctxURL))
	return r
}

// probe is an entity whose type and attribute are user terms.
func probe(id, typ, attrName string) Obj {
	return Obj{"id": id, "type": typ, attrName: Prop(12.5), "name": Prop("sonde")}
}

func caseContextMember(t *T) {
	id := t.EntityID("probe")
	ctx := Obj{"Probe": t.iri("Probe"), "reading": t.iri("reading")}
	resp := t.Do(ldRequest(http.MethodPost, "/entities", probe(id, "Probe", "reading"), ctx))
	if !t.expectStatus(resp, reqContextMember, http.StatusCreated) {
		t.Stop()
	}
	// Read back without a user context: the user terms come back as IRIs.
	e := t.getEntity(id, nil, reqContextMember)
	t.Expect(e["type"] == t.iri("Probe"), reqContextMember, "the type must be expanded with the @context member", t.iri("Probe"), show(e["type"]))
	t.expectHasAttr(e, t.iri("reading"), reqContextMember)
	t.expectHasAttr(e, "name", reqContextCompact)
}

func caseContextLink(t *T) {
	id := t.EntityID("probe")
	ctxURL := t.ServeContext("link", Obj{"Probe": t.iri("Probe"), "reading": t.iri("reading")})
	resp := t.Do(withLink(JSONRequest(http.MethodPost, "/entities", probe(id, "Probe", "reading")), ctxURL))
	if !t.expectStatus(resp, reqContextLink, http.StatusCreated) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqContextLink)
	t.Expect(e["type"] == t.iri("Probe"), reqContextLink, "the type must be expanded with the Link header's @context", t.iri("Probe"), show(e["type"]))
	t.expectHasAttr(e, t.iri("reading"), reqContextLink)

	resp = t.Do(withLink(GetRequest(EntityPath(id), nil), ctxURL))
	if !t.expectStatus(resp, reqContextCompact, http.StatusOK) {
		t.Stop()
	}
	e = resp.Object()
	t.Expect(e["type"] == "Probe", reqContextCompact, "the type must be compacted with the request's @context", "Probe", show(e["type"]))
	t.expectHasAttr(e, "reading", reqContextCompact)
	resp = t.Do(withLink(GetRequest("/entities", query("type", "Probe", "attrs", "reading")), ctxURL))
	t.expectIDs(resp, reqContextLink, id)
}

func caseContextResponse(t *T) {
	id := t.newSensor("sensor")
	resp := t.Do(GetRequest(EntityPath(id), nil))
	if t.expectStatus(resp, reqContextResponse, http.StatusOK) {
		link := resp.Header.Get("Link")
		t.Expect(strings.Contains(link, jsonldContextRel), reqContextResponse,
			"an application/json response must carry a JSON-LD context Link header", `<...>; rel="`+jsonldContextRel+`"`, link)
		_, has := resp.Object()["@context"]
		t.Expect(!has, reqContextResponse, "an application/json response carries no @context member", "no @context", show(resp.Object()["@context"]))
	}
	req := GetRequest(EntityPath(id), nil)
	req.Header.Set("Accept", MediaJSONLD)
	resp = t.Do(req)
	if t.expectStatus(resp, reqContextResponse, http.StatusOK) {
		t.Expect(resp.MediaType() == MediaJSONLD, reqContextResponse, "the response must be application/ld+json when asked", MediaJSONLD, resp.MediaType())
		_, has := resp.Object()["@context"]
		t.Expect(has, reqContextResponse, "an application/ld+json entity must carry its @context", "an @context member", "none")
	}
	req = GetRequest("/entities", query("type", t.Name("OtcSensor")))
	req.Header.Set("Accept", MediaJSONLD)
	resp = t.Do(req)
	if t.expectStatus(resp, reqContextResponse, http.StatusOK) && t.Expect(len(resp.Array()) == 1, reqContextResponse, "the query must return the entity", "1 entity", string(resp.Body)) {
		e, _ := resp.Array()[0].(map[string]any)
		_, has := e["@context"]
		t.Expect(has, reqContextResponse, "each application/ld+json entity of a query must carry its @context", "an @context member", show(e))
	}
}

func caseContextCross(t *T) {
	id := t.EntityID("probe")
	a := Obj{"Probe": t.iri("Probe"), "reading": t.iri("reading")}
	resp := t.Do(ldRequest(http.MethodPost, "/entities", probe(id, "Probe", "reading"), a))
	if !t.expectStatus(resp, reqContextMember, http.StatusCreated) {
		t.Stop()
	}
	b := t.ServeContext("other", Obj{"Gauge": t.iri("Probe"), "level": t.iri("reading")})
	resp = t.Do(withLink(GetRequest(EntityPath(id), nil), b))
	if !t.expectStatus(resp, reqContextCross, http.StatusOK) {
		t.Stop()
	}
	e := resp.Object()
	t.Expect(e["type"] == "Gauge", reqContextCross, "the type must come back with the term of the reading context", "Gauge", show(e["type"]))
	t.expectHasAttr(e, "level", reqContextCross)
	t.expectNoAttr(e, "reading", reqContextCross)
	resp = t.Do(withLink(GetRequest("/entities", query("type", "Gauge")), b))
	t.expectIDs(resp, reqContextCross, id)
}

func caseContextLDJSONWithoutContext(t *T) {
	id := t.EntityID("probe")
	resp := t.Do(Request{Method: http.MethodPost, Path: "/entities", Header: header("Content-Type", MediaJSONLD),
		Body: mustJSON(sensor(id, t.Name("OtcSensor")))})
	t.expectProblem(resp, reqContextNoContext, http.StatusBadRequest, spec.ProblemBadRequestData)
	resp = t.Do(GetRequest(EntityPath(id), nil))
	t.Expect(resp.Status == http.StatusNotFound, reqContextNoContext, "the refused entity must not be stored", "404", show(resp.Status))
}

func caseContextLinkWithLDJSON(t *T) {
	id := t.EntityID("probe")
	req := withLink(ldRequest(http.MethodPost, "/entities", sensor(id, t.Name("OtcSensor")), coreContextURL), coreContextURL)
	resp := t.Do(req)
	t.expectProblem(resp, reqContextLinkLDJSON, http.StatusBadRequest, spec.ProblemBadRequestData)
}

func caseContextCorePrecedence(t *T) {
	id := t.EntityID("probe")
	body := Obj{"id": id, "type": t.Name("OtcSensor"), "location": Point(2.35, 48.85)}
	resp := t.Do(ldRequest(http.MethodPost, "/entities", body, Obj{"location": t.iri("location")}))
	if !t.expectStatus(resp, reqContextCore, http.StatusCreated) {
		t.Stop()
	}
	e := t.getEntity(id, nil, reqContextCore)
	t.expectHasAttr(e, "location", reqContextCore)
	t.expectNoAttr(e, t.iri("location"), reqContextCore)
}

func caseContextUnavailable(t *T) {
	id := t.EntityID("probe")
	bad := t.UnreachableContextURL()
	resp := t.Do(withLink(JSONRequest(http.MethodPost, "/entities", sensor(id, t.Name("OtcSensor"))), bad))
	t.expectProblem(resp, reqContextMissing, http.StatusGatewayTimeout, spec.ProblemLdContextNotAvailable)
	resp = t.Do(GetRequest(EntityPath(id), nil))
	t.Expect(resp.Status == http.StatusNotFound, reqContextMissing, "a request whose @context is unavailable must not be processed", "404", show(resp.Status))
	resp = t.Do(withLink(GetRequest("/entities", query("type", t.Name("OtcSensor"))), bad))
	t.expectProblem(resp, reqContextMissing, http.StatusGatewayTimeout, spec.ProblemLdContextNotAvailable)
}
