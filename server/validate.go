package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/opentid/opentid/spec"
)

// validator checks every request against spec/openapi.yaml before a
// handler sees it. It is the only file of the server that imports
// kin-openapi's filter and router.
type validator struct {
	doc    *openapi3.T
	router routers.Router
}

func newValidator() (*validator, error) {
	doc, err := spec.Load()
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route the OpenAPI document: %w", err)
	}
	return &validator{doc: doc, router: router}, nil
}

// middleware validates the request: media types (415, 406), unknown query
// parameters, then parameters and body against the document (400). Paths
// the document does not know are left to the router (404 or 405).
func (s *Server) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, pathParams, err := s.validator.router.FindRoute(r)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		decoded, err := s.validator.check(r, route, pathParams)
		if err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if decoded != nil {
			// The handler takes the body decoded here instead of decoding
			// it again (decodeBody).
			r = r.WithContext(context.WithValue(r.Context(), decodedBodyKey{}, &decodedBody{v: decoded}))
		}
		next.ServeHTTP(w, r)
	})
}

// check validates the request and returns its JSON body decoded as
// decodeBody does, nil when it has none.
func (v *validator) check(r *http.Request, route *routers.Route, pathParams map[string]string) (any, error) {
	op := route.Operation
	if err := checkContentType(r, op); err != nil {
		return nil, err
	}
	if err := checkAccept(r, op); err != nil {
		return nil, err
	}
	if err := checkQueryNames(r, route); err != nil {
		return nil, err
	}
	// Read the body once: kin-openapi consumes it, the handler takes it
	// decoded (or reads it again when it is not decoded here).
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		data, err := readBody(r)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return nil, problemf(spec.ProblemBadRequestData, "request body larger than %d bytes", tooBig.Limit)
			}
			return nil, problemf(spec.ProblemInvalidRequest, "cannot read the request body: %v", err)
		}
		body = data
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	var decoded any
	if op.RequestBody != nil && len(bytes.TrimSpace(body)) > 0 {
		// Not JSON is an InvalidRequest, told apart from a schema failure.
		val, err := decodeBody(&http.Request{Body: io.NopCloser(bytes.NewReader(body))})
		if err != nil {
			return nil, err
		}
		decoded = val
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	input := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:          true,
			AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
			SkipSettingDefaults: true,
			// A decoded body is validated below, without decoding it again.
			ExcludeRequestBody: decoded != nil,
		},
	}
	err := openapi3filter.ValidateRequest(r.Context(), input)
	if decoded != nil {
		if berr := validateDecodedBody(input, decoded); berr != nil {
			var multi openapi3.MultiError
			if err != nil && !errors.As(err, &multi) {
				multi = openapi3.MultiError{err}
			}
			err = append(multi, berr)
		}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return nil, requestProblem(err)
	}
	return decoded, nil
}

// validateDecodedBody validates a body decoded by decodeBody against the
// schema of its media type, as openapi3filter.ValidateRequestBody does
// with a body it decodes itself (same decoding: encoding/json with
// UseNumber), and reports a failure with the same error type.
func validateDecodedBody(input *openapi3filter.RequestValidationInput, decoded any) error {
	rb := input.Route.Operation.RequestBody.Value
	ct := rb.Content.Get(input.Request.Header.Get("Content-Type"))
	if ct == nil || ct.Schema == nil || ct.Schema.Value == nil {
		return nil // checkContentType refused the others
	}
	err := ct.Schema.Value.VisitJSON(decoded, openapi3.VisitAsRequest(), openapi3.MultiErrors())
	if err == nil {
		return nil
	}
	return &openapi3filter.RequestError{Input: input, RequestBody: rb, Reason: "doesn't match schema", Err: err}
}

// readBody reads r's body whole. Its first buffer holds the length the
// request announces, up to bodyPrealloc: a batch is read without growing
// its buffer again and again, and an announced length that no data
// follows costs little.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength <= 0 {
		return io.ReadAll(r.Body)
	}
	data := make([]byte, 0, min(r.ContentLength, bodyPrealloc)+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Body.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return data, err
		}
	}
}

// bodyPrealloc bounds the first buffer of readBody.
const bodyPrealloc = 1 << 20

// decodedBodyKey is the context key of the body the validator decoded.
type decodedBodyKey struct{}

// decodedBody holds a decoded body until the handler takes it, once.
type decodedBody struct{ v any }

