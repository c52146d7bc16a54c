package spec

import (
	"net/http"
	"strings"
	"testing"
)

func TestProblemsRegistry(t *testing.T) {
	all := Problems()
	if len(all) != 14 {
		t.Fatalf("Problems() has %d entries, want 14", len(all))
	}
	names := map[string]bool{}
	uris := map[string]bool{}
	for _, p := range all {
		if names[p.Name] {
			t.Errorf("duplicate name %q", p.Name)
		}
		names[p.Name] = true
		if uris[p.URI] {
			t.Errorf("duplicate URI %q", p.URI)
		}
		uris[p.URI] = true
		if p.Title == "" {
			t.Errorf("%s: empty title", p.Name)
		}
		if http.StatusText(p.Status) == "" || p.Status < 400 {
			t.Errorf("%s: status %d is not an HTTP error status", p.Name, p.Status)
		}
		if !strings.HasSuffix(p.URI, "/"+p.Name) {
			t.Errorf("%s: URI %q does not end with the name", p.Name, p.URI)
		}
		got, ok := Problem(p.Name)
		if !ok || got != p {
			t.Errorf("Problem(%q) = %+v, %v; want %+v", p.Name, got, ok, p)
		}
	}
	if _, ok := Problem("NoSuchProblem"); ok {
		t.Error("Problem of an unknown name reported ok")
	}
}

func TestProblemsStatusesAndNamespaces(t *testing.T) {
	const ngsild = "https://uri.etsi.org/ngsi-ld/errors/"
	const opentid = "https://opentid.org/problems/"
	tests := []struct {
		name   string
		status int
		base   string
	}{
		{ProblemInvalidRequest, 400, ngsild},
		{ProblemBadRequestData, 400, ngsild},
		{ProblemAlreadyExists, 409, ngsild},
		{ProblemConflict, 409, ngsild},
		{ProblemOperationNotSupported, 422, ngsild},
		{ProblemResourceNotFound, 404, ngsild},
		{ProblemInternalError, 500, ngsild},
		{ProblemTooComplexQuery, 403, ngsild},
		{ProblemTooManyResults, 403, ngsild},
		{ProblemLdContextNotAvailable, 504, ngsild},
		{ProblemNoMultiTenantSupport, 501, ngsild},
		{ProblemNonexistentTenant, 404, ngsild},
		{ProblemNotAcceptable, 406, opentid},
		{ProblemUnsupportedMediaType, 415, opentid},
	}
	for _, tt := range tests {
		p, ok := Problem(tt.name)
		if !ok {
			t.Errorf("%s: not registered", tt.name)
			continue
		}
		if p.Status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, p.Status, tt.status)
		}
		if p.URI != tt.base+tt.name {
			t.Errorf("%s: URI %q, want %q", tt.name, p.URI, tt.base+tt.name)
		}
	}
}

func TestProblemsReturnsCopy(t *testing.T) {
	a := Problems()
	a[0].Status = 999
	if Problems()[0].Status == 999 {
		t.Error("Problems() exposes the registry to changes by callers")
	}
}
