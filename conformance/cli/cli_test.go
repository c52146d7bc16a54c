package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "conformance.yaml")
	yaml := "baseUrl: http://file/ngsi-ld/v1\nclasses: [core]\ntenant: from-file\nresults: file-results\ncaseTimeout: 5s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s, _, err := LoadSettings([]string{"--config", file, "--tenant", "from-flag"}, env(map[string]string{
		EnvPrefix + "BASE_URL": "http://env/ngsi-ld/v1",
		EnvPrefix + "TENANT":   "from-env",
		EnvPrefix + "CLASSES":  "core, tenancy",
	}), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if s.BaseURL != "http://env/ngsi-ld/v1" {
		t.Errorf("environment must beat the file: %q", s.BaseURL)
	}
	if s.Tenant != "from-flag" {
		t.Errorf("flags must beat the environment: %q", s.Tenant)
	}
	if !slices.Equal(s.Classes, []string{"core", "tenancy"}) || s.Results != "file-results" || s.CaseTimeout != 5*time.Second {
		t.Errorf("settings %+v", s)
	}
	s, _, err = LoadSettings(nil, env(map[string]string{EnvPrefix + "CONFIG": file}), io.Discard)
	if err != nil || s.BaseURL != "http://file/ngsi-ld/v1" {
		t.Errorf("the file named by the environment: %+v, %v", s, err)
	}
	s, _, err = LoadSettings([]string{"--base-url", "http://x/ngsi-ld/v1"}, env(nil), io.Discard)
	if err != nil || s.Results != DefaultResultsDir || len(s.Classes) != 0 {
		t.Errorf("defaults: %+v, %v", s, err)
	}
}

func TestSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	_ = os.WriteFile(bad, []byte("baseUrl: x\ncolour: red\n"), 0o644)
	for _, args := range [][]string{
		{"--config", bad},
		{"--config", filepath.Join(dir, "missing.yaml")},
		{"--case-timeout", "soon"},
		{"--no-such-flag"},
		{"stray"},
	} {
		if _, _, err := LoadSettings(args, env(nil), io.Discard); err == nil {
			t.Errorf("LoadSettings(%q) accepted it", args)
		}
	}
}

func TestRunUsageErrorIsNotANonConformance(t *testing.T) {
	err := Run(context.Background(), nil, env(nil), io.Discard, io.Discard)
	if err == nil || errors.Is(err, ErrNotConformant) {
		t.Errorf("missing base URL: %v", err)
	}
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"--list"}, env(nil), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "/ats/core/entity-create") {
		t.Errorf("--list printed %q", out.String())
	}
	if err := Run(context.Background(), []string{"-h"}, env(nil), io.Discard, io.Discard); err != nil {
		t.Errorf("-h: %v", err)
	}
}

func TestRunAgainstADownServer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL + "/ngsi-ld/v1"
	srv.Close()
	results := filepath.Join(t.TempDir(), "out")
	var out bytes.Buffer
	err := Run(context.Background(), []string{"--base-url", base, "--results", results, "--case-timeout", "2s"},
		env(map[string]string{EnvPrefix + "TOKEN": "top-secret"}), &out, io.Discard)
	if !errors.Is(err, ErrNotConformant) {
		t.Fatalf("err = %v, want ErrNotConformant", err)
	}
	if !strings.Contains(out.String(), "ERROR") {
		t.Errorf("the summary must report errors:\n%s", out.String())
	}
	var res struct {
		Counts struct{ Fail, Error int }
	}
	b, err := os.ReadFile(filepath.Join(results, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Counts.Fail != 0 || res.Counts.Error == 0 {
		t.Errorf("a down server gives errors, not failures: %+v", res.Counts)
	}
	for _, name := range []string{"results.json", "junit.xml", "report.html"} {
		b, err := os.ReadFile(filepath.Join(results, name))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("top-secret")) {
			t.Errorf("%s leaks the token", name)
		}
	}
}
