package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const examplesDir = "../../schemas/examples"

func runValidateTest(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := validator{stdin: strings.NewReader(stdin)}.run(context.Background(), args, &stdout, &stderr)
	return stdout.String(), err
}

// Every example gives the exit status its name says.
func TestValidateExamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(examplesDir, "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		out, err := runValidateTest(t, "", f)
		valid := strings.HasPrefix(filepath.Base(f), "valid-")
		switch {
		case valid && err != nil:
			t.Errorf("%s: %v\n%s", f, err, out)
		case !valid && exitCode(err) != 1:
			t.Errorf("%s: exit status %d, want 1 (err %v)", f, exitCode(err), err)
		case !valid && !strings.HasPrefix(out, f+": /"):
			t.Errorf("%s: output %q does not start with the file and a pointer", f, out)
		}
	}
}

func TestValidateDirectory(t *testing.T) {
	out, err := runValidateTest(t, "", examplesDir)
	var ie invalidError
	if !errors.As(err, &ie) || exitCode(err) != 1 {
		t.Fatalf("err = %v, want invalid documents", err)
	}
	if ie.invalid == 0 || ie.invalid >= ie.total {
		t.Errorf("%d of %d invalid", ie.invalid, ie.total)
	}
	if !strings.Contains(out, "invalid-coordinates-swapped.json: /location/coordinates: ") {
		t.Errorf("output lacks the swapped coordinates:\n%s", out)
	}

	// A directory of valid documents only.
	dir := t.TempDir()
	valid, _ := filepath.Glob(filepath.Join(examplesDir, "*", "valid-*.json"))
	for _, f := range valid {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(filepath.Dir(f)) + "-" + filepath.Base(f)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := runValidateTest(t, "", dir); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

func TestValidateStdinAndForms(t *testing.T) {
	kv, err := os.ReadFile(filepath.Join(examplesDir, "WeatherObserved", "valid-keyValues.json"))
	if err != nil {
		t.Fatal(err)
	}
	norm, err := os.ReadFile(filepath.Join(examplesDir, "WeatherObserved", "valid-normalized.json"))
	if err != nil {
		t.Fatal(err)
	}
	array := "[" + string(kv) + "," + string(norm) + "]"
	tests := []struct {
		name, stdin string
		args        []string
		status      int
		out         string
	}{
		{"keyValues on stdin", string(kv), []string{"-"}, 0, ""},
		{"explicit form after the path", string(kv), []string{"-", "--form", "keyValues"}, 0, ""},
		{"wrong explicit form", string(norm), []string{"--form=keyValues", "-"}, 1, "-: /temperature: must be a number"},
		{"array of entities", array, []string{"-"}, 0, ""},
		{"invalid entity in an array", "[" + string(kv) + `,{"type":"WeatherObserved"}]`, []string{"-"}, 1, "-: /1/id: missing required attribute"},
		{"not JSON", "{", []string{"-"}, 1, "-: : invalid JSON"},
		{"unknown type", `{"id":"urn:x","type":"Thing"}`, []string{"-"}, 1, `-: /type: unknown entity type "Thing"`},
		{"unknown form", "", []string{"--form", "simplified", "-"}, 2, ""},
		{"no path", "", nil, 2, ""},
		{"missing file", "", []string{"no-such-file.json"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runValidateTest(t, tt.stdin, tt.args...)
			status := 0
			if err != nil {
				status = exitCode(err)
			}
			if status != tt.status {
				t.Errorf("status %d, want %d (err %v)\n%s", status, tt.status, err, out)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("output %q does not contain %q", out, tt.out)
			}
		})
	}
}

// The command is wired into run.
func TestRunValidate(t *testing.T) {
	var stdout, stderr bytes.Buffer
	f := filepath.Join(examplesDir, "Device", "valid-normalized.json")
	if err := run(context.Background(), []string{"validate", f}, func(string) string { return "" }, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
}
