package spec

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

//go:generate go run ./internal/tracegen -out traceability.md

// The normative Markdown documents. They are the single source of the
// requirement and class registry.
//
//go:embed README.md profile.md core.md query.md geo.md tenancy.md subscriptions.md temporal.md datamodels.md untestable.md
var normative embed.FS

// requirementDocs are the documents that hold class and requirement blocks,
// in reading order. README.md and untestable.md are only linted.
var requirementDocs = []string{"profile.md", "core.md", "query.md", "geo.md", "tenancy.md", "subscriptions.md", "temporal.md", "datamodels.md"}

// ReqID identifies a requirement, for example "/req/core/entity-create".
type ReqID string

// Level is the strength of a requirement.
type Level string

// Requirement levels. A requirement stated with MUST NOT has LevelMust.
const (
	LevelMust   Level = "MUST"
	LevelShould Level = "SHOULD"
)

// Names of the conformance classes.
const (
	ClassCore          = "core"
	ClassQuery         = "query"
	ClassGeo           = "geo"
	ClassTemporal      = "temporal"
	ClassSubscriptions = "subscriptions"
	ClassTenancy       = "tenancy"
	ClassDatamodels    = "datamodels"
	ClassSecurity      = "security"
)

// Requirement is one requirement block of the specification.
type Requirement struct {
	ID    ReqID
	Class string // the class name, e.g. "core"
	Level Level
	Since string // the spec version that introduced it
	// Refines lists the NGSI-LD (ETSI GS CIM 009) clauses it makes
	// precise; empty for a requirement NGSI-LD does not contain.
	Refines []string
	// Text is the statement, paragraphs separated by a blank line, with
	// the lines of each paragraph joined by spaces.
	Text string
	File string // the document that holds it, e.g. "core.md"
	Line int    // the line of its heading
}

// Anchor is the fragment that links to the requirement's heading in its
// rendered document.
func (r Requirement) Anchor() string { return headingAnchor(string(r.ID)) }

// Class is a conformance class.
type Class struct {
	ID        string // "/conf/core"
	Name      string // "core"
	Title     string
	Since     string
	DependsOn []string // class names
	Text      string
}

// UntestableRequirement is a requirement that the conformance suite does
// not check, with the reason.
type UntestableRequirement struct {
	ID     ReqID
	Reason string
}

// Registry is the parsed set of classes and requirements.
type Registry struct {
	Classes      []Class
	Requirements []Requirement
	Untestable   []UntestableRequirement
}

var (
	reqHeadingRE   = regexp.MustCompile(`^#{2,6} (/req/.*)$`)
	reqIDRE        = regexp.MustCompile(`^/req/([a-z][a-z0-9]*)/([a-z0-9]+(?:-[a-z0-9]+)*)$`)
	reqMetaRE      = regexp.MustCompile(`^\*(MUST|SHOULD) · since (\d+\.\d+\.\d+) · refines (none|CIM 009 (\d+(?:\.\d+)*(?:, \d+(?:\.\d+)*)*))\*$`)
	classHeadingRE = regexp.MustCompile(`^### (/conf/.*)$`)
	classFullRE    = regexp.MustCompile(`^### /conf/([a-z][a-z0-9]*): (\S.*)$`)
	classMetaRE    = regexp.MustCompile(`^\*conformance class · since (\d+\.\d+\.\d+) · depends on (none|[a-z][a-z0-9]*(?:, [a-z][a-z0-9]*)*)\*$`)
	headingRE      = regexp.MustCompile(`^#{1,6} `)
	keywordRE      = regexp.MustCompile(`\b(MUST|SHALL|SHOULD|REQUIRED|RECOMMENDED|OPTIONAL)\b`)
	codeSpanRE     = regexp.MustCompile("`[^`]*`")
	untestableRow  = regexp.MustCompile(`^\| *(/req/[^ |]*) *\| *(.*?) *\|$`)
	levelRE        = map[Level]*regexp.Regexp{
		LevelMust:   regexp.MustCompile(`\bMUST\b`),
		LevelShould: regexp.MustCompile(`\bSHOULD\b`),
	}
)

var embedded = sync.OnceValues(func() (*Registry, error) {
	docs := map[string][]byte{}
	for _, name := range append(slices.Clone(requirementDocs), "README.md", "untestable.md") {
		b, err := normative.ReadFile(name)
		if err != nil {
			return nil, err
		}
		docs[name] = b
	}
	return ParseRegistry(docs, requirementDocs)
})

// LoadRegistry parses the embedded normative documents.
func LoadRegistry() (*Registry, error) { return embedded() }

func mustRegistry() *Registry {
	r, err := embedded()
	if err != nil {
		// The documents are embedded at build time and the package's
		// tests parse them, so this only happens to a broken build.
		panic("spec: malformed requirement documents: " + err.Error())
	}
	return r
}

// Requirements returns every requirement, in document order. It panics if
// the embedded documents are malformed, which the package's tests rule out.
func Requirements() []Requirement { return slices.Clone(mustRegistry().Requirements) }

