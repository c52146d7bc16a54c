package conformance

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/opentid/opentid/spec"
)

func subscriptionCases() []Case {
	c := func(name, title string, covers []string, run func(t *T)) Case {
		cs := newCase(spec.ClassSubscriptions, name, title, covers, run)
		cs.Since = "0.2.0"
		return cs
	}
	return []Case{
		c("create", "Creating a subscription answers 201 with a Location; a used id is a 409", []string{"create"}, caseSubCreate),
		c("invalid", "Invalid subscriptions are refused with 400 BadRequestData", []string{"invalid"}, caseSubInvalid),
		c("retrieve", "A subscription is retrieved with its status members", []string{"retrieve"}, caseSubRetrieve),
		c("query", "Subscriptions are listed, paged and counted", []string{"query"}, caseSubQuery),
		c("update", "An update changes what is notified; isActive pauses", []string{"update"}, caseSubUpdate),
		c("delete", "A deleted subscription is gone and notifies no more", []string{"delete"}, caseSubDelete),
		c("lifecycle", "Creation, update and deletion of an entity are notified, with headers and counters", []string{"notify-create", "notify-update", "notify-delete", "receiver-info", "accept", "status"}, caseSubLifecycle),
		c("watched-attributes", "Only changes of watched attributes are notified", []string{"watched-attributes"}, caseSubWatched),
		c("q", "Only entities that satisfy q are notified", []string{"q"}, caseSubQ),
		c("geoq", "Only entities that satisfy geoQ are notified", []string{"geoq"}, caseSubGeoQ),
		c("entities", "Only entities selected by id and type are notified", []string{"entities"}, caseSubEntities),
		c("format", "Notifications use the format, attributes and sysAttrs asked for", []string{"format"}, caseSubFormat),
		c("accept-ld", "application/ld+json notifications carry the @context in the body", []string{"accept"}, caseSubAcceptLD),
		c("show-changes", "showChanges adds the previous value", []string{"show-changes"}, caseSubShowChanges),
		c("throttling", "Throttling spaces notifications and keeps the latest state", []string{"throttling"}, caseSubThrottling),
		c("time-interval", "Periodic subscriptions notify every timeInterval", []string{"time-interval"}, caseSubTimeInterval),
		c("expiry", "An expired subscription notifies nothing and shows status expired", []string{"expiry"}, caseSubExpiry),
		c("retry", "A notification refused by the endpoint is delivered when it recovers", []string{"at-least-once", "status"}, caseSubRetry),
	}
}

func subReq(name string) spec.ReqID { return spec.ReqID("/req/subscriptions/" + name) }

const (
	// noticeWait bounds the wait for an expected notification.
	noticeWait = 5 * time.Second
	// quietWait is how long a case listens to show that nothing comes.
	quietWait = 800 * time.Millisecond
)

// subscriptionBody is a subscription to the entities of type typ sent to in.
func subscriptionBody(in *Inbox, typ string) Obj {
	return Obj{"type": "Subscription", "entities": []any{Obj{"type": typ}}, "notification": Obj{"endpoint": Obj{"uri": in.URI}}}
}

// subscribe creates a subscription as a precondition and returns its id.
// The caller defers t.unsubscribe(id).
func (t *T) subscribe(body Obj, req spec.ReqID) string {
	resp := t.Do(JSONRequest(http.MethodPost, "/subscriptions", body))
	if resp.Status != http.StatusCreated {
		t.Fatalf(req, "creating the subscription: status %d, want 201", resp.Status)
	}
	loc := resp.Header.Get("Location")
	i := strings.LastIndex(loc, "/subscriptions/")
	if i < 0 {
		t.Fatalf(req, "the Location header %q does not name a subscription", loc)
	}
	return loc[i+len("/subscriptions/"):]
}

// unsubscribe deletes a subscription, quietly: it runs when a case ends.
func (t *T) unsubscribe(id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.ctx), 5*time.Second)
	defer cancel()
	req := Request{Method: http.MethodDelete, Path: "/subscriptions/" + id, Header: header()}
	if t.run.cfg.Tenant != "" {
		req.Header.Set(HeaderTenant, t.run.cfg.Tenant)
	}
	_, _, _ = t.run.client.do(ctx, &req)
}

func subPath(id string) string { return "/subscriptions/" + id }

