package client

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Response is what every generated *Response type of ClientWithResponses
// offers: the status and the raw body.
type Response interface {
	StatusCode() int
	GetBody() []byte
}

// Error is a call that got a status other than the ones expected. Problem
// is the ProblemDetails of the body, or nil when the body is not one.
type Error struct {
	StatusCode int
	Problem    *ProblemDetails
	Body       []byte
}

// Error describes the status and, when there is one, the problem.
func (e *Error) Error() string {
	if e.Problem == nil {
		return fmt.Sprintf("ngsi-ld: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	msg := fmt.Sprintf("ngsi-ld: %d %s", e.StatusCode, e.Problem.Type)
	if e.Problem.Detail != nil {
		msg += ": " + *e.Problem.Detail
	}
	return msg
}

// Type returns the last segment of the problem type URI, such as
// "ResourceNotFound" or "BadRequestData", or "" without a problem.
func (e *Error) Type() string {
	if e.Problem == nil {
		return ""
	}
	return e.Problem.Type[strings.LastIndex(e.Problem.Type, "/")+1:]
}

// Check returns err when the call failed, nil when the status of r is one
// of want, and otherwise an *Error carrying the ProblemDetails of the body:
//
//	resp, err := c.DeleteEntityWithResponse(ctx, id, nil)
//	if err := client.Check(resp, err, http.StatusNoContent); err != nil {
//		return err
//	}
func Check(r Response, err error, want ...int) error {
	if err != nil {
		return err
	}
	if slices.Contains(want, r.StatusCode()) {
		return nil
	}
	e := &Error{StatusCode: r.StatusCode(), Body: r.GetBody()}
	var p ProblemDetails
	if json.Unmarshal(e.Body, &p) == nil && p.Type != "" {
		e.Problem = &p
	}
	return e
}
