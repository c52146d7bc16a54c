package conformance

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/opentid/opentid/spec"
)

// contract checks responses against the OpenAPI document of the spec.
type contract struct {
	router routers.Router
}

func newContract() (*contract, error) {
	doc, err := spec.Load()
	if err != nil {
		return nil, err
	}
	// Paths are matched relative to the base URL, whatever the document's
	// servers say.
	doc.Servers = nil
	r, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("building the OpenAPI router: %w", err)
	}
	return &contract{router: r}, nil
}

// check validates one response to a request made on path (relative to
// the base URL, escaped) with method. It reports an undeclared status, an
// undeclared media type and a body or header that breaks the schema.
func (c *contract) check(ctx context.Context, method, path string, query url.Values, resp *Response) error {
	u := &url.URL{Scheme: "http", Host: "conformance.invalid", RawQuery: query.Encode()}
	p, err := url.PathUnescape(path)
	if err != nil {
		return fmt.Errorf("unescaping path %q: %w", path, err)
	}
	u.Path, u.RawPath = p, path
	req := &http.Request{Method: method, URL: u, Header: http.Header{}}
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s is not an operation of the OpenAPI document: %w", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status:  resp.Status,
		Header:  resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(resp.Body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return errors.New(describeValidation(err))
	}
	return nil
}

// describeValidation flattens kin-openapi's errors into one readable text.
func describeValidation(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		parts := make([]string, 0, len(me))
		for _, e := range me {
			parts = append(parts, describeValidation(e))
		}
		return strings.Join(parts, "; ")
	}
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) {
		msg := re.Reason
		if re.Err != nil {
			msg += ": " + describeValidation(re.Err)
		}
		return msg
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		ptr := "/" + strings.Join(se.JSONPointer(), "/")
		return fmt.Sprintf("at %s: %s", ptr, se.Reason)
	}
	return err.Error()
}
