package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// handleCreateEntity: POST /entities (clause 5.6.1, 6.4.3.1).
func (s *Server) handleCreateEntity(w http.ResponseWriter, r *http.Request) error {
	rc, body, err := s.writeContext(r)
	if err != nil {
		return err
	}
	obj, err := bodyObject(body)
	if err != nil {
		return err
	}
	e, err := ngsild.ParseEntity(obj, rc.ld)
	if err != nil {
		return err
	}
	ngsild.Stamp(e, s.now())
	err = s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
		if err := mustNotExist(tx, e.ID); err != nil {
			return err
		}
		return tx.Put(e)
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", entityLocation(e.ID))
	echoTenant(w, rc)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// mustNotExist returns an AlreadyExists problem when id exists.
func mustNotExist(tx store.Tx, id string) error {
	_, err := tx.Get(id)
	switch {
	case err == nil:
		return problemf(spec.ProblemAlreadyExists, "entity %s already exists", id)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrTenantNotFound):
		return nil
	default:
		return err
	}
}

// entityError names the entity in a not-found error of the store.
func entityError(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{problem: spec.ProblemResourceNotFound, detail: "entity " + id + " does not exist", cause: err}
	}
	return err
}

func entityLocation(id string) string { return BasePath + "/entities/" + url.PathEscape(id) }

// echoTenant repeats the tenant of the request in the response (clause
// 6.3.14).
func echoTenant(w http.ResponseWriter, rc *reqContext) {
	if rc.tenant != "" {
		w.Header().Set(tenantHeader, rc.tenant)
	}
}

func bodyObject(body any) (map[string]any, error) {
	obj, ok := body.(map[string]any)
	if !ok {
		return nil, problemf(spec.ProblemBadRequestData, "the request body must be a JSON object")
	}
	return obj, nil
}

// entityIDParam returns the {entityId} path parameter, which must be a
// URI (clause 4.5.1).
func entityIDParam(r *http.Request) (string, error) {
	id, err := pathParam(r, "entityId")
	if err != nil {
		return "", err
	}
	if !isAbsoluteURI(id) {
		return "", problemf(spec.ProblemBadRequestData, "entity id %q is not a URI", id)
	}
	return id, nil
}

// handleRetrieveEntity: GET /entities/{entityId} (clause 5.7.1).
func (s *Server) handleRetrieveEntity(w http.ResponseWriter, r *http.Request) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	view, err := s.viewOptions(r, rc)
	if err != nil {
		return err
	}
	types := expandList(rc.ld, r.URL.Query().Get("type"))
	var e *ngsild.Entity
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		var err error
		e, err = rd.Get(id)
		return entityError(err, id)
	})
	if err != nil {
		return err
	}
	if len(types) > 0 && !hasAnyType(e, types) {
		return problemf(spec.ProblemResourceNotFound, "entity %s has none of the types asked for", id)
	}
	if wantsGeoJSON(r) {
		return s.writeBody(w, rc.as(mediaGeoJSON), http.StatusOK, view.feature(e))
	}
	return s.writeEntities(w, rc, http.StatusOK, []ngsild.Object{view.render(e)}, false)
}

func hasAnyType(e *ngsild.Entity, types []string) bool {
	for _, t := range e.Types {
		for _, want := range types {
			if t == want {
				return true
			}
		}
	}
	return false
}

// handleQueryEntities: GET /entities (clause 5.7.2, 6.4.3.2).
func (s *Server) handleQueryEntities(w http.ResponseWriter, r *http.Request) error {
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	return s.runQuery(w, r, rc, queryInputOf(r.URL.Query()))
}

// paging reads limit and offset (clause 5.5.9, 6.3.10).
func (s *Server) paging(limitParam, offsetParam string, count bool) (limit, offset int, err error) {
	limit = s.cfg.DefaultLimit
	if limitParam != "" {
		if limit, err = strconv.Atoi(limitParam); err != nil || limit < 0 {
			return 0, 0, problemf(spec.ProblemBadRequestData, "limit must be a non-negative integer")
		}
	}
	if limit > s.cfg.MaxLimit {
		return 0, 0, problemf(spec.ProblemTooManyResults, "limit %d exceeds the maximum of %d", limit, s.cfg.MaxLimit)
	}
	if limit == 0 && !count {
		return 0, 0, problemf(spec.ProblemBadRequestData, "limit=0 is only allowed with count=true")
	}
	if offsetParam != "" {
		if offset, err = strconv.Atoi(offsetParam); err != nil || offset < 0 {
			return 0, 0, problemf(spec.ProblemBadRequestData, "offset must be a non-negative integer")
		}
	}
	return limit, offset, nil
}

