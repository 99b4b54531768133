package commerce

import (
	"math/big"
)

// wooSubtotal is the order's subtotal as WooCommerce defines it
// (WC_Order::get_subtotal, shown as "Subtotal" on the order): the sum of
// the line items' subtotals, before discounts and without tax. The REST
// API does not write it, so it is summed here in exact decimal arithmetic,
// with as many decimals as the most precise term. It is absent when there
// are no line items or one has no subtotal, since a partial sum would be
// a wrong amount.
func wooSubtotal(items []wooLineItem) Money {
	subtotals := make([]decimal, len(items))
	for i, li := range items {
		subtotals[i] = li.Subtotal
	}
	return sumDecimals(subtotals)
}

// wooUnitPrice is a line's unit price before discounts: its subtotal
// divided by its quantity, when that division is exact with the
// subtotal's decimals ("6.00" for 2 is "3.00"; "10.00" for 3 is absent).
// WooCommerce's own line "price" is not used: it is the line total after
// discounts divided by the quantity as a PHP float (3.3333333333333335).
func wooUnitPrice(subtotal decimal, quantity int64) Money {
	if subtotal == "" || quantity <= 0 {
		return ""
	}
	v, scale := parseDecimal(subtotal)
	q, r := new(big.Int).QuoRem(v, big.NewInt(quantity), new(big.Int))
	if r.Sign() != 0 {
		return ""
	}
	return formatDecimal(q, scale)
}
