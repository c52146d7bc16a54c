// Package store defines the storage contract of the reference server: a
// small, context-first interface that every store implementation (the
// embedded SQLite store, the PostgreSQL store) satisfies, with the sentinel
// errors they return. The behaviour every implementation must show is
// written once, in package storetest.
package store

import (
	"context"
	"errors"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
)

// Sentinel errors. Implementations wrap them with %w; callers test them
// with errors.Is.
var (
	// ErrNotFound: the entity does not exist in the tenant.
	ErrNotFound = errors.New("not found")
	// ErrTenantNotFound: the tenant has never been written to.
	ErrTenantNotFound = errors.New("tenant not found")
)

// DefaultTenant is the tenant of requests that carry no NGSILD-Tenant
// header. It always exists.
const DefaultTenant = ""

// Store is a durable, multi-tenant entity store.
//
// Tenants are fully isolated. A tenant other than DefaultTenant exists once
// a transaction that wrote to it has committed.
type Store interface {
	// View runs fn in a read-only, consistent snapshot of tenant. It returns
	// ErrTenantNotFound without calling fn when the tenant does not exist.
	View(ctx context.Context, tenant string, fn func(Reader) error) error
	// Update runs fn in a read-write transaction on tenant and commits when
	// fn returns nil; an error from fn rolls everything back and is
	// returned as is. When Update returns nil the writes are durable: they
	// survive a crash of the process. The tenant is created by the first
	// committed write. Within fn, reads of a tenant that does not exist yet
	// behave as reads of an empty tenant.
	Update(ctx context.Context, tenant string, fn func(Tx) error) error
	// Tenants lists the tenants that exist, DefaultTenant excluded, sorted.
	Tenants(ctx context.Context) ([]string, error)
	// Outbox holds the notifications to deliver (subscriptions.go).
	Outbox
	// Close releases the store's resources.
	Close() error
}

// Reader is the read side of a snapshot or transaction.
type Reader interface {
	// Get returns the entity with this id, or ErrNotFound. The entity is
	// the caller's: a fresh copy it may modify.
	Get(id string) (*ngsild.Entity, error)
	// Query returns the entities that match q, in a stable order (q.OrderBy,
	// then creation order), paged by q.Limit and q.Offset. Every filter is
	// evaluated by the store with its indexes; no implementation loads a
	// tenant to filter it in memory.
	Query(q EntityQuery) (QueryResult, error)
	// EntityTypes describes the entity types in use, sorted by type. With
	// types non-empty, only those types are described (absent ones are
	// left out).
	EntityTypes(types []string) ([]TypeStat, error)
	// Attributes describes the attribute names in use, sorted by name.
	// With names non-empty, only those attributes are described.
	Attributes(names []string) ([]AttributeStat, error)
	// TemporalReader reads attribute histories (temporal.go).
	TemporalReader
	// SubscriptionReader reads subscriptions (subscriptions.go).
	SubscriptionReader
}

// Tx is a read-write transaction.
type Tx interface {
	Reader
	// Put writes e whole, creating it or replacing the stored entity with
	// the same ID, and keeps every index of the store in step.
	Put(e *ngsild.Entity) error
	// Delete removes the entity, or returns ErrNotFound.
	Delete(id string) error
	// TemporalWriter records attribute histories (temporal.go).
	TemporalWriter
	// SubscriptionTx writes subscriptions and queues notifications
	// (subscriptions.go).
	SubscriptionTx
}

// SharedGetter is implemented by a Tx that can return an entity without
// copying it: a caller that only reads the entity, or that needs a copy of
// its own anyway, saves the store's copy.
type SharedGetter interface {
	// GetShared returns what Get returns, but perhaps shared with the
	// store: neither the caller nor anything it hands the entity to may
	// change it, ever.
	GetShared(id string) (*ngsild.Entity, error)
}

// EntityQuery selects entities. Empty fields select everything; the
// non-empty ones are combined with AND.
type EntityQuery struct {
	// IDs: the entity's id is one of these.
	IDs []string
	// IDPattern: the entity's id matches this regular expression (Go RE2
	// syntax, unanchored as in NGSI-LD).
	IDPattern string
	// Types: the entity has at least one of these expanded types.
	Types []string
	// Attrs: the entity has at least one of these expanded attributes.
	Attrs []string
	// TypeExpr: the entity's types match this type selection (clause
	// 4.17); combined with Types by AND when both are set.
	TypeExpr query.TypeExpr
	// Q: the entity matches this q expression (clause 4.9).
	Q query.Expr
	// ScopeQ: the entity's scopes match this scope query (clause 4.19).
	ScopeQ query.ScopeExpr
	// Geo: the entity matches this geo-query (clause 4.10).
	Geo *query.GeoQuery
	// Selectors, when set, are alternatives (the EntitySelectors of a
	// Query, clause 5.2.33): the entity matches at least one of them, and
	// every other filter.
	Selectors []EntitySelector
	// OrderBy sorts the result (clause 4.23); entities without a value
	// for a key come last. Empty: creation order. Ties keep creation
	// order.
	OrderBy []query.OrderTerm
	// Limit is the page size; 0 returns no entity (a count-only query).
	Limit int
	// Offset skips that many matching entities.
	Offset int
	// Count asks for QueryResult.Total.
	Count bool
}

// EntitySelector selects entities by id, id pattern (as IDPattern) and
// type selection: those of the three it gives; one that gives none
// selects every entity.
type EntitySelector struct {
	ID        string
	IDPattern string
	TypeExpr  query.TypeExpr
}

// QueryResult is one page of a query.
type QueryResult struct {
	Entities []*ngsild.Entity
	// Total is the number of matching entities, set when the query asked
	// for a count.
	Total int
}

// TypeStat describes one entity type in use.
type TypeStat struct {
	Type     string // expanded
	Entities int    // how many entities have this type
	// Attrs are the attributes found on entities of this type, sorted by
	// name.
	Attrs []AttributeUse
}

// AttributeUse is an attribute name with the attribute types it is used
// with (Property, Relationship, ...), sorted.
type AttributeUse struct {
	Name      string // expanded
	AttrTypes []string
}

// AttributeStat describes one attribute name in use.
type AttributeStat struct {
	Name string // expanded
	// Entities is how many entities have this attribute.
	Entities  int
	AttrTypes []string // sorted
	TypeNames []string // expanded entity types of the entities that have it, sorted
}
