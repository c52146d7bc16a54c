package selftest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/schemas"
	"github.com/opentid/opentid/server"
	"github.com/opentid/opentid/spec"
)

// modelMutant is a mutant of the datamodels class: a wrapper, or a
// reference server configured or filled so that it breaks one requirement.
type modelMutant struct {
	mutant
	cfg server.Config
	// seed writes to the server before the suite runs.
	seed func(t *testing.T, h http.Handler)
}

// modelLinkURL is the unified @context of the models.
var modelLinkURL = schemas.ContextURL

// hasModelLink matches requests that name the unified @context.
func hasModelLink(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Link"), modelLinkURL)
}

func unchanged(next http.Handler) http.Handler { return next }

func datamodelMutants() []modelMutant {
	dm := func(name string) spec.ReqID { return spec.ReqID("/req/datamodels/" + name) }
	readModel := and(route(get, pEntity), hasModelLink)
	return []modelMutant{
		{mutant: mutant{"model value altered on read", dm("read-intact"), editJSON(readModel, eachAttr(func(a map[string]any) {
			if v, ok := a["value"].(float64); ok {
				a["value"] = v + 1
			}
		}))}},
		{mutant: mutant{"unitCode dropped on read", dm("read-intact"), editJSON(readModel, eachAttr(func(a map[string]any) { delete(a, "unitCode") }))}},
		{mutant: mutant{"valid model entities refused", dm("accept-valid"), reply(and(route(post, pEntities), hasModelLink), 400, problemHeader, problem("BadRequestData", 400))}},
		{mutant: mutant{"validation disabled", dm("validate-on-write"), unchanged}, cfg: server.Config{ValidateModels: server.ValidateNoTenant}},
		{mutant: mutant{"validation in another tenant only", dm("validate-on-write"), unchanged},
			cfg: server.Config{ValidateModels: server.ValidateListedTenants, ValidateTenants: []string{"elsewhere"}}},
		{mutant: mutant{"validation errors without pointers", dm("validation-errors"), onResponse(hasModelLink, func(_ *http.Request, c *captured) {
			if c.status != http.StatusBadRequest {
				return
			}
			var m map[string]any
			if json.Unmarshal(c.body, &m) == nil {
				delete(m, "errors")
				c.body, _ = json.Marshal(m)
			}
		})}},
		{mutant: mutant{"unified @context ignored", dm("context-terms"), onRequest(hasModelLink, func(r *http.Request) { r.Header.Del("Link") })}},
		{mutant: mutant{"reads ignore the unified @context", dm("context-terms"), onRequest(and(func(r *http.Request) bool { return r.Method == get }, hasModelLink),
			func(r *http.Request) { r.Header.Del("Link") })}},
		{mutant: mutant{"batch refused whole for one invalid item", dm("batch-item"), allOrNothingUpsert}},
		{mutant: mutant{"invalid entities in the data feed", dm("stored-valid"), unchanged}, cfg: server.Config{ValidateModels: server.ValidateNoTenant}, seed: seedInvalidModel},
	}
}

// allOrNothingUpsert undoes a batch upsert in which an item failed, and
// answers with the failure of that item.
func allOrNothingUpsert(next http.Handler) http.Handler {
	return onResponse(route(post, "/entityOperations/upsert"), func(r *http.Request, c *captured) {
		var res struct {
			Success []string `json:"success"`
			Errors  []struct {
				Error json.RawMessage `json:"error"`
			} `json:"errors"`
		}
		if c.status != http.StatusMultiStatus || json.Unmarshal(c.body, &res) != nil || len(res.Errors) == 0 {
			return
		}
		if len(res.Success) > 0 {
			body, _ := json.Marshal(res.Success)
			undo := httptest.NewRequest(http.MethodPost, apiBase+"/entityOperations/delete", bytes.NewReader(body))
			undo.Header = r.Header.Clone()
			undo.Header.Set("Content-Type", "application/json")
			next.ServeHTTP(httptest.NewRecorder(), undo)
		}
		c.status, c.body = http.StatusBadRequest, res.Errors[0].Error
		c.header.Set("Content-Type", "application/json")
	})(next)
}

// seedInvalidModel stores an invalid example entity, as a product that
// does not validate would.
func seedInvalidModel(t *testing.T, h http.Handler) {
	t.Helper()
	b, err := fs.ReadFile(schemas.Files(), "examples/AirQualityObserved/invalid-unit-missing-no2.json")
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, apiBase+"/entities", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Link", `<`+modelLinkURL+`>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated {
		t.Fatalf("seeding an invalid entity: %d %s", rec.Code, rec.Body)
	}
}

// classCases are the cases of one class.
func classCases(class string) []conformance.Case {
	var out []conformance.Case
	for _, c := range conformance.Cases() {
		if c.Class == class {
			out = append(out, c)
		}
	}
	return out
}

// expectKilled checks that a failed case covering the requirement a
// mutant breaks reports its failure.
func expectKilled(t *testing.T, res *conformance.Result, breaks spec.ReqID) bool {
	t.Helper()
	by := killedBy(res, breaks)
	if len(by) == 0 {
		t.Errorf("mutant survived: no failed case covers %s and reports its failure (result %s, %+v)", breaks, res.Status, res.Counts)
		return false
	}
	t.Logf("killed by %s", strings.Join(by, ", "))
	return true
}

// TestDatamodelsMutants checks the datamodels cases against their
// mutants: each must be killed by a case that covers the requirement it
// breaks.
func TestDatamodelsMutants(t *testing.T) {
	ms := datamodelMutants()
	covered := map[spec.ReqID]bool{}
	killed := 0
	var mu sync.Mutex
	t.Run("each", func(t *testing.T) {
		for _, m := range ms {
			if _, ok := spec.RequirementByID(m.breaks); !ok {
				t.Errorf("mutant %q breaks unknown requirement %s", m.name, m.breaks)
			}
			covered[m.breaks] = true
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				h := newReferenceWith(t, m.cfg)
				if m.seed != nil {
					m.seed(t, h)
				}
				if expectKilled(t, runSuite(t, m.wrap(h), classCases(spec.ClassDatamodels)), m.breaks) {
					mu.Lock()
					killed++
					mu.Unlock()
				}
			})
		}
	})
	for _, r := range spec.Requirements() {
		if r.Class == spec.ClassDatamodels && !covered[r.ID] {
			t.Errorf("no mutant breaks %s", r.ID)
		}
	}
	fmt.Printf("datamodels mutation score: %d/%d mutants killed by a case that covers the broken requirement\n", killed, len(ms))
}
