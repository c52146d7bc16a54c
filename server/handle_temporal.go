package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// The temporal API (clauses 5.6.11 to 5.6.16, 5.7.3, 5.7.4, 6.18 to 6.22).
//
// An entity has one current state (the entity API) and one history (the
// temporal API), under the same id:
//
//   - every change of an attribute made through the entity API or a batch
//     operation is recorded in the history (temporal_record.go);
//   - temporal provision records the instances it is given, creates the
//     current state of an entity that has none, and brings each attribute
//     of the current state to the latest instance provided when that one
//     is not older than the current value;
//   - deleting an entity (entity API) keeps its history; deleting a
//     temporal representation, an attribute's history or an instance
//     leaves the current state alone.

// historyRecordedKey marks the context of a write whose instances the
// handler records itself, so that the change hook does not record them
// twice.
type historyRecordedKey struct{}

func withHistoryRecorded(ctx context.Context) context.Context {
	return context.WithValue(ctx, historyRecordedKey{}, true)
}

func temporalLocation(id string) string { return BasePath + "/temporal/entities/" + url.PathEscape(id) }

// handleTemporalUpsert: POST /temporal/entities (clause 5.6.11, 6.18.3.1).
func (s *Server) handleTemporalUpsert(w http.ResponseWriter, r *http.Request) error {
	rc, body, err := s.writeContext(r)
	if err != nil {
		return err
	}
	obj, err := bodyObject(body)
	if err != nil {
		return err
	}
	now := s.now()
	e, _, err := parseTemporalEntity(obj, rc.ld, now, true)
	if err != nil {
		return err
	}
	created := false
	err = s.update(withHistoryRecorded(r.Context()), rc.tenant, func(tx store.Tx) error {
		_, err := tx.History(e.ID, store.TemporalQuery{Attrs: []string{""}})
		created = errors.Is(err, store.ErrNotFound)
		if err != nil && !created {
			return err
		}
		return s.provision(tx, e, now, true)
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	if created {
		w.Header().Set("Location", temporalLocation(e.ID))
		w.WriteHeader(http.StatusCreated)
		return nil
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleTemporalAddAttrs: POST /temporal/entities/{entityId}/attrs
// (clause 5.6.12, 6.20.3.1).
func (s *Server) handleTemporalAddAttrs(w http.ResponseWriter, r *http.Request) error {
	id, rc, obj, err := s.resourceBody(r, entityIDParam)
	if err != nil {
		return err
	}
	now := s.now()
	e, _, err := parseTemporalEntity(obj, rc.ld, now, false)
	if err != nil {
		return err
	}
	e.ID = id
	err = s.update(withHistoryRecorded(r.Context()), rc.tenant, func(tx store.Tx) error {
		h, herr := tx.History(id, store.TemporalQuery{Attrs: []string{""}})
		_, gerr := tx.Get(id)
		switch {
		case herr == nil:
			e.Types = append(e.Types, h.Types...)
		case gerr == nil:
		case isMissing(herr) && isMissing(gerr):
			return entityError(store.ErrNotFound, id)
		case !isMissing(herr):
			return herr
		default:
			return gerr
		}
		return s.provision(tx, e, now, false)
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// provision records the instances of e and keeps the current state in
// step: it creates the entity when it does not exist (create allowed),
// adds e's types, and sets each attribute instance (name and datasetId)
// to the latest instance given when that one is at least as recent as the
// current value.
func (s *Server) provision(tx store.Tx, e *ngsild.Entity, now time.Time, create bool) error {
	cur, err := tx.Get(e.ID)
	switch {
	case isMissing(err):
		if !create {
			cur = nil
			break
		}
		cur = &ngsild.Entity{ID: e.ID, Types: e.Types, Scope: e.Scope, Attrs: map[string][]*ngsild.Attribute{}, CreatedAt: now}
	case err != nil:
		return err
	}
	if cur != nil {
		for _, t := range e.Types {
			if !hasAnyType(cur, []string{t}) {
				cur.Types = append(cur.Types, t)
			}
		}
		for name, list := range e.Attrs {
			for _, latest := range latestPerDataset(list) {
				i := instanceIndex(cur.Attrs[name], latest.DatasetID)
				if i < 0 {
					cur.Attrs[name] = append(cur.Attrs[name], latest)
					continue
				}
				if !attrTime(latest).Before(attrTime(cur.Attrs[name][i])) {
					latest.CreatedAt = cur.Attrs[name][i].CreatedAt
					cur.Attrs[name][i] = latest
				}
			}
		}
		cur.ModifiedAt = now
		if err := tx.Put(cur); err != nil {
			return err
		}
	}
	if len(e.Attrs) == 0 {
		// An entity without attributes still gets a history record.
		return tx.AddInstances(e.ID, e.Types, nil)
	}
	return tx.AddInstances(e.ID, e.Types, e.Attrs)
}

// attrTime is the time an instance is filed under: observedAt, else
// modifiedAt.
func attrTime(a *ngsild.Attribute) time.Time {
	if a.ObservedAt != "" {
		if t, err := time.Parse(time.RFC3339Nano, a.ObservedAt); err == nil {
			return t
		}
	}
	return a.ModifiedAt
}

// latestPerDataset returns, for each datasetId of list, a copy of its
// most recent instance (the last one given among equal times).
func latestPerDataset(list []*ngsild.Attribute) []*ngsild.Attribute {
	var out []*ngsild.Attribute
	for _, a := range list {
		i := instanceIndex(out, a.DatasetID)
		c := *a
		switch {
		case i < 0:
			out = append(out, &c)
		case !attrTime(a).Before(attrTime(out[i])):
			out[i] = &c
		}
	}
	return out
}

func instanceIndex(list []*ngsild.Attribute, datasetID string) int {
	for i, a := range list {
		if a.DatasetID == datasetID {
			return i
		}
	}
	return -1
}

// handleTemporalDelete: DELETE /temporal/entities/{entityId} (clause
// 5.6.16, 6.19.3.2).
func (s *Server) handleTemporalDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	return s.temporalWrite(w, r, func(tx store.Tx, _ *reqContext) error {
		return entityError(tx.DeleteHistory(id, "", "", false), id)
	})
}

// temporalWrite runs a temporal write that answers 204.
func (s *Server) temporalWrite(w http.ResponseWriter, r *http.Request, fn func(store.Tx, *reqContext) error) error {
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	err = s.update(withHistoryRecorded(r.Context()), rc.tenant, func(tx store.Tx) error { return fn(tx, rc) })
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleTemporalDeleteAttr: DELETE /temporal/entities/{entityId}/attrs/{attrId}
// (clause 5.6.13, 6.21.3.1).
func (s *Server) handleTemporalDeleteAttr(w http.ResponseWriter, r *http.Request) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	attr, err := pathParam(r, "attrId")
	if err != nil {
		return err
	}
	qp := r.URL.Query()
	all := qp.Get("deleteAll") == "true"
	return s.temporalWrite(w, r, func(tx store.Tx, rc *reqContext) error {
		name := rc.ld.ExpandTerm(attr)
		err := tx.DeleteHistory(id, name, qp.Get("datasetId"), all)
		if errors.Is(err, store.ErrNotFound) {
			return &apiError{problem: spec.ProblemResourceNotFound, detail: fmt.Sprintf("entity %s has no history of attribute %s", id, attr), cause: err}
		}
		return err
	})
}

// instanceError names the instance in a not-found error of the store.
func instanceError(err error, id, attr, instanceID string) error {
	switch {
	case errors.Is(err, store.ErrInstanceNotFound):
		return &apiError{problem: spec.ProblemResourceNotFound, detail: fmt.Sprintf("attribute %s of entity %s has no instance %s", attr, id, instanceID), cause: err}
	case errors.Is(err, store.ErrNotFound):
		return &apiError{problem: spec.ProblemResourceNotFound, detail: "entity " + id + " has no history", cause: err}
	}
	return err
}

func instanceParams(r *http.Request) (id, attr, instanceID string, err error) {
	if id, err = entityIDParam(r); err != nil {
		return
	}
	if attr, err = pathParam(r, "attrId"); err != nil {
		return
	}
	instanceID, err = pathParam(r, "instanceId")
	return
}

// handleTemporalPatchInstance: PATCH
// /temporal/entities/{entityId}/attrs/{attrId}/{instanceId} (clause
// 5.6.14, 6.22.3.1). The members given replace those of the instance.
func (s *Server) handleTemporalPatchInstance(w http.ResponseWriter, r *http.Request) error {
	id, attr, instanceID, err := instanceParams(r)
	if err != nil {
		return err
	}
	rc, body, err := s.writeContext(r)
	if err != nil {
		return err
	}
	name := rc.ld.ExpandTerm(attr)
	a, err := ngsild.ParseAttribute(name, body, rc.ld)
	if err != nil {
		return err
	}
	now := s.now()
	err = s.update(withHistoryRecorded(r.Context()), rc.tenant, func(tx store.Tx) error {
		old, err := tx.Instance(id, name, instanceID)
		if err != nil {
			return instanceError(err, id, attr, instanceID)
		}
		if a.Type != "" && a.Type != old.Attr.Type {
			return problemf(spec.ProblemBadRequestData, "instance %s is a %s and cannot become a %s", instanceID, old.Attr.Type, a.Type)
		}
		a.Type, a.DatasetID = old.Attr.Type, old.Attr.DatasetID
		e := &ngsild.Entity{ID: id, Attrs: map[string][]*ngsild.Attribute{name: {old.Attr}}}
		if err := ngsild.PartialAttrUpdate(e, name, a, now); err != nil {
			return err
		}
		if len(e.Attrs[name]) == 0 {
			return instanceError(tx.DeleteInstance(id, name, instanceID), id, attr, instanceID)
		}
		patched := e.Attrs[name][0]
		patched.ModifiedAt = now
		return instanceError(tx.PatchInstance(id, name, instanceID, patched), id, attr, instanceID)
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleTemporalDeleteInstance: DELETE
// /temporal/entities/{entityId}/attrs/{attrId}/{instanceId} (clause
// 5.6.15, 6.22.3.2).
func (s *Server) handleTemporalDeleteInstance(w http.ResponseWriter, r *http.Request) error {
	id, attr, instanceID, err := instanceParams(r)
	if err != nil {
		return err
	}
	return s.temporalWrite(w, r, func(tx store.Tx, rc *reqContext) error {
		return instanceError(tx.DeleteInstance(id, rc.ld.ExpandTerm(attr), instanceID), id, attr, instanceID)
	})
}

// handleTemporalRetrieve: GET /temporal/entities/{entityId} (clause
// 5.7.3, 6.19.3.1).
func (s *Server) handleTemporalRetrieve(w http.ResponseWriter, r *http.Request) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	v, err := s.parseTemporal(rc.ld, temporalInputOf(r.URL.Query().Get))
	if err != nil {
		return err
	}
	var h *store.EntityHistory
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		var err error
		h, err = rd.History(id, v.q)
		return temporalError(entityError(err, id))
	})
	if err != nil {
		return err
	}
	hs := []*store.EntityHistory{h}
	status := v.page(w, hs)
	return s.writeEntities(w, rc, status, []ngsild.Object{v.render(h)}, false)
}

func temporalError(err error) error {
	if errors.Is(err, store.ErrTooManyPeriods) {
		return &apiError{problem: spec.ProblemTooManyResults, detail: "the aggregation has too many periods; ask for a longer aggrPeriodDuration or a shorter interval", cause: err}
	}
	return err
}

// handleTemporalQuery: GET /temporal/entities (clause 5.7.4, 6.18.3.2).
func (s *Server) handleTemporalQuery(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	qp := r.URL.Query()
	return s.runTemporalQuery(w, r, rc, queryInputOf(qp), temporalInputOf(qp.Get))
}

// runTemporalQuery selects entities on their current state, as GET
// /entities does, pages them, and writes the history of each (entities
// without history are left out).
func (s *Server) runTemporalQuery(w http.ResponseWriter, r *http.Request, rc *reqContext, in queryInput, tin temporalInput) error {
	qp := r.URL.Query()
	v, err := s.parseTemporal(rc.ld, tin)
	if err != nil {
		return err
	}
	q, err := s.buildQuery(rc.ld, in)
	if err != nil {
		return err
	}
	q.Count = qp.Get("count") == "true"
	if q.Limit, q.Offset, err = s.paging(qp.Get("limit"), qp.Get("offset"), q.Count); err != nil {
		return err
	}
	var res store.QueryResult
	var hs []*store.EntityHistory
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		var err error
		if res, err = rd.Query(q); err != nil {
			return err
		}
		for _, e := range res.Entities {
			h, err := rd.History(e.ID, v.q)
			switch {
			case errors.Is(err, store.ErrNotFound):
				continue
			case err != nil:
				return temporalError(err)
			}
			hs = append(hs, h)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if q.Count {
		w.Header().Set("NGSILD-Results-Count", fmt.Sprint(res.Total))
	}
	addPageLinks(w, r, q.Offset, q.Limit, len(res.Entities), res.Total, q.Count)
	status := v.page(w, hs)
	objs := make([]ngsild.Object, len(hs))
	for i, h := range hs {
		objs[i] = v.render(h)
	}
	return s.writeEntities(w, rc, status, objs, true)
}

// temporalQueryBody is the Query of POST /temporal/entityOperations/query:
// a Query with a temporalQ member (clause 5.2.23).
type temporalQueryBody struct {
	TemporalQ *struct {
		Timerel      string `json:"timerel"`
		TimeAt       string `json:"timeAt"`
		EndTimeAt    string `json:"endTimeAt"`
		Timeproperty string `json:"timeproperty"`
		LastN        any    `json:"lastN"`
	} `json:"temporalQ"`
}

// handleTemporalQueryPost: POST /temporal/entityOperations/query (clause
// 5.7.4, 6.24).
func (s *Server) handleTemporalQueryPost(w http.ResponseWriter, r *http.Request) error {
	rc, in, raw, err := s.queryFromBody(r)
	if err != nil {
		return err
	}
	var tb temporalQueryBody
	if err := jsonUnmarshal(raw, &tb); err != nil {
		return problemf(spec.ProblemBadRequestData, "malformed temporalQ: %v", err)
	}
	qp := r.URL.Query()
	tin := temporalInputOf(qp.Get)
	if t := tb.TemporalQ; t != nil {
		tin.timerel, tin.timeAt, tin.endTimeAt, tin.timeproperty = t.Timerel, t.TimeAt, t.EndTimeAt, t.Timeproperty
		if t.LastN != nil {
			tin.lastN = fmt.Sprint(t.LastN)
		}
	}
	tin.attrs, tin.lang = qp.Get("attrs"), qp.Get("lang")
	return s.runTemporalQuery(w, r, rc, in, tin)
}
