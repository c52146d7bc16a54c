package ngsild

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every failure returned by this package wraps one of them
// in an *Error whose message is a detail meant for the client.
var (
	// ErrBadRequestData: the JSON is well formed but its NGSI-LD content
	// is wrong (unknown attribute type, missing value, bad GeoJSON...).
	ErrBadRequestData = errors.New("bad request data")
	// ErrInvalidRequest: the request cannot be used at all (not an
	// object, null where a body is needed).
	ErrInvalidRequest = errors.New("invalid request")
	// ErrAttrNotFound: the target attribute, or its datasetId instance,
	// does not exist.
	ErrAttrNotFound = errors.New("attribute not found")
)

// Error is a failure of one of the sentinel kinds with a human-readable
// detail naming what is wrong. Error() returns the detail alone, so that it
// can be used as the ProblemDetails detail as is; errors.Is matches Kind.
type Error struct {
	Kind   error
	Detail string
}

func (e *Error) Error() string { return e.Detail }

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

func badData(format string, args ...any) error {
	return &Error{Kind: ErrBadRequestData, Detail: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) error {
	return &Error{Kind: ErrInvalidRequest, Detail: fmt.Sprintf(format, args...)}
}

func attrNotFound(name, datasetID string) error {
	if datasetID == "" {
		return &Error{Kind: ErrAttrNotFound, Detail: fmt.Sprintf("attribute %q has no default instance", name)}
	}
	return &Error{Kind: ErrAttrNotFound, Detail: fmt.Sprintf("attribute %q has no instance with datasetId %q", name, datasetID)}
}

// errorf builds a plain error, to be wrapped into an *Error with context.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// prefix adds the attribute path to the detail of err.
func prefix(path string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Kind: e.Kind, Detail: fmt.Sprintf("attribute %q: %s", path, e.Detail)}
	}
	return err
}

func quote(s string) string { return fmt.Sprintf("%q", s) }

// describe names the JSON kind of v for error details, with the value when
// it is short.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if len(t) > 80 {
			return "a long string"
		}
		return fmt.Sprintf("%q", t)
	case bool:
		return fmt.Sprintf("%v", t)
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return "a number"
	}
}
