package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opentid/opentid/server"
)

func TestParseValidateModels(t *testing.T) {
	for _, tc := range []struct {
		in      string
		mode    server.ModelValidation
		tenants []string
		bad     bool
	}{
		{in: "", mode: server.ValidateAllTenants},
		{in: "all", mode: server.ValidateAllTenants},
		{in: "None", mode: server.ValidateNoTenant},
		{in: "lure, -,nantes", mode: server.ValidateListedTenants, tenants: []string{"lure", "", "nantes"}},
		{in: ",", bad: true},
		{in: "a=b", bad: true},
	} {
		mode, tenants, err := parseValidateModels(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: no error", tc.in)
			}
			continue
		}
		if err != nil || mode != tc.mode || !cmp.Equal(tenants, tc.tenants) {
			t.Errorf("%q: %v %q %v, want %v %q", tc.in, mode, tenants, err, tc.mode, tc.tenants)
		}
	}
}
