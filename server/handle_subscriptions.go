package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/notify"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// Subscriptions (clauses 5.8, 6.10, 6.11) and the lifecycle of the
// notifier that delivers their notifications.

// Start runs the background work of the server (delivery of
// notifications, periodic notifications) until ctx is cancelled or Close
// is called. It returns at once; calling it again does nothing.
func (s *Server) Start(ctx context.Context) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if s.running != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.running, s.stop = done, cancel
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for _, task := range s.background {
			wg.Add(1)
			go func() {
				defer wg.Done()
				task(ctx)
			}()
		}
		s.notifier.Run(ctx)
		wg.Wait()
	}()
}

// Close stops the background work started by Start and waits for the
// deliveries under way to end. The store is the caller's to close.
func (s *Server) Close() error {
	s.runMu.Lock()
	done, stop := s.running, s.stop
	s.runMu.Unlock()
	if done == nil {
		return nil
	}
	stop()
	<-done
	return nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// newNotifier builds the notifier and registers its hook.
func (s *Server) newNotifier() {
	opts := s.cfg.Notify
	opts.AllowPrivate = s.cfg.AllowPrivateEndpoints
	if opts.Logger == nil {
		opts.Logger = s.log
	}
	opts.Contexts = func(ctx context.Context, raw any) (ngsild.Context, error) {
		if raw == nil {
			return s.ld.Core(), nil
		}
		return s.ld.Context(ctx, raw)
	}
	s.notifier = notify.New(s.store, opts)
	s.hooks = append(s.hooks, func(_ context.Context, tx store.Tx, tenant string, changes []Change) error {
		list := make([]notify.Change, len(changes))
		for i, c := range changes {
			list[i] = notify.Change{Old: c.Old, New: c.New}
		}
		_, err := s.notifier.Hook(tx, tenant, list)
		return err
	})
	s.committed = append(s.committed, s.notifier.Kick)
}

func subscriptionLocation(id string) string { return BasePath + "/subscriptions/" + url.PathEscape(id) }

func subscriptionIDParam(r *http.Request) (string, error) {
	id, err := pathParam(r, "subscriptionId")
	if err != nil {
		return "", err
	}
	if !isAbsoluteURI(id) {
		return "", problemf(spec.ProblemBadRequestData, "subscription id %q is not a URI", id)
	}
	return id, nil
}

func subscriptionError(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTenantNotFound) {
		return &apiError{problem: spec.ProblemResourceNotFound, detail: "subscription " + id + " does not exist", cause: err}
	}
	return err
}

// handleCreateSubscription: POST /subscriptions (clause 5.8.1).
func (s *Server) handleCreateSubscription(w http.ResponseWriter, r *http.Request) error {
	rc, body, err := s.writeContext(r)
	if err != nil {
		return err
	}
	obj, err := bodyObject(body)
	if err != nil {
		return err
	}
	now := s.now()
	sub, err := s.parseSubscription(r.Context(), obj, rc, now)
	if err != nil {
		return err
	}
	if sub.ID == "" {
		sub.ID = "urn:ngsi-ld:Subscription:" + uuid.NewString()
	}
	sub.CreatedAt, sub.ModifiedAt = now, now
	err = s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
		_, _, err := tx.GetSubscription(sub.ID)
		switch {
		case err == nil:
			return problemf(spec.ProblemAlreadyExists, "subscription %s already exists", sub.ID)
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return tx.PutSubscription(sub)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", subscriptionLocation(sub.ID))
	echoTenant(w, rc)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// handleRetrieveSubscription: GET /subscriptions/{subscriptionId} (5.8.3).
func (s *Server) handleRetrieveSubscription(w http.ResponseWriter, r *http.Request) error {
	id, err := subscriptionIDParam(r)
	if err != nil {
		return err
	}
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	var sub *ngsild.Subscription
	var st ngsild.SubscriptionStatus
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		var err error
		sub, st, err = rd.GetSubscription(id)
		return err
	})
	if err != nil {
		return subscriptionError(err, id)
	}
	return s.writeEntities(w, rc, http.StatusOK, []ngsild.Object{renderSubscription(sub, st, rc.ld, s.now())}, false)
}

