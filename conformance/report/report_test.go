package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/spec"
)

func sampleResult() *conformance.Result {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ex := conformance.Exchange{
		Method: "POST", URL: "http://127.0.0.1:1026/ngsi-ld/v1/entities",
		RequestHeader: http.Header{"Authorization": {"Bearer " + conformance.Redacted}, "Content-Type": {"application/json"}},
		RequestBody:   `{"id":"urn:ngsi-ld:X:1","type":"X"}`, Status: 200,
		ResponseHeader: http.Header{"Content-Type": {"application/json"}}, ResponseBody: `{}`,
		Curl: `curl -i -X POST 'http://127.0.0.1:1026/ngsi-ld/v1/entities' -H "Authorization: Bearer $OPENTID_CONFORMANCE_TOKEN"`,
	}
	res := &conformance.Result{
		Suite: conformance.SuiteName, SuiteVersion: conformance.SuiteVersion, SpecVersion: spec.Version, NGSILDVersion: spec.NGSILDVersion,
		RunID: "abcd1234", Start: start, Stop: start.Add(time.Second), Status: conformance.StatusFail,
		Config: conformance.Config{BaseURL: "http://127.0.0.1:1026/ngsi-ld/v1", Token: "t0ken"}.Redacted(),
		Counts: conformance.Counts{Pass: 1, Fail: 1, Error: 1},
		Classes: []conformance.ClassResult{{Name: "core", Claimed: true, Status: conformance.StatusFail,
			Counts: conformance.Counts{Pass: 1, Fail: 1, Error: 1}}},
		Cases: []conformance.CaseResult{
			{ID: "/ats/core/entity-create", Title: "Create", Class: "core", Status: conformance.StatusFail,
				Covers:    []spec.ReqID{"/req/core/entity-create"},
				Failures:  []conformance.Failure{{Requirement: "/req/core/entity-create", Message: "unexpected status code", Expected: "201", Got: "200", Exchange: 0}},
				Exchanges: []conformance.Exchange{ex}},
			{ID: "/ats/core/entity-delete", Title: "Delete", Class: "core", Status: conformance.StatusPass, Exchanges: []conformance.Exchange{ex}},
			{ID: "/ats/core/entity-merge", Title: "Merge", Class: "core", Status: conformance.StatusError, Message: "connection refused"},
		},
	}
	return res
}

func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SpecVersion string `json:"specVersion"`
		Config      struct{ Token string }
		Cases       []struct {
			Status    string
			Exchanges []any
		}
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SpecVersion != spec.Version || got.Config.Token != conformance.Redacted || got.Cases[0].Status != "fail" {
		t.Errorf("decoded %+v", got)
	}
	if len(got.Cases[0].Exchanges) != 1 || len(got.Cases[1].Exchanges) != 0 {
		t.Error("transcripts are kept for cases that did not pass, only")
	}
	if strings.Contains(b.String(), "t0ken") {
		t.Error("the token leaks")
	}
}

func TestWriteJUnit(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJUnit(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Tests != 3 || got.Failures != 1 || got.Errors != 1 || len(got.Suites) != 1 || got.Suites[0].Cases[0].Failure == nil {
		t.Errorf("junit %+v", got)
	}
}

func TestWriteHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, sampleResult()); err != nil {
		t.Fatal(err)
	}
	r, _ := spec.RequirementByID("/req/core/entity-create")
	html := b.String()
	for _, want := range []string{
		"/ats/core/entity-create", "unexpected status code", "201", "200 OK",
		escaped(r.Text), "$OPENTID_CONFORMANCE_TOKEN", "connection refused", "Bearer &lt;redacted&gt;",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") || strings.Contains(html, "http-equiv") || strings.Contains(html, "<link") {
		t.Error("report.html must be self-contained")
	}
}

// escaped escapes text as html/template does for the checks above.
func escaped(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(s)
}

func TestConsole(t *testing.T) {
	res := sampleResult()
	var b bytes.Buffer
	p := Progress(&b)
	for i := range res.Cases {
		p(conformance.Event{Done: true, Index: i, Total: len(res.Cases), Result: &res.Cases[i]})
	}
	Summary(&b, res)
	out := b.String()
	for _, want := range []string{"[1/3] fail", "/req/core/entity-create: unexpected status code", "core", "FAIL"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "results")
	if err := WriteFiles(dir, sampleResult()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{JSONFile, JUnitFile, HTMLFile} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}
