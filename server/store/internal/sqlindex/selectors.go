package sqlindex

import (
	"regexp"

	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
)

// SelectorBounds returns what every entity matching one of the selectors
// has: an id among ids when every selector gives an id (else ids is
// nil), and types matching texpr when every selector gives a type
// selection (else texpr is nil). The stores use them to find candidates,
// then check the selectors exactly.
func SelectorBounds(sels []store.EntitySelector) (ids []string, texpr query.TypeExpr) {
	or := &query.TypeOr{}
	allIDs, allTypes := len(sels) > 0, len(sels) > 0
	for _, s := range sels {
		allIDs = allIDs && s.ID != ""
		allTypes = allTypes && s.TypeExpr != nil
		if s.ID != "" {
			ids = append(ids, s.ID)
		}
		if s.TypeExpr != nil {
			or.Terms = append(or.Terms, s.TypeExpr)
		}
	}
	if !allIDs {
		ids = nil
	}
	if allTypes {
		texpr = or
	}
	return ids, texpr
}

// Selectors checks entities against alternative selectors.
type Selectors struct {
	sels     []store.EntitySelector
	patterns []*regexp.Regexp // by selector, nil without IDPattern
}

// CompileSelectors prepares sels for Match.
func CompileSelectors(sels []store.EntitySelector) (*Selectors, error) {
	m := &Selectors{sels: sels, patterns: make([]*regexp.Regexp, len(sels))}
	for i, s := range sels {
		if s.IDPattern == "" {
			continue
		}
		re, err := regexp.Compile(s.IDPattern)
		if err != nil {
			return nil, err
		}
		m.patterns[i] = re
	}
	return m, nil
}

// Match reports whether an entity with this id and these types matches
// one of the selectors.
func (m *Selectors) Match(id string, types []string) bool {
	for i, s := range m.sels {
		if (s.ID == "" || s.ID == id) && (m.patterns[i] == nil || m.patterns[i].MatchString(id)) &&
			(s.TypeExpr == nil || query.MatchTypes(types, s.TypeExpr)) {
			return true
		}
	}
	return false
}
