// Package cli is the command line of the conformance suite:
// `opentid conformance --base-url URL ...`. Settings come from flags, then
// environment variables (OPENTID_CONFORMANCE_*), then a YAML file, then
// defaults, in that order of precedence.
package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/conformance/report"
	"github.com/opentid/opentid/spec"
)

// ErrNotConformant is returned (wrapped) when the run ended with a failed
// case or a case in error. Other errors are usage or setup problems.
var ErrNotConformant = errors.New("not conformant")

// EnvPrefix starts the name of every environment variable of the suite.
const EnvPrefix = "OPENTID_CONFORMANCE_"

// Settings are the suite's settings as written in a YAML file.
type Settings struct {
	BaseURL     string        `yaml:"baseUrl"`
	Classes     []string      `yaml:"classes"`
	Tenant      string        `yaml:"tenant"`
	Token       string        `yaml:"token"`
	Results     string        `yaml:"results"`
	CallbackURL string        `yaml:"callbackUrl"`
	Listen      string        `yaml:"listen"`
	CaseTimeout time.Duration `yaml:"caseTimeout"`
	Disabled    []string      `yaml:"disabled"`
	Focus       []string      `yaml:"focus"`
	SpecVersion string        `yaml:"specVersion"`
}

// DefaultResultsDir is where reports go when nothing says otherwise.
const DefaultResultsDir = "conformance-results"

// setting binds one setting to its flag and environment variable.
type setting struct {
	flag, env, usage string
	apply            func(s *Settings, v string) error
}

