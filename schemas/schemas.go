package schemas

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// ContextURL is the URL at which the unified @context of the OpenTID models
// is published.
const ContextURL = "https://opentid.org/ns/context.jsonld"

// schemaBase is the base of the $id of every embedded schema.
const schemaBase = "https://opentid.org/schemas/"

// commonFile is the schema file of the shared definitions; every other file
// of the jsonschema directory is a model.
const commonFile = "common.schema.json"

//go:embed context.jsonld jsonschema/*.schema.json examples
var files embed.FS

// Context returns the unified JSON-LD @context document, served at ContextURL.
func Context() []byte {
	b, err := files.ReadFile("context.jsonld")
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

// Files returns the embedded files: context.jsonld,
// jsonschema/<Model>.schema.json, jsonschema/common.schema.json and the
// examples, examples/<Model>/valid-<form>.json and
// examples/<Model>/invalid-<rule>-<detail>.json.
func Files() fs.FS { return files }

// Form is an NGSI-LD representation of an entity.
type Form string

// The forms accepted by Validate. FormAuto detects the form of each document.
const (
	FormAuto       Form = ""
	FormNormalized Form = "normalized"
	FormConcise    Form = "concise"
	FormKeyValues  Form = "keyValues"
)

// Problem is one reason why a document is invalid.
type Problem struct {
	// Pointer is a JSON pointer (RFC 6901) into the document as given, for
	// instance "/no2/unitCode" in the normalized form or "/no2" in keyValues.
	Pointer string `json:"pointer"`
	// Message says what is wrong, in plain English.
	Message string `json:"message"`
}

func (p Problem) String() string { return p.Pointer + ": " + p.Message }

// Set is the compiled set of models. It is safe for concurrent use; compile it
// once.
type Set struct {
	models map[string]*model
	names  []string
	raw    map[string]map[string]any // decoded schema files by file name
	order  map[string]map[string][]string
	units  map[string]Unit
}

type model struct {
	name   string
	schema *jsonschema.Schema
	attrs  map[string]*Attribute
	order  []string
}

// Compile compiles the embedded schemas. References resolve against the
// embedded files only; nothing is fetched over the network.
func Compile() (*Set, error) {
	entries, err := fs.Glob(files, "jsonschema/*.schema.json")
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.RegisterFormat(&jsonschema.Format{Name: "siren", Validate: validateSIREN})
	c.UseLoader(offlineLoader{})
	s := &Set{models: map[string]*model{}, raw: map[string]map[string]any{}, order: map[string]map[string][]string{}}
	for _, name := range entries {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		base := path.Base(name)
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", base, err)
		}
		if err := c.AddResource(schemaBase+base, doc); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", base, err)
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", base, err)
		}
		s.raw[base] = raw
		if s.order[base], err = memberOrder(b); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", base, err)
		}
	}
	if s.raw[commonFile] == nil {
		return nil, errors.New("schemas: " + commonFile + " is missing")
	}
	s.units = readUnits(s.raw[commonFile])
	for base, raw := range s.raw {
		if base == commonFile {
			continue
		}
		name := strings.TrimSuffix(base, ".schema.json")
		sch, err := c.Compile(schemaBase + base)
		if err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", base, err)
		}
		m := &model{name: name, schema: sch}
		if err := s.catalog(m, raw); err != nil {
			return nil, fmt.Errorf("schemas: %s: %w", base, err)
		}
		s.models[name] = m
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	return s, nil
}

// offlineLoader refuses every URL: all schemas are added as resources before
// compilation, so a reference that is not among them is an error, never a
// network request.
type offlineLoader struct{}

func (offlineLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas: reference to %s is not an embedded schema; remote references are not resolved", url)
}

// Models lists the entity types the standard defines, sorted.
func (s *Set) Models() []string { return append([]string(nil), s.names...) }

// Has reports whether typ, a short name of the unified @context, is a model of
// the standard.
func (s *Set) Has(typ string) bool { _, ok := s.models[typ]; return ok }

// Validate checks one entity document given in the NGSI-LD normalized, concise
// or keyValues form, with the short names of the unified @context. The form ""
// detects the form. It returns the problems found, nil when the document is
// valid.
func (s *Set) Validate(doc map[string]any, form Form) []Problem {
	switch form {
	case FormAuto, FormNormalized, FormConcise, FormKeyValues:
	default:
		return []Problem{{Pointer: "", Message: fmt.Sprintf("unknown form %q: use normalized, concise or keyValues", form)}}
	}
	if doc == nil {
		return []Problem{{Pointer: "", Message: "the document must be a JSON object"}}
	}
	typ, ok := doc["type"].(string)
	if !ok {
		if _, present := doc["type"]; !present {
			return []Problem{{Pointer: "/type", Message: "missing entity type"}}
		}
		return []Problem{{Pointer: "/type", Message: "must be the name of one OpenTID model, as a string"}}
	}
	m := s.models[typ]
	if m == nil {
		return []Problem{{Pointer: "/type", Message: fmt.Sprintf("unknown entity type %q: not a model of the OpenTID standard", typ)}}
	}
	if form == FormAuto {
		form = DetectForm(doc)
	}
	normalized, pm := doc, ptrMap(nil)
	if form != FormNormalized {
		normalized, pm = m.normalize(doc, form)
	}
	err := m.schema.Validate(any(normalized))
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []Problem{{Pointer: "", Message: err.Error()}}
	}
	return s.problems(m, verr, pm)
}
