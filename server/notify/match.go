package notify

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
)

// Change is one entity written or deleted by a transaction: Old is nil for
// a creation, New is nil for a deletion.
type Change struct {
	Old, New *ngsild.Entity
}

// Reason returns the trigger of the change: entityCreated, entityUpdated or
// entityDeleted.
func (c Change) Reason() string {
	switch {
	case c.Old == nil:
		return ngsild.TriggerEntityCreated
	case c.New == nil:
		return ngsild.TriggerEntityDeleted
	default:
		return ngsild.TriggerEntityUpdated
	}
}

// compiled is a subscription ready for matching.
type compiled struct {
	sub      *ngsild.Subscription
	patterns []*regexp.Regexp // per selector, nil without idPattern
	watched  map[string]bool
	triggers map[string]bool
	q        query.Expr
	geo      *query.GeoQuery
	scope    query.ScopeExpr
}

// Compile parses the query members of a subscription (stored in canonical,
// expanded form). The server calls it at creation to refuse a subscription
// that cannot be matched.
func Compile(s *ngsild.Subscription) (*compiled, error) {
	c := &compiled{sub: s, triggers: map[string]bool{}}
	for _, sel := range s.Entities {
		var re *regexp.Regexp
		if sel.IDPattern != "" {
			var err error
			if re, err = regexp.Compile(sel.IDPattern); err != nil {
				return nil, fmt.Errorf("idPattern %q: %w", sel.IDPattern, err)
			}
		}
		c.patterns = append(c.patterns, re)
	}
	if len(s.WatchedAttributes) > 0 {
		c.watched = map[string]bool{}
		for _, a := range s.WatchedAttributes {
			c.watched[a] = true
		}
	}
	triggers := s.Triggers
	if len(triggers) == 0 {
		triggers = ngsild.AllTriggers
	}
	for _, t := range triggers {
		c.triggers[t] = true
	}
	var err error
	if s.QExpanded != "" {
		if c.q, err = query.ParseQ(s.QExpanded, nil); err != nil {
			return nil, fmt.Errorf("q: %w", err)
		}
	}
	if g := s.GeoQ; g != nil {
		if c.geo, err = query.ParseGeoQuery(g.Georel, g.Geometry, g.Coordinates, g.Property, nil); err != nil {
			return nil, fmt.Errorf("geoQ: %w", err)
		}
	}
	if s.ScopeQ != "" {
		if c.scope, err = query.ParseScopeQ(s.ScopeQ); err != nil {
			return nil, fmt.Errorf("scopeQ: %w", err)
		}
	}
	return c, nil
}

// selects reports whether the entity is one the subscription is about:
// its entities selectors, q, geoQ and scopeQ.
func (c *compiled) selects(e *ngsild.Entity) bool {
	if len(c.sub.Entities) > 0 {
		ok := false
		for i, sel := range c.sub.Entities {
			if sel.ID != "" && sel.ID != e.ID {
				continue
			}
			if c.patterns[i] != nil && !c.patterns[i].MatchString(e.ID) {
				continue
			}
			if sel.Type != "" && !slices.Contains(e.Types, sel.Type) {
				continue
			}
			ok = true
			break
		}
		if !ok {
			return false
		}
	}
	if c.q != nil && !query.MatchQ(e, c.q) {
		return false
	}
	if c.geo != nil && !query.MatchGeo(e, c.geo) {
		return false
	}
	if c.scope != nil && !query.MatchScope(e.Scope, c.scope) {
		return false
	}
	return true
}

// matches reports whether a change triggers a notification.
func (c *compiled) matches(ch Change, now time.Time) bool {
	s := c.sub
	if s.Paused || s.Expired(now) || s.TimeInterval > 0 {
		return false
	}
	target := ch.New
	if target == nil {
		target = ch.Old
	}
	if !c.selects(target) {
		return false
	}
	switch ch.Reason() {
	case ngsild.TriggerEntityCreated:
		if !c.triggers[ngsild.TriggerEntityCreated] && !c.triggers[ngsild.TriggerAttributeCreated] {
			return false
		}
		return c.watchesAny(ch.New)
	case ngsild.TriggerEntityDeleted:
		if !c.triggers[ngsild.TriggerEntityDeleted] && !c.triggers[ngsild.TriggerAttributeDeleted] {
			return false
		}
		return c.watchesAny(ch.Old)
	}
	created, updated, deleted := attrChanges(ch.Old, ch.New)
	any := func(names []string) bool {
		for _, n := range names {
			if c.watched == nil || c.watched[n] {
				return true
			}
		}
		return false
	}
	if c.triggers[ngsild.TriggerEntityUpdated] && (any(created) || any(updated) || any(deleted) ||
		c.watched == nil && !sameEntityHead(ch.Old, ch.New)) {
		return true
	}
	return c.triggers[ngsild.TriggerAttributeCreated] && any(created) ||
		c.triggers[ngsild.TriggerAttributeUpdated] && any(updated) ||
		c.triggers[ngsild.TriggerAttributeDeleted] && any(deleted)
}

