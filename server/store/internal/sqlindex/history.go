package sqlindex

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

// The encoding of attribute instances and the arithmetic of temporal
// queries, shared by the SQL stores.

// InstanceIDPrefix starts every instanceId; the instance number follows.
const InstanceIDPrefix = "urn:ngsi-ld:instance:"

// DayMicros is one day in microseconds.
const DayMicros = int64(24 * time.Hour / time.Microsecond)

// InstanceRow is the encoded form of an instance.
//
// An instance that is a plain numeric Property (no sub-attribute, the
// unitCode of its series, a number whose text is Go's shortest form and
// an observedAt that the stored time reproduces) is compact: Data is nil
// and the instance is rebuilt from the columns. Other instances keep
// their attribute as JSON in Data. Num holds the numeric value of every
// instance that has one (numbers; booleans as 0 and 1), for aggregation.
type InstanceRow struct {
	TS       int64 // observedAt in Unix microseconds; 0 without one
	Observed bool
	Num      *float64
	Data     []byte
}

// EncodeInstance encodes a as an instance of a series whose unitCode is
// unit.
func EncodeInstance(unit string, a *ngsild.Attribute) (InstanceRow, error) {
	var row InstanceRow
	if a.ObservedAt != "" {
		t, err := time.Parse(time.RFC3339Nano, a.ObservedAt)
		if err != nil {
			return row, fmt.Errorf("observedAt %q: %w", a.ObservedAt, err)
		}
		row.TS, row.Observed = t.UnixMicro(), true
	}
	text, isNumber := numberText(a.Value)
	if isNumber {
		if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) {
			row.Num = &f
		}
	} else if b, ok := a.Value.(bool); ok {
		f := 0.0
		if b {
			f = 1
		}
		row.Num = &f
	}
	compact := a.Type == ngsild.TypeProperty && row.Num != nil && isNumber &&
		strconv.FormatFloat(*row.Num, 'f', -1, 64) == text &&
		len(a.Sub) == 0 && len(a.ObjectType) == 0 && a.UnitCode == unit &&
		(a.ObservedAt == "" || FormatTime(row.TS) == a.ObservedAt)
	if compact {
		return row, nil
	}
	c := *a
	c.DatasetID, c.CreatedAt, c.ModifiedAt = "", time.Time{}, time.Time{}
	data, err := json.Marshal(&c)
	if err != nil {
		return row, err
	}
	row.Data = data
	return row, nil
}

// StoredInstance is an instance as a store reads it back.
type StoredInstance struct {
	Time             int64 // the time of the query's time property
	TS, IID, Created int64
	Modified         *int64
	Observed         bool
	Num              *float64
	Data             []byte
	Unit, DatasetID  string
}

// Instance rebuilds the instance.
func (s StoredInstance) Instance() (store.Instance, error) {
	a := &ngsild.Attribute{}
	if s.Data == nil {
		var f float64
		if s.Num != nil {
			f = *s.Num
		}
		a.Type, a.UnitCode = ngsild.TypeProperty, s.Unit
		a.Value = json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	} else {
		dec := json.NewDecoder(bytes.NewReader(s.Data))
		dec.UseNumber()
		if err := dec.Decode(a); err != nil {
			return store.Instance{}, fmt.Errorf("decode instance %d: %w", s.IID, err)
		}
	}
	a.DatasetID = s.DatasetID
	if s.Observed && a.ObservedAt == "" {
		a.ObservedAt = FormatTime(s.TS)
	}
	a.CreatedAt = time.UnixMicro(s.Created).UTC()
	a.ModifiedAt = a.CreatedAt
	if s.Modified != nil {
		a.ModifiedAt = time.UnixMicro(*s.Modified).UTC()
	}
	return store.Instance{InstanceID: InstanceIDPrefix + strconv.FormatInt(s.IID, 10), Time: time.UnixMicro(s.Time).UTC(), Attr: a}, nil
}

// numberText returns the JSON text of a numeric value.
func numberText(v any) (string, bool) {
	switch n := v.(type) {
	case json.Number:
		return n.String(), true
	case float64:
		return strconv.FormatFloat(n, 'f', -1, 64), true
	case int:
		return strconv.Itoa(n), true
	case int64:
		return strconv.FormatInt(n, 10), true
	}
	return "", false
}

// FormatTime writes Unix microseconds as an RFC 3339 UTC date-time with
// the fewest fractional digits (at least milliseconds).
func FormatTime(us int64) string {
	t := time.UnixMicro(us).UTC()
	s := t.Format("2006-01-02T15:04:05.000000")
	s = strings.TrimRight(s, "0")
	if i := strings.IndexByte(s, '.'); len(s)-i-1 < 3 {
		s += strings.Repeat("0", 3-(len(s)-i-1))
	}
	return s + "Z"
}

