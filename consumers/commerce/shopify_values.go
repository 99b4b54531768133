package commerce

import (
	"encoding/json"
	"errors"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// The reasons a Shopify payload is unusable. None of them quotes the
// payload: a reason is logged and kept with the dead letter, and payloads
// carry customers' personal data.
var (
	errShopifyNoID     = errors.New("no id")
	errShopifyMoney    = errors.New("an amount is not a decimal string")
	errShopifyTime     = errors.New("a time is not an RFC 3339 date-time")
	errShopifyQuantity = errors.New("a quantity is not a whole number")
	errShopifyCurrency = errors.New("the currency is not an ISO 4217 code")
)

// shopifyDecode reads a Shopify payload, which must be a JSON object, into
// v, and requires the object's id, which decoding v fills in *id.
func shopifyDecode(data []byte, v any, id *platformid.ID) error {
	if err := json.Unmarshal(data, v); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return errors.New("not JSON")
		}
		return err
	}
	if *id == "" {
		return errShopifyNoID
	}
	return nil
}

// shopifyMoney is an amount as Shopify writes it, a decimal string in major
// units ("199.00", "1000" for yen, "12.345" for dinars), kept as written.
// A JSON number is kept as its literal text, never read into a float; null
// or "" is no amount.
type shopifyMoney string

// UnmarshalJSON reads an amount; one that is not a plain decimal (no
// exponent, no grouping, digits on both sides of a point) is an error.
func (m *shopifyMoney) UnmarshalJSON(b []byte) error {
	s := string(b)
	switch {
	case s == "null":
		return nil
	case b[0] == '"':
		if err := json.Unmarshal(b, &s); err != nil {
			return errShopifyMoney
		}
	}
	if s != "" && !shopifyIsDecimal(s) {
		return errShopifyMoney
	}
	*m = shopifyMoney(s)
	return nil
}

// shopifyIsDecimal reports whether s is an optional minus sign, digits, and
// optionally a point followed by digits.
func shopifyIsDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	whole, frac, point := strings.Cut(s, ".")
	digits := func(d string) bool {
		for _, c := range []byte(d) {
			if c < '0' || c > '9' {
				return false
			}
		}
		return d != ""
	}
	return digits(whole) && (!point || digits(frac))
}

// shopifySum is the exact sum of amounts: one amount as written, several
// added with as many decimals as the longest of them has, and no amount when
// there is none or one of them is missing.
func shopifySum(amounts []shopifyMoney) Money {
	switch len(amounts) {
	case 0:
		return ""
	case 1:
		return Money(amounts[0])
	}
	var sum big.Rat
	decimals := 0
	for _, a := range amounts {
		var r big.Rat
		if _, ok := r.SetString(string(a)); a == "" || !ok {
			return ""
		}
		sum.Add(&sum, &r)
		if _, frac, ok := strings.Cut(string(a), "."); ok {
			decimals = max(decimals, len(frac))
		}
	}
	return sum.FloatString(decimals)
}

// shopifyCurrency is an ISO 4217 code in upper case, or "" for none.
func shopifyCurrency(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	up := strings.ToUpper(s)
	if len(up) != 3 || strings.Trim(up, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return "", errShopifyCurrency
	}
	return up, nil
}

// shopifyTime is a time as Shopify writes it, RFC 3339 with the shop's UTC
// offset ("2021-12-31T19:00:00-05:00"); null or "" is no time.
type shopifyTime struct{ t time.Time }

// UnmarshalJSON reads a time and keeps it in UTC; one outside the years
// RFC 3339 can write once in UTC is an error too.
func (st *shopifyTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errShopifyTime
	}
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if t = t.UTC(); err != nil || t.Year() < 0 || t.Year() > 9999 {
		return errShopifyTime
	}
	st.t = t
	return nil
}

// IsZero reports whether no time was given.
func (st shopifyTime) IsZero() bool { return st.t.IsZero() }

// String is the time in RFC 3339 in UTC, or "" for none.
func (st shopifyTime) String() string {
	if st.t.IsZero() {
		return ""
	}
	return st.t.Format(time.RFC3339Nano)
}

// shopifyQuantity is a line item's quantity: a JSON integer, not negative.
// set tells an absent or null quantity from 0.
type shopifyQuantity struct {
	n   int64
	set bool
}

// UnmarshalJSON reads a quantity.
func (q *shopifyQuantity) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return errShopifyQuantity
	}
	q.n, q.set = n, true
	return nil
}
