package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/opentid/opentid/spec"
)

func discoveryCases() []Case {
	return []Case{
		coreCase("types-list", "GET /types lists the types in use", []string{"types-list"}, caseTypesList),
		coreCase("type-info", "GET /types/{type} describes a type", []string{"type-info"}, caseTypeInfo),
		coreCase("attributes-list", "GET /attributes lists the attributes in use", []string{"attributes-list"}, caseAttributesList),
		coreCase("attribute-info", "GET /attributes/{attrId} describes an attribute", []string{"attribute-info"}, caseAttributeInfo),
	}
}

func queryCases() []Case {
	return []Case{
		coreCase("query-type", "Query by type", []string{"query-type"}, caseQueryType),
		coreCase("query-id", "Query by a list of ids", []string{"query-id"}, caseQueryID),
		coreCase("query-id-pattern", "Query by an id pattern", []string{"query-id-pattern"}, caseQueryIDPattern),
		coreCase("query-attrs", "Query with attrs", []string{"query-attrs"}, caseQueryAttrs),
		coreCase("query-pagination", "Pages with limit and offset", []string{"query-pagination"}, caseQueryPagination),
		coreCase("query-count", "count=true gives NGSILD-Results-Count", []string{"query-count"}, caseQueryCount),
	}
}

const (
	reqTypesList    spec.ReqID = "/req/core/types-list"
	reqTypeInfo     spec.ReqID = "/req/core/type-info"
	reqAttrsList    spec.ReqID = "/req/core/attributes-list"
	reqAttrInfo     spec.ReqID = "/req/core/attribute-info"
	reqQueryType    spec.ReqID = "/req/core/query-type"
	reqQueryID      spec.ReqID = "/req/core/query-id"
	reqQueryPattern spec.ReqID = "/req/core/query-id-pattern"
	reqQueryAttrs   spec.ReqID = "/req/core/query-attrs"
	reqQueryPages   spec.ReqID = "/req/core/query-pagination"
	reqQueryCount   spec.ReqID = "/req/core/query-count"
)

// gauge creates an entity of type typ with one Property named attrName.
func (t *T) gauge(name, typ, attrName string) string {
	id := t.EntityID(name)
	t.create(Obj{"id": id, "type": typ, attrName: Prop(1), "isPartOf": Rel(buildingID)})
	return id
}

func (t *T) getObject(path string, req spec.ReqID) Obj {
	resp := t.Do(GetRequest(path, nil))
	if !t.expectStatus(resp, req, http.StatusOK) || !t.Expect(resp.Object() != nil, req, "the body must be a JSON object", "an object", string(resp.Body)) {
		t.Stop()
	}
	return resp.Object()
}

func caseTypesList(t *T) {
	typ := t.Name("OtcGauge")
	t.gauge("g", typ, "level")
	list := strList(t.getObject("/types", reqTypesList)["typeList"])
	t.Expect(slices.Contains(list, typ), reqTypesList, "typeList must hold the type in use, compacted", typ, strings.Join(list, ", "))
}

