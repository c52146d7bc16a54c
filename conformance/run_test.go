package conformance

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentid/opentid/spec"
)

// fake is a tiny server for testing the runner, not the product: it
// creates entities, deletes them in batches, hangs on demand and records
// what it was sent.
type fake struct {
	mu      sync.Mutex
	created []string
	deleted []string
	auth    []string
	badType bool // answer /types with a body that breaks the schema
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/ngsi-ld/v1/entities":
		var e map[string]any
		_ = json.Unmarshal(body, &e)
		id, _ := e["id"].(string)
		f.mu.Lock()
		f.created = append(f.created, id)
		f.mu.Unlock()
		w.Header().Set("Location", "/ngsi-ld/v1/entities/"+id)
		w.WriteHeader(http.StatusCreated)
	case r.Method == http.MethodPost && r.URL.Path == "/ngsi-ld/v1/entityOperations/delete":
		var ids []string
		_ = json.Unmarshal(body, &ids)
		f.mu.Lock()
		f.deleted = append(f.deleted, ids...)
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.URL.Path == "/ngsi-ld/v1/entities/hang":
		<-r.Context().Done()
	case r.URL.Path == "/ngsi-ld/v1/types":
		w.Header().Set("Content-Type", MediaJSON)
		if f.badType {
			_, _ = io.WriteString(w, `{"id": "urn:ngsi-ld:EntityTypeList:1", "type": "EntityTypeList", "typeList": [42]}`)
			return
		}
		_, _ = io.WriteString(w, `{"id": "urn:ngsi-ld:EntityTypeList:1", "type": "EntityTypeList", "typeList": ["A"]}`)
	default:
		w.Header().Set("Content-Type", MediaJSON)
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"type": "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound", "title": "not found"}`)
	}
}

func testCase(name, class string, run func(t *T)) Case {
	req := spec.ReqID("/req/core/entity-create")
	if class == spec.ClassTenancy {
		req = "/req/tenancy/isolation"
	}
	return Case{ID: "/ats/" + class + "/" + name, Title: name, Class: class, Since: "0.1.0", Covers: []spec.ReqID{req}, Run: run}
}

func runFake(t *testing.T, f *fake, cfg Config, cases ...Case) *Result {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/ngsi-ld/v1"
	res, err := Run(context.Background(), cfg, cases)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func statuses(res *Result) map[string]Status {
	m := map[string]Status{}
	for _, c := range res.Cases {
		m[c.ID] = c.Status
	}
	return m
}

func TestRunResultStates(t *testing.T) {
	f := &fake{}
	res := runFake(t, f, Config{Disabled: []string{"/ats/core/disabled"}},
		testCase("pass", "core", func(t *T) { t.create(Obj{"id": t.EntityID("a"), "type": "T"}) }),
		testCase("fail", "core", func(t *T) {
			t.Do(GetRequest("/entities/nope", nil))
			t.Errorf(reqCreate, "broken on purpose")
		}),
		testCase("skip", "core", func(t *T) { t.Skipf("precondition missing") }),
		testCase("disabled", "core", func(t *T) { panic("must not run") }),
		testCase("unclaimed", "tenancy", func(t *T) { panic("must not run") }),
		testCase("panic", "core", func(t *T) { panic("suite bug") }),
		testCase("abort", "core", func(t *T) { t.Abortf("network down") }),
	)
	want := map[string]Status{
		"/ats/core/pass": StatusPass, "/ats/core/fail": StatusFail, "/ats/core/skip": StatusSkip,
		"/ats/core/disabled": StatusDisabled, "/ats/tenancy/unclaimed": StatusSkip,
		"/ats/core/panic": StatusError, "/ats/core/abort": StatusError,
	}
	got := statuses(res)
	for id, s := range want {
		if got[id] != s {
			t.Errorf("%s: status %s, want %s", id, got[id], s)
		}
	}
	if res.Passed() || res.Status != StatusError {
		t.Errorf("verdict %s, passed %v; want error, not passed", res.Status, res.Passed())
	}
	if res.Counts != (Counts{Pass: 1, Fail: 1, Skip: 2, Disabled: 1, Error: 2}) {
		t.Errorf("counts %+v", res.Counts)
	}
	fail := res.Cases[1]
	if len(fail.Failures) != 1 || fail.Failures[0].Requirement != reqCreate || fail.Failures[0].Exchange != 0 {
		t.Errorf("failure %+v", fail.Failures)
	}
	for _, r := range res.Requirements {
		if r.ID == reqCreate && r.Status != StatusError {
			t.Errorf("requirement verdict %s, want the worst of its cases (error)", r.Status)
		}
	}
}

func TestRunTimeoutDoesNotHangTheRun(t *testing.T) {
	f := &fake{}
	start := time.Now()
	res := runFake(t, f, Config{CaseTimeout: 300 * time.Millisecond},
		testCase("hung-endpoint", "core", func(t *T) { t.Do(GetRequest("/entities/hang", nil)) }),
		testCase("after", "core", func(t *T) { t.create(Obj{"id": t.EntityID("a"), "type": "T"}) }),
	)
	got := statuses(res)
	if got["/ats/core/hung-endpoint"] != StatusError || got["/ats/core/after"] != StatusPass {
		t.Errorf("statuses %v", got)
	}
	if !strings.Contains(res.Cases[0].Message, "timeout") {
		t.Errorf("message %q", res.Cases[0].Message)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the run took %s", time.Since(start))
	}
}

func TestRunAbandonsACaseThatIgnoresItsContext(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	res := runFake(t, &fake{}, Config{CaseTimeout: 100 * time.Millisecond},
		testCase("stuck", "core", func(t *T) { <-block }),
	)
	if res.Cases[0].Status != StatusError || !strings.Contains(res.Cases[0].Message, "did not end") {
		t.Errorf("result %+v", res.Cases[0])
	}
}

func TestCleanupAfterFailureAndInterrupt(t *testing.T) {
	f := &fake{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(f)
	defer srv.Close()
	var minted []string
	res, err := Run(ctx, Config{BaseURL: srv.URL + "/ngsi-ld/v1"}, []Case{
		testCase("fails", "core", func(t *T) {
			id := t.EntityID("a")
			minted = append(minted, id)
			t.create(Obj{"id": id, "type": "T"})
			t.Fatalf(reqCreate, "broken on purpose")
		}),
		testCase("interrupted", "core", func(t *T) {
			id := t.EntityID("b")
			minted = append(minted, id)
			t.create(Obj{"id": id, "type": "T"})
			cancel()
			t.Do(GetRequest("/entities/hang", nil))
		}),
		testCase("never", "core", func(t *T) { panic("must not run") }),
	})
	if err != nil {
		t.Fatal(err)
	}
	got := statuses(res)
	if got["/ats/core/fails"] != StatusFail || got["/ats/core/interrupted"] != StatusError || got["/ats/core/never"] != StatusError {
		t.Errorf("statuses %v", got)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range minted {
		if !strings.HasPrefix(id, EntityIDPrefix+res.RunID+":") {
			t.Errorf("id %s is not under the run prefix", id)
		}
		if !slices.Contains(f.deleted, id) {
			t.Errorf("%s was not deleted (deleted: %v)", id, f.deleted)
		}
	}
}

func TestTokenIsSentAndRedacted(t *testing.T) {
	const token = "s3cret-t0ken"
	f := &fake{}
	res := runFake(t, f, Config{Token: token},
		testCase("fail", "core", func(t *T) {
			t.create(Obj{"id": t.EntityID("a"), "type": "T", "echo": Prop(token)})
			t.Errorf(reqCreate, "broken on purpose")
		}),
	)
	if !slices.Contains(f.auth, "Bearer "+token) {
		t.Errorf("the server never got the token: %v", f.auth)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), token) {
		t.Errorf("the token leaks into the result: %s", b)
	}
	ex := res.Cases[0].Exchanges[0]
	if !strings.Contains(ex.Curl, "$"+TokenEnv) || ex.RequestHeader.Get("Authorization") != "Bearer "+Redacted {
		t.Errorf("exchange %+v", ex)
	}
	if res.Config.Token != Redacted {
		t.Errorf("config token %q", res.Config.Token)
	}
}

func TestServerDownIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/ngsi-ld/v1"
	srv.Close()
	res, err := Run(context.Background(), Config{BaseURL: base}, Cases())
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Fail != 0 || res.Counts.Error == 0 || res.Passed() {
		t.Errorf("counts %+v", res.Counts)
	}
}

func TestResponsesAreCheckedAgainstOpenAPI(t *testing.T) {
	res := runFake(t, &fake{badType: true}, Config{},
		testCase("types", "core", func(t *T) { t.Do(GetRequest("/types", nil)) }),
	)
	c := res.Cases[0]
	if c.Status != StatusFail || len(c.Failures) != 1 || c.Failures[0].Requirement != ReqOpenAPI {
		t.Fatalf("result %+v", c)
	}
	if !strings.Contains(c.Failures[0].Got, "/typeList/0") {
		t.Errorf("the failure should point at the field: %q", c.Failures[0].Got)
	}
	res = runFake(t, &fake{}, Config{},
		testCase("types", "core", func(t *T) { t.Do(GetRequest("/types", nil)) }),
	)
	if res.Cases[0].Status != StatusPass {
		t.Errorf("a valid response failed: %+v", res.Cases[0].Failures)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []Config{
		{},
		{BaseURL: "localhost:1026"},
		{BaseURL: "http://x/ngsi-ld/v1", Classes: []string{"nope"}},
		{BaseURL: "http://x/ngsi-ld/v1", CallbackURL: "nowhere"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) accepted it", c)
		}
	}
	if err := (Config{BaseURL: "http://x/ngsi-ld/v1", Classes: []string{"core", "tenancy"}}).Validate(); err != nil {
		t.Error(err)
	}
}
