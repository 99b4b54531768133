package commerce

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// wooMoney is an amount as WooCommerce writes it: a decimal string in the
// currency's major unit ("29.35", "-10.00", "17000000" for VND, as many
// decimals as the shop is set to), kept as written. A JSON number of the
// same form (a plugin's payload filter may write one) is kept as its
// literal text; null and "" are absent. Anything else, an exponent
// included, is not an amount and makes the payload unusable.
type wooMoney string

func (m *wooMoney) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch {
	case s == "null":
		s = ""
	case strings.HasPrefix(s, `"`):
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if s != "" && !wooIsDecimal(s) {
		return fmt.Errorf("amount %.40q: not a decimal", s)
	}
	*m = wooMoney(s)
	return nil
}

// wooIsDecimal reports whether s is an optional minus sign, digits, and
// optionally a point and more digits.
func wooIsDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, dot := strings.Cut(s, ".")
	return wooDigits(whole) && (!dot || wooDigits(frac))
}

func wooDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// wooSubtotal is the order's subtotal as WooCommerce defines it
// (WC_Order::get_subtotal, shown as "Subtotal" on the order): the sum of
// the line items' subtotals, before discounts and without tax. The REST
// API does not write it, so it is summed here in exact decimal arithmetic,
// with as many decimals as the most precise term. It is absent when there
// are no line items or one has no subtotal, since a partial sum would be
// a wrong amount.
func wooSubtotal(items []wooLineItem) Money {
	if len(items) == 0 {
		return ""
	}
	sum, scale := new(big.Int), 0
	for _, li := range items {
		if li.Subtotal == "" {
			return ""
		}
		v, s := wooParseDecimal(string(li.Subtotal))
		switch {
		case s > scale:
			sum.Mul(sum, wooPow10(s-scale))
			scale = s
		case s < scale:
			v.Mul(v, wooPow10(scale-s))
		}
		sum.Add(sum, v)
	}
	return wooFormatDecimal(sum, scale)
}

// wooUnitPrice is a line's unit price before discounts: its subtotal
// divided by its quantity, when that division is exact with the
// subtotal's decimals ("6.00" for 2 is "3.00"; "10.00" for 3 is absent).
// WooCommerce's own line "price" is not used: it is the line total after
// discounts divided by the quantity as a PHP float (3.3333333333333335).
func wooUnitPrice(subtotal wooMoney, quantity int64) Money {
	if subtotal == "" || quantity <= 0 {
		return ""
	}
	v, scale := wooParseDecimal(string(subtotal))
	q, r := new(big.Int).QuoRem(v, big.NewInt(quantity), new(big.Int))
	if r.Sign() != 0 {
		return ""
	}
	return wooFormatDecimal(q, scale)
}

// wooParseDecimal is s (which wooIsDecimal accepted) as an integer count
// of 10^-scale.
func wooParseDecimal(s string) (v *big.Int, scale int) {
	whole, frac, _ := strings.Cut(s, ".")
	v, _ = new(big.Int).SetString(whole+frac, 10)
	return v, len(frac)
}

// wooFormatDecimal writes v * 10^-scale with exactly scale decimals.
func wooFormatDecimal(v *big.Int, scale int) Money {
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

func wooPow10(n int) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}
