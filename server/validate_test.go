package server

import (
	"slices"
	"testing"
)

// TestSchemaErrorsListed: a request whose parameters and body both fail
// the OpenAPI document gets one 400 listing every failure, parameters by
// name and body members by JSON pointer.
func TestSchemaErrorsListed(t *testing.T) {
	ts := newTestServer(t, Config{})
	cases := []struct {
		name, path, body string
		want             []string // "parameter:NAME" or "pointer:POINTER"
	}{
		{"entity body", "/entities", `{"id": "urn:x:1", "type": 5}`, []string{"pointer:/type"}},
		{"batch items", "/entityOperations/upsert?options=update", `[{"id": "urn:x:1", "type": 5}, {"id": 7}]`,
			[]string{"pointer:/0/type", "pointer:/1/id"}},
		{"parameter and body", "/entityOperations/query?limit=abc", `{"type": "Query", "entities": 5}`,
			[]string{"parameter:limit", "pointer:/entities"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.with(t).wantProblem(400, "BadRequestData", "POST", tc.path, tc.body)
			var got []string
			for _, e := range r.object(t)["errors"].([]any) {
				m := e.(map[string]any)
				if p, ok := m["parameter"].(string); ok {
					got = append(got, "parameter:"+p)
				}
				if p, ok := m["pointer"].(string); ok {
					got = append(got, "pointer:"+p)
				}
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("errors %v: missing %s", got, w)
				}
			}
		})
	}
}
