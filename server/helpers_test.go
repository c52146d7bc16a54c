package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentid/opentid/server/store/sqlite"
)

// testServer is a reference server on a fresh SQLite database, served
// over loopback.
type testServer struct {
	t    *testing.T
	url  string // base URL of the API, ending in /ngsi-ld/v1
	root string // base URL of the server
}

func newTestServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h, err := New(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.(*Server).Close() })
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return &testServer{t: t, url: hs.URL + BasePath, root: hs.URL}
}

// with returns the server for use in subtest t, so that a failure stops
// the subtest and not its parent.
func (ts *testServer) with(t *testing.T) *testServer {
	c := *ts
	c.t = t
	return &c
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body.
func (r response) json(t *testing.T) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	return v
}

// object decodes a JSON object body.
func (r response) object(t *testing.T) map[string]any {
	t.Helper()
	m, ok := r.json(t).(map[string]any)
	if !ok {
		t.Fatalf("body is not a JSON object: %s", r.body)
	}
	return m
}

// problemType returns the short NGSI-LD error type of a problem body.
func (r response) problemType(t *testing.T) string {
	t.Helper()
	typ, _ := r.object(t)["type"].(string)
	return typ[strings.LastIndex(typ, "/")+1:]
}

// do sends a request; headers alternate names and values. A body that
// is not "" is sent as application/json unless a Content-Type is given.
func (ts *testServer) do(method, path, body string, headers ...string) response {
	ts.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	url := path
	if !strings.HasPrefix(path, "http") {
		url = ts.url + path
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// must sends a request and fails the test unless the status is want.
func (ts *testServer) must(want int, method, path, body string, headers ...string) response {
	ts.t.Helper()
	r := ts.do(method, path, body, headers...)
	if r.status != want {
		ts.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.status, want, r.body)
	}
	return r
}

// wantProblem sends a request and checks the status and NGSI-LD error type.
func (ts *testServer) wantProblem(status int, problem, method, path, body string, headers ...string) response {
	ts.t.Helper()
	r := ts.must(status, method, path, body, headers...)
	if got := r.problemType(ts.t); got != problem {
		ts.t.Fatalf("%s %s: error type %s, want %s\n%s", method, path, got, problem, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		ts.t.Fatalf("%s %s: problem Content-Type %q, want application/json", method, path, ct)
	}
	return r
}

// contextServer serves JSON-LD @context documents by path and counts the
// hits.
func contextServer(t *testing.T, docs map[string]string) *httptest.Server {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/ld+json")
		io.WriteString(w, doc)
	}))
	t.Cleanup(hs.Close)
	return hs
}

// linkHeader builds the JSON-LD @context Link header for url.
func linkHeader(url string) string {
	return "<" + url + `>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`
}
