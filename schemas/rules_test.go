package schemas

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// aqo returns a valid AirQualityObserved document in the given form.
func aqo(t testing.TB, form string) map[string]any {
	return readDoc(t, "examples/AirQualityObserved/valid-"+form+".json")
}

func TestProfileRules(t *testing.T) {
	s := testSet(t)
	tests := []struct {
		name    string
		form    string
		edit    func(d map[string]any)
		pointer string // "" when the document must be valid
		message string
	}{
		{"valid keyValues", "keyValues", func(map[string]any) {}, "", ""},
		{"missing offset in keyValues", "keyValues", func(d map[string]any) { d["dateObserved"] = "2026-03-02T10:00:00" }, "/dateObserved", "UTC offset"},
		{"missing offset in observedAt", "normalized", func(d map[string]any) { attr(d, "no2")["observedAt"] = "2026-03-02T10:00:00" }, "/no2/observedAt", "UTC offset"},
		{"offset in a typed date-time", "normalized", func(d map[string]any) {
			attr(d, "dateObserved")["value"] = map[string]any{"@type": "DateTime", "@value": "2026-03-02T10:00:00+01:00"}
		}, "", ""},
		{"date without time", "keyValues", func(d map[string]any) { d["dateObserved"] = "2026-03-02" }, "/dateObserved", "UTC offset"},
		{"swapped coordinates in mainland France", "keyValues", func(d map[string]any) { point(d, 48.8566, 2.3522) }, "/location/coordinates", "not in France"},
		{"swapped coordinates in normalized form", "normalized", func(d map[string]any) {
			attr(d, "location")["value"] = map[string]any{"type": "Point", "coordinates": []any{47.2184, -1.5536}}
		}, "/location/value/coordinates", "not in France"},
		{"point in La Réunion", "keyValues", func(d map[string]any) { point(d, 55.4481, -20.8823); d["codeInsee"] = "97411" }, "", ""},
		{"point in Corsica", "keyValues", func(d map[string]any) { point(d, 8.7369, 41.9192); d["codeInsee"] = "2A004" }, "", ""},
		{"latitude out of range", "keyValues", func(d map[string]any) { point(d, 2.35, 95) }, "/location/coordinates/1", "too large"},
		{"polygon outside France", "keyValues", func(d map[string]any) {
			d["location"] = map[string]any{"type": "Polygon", "coordinates": []any{[]any{
				[]any{2.3, 48.8}, []any{2.4, 48.8}, []any{12.4, 48.9}, []any{2.3, 48.8}}}}
		}, "/location/coordinates/0/2", "not in France"},
		{"missing unit in normalized form", "normalized", func(d map[string]any) { delete(attr(d, "no2"), "unitCode") }, "/no2/unitCode", "missing unitCode"},
		{"missing unit in concise form", "concise", func(d map[string]any) { d["no2"] = 22.5 }, "/no2", "missing unitCode"},
		{"default unit in keyValues form", "keyValues", func(d map[string]any) { d["co"] = 0.4 }, "", ""},
		{"unknown unit code", "normalized", func(d map[string]any) { attr(d, "no2")["unitCode"] = "UGM3" }, "/no2/unitCode", "unknown unit code"},
		{"unit of another quantity", "normalized", func(d map[string]any) { attr(d, "no2")["unitCode"] = "MTR" }, "/no2/unitCode", "not a unit of this attribute"},
		{"percent ratio", "normalized", func(d map[string]any) {
			attr(d, "relativeHumidity")["unitCode"] = "P1"
			attr(d, "relativeHumidity")["value"] = 72
		}, "", ""},
		{"misspelt attribute", "keyValues", func(d map[string]any) { d["n02"] = d["no2"]; delete(d, "no2") }, "/n02", "unknown attribute"},
		{"misspelt attribute in normalized form", "normalized", func(d map[string]any) { d["temprature"] = d["temperature"]; delete(d, "temperature") }, "/temprature", "unknown attribute"},
		{"misspelt member of an attribute", "normalized", func(d map[string]any) { attr(d, "no2")["unitcode"] = "GQ" }, "/no2/unitcode", "must be an object"},
		{"wrong INSEE pattern: 4 characters", "keyValues", func(d map[string]any) { d["codeInsee"] = "7505" }, "/codeInsee", "INSEE commune code"},
		{"wrong INSEE pattern: département 20", "keyValues", func(d map[string]any) { d["codeInsee"] = "20004" }, "/codeInsee", "INSEE commune code"},
		{"wrong INSEE pattern: 2C", "normalized", func(d map[string]any) { attr(d, "codeInsee")["value"] = "2C004" }, "/codeInsee/value", "INSEE commune code"},
		{"INSEE code of Saint-Pierre-et-Miquelon", "keyValues", func(d map[string]any) { d["codeInsee"] = "97502" }, "", ""},
		{"SIREN with a wrong check digit", "keyValues", func(d map[string]any) { d["producerSiren"] = "217000312" }, "/producerSiren", "SIREN"},
		{"SIREN with 8 digits", "keyValues", func(d map[string]any) { d["producerSiren"] = "21700031" }, "/producerSiren", "SIREN"},
		{"unknown licence", "keyValues", func(d map[string]any) { d["license"] = "free" }, "/license", "SPDX"},
		{"licence URL", "keyValues", func(d map[string]any) { d["license"] = "https://www.etalab.gouv.fr/licence-ouverte-open-licence/" }, "", ""},
		{"unknown quality flag", "keyValues", func(d map[string]any) { d["qualityFlag"] = "good" }, "/qualityFlag", "is not allowed"},
		{"missing provider", "keyValues", func(d map[string]any) { delete(d, "dataProvider") }, "/dataProvider", "missing required attribute"},
		{"missing quality flag", "keyValues", func(d map[string]any) { delete(d, "qualityFlag") }, "/qualityFlag", "missing required attribute"},
		{"negative concentration in keyValues", "keyValues", func(d map[string]any) { d["no2"] = -1 }, "/no2", "too small"},
		{"negative concentration in normalized form", "normalized", func(d map[string]any) { attr(d, "no2")["value"] = -1 }, "/no2/value", "too small"},
		{"text instead of a number", "concise", func(d map[string]any) { d["no2"].(map[string]any)["value"] = "22.5" }, "/no2/value", "must be a number"},
		{"core members are allowed", "normalized", func(d map[string]any) {
			d["@context"] = ContextURL
			d["scope"] = "/Lure/Centre"
			d["createdAt"] = "2026-03-02T09:00:00Z"
			d["observationSpace"] = map[string]any{"type": "GeoProperty", "value": map[string]any{"type": "Point", "coordinates": []any{2.35, 48.85}}}
		}, "", ""},
		{"relationship to a non-URI", "keyValues", func(d map[string]any) { d["refDevice"] = "capteur 12" }, "/refDevice", "URI"},
		{"unknown entity type", "keyValues", func(d map[string]any) { d["type"] = "AirQuality" }, "/type", "unknown entity type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := aqo(t, tt.form)
			tt.edit(d)
			problems := s.Validate(d, FormAuto)
			if tt.pointer == "" {
				if problems != nil {
					t.Fatalf("want valid, got %v", problems)
				}
				return
			}
			for _, p := range problems {
				if p.Pointer == tt.pointer && strings.Contains(p.Message, tt.message) {
					return
				}
			}
			t.Fatalf("want a problem at %s containing %q, got %v", tt.pointer, tt.message, problems)
		})
	}
}

