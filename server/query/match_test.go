package query

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opentid/opentid/server/ngsild"
)

var created = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// sample is an entity with one attribute of each kind the matcher
// distinguishes.
func sample() *ngsild.Entity {
	return &ngsild.Entity{
		ID:    "urn:ngsi-ld:Sensor:1",
		Types: []string{ns + "Sensor"},
		Attrs: map[string][]*ngsild.Attribute{
			ns + "temperature": {{Type: ngsild.TypeProperty, Value: json.Number("21.5"), UnitCode: "CEL",
				ObservedAt: "2026-03-01T10:00:00.5Z", CreatedAt: created, ModifiedAt: created.Add(time.Hour),
				Sub: map[string]*ngsild.Attribute{
					ns + "accuracy": {Type: ngsild.TypeProperty, Value: 0.5, ObservedAt: "2026-03-01T09:00:00Z"},
				}}},
			ns + "count":     {{Type: ngsild.TypeProperty, Value: 7}},
			ns + "big":       {{Type: ngsild.TypeProperty, Value: int64(1) << 40}},
			ns + "name":      {{Type: ngsild.TypeProperty, Value: "Capteur Été №1"}},
			ns + "numString": {{Type: ngsild.TypeProperty, Value: "5"}},
			ns + "active":    {{Type: ngsild.TypeProperty, Value: true}},
			ns + "installed": {{Type: ngsild.TypeProperty, Value: "2025-12-31T23:00:00-02:00"}},
			ns + "opening":   {{Type: ngsild.TypeProperty, Value: "08:30:00Z"}},
			ns + "day":       {{Type: ngsild.TypeProperty, Value: map[string]any{"@type": "Date", "@value": "2026-01-15"}}},
			ns + "refDevice": {{Type: ngsild.TypeRelationship, Value: "urn:ngsi-ld:Device:1"}},
			ns + "label": {{Type: ngsild.TypeLanguageProperty, Value: map[string]any{
				"fr": "Rue de la Paix", "en": "Peace Street"}}},
			ns + "levels":  {{Type: ngsild.TypeListProperty, Value: []any{json.Number("1"), json.Number("5"), "x"}}},
			ns + "address": {{Type: ngsild.TypeProperty, Value: map[string]any{"city": "Nantes", "geo": map[string]any{"zip": json.Number("44000")}, "lines": []any{"a", "b"}}}},
			ns + "pm10": {
				{Type: ngsild.TypeProperty, Value: json.Number("12"), DatasetID: "urn:ngsi-ld:Dataset:raw"},
				{Type: ngsild.TypeProperty, Value: json.Number("30")},
			},
			ns + "nothing": {{Type: ngsild.TypeProperty, Value: nil}},
		},
		CreatedAt: created, ModifiedAt: created,
	}
}

