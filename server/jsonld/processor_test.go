package jsonld

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLoader serves documents from memory and counts the fetches per URL.
type fakeLoader struct {
	mu    sync.Mutex
	docs  map[string]string
	fail  map[string]bool
	hits  map[string]int
	total atomic.Int64
	gate  chan struct{} // if set, fetches wait until it is closed
}

func newFakeLoader(docs map[string]string) *fakeLoader {
	return &fakeLoader{docs: docs, fail: map[string]bool{}, hits: map[string]int{}}
}

func (l *fakeLoader) Load(ctx context.Context, url string) ([]byte, error) {
	l.total.Add(1)
	l.mu.Lock()
	l.hits[url]++
	doc, ok := l.docs[url]
	fail, gate := l.fail[url], l.gate
	l.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail || !ok {
		return nil, fmt.Errorf("no document at %s", url)
	}
	return []byte(doc), nil
}

func (l *fakeLoader) count(url string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hits[url]
}

func (l *fakeLoader) setFail(url string, fail bool) {
	l.mu.Lock()
	l.fail[url] = fail
	l.mu.Unlock()
}

const (
	ctxA = "https://contexts.example/a.jsonld"
	ctxB = "https://contexts.example/b.jsonld"
)

func testDocs() map[string]string {
	return map[string]string{
		ctxA: `{"@context": {"ex": "https://example.org/", "speed": "ex:speed", "location": "ex:location"}}`,
		ctxB: `{"@context": ["https://contexts.example/a.jsonld", {"heading": "ex:heading"}]}`,
		"https://contexts.example/nested/c.jsonld":  `{"@context": "../a.jsonld"}`,
		"https://contexts.example/loop1.jsonld":     `{"@context": "loop2.jsonld"}`,
		"https://contexts.example/loop2.jsonld":     `{"@context": ["loop1.jsonld"]}`,
		"https://contexts.example/nocontext.jsonld": `{"speed": "https://example.org/speed"}`,
		"https://contexts.example/notjson.jsonld":   `<html></html>`,
		"https://contexts.example/array.jsonld":     `[{"@context": {}}]`,
		"https://contexts.example/import.jsonld":    `{"@context": {"@import": "a.jsonld", "speed": "https://other.example/speed"}}`,
		"https://contexts.example/bad.jsonld":       `{"@context": {"a": 1}}`,
	}
}

func TestRemoteContexts(t *testing.T) {
	tests := []struct {
		name string
		ctx  any
		want map[string]string
	}{
		{"URL", ctxA, map[string]string{"speed": "https://example.org/speed", "location": ngsi + "location"}},
		{"URL and inline object", []any{ctxA, map[string]any{"heading": "ex:heading"}}, map[string]string{"speed": "https://example.org/speed", "heading": "https://example.org/heading"}},
		{"inline object then URL", []any{map[string]any{"speed": "https://first.example/speed"}, ctxA}, map[string]string{"speed": "https://example.org/speed"}},
		{"remote array including a URL", ctxB, map[string]string{"speed": "https://example.org/speed", "heading": "https://example.org/heading"}},
		{"relative URL in a remote document", "https://contexts.example/nested/c.jsonld", map[string]string{"speed": "https://example.org/speed"}},
		{"@import", "https://contexts.example/import.jsonld", map[string]string{"speed": "https://other.example/speed", "ex:x": "https://example.org/x"}},
		{"@import of the core", map[string]any{"@import": CoreContextURL, "speed": "https://s.example/speed"}, map[string]string{"speed": "https://s.example/speed", "value": ngsi + "hasValue"}},
	}
	p := NewProcessor(Options{Loader: newFakeLoader(testDocs())})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustContext(t, p, tt.ctx)
			for term, want := range tt.want {
				if got := c.ExpandTerm(term); got != want {
					t.Errorf("ExpandTerm(%q) = %q, want %q", term, got, want)
				}
			}
		})
	}
}

func TestRemoteContextErrors(t *testing.T) {
	tests := []struct {
		name string
		ctx  any
		want error
	}{
		{"unknown URL", "https://contexts.example/missing.jsonld", ErrContextNotAvailable},
		{"no @context member", "https://contexts.example/nocontext.jsonld", ErrContextNotAvailable},
		{"not JSON", "https://contexts.example/notjson.jsonld", ErrContextNotAvailable},
		{"not an object", "https://contexts.example/array.jsonld", ErrContextNotAvailable},
		{"cycle", "https://contexts.example/loop1.jsonld", ErrInvalidContext},
		{"invalid remote definitions", "https://contexts.example/bad.jsonld", ErrInvalidContext},
		{"@import of an array", map[string]any{"@import": "https://contexts.example/loop2.jsonld"}, ErrInvalidContext},
	}
	p := NewProcessor(Options{Loader: newFakeLoader(testDocs())})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := p.Context(context.Background(), tt.ctx); !errors.Is(err, tt.want) {
				t.Errorf("error = %v, want %v", err, tt.want)
			}
		})
	}
	noLoader := NewProcessor(Options{})
	if _, err := noLoader.Context(context.Background(), ctxA); !errors.Is(err, ErrContextNotAvailable) {
		t.Errorf("without a loader: error = %v, want ErrContextNotAvailable", err)
	}
}