// RequirementByID returns the requirement with this ID.
func RequirementByID(id ReqID) (Requirement, bool) {
	for _, r := range mustRegistry().Requirements {
		if r.ID == id {
			return r, true
		}
	}
	return Requirement{}, false
}

// Classes returns the conformance classes, in document order.
func Classes() []Class { return slices.Clone(mustRegistry().Classes) }

// ClassByName returns the conformance class with this name ("core").
func ClassByName(name string) (Class, bool) {
	for _, c := range mustRegistry().Classes {
		if c.Name == name {
			return c, true
		}
	}
	return Class{}, false
}

// UntestableRequirements returns the requirements listed in untestable.md.
func UntestableRequirements() []UntestableRequirement {
	return slices.Clone(mustRegistry().Untestable)
}

// ParseError locates a syntax error in a normative document.
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseRegistry builds a registry from Markdown documents: reqDocs (in
// order) hold class and requirement blocks, "untestable.md" lists the
// untestable requirements, and every document is checked for requirement
// keywords outside requirement blocks. It reports every error it finds.
func ParseRegistry(docs map[string][]byte, reqDocs []string) (*Registry, error) {
	p := &parser{reg: &Registry{}}
	for _, name := range reqDocs {
		b, ok := docs[name]
		if !ok {
			p.errorf(name, 0, "document missing")
			continue
		}
		p.parseDoc(name, b, true)
	}
	for name, b := range docs {
		if slices.Contains(reqDocs, name) {
			continue
		}
		p.parseDoc(name, b, false)
		if name == "untestable.md" {
			p.parseUntestable(name, b)
		}
	}
	p.check()
	if len(p.errs) > 0 {
		slices.SortFunc(p.errs, func(a, b *ParseError) int {
			if c := strings.Compare(a.File, b.File); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
		msgs := make([]string, len(p.errs))
		for i, e := range p.errs {
			msgs[i] = e.Error()
		}
		return nil, fmt.Errorf("%d error(s):\n%s", len(p.errs), strings.Join(msgs, "\n"))
	}
	return p.reg, nil
}

type parser struct {
	reg  *Registry
	errs []*ParseError
}

func (p *parser) errorf(file string, line int, format string, args ...any) {
	p.errs = append(p.errs, &ParseError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// block is a requirement or class being read.
type block struct {
	req    *Requirement
	class  *Class
	meta   bool     // the meta line has been read
	paras  []string // finished paragraphs
	cur    []string // lines of the paragraph being read
	line   int
	lastNB int // line of the last non-blank line
}

func (p *parser) parseDoc(file string, src []byte, blocks bool) {
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var b *block
	inFence := false
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t")
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			if b != nil && b.meta {
				p.errorf(file, n, "code blocks are not allowed inside a requirement or class block")
			}
			continue
		}
		if inFence {
			continue
		}
		if headingRE.MatchString(line) {
			p.finish(file, b)
			b = nil
			if blocks {
				b = p.startBlock(file, n, line)
			} else if reqHeadingRE.MatchString(line) || classHeadingRE.MatchString(line) {
				p.errorf(file, n, "requirement and class blocks belong in the requirement documents")
			}
			continue
		}
		if b == nil {
			if m := keywordRE.FindString(codeSpanRE.ReplaceAllString(line, "")); m != "" {
				p.errorf(file, n, "requirement keyword %q outside a requirement block (quote it as `%s` if it is not a requirement)", m, m)
			}
			continue
		}
		p.blockLine(file, n, b, line)
	}
	if inFence {
		p.errorf(file, n, "unterminated code block")
	}
	p.finish(file, b)
}

func (p *parser) startBlock(file string, n int, line string) *block {
	if m := reqHeadingRE.FindStringSubmatch(line); m != nil {
		id := m[1]
		im := reqIDRE.FindStringSubmatch(id)
		if im == nil {
			p.errorf(file, n, "malformed requirement id %q: want /req/<class>/<name> in lower case with hyphens", id)
			return nil
		}
		return &block{line: n, req: &Requirement{ID: ReqID(id), Class: im[1], File: file, Line: n}}
	}
	if m := classHeadingRE.FindStringSubmatch(line); m != nil {
		cm := classFullRE.FindStringSubmatch(line)
		if cm == nil {
			p.errorf(file, n, "malformed class heading %q: want ### /conf/<class>: <title>", m[1])
			return nil
		}
		return &block{line: n, class: &Class{ID: "/conf/" + cm[1], Name: cm[1], Title: cm[2]}}
	}
	return nil
}

func (p *parser) blockLine(file string, n int, b *block, line string) {
	if !b.meta {
		if line == "" {
			return
		}
		b.meta = true
		if b.req != nil {
			m := reqMetaRE.FindStringSubmatch(line)
			if m == nil {
				p.errorf(file, n, "%s: malformed meta line %q: want *<MUST|SHOULD> · since <x.y.z> · refines <none|CIM 009 <clauses>>*", b.req.ID, line)
				b.req = nil
				return
			}
			b.req.Level, b.req.Since = Level(m[1]), m[2]
			if m[4] != "" {
				b.req.Refines = strings.Split(m[4], ", ")
			}
			return
		}
		m := classMetaRE.FindStringSubmatch(line)
		if m == nil {
			p.errorf(file, n, "%s: malformed meta line %q: want *conformance class · since <x.y.z> · depends on <none|classes>*", b.class.ID, line)
			b.class = nil
			return
		}
		b.class.Since = m[1]
		if m[2] != "none" {
			b.class.DependsOn = strings.Split(m[2], ", ")
		}
		return
	}
	if line == "" {
		if len(b.cur) > 0 {
			b.paras = append(b.paras, strings.Join(b.cur, " "))
			b.cur = nil
		}
		return
	}
	b.cur = append(b.cur, strings.TrimSpace(line))
	b.lastNB = n
}

func (p *parser) finish(file string, b *block) {
	if b == nil || (b.req == nil && b.class == nil) {
		return
	}
	if len(b.cur) > 0 {
		b.paras = append(b.paras, strings.Join(b.cur, " "))
	}
	text := strings.Join(b.paras, "\n\n")
	switch {
	case b.req != nil:
		r := b.req
		if !b.meta {
			p.errorf(file, b.line, "%s: missing meta line", r.ID)
			return
		}
		if text == "" {
			p.errorf(file, b.line, "%s: empty statement", r.ID)
			return
		}
		bare := codeSpanRE.ReplaceAllString(text, "")
		if !levelRE[r.Level].MatchString(bare) {
			p.errorf(file, b.line, "%s: the statement does not contain its level keyword %s", r.ID, r.Level)
		}
		for _, kw := range keywordRE.FindAllString(bare, -1) {
			if kw != "MUST" && kw != "SHOULD" {
				p.errorf(file, b.line, "%s: keyword %s is not used by this specification; use MUST or SHOULD", r.ID, kw)
			}
		}
		if r.Level == LevelShould && levelRE[LevelMust].MatchString(bare) {
			p.errorf(file, b.line, "%s: a SHOULD requirement must not contain MUST; split it", r.ID)
		}
		r.Text = text
		p.reg.Requirements = append(p.reg.Requirements, *r)
	case b.class != nil:
		if !b.meta {
			p.errorf(file, b.line, "%s: missing meta line", b.class.ID)
			return
		}
		if m := keywordRE.FindString(codeSpanRE.ReplaceAllString(text, "")); m != "" {
			p.errorf(file, b.line, "%s: requirement keyword %q in a class description", b.class.ID, m)
		}
		b.class.Text = text
		p.reg.Classes = append(p.reg.Classes, *b.class)
	}
}

func (p *parser) parseUntestable(file string, src []byte) {
	for i, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| /req/") && !strings.HasPrefix(line, "|/req/") {
			continue
		}
		m := untestableRow.FindStringSubmatch(line)
		if m == nil || strings.TrimSpace(m[2]) == "" {
			p.errorf(file, i+1, "malformed row: want | <requirement id> | <reason> |")
			continue
		}
		p.reg.Untestable = append(p.reg.Untestable, UntestableRequirement{ID: ReqID(m[1]), Reason: m[2]})
	}
}

// check verifies the cross-references: unique IDs, known classes,
// dependencies and untestable entries.
func (p *parser) check() {
	classes := map[string]bool{}
	for _, c := range p.reg.Classes {
		if classes[c.Name] {
			p.errorf("profile.md", 0, "class %s declared twice", c.ID)
		}
		classes[c.Name] = true
	}
	for _, c := range p.reg.Classes {
		for _, d := range c.DependsOn {
			if !classes[d] {
				p.errorf("profile.md", 0, "class %s depends on unknown class %q", c.ID, d)
			}
		}
	}
	seen := map[ReqID]bool{}
	for _, r := range p.reg.Requirements {
		if seen[r.ID] {
			p.errorf(r.File, r.Line, "requirement %s declared twice", r.ID)
		}
		seen[r.ID] = true
		if !classes[r.Class] {
			p.errorf(r.File, r.Line, "requirement %s belongs to unknown class %q", r.ID, r.Class)
		}
	}
	listed := map[ReqID]bool{}
	for _, u := range p.reg.Untestable {
		if !seen[u.ID] {
			p.errorf("untestable.md", 0, "unknown requirement %s", u.ID)
		}
		if listed[u.ID] {
			p.errorf("untestable.md", 0, "requirement %s listed twice", u.ID)
		}
		listed[u.ID] = true
	}
}

// headingAnchor computes the fragment a Markdown renderer gives a heading:
// lower case, spaces to hyphens, punctuation other than hyphens and
// underscores removed.
func headingAnchor(heading string) string {
	var sb strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			sb.WriteRune('-')
		case r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9'):
			sb.WriteRune(r)
		}
	}
	return sb.String()
}
