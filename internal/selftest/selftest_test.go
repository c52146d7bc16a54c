package selftest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/server"
	"github.com/opentid/opentid/server/store/sqlite"
	"github.com/opentid/opentid/spec"
)

// referenceClasses are the conformance classes the reference server claims.
var referenceClasses = []string{spec.ClassCore, spec.ClassQuery, spec.ClassGeo, spec.ClassTenancy, spec.ClassSubscriptions, spec.ClassTemporal, spec.ClassDatamodels}

// newReference starts the reference server on a fresh store and returns
// its handler.
func newReference(t *testing.T) http.Handler {
	t.Helper()
	return newReferenceWith(t, server.Config{})
}

// newReferenceWith is newReference with the settings of cfg.
func newReferenceWith(t *testing.T, cfg server.Config) http.Handler {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "selftest.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The suite's notification receiver listens on loopback.
	cfg.AllowPrivateEndpoints = true
	h, err := server.New(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.(*server.Server).Close() })
	return h
}

// runSuite runs the whole suite against h served over loopback.
func runSuite(t *testing.T, h http.Handler, cases []conformance.Case) *conformance.Result {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res, err := conformance.Run(context.Background(), conformance.Config{
		BaseURL:  srv.URL + "/ngsi-ld/v1",
		Classes:  referenceClasses,
		Listener: ln,
	}, cases)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReferenceServerPasses(t *testing.T) {
	res := runSuite(t, newReference(t), conformance.Cases())
	for _, c := range res.Cases {
		if c.Status == conformance.StatusPass {
			continue
		}
		t.Errorf("%s: %s %s", c.ID, c.Status, c.Message)
		for _, f := range c.Failures {
			t.Logf("  %s: %s (expected %s, got %s)", f.Requirement, f.Message, f.Expected, f.Got)
			if f.Exchange >= 0 && f.Exchange < len(c.Exchanges) {
				ex := c.Exchanges[f.Exchange]
				t.Logf("    %s %s -> %d %s", ex.Method, ex.URL, ex.Status, truncate(ex.ResponseBody, 400))
			}
		}
	}
	t.Logf("cases: %+v", res.Counts)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
