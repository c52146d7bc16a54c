package client

import (
	"context"
	"fmt"
	"mime"
	"net/http"
)

// Media types of NGSI-LD requests and responses.
const (
	MediaJSON    = "application/json"
	MediaJSONLD  = "application/ld+json"
	MediaGeoJSON = "application/geo+json"
)

// relContext is the Link relation of a JSON-LD @context.
const relContext = "http://www.w3.org/ns/json-ld#context"

// ContextLink returns the value of a Link header that gives contextURL as
// the JSON-LD @context of a request. Pass it in the Link field of an
// operation's parameters, or use WithContext for every request.
func ContextLink(contextURL string) string {
	return fmt.Sprintf(`<%s>; rel="%s"; type="%s"`, contextURL, relContext, MediaJSONLD)
}

// WithContext is a request editor that sends contextURL as the @context
// of the request in a Link header. It leaves alone a request that already
// has a Link header and a request whose body is application/ld+json,
// which carries its @context in the body (a Link header is then an
// error). Give it to WithRequestEditorFn to apply it to every request.
func WithContext(contextURL string) RequestEditorFn {
	link := ContextLink(contextURL)
	return func(_ context.Context, req *http.Request) error {
		if req.Header.Get("Link") != "" {
			return nil
		}
		if mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); mt == MediaJSONLD {
			return nil
		}
		req.Header.Set("Link", link)
		return nil
	}
}

// WithTenant is a request editor that selects a tenant with the
// NGSILD-Tenant header, unless the operation's parameters already set one.
func WithTenant(tenant string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		if req.Header.Get("NGSILD-Tenant") == "" {
			req.Header.Set("NGSILD-Tenant", tenant)
		}
		return nil
	}
}

// WithAccept is a request editor that sets the Accept header, for
// instance to MediaGeoJSON to receive entities as GeoJSON features or to
// MediaJSONLD to receive the @context in the body.
func WithAccept(mediaType string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Accept", mediaType)
		return nil
	}
}
