package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/spec"
)

// mutant is a deliberately broken variant of the reference server: a
// wrapper that breaks exactly one requirement.
type mutant struct {
	name   string
	breaks spec.ReqID
	wrap   wrapper
}

const (
	get   = http.MethodGet
	post  = http.MethodPost
	patch = http.MethodPatch
	put   = http.MethodPut
	del   = http.MethodDelete
)

func mutants() []mutant {
	core := func(name string) spec.ReqID { return spec.ReqID("/req/core/" + name) }
	ten := func(name string) spec.ReqID { return spec.ReqID("/req/tenancy/" + name) }
	notJSONOrLD := func(r *http.Request) bool {
		a := r.Header.Get("Accept")
		return a != "" && !strings.Contains(a, "json") && !strings.Contains(a, "*/*")
	}
	return []mutant{
		// Entities.
		{"create answers 200", core("entity-create"), statusSwap(route(post, pEntities), 201, 200)},
		{"create without Location", core("entity-create"), onResponse(route(post, pEntities), func(_ *http.Request, c *captured) { c.header.Del("Location") })},
		{"retrieve drops unitCode", core("entity-retrieve"), editJSON(route(get, pEntity), eachAttr(func(a map[string]any) { delete(a, "unitCode") }))},
		{"404 instead of 409", core("entity-create-exists"), onResponse(route(post, pEntities), func(_ *http.Request, c *captured) {
			if c.status == 409 {
				c.status, c.body = 404, []byte(problem("ResourceNotFound", 404))
			}
		})},
		{"wrong error type for an existing entity", core("entity-create-exists"), onResponse(route(post, pEntities), func(_ *http.Request, c *captured) {
			c.body = bytes.ReplaceAll(c.body, []byte("errors/AlreadyExists"), []byte("errors/Conflict"))
		})},
		{"ids that are not URIs accepted", core("entity-id-uri"), editBody(route(post, pEntities), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if id, ok := m["id"].(string); ok && !strings.Contains(id, ":") {
					m["id"] = "urn:mutant:" + id
				}
			}
			return v
		})},
		{"wrong error type for a missing entity", core("entity-not-found"), onResponse(route("", pEntity+"(/attrs(/[^/]+)?)?"), func(_ *http.Request, c *captured) {
			c.body = bytes.ReplaceAll(c.body, []byte("errors/ResourceNotFound"), []byte("errors/NotFound"))
		})},
		{"replace merges", core("entity-replace"), onRequest(route(put, pEntity), func(r *http.Request) { r.Method = patch })},
		{"merge ignores urn:ngsi-ld:null", core("entity-merge"), editBody(route(patch, pEntity), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				for k, a := range m {
					if am, ok := a.(map[string]any); ok && am["value"] == "urn:ngsi-ld:null" {
						delete(m, k)
					}
				}
			}
			return v
		})},
		{"delete does nothing", core("entity-delete"), reply(route(del, pEntity), 204, nil, "")},

		// Attributes.
		{"append overwrites (append answers 200)", core("attrs-append"), statusSwap(route(post, pAttrs), 204, 200)},
		{"noOverwrite ignored", core("attrs-append-no-overwrite"), dropQuery(route(post, pAttrs), "options", "noOverwrite")},
		{"update answers 200", core("attrs-update"), statusSwap(route(patch, pAttrs), 204, 200)},
		{"missing attributes hidden", core("attrs-update-missing"), statusSwap(route(patch, pAttrs), 207, 204)},
		{"partial update replaces", core("attr-partial-update"), onRequest(route(patch, pAttr), func(r *http.Request) { r.Method = put })},
		{"attribute replace merges", core("attr-replace"), onRequest(route(put, pAttr), func(r *http.Request) { r.Method = patch })},
		{"attribute delete answers 200", core("attr-delete"), statusSwap(route(del, pAttr), 204, 200)},
		{"datasetId ignored", core("attr-delete-dataset"), dropQuery(route(del, pAttr), "datasetId", "")},
		{"deleteAll ignored", core("attr-delete-all"), dropQuery(route(del, pAttr), "deleteAll", "")},

		// Batch operations.
		{"batch create answers 200", core("batch-create"), statusSwap(route(post, "/entityOperations/create"), 201, 200)},
		{"batch stops at its first error", core("batch-every-item"), stopAtFirstError},
		{"batch result without errors", core("batch-result"), onResponse(route(post, "/entityOperations/create"), func(_ *http.Request, c *captured) {
			if c.status == 207 {
				var m map[string]any
				if json.Unmarshal(c.body, &m) == nil {
					m["errors"] = []any{}
					c.body, _ = json.Marshal(m)
				}
			}
		})},
		{"upsert answers 201 when nothing was created", core("batch-upsert"), onResponse(route(post, "/entityOperations/upsert"), func(_ *http.Request, c *captured) {
			if c.status == 204 {
				c.status, c.body = 201, []byte("[]")
				c.header.Set("Content-Type", "application/json")
			}
		})},
		{"batch update does nothing", core("batch-update"), reply(route(post, "/entityOperations/update"), 204, nil, "")},
		{"batch delete hides unknown ids", core("batch-delete"), statusSwap(route(post, "/entityOperations/delete"), 207, 204)},
		{"batch merge replaces", core("batch-merge"), onRequest(route(post, "/entityOperations/merge"), func(r *http.Request) {
			r.URL.Path = apiBase + "/entityOperations/upsert"
		})},

		// Representations.
		{"normalized Relationship without type", core("repr-normalized"), editJSON(and(route(get, pEntity), func(r *http.Request) bool { return r.URL.RawQuery == "" }),
			eachAttr(func(a map[string]any) {
				if a["type"] == "Relationship" {
					delete(a, "type")
				}
			}))},
		{"concise ignored", core("repr-concise"), dropQuery(route(get, pEntity), "options", "concise")},
		{"keyValues keeps attribute types", core("repr-keyvalues"), dropQuery(route(get, "(/entities|"+pEntity+")"), "options", "keyValues")},
		{"format=simplified ignored", core("repr-format-simplified"), dropQuery(route(get, "(/entities|"+pEntity+")"), "format", "")},
		{"sysAttrs ignored", core("repr-sysattrs"), dropQuery(route(get, pEntity), "options", "sysAttrs")},

		// @context.
		{"Link header ignored on writes", core("context-link"), onRequest(func(r *http.Request) bool { return r.Method != get }, func(r *http.Request) { r.Header.Del("Link") })},
		{"@context member ignored", core("context-member"), editBody(and(route(post, pEntities), contentType("application/ld+json")), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				m["@context"] = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
			}
			return v
		})},
		{"ld+json without @context accepted", core("context-ldjson-without-context"), editBody(contentType("application/ld+json"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if _, has := m["@context"]; !has {
					m["@context"] = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
				}
			}
			return v
		})},
		{"Link header with ld+json accepted", core("context-link-with-ldjson"), onRequest(contentType("application/ld+json"), func(r *http.Request) { r.Header.Del("Link") })},
		{"user context overrides a core term", core("context-core-precedence"), editBody(contentType("application/ld+json"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if ctx, ok := m["@context"].(map[string]any); ok {
					if iri, ok := ctx["location"].(string); ok && m["location"] != nil {
						m[iri] = m["location"]
						delete(m, "location")
					}
				}
			}
			return v
		})},
		{"responses not compacted", core("context-compaction"), onRequest(and(func(r *http.Request) bool { return r.Method == get }, hasHeader("Link")), func(r *http.Request) { r.Header.Del("Link") })},
		{"responses without their context", core("context-response"), onResponse(route(get, "(/entities|"+pEntity+")"), func(_ *http.Request, c *captured) { c.header.Del("Link") })},
		{"unavailable context answers 503", core("context-unavailable"), statusSwap(func(*http.Request) bool { return true }, 504, 503)},

		// Discovery.
		{"types list empty", core("types-list"), editJSON(route(get, "/types"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				m["typeList"] = []any{}
			}
			return v
		})},
		{"type entity count off by one", core("type-info"), editJSON(route(get, "/types/[^/]+"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if n, ok := m["entityCount"].(float64); ok {
					m["entityCount"] = n + 1
				}
			}
			return v
		})},
		{"attributes list empty", core("attributes-list"), editJSON(route(get, "/attributes"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				m["attributeList"] = []any{}
			}
			return v
		})},
		{"attribute info without typeNames", core("attribute-info"), editJSON(route(get, "/attributes/[^/]+"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				m["typeNames"] = []any{}
			}
			return v
		})},
		{"typeList of the wrong shape", conformance.ReqOpenAPI, editJSON(route(get, "/types"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if l, ok := m["typeList"].([]any); ok {
					m["typeList"] = append(l, 42)
				}
			}
			return v
		})},

		// Queries.
		{"type filter ignored", core("query-type"), onRequest(and(route(get, pEntities), hasQuery("type", "")), func(r *http.Request) {
			q := r.URL.Query()
			q.Del("type")
			q.Set("attrs", "level")
			r.URL.RawQuery = q.Encode()
		})},
		{"id filter ignored", core("query-id"), dropQuery(route(get, pEntities), "id", "")},
		{"idPattern ignored", core("query-id-pattern"), dropQuery(route(get, pEntities), "idPattern", "")},
		{"attrs ignored", core("query-attrs"), dropQuery(route(get, pEntities), "attrs", "")},
		{"offset ignored", core("query-pagination"), dropQuery(route(get, pEntities), "offset", "")},
		{"NGSILD-Results-Count missing", core("query-count"), onResponse(route(get, pEntities), func(_ *http.Request, c *captured) { c.header.Del("NGSILD-Results-Count") })},

		// Errors and content negotiation.
		{"problem details as text", core("problem-details"), onResponse(func(*http.Request) bool { return true }, func(_ *http.Request, c *captured) {
			if c.status >= 400 {
				c.header.Set("Content-Type", "text/plain")
			}
		})},
		{"AlreadyExists with status 400", core("error-status"), statusSwap(route(post, pEntities), 409, 400)},
		{"invalid JSON is a 500", core("invalid-json"), invalidJSONIs500},
		{"unknown parameters ignored", core("unknown-parameter"), onRequest(func(*http.Request) bool { return true }, func(r *http.Request) {
			q := r.URL.Query()
			for k := range q {
				if !slices.Contains(knownParams, k) {
					q.Del(k)
				}
			}
			r.URL.RawQuery = q.Encode()
		})},
		{"any Content-Type accepted", core("unsupported-media-type"), onRequest(func(r *http.Request) bool {
			ct := r.Header.Get("Content-Type")
			return ct != "" && !strings.Contains(ct, "json")
		}, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })},
		{"Accept ignored", core("not-acceptable"), onRequest(notJSONOrLD, func(r *http.Request) { r.Header.Set("Accept", "application/json") })},
		{"oversized bodies crash", core("no-5xx-on-bad-input"), reply(func(r *http.Request) bool { return r.ContentLength > 1<<20 }, 500, problemHeader, problem("InternalError", 500))},

		// Tenancy.
		{"tenant header ignored", ten("isolation"), onRequest(hasHeader("NGSILD-Tenant"), func(r *http.Request) { r.Header.Del("NGSILD-Tenant") })},
		{"first write to a tenant lost", ten("implicit-creation"), dropFirstWritePerTenant()},
		{"unknown tenant reads as not found", ten("nonexistent-tenant"), onResponse(hasHeader("NGSILD-Tenant"), func(_ *http.Request, c *captured) {
			c.body = bytes.ReplaceAll(c.body, []byte("errors/NonexistentTenant"), []byte("errors/ResourceNotFound"))
		})},
		{"default tenant missing", ten("default-tenant"), reply(and(route(get, "(/entities|/types)"), func(r *http.Request) bool { return r.Header.Get("NGSILD-Tenant") == "" }),
			404, problemHeader, problem("NonexistentTenant", 404))},
	}
}

