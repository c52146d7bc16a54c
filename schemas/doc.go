// Package schemas holds the OpenTID territorial data models: one JSON Schema
// (draft 2020-12) per entity type, written for the NGSI-LD normalized form,
// the shared definitions they reference, the unified JSON-LD @context, and
// valid and invalid examples of every model.
//
// Compile loads the embedded schemas once; Set.Validate then checks entity
// documents given in the normalized, concise or keyValues form. Concise and
// keyValues documents are rewritten into the normalized form before they are
// validated, so that one schema per model is the single source of truth, and
// the problems found are reported with JSON pointers into the document as it
// was given.
package schemas

//go:generate go run ./internal/docgen/gendocs
