package conformance

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/opentid/opentid/spec"
)

// The cases of the class query: the q language, type selection, scopes,
// projection, language, ordering, paging and POST /entityOperations/query.

// since020 is the spec version that introduced the query and geo classes.
const since020 = "0.2.0"

// classCase builds a case of class from spec version 0.2.0 onwards.
func classCase(class, name, title string, covers []string, run func(t *T)) Case {
	c := newCase(class, name, title, covers, run)
	c.Since = since020
	return c
}

func queryClassCase(name, title string, covers []string, run func(t *T)) Case {
	return classCase(spec.ClassQuery, name, title, covers, run)
}

func qCases() []Case {
	return []Case{
		queryClassCase("q-compare", "q comparisons on numbers, strings, booleans and relationships", []string{"q-compare"}, qTable(reqQCompare, qCompareChecks)),
		queryClassCase("q-range", "q ranges include both bounds", []string{"q-range"}, qTable(reqQRange, qRangeChecks)),
		queryClassCase("q-list", "q lists of values", []string{"q-list"}, qTable(reqQList, qListChecks)),
		queryClassCase("q-regex", "q pattern matching with ~= and !~=", []string{"q-regex"}, qTable(reqQRegex, qRegexChecks)),
		queryClassCase("q-logic", "q with ; | and parentheses", []string{"q-logic"}, qTable(reqQLogic, qLogicChecks)),
		queryClassCase("q-semicolon", "A literal ; in the query string", []string{"q-semicolon"}, caseQSemicolon),
		queryClassCase("q-existence", "q with an attribute name alone", []string{"q-existence"}, qTable(reqQExistence, qExistenceChecks)),
		queryClassCase("q-missing", "Comparisons on missing attributes never hold", []string{"q-missing"}, qTable(reqQMissing, qMissingChecks)),
		queryClassCase("q-type-mismatch", "Comparisons of values of different types", []string{"q-type-mismatch"}, qTable(reqQMismatch, qMismatchChecks)),
		queryClassCase("q-strings", "Quoted Unicode strings holding operator characters", []string{"q-strings"}, qTable(reqQStrings, qStringChecks)),
		queryClassCase("q-datetime", "Date-times compare as instants, whatever their offset", []string{"q-datetime"}, qTable(reqQDateTime, qDateTimeChecks)),
		queryClassCase("q-subattr", "q paths into sub-attributes and observedAt", []string{"q-subattr"}, qTable(reqQSubAttr, qSubAttrChecks)),
		queryClassCase("q-json-path", "q paths into structured values", []string{"q-json-path"}, qTable(reqQJSONPath, qJSONPathChecks)),
		queryClassCase("q-syntax-error", "A malformed q is a 400 naming the position", []string{"q-syntax-error"}, caseQSyntaxError),
		queryClassCase("type-selection", "Entity type selection with , | ; and parentheses", []string{"type-selection"}, caseTypeSelection),
		queryClassCase("multi-type", "Entities with several types", []string{"multi-type"}, caseMultiType),
		queryClassCase("scopeq", "scopeQ patterns", []string{"scopeq"}, caseScopeQ),
		queryClassCase("pick", "pick keeps only the named members", []string{"pick"}, casePick),
		queryClassCase("omit", "omit drops the named members", []string{"omit"}, caseOmit),
		queryClassCase("lang", "lang picks one language of a LanguageProperty", []string{"lang"}, caseLang),
		queryClassCase("order-by", "orderBy sorts before paging", []string{"order-by"}, caseOrderBy),
		queryClassCase("order-by-missing", "orderBy puts entities without the value last", []string{"order-by-missing"}, caseOrderByMissing),
		queryClassCase("page-links", "Link headers rel=next and rel=prev lead to the other pages", []string{"page-links"}, casePageLinks),
		queryClassCase("too-many-results", "A limit above the maximum is a 403 TooManyResults", []string{"too-many-results"}, caseTooManyResults),
		queryClassCase("count-filtered", "NGSILD-Results-Count counts the entities that match every filter", []string{"count-filtered"}, caseCountFiltered),
		queryClassCase("post-query", "POST /entityOperations/query filters as GET /entities", []string{"post-query"}, casePostQuery),
		queryClassCase("post-query-projection", "POST /entityOperations/query applies attrs, pick, omit and lang", []string{"post-query-projection"}, casePostQueryProjection),
	}
}

