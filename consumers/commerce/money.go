package commerce

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Why an amount or a currency makes a payload unusable. Neither quotes the
// payload: a reason is logged and kept with the dead letter.
var (
	errMoney    = errors.New("an amount is not a decimal string")
	errCurrency = errors.New("the currency is not a three-letter ISO 4217 code")
)

// decimal is an amount as the platforms that write decimal strings write
// it (Shopify, WooCommerce): major units ("199.00", "1000" for yen,
// "12.345" for dinars), kept as written. A JSON number of the same form is
// kept as its literal text, never read into a float; null and "" are no
// amount. Anything else (an exponent, grouping, a currency sign) is an
// error.
type decimal string

func (m *decimal) UnmarshalJSON(b []byte) error {
	s := b // the amount's text
	switch {
	case string(b) == "null":
		s = nil
	case len(b) > 0 && b[0] == '"':
		text, err := unquote(b)
		if err != nil {
			return errMoney
		}
		s = text
	}
	if len(s) > 0 && !isDecimal(string(s)) {
		return errMoney
	}
	*m = decimal(s)
	return nil
}

// unquote is the text of the JSON string b, as encoding/json hands it to
// an UnmarshalJSON method. A string with nothing to unescape or replace
// (an amount, a time) is the bytes between its quotes, taken as they are;
// only others go through a second decoder, which costs more than the
// string is worth.
func unquote(b []byte) ([]byte, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		inner := b[1 : len(b)-1]
		plain := true
		for _, c := range inner {
			plain = plain && c >= 0x20 && c < 0x7f && c != '"' && c != '\\'
		}
		if plain {
			return inner, nil
		}
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// isDecimal reports whether s is an optional minus sign, digits, and
// optionally a point followed by digits.
func isDecimal(s string) bool {
	whole, frac, point := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	// No leading zero ("007.50"), as the schemas' pattern says: a
	// consumer may compare amounts as strings.
	return isDigits(whole) && (whole == "0" || whole[0] != '0') && (!point || isDigits(frac))
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// sumDecimals is the exact sum of amounts: one amount as written, several
// added with as many decimals as the most precise of them, and no amount
// when there is none or one of them is missing (a partial sum would be a
// wrong amount).
func sumDecimals(amounts []decimal) Money {
	switch len(amounts) {
	case 0:
		return ""
	case 1:
		return Money(amounts[0])
	}
	sum, scale := new(big.Int), 0
	for _, a := range amounts {
		if a == "" {
			return ""
		}
		v, s := parseDecimal(a)
		switch {
		case s > scale:
			sum.Mul(sum, pow10(s-scale))
			scale = s
		case s < scale:
			v.Mul(v, pow10(scale-s))
		}
		sum.Add(sum, v)
	}
	return formatDecimal(sum, scale)
}

// parseDecimal is d (which isDecimal accepted) as an integer count of
// 10^-scale.
func parseDecimal(d decimal) (v *big.Int, scale int) {
	whole, frac, _ := strings.Cut(string(d), ".")
	v, _ = new(big.Int).SetString(whole+frac, 10)
	return v, len(frac)
}

// formatDecimal writes v * 10^-scale with exactly scale decimals.
func formatDecimal(v *big.Int, scale int) Money {
	digits := new(big.Int).Abs(v).String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	if scale > 0 {
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if v.Sign() < 0 {
		digits = "-" + digits
	}
	return Money(digits)
}

func pow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// currencyCode is a currency code as a platform writes it (any case; "" is
// none) as ISO 4217 and the model write it: three upper-case letters.
func currencyCode(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if len(s) != 3 || strings.IndexFunc(s, func(r rune) bool { return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') }) >= 0 {
		return "", errCurrency
	}
	return strings.ToUpper(s), nil
}

// rfc3339 writes t as the model does, in UTC; the zero time is absent.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// jsonTime reads a JSON string time with parse; null and "" are the zero
// time. An error names the expected form and quotes at most 40 bytes.
func jsonTime(b []byte, form string, parse func(string) (time.Time, error)) (time.Time, error) {
	if string(b) == "null" {
		return time.Time{}, nil
	}
	s, err := unquote(b)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %.40s: not a string", b)
	}
	if len(s) == 0 {
		return time.Time{}, nil
	}
	v, err := parse(string(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("time %.40q: not %s", s, form)
	}
	return v, nil
}
