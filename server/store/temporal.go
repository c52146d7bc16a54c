package store

import (
	"errors"
	"time"

	"github.com/opentid/opentid/server/ngsild"
)

// ErrInstanceNotFound: the attribute has no instance with this instanceId
// in the entity's history.
var ErrInstanceNotFound = errors.New("attribute instance not found")

// The temporal part of the contract: the history of the attributes of
// each entity (clause 4.5.6 of NGSI-LD), kept beside the current state.
//
// Every instance is filed under a time: its observedAt, or its modifiedAt
// when it has none. That time is what TimeObservedAt selects and orders
// by. Every instance also has a createdAt (when it was recorded) and a
// modifiedAt (its last change through PatchInstance).
//
// An entity's history exists once an instance of it has been recorded,
// and until DeleteHistory or retention removes its last instance; it is
// independent of the entity's current state (Put and Delete do not touch
// it).

// TemporalReader reads histories.
type TemporalReader interface {
	// History returns the history of entity id that q selects, or
	// ErrNotFound when the entity has no recorded instance. Attributes
	// come sorted by name then datasetId (the default instance first);
	// instances in ascending order of q.TimeProperty, ties in recording
	// order. Aggregations are computed by the store without loading the
	// instances.
	History(id string, q TemporalQuery) (*EntityHistory, error)
	// Instance returns one instance of attribute name of entity id, its
	// Time being its observedAt (else modifiedAt). Errors: ErrNotFound
	// when the entity has no history, ErrInstanceNotFound when the
	// attribute has no such instance.
	Instance(id, name, instanceID string) (Instance, error)
}

// TemporalWriter writes histories.
type TemporalWriter interface {
	// AddInstances records instances of the attributes of entity id, whose
	// types are types (added to those already recorded). Each attribute
	// must carry its CreatedAt and ModifiedAt; ObservedAt, when set, is an
	// RFC 3339 date-time. The store assigns every instance a new
	// instanceId.
	AddInstances(id string, types []string, attrs map[string][]*ngsild.Attribute) error
	// PatchInstance replaces the instance instanceID of attribute name of
	// entity id by a (whose CreatedAt is ignored: the original one is
	// kept). It returns ErrNotFound when the entity has no history and
	// ErrInstanceNotFound when the attribute has no such instance.
	PatchInstance(id, name, instanceID string, a *ngsild.Attribute) error
	// DeleteInstance removes one instance; errors as PatchInstance.
	DeleteInstance(id, name, instanceID string) error
	// DeleteHistory removes the history of entity id: the whole of it
	// when name is "", else the instances of attribute name with
	// datasetID ("" is the default instance), or of every datasetId when
	// allDatasets is set. It returns ErrNotFound when nothing matched.
	DeleteHistory(id, name, datasetID string, allDatasets bool) error
	// PurgeHistory removes at most max instances whose time is before
	// cutoff, oldest first, and reports how many it removed; the
	// aggregates the store keeps are updated with them. Entities left
	// without an instance lose their history.
	PurgeHistory(cutoff time.Time, max int) (int, error)
}

// TimeProperty is the timestamp a temporal query works on (clause 4.11).
type TimeProperty int

const (
	// TimeObservedAt: the instance's observedAt, its modifiedAt when it
	// has none.
	TimeObservedAt TimeProperty = iota
	TimeCreatedAt
	TimeModifiedAt
)

// Timerel is the temporal relation of a temporal query (clause 4.11).
type Timerel int

const (
	// TimeAny selects every instance.
	TimeAny Timerel = iota
	// TimeBefore selects instances whose time is before TimeAt (strictly).
	TimeBefore
	// TimeAfter selects instances whose time is TimeAt or later.
	TimeAfter
	// TimeBetween selects instances in [TimeAt, EndTimeAt).
	TimeBetween
)

// AggrMethod is an aggregation function of clause 4.5.19.
type AggrMethod string

