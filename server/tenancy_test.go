package server

import (
	"net/http"
	"os"
	"testing"
)

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

func TestTenants(t *testing.T) {
	ts := newTestServer(t, Config{})
	r := ts.must(http.StatusCreated, "POST", "/entities", station, "NGSILD-Tenant", "nantes")
	if got := r.header.Get("NGSILD-Tenant"); got != "nantes" {
		t.Errorf("NGSILD-Tenant echoed %q", got)
	}
	id := "/entities/urn:ngsi-ld:AirQualityObserved:Nantes-01"
	ts.must(http.StatusOK, "GET", id, "", "NGSILD-Tenant", "nantes")
	ts.wantProblem(http.StatusNotFound, "ResourceNotFound", "GET", id, "")
	ts.wantProblem(http.StatusNotFound, "NonexistentTenant", "GET", id, "", "NGSILD-Tenant", "rennes")
	ts.wantProblem(http.StatusNotFound, "NonexistentTenant", "GET", "/entities?type=AirQualityObserved", "", "NGSILD-Tenant", "rennes")
	ts.wantProblem(http.StatusNotFound, "NonexistentTenant", "GET", "/types", "", "NGSILD-Tenant", "rennes")
	// The same id in another tenant is another entity.
	ts.must(http.StatusCreated, "POST", "/entities", station, "NGSILD-Tenant", "rennes")
	ts.must(http.StatusCreated, "POST", "/entities", station)
	ts.must(http.StatusNoContent, "DELETE", id, "", "NGSILD-Tenant", "rennes")
	ts.must(http.StatusOK, "GET", id, "", "NGSILD-Tenant", "nantes")
	ts.must(http.StatusOK, "GET", id, "")
	if got := ids(t, ts.must(http.StatusOK, "GET", "/entities?type=AirQualityObserved", "", "NGSILD-Tenant", "rennes")); len(got) != 0 {
		t.Errorf("rennes still sees %v", got)
	}
	// A failed write does not create a tenant.
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "POST", "/entities", `{"id": "x", "type": "T"}`, "NGSILD-Tenant", "lyon")
	ts.wantProblem(http.StatusNotFound, "NonexistentTenant", "GET", "/types", "", "NGSILD-Tenant", "lyon")
	ts.wantProblem(http.StatusBadRequest, "BadRequestData", "GET", "/types", "", "NGSILD-Tenant", "../etc")
}