// expectNotice waits for a notification and checks its envelope.
func (t *T) expectNotice(in *Inbox, req spec.ReqID, what string) Notification {
	n, ok := in.Next(t, noticeWait)
	if !ok {
		t.Fatalf(req, "no notification %s within %s", what, noticeWait)
	}
	return n
}

// expectQuiet checks that no notification comes.
func (t *T) expectQuiet(in *Inbox, req spec.ReqID, what string) {
	if n, ok := in.Next(t, quietWait); ok {
		t.Errorf(req, "unexpected notification %s: %s", what, show(n.Body))
	}
}

// noticeEntity returns the entity with id in the data of a notification.
func noticeEntity(n Notification, id string) Obj {
	list, _ := n.Body["data"].([]any)
	for _, x := range list {
		if m, ok := x.(map[string]any); ok && m["id"] == id {
			return m
		}
	}
	return nil
}

// attrValue returns the value member of a normalized attribute.
func attrValue(e Obj, name string) any {
	a, _ := e[name].(map[string]any)
	return a["value"]
}

func (t *T) patchTemperature(id string, v any) {
	resp := t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"temperature": Prop(v)}))
	if resp.Status != http.StatusNoContent {
		t.Fatalf(reqCreate, "updating %s: status %d, want 204", id, resp.Status)
	}
}

func caseSubCreate(t *T) {
	in := t.Inbox("create")
	id := "urn:ngsi-ld:Subscription:" + strings.ReplaceAll(t.prefix, ":", "-")
	body := subscriptionBody(in, t.Name("OtcSensor"))
	body["id"] = id
	resp := t.Do(JSONRequest(http.MethodPost, "/subscriptions", body))
	if !t.expectStatus(resp, subReq("create"), http.StatusCreated) {
		t.Stop()
	}
	defer t.unsubscribe(id)
	loc := resp.Header.Get("Location")
	t.Expect(strings.HasSuffix(loc, "/ngsi-ld/v1/subscriptions/"+id), subReq("create"), "Location must name the subscription", "…/ngsi-ld/v1/subscriptions/"+id, loc)
	resp = t.Do(JSONRequest(http.MethodPost, "/subscriptions", body))
	t.expectProblem(resp, subReq("create"), http.StatusConflict, "AlreadyExists")
	anon := t.subscribe(subscriptionBody(in, t.Name("OtcSensor")), subReq("create"))
	defer t.unsubscribe(anon)
	t.Expect(anon != "" && anon != id, subReq("create"), "a subscription without id gets one", "a new id", anon)
}

func caseSubInvalid(t *T) {
	in := t.Inbox("invalid")
	typ := t.Name("OtcSensor")
	with := func(k string, v any) Obj { b := subscriptionBody(in, typ); b[k] = v; return b }
	bodies := map[string]Obj{
		"type not Subscription":        with("type", "Registration"),
		"no notification":              {"type": "Subscription", "entities": []any{Obj{"type": typ}}},
		"no entities nor watched":      {"type": "Subscription", "notification": Obj{"endpoint": Obj{"uri": in.URI}}},
		"q that does not parse":        with("q", "temperature>>"),
		"bad format":                   with("notification", Obj{"format": "xml", "endpoint": Obj{"uri": in.URI}}),
		"throttling with timeInterval": func() Obj { b := with("throttling", 1); b["timeInterval"] = 5; return b }(),
		"endpoint without uri":         with("notification", Obj{"endpoint": Obj{}}),
	}
	for name, body := range bodies {
		resp := t.Do(JSONRequest(http.MethodPost, "/subscriptions", body))
		if resp.Status == http.StatusCreated {
			if id := resp.Header.Get("Location"); id != "" {
				t.unsubscribe(id[strings.LastIndex(id, "/")+1:])
			}
		}
		if !t.expectProblem(resp, subReq("invalid"), http.StatusBadRequest, "BadRequestData") {
			t.Errorf(subReq("invalid"), "the subscription with %s must be refused", name)
		}
	}
}

