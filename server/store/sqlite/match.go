package sqlite

import (
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
)

// The reference semantics of the query languages, from package query: the
// store applies them to the candidates its indexes select.

func matchQ(e *ngsild.Entity, x query.Expr) bool         { return query.MatchQ(e, x) }
func matchScope(scopes []string, x query.ScopeExpr) bool { return query.MatchScope(scopes, x) }
func matchGeo(e *ngsild.Entity, g *query.GeoQuery) bool  { return query.MatchGeo(e, g) }
func valueAt(e *ngsild.Entity, p query.Path) (any, bool) { return query.ValueAt(e, p) }
func compareValues(a, b any) int                         { return query.CompareValues(a, b) }
