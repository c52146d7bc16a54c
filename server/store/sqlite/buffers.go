package sqlite

import "sync"

// buffers are reused from write to write: the encoded entities and the
// values of instance rows. Both only live until the statements that take
// them have run, and SQLite copies what it binds; a batch of a hundred
// sensors otherwise allocates some 800 KB of them. Each Store has its own.
type buffers struct {
	bytes slicePool[byte]
	rows  slicePool[any]
}

// maxPooled bounds the capacity of the slices given back: larger ones are
// left to the garbage collector (a batch of ten thousand entities should
// not stay in memory).
const maxPooled = 64 << 10

// slicePool holds slices of E for reuse.
type slicePool[E any] struct{ p sync.Pool }

// get returns an empty slice, with the capacity of an earlier one.
func (p *slicePool[E]) get() *[]E {
	if s, ok := p.p.Get().(*[]E); ok {
		return s
	}
	return new([]E)
}

// put gives s back, emptied (its elements cleared, so that the pool holds
// no references).
func (p *slicePool[E]) put(s *[]E) {
	if cap(*s) <= maxPooled {
		clear(*s)
		*s = (*s)[:0]
		p.p.Put(s)
	}
}
