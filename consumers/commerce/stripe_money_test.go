package commerce

import (
	"encoding/json"
	"testing"
)

// TestStripeMoney is every edge of reading Stripe's integer minor units as
// a decimal in major units.
func TestStripeMoney(t *testing.T) {
	for _, c := range []struct {
		n        jsonNumber
		currency string
		want     Money
		bad      bool
	}{
		{"2400", "USD", "24.00", false},
		{"2198", "usd", "21.98", false},
		{"5", "EUR", "0.05", false},
		{"50", "EUR", "0.50", false},
		{"0", "USD", "0.00", false},
		{"-150", "USD", "-1.50", false},
		{"-5", "USD", "-0.05", false},
		{"-0", "USD", "0.00", false},
		{"100", "ISK", "1.00", false}, // a special case for charges, two-decimal in the API
		{"500", "JPY", "500", false},
		{"0", "KRW", "0", false},
		{"-500", "jpy", "-500", false},
		{"1000", "UGX", "1000", false},
		{"5", "XOF", "5", false},
		{"1250", "KWD", "1.250", false},
		{"5", "BHD", "0.005", false},
		{"50", "JOD", "0.050", false},
		{"1000", "OMR", "1.000", false},
		{"-10", "TND", "-0.010", false},
		{"123456789012345678901234567890", "USD", "1234567890123456789012345678.90", false}, // beyond int64, and float64's precision
		{"", "USD", "", false}, // null is absent
		{"", "", "", false},    // absent without a currency is still absent
		{"2400", "", "", true}, // an amount of no known currency
		{"24.00", "USD", "", true},
		{"2.4e3", "USD", "", true},
		{"-", "USD", "", true},
		{"+5", "USD", "", true},
		{"--5", "USD", "", true},
	} {
		got, err := stripeMoney(c.n, c.currency)
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("stripeMoney(%q, %q) = %q, %v; want %q (error: %t)", c.n, c.currency, got, err, c.want, c.bad)
		}
	}
}

// TestStripeDecimals pins Stripe's lists (https://docs.stripe.com/currencies).
func TestStripeDecimals(t *testing.T) {
	for _, c := range []string{"bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"} {
		if d := stripeDecimals(c); d != 0 {
			t.Errorf("%s: %d decimals, want 0", c, d)
		}
	}
	for _, c := range []string{"bhd", "jod", "kwd", "omr", "tnd"} {
		if d := stripeDecimals(c); d != 3 {
			t.Errorf("%s: %d decimals, want 3", c, d)
		}
	}
	for _, c := range []string{"usd", "eur", "isk", "huf", "twd", "iqd", "lyd"} {
		if d := stripeDecimals(c); d != 2 {
			t.Errorf("%s: %d decimals, want 2", c, d)
		}
	}
}

func TestStripeCurrency(t *testing.T) {
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{"usd", "USD", false}, {"JPY", "JPY", false}, {"", "", false},
		{"us", "", true}, {"usdx", "", true}, {"u$d", "", true}, {"ü12", "", true},
	} {
		got, err := currencyCode(c.in)
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("currencyCode(%q) = %q, %v; want %q (error: %t)", c.in, got, err, c.want, c.bad)
		}
	}
}

func TestStripeTime(t *testing.T) {
	for _, c := range []struct {
		n    jsonNumber
		want string
		bad  bool
	}{
		{"1679600215", "2023-03-23T19:36:55Z", false},
		{"0", "1970-01-01T00:00:00Z", false},
		{"253402300799", "9999-12-31T23:59:59Z", false},
		{"", "", false},
		{"253402300800", "", true},
		{"-1", "", true},
		{"1679600215.5", "", true},
		{"1e9", "", true},
	} {
		got, err := unixTime(c.n)
		if rfc3339(got) != c.want || (err != nil) != c.bad {
			t.Errorf("unixTime(%q) = %s, %v; want %q (error: %t)", c.n, rfc3339(got), err, c.want, c.bad)
		}
	}
}

// TestStripeNumber: amounts and timestamps are read as Stripe writes them,
// and a payload that writes one otherwise is named without its value.
func TestStripeNumber(t *testing.T) {
	for _, c := range []struct {
		body, want, err string
	}{
		{`{"n":2198}`, "2198", ""},
		{`{"n":-5}`, "-5", ""},
		{`{"n":21.98}`, "21.98", ""}, // a number still: stripeMoney refuses the fraction
		{`{"n":null}`, "", ""},
		{`{}`, "", ""},
		{`{"n":"2198"}`, "", "n is a JSON string"},
		{`{"n":"jennyrosen@example.com"}`, "", "n is a JSON string"},
		{`{"n":true}`, "", "n is a JSON bool"},
		{`{"n":{"x":1}}`, "", "n is a JSON object"},
		{`{"n":[1]}`, "", "n is a JSON array"},
		{`{"n":`, "", "not JSON (at byte 5)"},
		{`[1]`, "", "a JSON array, not an object"},
	} {
		var v struct {
			N jsonNumber `json:"n"`
		}
		err := json.Unmarshal([]byte(c.body), &v)
		msg := ""
		if err != nil {
			msg = jsonError(err)
		}
		if string(v.N) != c.want || msg != c.err {
			t.Errorf("%s: %q, %q; want %q, %q", c.body, v.N, msg, c.want, c.err)
		}
	}
}