// Aggregation methods. Counts count every instance; the others use the
// numeric values only (numbers and booleans) and are absent from a period
// without one. stddev is the population standard deviation.
const (
	AggrTotalCount    AggrMethod = "totalCount"
	AggrDistinctCount AggrMethod = "distinctCount"
	AggrSum           AggrMethod = "sum"
	AggrAvg           AggrMethod = "avg"
	AggrMin           AggrMethod = "min"
	AggrMax           AggrMethod = "max"
	AggrStddev        AggrMethod = "stddev"
	AggrSumsq         AggrMethod = "sumsq"
)

// AggrMethods lists every method, in the order of clause 4.5.19.
var AggrMethods = []AggrMethod{AggrTotalCount, AggrDistinctCount, AggrSum, AggrAvg, AggrMin, AggrMax, AggrStddev, AggrSumsq}

// Period is an ISO 8601 duration split into its calendar and its exact
// parts: Months (years count 12) then Duration (days count 24 hours).
type Period struct {
	Months   int
	Duration time.Duration
}

// IsZero reports whether p is the empty duration.
func (p Period) IsZero() bool { return p.Months == 0 && p.Duration == 0 }

// AddTo returns t + p, in UTC.
func (p Period) AddTo(t time.Time) time.Time {
	return t.UTC().AddDate(0, p.Months, 0).Add(p.Duration)
}

// TemporalQuery selects instances of a history.
type TemporalQuery struct {
	// Attrs keeps only these expanded attribute names; empty keeps all.
	Attrs        []string
	TimeProperty TimeProperty
	Timerel      Timerel
	TimeAt       time.Time
	EndTimeAt    time.Time // for TimeBetween
	// LastN, when positive, keeps the last LastN selected instances of
	// each attribute instance series (name and datasetId).
	LastN int
	// Limit, when positive, bounds the instances returned per series:
	// a series with more selected instances is cut and marked Truncated.
	// Ignored with LastN.
	Limit int
	// AggrMethods, when set, asks for aggregates instead of instances.
	AggrMethods []AggrMethod
	// AggrPeriod splits the selected interval into periods of this
	// duration, starting at its beginning; zero aggregates the whole
	// interval in one period. The interval is [TimeAt, EndTimeAt) for
	// TimeBetween; a bound the query does not give is that of the
	// selected instances (the first one's time; just after the last one).
	AggrPeriod Period
	// MaxPeriods bounds the number of periods; beyond it History fails
	// with ErrTooManyPeriods. Zero means 100,000.
	MaxPeriods int
}

// ErrTooManyPeriods: an aggregation would have more periods than allowed.
var ErrTooManyPeriods = errors.New("too many aggregation periods")

// EntityHistory is the selected history of one entity.
type EntityHistory struct {
	ID    string
	Types []string // expanded, sorted
	Attrs []AttrHistory
}

// AttrHistory is the selected history of one attribute instance series.
type AttrHistory struct {
	Name      string // expanded
	DatasetID string
	// Type is the attribute type of the latest recorded instance.
	Type      string
	Instances []Instance
	// Truncated: Limit cut the series; Instances are the first Limit
	// selected ones and Next is the time of the first one left out.
	Truncated bool
	Next      time.Time
	// Aggregates holds one entry per period that has instances, in time
	// order, when the query asked for aggregation.
	Aggregates []Aggregate
}

// Instance is one recorded attribute instance.
type Instance struct {
	// InstanceID is the instance's URI, unique in the tenant.
	InstanceID string
	// Time is the instance's time for the query's TimeProperty.
	Time time.Time
	// Attr holds the payload, observedAt, unitCode, sub-attributes and the
	// instance's createdAt and modifiedAt.
	Attr *ngsild.Attribute
}

// Aggregate holds the aggregated values of one period [Start, End).
type Aggregate struct {
	Start, End time.Time
	// Values maps each method asked for to its value: int for the counts,
	// float64 for the others. A method without a value in the period
	// (no numeric instance) is absent.
	Values map[AggrMethod]any
}
