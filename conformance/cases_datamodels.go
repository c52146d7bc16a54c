package conformance

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opentid/opentid/schemas"
	"github.com/opentid/opentid/spec"
)

// Requirements of the datamodels class.
const (
	reqModelContext    spec.ReqID = "/req/datamodels/context-terms"
	reqModelAccept     spec.ReqID = "/req/datamodels/accept-valid"
	reqModelIntact     spec.ReqID = "/req/datamodels/read-intact"
	reqModelValidate   spec.ReqID = "/req/datamodels/validate-on-write"
	reqModelErrors     spec.ReqID = "/req/datamodels/validation-errors"
	reqModelBatchItem  spec.ReqID = "/req/datamodels/batch-item"
	reqModelStoredFeed spec.ReqID = "/req/datamodels/stored-valid"
)

// FeedSample is how many entities of each model the data-feed check reads
// and validates: the first page of a query on the model's type.
const FeedSample = 20

// compiledModels compiles the embedded schemas once: the set is immutable
// and safe for concurrent use.
var compiledModels = sync.OnceValues(schemas.Compile)

// modelExample is one example entity of the schemas package.
type modelExample struct {
	model string
	file  string // e.g. valid-normalized.json
	doc   Obj
}

// modelExamples lists the examples of the models that are NGSI-LD write
// bodies (the normalized and concise ones), by model, valid or invalid.
func modelExamples(valid bool) (map[string][]modelExample, error) {
	files, err := fs.Glob(schemas.Files(), "examples/*/*.json")
	if err != nil {
		return nil, err
	}
	prefix := "invalid-"
	if valid {
		prefix = "valid-"
	}
	out := map[string][]modelExample{}
	for _, f := range files {
		base := path.Base(f)
		if !strings.HasPrefix(base, prefix) || strings.Contains(base, "keyValues") {
			continue
		}
		b, err := fs.ReadFile(schemas.Files(), f)
		if err != nil {
			return nil, err
		}
		var doc Obj
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		model := path.Base(path.Dir(f))
		out[model] = append(out[model], modelExample{model: model, file: base, doc: doc})
	}
	return out, nil
}

func datamodelsCase(name, title string, covers []string, run func(t *T)) Case {
	c := newCase(spec.ClassDatamodels, name, title, covers, run)
	c.Since = "0.2.0"
	return c
}

func datamodelCases() []Case {
	set, err := compiledModels()
	if err != nil {
		panic("conformance: the embedded data models do not compile: " + err.Error())
	}
	cases := []Case{
		datamodelsCase("context-terms", "The unified @context expands and compacts the names of the models", []string{"context-terms"}, caseModelContextTerms),
	}
	for _, model := range set.Models() {
		cases = append(cases, datamodelsCase("valid-"+strings.ToLower(model),
			"Create the valid examples of "+model+" and read them back intact",
			[]string{"accept-valid", "read-intact"}, func(t *T) { caseModelValid(t, model) }))
	}
	invalid := datamodelsCase("invalid-examples", "Creating an invalid example of any model is refused with the pointers of its problems",
		[]string{"validate-on-write", "validation-errors"}, caseModelInvalidExamples)
	invalid.Timeout = 2 * time.Minute
	feed := datamodelsCase("data-feed", "The entities of the models the product serves are valid", []string{"stored-valid"}, caseModelDataFeed)
	feed.Timeout = 2 * time.Minute
	return append(cases,
		invalid,
		datamodelsCase("invalid-update", "A change that makes an entity invalid is refused and changes nothing", []string{"validate-on-write", "validation-errors"}, caseModelInvalidUpdate),
		datamodelsCase("batch-item", "An invalid item of a batch fails alone", []string{"batch-item"}, caseModelBatchItem),
		feed,
	)
}

