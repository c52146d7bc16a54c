package client

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLinks(t *testing.T) {
	h := http.Header{}
	h.Add("Link", `<https://example.org/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"`)
	h.Add("Link", `</ngsi-ld/v1/entities?type=A&offset=0&limit=3>; rel="prev", </ngsi-ld/v1/entities?type=A&offset=6&limit=3>; rel=next`)
	h.Add("Link", `<broken; rel="next"`)
	want := []link{
		{target: "https://example.org/ctx.jsonld", params: map[string]string{"rel": "http://www.w3.org/ns/json-ld#context", "type": "application/ld+json"}},
		{target: "/ngsi-ld/v1/entities?type=A&offset=0&limit=3", params: map[string]string{"rel": "prev"}},
		{target: "/ngsi-ld/v1/entities?type=A&offset=6&limit=3", params: map[string]string{"rel": "next"}},
	}
	if diff := cmp.Diff(want, links(h), cmp.AllowUnexported(link{})); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}

	req := &http.Request{URL: &url.URL{Scheme: "http", Host: "broker:1026", Path: "/ngsi-ld/v1/entities"}}
	next, ok := NextPage(&http.Response{Header: h, Request: req})
	if !ok || next.String() != "http://broker:1026/ngsi-ld/v1/entities?type=A&offset=6&limit=3" {
		t.Errorf("next page %v %v", next, ok)
	}
	offset, limit, err := pageOf(next)
	if err != nil || *offset != 6 || *limit != 3 {
		t.Errorf("page of next: %v %v %v", offset, limit, err)
	}
	if _, ok := NextPage(&http.Response{Header: http.Header{"Link": {`<x>; rel="prev"`}}}); ok {
		t.Error("a next page without a next link")
	}
}

func FuzzLinks(f *testing.F) {
	f.Add(`<a>; rel="next", <b>; rel=prev; x; y="z,w"`)
	f.Add(`<a`)
	f.Fuzz(func(t *testing.T, v string) {
		links(http.Header{"Link": {v}})
	})
}
