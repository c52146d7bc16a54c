// Command gendocs writes the documentation of the OpenTID data models into
// the docs directory. Run it from the schemas directory: go generate ./schemas.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opentid/opentid/schemas"
	"github.com/opentid/opentid/schemas/internal/docgen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run() error {
	set, err := schemas.Compile()
	if err != nil {
		return err
	}
	pages, err := docgen.Generate(set, os.DirFS("."))
	if err != nil {
		return err
	}
	if err := os.MkdirAll("docs", 0o755); err != nil {
		return err
	}
	// Remove pages of models that no longer exist.
	old, err := filepath.Glob(filepath.Join("docs", "*.md"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if _, ok := pages[filepath.ToSlash(f)]; !ok && strings.HasSuffix(f, ".md") {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, b := range pages {
		if err := os.WriteFile(filepath.FromSlash(name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
