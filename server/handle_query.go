package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/server/ngsild"
	"github.com/opentid/opentid/server/query"
	"github.com/opentid/opentid/server/store"
	"github.com/opentid/opentid/spec"
)

// queryInput holds the filters of a query, from the parameters of GET
// /entities or from the Query body of POST /entityOperations/query.
type queryInput struct {
	ids         []string
	idPattern   string
	types       string
	attrs       []string
	q           string
	scopeQ      string
	georel      string
	geometry    string
	coordinates string
	geoproperty string
	// selectors are alternatives of a Query body that do not fold into
	// ids, idPattern and types (selectorsInto).
	selectors []entitySelector
}

// queryInputOf reads the filters of a query from its URL parameters.
func queryInputOf(qp url.Values) queryInput {
	return queryInput{
		ids:         splitList(qp.Get("id")),
		idPattern:   qp.Get("idPattern"),
		types:       qp.Get("type"),
		attrs:       splitList(qp.Get("attrs")),
		q:           qp.Get("q"),
		scopeQ:      qp.Get("scopeQ"),
		georel:      qp.Get("georel"),
		geometry:    qp.Get("geometry"),
		coordinates: qp.Get("coordinates"),
		geoproperty: qp.Get("geoproperty"),
	}
}

// buildQuery parses and checks the filters. Names are expanded with the
// request's @context.
func (s *Server) buildQuery(ld *jsonld.Context, in queryInput) (store.EntityQuery, error) {
	q := store.EntityQuery{IDs: in.ids, IDPattern: in.idPattern}
	for _, id := range q.IDs {
		if !isAbsoluteURI(id) {
			return q, problemf(spec.ProblemBadRequestData, "id %q is not a URI", id)
		}
	}
	if q.IDPattern != "" {
		if _, err := regexp.Compile(q.IDPattern); err != nil {
			return q, problemf(spec.ProblemBadRequestData, "idPattern is not a valid regular expression: %v", err)
		}
	}
	for _, sel := range in.selectors {
		s := store.EntitySelector{ID: sel.ID, IDPattern: sel.IDPattern}
		if s.ID != "" && !isAbsoluteURI(s.ID) {
			return q, problemf(spec.ProblemBadRequestData, "id %q is not a URI", s.ID)
		}
		if s.IDPattern != "" {
			if _, err := regexp.Compile(s.IDPattern); err != nil {
				return q, problemf(spec.ProblemBadRequestData, "idPattern is not a valid regular expression: %v", err)
			}
		}
		if sel.Type != "" {
			var err error
			if s.TypeExpr, err = query.ParseTypeExpr(sel.Type, ld.ExpandTerm); err != nil {
				return q, syntaxProblem(err)
			}
		}
		q.Selectors = append(q.Selectors, s)
	}
	for _, a := range in.attrs {
		q.Attrs = append(q.Attrs, ld.ExpandTerm(a))
	}
	var err error
	if in.types != "" {
		if q.TypeExpr, err = query.ParseTypeExpr(in.types, ld.ExpandTerm); err != nil {
			return q, syntaxProblem(err)
		}
	}
	if in.q != "" {
		if q.Q, err = query.ParseQ(in.q, ld.ExpandTerm); err != nil {
			return q, syntaxProblem(err)
		}
	}
	if in.scopeQ != "" {
		if q.ScopeQ, err = query.ParseScopeQ(in.scopeQ); err != nil {
			return q, syntaxProblem(err)
		}
	}
	if in.georel != "" || in.geometry != "" || in.coordinates != "" || in.geoproperty != "" {
		if q.Geo, err = query.ParseGeoQuery(in.georel, in.geometry, in.coordinates, in.geoproperty, ld.ExpandTerm); err != nil {
			return q, syntaxProblem(err)
		}
	}
	if len(q.IDs) == 0 && q.IDPattern == "" && q.TypeExpr == nil && len(q.Selectors) == 0 && len(q.Attrs) == 0 && q.Q == nil && q.ScopeQ == nil && q.Geo == nil {
		return q, problemf(spec.ProblemBadRequestData, "a query needs at least one of type, id, idPattern, attrs, q, scopeQ or a geo-query")
	}
	return q, nil
}

// syntaxProblem turns a parse error of the query package into a 400 whose
// detail gives the parameter and the position.
func syntaxProblem(err error) error {
	var se *query.SyntaxError
	if errors.As(err, &se) {
		e := problemf(spec.ProblemBadRequestData, "%s", se.Error())
		e.errs = []fieldError{{Parameter: se.Param, Detail: se.Msg + " (at position " + strconv.Itoa(se.Pos) + ")"}}
		return e
	}
	return problemf(spec.ProblemBadRequestData, "%s", err.Error())
}

