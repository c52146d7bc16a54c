package loadgen

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opentid/opentid/server"
	"github.com/opentid/opentid/server/store/sqlite"
)

func TestScenariosAgainstTheReferenceServer(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "load.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := server.New(server.Config{}, st, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	for name := range Scenarios() {
		t.Run(name, func(t *testing.T) {
			res, err := Run(context.Background(), Config{
				BaseURL: hs.URL + "/ngsi-ld/v1", Scenario: name, Concurrency: 4,
				Requests: 20, Batch: 10, Entities: 200, Seed: 3,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.Errors != 0 || res.Requests != 20 {
				t.Fatalf("%d requests, %d errors:\n%s", res.Requests, res.Errors, res)
			}
			if !strings.Contains(res.String(), "p99") {
				t.Errorf("report without percentiles:\n%s", res)
			}
		})
	}
}

func TestOpenLoop(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "load.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, _ := server.New(server.Config{}, st, nil)
	hs := httptest.NewServer(h)
	defer hs.Close()
	res, err := Run(context.Background(), Config{BaseURL: hs.URL + "/ngsi-ld/v1", Scenario: "create", Rate: 200, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests < 20 || res.Errors != 0 {
		t.Fatalf("open loop at 200/s for 0.3 s: %s", res)
	}
}

func TestRefusesRemoteTargets(t *testing.T) {
	_, err := Run(context.Background(), Config{BaseURL: "http://192.0.2.10:1026/ngsi-ld/v1", Scenario: "create", Requests: 1})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("remote target accepted: %v", err)
	}
}