// handleQuerySubscriptions: GET /subscriptions (5.8.4).
func (s *Server) handleQuerySubscriptions(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	qp := r.URL.Query()
	count := qp.Get("count") == "true"
	limit, offset, err := s.paging(qp.Get("limit"), qp.Get("offset"), count)
	if err != nil {
		return err
	}
	var list []store.StoredSubscription
	total := 0
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		var err error
		list, total, err = rd.ListSubscriptions(limit, offset)
		return err
	})
	if err != nil && !errors.Is(err, store.ErrTenantNotFound) {
		return err
	}
	objs := make([]ngsild.Object, 0, len(list))
	now := s.now()
	for _, ss := range list {
		objs = append(objs, renderSubscription(ss.Sub, ss.Status, rc.ld, now))
	}
	if count {
		w.Header().Set("NGSILD-Results-Count", strconv.Itoa(total))
	}
	addPageLinks(w, r, offset, limit, len(objs), total, true)
	return s.writeEntities(w, rc, http.StatusOK, objs, true)
}

// handleUpdateSubscription: PATCH /subscriptions/{subscriptionId} (5.8.2).
// The members given replace the stored ones (notification and its
// endpoint are merged member by member); the result is checked whole.
func (s *Server) handleUpdateSubscription(w http.ResponseWriter, r *http.Request) error {
	id, rc, patch, err := s.resourceBody(r, subscriptionIDParam)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
		old, st, err := tx.GetSubscription(id)
		if err != nil {
			return subscriptionError(err, id)
		}
		var doc map[string]any
		raw, err := json.Marshal(renderSubscription(old, st, rc.ld, now))
		if err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return err
		}
		for _, k := range []string{"status", "createdAt", "modifiedAt"} {
			delete(doc, k)
		}
		if n, ok := doc["notification"].(map[string]any); ok {
			for _, k := range []string{"status", "timesSent", "timesFailed", "lastNotification", "lastSuccess", "lastFailure", "deadLettered", "pending", "lastError"} {
				delete(n, k)
			}
		}
		mergeMembers(doc, patch)
		sub, err := s.parseSubscription(r.Context(), doc, rc, now)
		if err != nil {
			return err
		}
		sub.ID, sub.CreatedAt, sub.ModifiedAt = id, old.CreatedAt, now
		sub.LastPeriodic = old.LastPeriodic
		if _, has := patch["jsonldContext"]; !has {
			sub.Context = old.Context
		}
		return tx.PutSubscription(sub)
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mergeMembers writes the members of patch over doc; notification and
// notification.endpoint are merged one level down.
func mergeMembers(doc, patch map[string]any) {
	for k, v := range patch {
		if k == "notification" {
			if pn, ok := v.(map[string]any); ok {
				if dn, ok := doc[k].(map[string]any); ok {
					for nk, nv := range pn {
						pe, ok1 := nv.(map[string]any)
						de, ok2 := dn[nk].(map[string]any)
						if nk == "endpoint" && ok1 && ok2 {
							for ek, ev := range pe {
								de[ek] = ev
							}
							continue
						}
						dn[nk] = nv
					}
					continue
				}
			}
		}
		doc[k] = v
	}
}

// handleDeleteSubscription: DELETE /subscriptions/{subscriptionId} (5.8.5).
func (s *Server) handleDeleteSubscription(w http.ResponseWriter, r *http.Request) error {
	id, err := subscriptionIDParam(r)
	if err != nil {
		return err
	}
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	err = s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
		return subscriptionError(tx.DeleteSubscription(id), id)
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// badSub is a BadRequestData problem about a subscription member.
func badSub(member, format string, args ...any) error {
	e := problemf(spec.ProblemBadRequestData, "%s: %s", member, fmt.Sprintf(format, args...))
	e.errs = []fieldError{{Pointer: "/" + strings.ReplaceAll(member, ".", "/"), Detail: fmt.Sprintf(format, args...)}}
	return e
}

// subFields reads typed members of a JSON object.
type subFields struct {
	obj map[string]any
	err error
}

func (f *subFields) str(path string, v any) string {
	if v == nil || f.err != nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.err = badSub(path, "must be a string")
	}
	return s
}

func (f *subFields) strList(path string, v any) []string {
	if v == nil || f.err != nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		f.err = badSub(path, "must be a non-empty array of strings")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, x := range arr {
		s, ok := x.(string)
		if !ok || s == "" {
			f.err = badSub(path, "must be a non-empty array of strings")
			return nil
		}
		out = append(out, s)
	}
	return out
}

func (f *subFields) boolean(path string, v any) bool {
	if v == nil || f.err != nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		f.err = badSub(path, "must be true or false")
	}
	return b
}

func (f *subFields) seconds(path string, v any) float64 {
	if v == nil || f.err != nil {
		return 0
	}
	var x float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if x, err = n.Float64(); err != nil {
			f.err = badSub(path, "must be a number")
		}
	case float64:
		x = n
	default:
		f.err = badSub(path, "must be a number")
	}
	if f.err == nil && x <= 0 {
		f.err = badSub(path, "must be greater than 0")
	}
	return x
}

