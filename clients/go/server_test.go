package client_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	client "github.com/opentid/opentid/clients/go"
	"github.com/opentid/opentid/server"
	"github.com/opentid/opentid/server/notify"
	"github.com/opentid/opentid/server/store/sqlite"
	"github.com/opentid/opentid/spec"
)

// testContextURL is a user @context that the test server resolves without
// the network. It maps the short names of the tests to the OpenTID
// vocabulary.
const testContextURL = "https://example.org/opentid-test/context.jsonld"

const testContext = `{"@context": {
  "AirQualityObserved": "https://opentid.org/ns/AirQualityObserved",
  "no2": "https://opentid.org/ns/no2",
  "pm10": "https://opentid.org/ns/pm10"
}}`

type contextLoader struct{}

func (contextLoader) Load(_ context.Context, url string) ([]byte, error) {
	if url == testContextURL {
		return []byte(testContext), nil
	}
	return nil, http.ErrMissingFile
}

// testLog sends the server's warnings and errors to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// recorder is the HTTP client of the tests: it remembers the method and
// path of every request, to check that each operation of the spec was
// called.
type recorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.calls = append(r.calls, req.Method+" "+req.URL.EscapedPath())
	r.mu.Unlock()
	return http.DefaultClient.Do(req)
}

// newClient starts a reference server on a fresh SQLite database and
// returns a client of it and the recorder of its requests.
func newClient(t *testing.T, opts ...client.ClientOption) (*client.ClientWithResponses, *recorder) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "opentid.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	logger := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	// Subscriptions of the tests notify receivers on the loopback
	// interface, and retry quickly.
	h, err := server.Open(server.Config{
		ContextLoader:         contextLoader{},
		AllowPrivateEndpoints: true,
		Notify:                notify.Options{Poll: 50 * time.Millisecond, Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
	}, st, logger)
	if err != nil {
		t.Fatal(err)
	}
	h.Start(context.Background())
	t.Cleanup(func() { h.Close() })
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	rec := &recorder{}
	c, err := client.NewClientWithResponses(hs.URL+server.BasePath, append([]client.ClientOption{client.WithHTTPClient(rec)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// operation is one operation of the spec and a pattern that matches the
// requests that call it.
type operation struct {
	id      string
	method  string
	pattern *regexp.Regexp
}

var pathParam = regexp.MustCompile(`\\\{[^/]+\\\}`)

// specOperations lists the operations of spec/openapi.yaml.
func specOperations(t *testing.T) []operation {
	t.Helper()
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	var ops []operation
	for path, item := range doc.Paths.Map() {
		re := pathParam.ReplaceAllString(regexp.QuoteMeta(path), `[^/]+`)
		for method, op := range item.Operations() {
			ops = append(ops, operation{
				id:      op.OperationID,
				method:  method,
				pattern: regexp.MustCompile("^" + regexp.QuoteMeta(server.BasePath) + re + "$"),
			})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	return ops
}

// checkCoverage fails the test for each operation of the spec that no
// recorded request called.
func checkCoverage(t *testing.T, calls []string) {
	t.Helper()
	for _, op := range specOperations(t) {
		called := false
		for _, c := range calls {
			method, path, _ := strings.Cut(c, " ")
			if method == op.method && op.pattern.MatchString(path) {
				called = true
				break
			}
		}
		if !called {
			t.Errorf("operation %s (%s %s) is not called through the client", op.id, op.method, op.pattern)
		}
	}
}
