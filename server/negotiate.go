package server

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/opentid/opentid/server/jsonld"
	"github.com/opentid/opentid/spec"
)

// Media types of the NGSI-LD HTTP binding (clause 6.3.4 and 6.3.6).
const (
	mediaJSON       = "application/json"
	mediaLDJSON     = "application/ld+json"
	mediaMergePatch = "application/merge-patch+json"
	mediaGeoJSON    = "application/geo+json"
)

// ldContextRel is the Link relation of a JSON-LD @context (clause 6.3.5).
const ldContextRel = "http://www.w3.org/ns/json-ld#context"

// tenantHeader selects the tenant (clause 6.3.14).
const tenantHeader = "NGSILD-Tenant"

// tenantPattern bounds tenant names to what is safe in logs, file names
// and URLs.
var tenantPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$`)

// tenantOf returns the request's tenant, store.DefaultTenant without the
// header.
func tenantOf(r *http.Request) (string, error) {
	t := strings.TrimSpace(r.Header.Get(tenantHeader))
	if t == "" {
		return "", nil
	}
	if !tenantPattern.MatchString(t) {
		return "", problemf(spec.ProblemBadRequestData, "invalid %s %q: letters, digits, '_', '-' and '.' only, 64 characters at most", tenantHeader, t)
	}
	return t, nil
}

// reqContext is what a handler knows of a request after negotiation: its
// tenant, its @context and the media type of the response.
type reqContext struct {
	tenant string
	ld     *jsonld.Context
	// linkURL is the @context URL of the Link header, "" without one.
	linkURL string
	// respType is the negotiated response media type.
	respType string
}

// readContext negotiates a request without a body (GET, DELETE): the
// @context comes from the Link header, or is the core context alone.
func (s *Server) readContext(r *http.Request) (*reqContext, error) {
	tenant, err := tenantOf(r)
	if err != nil {
		return nil, err
	}
	link, err := linkContextURL(r)
	if err != nil {
		return nil, err
	}
	rc := &reqContext{tenant: tenant, linkURL: link, respType: negotiateAccept(r.Header.Get("Accept"))}
	if link == "" {
		rc.ld = s.ld.Core()
		return rc, nil
	}
	rc.ld, err = s.ld.Context(r.Context(), link)
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// writeContext negotiates a request with a JSON body and decodes the body
// (numbers as json.Number). With application/ld+json the @context is the
// body's own @context member, mandatory, and a Link header is an error;
// otherwise it comes from the Link header and the body must not carry one
// (clause 6.3.5). The @context member is removed from the returned body.
// For an array body (batch operations) with application/ld+json, every
// item carries its own @context: contextOfItem resolves them.
func (s *Server) writeContext(r *http.Request) (*reqContext, any, error) {
	tenant, err := tenantOf(r)
	if err != nil {
		return nil, nil, err
	}
	body, err := decodeBody(r)
	if err != nil {
		return nil, nil, err
	}
	link, err := linkContextURL(r)
	if err != nil {
		return nil, nil, err
	}
	rc := &reqContext{tenant: tenant, linkURL: link, respType: negotiateAccept(r.Header.Get("Accept"))}
	ctype := mediaType(r.Header.Get("Content-Type"))
	if ctype == mediaLDJSON {
		if link != "" {
			return nil, nil, problemf(spec.ProblemBadRequestData, "a JSON-LD Link header must not be sent with Content-Type application/ld+json: the @context belongs in the body")
		}
		if _, isArray := body.([]any); isArray {
			return rc, body, nil // per-item contexts
		}
		obj, ok := body.(map[string]any)
		if !ok {
			return rc, body, nil
		}
		raw, has := obj["@context"]
		if !has {
			return nil, nil, problemf(spec.ProblemBadRequestData, "a body sent as application/ld+json must carry an @context member")
		}
		delete(obj, "@context")
		rc.ld, err = s.ld.Context(r.Context(), raw)
		return rc, body, err
	}
	if obj, ok := body.(map[string]any); ok {
		if _, has := obj["@context"]; has {
			return nil, nil, problemf(spec.ProblemBadRequestData, "an @context member requires Content-Type application/ld+json; with %s send the @context in a Link header", ctype)
		}
	}
	if link == "" {
		rc.ld = s.ld.Core()
	} else if rc.ld, err = s.ld.Context(r.Context(), link); err != nil {
		return nil, nil, err
	}
	return rc, body, nil
}

// contextOfItem returns the @context that applies to one item of a batch
// body, removing the item's @context member.
func (s *Server) contextOfItem(r *http.Request, rc *reqContext, item map[string]any) (*jsonld.Context, error) {
	if rc.ld != nil {
		if _, has := item["@context"]; has {
			return nil, problemf(spec.ProblemBadRequestData, "an @context member requires Content-Type application/ld+json")
		}
		return rc.ld, nil
	}
	raw, has := item["@context"]
	if !has {
		return nil, problemf(spec.ProblemBadRequestData, "each entity sent as application/ld+json must carry an @context member")
	}
	delete(item, "@context")
	return s.ld.Context(r.Context(), raw)
}

// decodeBody reads a JSON body. A body that is not JSON is an
// InvalidRequest (clause 5.5.2); numbers are kept as json.Number. A body
// the validator decoded is taken from the request's context, once.
func decodeBody(r *http.Request) (any, error) {
	if d, ok := r.Context().Value(decodedBodyKey{}).(*decodedBody); ok && d.v != nil {
		v := d.v
		d.v = nil
		return v, nil
	}
	// Decoded as it is read: the body is not kept whole beside the
	// decoder's own buffer.
	body := &readErrors{r: r.Body}
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	if err == nil && dec.More() {
		err = errors.New("data after the top-level value")
	}
	if body.err != nil {
		// The body could not be read: too large, or the connection failed.
		var tooBig *http.MaxBytesError
		if errors.As(body.err, &tooBig) {
			return nil, problemf(spec.ProblemBadRequestData, "request body larger than %d bytes", tooBig.Limit)
		}
		return nil, problemf(spec.ProblemInvalidRequest, "cannot read the request body: %v", body.err)
	}
	switch {
	case errors.Is(err, io.EOF):
		return nil, problemf(spec.ProblemInvalidRequest, "the request body is empty")
	case err != nil:
		return nil, problemf(spec.ProblemInvalidRequest, "the request body is not valid JSON: %v", err)
	}
	return v, nil
}

// readErrors is a reader that keeps the first error of r other than
// io.EOF: the decoder reports a read error as a syntax error at times.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// linkContextURL returns the URL of the JSON-LD context Link header, ""
// if there is none. Two such links are an error.
func linkContextURL(r *http.Request) (string, error) {
	var found []string
	for _, header := range r.Header.Values("Link") {
		for _, link := range splitLinks(header) {
			target, params, ok := parseLink(link)
			if !ok {
				return "", problemf(spec.ProblemBadRequestData, "malformed Link header %q", link)
			}
			if params["rel"] == ldContextRel {
				found = append(found, target)
			}
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		if !isAbsoluteURI(found[0]) {
			return "", problemf(spec.ProblemBadRequestData, "the @context Link target %q is not an absolute URL", found[0])
		}
		return found[0], nil
	default:
		return "", problemf(spec.ProblemBadRequestData, "more than one JSON-LD @context Link header")
	}
}

// splitLinks splits a Link header value at the commas that separate links
// (not those inside <...> or quoted strings).
func splitLinks(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	out = append(out, v[start:])
	trimmed := out[:0]
	for _, l := range out {
		if l = strings.TrimSpace(l); l != "" {
			trimmed = append(trimmed, l)
		}
	}
	return trimmed
}

// parseLink parses `<target>; name=value; name="value"` (RFC 8288).
func parseLink(link string) (string, map[string]string, bool) {
	if !strings.HasPrefix(link, "<") {
		return "", nil, false
	}
	end := strings.IndexByte(link, '>')
	if end < 0 {
		return "", nil, false
	}
	target := strings.TrimSpace(link[1:end])
	params := map[string]string{}
	for _, p := range strings.Split(link[end+1:], ";") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, value, _ := strings.Cut(p, "=")
		params[strings.ToLower(strings.TrimSpace(name))] = strings.Trim(strings.TrimSpace(value), `"`)
	}
	return target, params, true
}