// addPageLinks adds the Link headers rel="next" and rel="prev" of a page
// (clause 5.5.9).
func addPageLinks(w http.ResponseWriter, r *http.Request, offset, limit, got, total int, counted bool) {
	if limit == 0 {
		return
	}
	link := func(off int, rel string) {
		q := r.URL.Query()
		q.Set("offset", strconv.Itoa(off))
		q.Set("limit", strconv.Itoa(limit))
		w.Header().Add("Link", fmt.Sprintf(`<%s?%s>; rel="%s"`, r.URL.Path, q.Encode(), rel))
	}
	if offset > 0 {
		link(max(0, offset-limit), "prev")
	}
	more := got == limit
	if counted {
		more = offset+got < total
	}
	if more {
		link(offset+limit, "next")
	}
}

// handleReplaceEntity: PUT /entities/{entityId} (clause 5.6.18).
func (s *Server) handleReplaceEntity(w http.ResponseWriter, r *http.Request) error {
	id, rc, obj, err := s.resourceBody(r, entityIDParam)
	if err != nil {
		return err
	}
	f, err := ngsild.ParseFragment(obj, rc.ld)
	if err != nil {
		return err
	}
	now := s.now()
	return s.updateOne(w, r, rc, id, func(old *ngsild.Entity) (*ngsild.Entity, error) {
		repl := &ngsild.Entity{ID: id, Types: f.Types, Scope: f.Scope, Attrs: f.Attrs}
		if len(repl.Types) == 0 {
			repl.Types = old.Types
		}
		ngsild.Stamp(repl, now)
		return ngsild.Replace(old, repl, now), nil
	})
}

// resourceBody reads the request of a write on one resource: the id from
// the path (checked by idParam), the negotiated context and the JSON
// object body, whose id, if any, must be the path's.
func (s *Server) resourceBody(r *http.Request, idParam func(*http.Request) (string, error)) (string, *reqContext, map[string]any, error) {
	id, err := idParam(r)
	if err != nil {
		return "", nil, nil, err
	}
	rc, body, err := s.writeContext(r)
	if err != nil {
		return "", nil, nil, err
	}
	obj, err := bodyObject(body)
	if err != nil {
		return "", nil, nil, err
	}
	if err := sameID(obj, id); err != nil {
		return "", nil, nil, err
	}
	return id, rc, obj, nil
}

// sameID refuses a body whose id differs from the path's.
func sameID(obj map[string]any, id string) error {
	if v, has := obj["id"]; has && v != id {
		return problemf(spec.ProblemBadRequestData, "the id in the body (%v) differs from the id in the path (%s)", v, id)
	}
	return nil
}

// modifyEntity runs a read-modify-write of one entity in a transaction.
func (s *Server) modifyEntity(r *http.Request, rc *reqContext, id string, fn func(*ngsild.Entity) (*ngsild.Entity, error)) error {
	return s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
		e, err := tx.Get(id)
		if err != nil {
			return entityError(err, id)
		}
		e, err = fn(e)
		if err != nil {
			return err
		}
		return tx.Put(e)
	})
}

// updateOne is modifyEntity answered with 204.
func (s *Server) updateOne(w http.ResponseWriter, r *http.Request, rc *reqContext, id string, fn func(*ngsild.Entity) (*ngsild.Entity, error)) error {
	if err := s.modifyEntity(r, rc, id, fn); err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleMergeEntity: PATCH /entities/{entityId} (clause 5.6.17).
func (s *Server) handleMergeEntity(w http.ResponseWriter, r *http.Request) error {
	id, rc, obj, err := s.resourceBody(r, entityIDParam)
	if err != nil {
		return err
	}
	f, err := ngsild.ParseFragment(obj, rc.ld)
	if err != nil {
		return err
	}
	now := s.now()
	return s.updateOne(w, r, rc, id, func(e *ngsild.Entity) (*ngsild.Entity, error) {
		ngsild.Merge(e, f, now)
		return e, nil
	})
}

// handleDeleteEntity: DELETE /entities/{entityId} (clause 5.6.6).
func (s *Server) handleDeleteEntity(w http.ResponseWriter, r *http.Request) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	types := expandList(rc.ld, r.URL.Query().Get("type"))
	err = s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
		e, err := tx.Get(id)
		if err != nil {
			return entityError(err, id)
		}
		if len(types) > 0 && !hasAnyType(e, types) {
			return problemf(spec.ProblemResourceNotFound, "entity %s has none of the types given", id)
		}
		return tx.Delete(id)
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// splitList splits a comma-separated parameter, dropping empty items.
func splitList(v string) []string {
	if v == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// expandList splits a comma-separated list of terms and expands each.
func expandList(c *jsonld.Context, v string) []string {
	items := splitList(v)
	for i, t := range items {
		items[i] = c.ExpandTerm(t)
	}
	return items
}