const (
	reqQCompare      spec.ReqID = "/req/query/q-compare"
	reqQRange        spec.ReqID = "/req/query/q-range"
	reqQList         spec.ReqID = "/req/query/q-list"
	reqQRegex        spec.ReqID = "/req/query/q-regex"
	reqQLogic        spec.ReqID = "/req/query/q-logic"
	reqQSemicolon    spec.ReqID = "/req/query/q-semicolon"
	reqQExistence    spec.ReqID = "/req/query/q-existence"
	reqQMissing      spec.ReqID = "/req/query/q-missing"
	reqQMismatch     spec.ReqID = "/req/query/q-type-mismatch"
	reqQStrings      spec.ReqID = "/req/query/q-strings"
	reqQDateTime     spec.ReqID = "/req/query/q-datetime"
	reqQSubAttr      spec.ReqID = "/req/query/q-subattr"
	reqQJSONPath     spec.ReqID = "/req/query/q-json-path"
	reqQSyntax       spec.ReqID = "/req/query/q-syntax-error"
	reqTypeSelection spec.ReqID = "/req/query/type-selection"
	reqMultiType     spec.ReqID = "/req/query/multi-type"
	reqScopeQ        spec.ReqID = "/req/query/scopeq"
	reqPick          spec.ReqID = "/req/query/pick"
	reqOmit          spec.ReqID = "/req/query/omit"
	reqLang          spec.ReqID = "/req/query/lang"
	reqOrderBy       spec.ReqID = "/req/query/order-by"
	reqOrderMissing  spec.ReqID = "/req/query/order-by-missing"
	reqPageLinks     spec.ReqID = "/req/query/page-links"
	reqTooMany       spec.ReqID = "/req/query/too-many-results"
	reqCountFiltered spec.ReqID = "/req/query/count-filtered"
	reqPostQuery     spec.ReqID = "/req/query/post-query"
	reqPostProject   spec.ReqID = "/req/query/post-query-projection"
)

// fixture maps the short keys of a case's entities to their ids.
type fixture map[string]string

// keys turns entity ids back into fixture keys; an id the fixture does
// not know is kept as it is.
func (f fixture) keys(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		k := id
		for key, fid := range f {
			if fid == id {
				k = key
			}
		}
		out = append(out, k)
	}
	return out
}

func describeKeys(keys []string) string {
	if len(keys) == 0 {
		return "no entity"
	}
	return strings.Join(keys, ", ")
}

// createAll creates entities with one batch as a precondition and ends
// the case if the server refuses one.
func (t *T) createAll(entities ...Obj) {
	resp := t.Do(batch("create", entities))
	if resp.Status != http.StatusCreated {
		t.Fatalf(reqBatchCreate, "creating the fixture of %d entities: status %d, want 201", len(entities), resp.Status)
	}
}

// orderedIDs lists the ids of the entities of a query response in the
// order of the response.
func orderedIDs(resp *Response) []string {
	var ids []string
	for _, v := range resp.Array() {
		if m, ok := v.(map[string]any); ok {
			id, _ := m["id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

// expectKeys checks that a query answered 200 with exactly the fixture
// entities named by keys, in any order (or in this order when ordered).
// what describes the query in the failure.
func (t *T) expectKeys(resp *Response, req spec.ReqID, what string, f fixture, ordered bool, keys ...string) bool {
	if !t.expectStatus(resp, req, http.StatusOK) ||
		!t.Expect(resp.Array() != nil, req, what+": the result must be a JSON array", "an array", string(resp.Body)) {
		return false
	}
	got := f.keys(orderedIDs(resp))
	want := slices.Clone(keys)
	if !ordered {
		slices.Sort(got)
		slices.Sort(want)
	}
	return t.Expect(slices.Equal(got, want), req, what, describeKeys(want), describeKeys(got))
}

// rawQuery encodes key-value pairs as a query string, in order, as
// url.Values.Encode does, except that every ';' stays literal.
func rawQuery(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+strings.ReplaceAll(url.QueryEscape(kv[i+1]), "%3B", ";"))
	}
	return strings.Join(parts, "&")
}

// getRaw is a GET whose query string is sent exactly as given.
func getRaw(path, raw string) Request {
	r := GetRequest(path, nil)
	r.RawQuery = raw
	return r
}

// findBoth runs a query twice, with its ';' percent-encoded and literal,
// and checks both answers against keys.
func (t *T) findBoth(req spec.ReqID, f fixture, ordered bool, keys []string, kv ...string) {
	t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), req, "with ';' encoded: "+describeParams(kv), f, ordered, keys...)
	t.expectKeys(t.Do(getRaw("/entities", rawQuery(kv...))), req, "with a literal ';': "+describeParams(kv), f, ordered, keys...)
}

