package query

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server/ngsild"
)

// MatchQ reports whether e satisfies the q expression x; a nil x matches
// every entity. It is the reference semantics that every store is tested
// against:
//
//   - A comparison on a path that does not resolve is false, whatever the
//     operator (!= and !~= included: the attribute must exist).
//   - Instances: an attribute with several instances (datasetId) matches
//     when one instance matches. Sub-attributes, members and JSON keys are
//     looked up in that instance.
//   - The compared value is the value of a Property (a JSON-LD value
//     object {"@value": v} counts as v), the object of a Relationship, the
//     languageMap of a LanguageProperty, the list of a ListProperty or
//     ListRelationship, the vocab of a VocabProperty, the geometry of a
//     GeoProperty. JSON keys (a[b.c]) index into objects (and into arrays
//     with a decimal index).
//   - Candidates: when the value is an array, each element is a candidate;
//     for a LanguageProperty, each language's string. ==, >, >=, <, <= and
//     ~= hold when one candidate satisfies them; != and !~= hold when the
//     path resolves and no candidate satisfies == (resp. ~=). So on a list
//     [1, 2], a==1 and a!=3 hold, a!=1 does not.
//   - Types: numbers compare with numbers (any Go numeric type or
//     json.Number), strings with strings (byte-wise, so by code point for
//     UTF-8), booleans with booleans. A date-time literal compares, as an
//     instant, with string values that parse as a date-time or a date (a
//     date is its midnight UTC), and a time literal with string values
//     that parse as a time; a quoted literal that looks like a date
//     compares as a string. A value of another type never satisfies ==,
//     ordering comparisons or a range (and so satisfies !=): the number 5
//     is not equal to "5". ~= holds only on strings.
//   - Members: observedAt, createdAt and modifiedAt compare as instants
//     (with date-time literals, or quoted strings that parse as one);
//     unitCode and datasetId as strings. An empty member (no observedAt,
//     the default instance's datasetId) does not resolve.
//   - Lists of literals hold when one literal holds; ranges are inclusive.
func MatchQ(e *ngsild.Entity, x Expr) bool {
	if x == nil {
		return true
	}
	if e == nil {
		return false
	}
	switch n := x.(type) {
	case *And:
		for _, t := range n.Terms {
			if !MatchQ(e, t) {
				return false
			}
		}
		return true
	case *Or:
		for _, t := range n.Terms {
			if MatchQ(e, t) {
				return true
			}
		}
		return false
	case *Comparison:
		return matchComparison(e, n)
	}
	return false
}

func matchComparison(e *ngsild.Entity, c *Comparison) bool {
	var re *regexp.Regexp
	if c.Op == OpMatch || c.Op == OpNotMatch {
		if c.Value.Single == nil {
			return false
		}
		var err error
		if re, err = regexp.Compile(c.Value.Single.Str); err != nil {
			return false
		}
	}
	for _, a := range e.Attrs[c.Path.Attr] {
		v, ok := resolve(a, c.Path)
		if !ok {
			continue
		}
		if c.Op == OpExists {
			return true
		}
		cands := candidates(a, c.Path, v)
		var hit bool
		switch c.Op {
		case OpMatch:
			hit = anyMatch(cands, re)
		case OpNotMatch:
			hit = !anyMatch(cands, re)
		case OpUnequal:
			hit = !anyHolds(cands, OpEqual, c.Value)
		default:
			hit = anyHolds(cands, c.Op, c.Value)
		}
		if hit {
			return true
		}
	}
	return false
}

func anyMatch(cands []any, re *regexp.Regexp) bool {
	for _, v := range cands {
		if s, ok := v.(string); ok && re.MatchString(s) {
			return true
		}
	}
	return false
}

func anyHolds(cands []any, op Op, val Value) bool {
	for _, v := range cands {
		if holds(v, op, val) {
			return true
		}
	}
	return false
}