// knownParams are the query parameters of the core operations.
var knownParams = []string{"type", "id", "idPattern", "attrs", "limit", "offset", "count", "options", "format", "datasetId", "deleteAll", "details"}

// stopAtFirstError sends the items of a batch create one by one and stops
// at the first that fails.
func stopAtFirstError(next http.Handler) http.Handler {
	m := route(post, "/entityOperations/create")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m(r) {
			next.ServeHTTP(w, r)
			return
		}
		var items []json.RawMessage
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &items) != nil {
			r.Body = io.NopCloser(bytes.NewReader(b))
			next.ServeHTTP(w, r)
			return
		}
		success, errs := []any{}, []any{}
		for _, it := range items {
			one := r.Clone(r.Context())
			body := append(append([]byte("["), it...), ']')
			one.Body, one.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, one)
			if rec.Code == http.StatusCreated {
				var ids []any
				_ = json.Unmarshal(rec.Body.Bytes(), &ids)
				success = append(success, ids...)
				continue
			}
			var res map[string]any
			_ = json.Unmarshal(rec.Body.Bytes(), &res)
			if e, ok := res["errors"].([]any); ok {
				errs = append(errs, e...)
			}
			break
		}
		w.Header().Set("Content-Type", "application/json")
		if len(errs) == 0 {
			w.WriteHeader(http.StatusCreated)
			_ = json.NewEncoder(w).Encode(success)
			return
		}
		w.WriteHeader(http.StatusMultiStatus)
		_ = json.NewEncoder(w).Encode(map[string]any{"success": success, "errors": errs})
	})
}

