// Package query holds the query languages of NGSI-LD as syntax trees: the
// q language (clause 4.9), the geo-query language (4.10), the entity type
// selection language (4.17), the scope query language (4.19) and entity
// ordering (4.23). Parsers turn request parameters into these trees with
// expanded names; stores translate the trees into their own query
// language; Match evaluates them on an entity in memory (subscriptions,
// and the reference against which stores are tested).
//
// The package imports no net/http and no database driver.
package query

import (
	"time"

	"github.com/paulmach/orb"
)

// Expr is a node of a q expression: *And, *Or or *Comparison.
type Expr interface{ isExpr() }

// And holds when every term holds (the ';' operator).
type And struct{ Terms []Expr }

// Or holds when at least one term holds (the '|' operator).
type Or struct{ Terms []Expr }

// Comparison tests the value at Path. With Op == OpExists (a bare
// attribute path in q) it holds when the path exists.
type Comparison struct {
	Path Path
	Op   Op
	// Value is the right-hand side of =, !=, <, <=, >, >=, ~= and !~=.
	// For == and != it may also be a list (Values) or a range (Range).
	Value Value
}

func (*And) isExpr()        {}
func (*Or) isExpr()         {}
func (*Comparison) isExpr() {}

// Op is a comparison operator.
type Op int

// The operators of clause 4.9.
const (
	OpExists    Op = iota // attribute path alone
	OpEqual               // ==
	OpUnequal             // !=
	OpGreater             // >
	OpGreaterEq           // >=
	OpLess                // <
	OpLessEq              // <=
	OpMatch               // ~= (regular expression)
	OpNotMatch            // !~=
)

// Path designates what a comparison looks at: an attribute (Attr, the
// expanded name), then, from the a.b.c form, the expanded names of
// sub-attributes (Sub). Member is set when the path ends with an attribute
// member rather than a sub-attribute: "observedAt", "createdAt",
// "modifiedAt", "unitCode" or "datasetId" (a.observedAt>...). JSON lists
// the keys inside a structured value, from the a[b.c] form, unexpanded.
// The comparison applies to the value of the attribute (or sub-attribute):
// the value of a Property, the object of a Relationship, the geometry of a
// GeoProperty, and so on.
type Path struct {
	Attr   string
	Sub    []string
	Member string // "", or observedAt, createdAt, modifiedAt, unitCode, datasetId
	JSON   []string
}

// Kind is the type of a literal.
type Kind int

// Literal kinds. A quoted literal is a String; unquoted numbers are
// Number, true/false are Bool; an unquoted RFC 3339 date-time, date or
// time is DateTime; any other unquoted token (a URI) is a String.
const (
	KindString Kind = iota
	KindNumber
	KindBool
	KindDateTime
)

// Literal is one value of a comparison.
type Literal struct {
	Kind Kind
	Str  string    // KindString; also the source text of every literal
	Num  float64   // KindNumber
	Bool bool      // KindBool
	Time time.Time // KindDateTime, UTC
}

// Value is the right-hand side of a comparison: one literal, a list of
// literals (a==1,2,3: any of them), or a range (a==1..5, inclusive).
type Value struct {
	Single  *Literal
	List    []Literal
	RangeLo *Literal
	RangeHi *Literal
}

// TypeExpr is an entity type selection (clause 4.17): *TypeName, *TypeAnd
// or *TypeOr. "A,B" and "A|B" are both TypeOr; "A;B" is TypeAnd.
type TypeExpr interface{ isTypeExpr() }

// TypeName matches entities that have this expanded type.
type TypeName struct{ Type string }

// TypeAnd matches entities that match every term.
type TypeAnd struct{ Terms []TypeExpr }

// TypeOr matches entities that match at least one term.
type TypeOr struct{ Terms []TypeExpr }

func (*TypeName) isTypeExpr() {}
func (*TypeAnd) isTypeExpr()  {}
func (*TypeOr) isTypeExpr()   {}

// ScopeExpr is a scope query (clause 4.19): *ScopePattern, *ScopeAnd or
// *ScopeOr.
type ScopeExpr interface{ isScopeExpr() }

// ScopePattern matches a scope value: "/Nantes" (exactly), "/Nantes/+"
// (Nantes and one more level), "/Nantes/#" (Nantes and everything below).
type ScopePattern struct{ Pattern string }

// ScopeAnd matches entities whose scopes match every term.
type ScopeAnd struct{ Terms []ScopeExpr }

// ScopeOr matches entities whose scopes match at least one term.
type ScopeOr struct{ Terms []ScopeExpr }

func (*ScopePattern) isScopeExpr() {}
func (*ScopeAnd) isScopeExpr()     {}
func (*ScopeOr) isScopeExpr()      {}

// Georel is a geospatial relationship (clause 4.10).
type Georel int

// The relationships of clause 4.10.
const (
	GeoNear Georel = iota
	GeoWithin
	GeoContains
	GeoIntersects
	GeoEquals
	GeoDisjoint
	GeoOverlaps
)

// GeoQuery selects entities whose GeoProperty Property (expanded; default
// the core "location") stands in relation Rel to Geometry (WGS84
// longitude/latitude). For GeoNear, MaxDistance and MinDistance are in
// metres on the WGS84 sphere (0 means unset).
type GeoQuery struct {
	Rel         Georel
	Geometry    orb.Geometry
	Property    string
	MaxDistance float64
	MinDistance float64
}

// OrderTerm is one key of an orderBy (clause 4.23).
type OrderTerm struct {
	Path       Path
	Descending bool
}
