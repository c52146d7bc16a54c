package main

import (
	"fmt"
	"strings"

	"github.com/opentid/opentid/server"
)

// parseValidateModels reads where the server validates the entities of the
// standard's types: "all" (every tenant), "none", or a list of tenants
// tenant[,tenant...] in which "-" is the default tenant.
func parseValidateModels(s string) (server.ModelValidation, []string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "all":
		return server.ValidateAllTenants, nil, nil
	case "none":
		return server.ValidateNoTenant, nil, nil
	}
	var tenants []string
	for _, t := range strings.Split(s, ",") {
		switch t = strings.TrimSpace(t); t {
		case "":
		case "-":
			tenants = append(tenants, "")
		default:
			if strings.ContainsAny(t, " \t=") {
				return 0, nil, fmt.Errorf("invalid tenant %q: want all, none or tenant[,tenant...] ('-' for the default tenant)", t)
			}
			tenants = append(tenants, t)
		}
	}
	if len(tenants) == 0 {
		return 0, nil, fmt.Errorf("invalid value %q: want all, none or tenant[,tenant...] ('-' for the default tenant)", s)
	}
	return server.ValidateListedTenants, tenants, nil
}