func (f *subFields) object(path string, v any) map[string]any {
	if v == nil || f.err != nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		f.err = badSub(path, "must be an object")
	}
	return m
}

func (f *subFields) keyValues(path string, v any) []ngsild.KeyValue {
	if v == nil || f.err != nil {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		f.err = badSub(path, "must be an array of {key, value} objects")
		return nil
	}
	var out []ngsild.KeyValue
	for _, x := range arr {
		m, ok := x.(map[string]any)
		k, ok1 := m["key"].(string)
		val, ok2 := m["value"].(string)
		if !ok || !ok1 || !ok2 || k == "" {
			f.err = badSub(path, "must be an array of {key, value} objects with string members")
			return nil
		}
		out = append(out, ngsild.KeyValue{Key: k, Value: val})
	}
	return out
}

// parseSubscription reads a subscription body (clause 5.2.12) with the
// request's @context.
func (s *Server) parseSubscription(ctx context.Context, obj map[string]any, rc *reqContext, now time.Time) (*ngsild.Subscription, error) {
	f := &subFields{obj: obj}
	ld := rc.ld
	sub := &ngsild.Subscription{}
	if v, has := obj["id"]; has {
		id, ok := v.(string)
		if !ok || !isAbsoluteURI(id) {
			return nil, badSub("id", "must be a URI")
		}
		sub.ID = id
	}
	if t := obj["type"]; t != "Subscription" {
		return nil, badSub("type", "must be \"Subscription\"")
	}
	sub.Name = f.str("subscriptionName", obj["subscriptionName"])
	sub.Description = f.str("description", obj["description"])
	if v, has := obj["entities"]; has {
		arr, ok := v.([]any)
		if !ok || len(arr) == 0 {
			return nil, badSub("entities", "must be a non-empty array of entity selectors")
		}
		for i, x := range arr {
			m, ok := x.(map[string]any)
			path := fmt.Sprintf("entities.%d", i)
			if !ok {
				return nil, badSub(path, "must be an object")
			}
			sel := ngsild.EntitySelector{ID: f.str(path+".id", m["id"]), IDPattern: f.str(path+".idPattern", m["idPattern"])}
			typ := f.str(path+".type", m["type"])
			if f.err != nil {
				return nil, f.err
			}
			if typ == "" {
				return nil, badSub(path+".type", "is required")
			}
			if sel.ID != "" && !isAbsoluteURI(sel.ID) {
				return nil, badSub(path+".id", "must be a URI")
			}
			sel.Type = ld.ExpandTerm(typ)
			sub.Entities = append(sub.Entities, sel)
		}
	}
	for _, a := range f.strList("watchedAttributes", obj["watchedAttributes"]) {
		sub.WatchedAttributes = append(sub.WatchedAttributes, ld.ExpandTerm(a))
	}
	sub.Triggers = f.strList("notificationTrigger", obj["notificationTrigger"])
	for _, t := range sub.Triggers {
		if !slices.Contains(ngsild.AllTriggers, t) {
			return nil, badSub("notificationTrigger", "unknown trigger %q", t)
		}
	}
	sub.Q = f.str("q", obj["q"])
	sub.ScopeQ = f.str("scopeQ", obj["scopeQ"])
	sub.Lang = f.str("lang", obj["lang"])
	if g := f.object("geoQ", obj["geoQ"]); g != nil {
		gq := &ngsild.GeoQ{Georel: f.str("geoQ.georel", g["georel"]), Geometry: f.str("geoQ.geometry", g["geometry"])}
		switch c := g["coordinates"].(type) {
		case string:
			gq.Coordinates = c
		case nil:
		default:
			data, _ := json.Marshal(c)
			gq.Coordinates = string(data)
		}
		gp := f.str("geoQ.geoproperty", g["geoproperty"])
		if gp == "" {
			gp = "location"
		}
		gq.Property = ld.ExpandTerm(gp)
		if _, err := query.ParseGeoQuery(gq.Georel, gq.Geometry, gq.Coordinates, gq.Property, nil); err != nil {
			return nil, badSub("geoQ", "%v", err)
		}
		sub.GeoQ = gq
	}
	sub.Throttling = f.seconds("throttling", obj["throttling"])
	sub.TimeInterval = f.seconds("timeInterval", obj["timeInterval"])
	if v, has := obj["isActive"]; has {
		sub.Paused = !f.boolean("isActive", v)
	}
	if v := f.str("expiresAt", obj["expiresAt"]); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return nil, badSub("expiresAt", "must be a date-time")
		}
		t = t.UTC()
		sub.ExpiresAt = &t
	}
	if v := f.str("jsonldContext", obj["jsonldContext"]); v != "" {
		if !isAbsoluteURI(v) {
			return nil, badSub("jsonldContext", "must be a URI")
		}
		if _, err := s.ld.Context(ctx, v); err != nil {
			return nil, err
		}
		sub.Context = v
	} else if rc.linkURL != "" {
		sub.Context = rc.linkURL
	} else if raw := ld.Raw(); raw != nil {
		sub.Context = raw
	}
	n := f.object("notification", obj["notification"])
	if f.err != nil {
		return nil, f.err
	}
	if n == nil {
		return nil, badSub("notification", "is required")
	}
	for _, a := range f.strList("notification.attributes", n["attributes"]) {
		sub.Notify.Attributes = append(sub.Notify.Attributes, ld.ExpandTerm(a))
	}
	sub.Notify.Format = f.str("notification.format", n["format"])
	switch sub.Notify.Format {
	case "", "normalized", "concise", "keyValues", "simplified":
	default:
		return nil, badSub("notification.format", "must be normalized, concise or keyValues")
	}
	sub.Notify.ShowChanges = f.boolean("notification.showChanges", n["showChanges"])
	sub.Notify.SysAttrs = f.boolean("notification.sysAttrs", n["sysAttrs"])
	ep := f.object("notification.endpoint", n["endpoint"])
	if f.err != nil {
		return nil, f.err
	}
	if ep == nil {
		return nil, badSub("notification.endpoint", "is required")
	}
	sub.Notify.Endpoint = ngsild.Endpoint{
		URI:          f.str("notification.endpoint.uri", ep["uri"]),
		Accept:       f.str("notification.endpoint.accept", ep["accept"]),
		ReceiverInfo: f.keyValues("notification.endpoint.receiverInfo", ep["receiverInfo"]),
		NotifierInfo: f.keyValues("notification.endpoint.notifierInfo", ep["notifierInfo"]),
	}
	if f.err != nil {
		return nil, f.err
	}
	switch sub.Notify.Endpoint.Accept {
	case "", mediaJSON, mediaLDJSON:
	default:
		return nil, badSub("notification.endpoint.accept", "must be application/json or application/ld+json")
	}
	if sub.Notify.Endpoint.URI == "" {
		return nil, badSub("notification.endpoint.uri", "is required")
	}
	if err := notify.CheckEndpoint(ctx, sub.Notify.Endpoint.URI, s.cfg.AllowPrivateEndpoints, nil); err != nil {
		return nil, badSub("notification.endpoint.uri", "%v", err)
	}
	if _, ok := notify.MQTTQoS(sub); !ok {
		return nil, badSub("notification.endpoint.notifierInfo", "MQTT-QoS must be 0, 1 or 2")
	}
	// Cross-member rules (clause 5.8.1).
	switch {
	case len(sub.Entities) == 0 && len(sub.WatchedAttributes) == 0:
		return nil, badSub("entities", "entities or watchedAttributes must be given")
	case sub.Throttling > 0 && sub.TimeInterval > 0:
		return nil, badSub("throttling", "throttling and timeInterval cannot be used together")
	case sub.TimeInterval > 0 && len(sub.WatchedAttributes) > 0:
		return nil, badSub("timeInterval", "timeInterval and watchedAttributes cannot be used together")
	}
	if sub.Q != "" {
		x, err := query.ParseQ(sub.Q, ld.ExpandTerm)
		if err != nil {
			return nil, badSub("q", "%v", err)
		}
		sub.QExpanded = fmt.Sprint(x)
	}
	if sub.ScopeQ != "" {
		if _, err := query.ParseScopeQ(sub.ScopeQ); err != nil {
			return nil, badSub("scopeQ", "%v", err)
		}
	}
	if _, err := notify.Compile(sub); err != nil {
		return nil, badSub("entities", "%v", err)
	}
	return sub, nil
}

