// Package spec holds the OpenTID contract in a form code can use: the embedded OpenAPI
// document (openapi.yaml), the profile version, and the registry of problem types.
//
// The server and the conformance suite both read the contract from here, so that no path,
// parameter or error type is typed twice.
package spec

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// Version is the version of the OpenTID profile, equal to info.version of openapi.yaml.
// It changes only when the contract changes, never with the code version.
const Version = "0.2.0"

// NGSILDVersion is the version of ETSI GS CIM 009 (NGSI-LD) the profile follows on the wire.
const NGSILDVersion = "1.9.1"

//go:embed openapi.yaml
var openAPIDoc []byte

// OpenAPI returns the embedded OpenAPI 3.0 document (YAML). The caller owns the returned
// slice; changing it does not change the embedded document.
func OpenAPI() []byte {
	out := make([]byte, len(openAPIDoc))
	copy(out, openAPIDoc)
	return out
}

// Load parses the embedded OpenAPI document and validates it. Each call returns a new
// document, so callers may change theirs (for instance its servers) without affecting others.
// External references are not followed: the document is self-contained.
func Load() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = false
	doc, err := loader.LoadFromData(openAPIDoc)
	if err != nil {
		return nil, fmt.Errorf("spec: parse openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("spec: validate openapi.yaml: %w", err)
	}
	return doc, nil
}
