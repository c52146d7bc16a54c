package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/spec"
)

// view is how a request wants entities shown: representation, system
// attributes, projection and language.
type view struct {
	ld   *jsonld.Context
	opts ngsild.RenderOptions
	pick map[string]bool // compacted top-level names to keep; nil keeps all
	omit map[string]bool // compacted top-level names to drop
	// geometryProperty is the expanded GeoProperty whose value is the
	// geometry of a GeoJSON Feature.
	geometryProperty string
}

// viewOptions reads options, format, attrs, lang, pick and omit (clauses
// 4.5, 4.15, 4.21, 6.3.7).
func (s *Server) viewOptions(r *http.Request, rc *reqContext) (*view, error) {
	qp := r.URL.Query()
	v := &view{ld: rc.ld, opts: ngsild.RenderOptions{Form: ngsild.Normalized, Lang: qp.Get("lang")}}
	v.geometryProperty = rc.ld.ExpandTerm("location")
	if gp := qp.Get("geometryProperty"); gp != "" {
		v.geometryProperty = rc.ld.ExpandTerm(gp)
	}
	var forms []ngsild.Form
	for _, o := range splitList(qp.Get("options")) {
		switch o {
		case "keyValues", "simplified":
			forms = append(forms, ngsild.KeyValues)
		case "concise":
			forms = append(forms, ngsild.Concise)
		case "normalized":
			forms = append(forms, ngsild.Normalized)
		case "sysAttrs":
			v.opts.SysAttrs = true
		default:
			return nil, problemf(spec.ProblemBadRequestData, "unknown option %q", o)
		}
	}
	// format, when given, takes precedence over the options (clause 6.3.7).
	switch f := qp.Get("format"); f {
	case "":
	case "keyValues", "simplified":
		forms = []ngsild.Form{ngsild.KeyValues}
	case "concise":
		forms = []ngsild.Form{ngsild.Concise}
	case "normalized":
		forms = []ngsild.Form{ngsild.Normalized}
	default:
		return nil, problemf(spec.ProblemBadRequestData, "unknown format %q", f)
	}
	if len(forms) > 0 {
		v.opts.Form = forms[0]
		for _, f := range forms[1:] {
			if f != forms[0] {
				return nil, problemf(spec.ProblemBadRequestData, "options asks for two different representations")
			}
		}
	}
	if attrs := expandList(rc.ld, qp.Get("attrs")); len(attrs) > 0 {
		v.opts.Attrs = map[string]bool{}
		for _, a := range attrs {
			v.opts.Attrs[a] = true
		}
	}
	if strings.ContainsAny(qp.Get("pick")+qp.Get("omit"), "{}") {
		return nil, problemf(spec.ProblemBadRequestData, "nested projections with {} are not supported by this server version; pick and omit take top-level names")
	}
	if p := splitList(qp.Get("pick")); len(p) > 0 {
		v.pick = map[string]bool{}
		for _, name := range p {
			v.pick[name] = true
		}
	}
	if o := splitList(qp.Get("omit")); len(o) > 0 {
		if v.pick != nil {
			return nil, problemf(spec.ProblemBadRequestData, "pick and omit cannot be used together")
		}
		v.omit = map[string]bool{}
		for _, name := range o {
			v.omit[name] = true
		}
	}
	return v, nil
}

// render shows one entity as the view asks.
func (v *view) render(e *ngsild.Entity) ngsild.Object {
	obj := ngsild.Render(e, v.ld, v.opts)
	if v.pick == nil && v.omit == nil {
		return obj
	}
	out := obj[:0:0]
	for _, m := range obj {
		if (v.pick != nil && !v.pick[m.Key]) || v.omit[m.Key] {
			continue
		}
		out = append(out, m)
	}
	return out
}

// feature shows one entity as a GeoJSON Feature (clause 4.5.16): the
// geometry is the value of the view's geometry property (its default
// instance, or the first one), or null; the properties are the entity's
// type and attributes in the view's representation.
func (v *view) feature(e *ngsild.Entity) ngsild.Object {
	var geometry any
	if insts := e.Attrs[v.geometryProperty]; len(insts) > 0 {
		pick := insts[0]
		for _, a := range insts {
			if a.DatasetID == "" {
				pick = a
				break
			}
		}
		if pick.Type == ngsild.TypeGeoProperty {
			geometry = pick.Value
		}
	}
	var props ngsild.Object
	for _, m := range v.render(e) {
		if m.Key != "id" {
			props = append(props, m)
		}
	}
	if props == nil {
		props = ngsild.Object{}
	}
	return ngsild.Object{
		{Key: "id", Value: e.ID},
		{Key: "type", Value: "Feature"},
		{Key: "geometry", Value: geometry},
		{Key: "properties", Value: props},
	}
}

// contextValue is the @context shown in application/ld+json responses:
// the request's context URL followed by the core context, or the core
// context alone.
func (rc *reqContext) contextValue() any {
	if rc.linkURL != "" {
		return []any{rc.linkURL, jsonld.CoreContextURL}
	}
	if rc.ld != nil {
		if raw := rc.ld.Raw(); raw != nil {
			return raw
		}
	}
	return jsonld.CoreContextURL
}

// contextLink is the Link header of application/json responses (clause
// 6.3.6).
func (rc *reqContext) contextLink() string {
	target := rc.linkURL
	if target == "" {
		target = jsonld.CoreContextURL
	}
	return "<" + target + `>; rel="` + ldContextRel + `"; type="application/ld+json"`
}

// writeEntities writes one entity (asList false) or a list of entities in
// the negotiated media type.
func (s *Server) writeEntities(w http.ResponseWriter, rc *reqContext, status int, objs []ngsild.Object, asList bool) error {
	if rc.respType == mediaLDJSON {
		ctx := rc.contextValue()
		for i, o := range objs {
			objs[i] = append(ngsild.Object{{Key: "@context", Value: ctx}}, o...)
		}
	}
	var body any = objs
	if !asList {
		body = objs[0]
	}
	return s.writeBody(w, rc, status, body)
}

// writeBody writes a JSON body in the negotiated media type with the
// @context Link header when it is application/json.
func (s *Server) writeBody(w http.ResponseWriter, rc *reqContext, status int, body any) error {
	data, err := marshalJSON(body)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", rc.respType)
	if rc.respType == mediaJSON || rc.respType == mediaGeoJSON {
		h.Add("Link", rc.contextLink())
	}
	echoTenant(w, rc)
	w.WriteHeader(status)
	_, err = w.Write(data)
	return err
}

// withContext adds the @context member to a JSON object body (the
// type and attribute discovery documents) when the response is
// application/ld+json.
func withContext(rc *reqContext, obj ngsild.Object) ngsild.Object {
	if rc.respType != mediaLDJSON {
		return obj
	}
	return append(ngsild.Object{{Key: "@context", Value: rc.contextValue()}}, obj...)
}

// compactAll compacts and sorts a list of IRIs.
func compactAll(c *jsonld.Context, iris []string) []string {
	out := make([]string, len(iris))
	for i, iri := range iris {
		out[i] = c.CompactIRI(iri)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// marshalJSON encodes a response body without escaping '<', '>' and '&'
// (entity values are data, not HTML), ending with a newline.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func joinList(v []string) string             { return strings.Join(v, ",") }
func joinWith(v []string, sep string) string { return strings.Join(v, sep) }