// FloorDay is the start of the UTC day of us.
func FloorDay(us int64) int64 {
	d := us / DayMicros
	if us%DayMicros < 0 {
		d--
	}
	return d * DayMicros
}

// CeilDay is the first start of a UTC day at or after us.
func CeilDay(us int64) int64 {
	d := FloorDay(us)
	if d < us {
		d += DayMicros
	}
	return d
}

// ParseInstanceID returns the instance number of an instanceId, 0 when it
// is not one of the SQL stores'.
func ParseInstanceID(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(s, InstanceIDPrefix), 10, 64)
	if err != nil || !strings.HasPrefix(s, InstanceIDPrefix) || n <= 0 {
		return 0
	}
	return n
}

// Bounds returns the interval [lo, hi) of a query in Unix microseconds;
// an open side is math.MinInt64 or math.MaxInt64.
func Bounds(q store.TemporalQuery) (lo, hi int64) {
	lo, hi = math.MinInt64, math.MaxInt64
	switch q.Timerel {
	case store.TimeBefore:
		hi = q.TimeAt.UnixMicro()
	case store.TimeAfter:
		lo = q.TimeAt.UnixMicro()
	case store.TimeBetween:
		lo, hi = q.TimeAt.UnixMicro(), q.EndTimeAt.UnixMicro()
	}
	return lo, hi
}

// Period is one aggregation period [From, To) in Unix microseconds.
type Period struct{ From, To int64 }

// Periods splits [lo, hi) into the periods of q, or fails with
// store.ErrTooManyPeriods.
func Periods(q store.TemporalQuery, lo, hi int64) ([]Period, error) {
	maxPeriods := q.MaxPeriods
	if maxPeriods <= 0 {
		maxPeriods = 100000
	}
	var periods []Period
	for from := lo; from < hi; {
		to := hi
		if !q.AggrPeriod.IsZero() {
			to = min(hi, q.AggrPeriod.AddTo(time.UnixMicro(from)).UnixMicro())
			if to <= from {
				return nil, fmt.Errorf("aggregation period is not positive")
			}
		}
		if len(periods) == maxPeriods {
			return nil, store.ErrTooManyPeriods
		}
		periods = append(periods, Period{from, to})
		from = to
	}
	return periods, nil
}

// Partial is the mergeable state of one period's aggregation.
type Partial struct {
	Cnt, N, Distinct int64
	Sum, Sumsq       float64
	Min, Max         *float64
}

// Merge adds o to p.
func (p *Partial) Merge(o Partial) {
	p.Cnt += o.Cnt
	p.N += o.N
	p.Distinct += o.Distinct
	p.Sum += o.Sum
	p.Sumsq += o.Sumsq
	if o.Min != nil && (p.Min == nil || *o.Min < *p.Min) {
		p.Min = o.Min
	}
	if o.Max != nil && (p.Max == nil || *o.Max > *p.Max) {
		p.Max = o.Max
	}
}

// Aggregates turns the state of each period into the aggregates of the
// periods that have instances.
func Aggregates(periods []Period, parts []Partial, methods []store.AggrMethod) []store.Aggregate {
	var out []store.Aggregate
	for i, p := range parts {
		if p.Cnt == 0 {
			continue
		}
		out = append(out, store.Aggregate{
			Start:  time.UnixMicro(periods[i].From).UTC(),
			End:    time.UnixMicro(periods[i].To).UTC(),
			Values: p.Values(methods),
		})
	}
	return out
}

// Values computes the methods from a period's state.
func (p Partial) Values(methods []store.AggrMethod) map[store.AggrMethod]any {
	out := make(map[store.AggrMethod]any, len(methods))
	for _, m := range methods {
		switch m {
		case store.AggrTotalCount:
			out[m] = int(p.Cnt)
		case store.AggrDistinctCount:
			out[m] = int(p.Distinct)
		}
		if p.N == 0 {
			continue
		}
		avg := p.Sum / float64(p.N)
		switch m {
		case store.AggrSum:
			out[m] = p.Sum
		case store.AggrAvg:
			out[m] = avg
		case store.AggrMin:
			out[m] = *p.Min
		case store.AggrMax:
			out[m] = *p.Max
		case store.AggrSumsq:
			out[m] = p.Sumsq
		case store.AggrStddev:
			out[m] = math.Sqrt(math.Max(0, p.Sumsq/float64(p.N)-avg*avg))
		}
	}
	return out
}
