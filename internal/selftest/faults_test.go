package selftest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
)

// This file holds the fault-injection toolkit the mutants are built from:
// wrappers around a handler that change one request or one response.

// wrapper turns a handler into a broken variant of it.
type wrapper func(next http.Handler) http.Handler

// matcher selects the requests a fault applies to.
type matcher func(r *http.Request) bool

const apiBase = "/ngsi-ld/v1"

// route matches a method ("" for any) and a path regular expression
// relative to the API base, anchored at both ends.
func route(method, pathRE string) matcher {
	re := regexp.MustCompile("^" + apiBase + pathRE + "$")
	return func(r *http.Request) bool {
		return (method == "" || r.Method == method) && re.MatchString(r.URL.Path)
	}
}

func and(ms ...matcher) matcher {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if !m(r) {
				return false
			}
		}
		return true
	}
}

func hasQuery(key, value string) matcher {
	return func(r *http.Request) bool {
		for _, v := range r.URL.Query()[key] {
			for _, part := range strings.Split(v, ",") {
				if value == "" || part == value {
					return true
				}
			}
		}
		return false
	}
}

func hasHeader(key string) matcher {
	return func(r *http.Request) bool { return r.Header.Get(key) != "" }
}

func contentType(mt string) matcher {
	return func(r *http.Request) bool { return strings.HasPrefix(r.Header.Get("Content-Type"), mt) }
}

// Paths used by the mutants.
const (
	pEntities = "/entities"
	pEntity   = "/entities/[^/]+"
	pAttrs    = "/entities/[^/]+/attrs"
	pAttr     = "/entities/[^/]+/attrs/[^/]+"
)

// onRequest changes matching requests before the handler sees them.
func onRequest(m matcher, edit func(r *http.Request)) wrapper {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m(r) {
				r = r.Clone(r.Context())
				// Literal ';' belong to NGSI-LD values (q, georel): encode
				// them so that Go's query parser keeps those parameters.
				r.URL.RawQuery = strings.ReplaceAll(r.URL.RawQuery, ";", "%3B")
				r.URL.RawQuery = r.URL.Query().Encode()
				edit(r)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// reply answers matching requests itself, without the handler.
func reply(m matcher, status int, header http.Header, body string) wrapper {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !m(r) {
				next.ServeHTTP(w, r)
				return
			}
			for k, vs := range header {
				w.Header()[k] = vs
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		})
	}
}

// captured is a response held back so that a fault can change it.
type captured struct {
	status int
	header http.Header
	body   []byte
}

// onResponse changes the responses to matching requests.
func onResponse(m matcher, edit func(r *http.Request, c *captured)) wrapper {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !m(r) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			c := &captured{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
			edit(r, c)
			for k, vs := range c.header {
				w.Header()[k] = vs
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(c.body)))
			w.WriteHeader(c.status)
			_, _ = w.Write(c.body)
		})
	}
}

// statusSwap changes a status into another.
func statusSwap(m matcher, from, to int) wrapper {
	return onResponse(m, func(_ *http.Request, c *captured) {
		if c.status == from {
			c.status = to
			if to == http.StatusNoContent {
				c.body = nil
				c.header.Del("Content-Type")
			}
		}
	})
}

// dropQuery removes a query parameter (or one value of a comma-separated
// parameter when value is not empty).
func dropQuery(m matcher, key, value string) wrapper {
	return onRequest(m, func(r *http.Request) {
		q := r.URL.Query()
		if value == "" {
			q.Del(key)
		} else {
			var keep []string
			for _, v := range q[key] {
				for _, part := range strings.Split(v, ",") {
					if part != value {
						keep = append(keep, part)
					}
				}
			}
			q.Del(key)
			if len(keep) > 0 {
				q.Set(key, strings.Join(keep, ","))
			}
		}
		r.URL.RawQuery = q.Encode()
	})
}

// editBody rewrites the JSON body of matching requests.
func editBody(m matcher, fn func(v any) any) wrapper {
	return onRequest(m, func(r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v any
		if json.Unmarshal(b, &v) == nil {
			b, _ = json.Marshal(fn(v))
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	})
}

// editJSON rewrites the JSON body of the responses to matching requests.
func editJSON(m matcher, fn func(v any) any) wrapper {
	return onResponse(m, func(_ *http.Request, c *captured) {
		var v any
		if json.Unmarshal(c.body, &v) == nil {
			c.body, _ = json.Marshal(fn(v))
		}
	})
}

// eachEntity applies fn to an entity object or to each entity of an array.
func eachEntity(fn func(e map[string]any)) func(v any) any {
	return func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			fn(x)
		case []any:
			for _, e := range x {
				if m, ok := e.(map[string]any); ok {
					fn(m)
				}
			}
		}
		return v
	}
}

// eachAttr applies fn to every attribute object of the entities.
func eachAttr(fn func(a map[string]any)) func(v any) any {
	return eachEntity(func(e map[string]any) {
		for k, v := range e {
			if a, ok := v.(map[string]any); ok && k != "@context" {
				fn(a)
			}
		}
	})
}

// problem renders a ProblemDetails body.
func problem(typ string, status int) string {
	b, _ := json.Marshal(map[string]any{"type": "https://uri.etsi.org/ngsi-ld/errors/" + typ, "title": typ, "status": status})
	return string(b)
}

var problemHeader = http.Header{"Content-Type": {"application/json"}}
