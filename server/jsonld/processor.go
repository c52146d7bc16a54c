package jsonld

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

//go:embed core-context.jsonld
var coreDocument []byte

// coreData is the processed core context, shared by every Processor.
type coreData struct {
	defs   map[string]termDef
	vocab  string
	object map[string]any // the core's "@context" object, for @import
	ctx    *Context
}

var (
	coreOnce   sync.Once
	coreShared *coreData
)

func loadCore() *coreData {
	coreOnce.Do(func() {
		var doc struct {
			Context map[string]any `json:"@context"`
		}
		if err := json.Unmarshal(coreDocument, &doc); err != nil {
			panic("jsonld: embedded core context: " + err.Error())
		}
		b := &builder{ctx: context.Background()}
		b.reset()
		if err := b.object(doc.Context, "", 0); err != nil {
			panic("jsonld: embedded core context: " + err.Error())
		}
		coreShared = &coreData{
			defs:   b.st.terms,
			vocab:  b.st.vocab,
			object: doc.Context,
			ctx:    b.finish(nil),
		}
	})
	return coreShared
}

// maxFetchTime bounds a shared remote fetch whatever the Loader does; the
// Loader normally enforces a shorter timeout.
const maxFetchTime = 30 * time.Second

// Options configures a Processor.
type Options struct {
	// Loader fetches remote contexts; without one, every remote context
	// other than the core is unavailable.
	Loader Loader
	// MaxCached bounds the number of processed contexts and of remote
	// documents kept in memory (each); default 1024.
	MaxCached int
}

// Processor processes @context values into Contexts and caches them. It is
// safe for concurrent use.
type Processor struct {
	loader   Loader
	core     *coreData
	contexts *cache[*Context]
	docs     *cache[any]

	mu      sync.Mutex
	flights map[string]*flight
}

// flight is a fetch of a remote context in progress, shared by the callers
// that need the same URL meanwhile.
type flight struct {
	done chan struct{}
	doc  any
	err  error
}

// NewProcessor returns a Processor.
func NewProcessor(opts Options) *Processor {
	n := opts.MaxCached
	if n <= 0 {
		n = 1024
	}
	return &Processor{
		loader:   opts.Loader,
		core:     loadCore(),
		contexts: newCache[*Context](n),
		docs:     newCache[any](n),
		flights:  make(map[string]*flight),
	}
}

// Core returns the processed core context alone.
func (p *Processor) Core() *Context { return p.core.ctx }

// Context processes a request's @context value: a URL string, an inline
// object, or an array of those (json.RawMessage, []byte and []string are
// accepted too). The core context is applied last, so that core terms win.
// nil or an empty value yields the core context alone. Errors wrap
// ErrContextNotAvailable or ErrInvalidContext.
func (p *Processor) Context(ctx context.Context, raw any) (*Context, error) {
	raw, err := normalize(raw)
	if err != nil {
		return nil, err
	}
	if isEmpty(raw) {
		return p.core.ctx, nil
	}
	var key string
	var canonical []byte
	if s, ok := raw.(string); ok {
		key = "u" + s
	} else {
		if canonical, err = json.Marshal(raw); err != nil {
			return nil, invalidf("cannot encode the context: %v", err)
		}
		key = "j" + string(canonical)
	}
	if c, ok := p.contexts.get(key); ok {
		return c, nil
	}
	if canonical != nil {
		// keep a private copy, so that later changes by the caller do not
		// reach the cached value
		raw = nil
		if err := json.Unmarshal(canonical, &raw); err != nil {
			return nil, invalidf("cannot decode the context: %v", err)
		}
	}
	b := &builder{ctx: ctx, p: p, core: p.core}
	b.reset()
	if err := b.value(raw, "", 0); err != nil {
		return nil, err
	}
	c := b.finish(raw)
	p.contexts.put(key, c)
	return c, nil
}

func normalize(raw any) (any, error) {
	var data []byte
	switch v := raw.(type) {
	case json.RawMessage:
		data = v
	case []byte:
		data = v
	case []string:
		a := make([]any, len(v))
		for i, s := range v {
			a[i] = s
		}
		return a, nil
	default:
		return raw, nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, invalidf("not JSON: %v", err)
	}
	return out, nil
}

func isEmpty(raw any) bool {
	switch v := raw.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	case map[string]any:
		return len(v) == 0
	}
	return false
}

// remoteContext returns the "@context" member of the remote document at
// url, fetching it once: callers asking meanwhile share the fetch, a
// success is cached, a failure is not.
func (p *Processor) remoteContext(ctx context.Context, url string) (any, error) {
	if doc, ok := p.docs.get(url); ok {
		return doc, nil
	}
	if p.loader == nil {
		return nil, fmt.Errorf("%w: %s: no loader for remote contexts", ErrContextNotAvailable, url)
	}
	p.mu.Lock()
	if doc, ok := p.docs.get(url); ok {
		p.mu.Unlock()
		return doc, nil
	}
	f, ok := p.flights[url]
	if !ok {
		f = &flight{done: make(chan struct{})}
		p.flights[url] = f
		// The fetch does not depend on this caller staying: others may
		// wait for it.
		go p.fetch(context.WithoutCancel(ctx), url, f)
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.doc, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %s: %w", ErrContextNotAvailable, url, ctx.Err())
	}
}

func (p *Processor) fetch(ctx context.Context, url string, f *flight) {
	ctx, cancel := context.WithTimeout(ctx, maxFetchTime)
	defer cancel()
	f.doc, f.err = p.load(ctx, url)
	p.mu.Lock()
	if f.err == nil {
		p.docs.put(url, f.doc)
	}
	delete(p.flights, url)
	p.mu.Unlock()
	close(f.done)
}

func (p *Processor) load(ctx context.Context, url string) (any, error) {
	data, err := p.loader.Load(ctx, url)
	if err != nil {
		if errors.Is(err, ErrContextNotAvailable) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrContextNotAvailable, url, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %s: not a JSON object: %v", ErrContextNotAvailable, url, err)
	}
	c, ok := doc["@context"]
	if !ok {
		return nil, fmt.Errorf("%w: %s: no @context member", ErrContextNotAvailable, url)
	}
	return c, nil
}
