package sqlite

import "sync"

// buffers are reused from write to write: the encoded entities and the
// values of instance rows. Both only live until the statements that take
// them have run, and SQLite copies what it binds; a batch of a hundred
// sensors otherwise allocates some 800 KB of them. Each Store has its own.
type buffers struct {
	bytes, rows sync.Pool
}

// Buffers larger than these are left to the garbage collector (a batch of
// ten thousand entities should not stay in memory).
const (
	maxPooledBytes = 64 << 10
	maxPooledRows  = 64 << 10
)

func (p *buffers) getBytes() *[]byte {
	if b, ok := p.bytes.Get().(*[]byte); ok {
		return b
	}
	return new([]byte)
}

func (p *buffers) putBytes(b *[]byte) {
	if cap(*b) <= maxPooledBytes {
		*b = (*b)[:0]
		p.bytes.Put(b)
	}
}

func (p *buffers) getRows() *[]any {
	if b, ok := p.rows.Get().(*[]any); ok {
		return b
	}
	return new([]any)
}

func (p *buffers) putRows(b *[]any) {
	if cap(*b) <= maxPooledRows {
		clear(*b)
		*b = (*b)[:0]
		p.rows.Put(b)
	}
}
