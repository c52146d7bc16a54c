package query

import (
	"strconv"
	"strings"
	"time"
)

// temporalForm tells which of the three temporal forms a text has.
type temporalForm int

const (
	formNone     temporalForm = iota
	formDateTime              // 2026-01-02T03:04:05Z, with an offset or none (UTC), fractional seconds allowed
	formDate                  // 2026-01-02, midnight UTC
	formTime                  // 12:00:00Z, 12:00:00+02:00 or 12:00:00 (UTC), on day 0000-01-01
)

// parseTemporal reads a date-time, a date or a time of day. The result is
// in UTC. Date-times without an offset are taken as UTC.
func parseTemporal(s string) (time.Time, temporalForm, bool) {
	if len(s) < 8 || s[0] < '0' || s[0] > '9' {
		return time.Time{}, formNone, false
	}
	switch {
	case len(s) >= 10 && s[4] == '-' && s[7] == '-':
		if len(s) == 10 {
			t, err := time.Parse("2006-01-02", s)
			return t, formDate, err == nil
		}
		if s[10] != 'T' {
			return time.Time{}, formNone, false
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), formDateTime, true
		}
		t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
		return t, formDateTime, err == nil
	case s[2] == ':' && s[5] == ':':
		if t, err := time.Parse("15:04:05.999999999Z07:00", s); err == nil {
			return t.UTC(), formTime, true
		}
		t, err := time.Parse("15:04:05.999999999", s)
		return t, formTime, err == nil
	}
	return time.Time{}, formNone, false
}

// temporalCompatible tells whether values of two temporal forms compare:
// dates and date-times compare as instants (a date is its midnight UTC),
// times of day compare only with times of day.
func temporalCompatible(a, b temporalForm) bool {
	if a == formNone || b == formNone {
		return false
	}
	return (a == formTime) == (b == formTime)
}

// isNumberText reports whether s is a JSON-style number: an optional
// minus sign, digits, an optional fraction and an optional exponent.
func isNumberText(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// classify gives the literal an unquoted token stands for: a number,
// true/false, a date-time, date or time, or else a string (a URI or any
// other word). ok is false when the token is a number out of the float64
// range.
func classify(tok string) (Literal, bool) {
	switch {
	case tok == "true" || tok == "false":
		return Literal{Kind: KindBool, Str: tok, Bool: tok == "true"}, true
	case isNumberText(tok):
		f, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return Literal{}, false
		}
		return Literal{Kind: KindNumber, Str: tok, Num: f}, true
	}
	if t, _, ok := parseTemporal(tok); ok {
		return Literal{Kind: KindDateTime, Str: tok, Time: t}, true
	}
	return Literal{Kind: KindString, Str: tok}, true
}

// quote writes s as a q string literal: between double quotes, with '"'
// and '\' escaped by a backslash.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}
