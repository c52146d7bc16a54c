package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opentid/opentid/schemas"
)

// invalidError reports that some documents are invalid; main exits with
// status 1.
type invalidError struct{ invalid, total int }

func (e invalidError) Error() string {
	return fmt.Sprintf("%d of %d documents are invalid", e.invalid, e.total)
}

// runValidate is "opentid validate FILE|DIR|- ...": it checks entity documents
// against the OpenTID data models and prints each problem as
// "file: /json/pointer: message".
func runValidate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return validator{stdin: os.Stdin}.run(ctx, args, stdout, stderr)
}

type validator struct {
	stdin io.Reader
}

func (v validator) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fset := flag.NewFlagSet("opentid validate", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() {
		fmt.Fprint(stderr, "Usage: opentid validate [--form normalized|concise|keyValues|auto] FILE|DIR|- ...\n\n"+
			"Validates NGSI-LD entity documents (an entity or an array of entities per file) against the OpenTID data models.\n"+
			"A directory is searched for .json and .jsonld files; - reads standard input.\n\n")
		fset.PrintDefaults()
	}
	form := fset.String("form", "auto", "form of the documents: normalized, concise, keyValues or auto (detected per document)")
	// Flags may follow the paths.
	var paths []string
	for rest := args; ; {
		if err := fset.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return usageError{}
			}
			return usageError{err.Error()}
		}
		if fset.NArg() == 0 {
			break
		}
		paths = append(paths, fset.Arg(0))
		rest = fset.Args()[1:]
	}
	var f schemas.Form
	switch *form {
	case "auto":
		f = schemas.FormAuto
	case string(schemas.FormNormalized), string(schemas.FormConcise), string(schemas.FormKeyValues):
		f = schemas.Form(*form)
	default:
		return usageError{fmt.Sprintf("invalid --form %q: use normalized, concise, keyValues or auto", *form)}
	}
	if len(paths) == 0 {
		fset.Usage()
		return usageError{"missing FILE, DIR or -"}
	}
	set, err := schemas.Compile()
	if err != nil {
		return err
	}
	var total, invalid int
	check := func(name string, b []byte) {
		for _, p := range validateBytes(set, b, f) {
			if p.doc {
				total++
			}
			if p.problems == nil && p.err == "" {
				continue
			}
			invalid++
			if p.err != "" {
				fmt.Fprintf(stdout, "%s: %s: %s\n", name, p.prefix, p.err)
			}
			for _, pr := range p.problems {
				fmt.Fprintf(stdout, "%s: %s%s: %s\n", name, p.prefix, pr.Pointer, pr.Message)
			}
		}
	}
	for _, path := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		if path == "-" {
			b, err := io.ReadAll(v.stdin)
			if err != nil {
				return err
			}
			check("-", b)
			continue
		}
		files, err := jsonFiles(path)
		if err != nil {
			return err
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			check(name, b)
		}
	}
	if invalid > 0 {
		return invalidError{invalid: invalid, total: total}
	}
	fmt.Fprintf(stderr, "%d documents valid\n", total)
	return nil
}

// result is the outcome for one document of a file; prefix is its pointer in
// the file ("" for a file holding one entity, "/3" for the fourth of an array).
type result struct {
	prefix   string
	doc      bool
	err      string
	problems []schemas.Problem
}

func validateBytes(set *schemas.Set, b []byte, form schemas.Form) []result {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []result{{doc: true, err: "invalid JSON: " + err.Error()}}
	}
	if dec.More() {
		return []result{{doc: true, err: "invalid JSON: more than one value"}}
	}
	switch d := v.(type) {
	case map[string]any:
		return []result{{doc: true, problems: set.Validate(d, form)}}
	case []any:
		out := make([]result, 0, len(d))
		for i, e := range d {
			prefix := "/" + strconv.Itoa(i)
			m, ok := e.(map[string]any)
			if !ok {
				out = append(out, result{prefix: prefix, doc: true, err: "an entity must be a JSON object"})
				continue
			}
			out = append(out, result{prefix: prefix, doc: true, problems: set.Validate(m, form)})
		}
		return out
	}
	return []result{{doc: true, err: "the document must be an entity (a JSON object) or an array of entities"}}
}

// jsonFiles lists path itself when it is a file, else the .json and .jsonld
// files under it, in lexical order.
func jsonFiles(path string) ([]string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".jsonld")) {
			files = append(files, p)
		}
		return nil
	})
	return files, err
}