// holds applies ==, >, >=, < or <= with a value, a list or a range.
func holds(v any, op Op, val Value) bool {
	switch {
	case val.RangeLo != nil && val.RangeHi != nil:
		lo, ok1 := compareLiteral(v, *val.RangeLo)
		hi, ok2 := compareLiteral(v, *val.RangeHi)
		return ok1 && ok2 && lo >= 0 && hi <= 0
	case len(val.List) > 0:
		for _, l := range val.List {
			if n, ok := compareLiteral(v, l); ok && n == 0 {
				return true
			}
		}
		return false
	case val.Single != nil:
		n, ok := compareLiteral(v, *val.Single)
		if !ok {
			return false
		}
		switch op {
		case OpEqual:
			return n == 0
		case OpGreater:
			return n > 0
		case OpGreaterEq:
			return n >= 0
		case OpLess:
			return n < 0
		case OpLessEq:
			return n <= 0
		}
	}
	return false
}

// compareLiteral compares a value with a literal: -1, 0 or +1 and true
// when their types compare, false otherwise.
func compareLiteral(v any, l Literal) (int, bool) {
	switch l.Kind {
	case KindNumber:
		f, ok := toNumber(v)
		return cmpFloat(f, l.Num), ok
	case KindBool:
		b, ok := v.(bool)
		return cmpBool(b, l.Bool), ok
	case KindString:
		switch x := v.(type) {
		case string:
			return strings.Compare(x, l.Str), true
		case time.Time:
			if t, form, ok := parseTemporal(l.Str); ok && form != formTime {
				return x.Compare(t), true
			}
		}
	case KindDateTime:
		form := formDateTime
		if l.Str != "" {
			_, form, _ = parseTemporal(l.Str)
		}
		switch x := v.(type) {
		case time.Time:
			return x.Compare(l.Time), form != formTime
		case string:
			t, f, ok := parseTemporal(x)
			return t.Compare(l.Time), ok && temporalCompatible(f, form)
		}
	}
	return 0, false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

// resolve follows a path in one attribute instance.
func resolve(a *ngsild.Attribute, p Path) (any, bool) {
	for _, s := range p.Sub {
		if a == nil {
			return nil, false
		}
		a = a.Sub[s]
	}
	if a == nil {
		return nil, false
	}
	switch p.Member {
	case "":
	case "observedAt":
		t, form, ok := parseTemporal(a.ObservedAt)
		return t, ok && form == formDateTime
	case "createdAt":
		return a.CreatedAt, !a.CreatedAt.IsZero()
	case "modifiedAt":
		return a.ModifiedAt, !a.ModifiedAt.IsZero()
	case "unitCode":
		return a.UnitCode, a.UnitCode != ""
	case "datasetId":
		return a.DatasetID, a.DatasetID != ""
	default:
		return nil, false
	}
	v := unwrapValue(a.Value)
	for _, k := range p.JSON {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
		v = unwrapValue(v)
	}
	return v, true
}

// unwrapValue reads a JSON-LD value object {"@value": v, "@type": t} as v.
func unwrapValue(v any) any {
	if m, ok := v.(map[string]any); ok {
		if x, ok := m["@value"]; ok {
			return x
		}
	}
	return v
}

// candidates lists the values a comparison tests: the elements of an
// array, the strings of a languageMap, or the value itself.
func candidates(a *ngsild.Attribute, p Path, v any) []any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unwrapValue(e)
		}
		return out
	case map[string]any:
		if p.Member != "" || len(p.JSON) > 0 || attrAt(a, p).Type != ngsild.TypeLanguageProperty {
			break
		}
		var out []any
		for _, lang := range sortedMapKeys(x) {
			if list, ok := x[lang].([]any); ok {
				out = append(out, list...)
			} else {
				out = append(out, x[lang])
			}
		}
		return out
	}
	return []any{v}
}

