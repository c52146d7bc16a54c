// Package conformance is the OpenTID conformance suite: a black-box tester
// that a vendor points at the base URL of its product.
//
// Cases are data (Case) that cite the requirements of package spec they
// check. Run executes them through a raw HTTP exchange layer, so that cases
// control every byte they send, checks every response against the OpenAPI
// document of the spec as well as against the case's own expectations, and
// returns a Result with one of five states per case: pass, fail, skip,
// disabled or error. Package report renders results; package cli is the
// command line.
//
// The suite shares the contract with the reference server (package spec),
// never its code: it does not import the server.
package conformance
