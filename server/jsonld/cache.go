package jsonld

import (
	"sync"
	"sync/atomic"
)

// cache is a bounded map with second-chance eviction. Reads take a shared
// lock only, so that the hot path does not serialize.
type cache[V any] struct {
	mu  sync.RWMutex
	max int
	m   map[string]*cacheEntry[V]
}

type cacheEntry[V any] struct {
	v    V
	used atomic.Bool
}

func newCache[V any](max int) *cache[V] {
	return &cache[V]{max: max, m: make(map[string]*cacheEntry[V])}
}

func (c *cache[V]) get(key string) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok {
		var zero V
		return zero, false
	}
	if !e.used.Load() {
		e.used.Store(true)
	}
	return e.v, true
}

func (c *cache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		c.evict()
	}
	c.m[key] = &cacheEntry[V]{v: v}
}

// evict removes one entry not used since the last sweep, or any entry if
// all were.
func (c *cache[V]) evict() {
	victim := ""
	for k, e := range c.m {
		if !e.used.Load() {
			delete(c.m, k)
			return
		}
		e.used.Store(false)
		if victim == "" {
			victim = k
		}
	}
	delete(c.m, victim)
}

func (c *cache[V]) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
