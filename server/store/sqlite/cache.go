package sqlite

import (
	"maps"
	"sync"

	"github.com/opentid/opentid/server/ngsild"
)

// Caches of the writer.
//
// At nearly every write the writer reads back rows it wrote itself: the
// entity an update merges into, the history series a new instance joins.
// Only the writer changes those rows, so it keeps them in memory rather
// than reading and decoding them again. Readers never use these caches:
// they read their own snapshot.
//
// A cache must never hold what a rolled-back transaction wrote, so what
// the writer learns passes through two overlays before it reaches the
// shared map: the caller's own (one member of the group commit), kept
// when the caller's work succeeds and dropped when it rolls back to its
// savepoint; then the group's, applied to the shared map when the group's
// COMMIT succeeds and dropped when the transaction fails. A lookup reads
// the caller's overlay, then the group's, then the shared map. An overlay
// entry may also say that a row is unknown (it changed in a way the
// writer did not follow: the lookup goes to the database), and an overlay
// may forget everything before it (a retention purge).

// defaultCacheEntries bounds each cache of a Store (Options.CacheEntries).
const defaultCacheEntries = 8192

// cacheKey is an entity id in a tenant.
type cacheKey struct {
	tid int64
	id  string
}

// cacheEntry is a value, or "unknown" when known is false.
type cacheEntry[V any] struct {
	v     V
	known bool
}

// overlay is what one member, or one group, learnt.
type overlay[V any] struct {
	entries map[cacheKey]cacheEntry[V]
	all     bool // what lies under this overlay is forgotten
}

func (o *overlay[V]) put(k cacheKey, e cacheEntry[V]) {
	if o.entries == nil {
		o.entries = map[cacheKey]cacheEntry[V]{}
	}
	o.entries[k] = e
}

// set records v as the value of k.
func (o *overlay[V]) set(k cacheKey, v V) { o.put(k, cacheEntry[V]{v: v, known: true}) }

// forget records that the value of k is unknown.
func (o *overlay[V]) forget(k cacheKey) { o.put(k, cacheEntry[V]{}) }

// forgetAll records that every value under o is unknown.
func (o *overlay[V]) forgetAll() {
	o.entries = nil
	o.all = true
}

// merge adds inner, the overlay of a member whose work succeeded, to o.
func (o *overlay[V]) merge(inner *overlay[V]) {
	if inner.all {
		o.forgetAll()
	}
	for k, e := range inner.entries {
		o.put(k, e)
	}
}

// cache is the shared map of one cache, holding at most max entries.
type cache[V any] struct {
	mu     sync.Mutex
	shared map[cacheKey]V
	max    int
}

// get looks k up in the overlays, innermost first, then in the shared
// map.
func (c *cache[V]) get(k cacheKey, overlays ...*overlay[V]) (V, bool) {
	var zero V
	if c.max <= 0 {
		return zero, false
	}
	for _, o := range overlays {
		if e, ok := o.entries[k]; ok {
			return e.v, e.known
		}
		if o.all {
			return zero, false
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.shared[k]
	return v, ok
}

// install applies the overlay of a committed group to the shared map.
func (c *cache[V]) install(o *overlay[V]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if o.all {
		clear(c.shared)
	}
	for k, e := range o.entries {
		if e.known && c.max > 0 {
			if c.shared == nil {
				c.shared = map[cacheKey]V{}
			}
			c.shared[k] = e.v
		} else {
			delete(c.shared, k)
		}
	}
	// Over the bound, arbitrary entries go (map order is unspecified).
	for k := range c.shared {
		if len(c.shared) <= c.max {
			break
		}
		delete(c.shared, k)
	}
}

// len returns the number of entries of the shared map (tests).
func (c *cache[V]) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.shared)
}

// cachedEntity is an entity as stored, with what Put needs to know of its
// index rows.
type cachedEntity struct {
	e   *ngsild.Entity // never handed out: Get returns a copy
	sig indexSig
}

// cachedHistory is the history of an entity: its key, types and series.
// Its maps and slices are never changed once cached.
type cachedHistory struct {
	hid    int64
	types  []string
	series map[[2]string]series
}