// renderSubscription shows a subscription (clause 5.2.12) compacted with
// the request's @context, with its status members.
func renderSubscription(sub *ngsild.Subscription, st ngsild.SubscriptionStatus, ld *jsonld.Context, now time.Time) ngsild.Object {
	o := ngsild.Object{{Key: "id", Value: sub.ID}, {Key: "type", Value: "Subscription"}}
	add := func(k string, v any) { o = append(o, ngsild.Member{Key: k, Value: v}) }
	compact := func(list []string) []string {
		out := make([]string, len(list))
		for i, x := range list {
			out[i] = ld.CompactIRI(x)
		}
		return out
	}
	if sub.Name != "" {
		add("subscriptionName", sub.Name)
	}
	if sub.Description != "" {
		add("description", sub.Description)
	}
	if len(sub.Entities) > 0 {
		var list []any
		for _, e := range sub.Entities {
			m := ngsild.Object{}
			if e.ID != "" {
				m = append(m, ngsild.Member{Key: "id", Value: e.ID})
			}
			if e.IDPattern != "" {
				m = append(m, ngsild.Member{Key: "idPattern", Value: e.IDPattern})
			}
			m = append(m, ngsild.Member{Key: "type", Value: ld.CompactIRI(e.Type)})
			list = append(list, m)
		}
		add("entities", list)
	}
	if len(sub.WatchedAttributes) > 0 {
		add("watchedAttributes", compact(sub.WatchedAttributes))
	}
	if len(sub.Triggers) > 0 {
		add("notificationTrigger", sub.Triggers)
	}
	if sub.Q != "" {
		add("q", sub.Q)
	}
	if g := sub.GeoQ; g != nil {
		var coords any = g.Coordinates
		var parsed any
		if json.Unmarshal([]byte(g.Coordinates), &parsed) == nil {
			coords = parsed
		}
		m := ngsild.Object{{Key: "geometry", Value: g.Geometry}, {Key: "coordinates", Value: coords}, {Key: "georel", Value: g.Georel}}
		if g.Property != "" {
			m = append(m, ngsild.Member{Key: "geoproperty", Value: ld.CompactIRI(g.Property)})
		}
		add("geoQ", m)
	}
	if sub.ScopeQ != "" {
		add("scopeQ", sub.ScopeQ)
	}
	if sub.Lang != "" {
		add("lang", sub.Lang)
	}
	ep := ngsild.Object{{Key: "uri", Value: sub.Notify.Endpoint.URI}}
	accept := sub.Notify.Endpoint.Accept
	if accept == "" {
		accept = mediaJSON
	}
	ep = append(ep, ngsild.Member{Key: "accept", Value: accept})
	if len(sub.Notify.Endpoint.ReceiverInfo) > 0 {
		ep = append(ep, ngsild.Member{Key: "receiverInfo", Value: sub.Notify.Endpoint.ReceiverInfo})
	}
	if len(sub.Notify.Endpoint.NotifierInfo) > 0 {
		ep = append(ep, ngsild.Member{Key: "notifierInfo", Value: sub.Notify.Endpoint.NotifierInfo})
	}
	format := sub.Notify.Format
	if format == "" || format == "simplified" {
		format = map[string]string{"": "normalized", "simplified": "keyValues"}[format]
	}
	n := ngsild.Object{}
	if len(sub.Notify.Attributes) > 0 {
		n = append(n, ngsild.Member{Key: "attributes", Value: compact(sub.Notify.Attributes)})
	}
	n = append(n,
		ngsild.Member{Key: "format", Value: format},
		ngsild.Member{Key: "showChanges", Value: sub.Notify.ShowChanges},
		ngsild.Member{Key: "sysAttrs", Value: sub.Notify.SysAttrs},
		ngsild.Member{Key: "endpoint", Value: ep},
	)
	status := "ok"
	if !st.LastFailure.IsZero() && st.LastFailure.After(st.LastSuccess) {
		status = "failed"
	}
	n = append(n, ngsild.Member{Key: "status", Value: status},
		ngsild.Member{Key: "timesSent", Value: st.TimesSent},
		ngsild.Member{Key: "timesFailed", Value: st.TimesFailed})
	for _, t := range []struct {
		k string
		v time.Time
	}{{"lastNotification", st.LastNotification}, {"lastSuccess", st.LastSuccess}, {"lastFailure", st.LastFailure}} {
		if !t.v.IsZero() {
			n = append(n, ngsild.Member{Key: t.k, Value: t.v.UTC().Format("2006-01-02T15:04:05.000Z")})
		}
	}
	n = append(n, ngsild.Member{Key: "pending", Value: st.Pending}, ngsild.Member{Key: "deadLettered", Value: st.DeadLettered})
	if st.LastError != "" {
		n = append(n, ngsild.Member{Key: "lastError", Value: st.LastError})
	}
	add("notification", n)
	if sub.Throttling > 0 {
		add("throttling", sub.Throttling)
	}
	if sub.TimeInterval > 0 {
		add("timeInterval", sub.TimeInterval)
	}
	if sub.ExpiresAt != nil {
		add("expiresAt", sub.ExpiresAt.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	add("isActive", !sub.Paused)
	add("status", sub.State(now))
	if u, ok := sub.Context.(string); ok {
		add("jsonldContext", u)
	}
	return o
}
