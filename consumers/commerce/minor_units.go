package commerce

import (
	"fmt"
	"strings"
)

// minorUnits is amount, an integer count of the minor unit of a currency
// with decimals decimals, as a decimal string in major units: "2400" with
// two decimals is "24.00", "500" with none is "500", "1250" with three is
// "1.250". The digits are moved, never computed, so no amount is too large
// and nothing passes through a float. "" is no amount; anything but an
// optional minus sign and digits is an error, as is an amount without a
// currency: its value cannot be known.
func minorUnits(amount, currency string, decimals int) (Money, error) {
	if amount == "" {
		return "", nil
	}
	sign, digits := "", amount
	if rest, ok := strings.CutPrefix(digits, "-"); ok {
		sign, digits = "-", rest
	}
	if !isDigits(digits) {
		return "", fmt.Errorf("amount %.24q is not an integer of minor units", amount)
	}
	if currency == "" {
		return "", fmt.Errorf("amount %s has no currency", amount)
	}
	if strings.Trim(digits, "0") == "" {
		sign = "" // -0 is 0
	}
	if decimals == 0 {
		return sign + digits, nil
	}
	if len(digits) <= decimals {
		digits = strings.Repeat("0", decimals-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-decimals] + "." + digits[len(digits)-decimals:], nil
}

// iso4217Decimals is the number of decimals ISO 4217 gives a currency (its
// minor unit), for the platforms that write amounts in minor units by that
// standard (Paddle, Razorpay): none for the zero-decimal currencies, three
// for the three-decimal ones, four for the two units of account that have
// four, two for every other. currency is upper case.
func iso4217Decimals(currency string) int {
	switch currency {
	case "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
		"RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND":
		return 3
	case "CLF", "UYW":
		return 4
	}
	return 2
}
