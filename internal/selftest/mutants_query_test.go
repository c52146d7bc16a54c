package selftest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/opentid/opentid/spec"
)

// queryMutants break the requirements of the classes query and geo.
func queryMutants() []mutant {
	qr := func(name string) spec.ReqID { return spec.ReqID("/req/query/" + name) }
	geo := func(name string) spec.ReqID { return spec.ReqID("/req/geo/" + name) }
	query := route(get, pEntities)
	withParam := func(key string) matcher { return and(query, hasQuery(key, "")) }
	postQuery := route(post, "/entityOperations/query")
	acceptsGeoJSON := func(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), "geo+json") }
	return []mutant{
		// The q language.
		{"q ignored", qr("q-compare"), dropQuery(query, "q", "")},
		{"range bounds exclusive", qr("q-range"), editParam(query, "q", func(q string) string {
			return rangeRE.ReplaceAllString(q, "($1>$2;$1<$3)")
		})},
		{"lists keep their first value", qr("q-list"), editParam(query, "q", func(q string) string {
			return listRE.ReplaceAllString(q, "$1$2")
		})},
		{"~= read as ==", qr("q-regex"), editParam(query, "q", func(q string) string { return strings.ReplaceAll(q, "~=", "==") })},
		{"| read as ;", qr("q-logic"), editParam(query, "q", func(q string) string { return strings.ReplaceAll(q, "|", ";") })},
		{"literal ; splits q", qr("q-semicolon"), splitAtSemicolons("q", "type", "scopeQ", "orderBy")},
		{"an attribute alone read as ==true", qr("q-existence"), editParam(query, "q", func(q string) string {
			return bareAttrRE.ReplaceAllString(q, "$1==true")
		})},
		{"missing attributes satisfy !=", qr("q-missing"), missingSatisfiesUnequal},
		{"numbers equal their text", qr("q-type-mismatch"), editParam(query, "q", func(q string) string {
			return numberEqRE.ReplaceAllString(q, `==$1,"$1"$3`)
		})},
		{"quoted strings lower-cased", qr("q-strings"), editParam(query, "q", func(q string) string {
			if strings.Contains(q, `"`) {
				return strings.ToLower(q)
			}
			return q
		})},
		{"date-times compared as text", qr("q-datetime"), editParam(query, "q", func(q string) string {
			return dateTimeRE.ReplaceAllString(q, `$1"$2"`)
		})},
		{"sub-attribute paths read the attribute", qr("q-subattr"), editParam(query, "q", func(q string) string {
			return subAttrRE.ReplaceAllStringFunc(q, func(m string) string {
				if name := m[2:]; name == "observedAt" || name == "createdAt" || name == "modifiedAt" || name == "unitCode" || name == "datasetId" {
					return m
				}
				return m[:1]
			})
		})},
		{"JSON paths ignored", qr("q-json-path"), editParam(query, "q", func(q string) string { return jsonPathRE.ReplaceAllString(q, "") })},
		{"q errors without a position", qr("q-syntax-error"), onResponse(withParam("q"), func(_ *http.Request, c *captured) {
			if c.status == http.StatusBadRequest {
				var m map[string]any
				if json.Unmarshal(c.body, &m) == nil {
					m["detail"] = "malformed q"
					delete(m, "errors")
					c.body, _ = json.Marshal(m)
				}
			}
		})},

		// Types, scopes, projection, language.
		{"; in type selections read as |", qr("type-selection"), editParam(query, "type", func(s string) string { return strings.ReplaceAll(s, ";", "|") })},
		{"only the first type returned", qr("multi-type"), editJSON(route(get, pEntity), eachEntity(func(e map[string]any) {
			if types, ok := e["type"].([]any); ok && len(types) > 0 {
				e["type"] = types[0]
			}
		}))},
		{"scopeQ # read as +", qr("scopeq"), editParam(query, "scopeQ", func(s string) string { return strings.ReplaceAll(s, "#", "+") })},
		{"pick ignored", qr("pick"), dropQuery(route(get, "(/entities|"+pEntity+")"), "pick", "")},
		{"omit ignored", qr("omit"), dropQuery(route(get, "(/entities|"+pEntity+")"), "omit", "")},
		{"lang ignored", qr("lang"), dropQuery(route(get, "(/entities|"+pEntity+")"), "lang", "")},

		// Ordering and pages.
		{"orderBy reversed", qr("order-by"), editJSON(withParam("orderBy"), func(v any) any {
			if list, ok := v.([]any); ok {
				slices.Reverse(list)
			}
			return v
		})},
		{"entities without the value first", qr("order-by-missing"), onResponse(withParam("orderBy"), func(r *http.Request, c *captured) {
			key, _, _ := strings.Cut(r.URL.Query().Get("orderBy"), ",")
			key, _, _ = strings.Cut(key, ";")
			var list []map[string]any
			if json.Unmarshal(c.body, &list) == nil {
				slices.SortStableFunc(list, func(a, b map[string]any) int {
					_, ha := a[key]
					_, hb := b[key]
					return boolRank(ha) - boolRank(hb)
				})
				c.body, _ = json.Marshal(list)
			}
		})},
		{"no next link", qr("page-links"), onResponse(query, func(_ *http.Request, c *captured) {
			links := c.header.Values("Link")
			c.header.Del("Link")
			for _, l := range links {
				if !strings.Contains(l, `rel="next"`) {
					c.header.Add("Link", l)
				}
			}
		})},
		{"TooManyResults answers 400", qr("too-many-results"), statusSwap(query, http.StatusForbidden, http.StatusBadRequest)},
		{"count off by one", qr("count-filtered"), onResponse(query, func(_ *http.Request, c *captured) {
			if n, err := strconv.Atoi(c.header.Get("NGSILD-Results-Count")); err == nil {
				c.header.Set("NGSILD-Results-Count", strconv.Itoa(n+1))
			}
		})},
		{"POST query ignores q", qr("post-query"), editBody(postQuery, deleteMember("q"))},
		{"POST query ignores pick", qr("post-query-projection"), editBody(postQuery, deleteMember("pick"))},
		{"POST query ignores the type of a selector that gives an id", qr("post-query"), editBody(postQuery, func(v any) any {
			if m, ok := v.(map[string]any); ok {
				if sels, ok := m["entities"].([]any); ok {
					for _, sel := range sels {
						if s, ok := sel.(map[string]any); ok && s["id"] != nil {
							delete(s, "type")
						}
					}
				}
			}
			return v
		})},

		// Geo-queries.
		{"maxDistance read as kilometres", geo("near-max"), editParam(query, "georel", func(s string) string {
			return maxDistanceRE.ReplaceAllString(s, "${1}000")
		})},
		{"minDistance read as maxDistance", geo("near-min"), editParam(query, "georel", func(s string) string {
			return strings.ReplaceAll(s, "minDistance", "maxDistance")
		})},
		{"near in planar degrees", geo("distance-sphere"), onRequest(withParam("georel"), nearInDegrees)},
		{"literal ; splits georel", geo("georel-semicolon"), splitAtSemicolons("georel")},
		{"within includes the boundary", geo("within"), editParam(query, "georel", swap("within", "intersects"))},
		{"polygon holes ignored", geo("polygon-holes"), editCoordinates(func(geometry string, c any) any {
			switch geometry {
			case "Polygon":
				return firstN(c, 1)
			case "MultiPolygon":
				list, _ := c.([]any)
				for i, p := range list {
					list[i] = firstN(p, 1)
				}
			}
			return c
		})},
		{"contains read as within", geo("contains"), editParam(query, "georel", swap("contains", "within"))},
		{"intersects read as within", geo("intersects"), editParam(query, "georel", swap("intersects", "within"))},
		{"disjoint answers nothing", geo("disjoint"), onResponse(and(query, hasQuery("georel", "disjoint")), func(_ *http.Request, c *captured) {
			if c.status == http.StatusOK {
				c.body = []byte("[]")
			}
		})},
		{"equals read as intersects", geo("equals"), editParam(query, "georel", swap("equals", "intersects"))},
		{"overlaps read as intersects", geo("overlaps"), editParam(query, "georel", swap("overlaps", "intersects"))},
		{"multi-geometries read their first part", geo("geometries"), editCoordinates(func(geometry string, c any) any {
			if strings.HasPrefix(geometry, "Multi") {
				return firstN(c, 1)
			}
			return c
		})},
		{"geoproperty ignored", geo("geoproperty"), dropQuery(query, "geoproperty", "")},
		{"malformed geo-queries answer an empty list", geo("invalid"), onResponse(withParam("georel"), func(_ *http.Request, c *captured) {
			if c.status == http.StatusBadRequest {
				c.status, c.body = http.StatusOK, []byte("[]")
				c.header.Set("Content-Type", "application/json")
			}
		})},
		{"POST query ignores geoQ", geo("post-geoq"), editBody(postQuery, deleteMember("geoQ"))},
		{"GeoJSON Feature without geometry", geo("geojson-entity"), editJSON(and(route(get, pEntity), acceptsGeoJSON), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				m["geometry"] = nil
			}
			return v
		})},
		{"FeatureCollection as a bare array", geo("geojson-collection"), editJSON(and(query, acceptsGeoJSON), func(v any) any {
			if m, ok := v.(map[string]any); ok {
				return m["features"]
			}
			return v
		})},
		{"geometryProperty ignored", geo("geometry-property"), dropQuery(route(get, "(/entities|"+pEntity+")"), "geometryProperty", "")},
	}
}