func attr(d map[string]any, name string) map[string]any { return d[name].(map[string]any) }

func point(d map[string]any, lon, lat float64) {
	d["location"] = map[string]any{"type": "Point", "coordinates": []any{lon, lat}}
}

// The forms given explicitly are used as given: a normalized document checked
// as keyValues is wrong.
func TestExplicitForm(t *testing.T) {
	s := testSet(t)
	for _, form := range []Form{FormNormalized, FormConcise, FormKeyValues} {
		if p := s.Validate(aqo(t, string(form)), form); p != nil {
			t.Errorf("%s: %v", form, p)
		}
	}
	if p := s.Validate(aqo(t, "normalized"), FormKeyValues); p == nil {
		t.Error("a normalized document passed as keyValues")
	}
	if p := s.Validate(aqo(t, "keyValues"), "simplified"); len(p) != 1 || !strings.Contains(p[0].Message, "unknown form") {
		t.Errorf("unknown form: %v", p)
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	s := testSet(t)
	for _, form := range []string{"normalized", "concise", "keyValues"} {
		d := aqo(t, form)
		d["no2x"] = 1
		before, _ := json.Marshal(d)
		s.Validate(d, FormAuto)
		after, _ := json.Marshal(d)
		if string(before) != string(after) {
			t.Errorf("%s: the document changed", form)
		}
	}
}

func TestModels(t *testing.T) {
	s := testSet(t)
	want := []string{"AirQualityIndex", "AirQualityObserved", "Device", "EVChargingStation", "EnergyMeterObserved",
		"FootfallObserved", "IndoorEnvironmentObserved", "MobilityCountObserved", "NoiseLevelObserved", "OffStreetParking",
		"ParkingSpot", "Streetlight", "TrafficFlowObserved", "WasteContainer", "WaterLevelObserved", "WaterMeterObserved",
		"WaterQualityObserved", "WeatherObserved"}
	if got := s.Models(); !reflect.DeepEqual(got, want) {
		t.Errorf("Models() = %v, want %v", got, want)
	}
	for _, m := range want {
		if !s.Has(m) {
			t.Errorf("Has(%q) = false", m)
		}
	}
	if s.Has("Building") {
		t.Error("Has(Building) = true")
	}
}

// Every measured attribute has a default unit from the unit table and accepts
// only codes of the table.
func TestUnits(t *testing.T) {
	s := testSet(t)
	for _, m := range s.Models() {
		for _, a := range s.Attributes(m) {
			if !a.Measured {
				continue
			}
			if a.DefaultUnit == "" {
				t.Errorf("%s.%s: measured without a default unit", m, a.Name)
			}
			for _, u := range append([]string{a.DefaultUnit}, a.Units...) {
				if _, ok := s.units[u]; !ok {
					t.Errorf("%s.%s: unit %q is not in the unit table", m, a.Name, u)
				}
			}
		}
	}
}

func TestLuhn(t *testing.T) {
	for s, want := range map[string]bool{"732829320": true, "732829321": false, "000000000": true, "123456789": false} {
		if got := luhn(s); got != want {
			t.Errorf("luhn(%s) = %v", s, got)
		}
	}
}

func FuzzValidate(f *testing.F) {
	s := testSet(f)
	f.Add(`{"id":"urn:x","type":"AirQualityObserved","no2":{"value":1}}`)
	f.Add(`{"type":"WeatherObserved","location":{"type":"Point","coordinates":[1]}}`)
	f.Add(`{"type":"Device","controlledProperty":{"type":"Property","value":["x"],"sub":{"object":1}}}`)
	f.Fuzz(func(t *testing.T, in string) {
		var d map[string]any
		if json.Unmarshal([]byte(in), &d) != nil {
			return
		}
		for _, p := range s.Validate(d, FormAuto) {
			if p.Pointer != "" && !strings.HasPrefix(p.Pointer, "/") {
				t.Fatalf("bad pointer %q", p.Pointer)
			}
		}
	})
}
