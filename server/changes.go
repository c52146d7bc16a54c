package server

import (
	"context"
	"errors"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// Change is one entity written or deleted by a transaction: Old is nil for
// a creation, New is nil for a deletion.
type Change struct {
	Old, New *ngsild.Entity
}

// changeHook runs inside the transaction that made the changes, after the
// handler's work and before the commit, so that what it writes (for
// example notifications to deliver) commits or rolls back with them.
type changeHook func(ctx context.Context, tx store.Tx, tenant string, changes []Change) error

// update runs fn in a store transaction, records the entities it writes
// and deletes, and hands them to the change hooks before committing. Every
// write of the API goes through it.
func (s *Server) update(ctx context.Context, tenant string, fn func(store.Tx) error) error {
	fn = s.checkModels(tenant, fn) // every entity written is validated first (models.go)
	if len(s.hooks) == 0 {
		return s.store.Update(ctx, tenant, fn)
	}
	changed := false
	err := s.store.Update(ctx, tenant, func(tx store.Tx) error {
		rec := &recordingTx{Tx: tx}
		if err := fn(rec); err != nil {
			return err
		}
		if len(rec.changes) == 0 {
			return nil
		}
		for _, hook := range s.hooks {
			if err := hook(ctx, tx, tenant, rec.changes); err != nil {
				return err
			}
		}
		changed = true
		return nil
	})
	if err == nil && changed {
		for _, fn := range s.committed {
			fn()
		}
	}
	return err
}

// recordingTx is a transaction that remembers what was written. The state
// before the change is taken at the first write of each entity in the
// transaction: from a copy kept when the handler read the entity (most
// writes read it first), else read from the store.
type recordingTx struct {
	store.Tx
	changes []Change
	index   map[string]int // entity id -> position in changes
	// read holds a copy of the entities read and not written yet, nil for
	// one found missing.
	read map[string]*ngsild.Entity
}

// Get reads through the transaction and keeps a copy of what it read (or
// that the entity is missing) for the write that usually follows.
func (r *recordingTx) Get(id string) (*ngsild.Entity, error) {
	if sg, ok := r.Tx.(store.SharedGetter); ok {
		if _, written := r.index[id]; !written {
			return r.getShared(sg, id)
		}
	}
	e, err := r.Tx.Get(id)
	if _, written := r.index[id]; written || (err != nil && !isMissing(err)) {
		return e, err
	}
	var c *ngsild.Entity
	if err == nil {
		var ok bool
		if c, ok = ngsild.CloneEntity(e); !ok {
			return e, err
		}
	}
	if r.read == nil {
		r.read = map[string]*ngsild.Entity{}
	}
	r.read[id] = c
	return e, err
}

// getShared is Get from a store that can share its entities: the shared
// one is kept as the state before the change, the caller gets a copy.
func (r *recordingTx) getShared(sg store.SharedGetter, id string) (*ngsild.Entity, error) {
	old, err := sg.GetShared(id)
	if err != nil && !isMissing(err) {
		return nil, err
	}
	var e *ngsild.Entity
	if err == nil {
		var ok bool
		if e, ok = ngsild.CloneEntity(old); !ok {
			// Not copied: the write reads the state before it again.
			return r.Tx.Get(id)
		}
	}
	if r.read == nil {
		r.read = map[string]*ngsild.Entity{}
	}
	r.read[id] = old
	return e, err
}

func (r *recordingTx) before(id string) (*ngsild.Entity, bool, error) {
	if i, ok := r.index[id]; ok {
		return r.changes[i].Old, true, nil
	}
	if old, ok := r.read[id]; ok {
		delete(r.read, id)
		return old, false, nil
	}
	old, err := r.Tx.Get(id) // a fresh copy: see store.Reader.Get
	switch {
	case err == nil:
		return old, false, nil
	case isMissing(err):
		return nil, false, nil
	default:
		return nil, false, err
	}
}

func (r *recordingTx) record(id string, old, cur *ngsild.Entity, seen bool) {
	if seen {
		r.changes[r.index[id]].New = cur
		return
	}
	if r.index == nil {
		r.index = map[string]int{}
	}
	r.index[id] = len(r.changes)
	r.changes = append(r.changes, Change{Old: old, New: cur})
}

func (r *recordingTx) Put(e *ngsild.Entity) error {
	old, seen, err := r.before(e.ID)
	if err != nil {
		return err
	}
	if err := r.Tx.Put(e); err != nil {
		return err
	}
	r.record(e.ID, old, e, seen)
	return nil
}

func (r *recordingTx) Delete(id string) error {
	old, seen, err := r.before(id)
	if err != nil {
		return err
	}
	if err := r.Tx.Delete(id); err != nil {
		return err
	}
	r.record(id, old, nil, seen)
	return nil
}

func isMissing(err error) bool {
	return errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrTenantNotFound)
}