func caseSubRetrieve(t *T) {
	in := t.Inbox("retrieve")
	body := subscriptionBody(in, t.Name("OtcSensor"))
	body["q"] = "temperature>10"
	body["subscriptionName"] = "otc"
	id := t.subscribe(body, subReq("retrieve"))
	defer t.unsubscribe(id)
	resp := t.Do(GetRequest(subPath(id), nil))
	if !t.expectStatus(resp, subReq("retrieve"), http.StatusOK) {
		t.Stop()
	}
	s := resp.Object()
	t.Expect(s["id"] == id && s["type"] == "Subscription", subReq("retrieve"), "id and type", id, show(s["id"]))
	t.Expect(s["q"] == "temperature>10" && s["subscriptionName"] == "otc", subReq("retrieve"), "the members given at creation", "q and subscriptionName", show(s))
	t.Expect(s["status"] == "active", subReq("retrieve"), "status of a new subscription", "active", show(s["status"]))
	n, _ := s["notification"].(map[string]any)
	ep, _ := n["endpoint"].(map[string]any)
	t.Expect(ep["uri"] == in.URI, subReq("retrieve"), "the endpoint", in.URI, show(ep["uri"]))
	_, hasSent := n["timesSent"]
	t.Expect(hasSent, subReq("retrieve"), "notification.timesSent must be shown", "timesSent", show(n))
	resp = t.Do(GetRequest(subPath("urn:ngsi-ld:Subscription:otc-unknown-"+strings.ReplaceAll(t.prefix, ":", "-")), nil))
	t.expectProblem(resp, subReq("retrieve"), http.StatusNotFound, "ResourceNotFound")
}

func caseSubQuery(t *T) {
	in := t.Inbox("query")
	a := t.subscribe(subscriptionBody(in, t.Name("OtcA")), subReq("query"))
	defer t.unsubscribe(a)
	b := t.subscribe(subscriptionBody(in, t.Name("OtcB")), subReq("query"))
	defer t.unsubscribe(b)
	resp := t.Do(GetRequest("/subscriptions", query("count", "true", "limit", "1")))
	if !t.expectStatus(resp, subReq("query"), http.StatusOK) {
		t.Stop()
	}
	t.Expect(len(resp.Array()) == 1, subReq("query"), "limit=1 returns one subscription", "1", show(len(resp.Array())))
	count := resp.Header.Get("NGSILD-Results-Count")
	t.Expect(count != "" && count != "0" && count != "1", subReq("query"), "NGSILD-Results-Count counts every subscription", "2 or more", count)
	found := map[any]bool{}
	for off := 0; off < 1000; off += 100 {
		resp = t.Do(GetRequest("/subscriptions", query("limit", "100", "offset", show(off))))
		list := resp.Array()
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				found[m["id"]] = true
			}
		}
		if len(list) < 100 {
			break
		}
	}
	t.Expect(found[a] && found[b], subReq("query"), "both subscriptions are listed", a+", "+b, show(len(found)))
}

func caseSubUpdate(t *T) {
	in := t.Inbox("update")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	sub := t.subscribe(subscriptionBody(in, typ), subReq("update"))
	defer t.unsubscribe(sub)
	resp := t.Do(JSONRequest(http.MethodPatch, subPath(sub), Obj{"isActive": false}))
	if !t.expectStatus(resp, subReq("update"), http.StatusNoContent) {
		t.Stop()
	}
	s := t.Do(GetRequest(subPath(sub), nil)).Object()
	t.Expect(s["status"] == "paused", subReq("update"), "status after isActive false", "paused", show(s["status"]))
	t.patchTemperature(id, 1)
	t.expectQuiet(in, subReq("update"), "from a paused subscription")
	t.Do(JSONRequest(http.MethodPatch, subPath(sub), Obj{"isActive": true, "notification": Obj{"format": "keyValues"}}))
	t.patchTemperature(id, 2)
	n := t.expectNotice(in, subReq("update"), "after isActive true")
	e := noticeEntity(n, id)
	t.Expect(e != nil && numEq(e["temperature"], 2), subReq("update"), "the updated format (keyValues) applies", "temperature: 2", show(e))
}

func caseSubDelete(t *T) {
	in := t.Inbox("delete")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	sub := t.subscribe(subscriptionBody(in, typ), subReq("delete"))
	resp := t.Do(Request{Method: http.MethodDelete, Path: subPath(sub), Header: header()})
	if !t.expectStatus(resp, subReq("delete"), http.StatusNoContent) {
		t.Stop()
	}
	resp = t.Do(GetRequest(subPath(sub), nil))
	t.expectProblem(resp, subReq("delete"), http.StatusNotFound, "ResourceNotFound")
	t.patchTemperature(id, 3)
	t.expectQuiet(in, subReq("delete"), "from a deleted subscription")
}

