package query

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func cmpTerm(attr string, op Op, v Value) *Comparison {
	return &Comparison{Path: Path{Attr: ns + attr}, Op: op, Value: v}
}

func TestParseQ(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want Expr
	}{
		{"temperature", &Comparison{Path: Path{Attr: ns + "temperature"}, Op: OpExists}},
		{"temperature>20", cmpTerm("temperature", OpGreater, Value{Single: num("20", 20)})},
		{"a==-1.5e3", cmpTerm("a", OpEqual, Value{Single: num("-1.5e3", -1500)})},
		{"a!=0", cmpTerm("a", OpUnequal, Value{Single: num("0", 0)})},
		{"a>=1", cmpTerm("a", OpGreaterEq, Value{Single: num("1", 1)})},
		{"a<1", cmpTerm("a", OpLess, Value{Single: num("1", 1)})},
		{"a<=1", cmpTerm("a", OpLessEq, Value{Single: num("1", 1)})},
		{"a==true", cmpTerm("a", OpEqual, Value{Single: &Literal{Kind: KindBool, Str: "true", Bool: true}})},
		{`a=="x;y|(z)\"q\\"`, cmpTerm("a", OpEqual, Value{Single: str(`x;y|(z)"q\`)})},
		{`a=="été 🌧"`, cmpTerm("a", OpEqual, Value{Single: str("été 🌧")})},
		{`a==""`, cmpTerm("a", OpEqual, Value{Single: str("")})},
		{`refDevice=="urn:ngsi-ld:Device:1"`, cmpTerm("refDevice", OpEqual, Value{Single: str("urn:ngsi-ld:Device:1")})},
		{"refDevice==urn:ngsi-ld:Device:1", cmpTerm("refDevice", OpEqual, Value{Single: str("urn:ngsi-ld:Device:1")})},
		{"a==2026-01-01T02:00:00+02:00", cmpTerm("a", OpEqual, Value{Single: &Literal{Kind: KindDateTime, Str: "2026-01-01T02:00:00+02:00", Time: day}})},
		{"a>2026-01-01T00:00:00.250Z", cmpTerm("a", OpGreater, Value{Single: &Literal{Kind: KindDateTime, Str: "2026-01-01T00:00:00.250Z", Time: day.Add(250 * time.Millisecond)}})},
		{"a<2026-01-01", cmpTerm("a", OpLess, Value{Single: &Literal{Kind: KindDateTime, Str: "2026-01-01", Time: day}})},
		{"a<12:00:00Z", cmpTerm("a", OpLess, Value{Single: &Literal{Kind: KindDateTime, Str: "12:00:00Z", Time: time.Date(0, 1, 1, 12, 0, 0, 0, time.UTC)}})},
		{`a=="2026-01-01"`, cmpTerm("a", OpEqual, Value{Single: str("2026-01-01")})},
		{"a==1,2,3", cmpTerm("a", OpEqual, Value{List: []Literal{*num("1", 1), *num("2", 2), *num("3", 3)}})},
		{`a!="x","y"`, cmpTerm("a", OpUnequal, Value{List: []Literal{*str("x"), *str("y")}})},
		{"status==free,occupied", cmpTerm("status", OpEqual, Value{List: []Literal{*str("free"), *str("occupied")}})},
		{"a==1..5", cmpTerm("a", OpEqual, Value{RangeLo: num("1", 1), RangeHi: num("5", 5)})},
		{"a==1.5..2.5", cmpTerm("a", OpEqual, Value{RangeLo: num("1.5", 1.5), RangeHi: num("2.5", 2.5)})},
		{`a!="a".."m"`, cmpTerm("a", OpUnequal, Value{RangeLo: str("a"), RangeHi: str("m")})},
		{"a==2026-01-01..2026-02-01T00:00:00Z", cmpTerm("a", OpEqual, Value{
			RangeLo: &Literal{Kind: KindDateTime, Str: "2026-01-01", Time: day},
			RangeHi: &Literal{Kind: KindDateTime, Str: "2026-02-01T00:00:00Z", Time: day.AddDate(0, 1, 0)}})},
		{"name~=^Bike.*", cmpTerm("name", OpMatch, Value{Single: str("^Bike.*")})},
		{"name~=^(x|y)[;|]$;b", &And{Terms: []Expr{cmpTerm("name", OpMatch, Value{Single: str("^(x|y)[;|]$")}), &Comparison{Path: Path{Attr: ns + "b"}}}}},
		{`name!~="\d+"`, cmpTerm("name", OpNotMatch, Value{Single: str(`\d+`)})},
		{"a;b|c", &Or{Terms: []Expr{&And{Terms: []Expr{&Comparison{Path: Path{Attr: ns + "a"}}, &Comparison{Path: Path{Attr: ns + "b"}}}}, &Comparison{Path: Path{Attr: ns + "c"}}}}},
		{"a;(b|c)", &And{Terms: []Expr{&Comparison{Path: Path{Attr: ns + "a"}}, &Or{Terms: []Expr{&Comparison{Path: Path{Attr: ns + "b"}}, &Comparison{Path: Path{Attr: ns + "c"}}}}}}},
		{"((a;b);c)", &And{Terms: []Expr{&Comparison{Path: Path{Attr: ns + "a"}}, &Comparison{Path: Path{Attr: ns + "b"}}, &Comparison{Path: Path{Attr: ns + "c"}}}}},
		{" a == 1 ; b ", &And{Terms: []Expr{cmpTerm("a", OpEqual, Value{Single: num("1", 1)}), &Comparison{Path: Path{Attr: ns + "b"}}}}},
		{"status==free|occupied", &Or{Terms: []Expr{cmpTerm("status", OpEqual, Value{Single: str("free")}), &Comparison{Path: Path{Attr: ns + "occupied"}}}}},
		{"a.b.c>1", &Comparison{Path: Path{Attr: ns + "a", Sub: []string{ns + "b", ns + "c"}}, Op: OpGreater, Value: Value{Single: num("1", 1)}}},
		{"location.observedAt>=2026-01-01T00:00:00Z", &Comparison{Path: Path{Attr: "https://uri.etsi.org/ngsi-ld/location", Member: "observedAt"}, Op: OpGreaterEq,
			Value: Value{Single: &Literal{Kind: KindDateTime, Str: "2026-01-01T00:00:00Z", Time: day}}}},
		{"a.b.unitCode==CEL", &Comparison{Path: Path{Attr: ns + "a", Sub: []string{ns + "b"}, Member: "unitCode"}, Op: OpEqual, Value: Value{Single: str("CEL")}}},
		{"observedAt", &Comparison{Path: Path{Attr: ns + "observedAt"}}},
		{"a[b.c]==1", &Comparison{Path: Path{Attr: ns + "a", JSON: []string{"b", "c"}}, Op: OpEqual, Value: Value{Single: num("1", 1)}}},
		{"a[b][c]==1", &Comparison{Path: Path{Attr: ns + "a", JSON: []string{"b", "c"}}, Op: OpEqual, Value: Value{Single: num("1", 1)}}},
		{"a.s[k]", &Comparison{Path: Path{Attr: ns + "a", Sub: []string{ns + "s"}, JSON: []string{"k"}}}},
		{"https://example.org/ns/temp.observedAt>2026-01-01", &Comparison{Path: Path{Attr: "https://example.org/ns/temp", Member: "observedAt"}, Op: OpGreater,
			Value: Value{Single: &Literal{Kind: KindDateTime, Str: "2026-01-01", Time: day}}}},
		{"https://a.org/x.https://a.org/y", &Comparison{Path: Path{Attr: "https://a.org/x", Sub: []string{"https://a.org/y"}}}},
		{"schema:name==x", &Comparison{Path: Path{Attr: "schema:name"}, Op: OpEqual, Value: Value{Single: str("x")}}},
		{"température>20", cmpTerm("température", OpGreater, Value{Single: num("20", 20)})},
	}
	for _, tt := range tests {
		got, err := ParseQ(tt.in, expandTest)
		if err != nil {
			t.Errorf("ParseQ(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseQ(%q) (-want +got):\n%s", tt.in, d)
		}
		// The canonical text reads back to the same tree.
		again, err := ParseQ(got.(interface{ String() string }).String(), nil)
		if err != nil {
			t.Errorf("ParseQ(%q).String() = %q does not parse: %v", tt.in, got, err)
		} else if d := cmp.Diff(got, again); d != "" {
			t.Errorf("round trip of %q through %q (-first +second):\n%s", tt.in, got, d)
		}
	}
}

func TestParseQErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "empty expression"},
		{"   ", 0, "empty expression"},
		{"(a==1", 0, "'(' is not closed"},
		{"a==1)", 4, "')' without a matching '('"},
		{"()", 1, "expected an attribute path"},
		{"a==", 3, `expected a value after "=="`},
		{"a==1;", 5, "expected an attribute path"},
		{"a=1", 1, `unknown operator "="`},
		{"a===1", 1, `unknown operator "==="`},
		{"a<>1", 1, `unknown operator "<>"`},
		{"a 1", 2, "unknown operator"},
		{"a==1 2", 5, "unexpected"},
		{"a==1,", 5, `expected a value after ","`},
		{"a==1..", 6, `expected a value after ".."`},
		{"a>1..5", 3, "a range goes only with == or !="},
		{"a>1,2", 3, "a list of values goes only with == or !="},
		{"a==1..x", 4, "bounds of a range"},
		{"a==1..2..3", 7, "range cannot be part"},
		{"a==1,2..3", 6, "range cannot be part of a list"},
		{"a>true", 2, "true and false"},
		{"a~=(", 3, "invalid regular expression"},
		{`a~="[x"`, 3, "invalid regular expression"},
		{`a=="abc`, 3, "unterminated string"},
		{"a==1e999", 3, "out of range"},
		{".a", 0, "expected an attribute name"},
		{"a.", 2, "expected an attribute name"},
		{"a[b", 3, "expected ']'"},
		{"a[]", 2, "expected a key"},
		{"a[b].c", 4, "sub-attribute cannot follow"},
		{"a.observedAt[x]", 12, "cannot follow the member"},
		{"!a", 0, "expected an attribute name"},
		{"a|", 2, "expected an attribute path"},
	}
	for _, tt := range tests {
		_, err := ParseQ(tt.in, expandTest)
		if err == nil {
			t.Errorf("ParseQ(%q): no error", tt.in)
			continue
		}
		wantSyntaxError(t, err, "q", tt.pos, tt.msg)
	}
	_, err := ParseQ("a==", nil)
	if got, want := err.Error(), `q: position 3: expected a value after "=="`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestParseQDepth(t *testing.T) {
	deep := ""
	for range maxDepth + 1 {
		deep += "("
	}
	if _, err := ParseQ(deep+"a", nil); err == nil {
		t.Error("no error for parentheses nested too deeply")
	}
}

func FuzzParseQ(f *testing.F) {
	for _, s := range []string{
		"a", "a>1;b<2|c==x", `a=="x\"y"`, "a==1..5", "a==1,2,3", "a~=^(x|y)$", "a.b.observedAt>=2026-01-01T00:00:00Z",
		"a[b.c]!=true", "(a|b);c", "https://example.org/x.y<=12:00:00Z", `a!~="\d"`, "a==2026-01-01..2026-02-01",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if e, ok := checkRoundTrip(t, s, func(s string) (Expr, error) { return ParseQ(s, nil) }); ok {
			MatchQ(sample(), e)
		}
	})
}

func BenchmarkParseQ(b *testing.B) {
	const q = `temperature>20;location.observedAt>=2026-01-01T00:00:00Z;(status=="free"|status==occupied,reserved);refDevice==urn:ngsi-ld:Device:1;a[b.c]==1..5`
	for b.Loop() {
		if _, err := ParseQ(q, expandTest); err != nil {
			b.Fatal(err)
		}
	}
}