func describeParams(kv []string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+"="+kv[i+1])
	}
	return strings.Join(parts, " ")
}

const ownerPrefix = "urn:ngsi-ld:Organization:opentid-conformance-"

// stations creates the fixture most q cases query: four entities of a
// fresh type. "d" has only level, and holds it as the string "20".
func (t *T) stations() (string, fixture) {
	typ := t.Name("OtcStation")
	f := fixture{}
	for _, k := range []string{"a", "b", "c", "d"} {
		f[k] = t.EntityID("station-" + k)
	}
	level := func(v int, observedAt, quality string) Obj {
		return Obj{"type": "Property", "value": v, "observedAt": observedAt, "quality": Prop(quality)}
	}
	dateTime := func(s string) Obj { return Prop(Obj{"@type": "DateTime", "@value": s}) }
	t.createAll(
		Obj{
			"id": f["a"], "type": typ, "scope": "/Nantes/Centre",
			"level": level(10, "2026-03-01T10:00:00Z", "good"), "name": Prop("Bouffay"), "active": Prop(true),
			"label":       Prop("Rezé Hôtel de ville"),
			"address":     Prop(Obj{"postalCode": "44000", "area": Obj{"district": "Centre"}}),
			"owner":       Rel(ownerPrefix + "a"),
			"installedAt": dateTime("2026-03-01T09:00:00Z"),
		},
		Obj{
			"id": f["b"], "type": typ, "scope": "/Nantes/Est",
			"level": level(20, "2026-03-01T11:30:00+01:00", "poor"), "name": Prop("Doulon"), "active": Prop(false),
			"label":       Prop("Quai (nord); côté est | n°2, bis"),
			"address":     Prop(Obj{"postalCode": "44300", "area": Obj{"district": "Est"}}),
			"owner":       Rel(ownerPrefix + "b"),
			"installedAt": dateTime("2026-03-01T12:00:00+02:00"),
		},
		Obj{
			"id": f["c"], "type": typ, "scope": "/Rezé",
			"level": level(30, "2026-03-01T11:00:00Z", "good"), "name": Prop("Chantenay"), "active": Prop(true),
			"label":       Prop("Zoé"),
			"owner":       Rel(ownerPrefix + "a"),
			"installedAt": dateTime("2026-03-01T11:00:00Z"),
		},
		Obj{"id": f["d"], "type": typ, "level": Prop("20")},
	)
	return typ, f
}

// qCheck is one q expression and the stations it selects.
type qCheck struct {
	q    string
	want []string
}

func keys(k ...string) []string { return k }

