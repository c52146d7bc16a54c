package query

import "fmt"

// SyntaxError reports a malformed request parameter: which parameter, the
// byte offset (counted from 0) in the parameter where the problem was
// found, and what is wrong.
type SyntaxError struct {
	Param string // "q", "type", "scopeQ", "georel", "geometry", "coordinates", "geoproperty", "orderBy"
	Pos   int
	Msg   string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s: position %d: %s", e.Param, e.Pos, e.Msg)
}

func syntaxErr(param string, pos int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Param: param, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// identity is the expansion used when a caller passes a nil expand
// function: names are kept as written.
func identity(s string) string { return s }

func orIdentity(expand func(string) string) func(string) string {
	if expand == nil {
		return identity
	}
	return expand
}
