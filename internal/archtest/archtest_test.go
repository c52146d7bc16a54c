package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/opentid/opentid"

// deps lists the packages that the packages matching pattern depend on.
func deps(t *testing.T, pattern string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pattern).CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pattern, err, out)
	}
	return strings.Fields(string(out))
}

func TestImportRules(t *testing.T) {
	tests := []struct {
		pattern   string
		forbidden []string
	}{
		{module + "/conformance/...", []string{module + "/server", module + "/clients", module + "/internal/selftest"}},
		{module + "/spec", []string{module + "/server", module + "/conformance", module + "/clients"}},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			list := deps(t, tc.pattern)
			if !strings.Contains(strings.Join(list, " "), module+"/spec") {
				t.Fatalf("go list -deps %s does not list the spec package: %v", tc.pattern, list)
			}
			for _, d := range list {
				for _, f := range tc.forbidden {
					if d == f || strings.HasPrefix(d, f+"/") {
						t.Errorf("%s depends on %s", tc.pattern, d)
					}
				}
			}
		})
	}
}
