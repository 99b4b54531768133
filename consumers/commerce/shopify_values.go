package commerce

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// The reasons a Shopify payload is unusable. None of them quotes the
// payload: a reason is logged and kept with the dead letter, and payloads
// carry customers' personal data.
var (
	errShopifyNoID     = errors.New("no id")
	errShopifyTime     = errors.New("a time is not an RFC 3339 date-time")
	errShopifyQuantity = errors.New("a quantity is not a whole number")
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

// shopifyTime is a time as Shopify writes it, RFC 3339 with the shop's UTC
// offset ("2021-12-31T19:00:00-05:00"); null or "" is no time.
type shopifyTime struct{ t time.Time }

// UnmarshalJSON reads a time and keeps it in UTC; one outside the years
// RFC 3339 can write once in UTC is an error too.
func (st *shopifyTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := unquote(b)
	if err != nil {
		return errShopifyTime
	}
	if len(s) == 0 {
		return nil
	}
	t, err := time.Parse(time.RFC3339, string(s))
	if t = t.UTC(); err != nil || t.Year() < 0 || t.Year() > 9999 {
		return errShopifyTime
	}
	st.t = t
	return nil
}

// IsZero reports whether no time was given.
func (st shopifyTime) IsZero() bool { return st.t.IsZero() }

// String is the time in RFC 3339 in UTC, or "" for none.
func (st shopifyTime) String() string { return rfc3339(st.t) }

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
