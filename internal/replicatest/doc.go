// Package replicatest checks the reference server on the PostgreSQL
// store: the conformance suite against a server on PostgreSQL, and
// several server processes (replicas) sharing one database behaving as
// one server. It holds tests only; they need a PostgreSQL server, whose
// URL OPENTID_TEST_POSTGRES holds, and skip without it.
package replicatest
