package schemas

import (
	"errors"
	"regexp"
)

var nineDigits = regexp.MustCompile(`^[0-9]{9}$`)

// validateSIREN is the "siren" format: 9 digits whose last one is the Luhn
// check digit of the first eight. Values that are not 9 digits are left to the
// pattern of the schema.
func validateSIREN(v any) error {
	s, ok := v.(string)
	if !ok || !nineDigits.MatchString(s) {
		return nil
	}
	if !luhn(s) {
		return errors.New("the check digit of the SIREN number is wrong")
	}
	return nil
}

// luhn reports whether a string of digits passes the Luhn check.
func luhn(digits string) bool {
	sum := 0
	for i := 0; i < len(digits); i++ {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