// modelRequest is a request with the unified @context in a Link header.
func modelRequest(method, p string, q map[string]string, body any) Request {
	req := Request{Method: method, Path: p, Header: header("Accept", MediaJSON, "Link", linkHeader(schemas.ContextURL))}
	if body != nil {
		req.Header.Set("Content-Type", MediaJSON)
		req.Body = mustJSON(body)
	}
	if len(q) > 0 {
		req.Query = map[string][]string{}
		for k, v := range q {
			req.Query.Set(k, v)
		}
	}
	return req
}

// pickExample returns the first example, valid or not, whose file name
// satisfies match, in the order of the models, with a fresh id of the case.
func pickExample(t *T, valid bool, match func(file string) bool, name string) (Obj, modelExample) {
	byModel, err := modelExamples(valid)
	if err != nil {
		t.Abortf("reading the examples of the models: %v", err)
	}
	set, _ := compiledModels()
	for _, model := range set.Models() {
		for _, ex := range byModel[model] {
			if match(ex.file) {
				doc := cloneObj(ex.doc)
				doc["id"] = t.EntityID(name)
				return doc, ex
			}
		}
	}
	t.Abortf("no example of the models fits the case")
	return nil, modelExample{}
}

// firstExample returns a valid normalized example of the first model.
func firstExample(t *T, name string) (Obj, modelExample) {
	return pickExample(t, true, func(f string) bool { return f == "valid-normalized.json" }, name)
}

func cloneObj(o Obj) Obj {
	var out Obj
	if err := json.Unmarshal(mustJSON(o), &out); err != nil {
		panic(err)
	}
	return out
}

// createModel creates an entity of a model as a precondition.
func (t *T) createModel(doc Obj, req spec.ReqID) {
	resp := t.Do(modelRequest(http.MethodPost, "/entities", nil, doc))
	if resp.Status != http.StatusCreated {
		t.Fatalf(req, "creating the entity %v of a model with the unified @context: status %d, want 201 (%s)", doc["id"], resp.Status, problemSummary(resp))
	}
}

// getModel reads an entity with the unified @context.
func (t *T) getModel(id string, req spec.ReqID) Obj {
	resp := t.Do(modelRequest(http.MethodGet, EntityPath(id), nil, nil))
	if resp.Status != http.StatusOK {
		t.Fatalf(req, "retrieving %s with the unified @context: status %d, want 200", id, resp.Status)
	}
	e := resp.Object()
	if e == nil {
		t.Fatalf(req, "retrieving %s: the body is not a JSON object", id)
	}
	return e
}

// problemSummary shows the detail and the errors of a problem response.
func problemSummary(resp *Response) string {
	obj := resp.Object()
	if obj == nil {
		return string(resp.Body)
	}
	parts := []string{fmt.Sprint(obj["detail"])}
	for _, e := range problemErrors(obj) {
		parts = append(parts, e.pointer+": "+e.detail)
	}
	return strings.Join(parts, "; ")
}

type problemError struct{ pointer, detail string }

// problemErrors reads the errors member of a ProblemDetails body.
func problemErrors(obj Obj) []problemError {
	list, _ := obj["errors"].([]any)
	var out []problemError
	for _, v := range list {
		m, _ := v.(map[string]any)
		p, _ := m["pointer"].(string)
		d, _ := m["detail"].(string)
		out = append(out, problemError{p, d})
	}
	return out
}

// unifiedTerms reads the term definitions of the unified @context: term
// to IRI.
func unifiedTerms() map[string]string {
	var doc struct {
		Context map[string]any `json:"@context"`
	}
	if err := json.Unmarshal(schemas.Context(), &doc); err != nil {
		panic("conformance: the unified @context is not JSON: " + err.Error())
	}
	out := map[string]string{}
	for term, def := range doc.Context {
		switch d := def.(type) {
		case string:
			out[term] = d
		case map[string]any:
			if id, ok := d["@id"].(string); ok {
				out[term] = id
			}
		}
	}
	return out
}

