package sqlite

import "sync"

// Buffers reused from write to write: the encoded entities and the
// values of instance rows. Both only live until the statements that take
// them have run, and SQLite copies what it binds; a batch of a hundred
// sensors otherwise allocates some 800 KB of them.
var (
	byteBufs = sync.Pool{New: func() any { return new([]byte) }}
	rowBufs  = sync.Pool{New: func() any { return new([]any) }}
)

// Buffers larger than these are left to the garbage collector (a batch of
// ten thousand entities should not stay in memory).
const (
	maxPooledBytes = 64 << 10
	maxPooledRows  = 64 << 10
)

func getBytes() *[]byte { return byteBufs.Get().(*[]byte) }

func putBytes(b *[]byte) {
	if cap(*b) <= maxPooledBytes {
		*b = (*b)[:0]
		byteBufs.Put(b)
	}
}

func getRows() *[]any { return rowBufs.Get().(*[]any) }

func putRows(b *[]any) {
	if cap(*b) <= maxPooledRows {
		clear(*b)
		*b = (*b)[:0]
		rowBufs.Put(b)
	}
}