var (
	qCompareChecks = []qCheck{
		{"level==20", keys("b")},
		{"level!=20;active", keys("a", "c")},
		{"level>10", keys("b", "c")},
		{"level>=20", keys("b", "c")},
		{"level<20", keys("a")},
		{"level<=20", keys("a", "b")},
		{`name=="Doulon"`, keys("b")},
		{`name>"C"`, keys("b", "c")},
		{`name<="Bouffay"`, keys("a")},
		{"active==true", keys("a", "c")},
		{"active==false", keys("b")},
		{"owner==" + ownerPrefix + "a", keys("a", "c")},
	}
	qRangeChecks = []qCheck{
		{"level==10..20", keys("a", "b")},
		{"level==11..29", keys("b")},
		{"level==20..30", keys("b", "c")},
		{"level==31..40", nil},
	}
	qListChecks = []qCheck{
		{"level==10,30", keys("a", "c")},
		{`name=="Bouffay","Doulon"`, keys("a", "b")},
		{"level!=10,30;active", keys("b")},
	}
	qRegexChecks = []qCheck{
		{"name~=^D", keys("b")},
		{"name~=ou", keys("a", "b")},
		{"name!~=^D", keys("a", "c")},
		{"label~=Hôtel", keys("a")},
	}
	qLogicChecks = []qCheck{
		{"level==10|level==20", keys("a", "b")},
		{"level==10;level==20", nil},
		{"(level==10|level==30);active==true", keys("a", "c")},
		{"level==10|(level==30;active==false)", keys("a")},
		{`(level==10|level==20);(active==false|name=="Bouffay")`, keys("a", "b")},
	}
	qExistenceChecks = []qCheck{
		{"address", keys("a", "b")},
		{"label", keys("a", "b", "c")},
		{"level", keys("a", "b", "c", "d")},
		{"otcNoSuchAttribute", nil},
	}
	qMissingChecks = []qCheck{
		{`name!="Bouffay"`, keys("b", "c")},
		{"name!~=^B", keys("b", "c")},
		{"active!=true", keys("b")},
		{`address[postalCode]!="44000"`, keys("b")},
		{`level.quality!="good"`, keys("b")},
	}
	qMismatchChecks = []qCheck{
		{"level==20", keys("b")},
		{`level=="20"`, keys("d")},
		{"level>5", keys("a", "b", "c")},
		{"level==5..25", keys("a", "b")},
		{"name>5", nil},
	}
	qStringChecks = []qCheck{
		{`label=="Rezé Hôtel de ville"`, keys("a")},
		{`label=="Quai (nord); côté est | n°2, bis"`, keys("b")},
		{`label=="Zoé"`, keys("c")},
		{`label=="zoé"`, nil},
		{`name=="Bouffay"|label=="Zoé"`, keys("a", "c")},
	}
	qDateTimeChecks = []qCheck{
		{"level.observedAt==2026-03-01T10:30:00Z", keys("b")},
		{"level.observedAt>2026-03-01T10:15:00Z", keys("b", "c")},
		{"level.observedAt<2026-03-01T11:15:00+01:00", keys("a")},
		{"installedAt==2026-03-01T10:00:00Z", keys("b")},
		{"installedAt<2026-03-01T10:30:00Z", keys("a", "b")},
		{"installedAt==2026-03-01T11:00:00+01:00", keys("b")},
	}
	qSubAttrChecks = []qCheck{
		{`level.quality=="good"`, keys("a", "c")},
		{`level.quality=="poor"`, keys("b")},
		{"level.quality", keys("a", "b", "c")},
		{"level.observedAt>=2026-03-01T10:00:00Z", keys("a", "b", "c")},
	}
	qJSONPathChecks = []qCheck{
		{`address[postalCode]=="44300"`, keys("b")},
		{`address[area.district]=="Centre"`, keys("a")},
		{"address[postalCode]~=^44", keys("a", "b")},
		{`address[area.district]!="Centre"`, keys("b")},
	}
)

// qTable runs q expressions on the stations, each restricted to their
// type, with ';' percent-encoded.
func qTable(req spec.ReqID, checks []qCheck) func(t *T) {
	return func(t *T) {
		typ, f := t.stations()
		for _, c := range checks {
			resp := t.Do(GetRequest("/entities", query("type", typ, "q", c.q)))
			t.expectKeys(resp, req, "q="+c.q, f, false, c.want...)
		}
	}
}

func caseQSemicolon(t *T) {
	typ, f := t.stations()
	t.findBoth(reqQSemicolon, f, false, keys("c"), "type", typ, "q", "level>10;active==true")
	t.findBoth(reqQSemicolon, f, false, keys("b"), "type", typ, "scopeQ", "/Nantes/#;/Nantes/Est")
	t.findBoth(reqQSemicolon, f, true, keys("c", "b", "a"), "type", typ, "q", "active", "orderBy", "level;desc")
}

// positionRE finds the offsets 12 (counted from 0) and 13 (from 1) of the
// second ';' of malformedQ.
var positionRE = regexp.MustCompile(`\b1[23]\b`)

const malformedQ = "name==alpha;;name==beta"