func caseModelContextTerms(t *T) {
	doc, ex := firstExample(t, "context")
	t.createModel(doc, reqModelContext)
	terms := unifiedTerms()
	short := t.getModel(doc["id"].(string), reqModelContext)
	t.Expect(short["type"] == ex.model, reqModelContext, "read with the unified @context, the type is not its short name", ex.model, show(short["type"]))
	for k := range doc {
		if k != "id" && k != "type" {
			t.Expect(short[k] != nil, reqModelContext, fmt.Sprintf("read with the unified @context, attribute %q is missing", k), "the attribute "+k, "no such member")
		}
	}
	long := t.getEntity(doc["id"].(string), nil, reqModelContext)
	t.Expect(sameIRI(long["type"], terms[ex.model]), reqModelContext, "read with the core context alone, the type is not the IRI of the unified @context", terms[ex.model], show(long["type"]))
	for k := range doc {
		iri, defined := terms[k]
		if !defined || k == "id" || k == "type" {
			continue
		}
		_, has := long[iri]
		t.Expect(has, reqModelContext, fmt.Sprintf("read with the core context alone, attribute %q is not named by its IRI", k), iri, strings.Join(memberNames(long), ", "))
	}
	resp := t.Do(modelRequest(http.MethodGet, "/entities", map[string]string{"type": ex.model, "id": doc["id"].(string)}, nil))
	t.expectIDs(resp, reqModelContext, doc["id"].(string))
}

func sameIRI(v any, iri string) bool {
	if s, ok := v.(string); ok {
		return s == iri
	}
	return slices.Contains(strList(v), iri)
}

func caseModelValid(t *T, model string) {
	byModel, err := modelExamples(true)
	if err != nil {
		t.Abortf("reading the examples of the models: %v", err)
	}
	if len(byModel[model]) == 0 {
		t.Abortf("the model %s has no valid example", model)
	}
	for _, ex := range byModel[model] {
		doc := cloneObj(ex.doc)
		id := t.EntityID(strings.ToLower(model) + "-" + strings.TrimSuffix(ex.file, ".json"))
		doc["id"] = id
		resp := t.Do(modelRequest(http.MethodPost, "/entities", nil, doc))
		if !t.Expect(resp.Status == http.StatusCreated, reqModelAccept, "creating "+ex.model+"/"+ex.file+" with the unified @context", "201", fmt.Sprintf("%d (%s)", resp.Status, problemSummary(resp))) {
			continue
		}
		got := t.getModel(id, reqModelIntact)
		want, have := canonicalEntity(doc), canonicalEntity(got)
		for _, k := range unionKeys(want, have) {
			t.Expect(jsonEqual(want[k], have[k]), reqModelIntact, fmt.Sprintf("%s/%s: attribute %q read back differs", ex.model, ex.file, k), show(want[k]), show(have[k]))
		}
	}
}

func caseModelInvalidExamples(t *T) {
	byModel, err := modelExamples(false)
	if err != nil {
		t.Abortf("reading the examples of the models: %v", err)
	}
	set, _ := compiledModels()
	n := 0
	for _, model := range set.Models() {
		for _, ex := range byModel[model] {
			n++
			doc := cloneObj(ex.doc)
			id := t.EntityID("invalid-" + strconv.Itoa(n))
			doc["id"] = id
			resp := t.Do(modelRequest(http.MethodPost, "/entities", nil, doc))
			if !t.expectProblem(resp, reqModelValidate, http.StatusBadRequest, spec.ProblemBadRequestData) {
				t.Expect(false, reqModelValidate, "the invalid example "+ex.model+"/"+ex.file+" was not refused", "400 BadRequestData", fmt.Sprint(resp.Status))
				continue
			}
			errs := problemErrors(resp.Object())
			for _, e := range errs {
				t.Expect(e.detail != "" && strings.HasPrefix(e.pointer, "/"), reqModelErrors, ex.model+"/"+ex.file+": each entry of errors has a detail and a pointer into the entity", "a pointer and a detail", fmt.Sprintf("pointer %q, detail %q", e.pointer, e.detail))
			}
			// An example without a unit names its attribute: the problem
			// points at it.
			if rest, ok := strings.CutPrefix(ex.file, "invalid-unit-missing-"); ok {
				attr := "/" + strings.TrimSuffix(rest, ".json")
				t.Expect(slices.ContainsFunc(errs, func(e problemError) bool { return strings.HasPrefix(e.pointer, attr) }), reqModelErrors,
					ex.model+"/"+ex.file+": the errors member does not point at the attribute without a unit", attr+"/unitCode", problemSummary(resp))
			}
			resp = t.Do(modelRequest(http.MethodGet, EntityPath(id), nil, nil))
			t.Expect(resp.Status == http.StatusNotFound, reqModelValidate, "the refused example "+ex.model+"/"+ex.file+" was stored", "404", fmt.Sprint(resp.Status))
		}
	}
}

