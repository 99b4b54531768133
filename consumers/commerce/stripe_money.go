package commerce

import (
	"strings"
)

// stripeDecimals is how many decimals an amount in currency has in
// Stripe's API, which writes every amount as an integer in the currency's
// minor unit (https://docs.stripe.com/currencies#minor-units): none for
// the zero-decimal currencies, three for the three-decimal ones, two for
// every other. ISK, HUF and TWD are special cases there, but only for what
// Stripe accepts in a charge or payout: the API keeps them two-decimal (an
// amount of 100 ISK is 1 krona), so they are two-decimal here too.
func stripeDecimals(currency string) int {
	switch currency {
	case "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg",
		"rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf":
		return 0
	case "bhd", "jod", "kwd", "omr", "tnd":
		return 3
	}
	return 2
}

// stripeMoney is the amount n, written by Stripe as an integer in the minor
// unit of currency (lower case, as Stripe writes it), as a decimal string
// in major units (see minorUnits): 2400 usd is "24.00", 500 jpy is "500",
// 1250 kwd is "1.250". A currency missing from Stripe's lists of zero- and
// three-decimal ones has two decimals, as Stripe's documentation says of
// every other currency.
func stripeMoney(n jsonNumber, currency string) (Money, error) {
	return minorUnits(string(n), currency, stripeDecimals(strings.ToLower(currency)))
}
