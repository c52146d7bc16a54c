// Package report renders the result of a conformance run: progress and a
// summary on the console, results.json, junit.xml and a self-contained
// report.html. Every renderer works on the redacted result: secrets never
// reach a report.
package report

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opentid/opentid/conformance"
)

// File names written by WriteFiles.
const (
	JSONFile  = "results.json"
	JUnitFile = "junit.xml"
	HTMLFile  = "report.html"
)

// Progress returns a function that prints one line per finished case.
func Progress(w io.Writer) func(conformance.Event) {
	var mu sync.Mutex
	return func(ev conformance.Event) {
		if !ev.Done {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		r := ev.Result
		width := len(fmt.Sprint(ev.Total))
		line := fmt.Sprintf("[%*d/%d] %-8s %s", width, ev.Index+1, ev.Total, r.Status, r.ID)
		if r.Status == conformance.StatusPass || r.Status == conformance.StatusFail {
			line += fmt.Sprintf(" (%s)", r.Duration.Round(1e6))
		}
		if r.Message != "" && r.Status != conformance.StatusPass {
			line += ": " + firstLine(r.Message)
		}
		fmt.Fprintln(w, line)
		for _, f := range r.Failures {
			fmt.Fprintf(w, "        %s: %s\n", f.Requirement, f.Message)
		}
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// Summary prints the verdict by class and overall.
func Summary(w io.Writer, res *conformance.Result) {
	fmt.Fprintf(w, "\n%s %s, spec %s (NGSI-LD %s), run %s against %s\n",
		res.Suite, res.SuiteVersion, res.SpecVersion, res.NGSILDVersion, res.RunID, res.Config.BaseURL)
	fmt.Fprintf(w, "%-14s %-8s %5s %5s %5s %8s %5s\n", "class", "claimed", "pass", "fail", "skip", "disabled", "error")
	for _, c := range res.Classes {
		if c.Counts == (conformance.Counts{}) {
			continue
		}
		claimed := "no"
		if c.Claimed {
			claimed = "yes"
		}
		fmt.Fprintf(w, "%-14s %-8s %5d %5d %5d %8d %5d\n", c.Name, claimed, c.Counts.Pass, c.Counts.Fail, c.Counts.Skip, c.Counts.Disabled, c.Counts.Error)
	}
	n := res.Counts
	fmt.Fprintf(w, "%-14s %-8s %5d %5d %5d %8d %5d\n", "total", "", n.Pass, n.Fail, n.Skip, n.Disabled, n.Error)
	for _, l := range res.Cleanup {
		fmt.Fprintf(w, "warning: not cleaned up: %s\n", l)
	}
	verdict := "PASS: the product conforms to the claimed classes"
	switch res.Status {
	case conformance.StatusFail:
		verdict = "FAIL: the product breaks requirements of the claimed classes"
	case conformance.StatusError:
		verdict = "ERROR: the suite could not check everything (network or suite failure)"
	}
	fmt.Fprintln(w, verdict)
}

// WriteJSON writes results.json. Transcripts are kept for the cases that
// did not pass only.
func WriteJSON(w io.Writer, res *conformance.Result) error {
	out := *res
	out.Cases = make([]conformance.CaseResult, len(res.Cases))
	for i, c := range res.Cases {
		if c.Status == conformance.StatusPass {
			c.Exchanges = nil
		}
		out.Cases[i] = c
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(&out)
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes junit.xml: one test suite per class, one test case per
// conformance case.
func WriteJUnit(w io.Writer, res *conformance.Result) error {
	out := junitSuites{Name: res.Suite, Time: res.Stop.Sub(res.Start).Seconds()}
	index := map[string]int{}
	for _, c := range res.Cases {
		i, ok := index[c.Class]
		if !ok {
			i = len(out.Suites)
			index[c.Class] = i
			out.Suites = append(out.Suites, junitSuite{Name: c.Class})
		}
		s := &out.Suites[i]
		jc := junitCase{Name: c.ID, Classname: "conformance." + c.Class, Time: c.Duration.Seconds()}
		switch c.Status {
		case conformance.StatusFail:
			var sb strings.Builder
			for _, f := range c.Failures {
				fmt.Fprintf(&sb, "%s: %s\n  expected: %s\n  got: %s\n", f.Requirement, f.Message, f.Expected, f.Got)
			}
			jc.Failure = &junitMessage{Message: fmt.Sprintf("%d failure(s)", len(c.Failures)), Text: sb.String()}
			s.Failures++
		case conformance.StatusError:
			jc.Error = &junitMessage{Message: firstLine(c.Message), Text: c.Message}
			s.Errors++
		case conformance.StatusSkip, conformance.StatusDisabled:
			jc.Skipped = &junitMessage{Message: c.Status.String() + ": " + c.Message}
			s.Skipped++
		}
		s.Tests++
		s.Cases = append(s.Cases, jc)
	}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteFiles writes results.json, junit.xml and report.html into dir,
// creating it if needed.
func WriteFiles(dir string, res *conformance.Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var errs []error
	for name, write := range map[string]func(io.Writer, *conformance.Result) error{
		JSONFile: WriteJSON, JUnitFile: WriteJUnit, HTMLFile: WriteHTML,
	} {
		errs = append(errs, writeFile(filepath.Join(dir, name), res, write))
	}
	return errors.Join(errs...)
}

func writeFile(path string, res *conformance.Result, write func(io.Writer, *conformance.Result) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f, res); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}