// checkContentType refuses a body whose media type the operation does not
// take (415).
func checkContentType(r *http.Request, op *openapi3.Operation) error {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil
	}
	raw := r.Header.Get("Content-Type")
	mt := mediaType(raw)
	if _, ok := op.RequestBody.Value.Content[mt]; ok {
		return nil
	}
	offered := make([]string, 0, len(op.RequestBody.Value.Content))
	for t := range op.RequestBody.Value.Content {
		offered = append(offered, t)
	}
	sort.Strings(offered)
	if raw == "" {
		return problemf(spec.ProblemUnsupportedMediaType, "missing Content-Type; this operation takes %s", strings.Join(offered, ", "))
	}
	return problemf(spec.ProblemUnsupportedMediaType, "Content-Type %q is not supported here; this operation takes %s", raw, strings.Join(offered, ", "))
}

// checkAccept refuses a request whose Accept header admits none of the
// media types of the operation's success responses (406).
func checkAccept(r *http.Request, op *openapi3.Operation) error {
	accept := r.Header.Get("Accept")
	if strings.TrimSpace(accept) == "" || op.Responses == nil {
		return nil
	}
	var offered []string
	for code, resp := range op.Responses.Map() {
		if !strings.HasPrefix(code, "2") || resp.Value == nil {
			continue
		}
		for t := range resp.Value.Content {
			if !slices.Contains(offered, t) {
				offered = append(offered, t)
			}
		}
	}
	if len(offered) == 0 {
		return nil // no body on success: any Accept will do
	}
	sort.Strings(offered)
	if negotiate(accept, offered) == "" {
		return problemf(spec.ProblemNotAcceptable, "none of the media types in Accept %q is available; this operation answers with %s", accept, strings.Join(offered, ", "))
	}
	return nil
}

// checkQueryNames refuses query parameters the operation does not declare:
// a misspelt parameter silently ignored would give a wrong answer.
func checkQueryNames(r *http.Request, route *routers.Route) error {
	declared := map[string]bool{}
	for _, params := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range params {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				declared[p.Value.Name] = true
			}
		}
	}
	var unknown []string
	for name := range r.URL.Query() {
		if !declared[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	e := problemf(spec.ProblemBadRequestData, "unknown query parameter %q", unknown[0])
	for _, name := range unknown {
		e.errs = append(e.errs, fieldError{Parameter: name, Detail: "not a parameter of this operation"})
	}
	return e
}

// requestProblem turns kin-openapi's validation errors into one
// BadRequestData problem naming each parameter or body field.
func requestProblem(err error) error {
	var errs []error
	var multi openapi3.MultiError
	if errors.As(err, &multi) {
		errs = multi
	} else {
		errs = []error{err}
	}
	e := &apiError{problem: spec.ProblemBadRequestData, cause: err}
	for _, one := range errs {
		e.errs = append(e.errs, describeRequestError(one)...)
	}
	if len(e.errs) == 0 {
		e.detail = err.Error()
		return e
	}
	first := e.errs[0]
	switch {
	case first.Parameter != "":
		e.detail = fmt.Sprintf("parameter %q: %s", first.Parameter, first.Detail)
	case first.Pointer != "":
		e.detail = fmt.Sprintf("request body at %s: %s", first.Pointer, first.Detail)
	default:
		e.detail = first.Detail
	}
	if n := len(e.errs); n > 1 {
		e.detail += fmt.Sprintf(" (and %d more problems, listed in errors)", n-1)
	}
	return e
}

func describeRequestError(err error) []fieldError {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return []fieldError{{Detail: err.Error()}}
	}
	var inner []error
	var multi openapi3.MultiError
	if errors.As(re.Err, &multi) {
		inner = multi
	} else {
		inner = []error{re.Err}
	}
	var out []fieldError
	for _, ie := range inner {
		fe := fieldError{Detail: re.Reason}
		var se *openapi3.SchemaError
		if errors.As(ie, &se) {
			fe.Detail = se.Reason
			if ptr := se.JSONPointer(); len(ptr) > 0 {
				fe.Pointer = "/" + strings.Join(escapePointer(ptr), "/")
			}
		} else if ie != nil && fe.Detail == "" {
			fe.Detail = ie.Error()
		}
		if re.Parameter != nil {
			fe.Parameter = re.Parameter.Name
			fe.Pointer = ""
		} else if fe.Pointer == "" && re.RequestBody != nil {
			fe.Pointer = "/"
		}
		if fe.Detail == "" {
			fe.Detail = "invalid"
		}
		out = append(out, fe)
	}
	return out
}

func escapePointer(parts []string) []string {
	out := make([]string, len(parts))
	for i, p := range parts {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
	}
	return out
}
