package conformance

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opentid/opentid/spec"
)

func tenancyCases() []Case {
	return []Case{
		newCase(spec.ClassTenancy, "isolation", "Tenants are isolated", []string{"isolation"}, caseTenantIsolation),
		newCase(spec.ClassTenancy, "implicit-creation", "A tenant is created by its first write", []string{"implicit-creation"}, caseTenantImplicitCreation),
		newCase(spec.ClassTenancy, "nonexistent-tenant", "Reading an unknown tenant is a 404 NonexistentTenant", []string{"nonexistent-tenant"}, caseNonexistentTenant),
		newCase(spec.ClassTenancy, "default-tenant", "Requests without a tenant use the default tenant", []string{"default-tenant"}, caseDefaultTenant),
	}
}

const (
	reqIsolation   spec.ReqID = "/req/tenancy/isolation"
	reqImplicit    spec.ReqID = "/req/tenancy/implicit-creation"
	reqNonexistent spec.ReqID = "/req/tenancy/nonexistent-tenant"
	reqDefault     spec.ReqID = "/req/tenancy/default-tenant"
)

// inTenant sets the tenant of a request ("" for the default tenant).
func inTenant(r Request, tenant string) Request {
	if r.Header == nil {
		r.Header = header()
	}
	if tenant == "" {
		r.NoTenant = true
		r.Header.Del(HeaderTenant)
	} else {
		r.Header.Set(HeaderTenant, tenant)
	}
	return r
}

func caseTenantIsolation(t *T) {
	a, b := t.TenantName("a"), t.TenantName("b")
	typ := t.Name("OtcSensor")
	ea, eb := t.EntityID("in-a"), t.EntityID("in-b")
	t.createIn(sensor(ea, typ), a)
	t.createIn(sensor(eb, typ), b)

	for _, tenant := range []string{b, ""} {
		resp := t.Do(inTenant(GetRequest(EntityPath(ea), nil), tenant))
		t.Expect(resp.Status == http.StatusNotFound, reqIsolation, "an entity of tenant "+a+" must not be visible in tenant "+show(tenant), "404", show(resp.Status))
	}
	resp := t.Do(inTenant(GetRequest("/entities", query("type", typ)), b))
	t.expectIDs(resp, reqIsolation, eb)
	resp = t.Do(inTenant(Request{Method: http.MethodDelete, Path: EntityPath(ea)}, b))
	t.Expect(resp.Status == http.StatusNotFound, reqIsolation, "a deletion in tenant "+b+" must not reach tenant "+a, "404", show(resp.Status))
	resp = t.Do(inTenant(JSONRequest(http.MethodPatch, EntityPath(eb)+"/attrs", Obj{"temperature": Prop(99)}), a))
	t.Expect(resp.Status == http.StatusNotFound, reqIsolation, "an update in tenant "+a+" must not reach tenant "+b, "404", show(resp.Status))

	resp = t.Do(inTenant(GetRequest(EntityPath(ea), nil), a))
	if t.Expect(resp.Status == http.StatusOK, reqIsolation, "the entity must still exist in its own tenant", "200", show(resp.Status)) {
		t.expectAttrValue(resp.Object(), "temperature", 21.5, reqIsolation)
	}
	resp = t.Do(inTenant(GetRequest("/types", nil), ""))
	if resp.Status == http.StatusOK {
		list := strList(resp.Object()["typeList"])
		t.Expect(!slices.Contains(list, typ), reqIsolation, "the types of other tenants must not be listed in the default tenant", "no "+typ, strings.Join(list, ", "))
	}
}

func caseTenantImplicitCreation(t *T) {
	tenant := t.TenantName("new")
	id := t.EntityID("first")
	resp := t.Do(inTenant(JSONRequest(http.MethodPost, "/entities", sensor(id, t.Name("OtcSensor"))), tenant))
	if !t.expectStatus(resp, reqImplicit, http.StatusCreated) {
		t.Stop()
	}
	resp = t.Do(inTenant(GetRequest(EntityPath(id), nil), tenant))
	t.expectStatus(resp, reqImplicit, http.StatusOK)
	resp = t.Do(inTenant(GetRequest("/entities", query("type", t.Name("OtcSensor"))), tenant))
	t.expectIDs(resp, reqImplicit, id)
}

func caseNonexistentTenant(t *T) {
	tenant := t.TenantName("never")
	for _, r := range []Request{
		GetRequest(EntityPath(t.EntityID("x")), nil),
		GetRequest("/entities", query("type", t.Name("OtcSensor"))),
		GetRequest("/types", nil),
		GetRequest("/attributes", nil),
	} {
		resp := t.Do(inTenant(r, tenant))
		t.expectProblem(resp, reqNonexistent, http.StatusNotFound, spec.ProblemNonexistentTenant)
	}
}

func caseDefaultTenant(t *T) {
	for _, r := range []Request{
		GetRequest("/entities", query("type", t.Name("OtcSensor"))),
		GetRequest("/types", nil),
		GetRequest(EntityPath(t.EntityID("x")), nil),
	} {
		resp := t.Do(inTenant(r, ""))
		t.Expect(resp.Status == http.StatusOK || (resp.Status == http.StatusNotFound && resp.Object()["type"] == problemURI(spec.ProblemResourceNotFound)),
			reqDefault, "the default tenant always exists", "200, or 404 ResourceNotFound for a missing entity", show(resp.Status)+" "+string(resp.Body))
	}
}
