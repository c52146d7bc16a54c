package sqlite

import (
	"fmt"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store/internal/sqlindex"
)

// What this store computes as the PostgreSQL store does lives in package
// sqlindex: the rows of the query indexes, the bounds of queries on them
// and the decoder of stored entities.

type (
	box    = sqlindex.Box
	boxRow = sqlindex.BoxRow
)

// The encoding of attribute histories, shared with the PostgreSQL store.
const (
	instanceIDPrefix = sqlindex.InstanceIDPrefix
	dayMicros        = sqlindex.DayMicros
)

var (
	floorDay        = sqlindex.FloorDay
	ceilDay         = sqlindex.CeilDay
	parseInstanceID = sqlindex.ParseInstanceID
	bounds          = sqlindex.Bounds
)

// coreLocation is the expanded name of the default GeoProperty of a
// geo-query.
const coreLocation = sqlindex.CoreLocation

var (
	valueRows     = sqlindex.ValueRows
	boxRows       = sqlindex.BoxRows
	number        = sqlindex.Number
	unixSeconds   = sqlindex.UnixSeconds
	distinctTypes = sqlindex.DistinctTypes
	attrRows      = sqlindex.AttrRows
	combineTypes  = sqlindex.CombineTypes
	typeSet       = sqlindex.TypeSet
	tolerance     = sqlindex.Tolerance
	normalScope   = sqlindex.NormalScope
	queryBoxes    = sqlindex.QueryBoxes
)

func sortedNames[V any](m map[string]V) []string { return sqlindex.SortedNames(m) }

// decode reads a stored entity.
func decode(id string, data []byte) (*ngsild.Entity, error) {
	e, err := sqlindex.Decode(id, data)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	return e, nil
}
