package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Header names the suite uses.
const (
	HeaderTenant       = "NGSILD-Tenant"
	HeaderResultsCount = "NGSILD-Results-Count"
	jsonldContextRel   = "http://www.w3.org/ns/json-ld#context"
)

// Media types.
const (
	MediaJSON   = "application/json"
	MediaJSONLD = "application/ld+json"
	MediaMerge  = "application/merge-patch+json"
)

// maxTranscriptBody bounds the bodies kept in a transcript.
const maxTranscriptBody = 64 << 10

// maxResponseBody bounds what the suite reads of a response.
const maxResponseBody = 16 << 20

// Request is one HTTP request, built byte by byte by a case: nothing is
// added to it but the base URL, the configured tenant (unless the request
// sets NGSILD-Tenant itself) and the Authorization header.
type Request struct {
	Method string
	// Path is relative to the base URL and already escaped, for example
	// "/entities/urn:ngsi-ld:Sensor:1".
	Path  string
	Query url.Values
	// RawQuery, when not empty, is sent as the query string exactly as
	// written, instead of Query: it lets a case send characters that
	// Query would percent-encode, such as the literal ';' of NGSI-LD.
	RawQuery string
	Header   http.Header
	Body     []byte
	// NoTenant sends no NGSILD-Tenant header even when the run has one.
	NoTenant bool
}

// Response is what the server answered.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
	// Index is the position of the exchange in the case's transcript.
	Index int

	decoded bool
	value   any
	jsonErr error
}

// JSON decodes the body (numbers as json.Number). It returns nil when the
// body is not JSON.
func (r *Response) JSON() any {
	if !r.decoded {
		r.decoded = true
		dec := json.NewDecoder(bytes.NewReader(r.Body))
		dec.UseNumber()
		r.jsonErr = dec.Decode(&r.value)
		if r.jsonErr == nil && dec.More() {
			r.jsonErr = errors.New("trailing data after the JSON value")
		}
		if r.jsonErr != nil {
			r.value = nil
		}
	}
	return r.value
}

// Object returns the body as a JSON object, or nil.
func (r *Response) Object() map[string]any {
	m, _ := r.JSON().(map[string]any)
	return m
}

// Array returns the body as a JSON array, or nil.
func (r *Response) Array() []any {
	a, _ := r.JSON().([]any)
	return a
}

// MediaType is the response's Content-Type without parameters.
func (r *Response) MediaType() string { return mediaType(r.Header.Get("Content-Type")) }

func mediaType(v string) string {
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// Exchange is one request and its response, as kept in a transcript:
// secrets are redacted and long bodies truncated.
type Exchange struct {
	Method         string        `json:"method"`
	URL            string        `json:"url"`
	RequestHeader  http.Header   `json:"requestHeader,omitempty"`
	RequestBody    string        `json:"requestBody,omitempty"`
	Status         int           `json:"status,omitempty"`
	ResponseHeader http.Header   `json:"responseHeader,omitempty"`
	ResponseBody   string        `json:"responseBody,omitempty"`
	Duration       time.Duration `json:"durationNs"`
	// Error is the transport error, when there was no response.
	Error string `json:"error,omitempty"`
	// Curl replays the request; the token is read from the environment.
	Curl string `json:"curl"`
	// Cleanup marks the exchanges the suite made to delete its data.
	Cleanup bool `json:"cleanup,omitempty"`
}

// client sends requests to the server under test.
type client struct {
	base   *url.URL
	http   *http.Client
	tenant string
	token  string
}

func (c *client) url(req *Request) string {
	u := *c.base
	u.Path = strings.TrimSuffix(c.base.Path, "/") + req.Path
	u.RawPath = strings.TrimSuffix(c.base.EscapedPath(), "/") + req.Path
	u.RawQuery = req.Query.Encode()
	if req.RawQuery != "" {
		u.RawQuery = req.RawQuery
	}
	return u.String()
}

// do sends req and returns the response and the redacted exchange. A
// transport error is returned as err with the exchange filled in.
func (c *client) do(ctx context.Context, req *Request) (*Response, Exchange, error) {
	target := c.url(req)
	hreq, err := http.NewRequestWithContext(ctx, req.Method, target, bytes.NewReader(req.Body))
	if err != nil {
		return nil, Exchange{Method: req.Method, URL: target, Error: err.Error()}, err
	}
	if req.Body == nil {
		hreq.Body, hreq.ContentLength = nil, 0
	}
	for k, vs := range req.Header {
		hreq.Header[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	if c.tenant != "" && !req.NoTenant && hreq.Header.Get(HeaderTenant) == "" {
		hreq.Header.Set(HeaderTenant, c.tenant)
	}
	if c.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.token)
	}
	ex := Exchange{Method: req.Method, URL: target, RequestHeader: c.redactHeader(hreq.Header), RequestBody: c.redact(truncate(req.Body))}
	ex.Curl = c.redact(curlLine(req.Method, target, hreq.Header, req.Body))
	start := time.Now()
	hresp, err := c.http.Do(hreq)
	if err != nil {
		ex.Duration = time.Since(start)
		ex.Error = c.redact(err.Error())
		return nil, ex, err
	}
	defer hresp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponseBody))
	ex.Duration = time.Since(start)
	ex.Status = hresp.StatusCode
	ex.ResponseHeader = c.redactHeader(hresp.Header)
	ex.ResponseBody = c.redact(truncate(body))
	if err != nil {
		ex.Error = c.redact(err.Error())
		return nil, ex, fmt.Errorf("reading the response body: %w", err)
	}
	return &Response{Status: hresp.StatusCode, Header: hresp.Header, Body: body}, ex, nil
}

func truncate(b []byte) string {
	if len(b) > maxTranscriptBody {
		return string(b[:maxTranscriptBody]) + fmt.Sprintf("\n[... %d more bytes not kept in the transcript]", len(b)-maxTranscriptBody)
	}
	return string(b)
}

// Redacted replaces secrets in a transcript.
const Redacted = "<redacted>"

func (c *client) redact(s string) string {
	if c.token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.token, Redacted)
}

func (c *client) redactHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		for _, v := range vs {
			if k == "Authorization" || k == "Proxy-Authorization" {
				v = "Bearer " + Redacted
			}
			out[k] = append(out[k], c.redact(v))
		}
	}
	return out
}

// TokenEnv is the environment variable a replayed curl command reads the
// bearer token from.
const TokenEnv = "OPENTID_CONFORMANCE_TOKEN"

// curlLine renders a shell command that replays the request. The
// Authorization header refers to TokenEnv instead of holding the token.
func curlLine(method, target string, h http.Header, body []byte) string {
	var sb strings.Builder
	sb.WriteString("curl -i -X " + method + " " + shellQuote(target))
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			if k == "Authorization" {
				sb.WriteString(` -H "Authorization: Bearer $` + TokenEnv + `"`)
				continue
			}
			sb.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	if body != nil {
		if len(body) > maxTranscriptBody {
			sb.WriteString(fmt.Sprintf(" --data-binary @body.json  # the %d-byte body is not reproduced here", len(body)))
		} else {
			sb.WriteString(" --data-binary " + shellQuote(string(body)))
		}
	}
	return sb.String()
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
