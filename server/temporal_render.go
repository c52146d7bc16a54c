package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/store"
)

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// temporalTime writes an instant as an RFC 3339 UTC date-time with
// millisecond precision, or more digits when it has them.
func temporalTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05.000Z")
	}
	return t.Format(time.RFC3339Nano)
}

// page applies instance pagination (clause 6.3.10, Content-Range): when the
// server's limit cut a series, every series of the response is cut at the
// same instant, the earliest instance left out, and the answer is 206
// Partial Content with "Content-Range: date-time <start>-<end>/*": the
// instances returned are those from start up to, not including, end; the
// client asks for the rest with timerel=between (or after) and
// timeAt=end. It returns the status to answer with.
func (v *temporalView) page(w http.ResponseWriter, hs []*store.EntityHistory) int {
	var cut time.Time
	for _, h := range hs {
		for _, a := range h.Attrs {
			if a.Truncated && (cut.IsZero() || a.Next.Before(cut)) {
				cut = a.Next
			}
		}
	}
	if cut.IsZero() {
		return http.StatusOK
	}
	var start time.Time
	for _, h := range hs {
		kept := h.Attrs[:0]
		for _, a := range h.Attrs {
			i := 0
			for i < len(a.Instances) && a.Instances[i].Time.Before(cut) {
				i++
			}
			a.Instances = a.Instances[:i]
			if i > 0 && (start.IsZero() || a.Instances[0].Time.Before(start)) {
				start = a.Instances[0].Time
			}
			if i > 0 {
				kept = append(kept, a)
			}
		}
		h.Attrs = kept
	}
	if v.q.Timerel == store.TimeAfter || v.q.Timerel == store.TimeBetween {
		start = v.q.TimeAt
	}
	if start.IsZero() {
		start = cut
	}
	w.Header().Set("Content-Range", "date-time "+temporalTime(start)+"-"+temporalTime(cut)+"/*")
	return http.StatusPartialContent
}

// render shows one history in the view's temporal representation.
func (v *temporalView) render(h *store.EntityHistory) ngsild.Object {
	out := ngsild.Object{{Key: "id", Value: h.ID}}
	switch len(h.Types) {
	case 0:
	case 1:
		out = append(out, ngsild.Member{Key: "type", Value: v.ld.CompactIRI(h.Types[0])})
	default:
		types := make([]any, len(h.Types))
		for i, t := range h.Types {
			types[i] = v.ld.CompactIRI(t)
		}
		out = append(out, ngsild.Member{Key: "type", Value: types})
	}
	start := len(out)
	for i := 0; i < len(h.Attrs); {
		j := i
		for j < len(h.Attrs) && h.Attrs[j].Name == h.Attrs[i].Name {
			j++
		}
		out = append(out, ngsild.Member{Key: v.ld.CompactIRI(h.Attrs[i].Name), Value: v.attribute(h.Attrs[i:j])})
		i = j
	}
	slices.SortFunc(out[start:], func(a, b ngsild.Member) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// attribute renders the series of one attribute (one per datasetId).
func (v *temporalView) attribute(series []store.AttrHistory) any {
	switch v.form {
	case temporalSimplified, temporalAggregated:
		objs := make([]any, len(series))
		for i, s := range series {
			if v.form == temporalSimplified {
				objs[i] = v.simplified(s)
			} else {
				objs[i] = v.aggregated(s)
			}
		}
		if len(objs) == 1 {
			return objs[0]
		}
		return objs
	}
	opts := ngsild.RenderOptions{Form: ngsild.Normalized, SysAttrs: v.sysAttrs, Lang: v.lang}
	if v.form == temporalConcise {
		opts.Form = ngsild.Concise
	}
	var list []any
	for _, s := range series {
		for _, in := range s.Instances {
			list = append(list, ngsild.RenderInstance(in.Attr, in.InstanceID, v.ld, opts))
		}
	}
	return list
}

// head starts the object of one series: its type and datasetId.
func head(s store.AttrHistory) ngsild.Object {
	obj := ngsild.Object{{Key: "type", Value: s.Type}}
	if s.DatasetID != "" {
		obj = append(obj, ngsild.Member{Key: "datasetId", Value: s.DatasetID})
	}
	return obj
}

// simplified renders a series in the simplified temporal representation
// (4.5.9): [value, time] pairs under values, objects, ...
func (v *temporalView) simplified(s store.AttrHistory) ngsild.Object {
	pairs := make([]any, len(s.Instances))
	for i, in := range s.Instances {
		pairs[i] = []any{ngsild.TemporalValue(in.Attr, v.ld), temporalTime(in.Time)}
	}
	return append(head(s), ngsild.Member{Key: ngsild.TemporalValuesKey(s.Type), Value: pairs})
}

// aggregated renders a series in the aggregated temporal representation
// (4.5.19): for each method, [value, start, end] triples.
func (v *temporalView) aggregated(s store.AttrHistory) ngsild.Object {
	obj := head(s)
	for _, m := range v.q.AggrMethods {
		triples := []any{}
		for _, ag := range s.Aggregates {
			if val, ok := ag.Values[m]; ok {
				triples = append(triples, []any{val, temporalTime(ag.Start), temporalTime(ag.End)})
			}
		}
		obj = append(obj, ngsild.Member{Key: string(m), Value: triples})
	}
	return obj
}
