package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/spec"
)

func temporalCases() []Case {
	c := func(name, title string, covers []string, run func(t *T)) Case {
		tc := newCase(spec.ClassTemporal, name, title, covers, run)
		tc.Since = "0.2.0"
		return tc
	}
	return []Case{
		c("record-changes", "Changes made through the entity API are kept as attribute instances", []string{"record-changes", "retrieve"}, caseTemporalRecordChanges),
		c("upsert", "Temporal provision records instances and creates the current state", []string{"upsert", "current-state", "retrieve"}, caseTemporalUpsert),
		c("add-attrs", "Instances are added to an existing temporal representation", []string{"add-attrs"}, caseTemporalAddAttrs),
		c("delete", "Temporal representations and attribute histories are deleted", []string{"delete", "delete-attr", "current-state"}, caseTemporalDelete),
		c("instances", "One attribute instance is updated and deleted by its instanceId", []string{"instance-patch", "instance-delete"}, caseTemporalInstances),
		c("timerel", "before, after and between select instances by time, whatever the offset", []string{"timerel", "timeproperty"}, caseTemporalTimerel),
		c("last-n", "lastN keeps the most recent instances", []string{"last-n"}, caseTemporalLastN),
		c("query", "Temporal queries select entities and page them", []string{"query", "query-post"}, caseTemporalQuery),
		c("simplified", "The simplified temporal representation lists [value, time] pairs", []string{"simplified"}, caseTemporalSimplified),
		c("aggregated", "Aggregated values per period", []string{"aggregated"}, caseTemporalAggregated),
		c("pagination", "Long histories are paged with Content-Range", []string{"pagination"}, caseTemporalPagination),
	}
}

const (
	reqTRecord     spec.ReqID = "/req/temporal/record-changes"
	reqTUpsert     spec.ReqID = "/req/temporal/upsert"
	reqTCurrent    spec.ReqID = "/req/temporal/current-state"
	reqTAddAttrs   spec.ReqID = "/req/temporal/add-attrs"
	reqTDelete     spec.ReqID = "/req/temporal/delete"
	reqTDeleteAttr spec.ReqID = "/req/temporal/delete-attr"
	reqTPatch      spec.ReqID = "/req/temporal/instance-patch"
	reqTDelInst    spec.ReqID = "/req/temporal/instance-delete"
	reqTRetrieve   spec.ReqID = "/req/temporal/retrieve"
	reqTTimerel    spec.ReqID = "/req/temporal/timerel"
	reqTTimeprop   spec.ReqID = "/req/temporal/timeproperty"
	reqTLastN      spec.ReqID = "/req/temporal/last-n"
	reqTQuery      spec.ReqID = "/req/temporal/query"
	reqTQueryPost  spec.ReqID = "/req/temporal/query-post"
	reqTSimplified spec.ReqID = "/req/temporal/simplified"
	reqTAggregated spec.ReqID = "/req/temporal/aggregated"
	reqTPagination spec.ReqID = "/req/temporal/pagination"
)

// temporalPath is the path of an entity's temporal representation.
func temporalPath(id string) string { return "/temporal/entities/" + url.PathEscape(id) }

// t0 is the time of the first reading of the temporal cases.
var temporalT0 = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

// readingAt is a Property instance observed i hours after temporalT0.
func readingAt(v any, i int) Obj {
	return Obj{"type": "Property", "value": v, "observedAt": temporalT0.Add(time.Duration(i) * time.Hour).Format(time.RFC3339)}
}

// temporalEntity is an entity with one instance per value, hourly.
func temporalEntity(id, typ string, values ...float64) Obj {
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = readingAt(v, i)
	}
	return Obj{"id": id, "type": typ, "noise": list}
}

// provide records a temporal entity as a precondition, and deletes its
// history when the case ends.
func (t *T) provide(e Obj) {
	resp := t.Do(JSONRequest(http.MethodPost, "/temporal/entities", e))
	if resp.Status != http.StatusCreated && resp.Status != http.StatusNoContent {
		t.Fatalf(reqTUpsert, "recording the temporal entity %v: status %d, want 201 or 204", e["id"], resp.Status)
	}
}

