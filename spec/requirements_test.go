package spec

import (
	"strings"
	"testing"
)

func TestEmbeddedRegistryParses(t *testing.T) {
	reg, err := LoadRegistry()
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Requirements) == 0 {
		t.Fatal("no requirement parsed")
	}
	for _, want := range []string{ClassCore, ClassQuery, ClassGeo, ClassTemporal, ClassSubscriptions, ClassTenancy, ClassDatamodels, ClassSecurity} {
		if _, ok := ClassByName(want); !ok {
			t.Errorf("class %q not declared in profile.md", want)
		}
	}
	for _, r := range reg.Requirements {
		if r.Since == "" || r.Text == "" || r.Level == "" {
			t.Errorf("%s: incomplete requirement %+v", r.ID, r)
		}
		if got, ok := RequirementByID(r.ID); !ok || got.ID != r.ID {
			t.Errorf("RequirementByID(%s) = %v, %v", r.ID, got.ID, ok)
		}
	}
	if _, ok := RequirementByID("/req/core/no-such-thing"); ok {
		t.Error("RequirementByID found an unknown id")
	}
}

func TestRequirementSinceNotAfterSpecVersion(t *testing.T) {
	for _, r := range Requirements() {
		if compareVersions(r.Since, Version) > 0 {
			t.Errorf("%s: since %s is newer than spec.Version %s", r.ID, r.Since, Version)
		}
	}
}

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(as), len(bs)) {
		var x, y int
		if i < len(as) {
			x = atoi(as[i])
		}
		if i < len(bs) {
			y = atoi(bs[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestParseRegistryErrors(t *testing.T) {
	const profile = "# P\n\n### /conf/core: Core\n\n*conformance class · since 0.1.0 · depends on none*\n\nThe core.\n"
	tests := []struct {
		name string
		doc  string
		want string // substring of the error
	}{
		{"keyword outside block", "# C\n\nServers MUST do it.\n", "outside a requirement block"},
		{"quoted keyword is fine", "# C\n\nThe word `MUST` is quoted.\n", ""},
		{"keyword in fence is fine", "# C\n\n```\nMUST\n```\n", ""},
		{"bad id", "#### /req/core/Bad_Name\n\n*MUST · since 0.1.0 · refines none*\n\nA server MUST.\n", "malformed requirement id"},
		{"bad meta", "#### /req/core/x\n\nMUST, since 0.1.0\n\nA server MUST.\n", "malformed meta line"},
		{"missing level keyword", "#### /req/core/x\n\n*MUST · since 0.1.0 · refines none*\n\nA server does it.\n", "level keyword"},
		{"foreign keyword", "#### /req/core/x\n\n*MUST · since 0.1.0 · refines none*\n\nA server MUST and SHALL.\n", "SHALL"},
		{"should with must", "#### /req/core/x\n\n*SHOULD · since 0.1.0 · refines none*\n\nA server SHOULD and MUST.\n", "split it"},
		{"empty", "#### /req/core/x\n\n*MUST · since 0.1.0 · refines none*\n\n", "empty statement"},
		{"unknown class", "#### /req/nope/x\n\n*MUST · since 0.1.0 · refines none*\n\nA server MUST.\n", "unknown class"},
		{"duplicate", "#### /req/core/x\n\n*MUST · since 0.1.0 · refines none*\n\nA server MUST.\n\n#### /req/core/x\n\n*MUST · since 0.1.0 · refines CIM 009 5.6.1*\n\nA server MUST.\n", "declared twice"},
		{"ok", "#### /req/core/x\n\n*MUST · since 0.1.0 · refines CIM 009 5.6.1, 6.3.5*\n\nA server MUST\ndo it.\n\nSecond paragraph.\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs := map[string][]byte{"profile.md": []byte(profile), "c.md": []byte(tc.doc)}
			reg, err := ParseRegistry(docs, []string{"profile.md", "c.md"})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q (registry %+v)", err, tc.want, reg)
			}
		})
	}
}

func TestParseRegistryStatement(t *testing.T) {
	docs := map[string][]byte{
		"profile.md": []byte("### /conf/core: Core\n\n*conformance class · since 0.1.0 · depends on none*\n\nThe core.\n\n" +
			"### /conf/tenancy: Tenancy\n\n*conformance class · since 0.1.0 · depends on core*\n\nTenants.\n"),
		"c.md":          []byte("## Group\n\n#### /req/core/x-y\n\n*SHOULD · since 0.1.0 · refines CIM 009 5.6.1, 6.3.5*\n\nA server SHOULD\ndo it.\n\nSecond.\n\n## Next\n\nProse.\n"),
		"untestable.md": []byte("| Requirement | Reason |\n|---|---|\n| /req/core/x-y | cannot be seen |\n"),
	}
	reg, err := ParseRegistry(docs, []string{"profile.md", "c.md"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.Requirements) != 1 {
		t.Fatalf("got %d requirements", len(reg.Requirements))
	}
	r := reg.Requirements[0]
	if r.ID != "/req/core/x-y" || r.Class != "core" || r.Level != LevelShould || r.Since != "0.1.0" ||
		strings.Join(r.Refines, "|") != "5.6.1|6.3.5" || r.Text != "A server SHOULD do it.\n\nSecond." || r.Line != 3 {
		t.Errorf("parsed %+v", r)
	}
	if r.Anchor() != "reqcorex-y" {
		t.Errorf("Anchor() = %q", r.Anchor())
	}
	if len(reg.Classes) != 2 || reg.Classes[1].DependsOn[0] != "core" || reg.Classes[1].Title != "Tenancy" {
		t.Errorf("classes %+v", reg.Classes)
	}
	if len(reg.Untestable) != 1 || reg.Untestable[0].Reason != "cannot be seen" {
		t.Errorf("untestable %+v", reg.Untestable)
	}
}

func TestUntestableNamesKnownRequirements(t *testing.T) {
	for _, u := range UntestableRequirements() {
		if _, ok := RequirementByID(u.ID); !ok {
			t.Errorf("untestable.md lists unknown %s", u.ID)
		}
		if len(u.Reason) < 20 {
			t.Errorf("untestable.md: %s needs a real reason, got %q", u.ID, u.Reason)
		}
	}
}