func caseSubLifecycle(t *T) {
	in := t.Inbox("lifecycle")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	body := subscriptionBody(in, typ)
	body["notification"] = Obj{"endpoint": Obj{"uri": in.URI, "receiverInfo": []any{Obj{"key": "X-Otc-Token", "value": "k1"}}}}
	sub := t.subscribe(body, subReq("notify-create"))
	defer t.unsubscribe(sub)

	t.create(sensor(id, typ))
	n := t.expectNotice(in, subReq("notify-create"), "of the creation")
	id0, _ := n.Body["id"].(string)
	t.Expect(n.Body["type"] == "Notification" && strings.Contains(id0, ":") && n.Body["notifiedAt"] != nil && n.Body["subscriptionId"] == sub,
		subReq("notify-create"), "the notification envelope", "id, type Notification, subscriptionId, notifiedAt", show(n.Body))
	t.Expect(noticeEntity(n, id) != nil, subReq("notify-create"), "data holds the created entity", id, show(n.Body["data"]))
	t.Expect(n.Body["triggerReason"] == "entityCreated", subReq("notify-create"), "triggerReason", "entityCreated", show(n.Body["triggerReason"]))
	t.Expect(n.Header.Get("X-Otc-Token") == "k1", subReq("receiver-info"), "receiverInfo is sent as a header", "X-Otc-Token: k1", n.Header.Get("X-Otc-Token"))
	if tenant := t.Tenant(); tenant != "" {
		t.Expect(n.Header.Get(HeaderTenant) == tenant, subReq("receiver-info"), "the tenant header", tenant, n.Header.Get(HeaderTenant))
	}
	t.Expect(mediaType(n.Header.Get("Content-Type")) == MediaJSON && strings.Contains(n.Header.Get("Link"), "rel="), subReq("accept"),
		"application/json with the @context in a Link header", "application/json + Link", n.Header.Get("Content-Type")+" / "+n.Header.Get("Link"))

	t.patchTemperature(id, 30)
	n = t.expectNotice(in, subReq("notify-update"), "of the update")
	e := noticeEntity(n, id)
	t.Expect(e != nil && numEq(attrValue(e, "temperature"), 30), subReq("notify-update"), "the entity after the update", "temperature 30", show(e))
	t.Expect(n.Body["triggerReason"] == "entityUpdated", subReq("notify-update"), "triggerReason", "entityUpdated", show(n.Body["triggerReason"]))

	t.Do(Request{Method: http.MethodDelete, Path: EntityPath(id), Header: header()})
	n = t.expectNotice(in, subReq("notify-delete"), "of the deletion")
	e = noticeEntity(n, id)
	t.Expect(e != nil && e["deletedAt"] != nil && e["type"] == typ, subReq("notify-delete"), "the deleted entity's id, type and deletedAt", "deletedAt", show(e))
	t.Expect(n.Body["triggerReason"] == "entityDeleted", subReq("notify-delete"), "triggerReason", "entityDeleted", show(n.Body["triggerReason"]))

	deadline := time.Now().Add(noticeWait)
	for {
		s := t.Do(GetRequest(subPath(sub), nil)).Object()
		st, _ := s["notification"].(map[string]any)
		if numEq(st["timesSent"], 3) && st["lastSuccess"] != nil && st["lastNotification"] != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf(subReq("status"), "timesSent, lastNotification and lastSuccess after 3 notifications: got %s", show(st))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// filterCase subscribes with extra members, then makes a change that must
// not be notified and one that must.
func (t *T) filterCase(req spec.ReqID, extra Obj, quiet, loud func(id string)) {
	in := t.Inbox("filter")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	for k, v := range extra {
		body[k] = v
	}
	sub := t.subscribe(body, req)
	defer t.unsubscribe(sub)
	quiet(id)
	t.expectQuiet(in, req, "for a change the subscription does not select")
	loud(id)
	t.expectNotice(in, req, "for a change the subscription selects")
}

func caseSubWatched(t *T) {
	t.filterCase(subReq("watched-attributes"), Obj{"watchedAttributes": []any{"temperature"}},
		func(id string) {
			t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"name": Prop("other")}))
		},
		func(id string) { t.patchTemperature(id, 12) })
}