// runQuery runs a query and writes the page of entities: as JSON,
// JSON-LD or a GeoJSON FeatureCollection, with the count and paging
// headers.
func (s *Server) runQuery(w http.ResponseWriter, r *http.Request, rc *reqContext, in queryInput) error {
	qp := r.URL.Query()
	view, err := s.viewOptions(r, rc)
	if err != nil {
		return err
	}
	q, err := s.buildQuery(rc.ld, in)
	if err != nil {
		return err
	}
	q.Count = qp.Get("count") == "true"
	if q.Limit, q.Offset, err = s.paging(qp.Get("limit"), qp.Get("offset"), q.Count); err != nil {
		return err
	}
	if ob := qp.Get("orderBy"); ob != "" {
		if q.OrderBy, err = query.ParseOrderBy(ob, rc.ld.ExpandTerm); err != nil {
			return syntaxProblem(err)
		}
	}
	var res store.QueryResult
	err = s.store.View(r.Context(), rc.tenant, func(rd store.Reader) error {
		var err error
		res, err = rd.Query(q)
		return err
	})
	if err != nil {
		return err
	}
	if q.Count {
		w.Header().Set("NGSILD-Results-Count", strconv.Itoa(res.Total))
	}
	addPageLinks(w, r, q.Offset, q.Limit, len(res.Entities), res.Total, q.Count)
	if wantsGeoJSON(r) {
		features := make([]ngsild.Object, len(res.Entities))
		for i, e := range res.Entities {
			features[i] = view.feature(e)
		}
		return s.writeBody(w, rc.as(mediaGeoJSON), http.StatusOK, ngsild.Object{
			{Key: "type", Value: "FeatureCollection"},
			{Key: "features", Value: features},
		})
	}
	objs := make([]ngsild.Object, len(res.Entities))
	for i, e := range res.Entities {
		objs[i] = view.render(e)
	}
	return s.writeEntities(w, rc, http.StatusOK, objs, true)
}

// queryBody is the Query data type of clause 5.2.23.
type queryBody struct {
	Type     string           `json:"type"`
	Entities []entitySelector `json:"entities"`
	Attrs    []string         `json:"attrs"`
	Pick     []string         `json:"pick"`
	Omit     []string         `json:"omit"`
	Q        string           `json:"q"`
	GeoQ     *geoQueryBody    `json:"geoQ"`
	ScopeQ   string           `json:"scopeQ"`
	Lang     string           `json:"lang"`
}

type entitySelector struct {
	ID        string `json:"id"`
	IDPattern string `json:"idPattern"`
	Type      string `json:"type"`
}

type geoQueryBody struct {
	Geometry    string          `json:"geometry"`
	Coordinates json.RawMessage `json:"coordinates"`
	Georel      string          `json:"georel"`
	GeoProperty string          `json:"geoproperty"`
}

// handleQueryPost: POST /entityOperations/query (clause 5.7.2, 6.23).
func (s *Server) handleQueryPost(w http.ResponseWriter, r *http.Request) error {
	rc, in, _, err := s.queryFromBody(r)
	if err != nil {
		return err
	}
	return s.runQuery(w, r, rc, in)
}

// queryFromBody reads the Query body of a POST query: its filters, and
// its projection and language, which become query parameters of r. It
// returns the body as JSON too, for the members of other Query kinds.
func (s *Server) queryFromBody(r *http.Request) (*reqContext, queryInput, []byte, error) {
	var in queryInput
	rc, body, err := s.writeContext(r)
	if err != nil {
		return nil, in, nil, err
	}
	var qb queryBody
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, in, nil, err
	}
	if err := json.Unmarshal(raw, &qb); err != nil {
		return nil, in, nil, problemf(spec.ProblemBadRequestData, "malformed Query: %v", err)
	}
	if qb.Type != "Query" {
		return nil, in, nil, problemf(spec.ProblemBadRequestData, `the body must be a Query ("type": "Query")`)
	}
	in = queryInput{attrs: qb.Attrs, q: qb.Q, scopeQ: qb.ScopeQ}
	selectorsInto(&in, qb.Entities)
	if g := qb.GeoQ; g != nil {
		in.georel, in.geometry, in.geoproperty = g.Georel, g.Geometry, g.GeoProperty
		in.coordinates = string(g.Coordinates)
		var text string
		if json.Unmarshal(g.Coordinates, &text) == nil {
			in.coordinates = text // coordinates given as the text of a JSON array
		}
	}
	// The body's projection and language become the view's.
	params := r.URL.Query()
	setList := func(name string, v []string) {
		if len(v) > 0 {
			params.Set(name, strings.Join(v, ","))
		}
	}
	setList("attrs", qb.Attrs)
	setList("pick", qb.Pick)
	setList("omit", qb.Omit)
	if qb.Lang != "" {
		params.Set("lang", qb.Lang)
	}
	r.URL.RawQuery = params.Encode()
	return rc, in, raw, nil
}

// selectorsInto maps the entity selectors of a Query, which are
// alternatives. One selector gives the id, idPattern and type filters;
// several that each give only an id, or each only a type, become a list
// of ids or a disjunction of types; any other list stays a list of
// alternatives (store.EntityQuery.Selectors).
func selectorsInto(in *queryInput, sels []entitySelector) {
	switch len(sels) {
	case 0:
		return
	case 1:
		sel := sels[0]
		if sel.ID != "" {
			in.ids = []string{sel.ID}
		}
		in.idPattern, in.types = sel.IDPattern, sel.Type
		return
	}
	var ids, types []string
	for _, sel := range sels {
		switch {
		case sel.ID != "" && sel.IDPattern == "" && sel.Type == "":
			ids = append(ids, sel.ID)
		case sel.Type != "" && sel.ID == "" && sel.IDPattern == "":
			types = append(types, "("+sel.Type+")")
		default:
			in.selectors = sels
			return
		}
	}
	if len(ids) > 0 && len(types) > 0 {
		in.selectors = sels
		return
	}
	in.ids = ids
	if len(types) > 0 {
		in.types = strings.Join(types, "|")
	}
}
