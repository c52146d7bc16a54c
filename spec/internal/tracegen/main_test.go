package main

import (
	"bytes"
	"os"
	"testing"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/spec"
)

// TestTraceabilityUpToDate fails when spec/traceability.md is stale.
func TestTraceabilityUpToDate(t *testing.T) {
	want := render(spec.Requirements(), spec.UntestableRequirements(), conformance.Cases())
	got, err := os.ReadFile("../../traceability.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("spec/traceability.md is stale: run `go generate ./spec`")
	}
}