func TestMatchQ(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		// existence and missing attributes
		{"temperature", true},
		{"missing", false},
		{"missing==1", false},
		{"missing!=1", false},
		{"missing!~=x", false},
		{"nothing", true},
		{"temperature.accuracy", true},
		{"temperature.missing", false},
		{"temperature.accuracy.observedAt", true},
		{"count.observedAt", false},
		// numbers of every Go type
		{"temperature==21.5", true},
		{"temperature>21", true},
		{"temperature>=21.5", true},
		{"temperature<21.5", false},
		{"temperature<=21.5", true},
		{"temperature!=21.5", false},
		{"temperature!=3", true},
		{"count==7", true},
		{"count==7.0", true},
		{"big>1e12", true},
		{"temperature==20..22", true},
		{"temperature!=20..22", false},
		{"temperature!=22..30", true},
		{"temperature==1,21.5", true},
		{"temperature!=1,21.5", false},
		{"temperature!=1,2", true},
		// type mismatches
		{`temperature=="21.5"`, false},
		{`temperature>"a"`, false},
		{`temperature!="21.5"`, true},
		{"numString==5", false},
		{`numString=="5"`, true},
		{"active==true", true},
		{"active!=false", true},
		{"active==1", false},
		{"name>5", false},
		// strings, unicode, regular expressions
		{`name=="Capteur Été №1"`, true},
		{`name>"Capteur"`, true},
		{`name<"Capteur Été"`, false},
		{`name=="Capteur".."Capteuz"`, true},
		{"name~=Été", true},
		{"name~=^été", false},
		{"name~=(?i)^capteur", true},
		{"name!~=Été", false},
		{"name!~=^x", true},
		{"temperature~=2", false},
		{"temperature!~=2", true},
		// date-times, dates, times
		{"installed==2026-01-01T01:00:00Z", true},
		{"installed<2026-01-01", false},
		{"installed>=2026-01-01", true},
		{"installed==2025-12-31..2026-01-02", true},
		{`installed=="2026-01-01T01:00:00Z"`, false},
		{`installed>"2025"`, true},
		{"opening<09:00:00Z", true},
		{"opening<09:00:00+02:00", false},
		{"opening<2026-01-01", false},
		{"installed<12:00:00Z", false},
		{"day==2026-01-15", true},
		{"day>2026-01-14T23:59:59Z", true},
		// members
		{"temperature.observedAt>=2026-03-01T10:00:00Z", true},
		{"temperature.observedAt>2026-03-01T10:00:00.5Z", false},
		{"temperature.observedAt==2026-03-01T11:00:00.5+01:00", true},
		{`temperature.observedAt=="2026-03-01T10:00:00.500Z"`, true},
		{"temperature.observedAt==2026-03-01", false},
		{"temperature.observedAt>2026-03-01", true},
		{"temperature.createdAt==2026-01-02T03:04:05Z", true},
		{"temperature.modifiedAt>2026-01-02T03:04:05Z", true},
		{"temperature.unitCode==CEL", true},
		{`temperature.unitCode!="CEL"`, false},
		{"temperature.accuracy.observedAt<2026-03-01T09:30:00Z", true},
		{"temperature.accuracy<1", true},
		{"pm10.datasetId==urn:ngsi-ld:Dataset:raw", true},
		{"count.datasetId", false},
		// relationships, language maps, lists
		{"refDevice==urn:ngsi-ld:Device:1", true},
		{`refDevice=="urn:ngsi-ld:Device:2"`, false},
		{"refDevice~=Device", true},
		{`label=="Rue de la Paix"`, true},
		{`label=="Peace Street"`, true},
		{`label!="Peace Street"`, false},
		{`label~="^Rue"`, true},
		{`label[en]=="Peace Street"`, true},
		{`label[fr]=="Peace Street"`, false},
		{"levels==5", true},
		{"levels==x", true},
		{"levels>4", true},
		{"levels>5", false},
		{"levels!=5", false},
		{"levels!=9", true},
		{"levels==2..4", false},
		// JSON paths
		{`address[city]=="Nantes"`, true},
		{"address[geo.zip]==44000", true},
		{"address[geo][zip]>=44000", true},
		{"address[geo.missing]", false},
		{"address[city.x]", false},
		{`address[lines.1]=="b"`, true},
		{`address[lines]=="a"`, true},
		{"address[lines.7]", false},
		{"address==1", false},
		{"temperature[x]", false},
		// multi-attributes: one instance is enough
		{"pm10==12", true},
		{"pm10==30", true},
		{"pm10>25", true},
		{"pm10!=12", true},
		{"pm10!=12,30", false},
		// logic
		{"temperature>20;count==7", true},
		{"temperature>20;count==8", false},
		{"temperature>30|count==7", true},
		{"(temperature>30|count==8);name", false},
		{"missing|temperature", true},
	}
	e := sample()
	for _, tt := range tests {
		x, err := ParseQ(tt.q, expandTest)
		if err != nil {
			t.Errorf("ParseQ(%q): %v", tt.q, err)
			continue
		}
		if got := MatchQ(e, x); got != tt.want {
			t.Errorf("MatchQ(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if !MatchQ(e, nil) {
		t.Error("a nil expression must match")
	}
	if MatchQ(nil, &Comparison{Path: Path{Attr: ns + "a"}}) {
		t.Error("a nil entity must not match")
	}
}

// TestMatchQAfterStoreRoundTrip checks that an entity read back from the
// storage format (numbers as json.Number) matches like the original.
func TestMatchQAfterStoreRoundTrip(t *testing.T) {
	data, err := ngsild.MarshalEntity(sample())
	if err != nil {
		t.Fatal(err)
	}
	e, err := ngsild.UnmarshalEntity(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"count==7", "big>1e12", "temperature.accuracy==0.5", "levels==5", "active==true", "temperature.createdAt==2026-01-02T03:04:05Z"} {
		x, err := ParseQ(q, expandTest)
		if err != nil {
			t.Fatal(err)
		}
		if !MatchQ(e, x) {
			t.Errorf("MatchQ(%q) = false after a store round trip", q)
		}
	}
}

func TestMatchTypes(t *testing.T) {
	tests := []struct {
		types []string
		expr  string
		want  bool
	}{
		{[]string{ns + "A"}, "A", true},
		{[]string{ns + "A"}, "B", false},
		{[]string{ns + "A"}, "A,B", true},
		{[]string{ns + "A"}, "A;B", false},
		{[]string{ns + "A", ns + "B"}, "A;B", true},
		{[]string{ns + "C"}, "(A;B)|C", true},
		{[]string{ns + "A"}, "(A;B)|C", false},
		{nil, "A", false},
	}
	for _, tt := range tests {
		x, err := ParseTypeExpr(tt.expr, expandTest)
		if err != nil {
			t.Fatal(err)
		}
		if got := MatchTypes(tt.types, x); got != tt.want {
			t.Errorf("MatchTypes(%v, %q) = %v, want %v", tt.types, tt.expr, got, tt.want)
		}
	}
	if !MatchTypes(nil, nil) {
		t.Error("a nil selection must match")
	}
}

func TestMatchScope(t *testing.T) {
	tests := []struct {
		scopes []string
		q      string
		want   bool
	}{
		{[]string{"/Nantes"}, "/Nantes", true},
		{[]string{"/Nantes/Est"}, "/Nantes", false},
		{[]string{"/Nantes/Est"}, "/Nantes/+", true},
		{[]string{"/Nantes"}, "/Nantes/+", false},
		{[]string{"/Nantes/Est/Gare"}, "/Nantes/+", false},
		{[]string{"/Nantes"}, "/Nantes/#", true},
		{[]string{"/Nantes/Est/Gare"}, "/Nantes/#", true},
		{[]string{"/NantesMétropole"}, "/Nantes/#", false},
		{[]string{"/Nantes/Parking"}, "/+/Parking", true},
		{[]string{"/Anywhere/at/all"}, "/#", true},
		{nil, "/#", false},
		{[]string{"/A", "/B"}, "/A;/B", true},
		{[]string{"/A"}, "/A;/B", false},
		{[]string{"/B"}, "/A,/B", true},
		{[]string{"/Île-de-France/Évry"}, "/Île-de-France/+", true},
	}
	for _, tt := range tests {
		x, err := ParseScopeQ(tt.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := MatchScope(tt.scopes, x); got != tt.want {
			t.Errorf("MatchScope(%v, %q) = %v, want %v", tt.scopes, tt.q, got, tt.want)
		}
	}
	if !MatchScope(nil, nil) {
		t.Error("a nil scope query must match")
	}
}

func TestValueAt(t *testing.T) {
	e := sample()
	tests := []struct {
		path   Path
		want   any
		wantOK bool
	}{
		{Path{Attr: ns + "temperature"}, json.Number("21.5"), true},
		{Path{Attr: ns + "temperature", Member: "observedAt"}, time.Date(2026, 3, 1, 10, 0, 0, 500e6, time.UTC), true},
		{Path{Attr: ns + "temperature", Member: "unitCode"}, "CEL", true},
		{Path{Attr: ns + "temperature", Sub: []string{ns + "accuracy"}}, 0.5, true},
		{Path{Attr: ns + "address", JSON: []string{"geo", "zip"}}, json.Number("44000"), true},
		{Path{Attr: ns + "refDevice"}, "urn:ngsi-ld:Device:1", true},
		{Path{Attr: ns + "day"}, "2026-01-15", true},
		{Path{Attr: ns + "pm10"}, json.Number("30"), true}, // the default instance
		{Path{Attr: ns + "missing"}, nil, false},
		{Path{Attr: ns + "count", Member: "observedAt"}, nil, false},
	}
	for _, tt := range tests {
		got, ok := ValueAt(e, tt.path)
		if ok != tt.wantOK {
			t.Errorf("ValueAt(%v) ok = %v, want %v", tt.path, ok, tt.wantOK)
			continue
		}
		if d := cmp.Diff(tt.want, got); ok && d != "" {
			t.Errorf("ValueAt(%v) (-want +got):\n%s", tt.path, d)
		}
	}
}

func TestCompareValues(t *testing.T) {
	// In increasing order; equal neighbours are marked.
	ordered := []any{
		nil,
		-3, json.Number("1.5"), float64(2), int64(10), json.Number("1e3"),
		"2025-12-31", "2026-01-01T01:00:00+02:00", "2026-01-01", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026-01-01T00:30:00Z",
		"", "08:30:00Z", "B", "a", "é",
		false, true,
		[]any{1}, map[string]any{"a": 1},
	}
	for i, a := range ordered {
		for j, b := range ordered {
			got := CompareValues(a, b)
			want := cmpFloat(float64(i), float64(j))
			if got != want {
				t.Errorf("CompareValues(%#v, %#v) = %d, want %d", a, b, got, want)
			}
		}
	}
	if CompareValues(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026-01-01T00:00:00Z") != 0 {
		t.Error("a time and its RFC 3339 text must compare equal")
	}
	if CompareValues(1, json.Number("1.0")) != 0 || CompareValues(int64(1), 1.0) != 0 {
		t.Error("equal numbers of different Go types must compare equal")
	}
}

func BenchmarkMatchQ(b *testing.B) {
	x, err := ParseQ(`temperature>20;temperature.observedAt>=2026-01-01T00:00:00Z;(refDevice==urn:ngsi-ld:Device:1|name~=^Capteur);address[geo.zip]==44000..44999;pm10!=5`, expandTest)
	if err != nil {
		b.Fatal(err)
	}
	e := sample()
	for b.Loop() {
		if !MatchQ(e, x) {
			b.Fatal("no match")
		}
	}
}

func ExampleParseQ() {
	x, err := ParseQ(`temperature>20;(status=="free"|status==occupied,reserved)`, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x)
	_, err = ParseQ("temperature>=", nil)
	fmt.Println(err)
	// Output:
	// temperature>20;(status=="free"|status=="occupied","reserved")
	// q: position 13: expected a value after ">="
}
