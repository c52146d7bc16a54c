package conformance

import (
	"fmt"
	"time"

	"github.com/opentid/opentid/spec"
)

// Status is the outcome of a case, of a requirement or of a run. The
// values are ordered: combining outcomes keeps the highest.
type Status int

// The five result states, after StatusUnknown (not run yet).
const (
	StatusUnknown Status = iota
	// StatusDisabled: the case was turned off by configuration.
	StatusDisabled
	// StatusSkip: the product does not claim the case's class, or a
	// precondition of the case is missing.
	StatusSkip
	// StatusPass: the product did what the requirements say.
	StatusPass
	// StatusFail: the product broke a requirement.
	StatusFail
	// StatusError: the suite or the network failed; this says nothing
	// about the product's conformance.
	StatusError
)

var statusNames = [...]string{"unknown", "disabled", "skip", "pass", "fail", "error"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText encodes the status as its name.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a status name.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("unknown status %q", b)
}

// Worst returns the higher of two statuses.
func Worst(a, b Status) Status { return max(a, b) }

// Failure is one broken expectation of a case.
type Failure struct {
	// Requirement is the requirement the expectation checks.
	Requirement spec.ReqID `json:"requirement,omitempty"`
	Message     string     `json:"message"`
	Expected    string     `json:"expected,omitempty"`
	Got         string     `json:"got,omitempty"`
	// Exchange is the index in CaseResult.Exchanges of the exchange the
	// failure is about, or -1.
	Exchange int `json:"exchange"`
}

// CaseResult is the outcome of one case.
type CaseResult struct {
	ID     string       `json:"id"`
	Title  string       `json:"title"`
	Class  string       `json:"class"`
	Since  string       `json:"since"`
	Covers []spec.ReqID `json:"covers"`
	Status Status       `json:"status"`
	// Message explains a skip, a disabled case or an error.
	Message   string        `json:"message,omitempty"`
	Failures  []Failure     `json:"failures,omitempty"`
	Exchanges []Exchange    `json:"exchanges,omitempty"`
	Start     time.Time     `json:"start"`
	Duration  time.Duration `json:"durationNs"`
}

// RequirementResult is the verdict on one requirement: the worst status of
// the cases that cover it.
type RequirementResult struct {
	ID     spec.ReqID `json:"id"`
	Class  string     `json:"class"`
	Level  spec.Level `json:"level"`
	Status Status     `json:"status"`
	Cases  []string   `json:"cases,omitempty"`
	// Untestable holds the reason when no case can check the requirement.
	Untestable string `json:"untestable,omitempty"`
}

// Counts tallies results by status.
type Counts struct {
	Pass     int `json:"pass"`
	Fail     int `json:"fail"`
	Skip     int `json:"skip"`
	Disabled int `json:"disabled"`
	Error    int `json:"error"`
}

// Add counts one status.
func (c *Counts) Add(s Status) {
	switch s {
	case StatusPass:
		c.Pass++
	case StatusFail:
		c.Fail++
	case StatusSkip:
		c.Skip++
	case StatusDisabled:
		c.Disabled++
	case StatusError:
		c.Error++
	}
}

// ClassResult summarises the cases of one conformance class.
type ClassResult struct {
	Name    string `json:"name"`
	Claimed bool   `json:"claimed"`
	Status  Status `json:"status"`
	Counts  Counts `json:"counts"`
}

// Result is the outcome of a run.
type Result struct {
	Suite         string `json:"suite"`
	SuiteVersion  string `json:"suiteVersion"`
	SuiteRevision string `json:"suiteRevision,omitempty"`
	SpecVersion   string `json:"specVersion"`
	NGSILDVersion string `json:"ngsildVersion"`
	RunID         string `json:"runId"`
	// Config is the configuration of the run, with secrets redacted.
	Config       RedactedConfig      `json:"config"`
	Start        time.Time           `json:"start"`
	Stop         time.Time           `json:"stop"`
	Status       Status              `json:"status"`
	Counts       Counts              `json:"counts"`
	Classes      []ClassResult       `json:"classes"`
	Cases        []CaseResult        `json:"cases"`
	Requirements []RequirementResult `json:"requirements"`
	// Cleanup lists the resources the run could not delete.
	Cleanup []string `json:"cleanupLeftovers,omitempty"`
}

// Passed reports whether the verdict is positive: no case failed and none
// ended in error.
func (r *Result) Passed() bool { return r.Counts.Fail == 0 && r.Counts.Error == 0 }

// summarize fills Status, Counts, Classes and Requirements from Cases.
func (r *Result) summarize(claimed map[string]bool) {
	r.Counts = Counts{}
	byClass := map[string]*ClassResult{}
	var order []string
	for _, c := range spec.Classes() {
		byClass[c.Name] = &ClassResult{Name: c.Name, Claimed: claimed[c.Name]}
		order = append(order, c.Name)
	}
	reqCases := map[spec.ReqID][]int{}
	for i, c := range r.Cases {
		r.Counts.Add(c.Status)
		cr := byClass[c.Class]
		if cr == nil {
			cr = &ClassResult{Name: c.Class, Claimed: claimed[c.Class]}
			byClass[c.Class] = cr
			order = append(order, c.Class)
		}
		cr.Counts.Add(c.Status)
		cr.Status = Worst(cr.Status, c.Status)
		for _, id := range c.Covers {
			reqCases[id] = append(reqCases[id], i)
		}
	}
	r.Status = StatusPass
	switch {
	case r.Counts.Error > 0:
		r.Status = StatusError
	case r.Counts.Fail > 0:
		r.Status = StatusFail
	}
	r.Classes = r.Classes[:0]
	for _, n := range order {
		r.Classes = append(r.Classes, *byClass[n])
	}
	untestable := map[spec.ReqID]string{}
	for _, u := range spec.UntestableRequirements() {
		untestable[u.ID] = u.Reason
	}
	r.Requirements = r.Requirements[:0]
	for _, q := range spec.Requirements() {
		rr := RequirementResult{ID: q.ID, Class: q.Class, Level: q.Level, Untestable: untestable[q.ID]}
		for _, i := range reqCases[q.ID] {
			rr.Cases = append(rr.Cases, r.Cases[i].ID)
			rr.Status = Worst(rr.Status, r.Cases[i].Status)
		}
		if rr.Status == StatusUnknown {
			rr.Status = StatusSkip
		}
		r.Requirements = append(r.Requirements, rr)
	}
}