func caseSubQ(t *T) {
	t.filterCase(subReq("q"), Obj{"q": "temperature>30"},
		func(id string) { t.patchTemperature(id, 25) },
		func(id string) { t.patchTemperature(id, 35) })
}

func caseSubGeoQ(t *T) {
	t.filterCase(subReq("geoq"), Obj{"geoQ": Obj{"geometry": "Point", "coordinates": []any{-1.5536, 47.2184}, "georel": "near;maxDistance==2000"}},
		func(id string) {
			t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"location": Point(4.8357, 45.764), "temperature": Prop(1)}))
		},
		func(id string) {
			t.Do(JSONRequest(http.MethodPatch, EntityPath(id)+"/attrs", Obj{"location": Point(-1.5536, 47.2184), "temperature": Prop(2)}))
		})
}

func caseSubEntities(t *T) {
	in := t.Inbox("entities")
	typ := t.Name("OtcSensor")
	a, b := t.EntityID("a"), t.EntityID("b")
	t.create(sensor(a, typ))
	t.create(sensor(b, typ))
	other := t.EntityID("other-type")
	t.create(sensor(other, t.Name("OtcParking")))
	body := subscriptionBody(in, typ)
	body["entities"] = []any{Obj{"id": a, "type": typ}}
	sub := t.subscribe(body, subReq("entities"))
	defer t.unsubscribe(sub)
	t.patchTemperature(b, 1)
	t.patchTemperature(other, 1)
	t.expectQuiet(in, subReq("entities"), "for entities the selector leaves out")
	t.patchTemperature(a, 1)
	n := t.expectNotice(in, subReq("entities"), "for the selected entity")
	t.Expect(noticeEntity(n, a) != nil, subReq("entities"), "the selected entity is notified", a, show(n.Body["data"]))
}

func caseSubFormat(t *T) {
	in := t.Inbox("format")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	body["notification"] = Obj{"format": "keyValues", "attributes": []any{"temperature"}, "endpoint": Obj{"uri": in.URI}}
	sub := t.subscribe(body, subReq("format"))
	defer t.unsubscribe(sub)
	t.patchTemperature(id, 17)
	e := noticeEntity(t.expectNotice(in, subReq("format"), "in keyValues"), id)
	t.Expect(e != nil && numEq(e["temperature"], 17) && e["name"] == nil, subReq("format"), "keyValues with only the attributes asked for", `{"temperature": 17}`, show(e))

	t.Do(JSONRequest(http.MethodPatch, subPath(sub), Obj{"notification": Obj{"format": "normalized", "sysAttrs": true, "attributes": []any{"temperature", "name"}}}))
	t.patchTemperature(id, 18)
	e = noticeEntity(t.expectNotice(in, subReq("format"), "in normalized form"), id)
	a, _ := e["temperature"].(map[string]any)
	t.Expect(a["type"] == "Property" && numEq(a["value"], 18) && e["modifiedAt"] != nil, subReq("format"), "normalized with sysAttrs", "temperature as a Property, modifiedAt", show(e))
}

func caseSubAcceptLD(t *T) {
	in := t.Inbox("accept")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	body["notification"] = Obj{"endpoint": Obj{"uri": in.URI, "accept": MediaJSONLD}}
	sub := t.subscribe(body, subReq("accept"))
	defer t.unsubscribe(sub)
	t.patchTemperature(id, 5)
	n := t.expectNotice(in, subReq("accept"), "as application/ld+json")
	t.Expect(mediaType(n.Header.Get("Content-Type")) == MediaJSONLD && n.Body["@context"] != nil, subReq("accept"),
		"application/ld+json with an @context member", "application/ld+json + @context", n.Header.Get("Content-Type")+" / "+show(n.Body["@context"]))
}

