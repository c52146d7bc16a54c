package selftest

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentid/opentid/conformance/cli"
)

// TestCLIAgainstReference is the vendor experience: `opentid conformance`
// against a running reference server prints progress and a summary,
// writes the three reports and returns nil.
func TestCLIAgainstReference(t *testing.T) {
	srv := httptest.NewServer(newReference(t))
	defer srv.Close()
	results := filepath.Join(t.TempDir(), "results")
	var out bytes.Buffer
	err := cli.Run(context.Background(), []string{"--base-url", srv.URL + "/ngsi-ld/v1", "--results", results},
		func(k string) string {
			if k == cli.EnvPrefix+"CLASSES" {
				return strings.Join(referenceClasses, ",")
			}
			return ""
		}, &out, &out)
	if err != nil {
		t.Fatalf("cli.Run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"pass", "/ats/core/entity-create", "PASS"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the console output lacks %q", want)
		}
	}
	for _, name := range []string{"results.json", "junit.xml", "report.html"} {
		if _, err := os.Stat(filepath.Join(results, name)); err != nil {
			t.Error(err)
		}
	}
}
