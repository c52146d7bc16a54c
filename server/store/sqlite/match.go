package sqlite

import (
	"errors"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
)

// The reference semantics of the query languages, from package query.
//
// Pending: the query package's Match functions are being written; until
// they are in, queries that need them fail with errEvalPending rather
// than answer wrongly.

var errEvalPending = errors.New("sqlite: q, scopeQ, geo-queries and orderBy are not available yet")

const evalReady = false

func matchQ(e *ngsild.Entity, x query.Expr) bool         { return false }
func matchScope(scopes []string, x query.ScopeExpr) bool { return false }
func matchGeo(e *ngsild.Entity, g *query.GeoQuery) bool  { return false }
func valueAt(e *ngsild.Entity, p query.Path) (any, bool) { return nil, false }
func compareValues(a, b any) int                         { return 0 }
