package commerce

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// stripeNumber is a JSON number as Stripe wrote it (an amount or a
// timestamp), kept as text so that no amount passes through a float; null
// is "". Anything else, a number in a string included, is refused: Stripe
// never quotes its numbers.
type stripeNumber string

func (n *stripeNumber) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		*n = stripeNumber(b)
	default:
		return &json.UnmarshalTypeError{Value: stripeJSONKind(b), Type: reflect.TypeFor[stripeNumber]()}
	}
	return nil
}

// stripeJSONKind names the kind of a JSON value, as encoding/json does.
func stripeJSONKind(b []byte) string {
	switch {
	case len(b) == 0:
		return "nothing"
	case b[0] == '"':
		return "string"
	case b[0] == '{':
		return "object"
	case b[0] == '[':
		return "array"
	}
	return "bool"
}

// stripeJSONError says what is wrong with a payload without repeating its
// values, which can be personal data: a dead letter's reason is stored.
func stripeJSONError(err error) string {
	var syntax *json.SyntaxError
	var kind *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("not JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &kind) && kind.Field != "":
		return fmt.Sprintf("%s is a JSON %s", kind.Field, kind.Value)
	case errors.As(err, &kind):
		return fmt.Sprintf("a JSON %s, not an object", kind.Value)
	}
	return err.Error() // an id that is not one: platformid quotes at most 40 characters of it
}

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
func stripeMoney(n stripeNumber, currency string) (Money, error) {
	return minorUnits(string(n), currency, stripeDecimals(strings.ToLower(currency)))
}

// stripeMaxUnix is 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
const stripeMaxUnix = 253402300799

// stripeTime reads a Stripe timestamp (whole Unix seconds, UTC by
// definition); null is the zero time.
func stripeTime(n stripeNumber) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	s, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || s < 0 || s > stripeMaxUnix {
		return time.Time{}, fmt.Errorf("timestamp %.24q is not Unix seconds", string(n))
	}
	return time.Unix(s, 0).UTC(), nil
}
