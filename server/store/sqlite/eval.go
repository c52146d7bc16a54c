package sqlite

import (
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	sqlite "modernc.org/sqlite"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
)

// The Go side of a query: the parts of an EntityQuery that SQL does not
// decide (q, scopeQ and the geo-query exactly, the values orderBy sorts
// on) run in functions registered in SQLite, per candidate row.
//
// SQLite's functions are registered once per process, for every
// connection, so they cannot close over a query. A query registers its
// goFilter in the filters registry instead, under a handle that the SQL
// passes to the functions as their first argument, and removes it when
// it is done.

// goFilter is the Go side of one query.
type goFilter struct {
	q     query.Expr
	scope query.ScopeExpr
	geo   *query.GeoQuery
	order []query.OrderTerm

	mu sync.Mutex
	// last is the entity decoded last, by pk: the match and sort functions
	// of one row share it.
	lastPK int64
	last   *ngsild.Entity
	// kept holds decoded entities that matched, for the result rows, up
	// to keepMax of them.
	kept    map[int64]*ngsild.Entity
	keepMax int
}

// entity decodes the row pk, or returns it from the caches.
func (f *goFilter) entity(pk int64, data []byte) (*ngsild.Entity, error) {
	if f.last != nil && f.lastPK == pk {
		return f.last, nil
	}
	if e := f.kept[pk]; e != nil {
		return e, nil
	}
	e, err := decode("", data)
	if err != nil {
		return nil, err
	}
	f.lastPK, f.last = pk, e
	return e, nil
}

// match reports whether e satisfies q, scopeQ and the geo-query.
func (f *goFilter) match(e *ngsild.Entity) bool {
	if f.q != nil && !matchQ(e, f.q) {
		return false
	}
	if f.scope != nil && !matchScope(e.Scope, f.scope) {
		return false
	}
	if f.geo != nil && !matchGeo(e, f.geo) {
		return false
	}
	return true
}

// take returns and forgets the kept entity pk, or nil.
func (f *goFilter) take(pk int64) *ngsild.Entity {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.kept[pk]
	if e != nil {
		delete(f.kept, pk)
		if f.lastPK == pk {
			f.last = nil
		}
	}
	return e
}

// filterRegistry holds the goFilters of the queries running.
type filterRegistry struct {
	mu   sync.Mutex
	next int64
	m    map[int64]*goFilter
}

var filters = &filterRegistry{m: map[int64]*goFilter{}}

func (r *filterRegistry) add(f *goFilter) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next++
	r.m[r.next] = f
	return r.next
}

func (r *filterRegistry) remove(h int64) {
	r.mu.Lock()
	delete(r.m, h)
	r.mu.Unlock()
}

func (r *filterRegistry) get(v driver.Value) (*goFilter, error) {
	h, ok := v.(int64)
	r.mu.Lock()
	f := r.m[h]
	r.mu.Unlock()
	if !ok || f == nil {
		return nil, errors.New("opentid: unknown query handle")
	}
	return f, nil
}

// rowArgs reads the (handle, pk, data) arguments of the functions.
func rowArgs(args []driver.Value) (*goFilter, int64, []byte, error) {
	f, err := filters.get(args[0])
	if err != nil {
		return nil, 0, nil, err
	}
	pk, ok := args[1].(int64)
	data, ok2 := args[2].([]byte)
	if !ok || !ok2 {
		return nil, 0, nil, errors.New("opentid: bad row arguments")
	}
	return f, pk, data, nil
}

// matchFunc is opentid_match(handle, pk, data): 1 when the entity matches
// the Go side of the query, else 0.
func matchFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	f, pk, data, err := rowArgs(args)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entity(pk, data)
	if err != nil {
		return nil, err
	}
	if !f.match(e) {
		return int64(0), nil
	}
	if len(f.kept) < f.keepMax {
		if f.kept == nil {
			f.kept = map[int64]*ngsild.Entity{}
		}
		f.kept[pk] = e
	}
	return int64(1), nil
}

// sortFunc is opentid_sort(handle, pk, data, i): the value of the entity
// at the path of the i-th orderBy key, as JSON for the collation
// opentid_value, or NULL when it has none.
func sortFunc(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	f, pk, data, err := rowArgs(args)
	if err != nil {
		return nil, err
	}
	i, ok := args[3].(int64)
	if !ok || i < 0 || int(i) >= len(f.order) {
		return nil, errors.New("opentid: bad sort key")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, err := f.entity(pk, data)
	if err != nil {
		return nil, err
	}
	v, ok := valueAt(e, f.order[i].Path)
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("opentid: sort value: %w", err)
	}
	return string(b), nil
}

// collateValues is the collation opentid_value: it orders the JSON texts
// opentid_sort returns by the query package's CompareValues.
func collateValues(a, b string) int {
	if a == b {
		return 0
	}
	return compareValues(decodeValue(a), decodeValue(b))
}

func decodeValue(s string) any {
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return s
	}
	return v
}
