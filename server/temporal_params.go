package server

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// temporalForm is a temporal representation (clauses 4.5.7 to 4.5.9,
// 4.5.19).
type temporalForm int

const (
	temporalNormalized temporalForm = iota
	temporalConcise
	temporalSimplified // temporalValues
	temporalAggregated // aggregatedValues
)

// temporalView is how a temporal request wants histories selected and
// shown.
type temporalView struct {
	ld       *jsonld.Context
	q        store.TemporalQuery
	form     temporalForm
	sysAttrs bool
	lang     string
}

// temporalInput holds the raw temporal parameters, from the query string
// or from the temporalQ and the body of a temporal query.
type temporalInput struct {
	timerel, timeAt, endTimeAt, timeproperty, lastN string
	aggrMethods, aggrPeriodDuration                 string
	options, format, attrs, lang                    string
}

func temporalInputOf(get func(string) string) temporalInput {
	return temporalInput{
		timerel: get("timerel"), timeAt: get("timeAt"), endTimeAt: get("endTimeAt"),
		timeproperty: get("timeproperty"), lastN: get("lastN"),
		aggrMethods: get("aggrMethods"), aggrPeriodDuration: get("aggrPeriodDuration"),
		options: get("options"), format: get("format"), attrs: get("attrs"), lang: get("lang"),
	}
}

// parseTemporal checks the temporal parameters (clauses 4.11, 6.3.10).
func (s *Server) parseTemporal(ld *jsonld.Context, in temporalInput) (*temporalView, error) {
	v := &temporalView{ld: ld, lang: in.lang}
	v.q.Limit = s.cfg.TemporalLimit
	v.q.MaxPeriods = s.cfg.TemporalLimit * 100
	v.q.Attrs = expandList(ld, in.attrs)
	forms := map[temporalForm]bool{}
	for _, o := range splitList(in.options) {
		switch o {
		case "temporalValues", "simplified", "keyValues":
			forms[temporalSimplified] = true
		case "aggregatedValues":
			forms[temporalAggregated] = true
		case "concise":
			forms[temporalConcise] = true
		case "normalized":
			forms[temporalNormalized] = true
		case "sysAttrs":
			v.sysAttrs = true
		default:
			return nil, problemf(spec.ProblemBadRequestData, "unknown option %q", o)
		}
	}
	switch in.format {
	case "":
	case "temporalValues", "simplified", "keyValues":
		forms = map[temporalForm]bool{temporalSimplified: true}
	case "aggregatedValues":
		forms = map[temporalForm]bool{temporalAggregated: true}
	case "concise":
		forms = map[temporalForm]bool{temporalConcise: true}
	case "normalized":
		forms = map[temporalForm]bool{temporalNormalized: true}
	default:
		return nil, problemf(spec.ProblemBadRequestData, "unknown format %q", in.format)
	}
	if len(forms) > 1 {
		return nil, problemf(spec.ProblemBadRequestData, "options asks for two different representations")
	}
	for f := range forms {
		v.form = f
	}
	if err := v.parseTime(in); err != nil {
		return nil, err
	}
	if in.lastN != "" {
		n, err := strconv.Atoi(in.lastN)
		if err != nil || n < 1 {
			return nil, problemf(spec.ProblemBadRequestData, "lastN must be a positive integer")
		}
		if n > s.cfg.TemporalLimit {
			return nil, problemf(spec.ProblemTooManyResults, "lastN %d exceeds the maximum of %d instances per attribute", n, s.cfg.TemporalLimit)
		}
		v.q.LastN = n
	}
	if err := v.parseAggregation(in); err != nil {
		return nil, err
	}
	return v, nil
}

func (v *temporalView) parseTime(in temporalInput) error {
	switch in.timeproperty {
	case "", "observedAt":
		v.q.TimeProperty = store.TimeObservedAt
	case "createdAt":
		v.q.TimeProperty = store.TimeCreatedAt
	case "modifiedAt":
		v.q.TimeProperty = store.TimeModifiedAt
	default:
		return problemf(spec.ProblemBadRequestData, "timeproperty must be observedAt, createdAt or modifiedAt")
	}
	parse := func(name, val string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339Nano, val)
		if err != nil {
			return t, problemf(spec.ProblemBadRequestData, "%s must be an RFC 3339 date-time, got %q", name, val)
		}
		return t.UTC(), nil
	}
	var err error
	switch in.timerel {
	case "":
		if in.timeAt != "" || in.endTimeAt != "" {
			return problemf(spec.ProblemBadRequestData, "timeAt and endTimeAt need timerel")
		}
		return nil
	case "before":
		v.q.Timerel = store.TimeBefore
	case "after":
		v.q.Timerel = store.TimeAfter
	case "between":
		v.q.Timerel = store.TimeBetween
		if in.endTimeAt == "" {
			return problemf(spec.ProblemBadRequestData, "timerel=between needs endTimeAt")
		}
		if v.q.EndTimeAt, err = parse("endTimeAt", in.endTimeAt); err != nil {
			return err
		}
	default:
		return problemf(spec.ProblemBadRequestData, "timerel must be before, after or between")
	}
	if in.timeAt == "" {
		return problemf(spec.ProblemBadRequestData, "timerel needs timeAt")
	}
	if v.q.TimeAt, err = parse("timeAt", in.timeAt); err != nil {
		return err
	}
	if v.q.Timerel == store.TimeBetween && !v.q.EndTimeAt.After(v.q.TimeAt) {
		return problemf(spec.ProblemBadRequestData, "endTimeAt must be after timeAt")
	}
	return nil
}

