package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// batchKind is one of the batch entity operations (clauses 5.6.7 to
// 5.6.10 and 5.6.20).
type batchKind int

const (
	batchCreate batchKind = iota
	batchUpsert
	batchUpdate
	batchDelete
	batchMerge
)

// batchResult is the BatchOperationResult of a 207 answer (clause 5.2.16).
type batchResult struct {
	Success []string           `json:"success"`
	Errors  []batchEntityError `json:"errors"`
}

type batchEntityError struct {
	EntityID string         `json:"entityId"`
	Error    problemDetails `json:"error"`
}

// batchItem is one parsed item of a batch body.
type batchItem struct {
	id     string
	entity *ngsild.Entity   // create, upsert
	frag   *ngsild.Fragment // update, merge
	err    error            // the item could not be parsed
}

// batchOptions are the options a batch operation takes.
type batchOptions struct {
	upsertUpdate bool // upsert with options=update: append instead of replace
	noOverwrite  bool // update with options=noOverwrite
}

func parseBatchOptions(kind batchKind, r *http.Request) (batchOptions, error) {
	var o batchOptions
	for _, opt := range splitList(r.URL.Query().Get("options")) {
		switch {
		case kind == batchUpsert && opt == "update":
			o.upsertUpdate = true
		case kind == batchUpsert && opt == "replace":
			o.upsertUpdate = false
		case kind == batchUpdate && opt == "noOverwrite":
			o.noOverwrite = true
		default:
			return o, problemf(spec.ProblemBadRequestData, "unknown option %q for this batch operation", opt)
		}
	}
	return o, nil
}

// handleBatch serves POST /entityOperations/{create,upsert,update,delete,
// merge}. Every item is processed, in array order, in one transaction;
// the failure of one item does not stop the others, and each success and
// failure is reported.
func (s *Server) handleBatch(kind batchKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		opts, err := parseBatchOptions(kind, r)
		if err != nil {
			return err
		}
		rc, body, err := s.writeContext(r)
		if err != nil {
			return err
		}
		raw, ok := body.([]any)
		if !ok {
			return problemf(spec.ProblemBadRequestData, "the body of a batch operation must be a JSON array")
		}
		if len(raw) == 0 {
			return problemf(spec.ProblemBadRequestData, "the batch is empty")
		}
		if len(raw) > s.cfg.MaxBatch {
			return problemf(spec.ProblemBadRequestData, "the batch holds %d items; this server takes at most %d", len(raw), s.cfg.MaxBatch)
		}
		items := make([]batchItem, len(raw))
		for i, v := range raw {
			items[i] = s.parseBatchItem(r, rc, kind, v)
		}
		now := s.now()
		var res batchResult
		var created []string
		err = s.update(r.Context(), rc.tenant, func(tx store.Tx) error {
			res, created = batchResult{Success: []string{}, Errors: []batchEntityError{}}, nil
			for _, it := range items {
				err := it.err
				isNew := false
				if err == nil {
					isNew, err = applyBatchItem(tx, kind, opts, it, now)
				}
				switch {
				case err == nil:
					res.Success = append(res.Success, it.id)
					if isNew {
						created = append(created, it.id)
					}
				case isItemError(err):
					p, _ := problemFor(err)
					res.Errors = append(res.Errors, batchEntityError{EntityID: it.id, Error: p})
				default:
					return err // a store failure aborts the whole batch
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		echoTenant(w, rc)
		switch {
		case len(res.Errors) > 0:
			return writeJSON(w, http.StatusMultiStatus, res)
		case kind == batchCreate:
			return writeJSON(w, http.StatusCreated, res.Success)
		case kind == batchUpsert && len(created) > 0:
			return writeJSON(w, http.StatusCreated, created)
		default:
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	}
}

// isItemError tells a failure of one item (reported in the batch result)
// from a failure of the store (which fails the request).
func isItemError(err error) bool {
	_, internal := problemFor(err)
	return !internal
}

func (s *Server) parseBatchItem(r *http.Request, rc *reqContext, kind batchKind, v any) batchItem {
	if kind == batchDelete {
		id, ok := v.(string)
		if !ok {
			return batchItem{err: problemf(spec.ProblemBadRequestData, "a batch delete takes an array of entity ids")}
		}
		if !isAbsoluteURI(id) {
			return batchItem{id: id, err: problemf(spec.ProblemBadRequestData, "entity id %q is not a URI", id)}
		}
		return batchItem{id: id}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return batchItem{err: problemf(spec.ProblemBadRequestData, "each item of the batch must be a JSON object")}
	}
	it := batchItem{}
	if id, ok := obj["id"].(string); ok {
		it.id = id
	}
	ld, err := s.contextOfItem(r, rc, obj)
	if err != nil {
		it.err = err
		return it
	}
	switch kind {
	case batchCreate, batchUpsert:
		it.entity, it.err = ngsild.ParseEntity(obj, ld)
	default:
		if it.id == "" {
			it.err = problemf(spec.ProblemBadRequestData, "each entity of the batch needs an id")
			return it
		}
		it.frag, it.err = ngsild.ParseFragment(obj, ld)
	}
	return it
}

// applyBatchItem applies one parsed item; isNew reports a creation.
func applyBatchItem(tx store.Tx, kind batchKind, opts batchOptions, it batchItem, now time.Time) (isNew bool, err error) {
	switch kind {
	case batchCreate:
		if err := mustNotExist(tx, it.id); err != nil {
			return false, err
		}
		ngsild.Stamp(it.entity, now)
		return true, tx.Put(it.entity)
	case batchUpsert:
		old, err := tx.Get(it.id)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTenantNotFound) {
			ngsild.Stamp(it.entity, now)
			return true, tx.Put(it.entity)
		}
		if err != nil {
			return false, err
		}
		ngsild.Stamp(it.entity, now)
		if opts.upsertUpdate {
			f := &ngsild.Fragment{ID: it.id, Types: it.entity.Types, Scope: it.entity.Scope, ScopeSet: len(it.entity.Scope) > 0, Attrs: it.entity.Attrs}
			ngsild.Append(old, f, false, now)
			return false, tx.Put(old)
		}
		return false, tx.Put(ngsild.Replace(old, it.entity, now))
	case batchUpdate, batchMerge:
		old, err := tx.Get(it.id)
		if err != nil {
			return false, entityError(err, it.id)
		}
		if kind == batchMerge {
			ngsild.Merge(old, it.frag, now)
		} else {
			ngsild.Append(old, it.frag, opts.noOverwrite, now)
		}
		return false, tx.Put(old)
	case batchDelete:
		return false, entityError(tx.Delete(it.id), it.id)
	}
	return false, errors.New("unknown batch operation")
}

// writeJSON writes a plain JSON body (batch and update results), which
// needs no @context.
func writeJSON(w http.ResponseWriter, status int, body any) error {
	data, err := marshalJSON(body)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", mediaJSON)
	w.WriteHeader(status)
	_, err = w.Write(data)
	return err
}
