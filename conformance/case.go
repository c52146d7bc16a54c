package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/opentid/opentid/spec"
)

// Case is one conformance case: data that says what it checks, and the
// function that checks it.
type Case struct {
	// ID is stable and path-style: /ats/<class>/<name>.
	ID    string
	Title string
	// Class is the conformance class the case belongs to; the case is
	// skipped when the product does not claim it.
	Class string
	// Since is the spec version the case applies from.
	Since string
	// Covers lists the requirements the case checks.
	Covers []spec.ReqID
	// Timeout bounds the whole case; zero means the run's default.
	Timeout time.Duration
	Run     func(t *T)
}

// ReqOpenAPI is the requirement every response is checked against.
const ReqOpenAPI spec.ReqID = "/req/core/openapi-responses"

// T is what a case uses to talk to the server and to report. Its methods
// are safe to call only from the case's goroutine.
type T struct {
	ctx    context.Context
	run    *runner
	c      *Case
	prefix string // run- and case-unique, usable in ids and terms

	// mu guards what follows: a case left behind after its timeout may
	// still be running while the runner reads its result.
	mu       sync.Mutex
	detached bool // the runner has taken the result; drop further writes
	res      CaseResult
	ids      []string
	wrote    map[string]bool // tenants written to
	status   Status          // set by an abort
}

func (t *T) locked(fn func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.detached {
		fn()
	}
}

// detach hands the result over to the runner.
func (t *T) detach() (res CaseResult, status Status, ids []string, tenants []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.detached = true
	for tn := range t.wrote {
		tenants = append(tenants, tn)
	}
	return t.res, t.status, t.ids, tenants
}

// abortCase unwinds a case after Fatalf, Skipf or Abortf.
type abortCase struct{}

// Context is cancelled when the case times out or the run is interrupted.
func (t *T) Context() context.Context { return t.ctx }

// Tenant is the tenant the run uses for everything that is not about
// tenancy ("" for the default tenant).
func (t *T) Tenant() string { return t.run.cfg.Tenant }

// EntityID returns an entity id unique to this run and case, and records
// it so that the entity is deleted when the case ends, whatever happens.
func (t *T) EntityID(name string) string {
	id := fmt.Sprintf("%s%s:%s", EntityIDPrefix, t.prefix, name)
	t.locked(func() { t.ids = append(t.ids, id) })
	return id
}

// EntityIDPrefix starts every entity id a run creates.
const EntityIDPrefix = "urn:ngsi-ld:OpenTIDConformance:"

// Name returns a term unique to this run and case, for entity types,
// attribute names and tenants: name followed by the unique suffix.
func (t *T) Name(name string) string {
	return name + strings.ReplaceAll(t.prefix, ":", "x")
}

// TenantName returns a tenant name unique to this run and case.
func (t *T) TenantName(name string) string {
	return strings.ToLower("otc" + strings.ReplaceAll(t.prefix, ":", "") + name)
}

// Do sends a request and returns the response. The exchange is kept in
// the transcript and the response is checked against the OpenAPI
// document. A transport failure ends the case with StatusError.
func (t *T) Do(req Request) *Response {
	resp, ex, err := t.run.client.do(t.ctx, &req)
	idx := -1
	t.locked(func() {
		t.res.Exchanges = append(t.res.Exchanges, ex)
		idx = len(t.res.Exchanges) - 1
	})
	if err != nil {
		switch {
		case t.run.interrupted():
			t.Abortf("run interrupted")
		case errors.Is(t.ctx.Err(), context.DeadlineExceeded):
			t.Abortf("no response to %s %s before the case's timeout", req.Method, req.Path)
		}
		t.Abortf("%s %s: %v", req.Method, req.Path, t.run.client.redact(err.Error()))
	}
	resp.Index = idx
	if err := t.run.contract.check(t.ctx, req.Method, req.Path, req.Query, resp); err != nil {
		t.fail(Failure{Requirement: ReqOpenAPI, Message: "the response does not match the OpenAPI document", Got: err.Error(), Exchange: idx})
	}
	if req.Method != http.MethodGet && (resp.Status < 300 || resp.Status == http.StatusMultiStatus) {
		tenant := req.Header.Get(HeaderTenant)
		if tenant == "" && !req.NoTenant {
			tenant = t.run.cfg.Tenant
		}
		t.locked(func() { t.wrote[tenant] = true })
	}
	return resp
}

func (t *T) lastExchange() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.res.Exchanges) - 1
}

func (t *T) fail(f Failure) { t.locked(func() { t.res.Failures = append(t.res.Failures, f) }) }

func (t *T) failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.res.Failures) > 0
}

// Errorf records a failure of requirement req about the last exchange and
// lets the case go on.
func (t *T) Errorf(req spec.ReqID, format string, args ...any) {
	t.fail(Failure{Requirement: req, Message: fmt.Sprintf(format, args...), Exchange: t.lastExchange()})
}

// Fatalf records a failure of requirement req and ends the case.
func (t *T) Fatalf(req spec.ReqID, format string, args ...any) {
	t.Errorf(req, format, args...)
	panic(abortCase{})
}

// Expect records a failure with what was expected and what came, about
// the last exchange, and reports whether ok held.
func (t *T) Expect(ok bool, req spec.ReqID, msg, expected, got string) bool {
	if !ok {
		t.fail(Failure{Requirement: req, Message: msg, Expected: expected, Got: got, Exchange: t.lastExchange()})
	}
	return ok
}

// Skipf ends the case with StatusSkip: a precondition is missing.
func (t *T) Skipf(format string, args ...any) {
	t.locked(func() { t.status, t.res.Message = StatusSkip, fmt.Sprintf(format, args...) })
	panic(abortCase{})
}

// Abortf ends the case with StatusError: the suite or the network failed.
func (t *T) Abortf(format string, args ...any) {
	t.locked(func() { t.status, t.res.Message = StatusError, fmt.Sprintf(format, args...) })
	panic(abortCase{})
}

// Stop ends the case when it has recorded failures, so that later steps
// do not run on a state that is already wrong.
func (t *T) Stop() {
	if t.failed() {
		panic(abortCase{})
	}
}

// ServeContext publishes a user @context holding terms at a URL the
// server can fetch, and returns the URL. The case is skipped when the
// suite has no address the server can reach.
func (t *T) ServeContext(name string, terms map[string]any) string {
	if t.run.contexts == nil {
		t.Skipf("precondition missing: the suite cannot serve @context documents to the server; set a callback URL")
	}
	return t.run.contexts.publish(t.prefix+"-"+name, terms)
}

// UnreachableContextURL is a context URL that no server can retrieve.
func (t *T) UnreachableContextURL() string {
	return "http://opentid-conformance.invalid/" + strings.ReplaceAll(t.prefix, ":", "-") + "/context.jsonld"
}