func (v *temporalView) parseAggregation(in temporalInput) error {
	methods := splitList(in.aggrMethods)
	if v.form != temporalAggregated {
		if len(methods) > 0 || in.aggrPeriodDuration != "" {
			return problemf(spec.ProblemBadRequestData, "aggrMethods and aggrPeriodDuration need options=aggregatedValues")
		}
		return nil
	}
	if len(methods) == 0 {
		return problemf(spec.ProblemBadRequestData, "the aggregated representation needs aggrMethods")
	}
	for _, m := range methods {
		am := store.AggrMethod(m)
		if !containsMethod(am) {
			return problemf(spec.ProblemBadRequestData, "unknown aggregation method %q", m)
		}
		v.q.AggrMethods = append(v.q.AggrMethods, am)
	}
	if in.aggrPeriodDuration != "" {
		p, err := parsePeriod(in.aggrPeriodDuration)
		if err != nil {
			return err
		}
		v.q.AggrPeriod = p
	}
	v.q.LastN = 0 // lastN does not apply to aggregates
	return nil
}

func containsMethod(m store.AggrMethod) bool {
	for _, k := range store.AggrMethods {
		if k == m {
			return true
		}
	}
	return false
}

var durationRE = regexp.MustCompile(`^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// parsePeriod reads an ISO 8601 duration (PnYnMnWnDTnHnMnS). A zero
// duration aggregates the whole interval in one period.
func parsePeriod(s string) (store.Period, error) {
	m := durationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return store.Period{}, problemf(spec.ProblemBadRequestData, "aggrPeriodDuration %q is not an ISO 8601 duration such as PT1H or P1D", s)
	}
	num := func(i int) float64 {
		if m[i] == "" {
			return 0
		}
		f, _ := strconv.ParseFloat(m[i], 64)
		return f
	}
	months := num(1)*12 + num(2)
	secs := num(3)*7*86400 + num(4)*86400 + num(5)*3600 + num(6)*60 + num(7)
	if months > 12*1000 || secs > 1000*365*86400 {
		return store.Period{}, problemf(spec.ProblemBadRequestData, "aggrPeriodDuration %q is too long", s)
	}
	return store.Period{Months: int(months), Duration: time.Duration(math.Round(secs * float64(time.Second)))}, nil
}

// parseTemporalEntity reads the body of a temporal provision: id, type
// and attributes whose members are one instance or an array of instances
// (clause 4.5.7). Instances are stamped with now. requireType asks for a
// type (upsert of a whole entity).
func parseTemporalEntity(obj map[string]any, ld *jsonld.Context, now time.Time, requireType bool) (*ngsild.Entity, int, error) {
	head := map[string]any{}
	attrs := map[string][]any{}
	for k, v := range obj {
		switch k {
		case "id", "type", "scope", "createdAt", "modifiedAt":
			head[k] = v
		default:
			if list, ok := v.([]any); ok {
				attrs[k] = list
			} else {
				attrs[k] = []any{v}
			}
		}
	}
	f, err := ngsild.ParseFragment(head, ld)
	if err != nil {
		return nil, 0, err
	}
	if requireType {
		if _, ok := obj["id"]; !ok {
			return nil, 0, problemf(spec.ProblemBadRequestData, "the entity has no \"id\"")
		}
		if len(f.Types) == 0 {
			return nil, 0, problemf(spec.ProblemBadRequestData, "the entity has no \"type\"")
		}
	}
	e := &ngsild.Entity{ID: f.ID, Types: f.Types, Scope: f.Scope, Attrs: map[string][]*ngsild.Attribute{}}
	count := 0
	for k, list := range attrs {
		name := ld.ExpandTerm(k)
		for _, item := range list {
			a, err := ngsild.ParseAttribute(name, item, ld)
			if err != nil {
				return nil, 0, err
			}
			if a.ObservedAt == ngsild.NullURI || a.UnitCode == ngsild.NullURI || a.Value == ngsild.NullURI {
				return nil, 0, problemf(spec.ProblemBadRequestData, "attribute %q: an attribute instance cannot be the NGSI-LD null", k)
			}
			a.CreatedAt, a.ModifiedAt = now, now
			stampSubs(a, now)
			e.Attrs[name] = append(e.Attrs[name], a)
			count++
		}
	}
	return e, count, nil
}

func stampSubs(a *ngsild.Attribute, now time.Time) {
	for _, sub := range a.Sub {
		sub.CreatedAt, sub.ModifiedAt = now, now
		stampSubs(sub, now)
	}
}
