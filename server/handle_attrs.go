package server

import (
	"net/http"
	"strconv"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/spec"
)

// updateResult is the body of a 207 answer to an attribute append or
// update (clause 5.2.18).
type updateResult struct {
	Updated    []string            `json:"updated"`
	NotUpdated []notUpdatedDetails `json:"notUpdated"`
}

type notUpdatedDetails struct {
	AttributeName string `json:"attributeName"`
	Reason        string `json:"reason"`
}

// attrsOp is the shared body of append and update: parse the fragment,
// apply op in a transaction, answer 204 or 207.
func (s *Server) attrsOp(w http.ResponseWriter, r *http.Request, op func(e *ngsild.Entity, f *ngsild.Fragment) ([]string, []ngsild.NotUpdated)) error {
	id, rc, obj, err := s.resourceBody(r, entityIDParam)
	if err != nil {
		return err
	}
	f, err := ngsild.ParseFragment(obj, rc.ld)
	if err != nil {
		return err
	}
	var updated []string
	var notUpdated []ngsild.NotUpdated
	err = s.modifyEntity(r, rc, id, func(e *ngsild.Entity) (*ngsild.Entity, error) {
		updated, notUpdated = op(e, f)
		return e, nil
	})
	if err != nil {
		return err
	}
	echoTenant(w, rc)
	if len(notUpdated) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	res := updateResult{Updated: compactAll(rc.ld, updated), NotUpdated: make([]notUpdatedDetails, len(notUpdated))}
	for i, n := range notUpdated {
		res.NotUpdated[i] = notUpdatedDetails{AttributeName: rc.ld.CompactIRI(n.Name), Reason: n.Reason}
	}
	return writeJSON(w, http.StatusMultiStatus, res)
}

// handleAppendAttrs: POST /entities/{entityId}/attrs (clause 5.6.3).
func (s *Server) handleAppendAttrs(w http.ResponseWriter, r *http.Request) error {
	noOverwrite := false
	for _, o := range splitList(r.URL.Query().Get("options")) {
		if o != "noOverwrite" {
			return problemf(spec.ProblemBadRequestData, "unknown option %q", o)
		}
		noOverwrite = true
	}
	now := s.now()
	return s.attrsOp(w, r, func(e *ngsild.Entity, f *ngsild.Fragment) ([]string, []ngsild.NotUpdated) {
		return ngsild.Append(e, f, noOverwrite, now)
	})
}

// handleUpdateAttrs: PATCH /entities/{entityId}/attrs (clause 5.6.2).
func (s *Server) handleUpdateAttrs(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	return s.attrsOp(w, r, func(e *ngsild.Entity, f *ngsild.Fragment) ([]string, []ngsild.NotUpdated) {
		return ngsild.UpdateAttrs(e, f, now)
	})
}

// attrOp is the shared body of partial update and replace of one
// attribute.
func (s *Server) attrOp(w http.ResponseWriter, r *http.Request, op func(e *ngsild.Entity, name string, a *ngsild.Attribute) error) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	attrID, err := pathParam(r, "attrId")
	if err != nil {
		return err
	}
	rc, body, err := s.writeContext(r)
	if err != nil {
		return err
	}
	name := rc.ld.ExpandTerm(attrID)
	a, err := ngsild.ParseAttribute(name, body, rc.ld)
	if err != nil {
		return err
	}
	return s.updateOne(w, r, rc, id, func(e *ngsild.Entity) (*ngsild.Entity, error) {
		return e, op(e, name, a)
	})
}

// handlePartialAttrUpdate: PATCH /entities/{entityId}/attrs/{attrId}
// (clause 5.6.4).
func (s *Server) handlePartialAttrUpdate(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	return s.attrOp(w, r, func(e *ngsild.Entity, name string, a *ngsild.Attribute) error {
		return ngsild.PartialAttrUpdate(e, name, a, now)
	})
}

// handleReplaceAttr: PUT /entities/{entityId}/attrs/{attrId} (clause
// 5.6.19).
func (s *Server) handleReplaceAttr(w http.ResponseWriter, r *http.Request) error {
	now := s.now()
	return s.attrOp(w, r, func(e *ngsild.Entity, name string, a *ngsild.Attribute) error {
		return ngsild.ReplaceAttr(e, name, a, now)
	})
}

// handleDeleteAttr: DELETE /entities/{entityId}/attrs/{attrId} (clause
// 5.6.5).
func (s *Server) handleDeleteAttr(w http.ResponseWriter, r *http.Request) error {
	id, err := entityIDParam(r)
	if err != nil {
		return err
	}
	attrID, err := pathParam(r, "attrId")
	if err != nil {
		return err
	}
	rc, err := s.readContext(r)
	if err != nil {
		return err
	}
	qp := r.URL.Query()
	datasetID := qp.Get("datasetId")
	deleteAll := false
	if v := qp.Get("deleteAll"); v != "" {
		if deleteAll, err = strconv.ParseBool(v); err != nil {
			return problemf(spec.ProblemBadRequestData, "deleteAll must be true or false")
		}
	}
	if deleteAll && datasetID != "" {
		return problemf(spec.ProblemBadRequestData, "deleteAll and datasetId cannot be used together")
	}
	name := rc.ld.ExpandTerm(attrID)
	now := s.now()
	return s.updateOne(w, r, rc, id, func(e *ngsild.Entity) (*ngsild.Entity, error) {
		if err := ngsild.DeleteAttr(e, name, datasetID, deleteAll); err != nil {
			return nil, err
		}
		e.ModifiedAt = now
		return e, nil
	})
}
