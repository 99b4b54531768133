package shipping

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hookbridge/hookbridge/consumers/commerce"
)

// Status is where a shipment is in its life.
type Status string

// The states of a shipment; cancelled and fulfilled are final.
const (
	StatusCreated   Status = "created"
	StatusCancelled Status = "cancelled"
	StatusFulfilled Status = "fulfilled"
)

// Shipment is one order's shipment, as stored and as published.
type Shipment struct {
	// Key is the KV key (see Key).
	Key string `json:"key"`
	// Platform is the order's platform as the canonical event names it:
	// shopify, woocommerce, stripe, or another one.
	Platform string `json:"platform"`
	// Source is the CloudEvent source: the shop's identity on its platform
	// (a shop domain, a site URL, a Stripe account).
	Source string `json:"source"`
	// OrderID is the canonical order id (for Stripe the Checkout Session id).
	OrderID string `json:"order_id"`
	// Reference is what a human calls the order, the canonical number:
	// Shopify's name ("#1001"), WooCommerce's number; Stripe orders have
	// none.
	Reference string  `json:"reference,omitempty"`
	Status    Status  `json:"status"`
	Address   Address `json:"address,omitzero"`
	Items     []Item  `json:"items,omitempty"`
	// Tracking is set when the fulfilment carried a tracking number.
	Tracking *Tracking `json:"tracking,omitempty"`
	// CreatedAt is zero for a tombstone: an order cancelled before any
	// shipment was created for it.
	CreatedAt   time.Time `json:"created_at,omitzero"`
	CancelledAt time.Time `json:"cancelled_at,omitzero"`
	FulfilledAt time.Time `json:"fulfilled_at,omitzero"`
	// EventID is the id of the canonical event that made the last change.
	EventID string `json:"event_id"`
}

// Address is where a shipment goes: the canonical address, so its JSON is
// the commerce contract's. Every field may be empty.
type Address = commerce.Address

// Item is one line of a shipment.
type Item struct {
	SKU      string `json:"sku,omitempty"`
	Name     string `json:"name,omitempty"`
	Quantity int    `json:"quantity"`
}

// Tracking is the carrier's reference for a fulfilled shipment: the
// canonical one.
type Tracking = commerce.Tracking

// record is the KV value: the shipment and its outbox, the events of
// transitions already stored but not yet known to be published.
type record struct {
	Shipment
	Outbox []outEvent `json:"outbox,omitempty"`
}

// outEvent is one shipping event waiting in the outbox. Data is the
// shipment as it was right after the transition, so a late publish (after
// a crash) sends what an immediate one would have.
type outEvent struct {
	Kind Status          `json:"kind"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// action is what an incoming order event asks of its shipment.
type action int

const (
	actPaid action = iota + 1
	actCancelled
	actFulfilled
)

func (a action) String() string {
	switch a {
	case actPaid:
		return "paid"
	case actCancelled:
		return "cancelled"
	case actFulfilled:
		return "fulfilled"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// apply is the state machine (the table in the package doc). cur is nil
// when the key is absent. It returns the next record, with the new events
// appended to the outbox, and whether anything changed; it never changes
// cur. note explains a refused transition worth logging.
func apply(cur *record, o order, now time.Time) (next record, changed bool, note string, err error) {
	if cur == nil {
		s := Shipment{Key: o.key, Platform: o.platform, Source: o.source, OrderID: o.id, Reference: o.reference, EventID: o.eventID}
		switch o.action {
		case actPaid:
			s.fill(o)
			s.CreatedAt = now
			return emit(record{Shipment: s}, StatusCreated, now)
		case actFulfilled:
			s.fill(o)
			s.CreatedAt = now
			r, _, _, err := emit(record{Shipment: s}, StatusCreated, now)
			if err != nil {
				return record{}, false, "", err
			}
			r.Tracking = o.tracking
			r.FulfilledAt = now
			return emit(r, StatusFulfilled, now)
		case actCancelled:
			// A tombstone: nothing was announced, so nothing is published,
			// but a late paid must find the order cancelled.
			s.Status = StatusCancelled
			s.CancelledAt = now
			return record{Shipment: s}, true, "", nil
		}
		return record{}, false, "", fmt.Errorf("unknown %v", o.action)
	}

	r := *cur
	r.Outbox = append([]outEvent(nil), cur.Outbox...)
	r.EventID = o.eventID
	switch {
	case r.Status == StatusCreated && o.action == actCancelled:
		r.CancelledAt = now
		return emit(r, StatusCancelled, now)
	case r.Status == StatusCreated && o.action == actFulfilled:
		r.FulfilledAt = now
		if o.tracking != nil {
			r.Tracking = o.tracking
		}
		return emit(r, StatusFulfilled, now)
	case r.Status == StatusCancelled && o.action == actFulfilled:
		return *cur, false, "fulfilled after cancelled: the cancel stands", nil
	case r.Status == StatusFulfilled && o.action == actCancelled:
		return *cur, false, "cancelled after fulfilled: the goods have shipped", nil
	}
	return *cur, false, "", nil // duplicates, late paid: nothing to do
}

// fill copies what the order says about the goods and where they go.
func (s *Shipment) fill(o order) {
	s.Address = o.address
	s.Items = o.items
	if s.Reference == "" {
		s.Reference = o.reference
	}
}

// emit moves r to status and queues the event announcing it.
func emit(r record, status Status, now time.Time) (record, bool, string, error) {
	r.Status = status
	data, err := json.Marshal(r.Shipment)
	if err != nil {
		return record{}, false, "", err
	}
	r.Outbox = append(r.Outbox, outEvent{Kind: status, Time: now, Data: data})
	return r, true, "", nil
}
