package query

import (
	"errors"
	"strings"
	"testing"
)

const ns = "https://example.org/"

// expandTest expands compact terms into the test vocabulary, keeps IRIs
// and maps the core term location to its NGSI-LD IRI.
func expandTest(s string) string {
	switch {
	case s == "location":
		return "https://uri.etsi.org/ngsi-ld/location"
	case strings.Contains(s, ":"):
		return s
	}
	return ns + s
}

func num(s string, f float64) *Literal { return &Literal{Kind: KindNumber, Str: s, Num: f} }
func str(s string) *Literal           { return &Literal{Kind: KindString, Str: s} }

// wantSyntaxError checks that err is a *SyntaxError for param at pos whose
// message contains msg.
func wantSyntaxError(t *testing.T, err error, param string, pos int, msg string) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error = %v, want a *SyntaxError", err)
	}
	if se.Param != param || se.Pos != pos || !strings.Contains(se.Msg, msg) {
		t.Errorf("error = %v, want param %s, position %d, message containing %q", se, param, pos, msg)
	}
}
