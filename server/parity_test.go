package server

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/opentid/opentid/server/store/sqlite"
	"github.com/opentid/opentid/spec"
)

// TestRoutesMatchTheSpec fails when a route exists in the router and not
// in spec/openapi.yaml, or the other way round.
func TestRoutesMatchTheSpec(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parity.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := newServer(Config{}, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	var routed []string
	err = chi.Walk(s.handler.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, BasePath+"/") {
			routed = append(routed, method+" "+strings.TrimSuffix(strings.TrimPrefix(route, BasePath), "/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	var specified []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			specified = append(specified, method+" "+path)
		}
	}
	slices.Sort(routed)
	slices.Sort(specified)
	if diff := cmp.Diff(specified, routed); diff != "" {
		t.Errorf("routes differ from the OpenAPI paths (-spec +router):\n%s", diff)
	}
}
