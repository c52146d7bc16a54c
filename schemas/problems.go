package schemas

import (
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// problem is a Problem before deduplication; specific is true when its
// message comes from the schema ("x-message") rather than from the keyword.
type problem struct {
	Problem
	specific bool
}

// problems turns the error tree of jsonschema into a flat list of problems
// with pointers into the document as given. When a definition of the schemas
// carries an "x-message", that message replaces the errors of its keywords;
// at a given pointer such messages win over generic ones.
func (s *Set) problems(m *model, root *jsonschema.ValidationError, pm ptrMap) []Problem {
	var raw []problem
	add := func(tokens []string, msg string, specific bool) {
		raw = append(raw, problem{Problem{Pointer: pointer(pm.mapPointer(tokens)), Message: msg}, specific})
	}
	var collect func(e *jsonschema.ValidationError)
	collect = func(e *jsonschema.ValidationError) {
		node := s.schemaNode(e.SchemaURL)
		if msg, ok := node["x-message"].(string); ok {
			if _, isReq := e.ErrorKind.(*kind.Required); !isReq {
				add(e.InstanceLocation, msg, true)
				return
			}
		}
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				collect(c)
			}
			return
		}
		loc := e.InstanceLocation
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, name := range k.Missing {
				add(append(clone(loc), name), s.missingMessage(m, loc, name), false)
			}
		case *kind.AdditionalProperties:
			for _, name := range k.Properties {
				add(append(clone(loc), name), fmt.Sprintf("unknown member %q", name), false)
			}
		case *kind.FalseSchema:
			name := ""
			if len(loc) > 0 {
				name = loc[len(loc)-1]
			}
			switch {
			case len(loc) == 1 && strings.HasSuffix(e.SchemaURL, "/unevaluatedProperties"):
				// When a shared definition fails, the validator forgets the
				// members it evaluated: only names that are not attributes of
				// the model are unknown.
				if m.attrs[name] != nil || coreMembers[name] {
					return
				}
				add(loc, fmt.Sprintf("unknown attribute %q: not an attribute of the %s model (check its spelling)", name, m.name), false)
			default:
				add(loc, fmt.Sprintf("unknown member %q", name), false)
			}
		default:
			add(loc, s.message(e, loc), false)
		}
	}
	collect(root)
	return settle(raw)
}

// settle drops generic problems at pointers that have a specific one, removes
// duplicates and sorts the problems by pointer.
func settle(raw []problem) []Problem {
	specific := map[string]bool{}
	for _, p := range raw {
		if p.specific {
			specific[p.Pointer] = true
		}
	}
	seen := map[Problem]bool{}
	var out []Problem
	for _, p := range raw {
		if specific[p.Pointer] && !p.specific || seen[p.Problem] {
			continue
		}
		seen[p.Problem] = true
		out = append(out, p.Problem)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pointer != out[j].Pointer {
			return out[i].Pointer < out[j].Pointer
		}
		return out[i].Message < out[j].Message
	})
	return out
}

func (s *Set) missingMessage(m *model, loc []string, name string) string {
	if len(loc) == 0 {
		return fmt.Sprintf("missing required attribute %q of the %s model", name, m.name)
	}
	if name == "unitCode" && len(loc) == 1 {
		if a := m.attrs[loc[0]]; a != nil && a.DefaultUnit != "" {
			return fmt.Sprintf("missing unitCode: a measured value states its unit (%s, UN/CEFACT code %s, by default)", s.units[a.DefaultUnit].Name, a.DefaultUnit)
		}
		return "missing unitCode: a measured value states its unit"
	}
	return fmt.Sprintf("missing member %q", name)
}

// message writes the error of one keyword in plain English.
func (s *Set) message(e *jsonschema.ValidationError, loc []string) string {
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		return fmt.Sprintf("must be %s, not %s", orList(k.Want, article), article(k.Got))
	case *kind.Enum:
		if len(loc) > 0 && loc[len(loc)-1] == "unitCode" {
			return fmt.Sprintf("unit code %s is not a unit of this attribute: use %s", display(k.Got), orList(strs(k.Want), nil))
		}
		return fmt.Sprintf("%s is not allowed: must be %s", display(k.Got), orList(strs(k.Want), nil))
	case *kind.Const:
		return fmt.Sprintf("must be %s, not %s", display(k.Want), display(k.Got))
	case *kind.Minimum:
		return fmt.Sprintf("%s is too small: must be at least %s", rat(k.Got), rat(k.Want))
	case *kind.Maximum:
		return fmt.Sprintf("%s is too large: must be at most %s", rat(k.Got), rat(k.Want))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("%s is too small: must be more than %s", rat(k.Got), rat(k.Want))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("%s is too large: must be less than %s", rat(k.Got), rat(k.Want))
	case *kind.MinItems:
		return fmt.Sprintf("has %d items: at least %d are needed", k.Got, k.Want)
	case *kind.MaxItems:
		return fmt.Sprintf("has %d items: at most %d are allowed", k.Got, k.Want)
	case *kind.MinLength:
		if k.Want == 1 {
			return "must not be empty"
		}
		return fmt.Sprintf("must have at least %d characters", k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("%q does not have the expected form (pattern %s)", k.Got, k.Want)
	case *kind.Format:
		return fmt.Sprintf("%s is not a valid %s", display(k.Got), k.Want)
	case *kind.UniqueItems:
		return fmt.Sprintf("items %d and %d are equal: items must be unique", k.Duplicates[0], k.Duplicates[1])
	case *kind.MinProperties:
		return "must not be empty"
	}
	return e.ErrorKind.LocalizedString(printer)
}

// schemaNode returns the schema object that an error's SchemaURL designates.
func (s *Set) schemaNode(url string) map[string]any {
	f, frag, _ := strings.Cut(strings.TrimPrefix(url, schemaBase), "#")
	doc := s.raw[f]
	if doc == nil {
		return nil
	}
	n, _ := lookup(doc, frag).(map[string]any)
	return n
}

func clone(s []string) []string { return append([]string(nil), s...) }

func strs(v []any) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = display(x)
	}
	return out
}

func display(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%v", v)
}

func rat(r *big.Rat) string {
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprintf("%g", f)
}

func article(t string) string {
	switch t {
	case "object", "array", "integer":
		return "an " + t
	case "null":
		return "null"
	}
	return "a " + t
}

func orList(items []string, f func(string) string) string {
	if f != nil {
		m := make([]string, len(items))
		for i, s := range items {
			m[i] = f(s)
		}
		items = m
	}
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
