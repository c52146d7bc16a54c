package server

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// recordHistory is the change hook that keeps the history: every
// attribute instance that a write of the entity API or a batch operation
// created or changed (its modifiedAt moved) becomes an attribute instance
// of the entity's history, stamped with the time of the change. Deleted
// attributes and entities add nothing. Temporal provision records its
// instances itself and marks its context.
func (s *Server) recordHistory(ctx context.Context, tx store.Tx, _ string, changes []Change) error {
	if ctx.Value(historyRecordedKey{}) != nil {
		return nil
	}
	for _, c := range changes {
		if c.New == nil {
			continue
		}
		attrs := changedInstances(c.Old, c.New)
		if len(attrs) == 0 {
			continue
		}
		if err := tx.AddInstances(c.New.ID, c.New.Types, attrs); err != nil {
			return err
		}
	}
	return nil
}

// changedInstances lists the instances of cur that are new or changed
// since old, as instances recorded at their modifiedAt.
func changedInstances(old, cur *ngsild.Entity) map[string][]*ngsild.Attribute {
	var out map[string][]*ngsild.Attribute
	for name, list := range cur.Attrs {
		var before []*ngsild.Attribute
		if old != nil {
			before = old.Attrs[name]
		}
		for _, a := range list {
			if a == nil {
				continue
			}
			if i := instanceIndex(before, a.DatasetID); i >= 0 && sameInstance(before[i], a) {
				continue
			}
			c := *a
			c.CreatedAt = a.ModifiedAt
			if out == nil {
				out = map[string][]*ngsild.Attribute{}
			}
			out[name] = append(out[name], &c)
		}
	}
	return out
}

// purgeBatch bounds the instances one retention transaction removes, so
// that writers wait little.
const purgeBatch = 5000

// retentionFor returns the retention period of a tenant; zero keeps the
// history for ever.
func (s *Server) retentionFor(tenant string) time.Duration {
	if d, ok := s.cfg.TenantRetention[tenant]; ok {
		return d
	}
	return s.cfg.Retention
}

// runRetention applies the retention periods every RetentionInterval
// until ctx ends. It does nothing when no tenant has a period.
func (s *Server) runRetention(ctx context.Context) {
	enabled := s.cfg.Retention > 0
	for _, d := range s.cfg.TenantRetention {
		enabled = enabled || d > 0
	}
	if !enabled {
		return
	}
	tick := time.NewTicker(s.cfg.RetentionInterval)
	defer tick.Stop()
	for {
		if _, err := s.ApplyRetention(ctx); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "retention", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ApplyRetention removes, in every tenant, the attribute instances older
// than the tenant's retention period, and reports how many it removed.
// The background work started by Start calls it periodically.
func (s *Server) ApplyRetention(ctx context.Context) (int, error) {
	tenants, err := s.store.Tenants(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, tenant := range append([]string{store.DefaultTenant}, tenants...) {
		keep := s.retentionFor(tenant)
		if keep <= 0 {
			continue
		}
		cutoff := s.now().Add(-keep)
		for {
			var n int
			err := s.store.Update(ctx, tenant, func(tx store.Tx) error {
				var err error
				n, err = tx.PurgeHistory(cutoff, purgeBatch)
				return err
			})
			if err != nil {
				return total, err
			}
			total += n
			if n < purgeBatch || ctx.Err() != nil {
				break
			}
		}
	}
	return total, nil
}

// sameInstance reports whether an attribute instance is unchanged: same
// modifiedAt and same content. Two writes within the same millisecond
// share a modifiedAt, so the content is compared too.
func sameInstance(a, b *ngsild.Attribute) bool {
	if !a.ModifiedAt.Equal(b.ModifiedAt) {
		return false
	}
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
