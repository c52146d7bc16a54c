package conformance

import (
	"testing"

	"github.com/opentid/opentid/spec"
)

// TestTraceability fails when a requirement has no case and is not listed
// as untestable, when a case cites an unknown requirement, and when an
// untestable requirement has a case after all.
func TestTraceability(t *testing.T) {
	cases := Cases()
	if err := CheckCases(cases); err != nil {
		t.Fatal(err)
	}
	covered := map[spec.ReqID][]string{}
	for _, c := range cases {
		for _, id := range c.Covers {
			covered[id] = append(covered[id], c.ID)
		}
	}
	untestable := map[spec.ReqID]bool{}
	for _, u := range spec.UntestableRequirements() {
		untestable[u.ID] = true
		if len(covered[u.ID]) > 0 {
			t.Errorf("%s is listed as untestable but %v cover it", u.ID, covered[u.ID])
		}
	}
	for _, r := range spec.Requirements() {
		if len(covered[r.ID]) == 0 && !untestable[r.ID] {
			t.Errorf("%s (%s:%d) has no case: write one, or list it in spec/untestable.md with the reason", r.ID, r.File, r.Line)
		}
	}
}

func TestCheckCasesRejectsBadCases(t *testing.T) {
	run := func(*T) {}
	tests := []struct {
		name string
		c    Case
	}{
		{"unknown requirement", Case{ID: "/ats/core/x", Title: "x", Class: "core", Since: "0.1.0", Covers: []spec.ReqID{"/req/core/nope"}, Run: run}},
		{"no requirement", Case{ID: "/ats/core/x", Title: "x", Class: "core", Since: "0.1.0", Run: run}},
		{"id outside its class", Case{ID: "/ats/tenancy/x", Title: "x", Class: "core", Since: "0.1.0", Covers: []spec.ReqID{"/req/core/entity-create"}, Run: run}},
		{"unknown class", Case{ID: "/ats/nope/x", Title: "x", Class: "nope", Since: "0.1.0", Covers: []spec.ReqID{"/req/core/entity-create"}, Run: run}},
		{"no run", Case{ID: "/ats/core/x", Title: "x", Class: "core", Since: "0.1.0", Covers: []spec.ReqID{"/req/core/entity-create"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := CheckCases([]Case{tc.c}); err == nil {
				t.Error("CheckCases accepted the case")
			}
		})
	}
	ok := Case{ID: "/ats/core/x", Title: "x", Class: "core", Since: "0.1.0", Covers: []spec.ReqID{"/req/core/entity-create"}, Run: run}
	if err := CheckCases([]Case{ok, ok}); err == nil {
		t.Error("CheckCases accepted a duplicate id")
	}
}