func caseQSyntaxError(t *T) {
	typ := t.Name("OtcStation")
	resp := t.Do(GetRequest("/entities", query("type", typ, "q", malformedQ)))
	if t.expectProblem(resp, reqQSyntax, http.StatusBadRequest, spec.ProblemBadRequestData) {
		detail, _ := resp.Object()["detail"].(string)
		t.Expect(positionRE.MatchString(detail), reqQSyntax, "the detail must give the position of the second ';' of "+malformedQ,
			"the offset 12 (from 0) or 13 (from 1)", fmt.Sprintf("%q", detail))
	}
	for _, bad := range []string{"(level==10", "level===10", "level>", "level==10..", `name=="unterminated`, "level==10|", ";level==10"} {
		resp := t.Do(GetRequest("/entities", query("type", typ, "q", bad)))
		t.expectProblem(resp, reqQSyntax, http.StatusBadRequest, spec.ProblemBadRequestData)
	}
}

func caseTypeSelection(t *T) {
	a, b, c := t.Name("OtcTypeA"), t.Name("OtcTypeB"), t.Name("OtcTypeC")
	f := fixture{"x": t.EntityID("x"), "y": t.EntityID("y"), "z": t.EntityID("z"), "w": t.EntityID("w")}
	t.createAll(
		Obj{"id": f["x"], "type": a, "level": Prop(1)},
		Obj{"id": f["y"], "type": b, "level": Prop(2)},
		Obj{"id": f["z"], "type": []any{a, b}, "level": Prop(3)},
		Obj{"id": f["w"], "type": c, "level": Prop(4)},
	)
	for _, check := range []struct {
		sel  string
		want []string
	}{
		{a + "," + b, keys("x", "y", "z")},
		{a + "|" + b, keys("x", "y", "z")},
		{a + ";" + b, keys("z")},
		{"(" + a + ";" + b + ")|" + c, keys("z", "w")},
		{"(" + a + "|" + c + ");" + b, keys("z")},
	} {
		t.expectKeys(t.Do(GetRequest("/entities", query("type", check.sel))), reqTypeSelection, "type="+check.sel, f, false, check.want...)
	}
}

func caseMultiType(t *T) {
	a, b := t.Name("OtcTypeA"), t.Name("OtcTypeB")
	f := fixture{"x": t.EntityID("x"), "z": t.EntityID("z")}
	t.createAll(Obj{"id": f["x"], "type": a, "level": Prop(1)}, Obj{"id": f["z"], "type": []any{a, b}, "level": Prop(2)})
	t.expectKeys(t.Do(GetRequest("/entities", query("type", b))), reqMultiType, "type="+b, f, false, "z")
	t.expectKeys(t.Do(GetRequest("/entities", query("type", a))), reqMultiType, "type="+a, f, false, "x", "z")
	e := t.getEntity(f["z"], nil, reqMultiType)
	types := strList(e["type"])
	t.Expect(slices.Contains(types, a) && slices.Contains(types, b) && len(types) == 2, reqMultiType,
		"the entity must come back with both its types", a+", "+b, show(e["type"]))
}

func caseScopeQ(t *T) {
	typ := t.Name("OtcStation")
	f := fixture{}
	scopes := map[string]any{"e1": "/Nantes/Centre", "e2": "/Nantes/Est/Doulon", "e3": "/Nantes", "e4": []any{"/Rezé", "/Capteurs/Air"}, "e5": nil}
	var entities []Obj
	for _, k := range []string{"e1", "e2", "e3", "e4", "e5"} {
		f[k] = t.EntityID(k)
		e := Obj{"id": f[k], "type": typ, "level": Prop(1)}
		if scopes[k] != nil {
			e["scope"] = scopes[k]
		}
		entities = append(entities, e)
	}
	t.createAll(entities...)
	for _, check := range []struct {
		scopeQ string
		want   []string
	}{
		{"/Nantes", keys("e3")},
		{"/Nantes/+", keys("e1")},
		{"/Nantes/#", keys("e1", "e2", "e3")},
		{"/Nantes/+/Doulon", keys("e2")},
		{"/Nantes/Centre|/Rezé", keys("e1", "e4")},
		{"/Rezé;/Capteurs/+", keys("e4")},
		{"/Rezé;/Nantes", nil},
	} {
		t.expectKeys(t.Do(GetRequest("/entities", query("type", typ, "scopeQ", check.scopeQ))), reqScopeQ, "scopeQ="+check.scopeQ, f, false, check.want...)
	}
}