var (
	// rangeRE is a range term: path==lo..hi.
	rangeRE = regexp.MustCompile(`([A-Za-z][\w.\[\]]*)==([^.,;|()]+)\.\.([^,;|()]+)`)
	// listRE is a list term: ==v1,v2,... or !=v1,v2,...
	listRE = regexp.MustCompile(`(==|!=)("[^"]*"|[^,;|()"]+),[^;|()]+`)
	// bareAttrRE is a q made of one attribute name.
	bareAttrRE = regexp.MustCompile(`^([A-Za-z]\w*)$`)
	// numberEqRE is ==number at the end of a term.
	numberEqRE = regexp.MustCompile(`==(-?\d+(\.\d+)?)([;|)]|$)`)
	// dateTimeRE is an unquoted date-time literal after an operator.
	dateTimeRE = regexp.MustCompile(`([=<>])(\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)?)`)
	// subAttrRE is the last letter of a name followed by .name.
	subAttrRE = regexp.MustCompile(`[A-Za-z]\.[A-Za-z]\w*`)
	// jsonPathRE is a [key.key] path.
	jsonPathRE = regexp.MustCompile(`\[[^\]]*\]`)
	// maxDistanceRE is the number of maxDistance==number.
	maxDistanceRE = regexp.MustCompile(`(maxDistance==\d+)`)
	// unequalRE is a q made of one term path!=value.
	unequalRE = regexp.MustCompile(`^([A-Za-z]\w*)(\.\w+|\[[^\]]*\])?!~?=`)
)

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// editParam rewrites one query parameter of matching requests.
func editParam(m matcher, key string, fn func(string) string) wrapper {
	return onRequest(m, func(r *http.Request) {
		q := r.URL.Query()
		if v := q.Get(key); v != "" {
			q.Set(key, fn(v))
			r.URL.RawQuery = q.Encode()
		}
	})
}

