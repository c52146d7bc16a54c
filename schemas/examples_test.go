package schemas

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	compileOnce sync.Once
	compiled    *Set
	compileErr  error
)

func testSet(t testing.TB) *Set {
	t.Helper()
	compileOnce.Do(func() { compiled, compileErr = Compile() })
	if compileErr != nil {
		t.Fatal(compileErr)
	}
	return compiled
}

func readDoc(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return doc
}

// ruleMessages gives, for the rule named in an invalid example's file name
// (invalid-<rule>-<detail>.json), a text that one of its problems must contain.
var ruleMessages = map[string]string{
	"offset":      "UTC offset",
	"coordinates": "not in France",
	"unit":        "unit",
	"attribute":   "unknown attribute",
	"insee":       "INSEE commune code",
	"siren":       "SIREN",
	"required":    "missing required attribute",
	"range":       "too large",
	"enum":        "is not allowed",
}

func TestExamples(t *testing.T) {
	s := testSet(t)
	files, err := filepath.Glob(filepath.Join("examples", "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		model := filepath.Base(filepath.Dir(f))
		base := filepath.Base(f)
		t.Run(model+"/"+base, func(t *testing.T) {
			doc := readDoc(t, f)
			if doc["type"] != model {
				t.Errorf("type %v, want %s (the folder's name)", doc["type"], model)
			}
			problems := s.Validate(doc, FormAuto)
			switch {
			case strings.HasPrefix(base, "valid-"):
				for _, p := range problems {
					t.Errorf("%s", p)
				}
				form := strings.TrimSuffix(strings.TrimPrefix(base, "valid-"), ".json")
				if got := DetectForm(doc); string(got) != form {
					t.Errorf("detected form %q, want %q", got, form)
				}
			case strings.HasPrefix(base, "invalid-"):
				rule, _, _ := strings.Cut(strings.TrimPrefix(base, "invalid-"), "-")
				want, ok := ruleMessages[rule]
				if !ok {
					t.Fatalf("unknown rule %q in the file name", rule)
				}
				found := false
				for _, p := range problems {
					t.Logf("%s", p)
					if strings.Contains(p.Message, want) {
						found = true
					}
				}
				if !found {
					t.Errorf("no problem mentions %q; got %v", want, problems)
				}
			default:
				t.Errorf("example names start with valid- or invalid-")
			}
		})
	}
}

// The embedded examples are those of the directory.
func TestEmbeddedExamples(t *testing.T) {
	onDisk, _ := filepath.Glob(filepath.Join("examples", "*", "*.json"))
	embedded, err := fs.Glob(Files(), "examples/*/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(embedded) != len(onDisk) || len(onDisk) == 0 {
		t.Errorf("%d embedded examples, %d on disk", len(embedded), len(onDisk))
	}
}
