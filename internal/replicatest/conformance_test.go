package replicatest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/server"
	"github.com/opentid/opentid/server/store/postgres"
	"github.com/opentid/opentid/spec"
)

// TestConformanceOnPostgres runs the whole conformance suite against the
// reference server on the PostgreSQL store.
func TestConformanceOnPostgres(t *testing.T) {
	url := freshDatabase(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// The suite's notification receiver listens on loopback.
	h, err := server.New(server.Config{AllowPrivateEndpoints: true}, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.(*server.Server).Close() })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	res, err := conformance.Run(ctx, conformance.Config{
		BaseURL:  srv.URL + "/ngsi-ld/v1",
		Classes:  []string{spec.ClassCore, spec.ClassQuery, spec.ClassGeo, spec.ClassTenancy, spec.ClassSubscriptions, spec.ClassTemporal, spec.ClassDatamodels},
		Listener: ln,
	}, conformance.Cases())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		if c.Status == conformance.StatusPass {
			continue
		}
		t.Errorf("%s: %s %s", c.ID, c.Status, c.Message)
		for _, f := range c.Failures {
			t.Logf("  %s: %s (expected %s, got %s)", f.Requirement, f.Message, f.Expected, f.Got)
			if f.Exchange >= 0 && f.Exchange < len(c.Exchanges) {
				ex := c.Exchanges[f.Exchange]
				body := ex.ResponseBody
				if len(body) > 400 {
					body = body[:400] + "..."
				}
				t.Logf("    %s %s -> %d %s", ex.Method, ex.URL, ex.Status, body)
			}
		}
	}
	t.Logf("cases: %+v", res.Counts)
}
