package selftest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/spec"
)

const (
	pTemporal     = "/temporal/entities"
	pTemporalOne  = pTemporal + "/[^/]+"
	pTemporalAttr = pTemporalOne + "/attrs/[^/]+"
	pInstance     = pTemporalAttr + "/[^/]+"
)

// temporalMutants break the requirements of the temporal class, one each.
func temporalMutants() []mutant {
	tr := func(name string) spec.ReqID { return spec.ReqID("/req/temporal/" + name) }
	return []mutant{
		{"entity API changes after creation not recorded", tr("record-changes"), creationOnlyHistory()},
		{"temporal upsert answers 200", tr("upsert"), statusSwap(route(post, pTemporal), 201, 200)},
		{"deleting an entity deletes its history", tr("current-state"), deleteHistoryWithEntity},
		{"adding attributes to an unknown entity succeeds", tr("add-attrs"), statusSwap(route(post, pTemporalOne+"/attrs"), 404, 204)},
		{"temporal delete does nothing", tr("delete"), reply(route(del, pTemporalOne), 204, nil, "")},
		{"attribute history delete does nothing", tr("delete-attr"), reply(route(del, pTemporalAttr), 204, nil, "")},
		{"instance patch does nothing", tr("instance-patch"), reply(route(patch, pInstance), 204, nil, "")},
		{"instance delete does nothing", tr("instance-delete"), reply(route(del, pInstance), 204, nil, "")},
		{"instances without instanceId", tr("retrieve"), editJSON(route(get, pTemporalOne), func(v any) any {
			if e, ok := v.(map[string]any); ok {
				for _, a := range e {
					if list, ok := a.([]any); ok {
						for _, in := range list {
							if m, ok := in.(map[string]any); ok {
								delete(m, "instanceId")
							}
						}
					}
				}
			}
			return v
		})},
		{"between ignores endTimeAt", tr("timerel"), onRequest(and(route(get, "("+pTemporal+"|"+pTemporalOne+")"), hasQuery("timerel", "between")), func(r *http.Request) {
			q := r.URL.Query()
			q.Set("timerel", "after")
			q.Del("endTimeAt")
			r.URL.RawQuery = q.Encode()
		})},
		{"timeproperty ignored", tr("timeproperty"), dropQuery(route(get, pTemporalOne), "timeproperty", "")},
		{"lastN ignored", tr("last-n"), dropQuery(route(get, pTemporalOne), "lastN", "")},
		{"q ignored in temporal queries", tr("query"), dropQuery(route(get, pTemporal), "q", "")},
		{"temporalQ ignored", tr("query-post"), editBody(route(post, "/temporal/entityOperations/query"), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				delete(m, "temporalQ")
			}
			return v
		})},
		{"temporalValues ignored", tr("simplified"), dropQuery(route(get, pTemporalOne), "options", "temporalValues")},
		{"aggrPeriodDuration ignored", tr("aggregated"), dropQuery(route(get, pTemporalOne), "aggrPeriodDuration", "")},
		{"stddev is the sample deviation", tr("aggregated"), editJSON(route(get, pTemporalOne), func(v any) any {
			if e, ok := v.(map[string]any); ok {
				for _, a := range e {
					if m, ok := a.(map[string]any); ok {
						if list, ok := m["stddev"].([]any); ok && len(list) > 0 {
							if tr, ok := list[0].([]any); ok && len(tr) == 3 {
								if f, ok := tr[0].(float64); ok {
									tr[0] = f * 1.4142135623730951 // n/(n-1) with n = 2
								}
							}
						}
					}
				}
			}
			return v
		})},
		{"Content-Range missing", tr("pagination"), onResponse(route(get, "("+pTemporal+"|"+pTemporalOne+")"), func(_ *http.Request, c *captured) { c.header.Del("Content-Range") })},
		{"pages overlap", tr("pagination"), onRequest(and(route(get, pTemporalOne), hasQuery("timerel", "after")), func(r *http.Request) {
			q := r.URL.Query()
			if at := q.Get("timeAt"); strings.HasPrefix(at, "2024-06-01T00:00:00") {
				return
			}
			q.Set("timeAt", "2024-06-01T00:00:00Z")
			r.URL.RawQuery = q.Encode()
		})},
	}
}

var temporalEntityPath = regexp.MustCompile("^" + apiBase + pTemporal + "/([^/]+)$")

// creationOnlyHistory shows, for entities created through POST /entities,
// only the first instance of each attribute: as if changes made after the
// creation were not recorded.
func creationOnlyHistory() wrapper {
	var mu sync.Mutex
	created := map[string]bool{}
	return func(next http.Handler) http.Handler {
		keepFirst := editJSON(func(r *http.Request) bool {
			m := temporalEntityPath.FindStringSubmatch(r.URL.Path)
			mu.Lock()
			defer mu.Unlock()
			return r.Method == get && m != nil && created[m[1]]
		}, func(v any) any {
			if e, ok := v.(map[string]any); ok {
				for k, a := range e {
					if list, ok := a.([]any); ok && len(list) > 1 {
						e[k] = list[:1]
					}
				}
			}
			return v
		})(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if route(post, pEntities)(r) {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				if loc := rec.Header().Get("Location"); rec.Code == http.StatusCreated && loc != "" {
					mu.Lock()
					created[loc[strings.LastIndex(loc, "/")+1:]] = true
					mu.Unlock()
				}
				for k, vs := range rec.Header() {
					w.Header()[k] = vs
				}
				w.WriteHeader(rec.Code)
				_, _ = w.Write(rec.Body.Bytes())
				return
			}
			keepFirst.ServeHTTP(w, r)
		})
	}
}

// deleteHistoryWithEntity deletes the history of an entity deleted
// through the entity API.
func deleteHistoryWithEntity(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r)
		if route(del, pEntity)(r) {
			del := httptest.NewRequest(http.MethodDelete, strings.Replace(r.URL.Path, apiBase+"/entities/", apiBase+"/temporal/entities/", 1), nil)
			del.Header = r.Header.Clone()
			next.ServeHTTP(httptest.NewRecorder(), del)
		}
	})
}

// temporalCases are the cases of the temporal class.
func temporalCases() []conformance.Case { return classCases(spec.ClassTemporal) }

// TestTemporalMutants checks the temporal cases against the temporal
// mutants: each must be killed by a case that covers the requirement it
// breaks.
func TestTemporalMutants(t *testing.T) {
	ms := temporalMutants()
	killed := 0
	var mu sync.Mutex
	t.Run("each", func(t *testing.T) {
		for _, m := range ms {
			if _, ok := spec.RequirementByID(m.breaks); !ok {
				t.Errorf("mutant %q breaks unknown requirement %s", m.name, m.breaks)
			}
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				if expectKilled(t, runSuite(t, m.wrap(newReference(t)), temporalCases()), m.breaks) {
					mu.Lock()
					killed++
					mu.Unlock()
				}
			})
		}
	})
	fmt.Printf("temporal mutation score: %d/%d mutants killed by a case that covers the broken requirement\n", killed, len(ms))
}
