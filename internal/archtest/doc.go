// Package archtest enforces the import rules of the module: the
// conformance suite shares the contract (package spec) with the reference
// server, never its code. It holds tests only.
package archtest