func caseTypeInfo(t *T) {
	typ := t.Name("OtcGauge")
	t.gauge("a", typ, "level")
	t.gauge("b", typ, "level")
	info := t.getObject("/types/"+url.PathEscape(typ), reqTypeInfo)
	t.Expect(info["typeName"] == typ, reqTypeInfo, "typeName", typ, show(info["typeName"]))
	t.Expect(fmt.Sprint(info["entityCount"]) == "2", reqTypeInfo, "entityCount", "2", show(info["entityCount"]))
	found := map[string][]string{}
	details, _ := info["attributeDetails"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		n, _ := m["attributeName"].(string)
		found[n] = strList(m["attributeTypes"])
	}
	t.Expect(slices.Contains(found["level"], "Property") && slices.Contains(found["isPartOf"], "Relationship"), reqTypeInfo,
		"attributeDetails must describe the attributes and their types", "level: Property, isPartOf: Relationship", show(info["attributeDetails"]))
	resp := t.Do(GetRequest("/types/"+url.PathEscape(t.Name("OtcNoSuchType")), nil))
	t.expectProblem(resp, reqTypeInfo, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseAttributesList(t *T) {
	name := t.Name("otcLevel")
	t.gauge("g", t.Name("OtcGauge"), name)
	list := strList(t.getObject("/attributes", reqAttrsList)["attributeList"])
	t.Expect(slices.Contains(list, name), reqAttrsList, "attributeList must hold the attribute in use, compacted", name, strings.Join(list, ", "))
}

func caseAttributeInfo(t *T) {
	name, typ := t.Name("otcLevel"), t.Name("OtcGauge")
	t.gauge("a", typ, name)
	t.gauge("b", typ, name)
	info := t.getObject("/attributes/"+url.PathEscape(name), reqAttrInfo)
	t.Expect(info["attributeName"] == name, reqAttrInfo, "attributeName", name, show(info["attributeName"]))
	t.Expect(fmt.Sprint(info["attributeCount"]) == "2", reqAttrInfo, "attributeCount", "2", show(info["attributeCount"]))
	t.Expect(slices.Contains(strList(info["attributeTypes"]), "Property"), reqAttrInfo, "attributeTypes", `["Property"]`, show(info["attributeTypes"]))
	t.Expect(slices.Contains(strList(info["typeNames"]), typ), reqAttrInfo, "typeNames", `["`+typ+`"]`, show(info["typeNames"]))
	resp := t.Do(GetRequest("/attributes/"+url.PathEscape(t.Name("otcNoSuchAttr")), nil))
	t.expectProblem(resp, reqAttrInfo, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseQueryType(t *T) {
	t1, t2 := t.Name("OtcGaugeA"), t.Name("OtcGaugeB")
	a, b := t.gauge("a", t1, "level"), t.gauge("b", t1, "level")
	c := t.gauge("c", t2, "level")
	t.expectIDs(t.Do(GetRequest("/entities", query("type", t1))), reqQueryType, a, b)
	t.expectIDs(t.Do(GetRequest("/entities", query("type", t2))), reqQueryType, c)
}

func caseQueryID(t *T) {
	typ := t.Name("OtcGauge")
	a, _, c := t.gauge("a", typ, "level"), t.gauge("b", typ, "level"), t.gauge("c", typ, "level")
	t.expectIDs(t.Do(GetRequest("/entities", query("type", typ, "id", a+","+c))), reqQueryID, a, c)
	t.expectIDs(t.Do(GetRequest("/entities", query("type", typ, "id", a))), reqQueryID, a)
}

func caseQueryIDPattern(t *T) {
	typ := t.Name("OtcGauge")
	a1, a2 := t.gauge("alpha-1", typ, "level"), t.gauge("alpha-2", typ, "level")
	t.gauge("beta-1", typ, "level")
	t.expectIDs(t.Do(GetRequest("/entities", query("type", typ, "idPattern", ".*:alpha-[0-9]+$"))), reqQueryPattern, a1, a2)
}

func caseQueryAttrs(t *T) {
	typ := t.Name("OtcGauge")
	a := t.gauge("a", typ, "level")
	b := t.EntityID("b")
	t.create(Obj{"id": b, "type": typ, "name": Prop("sans niveau")})
	resp := t.Do(GetRequest("/entities", query("type", typ, "attrs", "level")))
	if t.expectIDs(resp, reqQueryAttrs, a) {
		e, _ := resp.Array()[0].(map[string]any)
		t.expectHasAttr(e, "level", reqQueryAttrs)
		t.expectNoAttr(e, "isPartOf", reqQueryAttrs)
	}
}

// pagedFixture creates n entities of a fresh type.
func (t *T) pagedFixture(n int) (string, []string) {
	typ := t.Name("OtcGauge")
	var ids []string
	for i := range n {
		ids = append(ids, t.gauge(fmt.Sprintf("p%d", i), typ, "level"))
	}
	return typ, ids
}

func caseQueryPagination(t *T) {
	typ, ids := t.pagedFixture(5)
	var seen []string
	for _, p := range []struct{ offset, want int }{{0, 2}, {2, 2}, {4, 1}} {
		resp := t.Do(GetRequest("/entities", query("type", typ, "limit", "2", "offset", strconv.Itoa(p.offset))))
		if !t.expectStatus(resp, reqQueryPages, http.StatusOK) {
			t.Stop()
		}
		got := entityIDs(resp)
		t.Expect(len(got) == p.want, reqQueryPages, fmt.Sprintf("the page at offset %d with limit 2", p.offset), fmt.Sprintf("%d entities", p.want), fmt.Sprintf("%d: %s", len(got), strings.Join(got, ", ")))
		seen = append(seen, got...)
	}
	slices.Sort(seen)
	t.Expect(slices.Equal(seen, slices.Sorted(slices.Values(ids))), reqQueryPages, "the pages must hold every entity once", strings.Join(slices.Sorted(slices.Values(ids)), ", "), strings.Join(seen, ", "))
}

func caseQueryCount(t *T) {
	typ, _ := t.pagedFixture(3)
	resp := t.Do(GetRequest("/entities", query("type", typ, "count", "true", "limit", "1")))
	if !t.expectStatus(resp, reqQueryCount, http.StatusOK) {
		t.Stop()
	}
	t.Expect(resp.Header.Get(HeaderResultsCount) == "3", reqQueryCount, HeaderResultsCount+" must hold the total", "3", resp.Header.Get(HeaderResultsCount))
	t.Expect(len(resp.Array()) == 1, reqQueryCount, "the page size is still limit", "1 entity", fmt.Sprint(len(resp.Array())))
}