// dropHistory deletes the history of id; cases defer it.
func (t *T) dropHistory(id string) {
	t.run.client.do(t.ctx, &Request{Method: http.MethodDelete, Path: temporalPath(id), Header: header("Accept", MediaJSON)})
}

// history retrieves a temporal representation and ends the case unless it
// is a 200 (or 206) JSON object.
func (t *T) history(id string, q url.Values, req spec.ReqID) Obj {
	resp := t.Do(GetRequest(temporalPath(id), q))
	if resp.Status != http.StatusOK && resp.Status != http.StatusPartialContent {
		t.Fatalf(req, "retrieving the temporal evolution of %s: status %d, want 200", id, resp.Status)
	}
	e := resp.Object()
	if e == nil {
		t.Fatalf(req, "retrieving the temporal evolution of %s: the body is not a JSON object", id)
	}
	return e
}

// tinstances returns the instances of an attribute in the temporal
// representation.
func tinstances(e Obj, name string) []Obj {
	var out []Obj
	switch v := e[name].(type) {
	case []any:
		for _, it := range v {
			if o, ok := it.(map[string]any); ok {
				out = append(out, o)
			}
		}
	case map[string]any:
		out = append(out, v)
	}
	return out
}

// instanceValues lists the values of an attribute's instances.
func instanceValues(e Obj, name string) []any {
	var out []any
	for _, in := range tinstances(e, name) {
		out = append(out, in["value"])
	}
	return out
}

// pairs returns the [value, time] pairs of an attribute in the simplified
// temporal representation.
func pairs(e Obj, name, key string) []any {
	o, _ := e[name].(map[string]any)
	list, _ := o[key].([]any)
	return list
}

func nums(vs ...float64) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

func (t *T) expectValues(got []any, req spec.ReqID, msg string, want ...float64) bool {
	return t.Expect(jsonEqual(got, nums(want...)), req, msg, show(nums(want...)), show(got))
}