func caseModelInvalidUpdate(t *T) {
	doc, _ := firstExample(t, "update")
	id := doc["id"].(string)
	t.createModel(doc, reqModelValidate)
	unknown := t.Name("otcMisspelt")
	resp := t.Do(modelRequest(http.MethodPatch, EntityPath(id), nil, Obj{unknown: Prop(1)}))
	if t.expectProblem(resp, reqModelValidate, http.StatusBadRequest, spec.ProblemBadRequestData) {
		errs := problemErrors(resp.Object())
		t.Expect(slices.ContainsFunc(errs, func(e problemError) bool { return e.pointer == "/"+unknown }), reqModelErrors,
			"the errors member does not point at the attribute the model does not define", "/"+unknown, problemSummary(resp))
	}
	resp = t.Do(modelRequest(http.MethodDelete, EntityPath(id)+"/attrs/license", nil, nil))
	t.expectProblem(resp, reqModelValidate, http.StatusBadRequest, spec.ProblemBadRequestData)
	e := t.getModel(id, reqModelValidate)
	t.expectNoAttr(e, unknown, reqModelValidate)
	t.expectHasAttr(e, "license", reqModelValidate)
}

func caseModelBatchItem(t *T) {
	bad, _ := pickExample(t, false, func(f string) bool { return strings.HasPrefix(f, "invalid-unit-missing-") }, "batch-invalid")
	good, _ := firstExample(t, "batch-valid")
	resp := t.Do(modelRequest(http.MethodPost, "/entityOperations/upsert", nil, []any{bad, good}))
	if !t.expectStatus(resp, reqModelBatchItem, http.StatusMultiStatus) {
		t.Stop()
	}
	res := resp.Object()
	t.Expect(slices.Contains(strList(res["success"]), good["id"].(string)), reqModelBatchItem, "the valid item is not in success", show(good["id"]), show(res["success"]))
	errs, _ := res["errors"].([]any)
	found := false
	for _, v := range errs {
		m, _ := v.(map[string]any)
		if m["entityId"] != bad["id"] {
			continue
		}
		found = true
		p, _ := m["error"].(map[string]any)
		t.Expect(p["type"] == problemURI(spec.ProblemBadRequestData), reqModelBatchItem, "the invalid item fails with the wrong error type", problemURI(spec.ProblemBadRequestData), show(p["type"]))
	}
	t.Expect(found, reqModelBatchItem, "the invalid item is not among the errors", show(bad["id"]), show(res["errors"]))
	t.getModel(good["id"].(string), reqModelBatchItem)
	resp = t.Do(modelRequest(http.MethodGet, EntityPath(bad["id"].(string)), nil, nil))
	t.Expect(resp.Status == http.StatusNotFound, reqModelBatchItem, "the invalid item was stored", "404", fmt.Sprint(resp.Status))
}