// attrAt returns the (sub-)attribute a path designates in an instance;
// the path is known to resolve.
func attrAt(a *ngsild.Attribute, p Path) *ngsild.Attribute {
	for _, s := range p.Sub {
		a = a.Sub[s]
	}
	return a
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// MatchTypes reports whether an entity with these expanded types satisfies
// the type selection t; a nil t matches every entity.
func MatchTypes(types []string, t TypeExpr) bool {
	switch n := t.(type) {
	case nil:
		return true
	case *TypeName:
		return slices.Contains(types, n.Type)
	case *TypeAnd:
		for _, x := range n.Terms {
			if !MatchTypes(types, x) {
				return false
			}
		}
		return true
	case *TypeOr:
		for _, x := range n.Terms {
			if MatchTypes(types, x) {
				return true
			}
		}
	}
	return false
}

// MatchScope reports whether an entity with these scopes satisfies the
// scope query s; a nil s matches every entity. A pattern holds when one of
// the scopes matches it; the terms of an AND may be satisfied by different
// scopes. An entity without scopes matches no pattern.
func MatchScope(scopes []string, s ScopeExpr) bool {
	switch n := s.(type) {
	case nil:
		return true
	case *ScopePattern:
		for _, sc := range scopes {
			if scopeMatches(sc, n.Pattern) {
				return true
			}
		}
	case *ScopeAnd:
		for _, x := range n.Terms {
			if !MatchScope(scopes, x) {
				return false
			}
		}
		return true
	case *ScopeOr:
		for _, x := range n.Terms {
			if MatchScope(scopes, x) {
				return true
			}
		}
	}
	return false
}

// scopeMatches compares a scope with a pattern level by level: "+" takes
// any one level, a last "#" any number of levels (zero included, so
// "/Nantes/#" matches "/Nantes").
func scopeMatches(scope, pattern string) bool {
	sl := strings.Split(strings.TrimPrefix(scope, "/"), "/")
	pl := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	for i, p := range pl {
		if p == "#" && i == len(pl)-1 {
			return true
		}
		if i >= len(sl) || (p != "+" && p != sl[i]) {
			return false
		}
	}
	return len(sl) == len(pl)
}

// ValueAt returns the value a path designates in e, for orderBy and for
// stores that evaluate paths in Go; false when it does not resolve. Of an
// attribute with several instances it reads the default instance (no
// datasetId), or else the first. The value is as MatchQ sees it before
// candidates are taken: a Property's value (value objects unwrapped), a
// Relationship's object, a LanguageProperty's languageMap, a list, a
// geometry object; observedAt, createdAt and modifiedAt are time.Time,
// unitCode and datasetId strings.
func ValueAt(e *ngsild.Entity, p Path) (any, bool) {
	if e == nil {
		return nil, false
	}
	insts := e.Attrs[p.Attr]
	if len(insts) == 0 {
		return nil, false
	}
	a := insts[0]
	for _, x := range insts {
		if x != nil && x.DatasetID == "" {
			a = x
			break
		}
	}
	return resolve(a, p)
}

// CompareValues orders two values for orderBy, returning -1, 0 or +1. The
// order is total: first by class, null (nil) < numbers < date-times
// (time.Time, and strings that parse as an RFC 3339 date-time or a date) <
// other strings < booleans < anything else (arrays, objects); then within
// a class: numbers by value, date-times as instants then by text, strings
// byte-wise, false < true, and other values by their JSON text.
func CompareValues(a, b any) int {
	ca, cb := valueClass(a), valueClass(b)
	if ca != cb {
		return cmpFloat(float64(ca), float64(cb))
	}
	switch ca {
	case classNumber:
		x, _ := toNumber(a)
		y, _ := toNumber(b)
		return cmpFloat(x, y)
	case classTime:
		ta, sa := asTime(a)
		tb, sb := asTime(b)
		if n := ta.Compare(tb); n != 0 {
			return n
		}
		return strings.Compare(sa, sb)
	case classString:
		return strings.Compare(a.(string), b.(string))
	case classBool:
		return cmpBool(a.(bool), b.(bool))
	case classOther:
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		return strings.Compare(string(ja), string(jb))
	}
	return 0
}

const (
	classNull = iota
	classNumber
	classTime
	classString
	classBool
	classOther
)

func valueClass(v any) int {
	if v == nil {
		return classNull
	}
	if f, ok := toNumber(v); ok && f == f {
		return classNumber
	}
	switch x := v.(type) {
	case time.Time:
		return classTime
	case string:
		if _, form, ok := parseTemporal(x); ok && form != formTime {
			return classTime
		}
		return classString
	case bool:
		return classBool
	}
	return classOther
}

// asTime returns the instant of a value of classTime, and a text that
// breaks ties between different writings of the same instant.
func asTime(v any) (time.Time, string) {
	switch x := v.(type) {
	case time.Time:
		return x, x.UTC().Format(time.RFC3339Nano)
	case string:
		t, _, _ := parseTemporal(x)
		return t, x
	}
	return time.Time{}, ""
}