func TestRemoteDepthLimit(t *testing.T) {
	docs := map[string]string{}
	for i := 0; i < maxRemoteDepth+2; i++ {
		docs[fmt.Sprintf("https://contexts.example/d%d", i)] = fmt.Sprintf(`{"@context": "https://contexts.example/d%d"}`, i+1)
	}
	p := NewProcessor(Options{Loader: newFakeLoader(docs)})
	if _, err := p.Context(context.Background(), "https://contexts.example/d0"); !errors.Is(err, ErrInvalidContext) {
		t.Errorf("error = %v, want ErrInvalidContext", err)
	}
}

func TestRemoteFetchedOnce(t *testing.T) {
	l := newFakeLoader(testDocs())
	p := NewProcessor(Options{Loader: l})
	for i := 0; i < 50; i++ {
		// distinct inline parts defeat the processed-context cache, so
		// that only the document cache can spare the fetches
		raw := []any{ctxA, map[string]any{"n": fmt.Sprintf("https://example.org/n%d", i)}}
		checkRemote(t, mustContext(t, p, raw), l, 1)
	}
	checkRemote(t, mustContext(t, p, ctxB), l, 1)
	for _, u := range CoreContextURLs {
		mustContext(t, p, []any{u, ctxA})
	}
	if n := l.total.Load(); n != 2 {
		t.Errorf("%d fetches in all, want 2 (the core is never fetched)", n)
	}
}

func TestConcurrentCallersShareFetch(t *testing.T) {
	l := newFakeLoader(testDocs())
	l.gate = make(chan struct{})
	p := NewProcessor(Options{Loader: l})
	const callers = 32
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := p.Context(context.Background(), []any{ctxA, map[string]any{"i": fmt.Sprint("https://example.org/", i)}})
			if err == nil && c.ExpandTerm("speed") != "https://example.org/speed" {
				err = errors.New("wrong expansion")
			}
			errs <- err
		}()
	}
	// let the callers pile up on the fetch, then release it
	deadline := time.Now().Add(5 * time.Second)
	for l.count(ctxA) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	close(l.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := l.count(ctxA); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

// checkRemote checks that c has the definitions of ctxA and that l fetched
// ctxA n times.
func checkRemote(t *testing.T, c *Context, l *fakeLoader, n int) {
	t.Helper()
	if got := c.ExpandTerm("speed"); got != "https://example.org/speed" {
		t.Errorf("speed → %q", got)
	}
	if got := l.count(ctxA); got != n {
		t.Errorf("%s fetched %d times, want %d", ctxA, got, n)
	}
}

func TestFailedFetchIsRetried(t *testing.T) {
	l := newFakeLoader(testDocs())
	l.setFail(ctxA, true)
	p := NewProcessor(Options{Loader: l})
	for i := 0; i < 2; i++ {
		if _, err := p.Context(context.Background(), ctxA); !errors.Is(err, ErrContextNotAvailable) {
			t.Fatalf("error = %v, want ErrContextNotAvailable", err)
		}
	}
	l.setFail(ctxA, false)
	checkRemote(t, mustContext(t, p, ctxA), l, 3)
}

func TestCallerCancellation(t *testing.T) {
	l := newFakeLoader(testDocs())
	l.gate = make(chan struct{})
	p := NewProcessor(Options{Loader: l})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := p.Context(ctx, ctxA); !errors.Is(err, ErrContextNotAvailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error = %v, want ErrContextNotAvailable and DeadlineExceeded", err)
	}
	// the fetch goes on for others and lands in the cache
	close(l.gate)
	checkRemote(t, mustContext(t, p, ctxA), l, 1)
}

func TestCacheBound(t *testing.T) {
	p := NewProcessor(Options{MaxCached: 4})
	for i := 0; i < 20; i++ {
		mustContext(t, p, map[string]any{"a": fmt.Sprint("https://example.org/", i)})
		// keep one entry hot
		mustContext(t, p, map[string]any{"hot": "https://example.org/hot"})
	}
	if n := p.contexts.len(); n > 4 {
		t.Errorf("%d cached contexts, want at most 4", n)
	}
	if _, ok := p.contexts.get(`j{"hot":"https://example.org/hot"}`); !ok {
		t.Error("the hot context was evicted")
	}
}