// invalidJSONIs500 answers bodies that are not JSON with a 500.
func invalidJSONIs500(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && strings.Contains(r.Header.Get("Content-Type"), "json") {
			b, _ := io.ReadAll(r.Body)
			if len(b) > 0 && !json.Valid(b) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, problem("InternalError", 500))
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		next.ServeHTTP(w, r)
	})
}

// dropFirstWritePerTenant acknowledges the first entity creation in each
// named tenant without performing it.
func dropFirstWritePerTenant() wrapper {
	var mu sync.Mutex
	seen := map[string]bool{}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tenant := r.Header.Get("NGSILD-Tenant")
			if tenant != "" && route(post, pEntities)(r) {
				mu.Lock()
				first := !seen[tenant]
				seen[tenant] = true
				mu.Unlock()
				if first {
					w.Header().Set("Location", apiBase+"/entities/dropped")
					w.WriteHeader(http.StatusCreated)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// killedBy returns the failed cases that cover req and report a failure
// of req itself.
func killedBy(res *conformance.Result, req spec.ReqID) []string {
	var ids []string
	for _, c := range res.Cases {
		if c.Status == conformance.StatusFail && slices.Contains(c.Covers, req) &&
			slices.ContainsFunc(c.Failures, func(f conformance.Failure) bool { return f.Requirement == req }) {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// casesCovering returns the cases of the suite that cover req.
func casesCovering(req spec.ReqID) []conformance.Case {
	var out []conformance.Case
	for _, c := range conformance.Cases() {
		if slices.Contains(c.Covers, req) {
			out = append(out, c)
		}
	}
	return out
}

func TestMutants(t *testing.T) {
	ms := slices.Concat(mutants(), queryMutants(), subscriptionMutants())
	if len(ms) < 30 {
		t.Errorf("only %d mutants; the suite is checked against at least 30", len(ms))
	}
	names := map[string]bool{}
	var mu sync.Mutex
	killed := 0
	t.Run("each", func(t *testing.T) {
		for _, m := range ms {
			if names[m.name] {
				t.Errorf("mutant %q declared twice", m.name)
			}
			names[m.name] = true
			if _, ok := spec.RequirementByID(m.breaks); !ok {
				t.Errorf("mutant %q breaks unknown requirement %s", m.name, m.breaks)
			}
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				// Only a case that covers the broken requirement can kill
				// the mutant: run those.
				if expectKilled(t, runSuite(t, m.wrap(newReference(t)), casesCovering(m.breaks)), m.breaks) {
					mu.Lock()
					killed++
					mu.Unlock()
				}
			})
		}
	})
	score := fmt.Sprintf("mutation score: %d/%d mutants killed by a case that covers the broken requirement", killed, len(ms))
	t.Log(score)
	fmt.Println(score)
}
