package commerce

import (
	"fmt"
	"strings"
)

// minorMoney is the amount n, an integer count of the minor unit of
// currency (which has decimals decimals), as a decimal string in major
// units: 2400 with 2 decimals is "24.00", 500 with none is "500", 1250
// with 3 is "1.250". The digits are moved, never computed, so no amount is
// too large and nothing passes through a float. An absent amount (null) is
// absent; an amount that is not an integer, or one without a currency, is
// an error, as its value cannot be known. Every platform that writes minor
// units (Stripe, Square, Adyen) reads its amounts through it, each with
// its own table of decimals.
func minorMoney(n stripeNumber, currency string, decimals int) (Money, error) {
	if n == "" {
		return "", nil
	}
	sign, digits := "", string(n)
	if rest, ok := strings.CutPrefix(digits, "-"); ok {
		sign, digits = "-", rest
	}
	if digits == "" || strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", fmt.Errorf("amount %.24q is not an integer of minor units", string(n))
	}
	if currency == "" {
		return "", fmt.Errorf("amount %s has no currency", n)
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