func swap(from, to string) func(string) string {
	return func(s string) string {
		if s == from {
			return to
		}
		return s
	}
}

func deleteMember(name string) func(v any) any {
	return func(v any) any {
		if m, ok := v.(map[string]any); ok {
			delete(m, name)
		}
		return v
	}
}

// firstN keeps the first n elements of a JSON array.
func firstN(v any, n int) any {
	if list, ok := v.([]any); ok && len(list) > n {
		return list[:n]
	}
	return v
}

// editCoordinates rewrites the coordinates of the geo-queries of GET
// /entities.
func editCoordinates(fn func(geometry string, c any) any) wrapper {
	return onRequest(and(route(get, pEntities), hasQuery("coordinates", "")), func(r *http.Request) {
		q := r.URL.Query()
		var c any
		if json.Unmarshal([]byte(q.Get("coordinates")), &c) == nil {
			b, _ := json.Marshal(fn(q.Get("geometry"), c))
			q.Set("coordinates", string(b))
			r.URL.RawQuery = q.Encode()
		}
	})
}

// splitAtSemicolons reads a literal ';' in the values of these query
// parameters of GET /entities as a parameter separator, as query parsers
// that follow old HTML form rules do.
func splitAtSemicolons(keys ...string) wrapper {
	m := route(get, pEntities)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m(r) && strings.Contains(r.URL.RawQuery, ";") {
				parts := strings.Split(r.URL.RawQuery, "&")
				for i, p := range parts {
					k, _, _ := strings.Cut(p, "=")
					if slices.Contains(keys, k) {
						parts[i] = strings.ReplaceAll(p, ";", "&")
					}
				}
				r = r.Clone(r.Context())
				r.URL.RawQuery = strings.Join(parts, "&")
			}
			next.ServeHTTP(w, r)
		})
	}
}

