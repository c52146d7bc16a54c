// Package jsonld expands and compacts NGSI-LD terms (entity types,
// attribute names, vocab values) with the @context of a request.
//
// It is not a general JSON-LD processor: it builds, once per distinct
// @context, a term map from the context definitions, with the NGSI-LD core
// context applied last so that core terms always win, and then expands and
// compacts with plain map look-ups. Remote contexts are fetched through a
// Loader and cached by URL; processed contexts are cached by content.
package jsonld

import (
	"context"
	"errors"
)

// Loader fetches a remote @context document by URL and returns its JSON bytes.
type Loader interface {
	Load(ctx context.Context, url string) ([]byte, error)
}

var (
	// ErrContextNotAvailable reports that a remote context could not be had:
	// the loader failed or timed out, the document is not JSON or has no
	// "@context" member. It maps to the NGSI-LD LdContextNotAvailable error.
	ErrContextNotAvailable = errors.New("jsonld: @context not available")

	// ErrInvalidContext reports a malformed @context: a bad term definition,
	// a cyclic definition, a scoped context in a term definition, a keyword
	// redefinition or a value of the wrong kind. It maps to the NGSI-LD
	// BadRequestData error.
	ErrInvalidContext = errors.New("jsonld: invalid @context")
)

// CoreContextURL is the URL that stands for the core context in responses.
const CoreContextURL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"

// CoreContextURLs lists the URLs that resolve to the built-in core context;
// they are never fetched.
var CoreContextURLs = []string{
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.3.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.4.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.5.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.6.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.7.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld",
	"https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld",
}

// IsCoreContextURL reports whether url stands for the built-in core context.
func IsCoreContextURL(url string) bool {
	for _, u := range CoreContextURLs {
		if u == url {
			return true
		}
	}
	return false
}

// DefaultVocab is the @vocab of the core context: terms that no context
// defines expand under it.
const DefaultVocab = "https://uri.etsi.org/ngsi-ld/default-context/"