func caseSubShowChanges(t *T) {
	in := t.Inbox("changes")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	body["notification"] = Obj{"showChanges": true, "endpoint": Obj{"uri": in.URI}}
	sub := t.subscribe(body, subReq("show-changes"))
	defer t.unsubscribe(sub)
	t.patchTemperature(id, 40)
	e := noticeEntity(t.expectNotice(in, subReq("show-changes"), "with showChanges"), id)
	a, _ := e["temperature"].(map[string]any)
	t.Expect(numEq(a["previousValue"], 21.5), subReq("show-changes"), "previousValue of the changed attribute", "21.5", show(a))
}

func caseSubThrottling(t *T) {
	in := t.Inbox("throttling")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	body["throttling"] = 2
	sub := t.subscribe(body, subReq("throttling"))
	defer t.unsubscribe(sub)
	for i := 1; i <= 4; i++ {
		t.patchTemperature(id, i)
	}
	var times []time.Time
	last := any(nil)
	for !numEq(last, 4) {
		n := t.expectNotice(in, subReq("throttling"), "with the latest state")
		times = append(times, n.At)
		last = attrValue(noticeEntity(n, id), "temperature")
		if len(times) > 4 {
			break
		}
	}
	for i := 1; i < len(times); i++ {
		gap := times[i].Sub(times[i-1])
		t.Expect(gap > 1500*time.Millisecond, subReq("throttling"), "two notifications at least throttling (2 s) apart", "≥ 2 s", gap.String())
	}
	t.Expect(len(times) <= 2, subReq("throttling"), "four quick updates give at most two notifications", "≤ 2", show(len(times)))
}

func caseSubTimeInterval(t *T) {
	in := t.Inbox("interval")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	body["timeInterval"] = 1
	sub := t.subscribe(body, subReq("time-interval"))
	defer t.unsubscribe(sub)
	first := t.expectNotice(in, subReq("time-interval"), "periodic")
	second := t.expectNotice(in, subReq("time-interval"), "periodic, the second")
	t.Expect(first.Body["triggerReason"] == "timeInterval" && noticeEntity(second, id) != nil, subReq("time-interval"),
		"periodic notifications with the matching entities", "triggerReason timeInterval and the entity", show(second.Body))
	gap := second.At.Sub(first.At)
	t.Expect(gap > 700*time.Millisecond, subReq("time-interval"), "periodic notifications come every timeInterval (1 s)", "about 1 s", gap.String())
}

func caseSubExpiry(t *T) {
	in := t.Inbox("expiry")
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	body := subscriptionBody(in, typ)
	body["expiresAt"] = "2020-01-01T00:00:00Z"
	sub := t.subscribe(body, subReq("expiry"))
	defer t.unsubscribe(sub)
	t.patchTemperature(id, 9)
	t.expectQuiet(in, subReq("expiry"), "from an expired subscription")
	s := t.Do(GetRequest(subPath(sub), nil)).Object()
	t.Expect(s["status"] == "expired", subReq("expiry"), "status of an expired subscription", "expired", show(s["status"]))
}

func caseSubRetry(t *T) {
	in := t.Inbox("retry")
	in.FailNext(2)
	typ := t.Name("OtcSensor")
	id := t.EntityID("s")
	t.create(sensor(id, typ))
	sub := t.subscribe(subscriptionBody(in, typ), subReq("at-least-once"))
	defer t.unsubscribe(sub)
	t.patchTemperature(id, 77)
	n, ok := in.Next(t, 15*time.Second)
	if !ok {
		t.Fatalf(subReq("at-least-once"), "the notification refused twice by the endpoint was not delivered again within 15 s")
	}
	e := noticeEntity(n, id)
	t.Expect(e != nil && numEq(attrValue(e, "temperature"), 77), subReq("at-least-once"), "the notification delivered after the failures", "temperature 77", show(e))
	time.Sleep(200 * time.Millisecond)
	s := t.Do(GetRequest(subPath(sub), nil)).Object()
	st, _ := s["notification"].(map[string]any)
	t.Expect(st["timesFailed"] != nil && !numEq(st["timesFailed"], 0) && st["lastFailure"] != nil, subReq("status"), "timesFailed and lastFailure after failed attempts", "timesFailed ≥ 1", show(st))
}

// numEq reports whether v is the number f, whether decoded as float64 or
// json.Number.
func numEq(v any, f float64) bool {
	switch n := v.(type) {
	case float64:
		return n == f
	case json.Number:
		x, err := n.Float64()
		return err == nil && x == f
	case int:
		return float64(n) == f
	}
	return false
}
