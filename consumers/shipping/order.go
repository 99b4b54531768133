package shipping

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// Errors of an event that can never be handled; Handle wraps them with
// consumers.Permanent.
var (
	// ErrBadPayload is an event whose data is not the JSON its type promises,
	// or names no usable platform or source.
	ErrBadPayload = errors.New("unparseable payload")
	// ErrNoOrderID is an order event without an order id.
	ErrNoOrderID = errors.New("no order id in payload")
)

// order is an incoming canonical order event reduced to what shipping needs.
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

// orderTypePrefix starts the CloudEvent type of every canonical order event.
var orderTypePrefix = commerce.Type(commerce.EntityOrder, "")

// actionOf is what a canonical order action asks of the order's shipment;
// ok is false for the actions shipping does not act on (created, updated).
// A refund in full takes the goods off the road as a cancel does.
func actionOf(name string) (a action, ok bool) {
	switch name {
	case commerce.ActionPaid:
		return actPaid, true
	case commerce.ActionFulfilled:
		return actFulfilled, true
	case commerce.ActionCancelled, commerce.ActionRefunded:
		return actCancelled, true
	}
	return 0, false
}

// decode reads a canonical order event. It returns ignore != "" (the
// reason) for events shipping does not act on, and an error wrapping
// ErrBadPayload or ErrNoOrderID for events it can never act on. It reads
// only the canonical contract, the same for every platform.
func decode(ev event.Event) (o order, ignore string, err error) {
	name, ok := strings.CutPrefix(ev.Type(), orderTypePrefix)
	if !ok {
		return order{}, "event type " + ev.Type() + " is not an order event", nil
	}
	a, ok := actionOf(name)
	if !ok {
		return order{}, "order." + name + " needs no shipping action", nil
	}
	var co commerce.Order
	if err := unmarshal(ev.Data(), &co); err != nil {
		return order{}, "", err
	}
	if co.ID == "" {
		return order{}, "", ErrNoOrderID
	}
	o = order{
		action: a, platform: co.Platform, source: ev.Source(), id: co.ID, eventID: ev.ID(),
		reference: co.Number, address: shipTo(co), tracking: lastTracking(co.Tracking),
	}
	if o.key, err = Key(o.platform, o.source, o.id); err != nil {
		return order{}, "", fmt.Errorf("%w: %w", ErrBadPayload, err)
	}
	if o.items, err = items(co); err != nil {
		return order{}, "", err
	}
	if why := nothingToShip(co, o); a != actCancelled && why != "" {
		return order{}, why, nil
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

// shipTo is where the order goes: its shipping address, with the
// customer's phone when the address has none, so that the carrier has a
// number to call. No address is the empty Address.
func shipTo(co commerce.Order) Address {
	if co.ShippingAddr == nil {
		return Address{}
	}
	a := *co.ShippingAddr
	if a.Phone == "" && a != (Address{}) && co.Customer != nil {
		a.Phone = co.Customer.Phone
	}
	return a
}

// lastTracking is the newest of the order's tracking references (the
// platforms list them oldest first), or nil.
func lastTracking(ts []commerce.Tracking) *Tracking {
	if len(ts) == 0 {
		return nil
	}
	t := ts[len(ts)-1]
	return &t
}

// items is what to ship: the lines that may require shipping (a line that
// says requires_shipping false has nothing to ship), or, for an order that
// lists no lines, its metadata "items" (see metadataItems).
func items(co commerce.Order) ([]Item, error) {
	if len(co.LineItems) == 0 {
		items, err := metadataItems(co.Metadata["items"])
		if err != nil {
			return nil, fmt.Errorf("%w: metadata items: %w", ErrBadPayload, err)
		}
		return items, nil
	}
	var out []Item
	for _, li := range co.LineItems {
		if li.RequiresShipping != nil && !*li.RequiresShipping {
			continue
		}
		out = append(out, Item{SKU: li.SKU, Name: li.Name, Quantity: int(li.Quantity)})
	}
	return out, nil
}

// nothingToShip is why a paid or fulfilled order o read from co needs no
// shipment, or "" when it needs one. An order that lists no line items
// and has no shipping address is one the shop does not ship (a Stripe
// Checkout Session that collected no address), whatever its metadata says.
func nothingToShip(co commerce.Order, o order) string {
	switch {
	case len(co.LineItems) > 0 && len(o.items) == 0:
		return "no line item requires shipping"
	case len(co.LineItems) == 0 && o.address == (Address{}):
		return "nothing to ship: no line items and no shipping address"
	}
	return ""
}

// metadataItems parses the shop's "items" metadata convention:
// "SKU:QTY,SKU:QTY", a SKU without ":QTY" meaning one. It is how a shop
// whose platform sends no line items (Stripe Checkout) passes them.
func metadataItems(s string) ([]Item, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var items []Item
	for part := range strings.SplitSeq(s, ",") {
		sku, qty, hasQty := strings.Cut(strings.TrimSpace(part), ":")
		sku = strings.TrimSpace(sku)
		if sku == "" {
			return nil, fmt.Errorf("empty SKU in %q", part)
		}
		n := 1
		if hasQty {
			var err error
			n, err = strconv.Atoi(strings.TrimSpace(qty))
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad quantity in %q", part)
			}
		}
		items = append(items, Item{SKU: sku, Quantity: n})
	}
	return items, nil
}