func caseTemporalRecordChanges(t *T) {
	id := t.EntityID("changes")
	defer t.dropHistory(id)
	e := Obj{"id": id, "type": t.Name("OtcSensor"), "noise": readingAt(1.0, 0)}
	t.create(e)
	resp := t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"noise": readingAt(2.0, 1)}))
	t.expectStatus(resp, reqTRecord, http.StatusNoContent)
	resp = t.Do(JSONRequest(http.MethodPost, "/entityOperations/upsert", []any{Obj{"id": id, "type": t.Name("OtcSensor"), "noise": readingAt(3.0, 2)}}))
	t.expectStatus(resp, reqTRecord, http.StatusNoContent, http.StatusCreated)
	h := t.history(id, nil, reqTRecord)
	t.expectValues(instanceValues(h, "noise"), reqTRecord, "every change must be an instance, in time order", 1, 2, 3)
	for _, in := range tinstances(h, "noise") {
		iid, _ := in["instanceId"].(string)
		t.Expect(strings.Contains(iid, ":"), reqTRetrieve, "every instance has an instanceId URI", "a URI", show(in["instanceId"]))
	}
	resp = t.Do(GetRequest(temporalPath(t.EntityID("never")), nil))
	t.expectProblem(resp, reqTRetrieve, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseTemporalUpsert(t *T) {
	id := t.EntityID("upsert")
	defer t.dropHistory(id)
	typ := t.Name("OtcSensor")
	resp := t.Do(JSONRequest(http.MethodPost, "/temporal/entities", temporalEntity(id, typ, 10, 11, 12)))
	if t.expectStatus(resp, reqTUpsert, http.StatusCreated) {
		t.Expect(strings.HasSuffix(resp.Header.Get("Location"), temporalPath(id)), reqTUpsert, "201 carries the Location of the temporal representation", temporalPath(id), resp.Header.Get("Location"))
	}
	resp = t.Do(JSONRequest(http.MethodPost, "/temporal/entities", Obj{"id": id, "type": typ, "noise": []any{readingAt(9.0, -5)}}))
	t.expectStatus(resp, reqTUpsert, http.StatusNoContent)
	h := t.history(id, nil, reqTRetrieve)
	gotType, _ := h["type"].(string)
	t.Expect(h["id"] == id && sameTerm(gotType, typ), reqTRetrieve, "the temporal representation names the entity", id+" "+typ, show(h["id"])+" "+show(h["type"]))
	t.expectValues(instanceValues(h, "noise"), reqTUpsert, "every instance must be recorded, in time order", 9, 10, 11, 12)
	cur := t.getEntity(id, nil, reqTCurrent)
	t.expectAttrValue(cur, "noise", 12.0, reqTCurrent)
}

func caseTemporalAddAttrs(t *T) {
	id := t.EntityID("add")
	defer t.dropHistory(id)
	t.provide(temporalEntity(id, t.Name("OtcSensor"), 1))
	resp := t.Do(JSONRequest(http.MethodPost, temporalPath(id)+"/attrs", Obj{"level": []any{readingAt(5.0, 0), readingAt(6.0, 1)}}))
	t.expectStatus(resp, reqTAddAttrs, http.StatusNoContent)
	h := t.history(id, nil, reqTAddAttrs)
	t.expectValues(instanceValues(h, "level"), reqTAddAttrs, "the added instances must be recorded", 5, 6)
	resp = t.Do(JSONRequest(http.MethodPost, temporalPath(t.EntityID("none"))+"/attrs", Obj{"level": []any{readingAt(5.0, 0)}}))
	t.expectProblem(resp, reqTAddAttrs, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseTemporalDelete(t *T) {
	id := t.EntityID("del")
	defer t.dropHistory(id)
	t.provide(temporalEntity(id, t.Name("OtcSensor"), 1, 2))
	resp := t.Do(JSONRequest(http.MethodPost, temporalPath(id)+"/attrs", Obj{"level": []any{readingAt(5.0, 0)}}))
	t.expectStatus(resp, reqTAddAttrs, http.StatusNoContent)

	resp = t.Do(Request{Method: http.MethodDelete, Path: temporalPath(id) + "/attrs/level"})
	t.expectStatus(resp, reqTDeleteAttr, http.StatusNoContent)
	h := t.history(id, nil, reqTDeleteAttr)
	t.Expect(h["level"] == nil, reqTDeleteAttr, "the attribute's history must be gone", "no level", show(h["level"]))
	t.expectValues(instanceValues(h, "noise"), reqTDeleteAttr, "other attributes must be kept", 1, 2)
	resp = t.Do(Request{Method: http.MethodDelete, Path: temporalPath(id) + "/attrs/level"})
	t.expectProblem(resp, reqTDeleteAttr, http.StatusNotFound, spec.ProblemResourceNotFound)

	// Deleting the entity keeps its history; deleting the history makes
	// it 404.
	resp = t.Do(Request{Method: http.MethodDelete, Path: EntityPath(id)})
	t.expectStatus(resp, reqTCurrent, http.StatusNoContent)
	resp = t.Do(GetRequest(temporalPath(id), nil))
	t.Expect(resp.Status == http.StatusOK, reqTCurrent, "deleting the entity must keep its history", "200", show(resp.Status))
	resp = t.Do(Request{Method: http.MethodDelete, Path: temporalPath(id)})
	t.expectStatus(resp, reqTDelete, http.StatusNoContent)
	resp = t.Do(GetRequest(temporalPath(id), nil))
	t.expectProblem(resp, reqTDelete, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseTemporalInstances(t *T) {
	id := t.EntityID("inst")
	defer t.dropHistory(id)
	t.provide(temporalEntity(id, t.Name("OtcSensor"), 1, 2, 3))
	list := tinstances(t.history(id, nil, reqTPatch), "noise")
	if len(list) != 3 {
		t.Fatalf(reqTRetrieve, "3 instances expected, got %d", len(list))
	}
	iid, _ := list[1]["instanceId"].(string)
	path := temporalPath(id) + "/attrs/noise/" + url.PathEscape(iid)
	resp := t.Do(JSONRequest(http.MethodPatch, path, Obj{"type": "Property", "value": 20.0}))
	t.expectStatus(resp, reqTPatch, http.StatusNoContent)
	h := t.history(id, nil, reqTPatch)
	t.expectValues(instanceValues(h, "noise"), reqTPatch, "the instance must be updated in place", 1, 20, 3)
	if after := tinstances(h, "noise"); len(after) == 3 {
		t.Expect(after[1]["instanceId"] == iid, reqTPatch, "the instance keeps its instanceId", iid, show(after[1]["instanceId"]))
	}
	resp = t.Do(JSONRequest(http.MethodPatch, temporalPath(id)+"/attrs/noise/"+url.PathEscape("urn:ngsi-ld:instance:none"), Obj{"type": "Property", "value": 1.0}))
	t.expectProblem(resp, reqTPatch, http.StatusNotFound, spec.ProblemResourceNotFound)

	resp = t.Do(Request{Method: http.MethodDelete, Path: path})
	t.expectStatus(resp, reqTDelInst, http.StatusNoContent)
	t.expectValues(instanceValues(t.history(id, nil, reqTDelInst), "noise"), reqTDelInst, "the instance must be gone", 1, 3)
	resp = t.Do(Request{Method: http.MethodDelete, Path: path})
	t.expectProblem(resp, reqTDelInst, http.StatusNotFound, spec.ProblemResourceNotFound)
}

func caseTemporalTimerel(t *T) {
	id := t.EntityID("timerel")
	defer t.dropHistory(id)
	t.provide(temporalEntity(id, t.Name("OtcSensor"), 0, 1, 2, 3, 4, 5))
	at := func(i int) string { return temporalT0.Add(time.Duration(i) * time.Hour).Format(time.RFC3339) }
	paris := func(i int) string {
		return temporalT0.Add(time.Duration(i) * time.Hour).In(time.FixedZone("", 2*3600)).Format(time.RFC3339)
	}
	for _, tc := range []struct {
		q    url.Values
		want []float64
	}{
		{query("timerel", "before", "timeAt", at(2)), []float64{0, 1}},
		{query("timerel", "after", "timeAt", at(4)), []float64{4, 5}},
		{query("timerel", "between", "timeAt", at(1), "endTimeAt", at(3)), []float64{1, 2}},
		{query("timerel", "between", "timeAt", paris(1), "endTimeAt", paris(3)), []float64{1, 2}},
	} {
		h := t.history(id, tc.q, reqTTimerel)
		t.expectValues(instanceValues(h, "noise"), reqTTimerel, "instances selected by "+tc.q.Encode(), tc.want...)
	}
	resp := t.Do(GetRequest(temporalPath(id), query("timerel", "between", "timeAt", at(1))))
	t.expectProblem(resp, reqTTimerel, http.StatusBadRequest, spec.ProblemBadRequestData)
	resp = t.Do(GetRequest(temporalPath(id), query("timerel", "before")))
	t.expectProblem(resp, reqTTimerel, http.StatusBadRequest, spec.ProblemBadRequestData)

	// Every instance was recorded after the start of the case: all are
	// after it by createdAt, none by observedAt.
	start := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	h := t.history(id, query("timerel", "after", "timeAt", start, "timeproperty", "createdAt"), reqTTimeprop)
	t.Expect(len(tinstances(h, "noise")) == 6, reqTTimeprop, "timeproperty=createdAt selects on the recording time", "6 instances", show(len(tinstances(h, "noise"))))
	h = t.history(id, query("timerel", "after", "timeAt", start), reqTTimeprop)
	t.Expect(len(tinstances(h, "noise")) == 0, reqTTimeprop, "observedAt is the default timeproperty", "no instance", show(len(tinstances(h, "noise"))))
}

func caseTemporalLastN(t *T) {
	id := t.EntityID("lastn")
	defer t.dropHistory(id)
	t.provide(temporalEntity(id, t.Name("OtcSensor"), 0, 1, 2, 3, 4, 5))
	h := t.history(id, query("lastN", "2"), reqTLastN)
	t.expectValues(instanceValues(h, "noise"), reqTLastN, "lastN=2 keeps the 2 most recent, in ascending order", 4, 5)
	h = t.history(id, query("lastN", "2", "timerel", "before", "timeAt", temporalT0.Add(3*time.Hour).Format(time.RFC3339)), reqTLastN)
	t.expectValues(instanceValues(h, "noise"), reqTLastN, "lastN applies to the instances the time selects", 1, 2)
}

func caseTemporalQuery(t *T) {
	typ := t.Name("OtcSensor")
	a, b := t.EntityID("qa"), t.EntityID("qb")
	defer t.dropHistory(a)
	defer t.dropHistory(b)
	t.provide(temporalEntity(a, typ, 1, 2))
	t.provide(temporalEntity(b, typ, 3, 4))
	resp := t.Do(GetRequest("/temporal/entities", query("type", typ, "lastN", "1")))
	t.expectIDs(resp, reqTQuery, a, b)
	resp = t.Do(GetRequest("/temporal/entities", query("type", typ, "q", "noise>3")))
	t.expectIDs(resp, reqTQuery, b)
	resp = t.Do(GetRequest("/temporal/entities", query("type", typ, "limit", "1")))
	t.Expect(t.expectStatus(resp, reqTQuery, http.StatusOK) && len(resp.Array()) == 1 && strings.Contains(resp.Header.Get("Link"), `rel="next"`),
		reqTQuery, "limit pages the entities, with a next link", "1 entity and a next link", show(len(resp.Array()))+" "+resp.Header.Get("Link"))

	body := Obj{"type": "Query", "entities": []any{Obj{"type": typ}}, "temporalQ": Obj{"timerel": "after", "timeAt": temporalT0.Add(time.Hour).Format(time.RFC3339)}}
	resp = t.Do(JSONRequest(http.MethodPost, "/temporal/entityOperations/query", body))
	if t.expectIDs(resp, reqTQueryPost, a, b) {
		for _, it := range resp.Array() {
			e, _ := it.(map[string]any)
			t.Expect(len(tinstances(e, "noise")) == 1, reqTQueryPost, "temporalQ selects the instances of "+show(e["id"]), "1 instance", show(len(tinstances(e, "noise"))))
		}
	}
}

func caseTemporalSimplified(t *T) {
	id := t.EntityID("simple")
	defer t.dropHistory(id)
	t.provide(temporalEntity(id, t.Name("OtcSensor"), 7, 8))
	for _, q := range []url.Values{query("options", "temporalValues"), query("format", "temporalValues")} {
		h := t.history(id, q, reqTSimplified)
		want := []any{[]any{7.0, temporalT0}, []any{8.0, temporalT0.Add(time.Hour)}}
		got := pairs(h, "noise", "values")
		ok := len(got) == 2
		for i := 0; ok && i < 2; i++ {
			p, _ := got[i].([]any)
			ok = len(p) == 2 && jsonEqual(p[0], want[i].([]any)[0]) && sameInstant(p[1], want[i].([]any)[1].(time.Time))
		}
		t.Expect(ok, reqTSimplified, "values lists [value, time] pairs in time order ("+q.Encode()+")", "[[7, 2024-06-01T00:00Z], [8, 2024-06-01T01:00Z]]", show(h["noise"]))
	}
}

func sameInstant(v any, want time.Time) bool {
	s, _ := v.(string)
	got, err := time.Parse(time.RFC3339Nano, s)
	return err == nil && got.Equal(want)
}

func caseTemporalAggregated(t *T) {
	id := t.EntityID("aggr")
	defer t.dropHistory(id)
	// Two periods of 2 hours: 1, 3 then 4, 4 and the string "off".
	e := temporalEntity(id, t.Name("OtcSensor"), 1, 3, 4, 4)
	e["noise"] = append(e["noise"].([]any), readingAt("off", 3))
	t.provide(e)
	q := query("options", "aggregatedValues", "aggrMethods", "totalCount,distinctCount,sum,avg,min,max,stddev,sumsq",
		"aggrPeriodDuration", "PT2H", "timerel", "between", "timeAt", temporalT0.Format(time.RFC3339), "endTimeAt", temporalT0.Add(4*time.Hour).Format(time.RFC3339))
	h := t.history(id, q, reqTAggregated)
	o, _ := h["noise"].(map[string]any)
	want := map[string][2]float64{
		"totalCount": {2, 3}, "distinctCount": {2, 2}, "sum": {4, 8}, "avg": {2, 4},
		"min": {1, 4}, "max": {3, 4}, "stddev": {1, 0}, "sumsq": {10, 32},
	}
	for _, m := range []string{"totalCount", "distinctCount", "sum", "avg", "min", "max", "stddev", "sumsq"} {
		triples, _ := o[m].([]any)
		ok := len(triples) == 2
		for i := 0; ok && i < 2; i++ {
			tr, _ := triples[i].([]any)
			ok = len(tr) == 3 && closeNumber(tr[0], want[m][i]) &&
				sameInstant(tr[1], temporalT0.Add(time.Duration(2*i)*time.Hour)) && sameInstant(tr[2], temporalT0.Add(time.Duration(2*i+2)*time.Hour))
		}
		t.Expect(ok, reqTAggregated, m+" per 2-hour period", fmt.Sprintf("[[%v, 00:00, 02:00], [%v, 02:00, 04:00]]", want[m][0], want[m][1]), show(o[m]))
	}
}

func closeNumber(v any, want float64) bool {
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	return err == nil && f > want-1e-9 && f < want+1e-9
}

func caseTemporalPagination(t *T) {
	id := t.EntityID("page")
	defer t.dropHistory(id)
	// More instances than a server returns at once is unknown: ask for
	// many, and follow the pages when the server cuts.
	const n = 1500
	values := make([]float64, n)
	for i := range values {
		values[i] = float64(i)
	}
	e := temporalEntity(id, t.Name("OtcSensor"), values...)
	t.provide(e)
	var seen []any
	timeAt := temporalT0.Format(time.RFC3339)
	for page := 0; page < n; page++ {
		resp := t.Do(GetRequest(temporalPath(id), query("timerel", "after", "timeAt", timeAt, "options", "temporalValues")))
		if !t.expectStatus(resp, reqTPagination, http.StatusOK, http.StatusPartialContent) {
			return
		}
		for _, p := range pairs(resp.Object(), "noise", "values") {
			pair, _ := p.([]any)
			if len(pair) == 2 {
				seen = append(seen, pair[0])
			}
		}
		if resp.Status == http.StatusOK {
			break
		}
		cr := resp.Header.Get("Content-Range")
		rest, ok := strings.CutPrefix(cr, "date-time ")
		slash := strings.LastIndex(rest, "/")
		// The end is the date-time after the separating '-' that follows
		// the start's 'Z' or offset.
		var end string
		if ok && slash > 0 {
			r := rest[:slash]
			if i := strings.Index(r, "Z-"); i > 0 {
				end = r[i+2:]
			}
		}
		if !t.Expect(end != "", reqTPagination, "a 206 carries Content-Range: date-time <start>-<end>/<size>", "date-time <start>-<end>/*", cr) {
			return
		}
		timeAt = end
	}
	t.Expect(jsonEqual(seen, nums(values...)), reqTPagination, "following the pages gives every instance once, in order", fmt.Sprintf("%d values 0..%d", n, n-1), fmt.Sprintf("%d values", len(seen)))
	resp := t.Do(GetRequest(temporalPath(id), query("lastN", "1000000")))
	t.expectProblem(resp, reqTPagination, http.StatusForbidden, spec.ProblemTooManyResults)
}
