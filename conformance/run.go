package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opentid/opentid/spec"
)

// SuiteName and SuiteVersion identify the suite in results.
const (
	SuiteName    = "OpenTID conformance suite"
	SuiteVersion = "0.2.1"
)

// DefaultCaseTimeout bounds a case when the configuration says nothing.
const DefaultCaseTimeout = 30 * time.Second

// cleanupTimeout bounds the deletion of a case's data.
const cleanupTimeout = 30 * time.Second

// Config says what to test and how.
type Config struct {
	// BaseURL is the API root of the product, ending with /ngsi-ld/v1.
	BaseURL string
	// Classes are the conformance classes the product claims; cases of
	// other classes are skipped. Empty means core only.
	Classes []string
	// Tenant is sent as NGSILD-Tenant on every request that is not about
	// tenancy; empty means the default tenant.
	Tenant string
	// Token is sent as a bearer token. It never appears in results.
	Token string
	// CallbackURL is where the server can reach the suite (to fetch the
	// @context documents the suite serves, and later notifications).
	// When empty and the product runs on this machine, the suite listens
	// on a loopback port by itself.
	CallbackURL string
	// ListenAddr is the address the suite listens on for callbacks; by
	// default the port of CallbackURL on every interface.
	ListenAddr string
	// Listener, when set, is used instead of ListenAddr (for tests).
	Listener net.Listener
	// CaseTimeout bounds each case (DefaultCaseTimeout when zero).
	CaseTimeout time.Duration
	// Disabled lists case IDs, or prefixes of case IDs, not to run.
	Disabled []string
	// Focus, when not empty, runs only the cases whose ID starts with one
	// of these prefixes; the others are disabled.
	Focus []string
	// SpecVersion is the version of the spec the product claims; cases
	// newer than it are skipped. Empty means spec.Version.
	SpecVersion string
	// RunID makes the run's resources unique; random when empty.
	RunID string
	// HTTPClient sends the requests; a plain client when nil.
	HTTPClient *http.Client
	// Progress, when set, is told about each case as it starts and ends.
	Progress func(Event)
}

// Event reports progress.
type Event struct {
	Done   bool // false when the case starts, true when it has ended
	Index  int  // 0-based position of the case
	Total  int
	Result *CaseResult
}

// RedactedConfig is the configuration as recorded in results.
type RedactedConfig struct {
	BaseURL     string   `json:"baseUrl"`
	Classes     []string `json:"classes"`
	Tenant      string   `json:"tenant,omitempty"`
	Token       string   `json:"token,omitempty"`
	CallbackURL string   `json:"callbackUrl,omitempty"`
	CaseTimeout string   `json:"caseTimeout"`
	Disabled    []string `json:"disabled,omitempty"`
	Focus       []string `json:"focus,omitempty"`
	SpecVersion string   `json:"specVersion"`
}

// Redacted returns the configuration without secrets.
func (c Config) Redacted() RedactedConfig {
	rc := RedactedConfig{
		BaseURL: redactURL(c.BaseURL), Classes: c.classes(), Tenant: c.Tenant,
		CallbackURL: redactURL(c.CallbackURL), CaseTimeout: c.caseTimeout().String(),
		Disabled: c.Disabled, Focus: c.Focus, SpecVersion: c.specVersion(),
	}
	if c.Token != "" {
		rc.Token = Redacted
	}
	return rc
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User(Redacted)
	return u.String()
}

func (c Config) classes() []string {
	if len(c.Classes) == 0 {
		return []string{spec.ClassCore}
	}
	return c.Classes
}

func (c Config) caseTimeout() time.Duration {
	if c.CaseTimeout <= 0 {
		return DefaultCaseTimeout
	}
	return c.CaseTimeout
}

func (c Config) specVersion() string {
	if c.SpecVersion == "" {
		return spec.Version
	}
	return c.SpecVersion
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "":
		errs = append(errs, errors.New("the base URL is required"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs = append(errs, fmt.Errorf("base URL %q: want an absolute http or https URL", c.BaseURL))
	}
	for _, name := range c.Classes {
		if _, ok := spec.ClassByName(name); !ok {
			errs = append(errs, fmt.Errorf("unknown conformance class %q", name))
		}
	}
	if c.CallbackURL != "" {
		if u, err := url.Parse(c.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("callback URL %q: want an absolute http or https URL", c.CallbackURL))
		}
	}
	if strings.ContainsAny(c.Tenant, " \t\r\n") {
		errs = append(errs, fmt.Errorf("tenant %q: must not contain white space", c.Tenant))
	}
	return errors.Join(errs...)
}

