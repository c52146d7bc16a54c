package ngsild

// Context is what this package needs of a processed JSON-LD @context: the
// expansion of a term (entity type, attribute name or vocab value) to an
// IRI, and the compaction of an IRI back to the shortest term that expands
// to it. The server's JSON-LD package implements it.
type Context interface {
	ExpandTerm(term string) string
	CompactIRI(iri string) string
}
