package commerce

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// The JSON values several platforms' mappings read the same way.

// jsonNumber is a JSON number as the platform wrote it (an amount or a
// timestamp), kept as text so that no amount passes through a float; null
// is "". Anything else, a number in a string included, is refused: the
// platforms that use it (Stripe, Razorpay, Square, Adyen, Chargebee, Lemon
// Squeezy) never quote their numbers.
type jsonNumber string

func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*n = ""
	case len(b) > 0 && (b[0] == '-' || '0' <= b[0] && b[0] <= '9'):
		*n = jsonNumber(b)
	default:
		return &json.UnmarshalTypeError{Value: jsonKind(b), Type: reflect.TypeFor[jsonNumber]()}
	}
	return nil
}

// jsonKind names the kind of a JSON value, as encoding/json does.
func jsonKind(b []byte) string {
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

// jsonError says what is wrong with a payload without repeating its
// values, which can be personal data: a dead letter's reason is stored.
func jsonError(err error) string {
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

// maxUnix is 9999-12-31T23:59:59Z, the last second RFC 3339 can write.
const maxUnix = 253402300799

// unixTime reads a timestamp of whole Unix seconds (UTC by definition),
// as Stripe, Razorpay and Chargebee write them; null is the zero time.
func unixTime(n jsonNumber) (time.Time, error) {
	if n == "" {
		return time.Time{}, nil
	}
	s, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || s < 0 || s > maxUnix {
		return time.Time{}, fmt.Errorf("timestamp %.24q is not Unix seconds", string(n))
	}
	return time.Unix(s, 0).UTC(), nil
}

// rfc3339Time is a JSON string time in RFC 3339 (with or without a
// fraction, any offset), as Shopware's entities write them
// ("2023-05-04T13:36:26.566+00:00") and Mollie, Lemon Squeezy, PayPal and
// Saleor theirs; null and "" are the zero time.
type rfc3339Time struct{ time.Time }

func (t *rfc3339Time) UnmarshalJSON(b []byte) (err error) {
	t.Time, err = jsonTime(b, "RFC 3339", func(s string) (time.Time, error) {
		t, err := time.Parse(time.RFC3339Nano, s)
		// A year past 9999 in UTC cannot be written back as RFC 3339.
		if y := t.UTC().Year(); err == nil && (y < 0 || y > 9999) {
			return time.Time{}, errors.New("year out of range")
		}
		return t, err
	})
	return err
}

// or is the time, or else when it is zero.
func (t rfc3339Time) or(orElse time.Time) time.Time {
	if t.IsZero() {
		return orElse
	}
	return t.Time
}
