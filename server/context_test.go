package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestContextsAcrossRequests(t *testing.T) {
	ctxs := contextServer(t, map[string]string{
		"/a.jsonld":   `{"@context": {"temp": "https://vocab.example.org/temperature", "Sensor": "https://vocab.example.org/Sensor"}}`,
		"/b.jsonld":   `{"@context": {"t": "https://vocab.example.org/temperature", "Capteur": "https://vocab.example.org/Sensor"}}`,
		"/bad.jsonld": `{"@context": {"x": 12}}`,
	})
	ts := newTestServer(t, Config{})
	a, b := ctxs.URL+"/a.jsonld", ctxs.URL+"/b.jsonld"

	ts.must(http.StatusCreated, "POST", "/entities", `{"id": "urn:s:1", "type": "Sensor", "temp": 21.5, "other": 1}`, "Link", linkHeader(a))

	// Read under the same context: the short names.
	got := ts.must(http.StatusOK, "GET", "/entities/urn:s:1?options=keyValues", "", "Link", linkHeader(a)).object(t)
	if diff := cmp.Diff(map[string]any{"id": "urn:s:1", "type": "Sensor", "temp": 21.5, "other": 1.0}, numbersToFloat(got)); diff != "" {
		t.Errorf("same context (-want +got):\n%s", diff)
	}
	// Under another context: that context's names for the same IRIs.
	got = ts.must(http.StatusOK, "GET", "/entities/urn:s:1?options=keyValues", "", "Link", linkHeader(b)).object(t)
	if diff := cmp.Diff(map[string]any{"id": "urn:s:1", "type": "Capteur", "t": 21.5, "other": 1.0}, numbersToFloat(got)); diff != "" {
		t.Errorf("other context (-want +got):\n%s", diff)
	}
	// Under the core context alone: full IRIs.
	got = ts.must(http.StatusOK, "GET", "/entities/urn:s:1?options=keyValues", "").object(t)
	if diff := cmp.Diff(map[string]any{"id": "urn:s:1", "type": "https://vocab.example.org/Sensor", "https://vocab.example.org/temperature": 21.5, "other": 1.0}, numbersToFloat(got)); diff != "" {
		t.Errorf("core context (-want +got):\n%s", diff)
	}
	// Query by the type under another name.
	if diff := cmp.Diff([]string{"urn:s:1"}, ids(t, ts.must(http.StatusOK, "GET", "/entities?type=Capteur", "", "Link", linkHeader(b)))); diff != "" {
		t.Errorf("query under context b (-want +got):\n%s", diff)
	}
	// ld+json: the @context travels in the body, and is echoed.
	ts.must(http.StatusCreated, "POST", "/entities", `{"id": "urn:s:2", "type": "Capteur", "t": 3, "@context": ["`+b+`"]}`, "Content-Type", "application/ld+json")
	r := ts.must(http.StatusOK, "GET", "/entities/urn:s:2", "", "Link", linkHeader(a), "Accept", "application/ld+json").object(t)
	if r["type"] != "Sensor" || r["temp"] == nil {
		t.Errorf("ld+json created entity read under a: %v", r)
	}
	if diff := cmp.Diff([]any{a, "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"}, r["@context"]); diff != "" {
		t.Errorf("@context of the response (-want +got):\n%s", diff)
	}
	// The application/json response names its context in a Link header.
	if link := ts.must(http.StatusOK, "GET", "/entities/urn:s:2", "", "Link", linkHeader(a)).header.Get("Link"); link != linkHeader(a) {
		t.Errorf("Link %q, want %q", link, linkHeader(a))
	}
	// A context that cannot be had, and one that is malformed.
	ts.wantProblem(http.StatusGatewayTimeout, "LdContextNotAvailable", "GET", "/entities/urn:s:1", "", "Link", linkHeader(ctxs.URL+"/missing.jsonld"))
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities/urn:s:1", "", "Link", linkHeader(ctxs.URL+"/bad.jsonld"))
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/entities/urn:s:1", "", "Link", linkHeader(a)+", "+linkHeader(b))
}

func TestCoreContextWins(t *testing.T) {
	ctxs := contextServer(t, map[string]string{
		"/evil.jsonld": `{"@context": {"location": "https://vocab.example.org/notTheCoreLocation"}}`,
	})
	ts := newTestServer(t, Config{})
	ts.must(http.StatusCreated, "POST", "/entities", `{"id": "urn:s:1", "type": "T", "location": {"type": "Point", "coordinates": [2.35, 48.85]}}`, "Link", linkHeader(ctxs.URL+"/evil.jsonld"))
	got := ts.must(http.StatusOK, "GET", "/entities/urn:s:1?options=keyValues", "").object(t)
	if got["location"] == nil {
		t.Errorf("location was redefined by a user context: %v", got)
	}
}

func TestRemoteContextFetchedOnce(t *testing.T) {
	var hits atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/ld+json")
		io.WriteString(w, `{"@context": {"level": "https://vocab.example.org/level"}}`)
	}))
	defer hs.Close()
	ts := newTestServer(t, Config{})
	for i := 0; i < 5; i++ {
		ts.must(http.StatusOK, "GET", "/types", "", "Link", linkHeader(hs.URL+"/c.jsonld"))
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("context fetched %d times, want 1", n)
	}
}

func TestOfflineContextsFromFiles(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/ctx.jsonld"
	if err := writeFile(path, `{"@context": {"niveau": "https://vocab.example.org/level"}}`); err != nil {
		t.Fatal(err)
	}
	url := "https://contexts.example.org/opentid.jsonld"
	ts := newTestServer(t, Config{OfflineContexts: true, ContextFiles: map[string]string{url: path}})
	ts.must(http.StatusCreated, "POST", "/entities", `{"id": "urn:s:1", "type": "T", "niveau": 2}`, "Link", linkHeader(url))
	got := ts.must(http.StatusOK, "GET", "/entities/urn:s:1?options=keyValues", "").object(t)
	if got["https://vocab.example.org/level"] == nil {
		t.Errorf("the preloaded context was not applied: %v", got)
	}
	ts.wantProblem(http.StatusGatewayTimeout, "LdContextNotAvailable", "GET", "/entities/urn:s:1", "", "Link", linkHeader("https://contexts.example.org/other.jsonld"))
}
