// Package client is the Go client of the OpenTID API, the NGSI-LD profile
// described by spec/openapi.yaml.
//
// client.gen.go is generated from the spec by oapi-codegen: one method per
// operation on Client (raw *http.Response) and on ClientWithResponses
// (decoded bodies), and one type per schema. The hand-written files add
// what the spec cannot express as operations: the JSON-LD @context Link
// header and the tenant header as request editors, the ProblemDetails of a
// failed call as an error, and an iterator over the pages of a query.
package client

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../spec/openapi.yaml