// nearInDegrees replaces near;maxDistance==d around a point by within a
// circle of d/111,195 degrees drawn in the plane of longitude and
// latitude: distances measured in degrees, as if the Earth were flat.
func nearInDegrees(r *http.Request) {
	q := r.URL.Query()
	var d float64
	if _, err := fmt.Sscanf(q.Get("georel"), "near;maxDistance==%g", &d); err != nil || q.Get("geometry") != "Point" {
		return
	}
	var c []float64
	if json.Unmarshal([]byte(q.Get("coordinates")), &c) != nil || len(c) != 2 {
		return
	}
	radius := d / (2 * math.Pi * 6371008.8 / 360)
	var ring [][]float64
	for i := 0; i <= 64; i++ {
		a := 2 * math.Pi * float64(i%64) / 64
		ring = append(ring, []float64{c[0] + radius*math.Cos(a), c[1] + radius*math.Sin(a)})
	}
	b, _ := json.Marshal([][][]float64{ring})
	q.Set("georel", "within")
	q.Set("geometry", "Polygon")
	q.Set("coordinates", string(b))
	r.URL.RawQuery = q.Encode()
}

// missingSatisfiesUnequal makes a q made of one term path!=value (or
// path!~=value) also select the entities of the query that lack the
// attribute.
func missingSatisfiesUnequal(next http.Handler) http.Handler {
	m := withQ(route(get, pEntities))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		match := unequalRE.FindStringSubmatch(r.URL.Query().Get("q"))
		if !m(r) || match == nil {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		all := r.Clone(r.Context())
		q := r.URL.Query()
		q.Del("q")
		all.URL.RawQuery = q.Encode()
		recAll := httptest.NewRecorder()
		next.ServeHTTP(recAll, all)
		var got, every []map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &got) != nil || json.Unmarshal(recAll.Body.Bytes(), &every) != nil {
			copyResponse(w, rec)
			return
		}
		for _, e := range every {
			if _, has := e[match[1]]; !has {
				got = append(got, e)
			}
		}
		b, _ := json.Marshal(got)
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(b)
	})
}

func withQ(m matcher) matcher { return and(m, hasQuery("q", "")) }

func copyResponse(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())
}
