// Package selftest checks the conformance suite against the reference
// server: the server passes every case of the classes it claims, and the
// suite fails deliberately broken variants of it (mutants), each on a case
// that covers the requirement the mutant breaks. It holds tests only; it
// may import both the server and the suite.
package selftest