type runner struct {
	cfg      Config
	client   *client
	contract *contract
	contexts *contextServer
	parent   context.Context
	runID    string
	claimed  map[string]bool
	mu       sync.Mutex
	leftover []string
}

func (r *runner) interrupted() bool { return r.parent.Err() != nil }

// Run runs the cases against the product and returns the result. The
// error is for a run that could not start (bad configuration, broken
// OpenAPI document); failures of the product are in the result. Every
// entity a case creates is deleted when the case ends, also when ctx is
// cancelled; the cases not run by then end in StatusError.
func Run(ctx context.Context, cfg Config, cases []Case) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := CheckCases(cases); err != nil {
		return nil, err
	}
	base, _ := url.Parse(cfg.BaseURL)
	ct, err := newContract()
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	r := &runner{
		cfg: cfg, contract: ct, parent: ctx, claimed: map[string]bool{},
		client: &client{base: base, http: hc, tenant: cfg.Tenant, token: cfg.Token},
		runID:  cfg.RunID,
	}
	if r.runID == "" {
		r.runID = newRunID()
	}
	for _, c := range cfg.classes() {
		r.claimed[c] = true
	}
	r.contexts, err = startContextServer(cfg, base)
	if err != nil {
		return nil, err
	}
	if r.contexts != nil {
		defer r.contexts.close()
	}
	res := &Result{
		Suite: SuiteName, SuiteVersion: SuiteVersion, SuiteRevision: revision(),
		SpecVersion: cfg.specVersion(), NGSILDVersion: spec.NGSILDVersion,
		RunID: r.runID, Config: cfg.Redacted(), Start: time.Now().UTC(),
	}
	for i := range cases {
		c := &cases[i]
		cr := CaseResult{ID: c.ID, Title: c.Title, Class: c.Class, Since: c.Since, Covers: c.Covers, Start: time.Now().UTC()}
		if cfg.Progress != nil {
			cfg.Progress(Event{Index: i, Total: len(cases), Result: &cr})
		}
		r.runCase(ctx, i, c, &cr)
		res.Cases = append(res.Cases, cr)
		if cfg.Progress != nil {
			cfg.Progress(Event{Done: true, Index: i, Total: len(cases), Result: &res.Cases[len(res.Cases)-1]})
		}
	}
	res.Stop = time.Now().UTC()
	res.Cleanup = r.leftover
	res.summarize(r.claimed)
	return res, nil
}

func newRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func revision() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}

func hasPrefix(id string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(id, p) })
}

func (r *runner) runCase(ctx context.Context, i int, c *Case, cr *CaseResult) {
	start := time.Now()
	defer func() { cr.Duration = time.Since(start) }()
	switch {
	case hasPrefix(c.ID, r.cfg.Disabled) || (len(r.cfg.Focus) > 0 && !hasPrefix(c.ID, r.cfg.Focus)):
		cr.Status, cr.Message = StatusDisabled, "disabled by the configuration"
		return
	case !r.claimed[c.Class]:
		cr.Status, cr.Message = StatusSkip, fmt.Sprintf("the product does not claim the class %q", c.Class)
		return
	case compareVersions(c.Since, r.cfg.specVersion()) > 0:
		cr.Status, cr.Message = StatusSkip, fmt.Sprintf("the case applies from spec version %s", c.Since)
		return
	case ctx.Err() != nil:
		cr.Status, cr.Message = StatusError, "run interrupted before this case"
		return
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = r.cfg.caseTimeout()
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := &T{ctx: cctx, run: r, c: c, wrote: map[string]bool{}, prefix: fmt.Sprintf("%s:%d", r.runID, i)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(abortCase); !ok {
					msg := fmt.Sprintf("the case panicked: %v\n%s", v, debug.Stack())
					t.locked(func() { t.status, t.res.Message = StatusError, msg })
				}
			}
		}()
		c.Run(t)
	}()
	abandoned := false
	select {
	case <-done:
	case <-cctx.Done():
		// The requests of the case are cancelled with cctx; give the case
		// a moment to return before leaving it behind.
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			abandoned = true
		}
	}
	res, status, ids, tenants := t.detach()
	cr.Failures, cr.Exchanges, cr.Message = res.Failures, res.Exchanges, res.Message
	switch {
	case abandoned:
		cr.Status = StatusError
		cr.Message = fmt.Sprintf("the case did not end within its timeout of %s", timeout)
		if r.interrupted() {
			cr.Message = "run interrupted"
		}
	case status == StatusSkip && len(cr.Failures) > 0:
		cr.Status = StatusFail
	case status != StatusUnknown:
		cr.Status = status
	case len(cr.Failures) > 0:
		cr.Status = StatusFail
	default:
		cr.Status = StatusPass
	}
	r.cleanup(c.ID, ids, tenants)
}

