package shipping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
)

// Errors of an event that can never be handled; Handle wraps them with
// consumers.Permanent.
var (
	// ErrBadPayload is an event whose data is not the JSON its type promises.
	ErrBadPayload = errors.New("unparseable payload")
	// ErrNoOrderID is an order event without an order id.
	ErrNoOrderID = errors.New("no order id in payload")
)

// order is an incoming webhook event reduced to what shipping needs.
type order struct {
	action    action
	platform  string
	source    string // CloudEvent source
	id        string // the platform's order id
	key       string // Key(platform, source, id)
	eventID   string // CloudEvent id
	reference string
	address   Address
	items     []Item
	tracking  *Tracking
}

// decode reads an event. It returns ignore != "" (the reason) for events
// shipping does not act on, and an error wrapping ErrBadPayload or
// ErrNoOrderID for events it can never act on. This is the one place that
// maps event types to platforms.
func decode(ev event.Event) (o order, ignore string, err error) {
	data := ev.Data()
	switch ev.Type() {
	case "com.shopify.orders.paid":
		o, ignore, err = decodeShopify(data, actPaid)
	case "com.shopify.orders.cancelled":
		o, ignore, err = decodeShopify(data, actCancelled)
	case "com.shopify.orders.fulfilled":
		o, ignore, err = decodeShopify(data, actFulfilled)
	case "com.woocommerce.order.created", "com.woocommerce.order.updated":
		o, ignore, err = decodeWooCommerce(data)
	case "com.stripe.checkout.session.completed":
		o, ignore, err = decodeStripe(data)
	default:
		return order{}, "event type " + ev.Type() + " is not about shipping", nil
	}
	if err != nil || ignore != "" {
		return order{}, ignore, err
	}
	o.source = ev.Source()
	o.eventID = ev.ID()
	o.key, err = Key(o.platform, o.source, o.id)
	if err != nil {
		return order{}, "", fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	return o, "", nil
}

// unmarshal decodes data into v, or says why not with ErrBadPayload.
func unmarshal(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if d.More() {
		return fmt.Errorf("%w: data after the JSON value", ErrBadPayload)
	}
	return nil
}

// joinName is "first last" without stray spaces.
func joinName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}