// caseModelDataFeed samples the entities of each model the product serves
// and validates them.
func caseModelDataFeed(t *T) {
	set, _ := compiledModels()
	for _, model := range set.Models() {
		resp := t.Do(modelRequest(http.MethodGet, "/entities", map[string]string{"type": model, "limit": strconv.Itoa(FeedSample)}, nil))
		if !t.expectStatus(resp, reqModelStoredFeed, http.StatusOK) {
			continue
		}
		for _, v := range resp.Array() {
			e, _ := v.(map[string]any)
			if e == nil {
				continue
			}
			doc := make(map[string]any, len(e))
			for k, x := range e {
				doc[k] = x
			}
			doc["type"] = model // an entity of several types is checked against this one
			problems := set.Validate(doc, schemas.FormNormalized)
			if len(problems) == 0 {
				continue
			}
			got := make([]string, len(problems))
			for i, p := range problems {
				got[i] = p.String()
			}
			t.fail(Failure{Requirement: reqModelStoredFeed, Message: fmt.Sprintf("entity %v is not a valid %s", e["id"], model),
				Expected: "a valid " + model, Got: strings.Join(got, "\n"), Exchange: resp.Index})
		}
	}
}

// Members of an attribute that are not sub-attributes.
var (
	attrMembers   = map[string]bool{"value": true, "object": true, "unitCode": true, "observedAt": true, "datasetId": true, "lang": true, "languageMap": true, "objectType": true, "vocab": true, "json": true, "valueList": true, "objectList": true}
	systemMembers = map[string]bool{"type": true, "createdAt": true, "modifiedAt": true, "deletedAt": true, "instanceId": true}
	attrTypes     = map[string]bool{"Property": true, "Relationship": true, "GeoProperty": true, "LanguageProperty": true, "VocabProperty": true, "JsonProperty": true, "ListProperty": true, "ListRelationship": true}
)

// canonicalEntity is the attributes of an entity in a form in which two
// representations of the same entity are equal: concise attributes
// written out, attribute types and system members left out (the type is
// implied in the concise form), numbers decoded alike and date-times as
// UTC instants.
func canonicalEntity(e Obj) map[string]any {
	var plain map[string]any
	if err := json.Unmarshal(mustJSON(e), &plain); err != nil {
		return nil
	}
	out := map[string]any{}
	for k, v := range plain {
		switch k {
		case "id", "type", "@context", "createdAt", "modifiedAt":
			continue
		case "scope":
			out[k] = canonicalValue(v)
		default:
			out[k] = canonicalAttr(v)
		}
	}
	return out
}

func canonicalAttr(v any) any {
	if list, ok := v.([]any); ok && len(list) > 0 && allAttrObjects(list) {
		out := make([]any, len(list))
		for i, a := range list {
			out[i] = canonicalAttr(a)
		}
		slices.SortFunc(out, func(a, b any) int {
			return strings.Compare(fmt.Sprint(a.(map[string]any)["datasetId"]), fmt.Sprint(b.(map[string]any)["datasetId"]))
		})
		return out
	}
	m, ok := v.(map[string]any)
	if !ok || !isAttrObject(m) {
		return map[string]any{"value": canonicalValue(v)}
	}
	out := map[string]any{}
	for k, x := range m {
		switch {
		case systemMembers[k]:
		case attrMembers[k]:
			out[k] = canonicalValue(x)
		default:
			out[k] = canonicalAttr(x) // a sub-attribute
		}
	}
	return out
}

func allAttrObjects(list []any) bool {
	for _, v := range list {
		m, ok := v.(map[string]any)
		if !ok || !isAttrObject(m) {
			return false
		}
	}
	return true
}

func isAttrObject(m map[string]any) bool {
	if t, ok := m["type"].(string); ok && attrTypes[t] {
		return true
	}
	for _, k := range []string{"value", "object", "languageMap", "vocab", "json", "valueList", "objectList"} {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}

// canonicalValue writes every RFC 3339 date-time of v as a UTC instant.
func canonicalValue(v any) any {
	switch x := v.(type) {
	case string:
		if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return ts.UTC().Format(time.RFC3339Nano)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canonicalValue(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canonicalValue(e)
		}
		return out
	}
	return v
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}