// caches are the shared maps of a Store. nums holds the numbers of types
// (tno) and attribute names (ano), which never change once committed:
// the key's id is the name, prefixed with numAttr for an attribute.
type caches struct {
	ents cache[*cachedEntity]
	hist cache[*cachedHistory]
	nums cache[int64]
}

func newCaches(max int) *caches {
	c := &caches{}
	c.ents.max, c.hist.max, c.nums.max = max, max, max
	return c
}

// txCaches are the overlays of a member or of a group.
type txCaches struct {
	ents overlay[*cachedEntity]
	hist overlay[*cachedHistory]
	nums overlay[int64]
}

func (t *txCaches) merge(inner *txCaches) {
	t.ents.merge(&inner.ents)
	t.hist.merge(&inner.hist)
	t.nums.merge(&inner.nums)
}

func (c *caches) install(t *txCaches) {
	c.ents.install(&t.ents)
	c.hist.install(&t.hist)
	c.nums.install(&t.nums)
}

// numAttr prefixes the name of an attribute in the key of its number
// (caches.nums); no type name starts with it, as types are URIs.
const numAttr = "\x00attr:"

// numbers are the writer's lookups of type and attribute numbers in the
// caches (indexer.numbers).
type numbers struct{ w *writer }

func (n numbers) key(k numKey) cacheKey {
	if k.attr {
		return cacheKey{tid: k.tid, id: numAttr + k.name}
	}
	return cacheKey{tid: k.tid, id: k.name}
}

func (n numbers) get(k numKey) (int64, bool) {
	return n.w.caches.nums.get(n.key(k), &n.w.mine.nums, &n.w.group.nums)
}

func (n numbers) set(k numKey, v int64) { n.w.mine.nums.set(n.key(k), v) }

// cacheKey returns the key of entity id in the writer's tenant.
func (w *writer) cacheKey(id string) cacheKey { return cacheKey{tid: w.tid, id: id} }

// cachedEntity returns a copy of the cached entity id, and remembers its
// index rows as Get does.
func (w *writer) cachedEntity(id string) (*ngsild.Entity, bool) {
	c, ok := w.cachedEntry(id)
	if !ok {
		return nil, false
	}
	e, ok := ngsild.CloneEntity(c.e)
	if ok {
		w.remember(id, c.sig)
	}
	return e, ok
}

func (w *writer) cachedEntry(id string) (*cachedEntity, bool) {
	if w.tid == 0 {
		return nil, false
	}
	return w.caches.ents.get(w.cacheKey(id), &w.mine.ents, &w.group.ents)
}

// GetShared is Get without a copy of a cached entity: the cache's own,
// which is never changed (store.SharedGetter).
func (w *writer) GetShared(id string) (*ngsild.Entity, error) {
	if c, ok := w.cachedEntry(id); ok {
		w.remember(id, c.sig)
		return c.e, nil
	}
	return w.Get(id)
}

// cacheEntity records e, just read or written with index rows sig.
func (w *writer) cacheEntity(e *ngsild.Entity, sig indexSig) {
	k := w.cacheKey(e.ID)
	if c, ok := ngsild.CloneEntity(e); ok && w.tid != 0 {
		w.mine.ents.set(k, &cachedEntity{e: c, sig: sig})
	} else {
		w.mine.ents.forget(k)
	}
}

// cachedHistory returns the cached history of entity id. Its types must
// not be changed; its series are copied before their first change
// (seriesMap).
func (w *writer) cachedHistory(id string) (int64, []string, seriesMap, bool) {
	if w.tid == 0 {
		return 0, nil, seriesMap{}, false
	}
	c, ok := w.caches.hist.get(w.cacheKey(id), &w.mine.hist, &w.group.hist)
	if !ok {
		return 0, nil, seriesMap{}, false
	}
	return c.hid, c.types, seriesMap{m: c.series, shared: true}, true
}

// seriesMap is the series of an entity by name and datasetId. When shared
// (a cached history's), the map is copied before its first change.
type seriesMap struct {
	m      map[[2]string]series
	shared bool
}

func (sm *seriesMap) set(k [2]string, s series) {
	if sm.shared || sm.m == nil {
		sm.m, sm.shared = maps.Clone(sm.m), false
		if sm.m == nil {
			sm.m = map[[2]string]series{}
		}
	}
	sm.m[k] = s
}