func list(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var settings = []setting{
	{"base-url", "BASE_URL", "API root of the product, e.g. http://127.0.0.1:1026/ngsi-ld/v1 (required)",
		func(s *Settings, v string) error { s.BaseURL = v; return nil }},
	{"classes", "CLASSES", "comma-separated conformance classes the product claims (default core)",
		func(s *Settings, v string) error { s.Classes = list(v); return nil }},
	{"tenant", "TENANT", "NGSILD-Tenant for the cases that are not about tenancy (default: the default tenant)",
		func(s *Settings, v string) error { s.Tenant = v; return nil }},
	{"token", "TOKEN", "bearer token sent as Authorization; prefer the environment variable " + conformance.TokenEnv,
		func(s *Settings, v string) error { s.Token = v; return nil }},
	{"results", "RESULTS", "directory for results.json, junit.xml and report.html (default " + DefaultResultsDir + ")",
		func(s *Settings, v string) error { s.Results = v; return nil }},
	{"callback-url", "CALLBACK_URL", "URL at which the product can reach the suite (contexts, notifications)",
		func(s *Settings, v string) error { s.CallbackURL = v; return nil }},
	{"listen", "LISTEN", "address the suite listens on for callbacks (default: the port of the callback URL)",
		func(s *Settings, v string) error { s.Listen = v; return nil }},
	{"case-timeout", "CASE_TIMEOUT", "time limit of each case (default 30s)",
		func(s *Settings, v string) error {
			d, err := time.ParseDuration(v)
			s.CaseTimeout = d
			return err
		}},
	{"disable", "DISABLED", "comma-separated case IDs or ID prefixes not to run",
		func(s *Settings, v string) error { s.Disabled = list(v); return nil }},
	{"focus", "FOCUS", "comma-separated case ID prefixes: run only these",
		func(s *Settings, v string) error { s.Focus = list(v); return nil }},
	{"spec-version", "SPEC_VERSION", "spec version the product claims (default " + spec.Version + ")",
		func(s *Settings, v string) error { s.SpecVersion = v; return nil }},
}

// LoadSettings resolves the settings from the arguments, the environment
// and the YAML file named by --config or OPENTID_CONFORMANCE_CONFIG.
func LoadSettings(args []string, getenv func(string) string, stderr io.Writer) (Settings, *flag.FlagSet, error) {
	fs := flag.NewFlagSet("conformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	flagValues := map[string]*string{}
	for _, st := range settings {
		flagValues[st.flag] = fs.String(st.flag, "", st.usage)
	}
	configFile := fs.String("config", "", "YAML file with the settings (or "+EnvPrefix+"CONFIG)")
	fs.Bool("list", false, "list the cases and the requirements they cover, and exit")
	if err := fs.Parse(args); err != nil {
		return Settings{}, fs, err
	}
	if fs.NArg() > 0 {
		return Settings{}, fs, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var s Settings
	file := *configFile
	if file == "" {
		file = getenv(EnvPrefix + "CONFIG")
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return s, fs, fmt.Errorf("reading the configuration: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		dec.KnownFields(true)
		if err := dec.Decode(&s); err != nil && !errors.Is(err, io.EOF) {
			return s, fs, fmt.Errorf("configuration file %s: %w", file, err)
		}
	}
	for _, st := range settings {
		if v := getenv(EnvPrefix + st.env); v != "" {
			if err := st.apply(&s, v); err != nil {
				return s, fs, fmt.Errorf("%s%s: %w", EnvPrefix, st.env, err)
			}
		}
	}
	var errs []error
	fs.Visit(func(f *flag.Flag) {
		for _, st := range settings {
			if st.flag == f.Name {
				if err := st.apply(&s, *flagValues[f.Name]); err != nil {
					errs = append(errs, fmt.Errorf("--%s: %w", f.Name, err))
				}
			}
		}
	})
	if s.Results == "" {
		s.Results = DefaultResultsDir
	}
	return s, fs, errors.Join(errs...)
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "Usage: opentid conformance --base-url URL [options]\n\n")
	fmt.Fprintf(w, "Runs the OpenTID conformance suite (spec %s) against a product and writes\n", spec.Version)
	fmt.Fprintf(w, "results.json, junit.xml and report.html. Each option can also be set with the\n")
	fmt.Fprintf(w, "environment variable %s<NAME> or in the YAML file of --config;\n", EnvPrefix)
	fmt.Fprintf(w, "flags beat the environment, which beats the file.\n\nOptions:\n")
	fs.VisitAll(func(f *flag.Flag) {
		env := ""
		for _, st := range settings {
			if st.flag == f.Name {
				env = " [" + EnvPrefix + st.env + "]"
			}
		}
		fmt.Fprintf(w, "  --%s%s\n      %s\n", f.Name, env, f.Usage)
	})
}

// Config turns settings into the run configuration.
func (s Settings) Config() conformance.Config {
	return conformance.Config{
		BaseURL: s.BaseURL, Classes: s.Classes, Tenant: s.Tenant, Token: s.Token,
		CallbackURL: s.CallbackURL, ListenAddr: s.Listen, CaseTimeout: s.CaseTimeout,
		Disabled: s.Disabled, Focus: s.Focus, SpecVersion: s.SpecVersion,
	}
}

// Run is `opentid conformance`: args are the arguments after the
// subcommand. It returns nil when the product passed, an error wrapping
// ErrNotConformant when a case failed or ended in error, and another
// error for a usage or setup problem.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	s, fs, err := LoadSettings(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if f := fs.Lookup("list"); f != nil && f.Value.String() == "true" {
		listCases(stdout)
		return nil
	}
	cfg := s.Config()
	cfg.Progress = report.Progress(stdout)
	fmt.Fprintf(stdout, "%s %s: spec %s, classes %s, against %s\n", conformance.SuiteName, conformance.SuiteVersion,
		cfg.Redacted().SpecVersion, strings.Join(cfg.Redacted().Classes, ", "), cfg.Redacted().BaseURL)
	res, err := conformance.Run(ctx, cfg, conformance.Cases())
	if err != nil {
		return err
	}
	report.Summary(stdout, res)
	if err := report.WriteFiles(s.Results, res); err != nil {
		return fmt.Errorf("writing the reports: %w", err)
	}
	fmt.Fprintf(stdout, "reports written to %s (%s, %s, %s)\n", s.Results, report.JSONFile, report.JUnitFile, report.HTMLFile)
	if !res.Passed() {
		return fmt.Errorf("%w: %d failed, %d in error", ErrNotConformant, res.Counts.Fail, res.Counts.Error)
	}
	return nil
}

func listCases(w io.Writer) {
	for _, c := range conformance.Cases() {
		ids := make([]string, len(c.Covers))
		for i, r := range c.Covers {
			ids[i] = string(r)
		}
		fmt.Fprintf(w, "%-45s %-8s %s\n", c.ID, c.Class, strings.Join(ids, " "))
	}
}
