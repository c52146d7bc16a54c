package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseRetention reads a retention period: a Go duration ("720h") or a
// number of days ("90d"); "0" or "" keeps the history for ever.
func parseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid retention %q: want a number of days such as 90d or a duration such as 720h", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid retention %q: want a number of days such as 90d or a duration such as 720h", s)
	}
	return d, nil
}

// parseTenantRetention reads per-tenant retention periods:
// tenant=period[,tenant=period...]; the tenant "-" is the default tenant.
func parseTenantRetention(s string) (map[string]time.Duration, error) {
	out := map[string]time.Duration{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		tenant, period, ok := strings.Cut(item, "=")
		if !ok || strings.TrimSpace(tenant) == "" {
			return nil, fmt.Errorf("invalid tenant retention %q: want tenant=period", item)
		}
		d, err := parseRetention(period)
		if err != nil {
			return nil, err
		}
		tenant = strings.TrimSpace(tenant)
		if tenant == "-" {
			tenant = ""
		}
		out[tenant] = d
	}
	return out, nil
}
