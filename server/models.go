package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/opentid/opentid/schemas"
	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// ModelValidation says in which tenants the server validates the entities
// of the standard's types against their data model on every write.
type ModelValidation int

const (
	// ValidateAllTenants validates in every tenant (the default).
	ValidateAllTenants ModelValidation = iota
	// ValidateNoTenant never validates.
	ValidateNoTenant
	// ValidateListedTenants validates in the tenants of
	// Config.ValidateTenants only.
	ValidateListedTenants
)

// compileModels compiles the embedded schemas once per process: the
// compiled set is immutable and safe for concurrent use.
var compileModels = sync.OnceValues(schemas.Compile)

// modelChecker validates the entities of the standard's types: an entity
// is of a model when one of its expanded types is the IRI the unified
// @context gives the model's name.
type modelChecker struct {
	set *schemas.Set
	// ld is the unified @context, with which an entity is rendered before
	// it is validated.
	ld *jsonld.Context
	// types maps the expanded type of each model to its name.
	types map[string]string
	// tenants are the tenants validated; nil validates every tenant.
	tenants map[string]bool
}

// newModelChecker returns the checker the configuration asks for, or nil
// when validation is off.
func newModelChecker(cfg Config, p *jsonld.Processor) (*modelChecker, error) {
	if cfg.ValidateModels == ValidateNoTenant {
		return nil, nil
	}
	set, err := compileModels()
	if err != nil {
		return nil, err
	}
	ld, err := p.Context(context.Background(), schemas.ContextURL)
	if err != nil {
		return nil, fmt.Errorf("the unified @context: %w", err)
	}
	m := &modelChecker{set: set, ld: ld, types: map[string]string{}}
	for _, name := range set.Models() {
		m.types[ld.ExpandTerm(name)] = name
	}
	if cfg.ValidateModels == ValidateListedTenants {
		m.tenants = map[string]bool{}
		for _, t := range cfg.ValidateTenants {
			m.tenants[t] = true
		}
	}
	return m, nil
}

// checkModels wraps the work of a write transaction so that every entity
// it writes in a validated tenant is checked first.
func (s *Server) checkModels(tenant string, fn func(store.Tx) error) func(store.Tx) error {
	m := s.models
	if m == nil || (m.tenants != nil && !m.tenants[tenant]) {
		return fn
	}
	return func(tx store.Tx) error { return fn(&modelCheckTx{Tx: tx, m: m}) }
}

// modelCheckTx refuses to write an entity that is not valid against its
// model. The refusal is a BadRequestData problem: a single operation
// fails with it, and a batch reports it for the item.
type modelCheckTx struct {
	store.Tx
	m *modelChecker
}

func (t *modelCheckTx) Put(e *ngsild.Entity) error {
	if err := t.m.check(e); err != nil {
		return err
	}
	return t.Tx.Put(e)
}

// check validates e as it will be stored: rendered in the normalized form
// with the names of the unified @context. It returns nil when e is of no
// model or valid.
func (m *modelChecker) check(e *ngsild.Entity) error {
	var names []string
	for _, t := range e.Types {
		if name, ok := m.types[t]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	doc, err := m.document(e)
	if err != nil {
		return err
	}
	var errs []fieldError
	for _, name := range names {
		// An entity of several types is checked against each model it
		// has; the other types are not the model's business.
		doc["type"] = name
		for _, p := range m.set.Validate(doc, schemas.FormNormalized) {
			errs = append(errs, fieldError{Pointer: p.Pointer, Detail: p.Message})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	noun := "problem"
	if len(errs) > 1 {
		noun = "problems"
	}
	return &apiError{
		problem: spec.ProblemBadRequestData,
		detail:  fmt.Sprintf("entity %s is not a valid %s: %d %s, listed in errors", e.ID, strings.Join(names, " and "), len(errs), noun),
		errs:    errs,
	}
}

// document renders e as the JSON object a client would read with the
// unified @context.
func (m *modelChecker) document(e *ngsild.Entity) (map[string]any, error) {
	b, err := json.Marshal(ngsild.Render(e, m.ld, ngsild.RenderOptions{Form: ngsild.Normalized}))
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	return doc, nil
}

// builtinContexts serves the @context documents the server ships with
// (the unified @context of the data models) without fetching them, and
// asks next for every other one. A built-in document wins over a
// ContextFiles entry for the same URL, as the core context does.
type builtinContexts struct {
	docs map[string][]byte
	next jsonld.Loader
}

func withBuiltinContexts(next jsonld.Loader) jsonld.Loader {
	return &builtinContexts{docs: map[string][]byte{schemas.ContextURL: schemas.Context()}, next: next}
}

func (l *builtinContexts) Load(ctx context.Context, url string) ([]byte, error) {
	if doc, ok := l.docs[url]; ok {
		return doc, nil
	}
	if l.next == nil {
		return nil, fmt.Errorf("%w: %s: no loader for remote contexts", jsonld.ErrContextNotAvailable, url)
	}
	return l.next.Load(ctx, url)
}