// memberNames lists the top-level members of an entity, sorted.
func memberNames(e Obj) []string {
	names := make([]string, 0, len(e))
	for k := range e {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// expectMembers checks the exact set of top-level members of an entity.
func (t *T) expectMembers(e Obj, req spec.ReqID, what string, want ...string) bool {
	want = slices.Sorted(slices.Values(want))
	got := memberNames(e)
	return t.Expect(slices.Equal(got, want), req, what, strings.Join(want, ", "), strings.Join(got, ", "))
}

// onlyEntity returns the single entity of a query response, or ends the
// case.
func (t *T) onlyEntity(resp *Response, req spec.ReqID) Obj {
	if !t.expectStatus(resp, req, http.StatusOK) || !t.Expect(len(resp.Array()) == 1, req, "the query must return one entity", "1 entity", string(resp.Body)) {
		t.Stop()
	}
	e, _ := resp.Array()[0].(map[string]any)
	return e
}

func casePick(t *T) {
	id := t.newSensor("sensor")
	typ := t.Name("OtcSensor")
	t.expectMembers(t.getEntity(id, query("pick", "id,temperature"), reqPick), reqPick, "retrieval with pick=id,temperature", "id", "temperature")
	e := t.onlyEntity(t.Do(GetRequest("/entities", query("type", typ, "pick", "type,name,isPartOf"))), reqPick)
	t.expectMembers(e, reqPick, "query with pick=type,name,isPartOf", "type", "name", "isPartOf")
}

func caseOmit(t *T) {
	id := t.newSensor("sensor")
	typ := t.Name("OtcSensor")
	t.expectMembers(t.getEntity(id, query("omit", "temperature,name"), reqOmit), reqOmit, "retrieval with omit=temperature,name", "id", "type", "isPartOf", "location")
	e := t.onlyEntity(t.Do(GetRequest("/entities", query("type", typ, "omit", "location"))), reqOmit)
	t.expectMembers(e, reqOmit, "query with omit=location", "id", "type", "temperature", "name", "isPartOf")
}

// newNamedSensor creates the usual sensor with a LanguageProperty title.
func (t *T) newNamedSensor(name string) string {
	id := t.EntityID(name)
	e := sensor(id, t.Name("OtcSensor"))
	e["title"] = Obj{"type": "LanguageProperty", "languageMap": Obj{"fr": "Capteur de bruit", "en": "Noise sensor"}}
	t.create(e)
	return id
}

// expectLang checks an attribute shown in one language: normalized, a
// Property with value and lang; simplified, the bare string.
func (t *T) expectLang(e Obj, req spec.ReqID, lang, want string, simplified bool) {
	if simplified {
		t.Expect(e["title"] == want, req, "with lang="+lang+" and keyValues, title is the string of that language", `"`+want+`"`, show(e["title"]))
		return
	}
	a := attr(e, "title")
	t.Expect(a != nil && a["type"] == "Property" && a["value"] == want && a["lang"] == lang, req,
		"with lang="+lang+", title is a Property holding the string of that language and its tag",
		show(Obj{"type": "Property", "value": want, "lang": lang}), show(e["title"]))
}

func caseLang(t *T) {
	id := t.newNamedSensor("sensor")
	t.expectLang(t.getEntity(id, query("lang", "en"), reqLang), reqLang, "en", "Noise sensor", false)
	e := t.onlyEntity(t.Do(GetRequest("/entities", query("type", t.Name("OtcSensor"), "lang", "fr", "options", "keyValues"))), reqLang)
	t.expectLang(e, reqLang, "fr", "Capteur de bruit", true)
}

// ranked creates the fixture of the orderBy case.
func (t *T) ranked() (string, fixture) {
	typ := t.Name("OtcStation")
	f := fixture{}
	var entities []Obj
	for _, o := range []struct {
		key         string
		level, rank int
		name        string
	}{{"o1", 30, 1, "Zoé"}, {"o2", 10, 2, "abc"}, {"o3", 20, 1, "Ébène"}, {"o4", 40, 2, "mno"}} {
		f[o.key] = t.EntityID(o.key)
		entities = append(entities, Obj{"id": f[o.key], "type": typ, "level": Prop(o.level), "rank": Prop(o.rank), "name": Prop(o.name)})
	}
	t.createAll(entities...)
	return typ, f
}

func caseOrderBy(t *T) {
	typ, f := t.ranked()
	for _, check := range []struct {
		orderBy, limit, offset string
		want                   []string
	}{
		{"level", "", "", keys("o2", "o3", "o1", "o4")},
		{"level;asc", "", "", keys("o2", "o3", "o1", "o4")},
		{"level;desc", "", "", keys("o4", "o1", "o3", "o2")},
		{"rank,level;desc", "", "", keys("o1", "o3", "o4", "o2")},
		{"name", "", "", keys("o1", "o2", "o4", "o3")},
		{"level", "2", "1", keys("o3", "o1")},
	} {
		kv := []string{"type", typ, "orderBy", check.orderBy}
		if check.limit != "" {
			kv = append(kv, "limit", check.limit, "offset", check.offset)
		}
		t.expectKeys(t.Do(GetRequest("/entities", query(kv...))), reqOrderBy, describeParams(kv[2:]), f, true, check.want...)
	}
}

func caseOrderByMissing(t *T) {
	typ := t.Name("OtcStation")
	f := fixture{"m1": t.EntityID("m1"), "m2": t.EntityID("m2"), "none": t.EntityID("none")}
	t.createAll(
		Obj{"id": f["none"], "type": typ, "name": Prop("sans niveau")},
		Obj{"id": f["m2"], "type": typ, "level": Prop(20), "name": Prop("vingt")},
		Obj{"id": f["m1"], "type": typ, "level": Prop(10), "name": Prop("dix")},
	)
	t.expectKeys(t.Do(GetRequest("/entities", query("type", typ, "orderBy", "level"))), reqOrderMissing, "orderBy=level", f, true, "m1", "m2", "none")
	t.expectKeys(t.Do(GetRequest("/entities", query("type", typ, "orderBy", "level;desc"))), reqOrderMissing, "orderBy=level;desc", f, true, "m2", "m1", "none")
}

var linkRE = regexp.MustCompile(`<([^>]*)>\s*;\s*rel="?([^";,]+)"?`)

// pageLinks returns the targets of the Link headers of relation next and
// prev.
func pageLinks(resp *Response) map[string]string {
	out := map[string]string{}
	for _, m := range linkRE.FindAllStringSubmatch(strings.Join(resp.Header.Values("Link"), ", "), -1) {
		if m[2] == "next" || m[2] == "prev" {
			out[m[2]] = m[1]
		}
	}
	return out
}

// follow requests the target of a paging link, which names the query
// operation by an absolute URL or a path.
func (t *T) follow(target string, req spec.ReqID) *Response {
	u, err := url.Parse(target)
	if !t.Expect(err == nil && strings.HasSuffix(u.Path, "/entities") && u.RawQuery != "", req,
		"a paging link must target the query with its parameters", "a URL of /entities with a query string", target) {
		t.Stop()
	}
	return t.Do(getRaw("/entities", u.RawQuery))
}

func casePageLinks(t *T) {
	typ, ids := t.pagedFixture(5)
	p1 := t.Do(GetRequest("/entities", query("type", typ, "limit", "2")))
	if !t.expectStatus(p1, reqPageLinks, http.StatusOK) {
		t.Stop()
	}
	l1 := pageLinks(p1)
	t.Expect(l1["prev"] == "", reqPageLinks, "the first page has no prev link", "no rel=prev", l1["prev"])
	if !t.Expect(l1["next"] != "", reqPageLinks, "the first page of 5 entities with limit=2 has a next link", "a rel=next link", strings.Join(p1.Header.Values("Link"), " | ")) {
		t.Stop()
	}
	p2 := t.follow(l1["next"], reqPageLinks)
	l2 := pageLinks(p2)
	t.Expect(l2["prev"] != "" && l2["next"] != "", reqPageLinks, "the second page has prev and next links", "rel=prev and rel=next", strings.Join(p2.Header.Values("Link"), " | "))
	seen := append(entityIDs(p1), entityIDs(p2)...)
	if l2["next"] != "" {
		seen = append(seen, entityIDs(t.follow(l2["next"], reqPageLinks))...)
	}
	slices.Sort(seen)
	want := slices.Sorted(slices.Values(ids))
	t.Expect(slices.Equal(seen, want), reqPageLinks, "following next from the first page must give every entity once", strings.Join(want, ", "), strings.Join(seen, ", "))
	if l2["prev"] != "" {
		back := entityIDs(t.follow(l2["prev"], reqPageLinks))
		t.Expect(slices.Equal(back, entityIDs(p1)), reqPageLinks, "prev from the second page gives the first page", strings.Join(entityIDs(p1), ", "), strings.Join(back, ", "))
	}
	last := t.Do(GetRequest("/entities", query("type", typ, "limit", "2", "offset", "4", "count", "true")))
	if t.expectStatus(last, reqPageLinks, http.StatusOK) {
		t.Expect(pageLinks(last)["next"] == "", reqPageLinks, "the last page with count=true has no next link", "no rel=next", pageLinks(last)["next"])
	}
}

func caseTooManyResults(t *T) {
	typ, _ := t.pagedFixture(2)
	resp := t.Do(GetRequest("/entities", query("type", typ, "limit", "100")))
	t.expectStatus(resp, reqTooMany, http.StatusOK)
	resp = t.Do(GetRequest("/entities", query("type", typ, "limit", "100001")))
	t.expectProblem(resp, reqTooMany, http.StatusForbidden, spec.ProblemTooManyResults)
}

func caseCountFiltered(t *T) {
	typ, _ := t.stations()
	for _, c := range []struct{ q, want string }{{"level>10", "2"}, {"active==true|level==\"20\"", "3"}, {"level>100", "0"}} {
		resp := t.Do(GetRequest("/entities", query("type", typ, "q", c.q, "count", "true", "limit", "1")))
		if t.expectStatus(resp, reqCountFiltered, http.StatusOK) {
			t.Expect(resp.Header.Get(HeaderResultsCount) == c.want, reqCountFiltered, HeaderResultsCount+" with q="+c.q, c.want, resp.Header.Get(HeaderResultsCount))
		}
	}
}

// postQuery sends a Query body to POST /entityOperations/query.
func postQuery(body Obj, kv ...string) Request {
	body["type"] = "Query"
	return withQuery(JSONRequest(http.MethodPost, "/entityOperations/query", body), kv...)
}

func casePostQuery(t *T) {
	typ, f := t.stations()
	for _, c := range []struct {
		what string
		body Obj
		want []string
	}{
		{"a type selector and q", Obj{"entities": []any{Obj{"type": typ}}, "q": "level>10"}, keys("b", "c")},
		{"two id selectors", Obj{"entities": []any{Obj{"id": f["a"]}, Obj{"id": f["c"]}}}, keys("a", "c")},
		{"an idPattern and type selector", Obj{"entities": []any{Obj{"idPattern": ".*:station-[ab]$", "type": typ}}}, keys("a", "b")},
		{"a type selector and scopeQ", Obj{"entities": []any{Obj{"type": typ}}, "scopeQ": "/Nantes/#"}, keys("a", "b")},
		// Selectors are alternatives whatever each of them gives.
		{"id-and-type and idPattern-and-type selectors", Obj{"entities": []any{Obj{"id": f["a"], "type": typ}, Obj{"idPattern": ".*:station-c$", "type": typ}}}, keys("a", "c")},
		{"an id selector whose type does not match, and an id-and-type selector", Obj{"entities": []any{Obj{"id": f["a"], "type": typ + "Other"}, Obj{"id": f["b"], "type": typ}}}, keys("b")},
	} {
		t.expectKeys(t.Do(postQuery(c.body)), reqPostQuery, "POST query with "+c.what, f, false, c.want...)
	}
}

func casePostQueryProjection(t *T) {
	t.newNamedSensor("sensor")
	sel := []any{Obj{"type": t.Name("OtcSensor")}}
	e := t.onlyEntity(t.Do(postQuery(Obj{"entities": sel, "attrs": []any{"temperature"}})), reqPostProject)
	t.expectMembers(e, reqPostProject, "POST query with attrs [temperature]", "id", "type", "temperature")
	e = t.onlyEntity(t.Do(postQuery(Obj{"entities": sel, "pick": []any{"id", "name"}})), reqPostProject)
	t.expectMembers(e, reqPostProject, "POST query with pick [id, name]", "id", "name")
	e = t.onlyEntity(t.Do(postQuery(Obj{"entities": sel, "omit": []any{"name", "title", "location"}})), reqPostProject)
	t.expectMembers(e, reqPostProject, "POST query with omit [name, title, location]", "id", "type", "temperature", "isPartOf")
	e = t.onlyEntity(t.Do(postQuery(Obj{"entities": sel, "lang": "en"})), reqPostProject)
	t.expectLang(e, reqPostProject, "en", "Noise sensor", false)
}
