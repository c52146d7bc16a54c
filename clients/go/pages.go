package client

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// QueryEntitiesAll runs a query and yields the matching entities page by
// page, following the Link rel="next" header of each response (clause
// 5.5.9) until the last page. params.Limit sets the page size; params is
// not modified. The iteration stops at the first error, which it yields.
// The entities come as JSON or JSON-LD arrays, not as GeoJSON.
func (c *ClientWithResponses) QueryEntitiesAll(ctx context.Context, params *QueryEntitiesParams, reqEditors ...RequestEditorFn) iter.Seq2[Entity, error] {
	var p QueryEntitiesParams
	if params != nil {
		p = *params
	}
	return pages(p.Offset, p.Limit, func(offset, limit *int) ([]Entity, *http.Response, error) {
		p.Offset, p.Limit = offset, limit
		r, err := c.QueryEntitiesWithResponse(ctx, &p, reqEditors...)
		if err := Check(r, err, http.StatusOK); err != nil {
			return nil, nil, err
		}
		return entityArray(r.HTTPResponse, r.JSON200, r.ApplicationldJSON200)
	})
}

// QueryEntitiesPostAll is QueryEntitiesAll for a query given as a Query
// body (POST /entityOperations/query).
func (c *ClientWithResponses) QueryEntitiesPostAll(ctx context.Context, params *QueryEntitiesPostParams, body Query, reqEditors ...RequestEditorFn) iter.Seq2[Entity, error] {
	var p QueryEntitiesPostParams
	if params != nil {
		p = *params
	}
	return pages(p.Offset, p.Limit, func(offset, limit *int) ([]Entity, *http.Response, error) {
		p.Offset, p.Limit = offset, limit
		r, err := c.QueryEntitiesPostWithResponse(ctx, &p, body, reqEditors...)
		if err := Check(r, err, http.StatusOK); err != nil {
			return nil, nil, err
		}
		return entityArray(r.HTTPResponse, r.JSON200, r.ApplicationldJSON200)
	})
}

// entityArray returns the decoded page of a query response.
func entityArray(resp *http.Response, arrays ...*EntityArray) ([]Entity, *http.Response, error) {
	for _, a := range arrays {
		if a != nil {
			return *a, resp, nil
		}
	}
	return nil, nil, fmt.Errorf("ngsi-ld: query response of type %q is not an entity array", resp.Header.Get("Content-Type"))
}

// pages yields the entities of successive pages. fetch gets the page at
// offset with limit (nil for the server's defaults); the next page is
// the one named by the rel="next" link of the response.
func pages(offset, limit *int, fetch func(offset, limit *int) ([]Entity, *http.Response, error)) iter.Seq2[Entity, error] {
	return func(yield func(Entity, error) bool) {
		for {
			page, resp, err := fetch(offset, limit)
			if err != nil {
				yield(Entity{}, err)
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			next, ok := NextPage(resp)
			if !ok {
				return
			}
			if offset, limit, err = pageOf(next); err != nil {
				yield(Entity{}, err)
				return
			}
		}
	}
}

// pageOf reads the offset and limit of a page link.
func pageOf(link *url.URL) (offset, limit *int, err error) {
	q := link.Query()
	read := func(name string) (*int, error) {
		s := q.Get(name)
		if s == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("ngsi-ld: next page link %q: bad %s", link, name)
		}
		return &n, nil
	}
	if offset, err = read("offset"); err != nil {
		return nil, nil, err
	}
	if limit, err = read("limit"); err != nil {
		return nil, nil, err
	}
	return offset, limit, nil
}

// NextPage returns the target of the Link rel="next" header of a query
// response, resolved against the request URL, and whether there is one.
func NextPage(resp *http.Response) (*url.URL, bool) {
	for _, l := range links(resp.Header) {
		if !l.hasRel("next") {
			continue
		}
		u, err := url.Parse(l.target)
		if err != nil {
			return nil, false
		}
		if resp.Request != nil && resp.Request.URL != nil {
			u = resp.Request.URL.ResolveReference(u)
		}
		return u, true
	}
	return nil, false
}

// link is one link of a Link header (RFC 8288): a target and its
// parameters, with parameter names in lower case.
type link struct {
	target string
	params map[string]string
}

func (l link) hasRel(rel string) bool {
	return slices.ContainsFunc(strings.Fields(l.params["rel"]), func(r string) bool { return strings.EqualFold(r, rel) })
}

// links parses every Link header of h. Malformed links are skipped.
func links(h http.Header) []link {
	var out []link
	for _, v := range h.Values("Link") {
		for v = strings.TrimSpace(v); strings.HasPrefix(v, "<"); v = strings.TrimSpace(v) {
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			l := link{target: v[1:end], params: map[string]string{}}
			v = v[end+1:]
			v = parseLinkParams(v, l.params)
			out = append(out, l)
			v = strings.TrimPrefix(strings.TrimSpace(v), ",")
		}
	}
	return out
}

// parseLinkParams reads `; name="value"` or `; name=value` pairs into
// params and returns what follows them (the next link, if any).
func parseLinkParams(v string, params map[string]string) string {
	for {
		v = strings.TrimSpace(v)
		if !strings.HasPrefix(v, ";") {
			return v
		}
		v = strings.TrimSpace(v[1:])
		eq := strings.IndexAny(v, "=;,")
		if eq < 0 || v[eq] != '=' {
			name := v
			if eq >= 0 {
				name = v[:eq]
				v = v[eq:]
			} else {
				v = ""
			}
			params[strings.ToLower(strings.TrimSpace(name))] = ""
			continue
		}
		name := strings.ToLower(strings.TrimSpace(v[:eq]))
		v = strings.TrimSpace(v[eq+1:])
		var value string
		if strings.HasPrefix(v, `"`) {
			end := strings.IndexByte(v[1:], '"')
			if end < 0 {
				value, v = v[1:], ""
			} else {
				value, v = v[1:end+1], v[end+2:]
			}
		} else {
			end := strings.IndexAny(v, ";,")
			if end < 0 {
				end = len(v)
			}
			value, v = strings.TrimSpace(v[:end]), v[end:]
		}
		params[name] = value
	}
}