// isAbsoluteURI reports whether s starts with a URI scheme (RFC 3986).
func isAbsoluteURI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i < 1 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (j == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return i < len(s)-1
}

// mediaType returns the lower-case media type of a Content-Type value
// without its parameters, "" when absent or malformed.
func mediaType(v string) string {
	if v == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return mt
}

// acceptRange is one media range of an Accept header.
type acceptRange struct {
	typ string
	q   float64
}

func parseAccept(v string) []acceptRange {
	var out []acceptRange
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		q := 1.0
		if qs, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(qs, 64); err == nil {
				q = f
			}
		}
		out = append(out, acceptRange{typ: mt, q: q})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].q > out[j].q })
	return out
}

// negotiate picks, among offered (in order of preference), the type the
// Accept header likes best; "" when none is acceptable. No Accept header
// accepts the first offer.
func negotiate(accept string, offered []string) string {
	if strings.TrimSpace(accept) == "" {
		return offered[0]
	}
	best, bestQ := "", 0.0
	for _, o := range offered {
		for _, ar := range parseAccept(accept) {
			if ar.q <= 0 || !mediaMatches(ar.typ, o) {
				continue
			}
			if ar.q > bestQ {
				best, bestQ = o, ar.q
			}
			break
		}
	}
	return best
}

func mediaMatches(rng, typ string) bool {
	if rng == "*/*" || rng == typ {
		return true
	}
	if strings.HasSuffix(rng, "/*") {
		return strings.HasPrefix(typ, strings.TrimSuffix(rng, "*"))
	}
	return false
}

// entityMediaTypes are the representations of entities this server
// produces, in order of preference.
var entityMediaTypes = []string{mediaJSON, mediaLDJSON}

// negotiateAccept returns the response media type of an entity
// representation; the validator has already refused unacceptable requests.
func negotiateAccept(accept string) string {
	if t := negotiate(accept, entityMediaTypes); t != "" {
		return t
	}
	return mediaJSON
}

// wantsGeoJSON reports whether the Accept header prefers GeoJSON to the
// JSON representations of entities (clause 4.5.16).
func wantsGeoJSON(r *http.Request) bool {
	return negotiate(r.Header.Get("Accept"), []string{mediaJSON, mediaLDJSON, mediaGeoJSON}) == mediaGeoJSON
}

// as returns a copy of rc that answers in media type t.
func (rc *reqContext) as(t string) *reqContext {
	c := *rc
	c.respType = t
	return &c
}
