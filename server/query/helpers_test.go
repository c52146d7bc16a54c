package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
func str(s string) *Literal            { return &Literal{Kind: KindString, Str: s} }

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

// parseCase is a valid input of a parser and the tree it gives.
type parseCase[T any] struct {
	in   string
	want T
}

// errCase is an invalid input, the position and part of the message of
// its SyntaxError.
type errCase struct {
	in  string
	pos int
	msg string
}

// checkParser runs a parser on valid and invalid inputs.
func checkParser[T any](t *testing.T, param string, parse func(string) (T, error), ok []parseCase[T], bad []errCase) {
	t.Helper()
	for _, tt := range ok {
		got, err := parse(tt.in)
		if err != nil {
			t.Errorf("%s %q: %v", param, tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("%s %q (-want +got):\n%s", param, tt.in, d)
		}
	}
	for _, tt := range bad {
		_, err := parse(tt.in)
		wantSyntaxError(t, err, param, tt.pos, tt.msg)
	}
}

// checkRoundTrip parses s and, when it is valid, checks that the String
// form of the tree parses back to the same tree. It returns the tree.
func checkRoundTrip[T any](t *testing.T, s string, parse func(string) (T, error)) (T, bool) {
	t.Helper()
	x, err := parse(s)
	if err != nil {
		return x, false
	}
	str, ok := any(x).(interface{ String() string })
	if !ok {
		t.Fatalf("%T has no String method", x)
	}
	again, err := parse(str.String())
	if err != nil {
		t.Fatalf("%q: String() = %q does not parse: %v", s, str.String(), err)
	}
	if d := cmp.Diff(x, again); d != "" {
		t.Fatalf("round trip of %q through %q (-first +second):\n%s", s, str.String(), d)
	}
	return x, true
}
