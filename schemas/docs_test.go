package schemas_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/opentid/opentid/schemas"
	"github.com/opentid/opentid/schemas/internal/docgen"
)

// The committed documentation is what go generate ./schemas writes.
func TestDocsUpToDate(t *testing.T) {
	set, err := schemas.Compile()
	if err != nil {
		t.Fatal(err)
	}
	pages, err := docgen.Generate(set, os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range pages {
		got, err := os.ReadFile(filepath.FromSlash(name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing: run go generate ./schemas", name)
		}
	}
	files, _ := filepath.Glob(filepath.Join("docs", "*.md"))
	for _, f := range files {
		if _, ok := pages[filepath.ToSlash(f)]; !ok {
			t.Errorf("%s is not generated any more: run go generate ./schemas", f)
		}
	}
}
