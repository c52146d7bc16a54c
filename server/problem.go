package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// apiError is an error that knows its NGSI-LD problem type. Handlers build
// them with problemf; errors from the domain and the store are mapped by
// the table in problemFor.
type apiError struct {
	problem string // a spec.Problem* name
	status  int    // overrides the problem type's status when non-zero
	detail  string
	errs    []fieldError
	cause   error
}

// fieldError points at the part of a request that is wrong: a JSON
// pointer into the body, or a parameter name.
type fieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

func (e *apiError) Error() string { return e.problem + ": " + e.detail }
func (e *apiError) Unwrap() error { return e.cause }

func problemf(problem, format string, args ...any) *apiError {
	return &apiError{problem: problem, detail: fmt.Sprintf(format, args...)}
}

// sentinelProblems maps the sentinel errors of the domain, the store and
// the JSON-LD processor to problem types. The error's own text becomes the
// detail: these errors are written to be shown to the client.
var sentinelProblems = []struct {
	err     error
	problem string
	detail  string // replaces the error's text, which names the store's internals
}{
	{ngsild.ErrBadRequestData, spec.ProblemBadRequestData, ""},
	{ngsild.ErrInvalidRequest, spec.ProblemInvalidRequest, ""},
	{ngsild.ErrAttrNotFound, spec.ProblemResourceNotFound, ""},
	{store.ErrNotFound, spec.ProblemResourceNotFound, "the entity does not exist"},
	{store.ErrTenantNotFound, spec.ProblemNonexistentTenant, "the tenant does not exist"},
	{store.ErrInstanceNotFound, spec.ProblemResourceNotFound, "the attribute instance does not exist"},
	{store.ErrTooManyPeriods, spec.ProblemTooManyResults, "the aggregation has too many periods"},
	{jsonld.ErrContextNotAvailable, spec.ProblemLdContextNotAvailable, ""},
	{jsonld.ErrInvalidContext, spec.ProblemBadRequestData, ""},
}

// problemDetails is the RFC 9457 / NGSI-LD 5.5.3 error body. Errors is an
// OpenTID extension member listing each failed field.
type problemDetails struct {
	Type     string       `json:"type"`
	Title    string       `json:"title"`
	Status   int          `json:"status"`
	Detail   string       `json:"detail,omitempty"`
	Instance string       `json:"instance,omitempty"`
	Errors   []fieldError `json:"errors,omitempty"`
}

// problemFor turns any error into the problem to show. The boolean is true
// for server faults, whose text is logged and never shown.
func problemFor(err error) (problemDetails, bool) {
	name, detail, fields, status := spec.ProblemInternalError, "", []fieldError(nil), 0
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		name, detail, fields, status = ae.problem, ae.detail, ae.errs, ae.status
	default:
		for _, sp := range sentinelProblems {
			if errors.Is(err, sp.err) {
				name, detail = sp.problem, err.Error()
				if sp.detail != "" {
					detail = sp.detail
				}
				break
			}
		}
	}
	pt, ok := spec.Problem(name)
	if !ok {
		pt, _ = spec.Problem(spec.ProblemInternalError)
	}
	internal := pt.Status >= 500 && pt.Name != spec.ProblemLdContextNotAvailable
	if internal {
		detail = "the server failed to process the request; the failure is logged"
		fields = nil
	}
	if status == 0 {
		status = pt.Status
	}
	return problemDetails{Type: pt.URI, Title: pt.Title, Status: status, Detail: detail, Errors: fields}, internal
}

// writeProblem renders err as a ProblemDetails response (application/json,
// as NGSI-LD 5.5.3 requires).
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	p, internal := problemFor(err)
	if internal {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	} else {
		s.log.DebugContext(r.Context(), "request refused", "method", r.Method, "path", r.URL.Path, "status", p.Status, "detail", p.Detail)
	}
	p.Instance = r.URL.Path
	body, mErr := json.Marshal(p)
	if mErr != nil {
		body = []byte(`{"type":"https://uri.etsi.org/ngsi-ld/errors/InternalError","title":"Internal error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Del("Link")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n'))
}