// cleanup deletes every entity id the case minted, in every tenant it
// wrote to, with a context that survives the case's and the run's.
func (r *runner) cleanup(caseID string, ids, tenants []string) {
	if len(ids) == 0 || len(tenants) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.parent), cleanupTimeout)
	defer cancel()
	slices.Sort(tenants)
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for _, tn := range tenants {
		if err := r.deleteAll(ctx, tn, ids); err != nil {
			r.mu.Lock()
			r.leftover = append(r.leftover, fmt.Sprintf("%s (tenant %q): %v", caseID, tn, err))
			r.mu.Unlock()
		}
	}
}

func (r *runner) deleteAll(ctx context.Context, tenant string, ids []string) error {
	body, _ := json.Marshal(ids)
	req := &Request{Method: http.MethodPost, Path: "/entityOperations/delete", Body: body,
		Header: http.Header{"Content-Type": {MediaJSON}}, NoTenant: tenant == ""}
	if tenant != "" {
		req.Header.Set(HeaderTenant, tenant)
	}
	resp, _, err := r.client.do(ctx, req)
	if err == nil && (resp.Status == http.StatusNoContent || resp.Status == http.StatusMultiStatus || resp.Status == http.StatusNotFound) {
		return nil
	}
	// The batch did not work: delete one by one.
	var errs []error
	for _, id := range ids {
		req := &Request{Method: http.MethodDelete, Path: EntityPath(id), NoTenant: tenant == "", Header: http.Header{}}
		if tenant != "" {
			req.Header.Set(HeaderTenant, tenant)
		}
		resp, _, err := r.client.do(ctx, req)
		switch {
		case err != nil:
			errs = append(errs, err)
		case resp.Status != http.StatusNoContent && resp.Status != http.StatusNotFound:
			errs = append(errs, fmt.Errorf("DELETE %s: status %d", id, resp.Status))
		}
	}
	return errors.Join(errs...)
}

// EntityPath is the escaped path of an entity.
func EntityPath(id string) string { return "/entities/" + url.PathEscape(id) }

// CheckCases verifies the case list itself: unique, well-formed IDs,
// known classes, and covered requirements that exist.
func CheckCases(cases []Case) error {
	var errs []error
	seen := map[string]bool{}
	for _, c := range cases {
		if !strings.HasPrefix(c.ID, "/ats/"+c.Class+"/") {
			errs = append(errs, fmt.Errorf("case %q: the ID must start with /ats/%s/", c.ID, c.Class))
		}
		if seen[c.ID] {
			errs = append(errs, fmt.Errorf("case %q declared twice", c.ID))
		}
		seen[c.ID] = true
		if _, ok := spec.ClassByName(c.Class); !ok {
			errs = append(errs, fmt.Errorf("case %q: unknown class %q", c.ID, c.Class))
		}
		if c.Run == nil || c.Since == "" || c.Title == "" {
			errs = append(errs, fmt.Errorf("case %q: Run, Since and Title are required", c.ID))
		}
		if len(c.Covers) == 0 {
			errs = append(errs, fmt.Errorf("case %q covers no requirement", c.ID))
		}
		for _, id := range c.Covers {
			if _, ok := spec.RequirementByID(id); !ok {
				errs = append(errs, fmt.Errorf("case %q cites unknown requirement %s", c.ID, id))
			}
		}
	}
	return errors.Join(errs...)
}

// compareVersions compares dotted numeric versions.
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			fmt.Sscan(as[i], &x)
		}
		if i < len(bs) {
			fmt.Sscan(bs[i], &y)
		}
		if x != y {
			return x - y
		}
	}
	return 0
}