// watchesAny reports whether e has a watched attribute (true without
// watchedAttributes).
func (c *compiled) watchesAny(e *ngsild.Entity) bool {
	if c.watched == nil {
		return true
	}
	for name := range e.Attrs {
		if c.watched[name] {
			return true
		}
	}
	return false
}

func sameEntityHead(a, b *ngsild.Entity) bool {
	return slices.Equal(a.Types, b.Types) && slices.Equal(a.Scope, b.Scope)
}

// attrChanges lists the attributes created, written (an instance differs,
// its modifiedAt included) and deleted between old and new.
func attrChanges(old, cur *ngsild.Entity) (created, updated, deleted []string) {
	for name, insts := range cur.Attrs {
		prev, had := old.Attrs[name]
		switch {
		case !had:
			created = append(created, name)
		case !reflect.DeepEqual(prev, insts):
			updated = append(updated, name)
		}
	}
	for name := range old.Attrs {
		if _, has := cur.Attrs[name]; !has {
			deleted = append(deleted, name)
		}
	}
	return created, updated, deleted
}

// tenantSubs is the compiled subscriptions of one tenant, indexed for the
// lookup of the candidates of an entity.
type tenantSubs struct {
	gen    int64
	all    []*compiled
	byID   map[string][]*compiled
	byType map[string][]*compiled
	rest   []*compiled
}

func indexSubs(gen int64, list []store.StoredSubscription) *tenantSubs {
	ts := &tenantSubs{gen: gen, byID: map[string][]*compiled{}, byType: map[string][]*compiled{}}
	for _, ss := range list {
		c, err := Compile(ss.Sub)
		if err != nil {
			continue // refused at creation; a stored one that fails is skipped
		}
		ts.all = append(ts.all, c)
		if len(ss.Sub.Entities) == 0 {
			ts.rest = append(ts.rest, c)
			continue
		}
		for _, sel := range ss.Sub.Entities {
			switch {
			case sel.ID != "":
				ts.byID[sel.ID] = appendOnce(ts.byID[sel.ID], c)
			case sel.Type != "":
				ts.byType[sel.Type] = appendOnce(ts.byType[sel.Type], c)
			default:
				ts.rest = appendOnce(ts.rest, c)
			}
		}
	}
	return ts
}

func appendOnce(list []*compiled, c *compiled) []*compiled {
	if n := len(list); n > 0 && list[n-1] == c {
		return list
	}
	return append(list, c)
}

// candidates calls fn once for each subscription that may select e.
func (ts *tenantSubs) candidates(e *ngsild.Entity, fn func(*compiled) error) error {
	var seen map[*compiled]bool
	visit := func(list []*compiled) error {
		for _, c := range list {
			if len(c.sub.Entities) > 1 {
				if seen == nil {
					seen = map[*compiled]bool{}
				}
				if seen[c] {
					continue
				}
				seen[c] = true
			}
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := visit(ts.byID[e.ID]); err != nil {
		return err
	}
	for _, t := range e.Types {
		if err := visit(ts.byType[t]); err != nil {
			return err
		}
	}
	return visit(ts.rest)
}

// cache holds the compiled subscriptions of each tenant, reloaded when the
// store's generation of the tenant changes.
type cache struct {
	mu      sync.Mutex
	tenants map[string]*tenantSubs
}

// get returns the subscriptions of the tenant as r sees them.
func (c *cache) get(tenant string, r store.SubscriptionReader) (*tenantSubs, error) {
	gen, err := r.SubscriptionGeneration()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	ts := c.tenants[tenant]
	c.mu.Unlock()
	if ts != nil && ts.gen == gen {
		return ts, nil
	}
	if gen == 0 {
		ts = &tenantSubs{}
	} else {
		list, _, err := r.ListSubscriptions(-1, 0)
		if err != nil {
			return nil, err
		}
		ts = indexSubs(gen, list)
	}
	c.mu.Lock()
	if c.tenants == nil {
		c.tenants = map[string]*tenantSubs{}
	}
	c.tenants[tenant] = ts
	c.mu.Unlock()
	return ts, nil
}
