package commerce

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// mapSquare maps Square's order, payment and refund events.
//
// Orders: Square's order.created and order.updated carry no order, only
// its summary (data.object.order_created or order_updated: the order's
// id, state, version, location and times), so an order event has its id,
// status and times and nothing else: no number, amounts, lines or
// customer, which only the Orders API gives. The state is the status:
// OPEN is no status (an open order may or may not be paid yet), COMPLETED
// is fulfilled (Square completes an order once it is paid in full and
// every fulfillment is done, so it is order.paid and order.fulfilled as
// well), CANCELED is cancelled (order.cancelled as well). A DRAFT order
// cannot be paid or fulfilled and is not placed yet: it is skipped.
//
// Payments: payment.created and payment.updated carry the whole Payment.
// COMPLETED (captured) is payment.succeeded, FAILED payment.failed; the
// others (APPROVED, an authorisation not captured yet, PENDING, CANCELED,
// which never moved money) are skipped. Square sends payment.updated again
// for later changes to a completed payment (a refund's refunded_money, a
// tip), each then one more payment.succeeded with the payment's state at
// that event: a consumer keeps the newest per subject (the payment id).
//
// Refunds: refund.created and refund.updated are each a refund.created
// with the refund's status at that event, as the model has no
// refund.updated; a consumer keeps the newest per subject (the refund id).
//
// Money is Square's Money, an integer count of the currency's minor unit
// (ISO 4217's, see squareDecimals) read as a decimal in major units.
func mapSquare(raw Raw) ([]Canonical, error) {
	m := squareMappingFor(raw.Type)
	if m == nil {
		return nil, nil
	}
	d := squareDelivery{typ: strings.TrimPrefix(raw.Type, "com.square."), source: raw.Source}
	var ev squareEvent
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return nil, d.unusable("not a Square event: %s", jsonError(err))
	}
	if ev.Data == nil || ev.Data.Object == nil {
		return nil, d.unusable("data.object is not an object")
	}
	at, err := squareTime(ev.CreatedAt)
	if err != nil {
		return nil, d.unusable("created_at: %v", err)
	}
	d.at, d.id = at, string(ev.Data.ID)
	return m(d, ev.Data.Object)
}

// squareMapping maps one kind of Square event, given its data.object.
type squareMapping func(squareDelivery, *squareObject) ([]Canonical, error)

// squareMappingFor is the mapping of a raw event's CloudEvent type, or nil
// for a type that means no canonical event.
func squareMappingFor(ceType string) squareMapping {
	switch ceType {
	case "com.square.order.created", "com.square.order.updated":
		return mapSquareOrder
	case "com.square.payment.created", "com.square.payment.updated":
		return mapSquarePayment
	case "com.square.refund.created", "com.square.refund.updated":
		return mapSquareRefund
	}
	return nil
}

// squareDelivery is what a mapping knows of the event around the object.
type squareDelivery struct {
	typ    string    // the event's type: payment.updated
	source string    // hookbridge's source name
	at     time.Time // the event's created_at
	id     string    // data.id, the object's id
}

func (d squareDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("square %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

// squareEvent is the part of a Square event the mappings read.
type squareEvent struct {
	CreatedAt string `json:"created_at"`
	Data      *struct {
		ID     platformid.ID `json:"id"`
		Object *squareObject `json:"object"`
	} `json:"data"`
}

// squareObject is data.object: one of these, by the event's type.
type squareObject struct {
	OrderCreated *squareOrder   `json:"order_created"`
	OrderUpdated *squareOrder   `json:"order_updated"`
	Payment      *squarePayment `json:"payment"`
	Refund       *squareRefund  `json:"refund"`
}

// squareMoney is Square's Money.
type squareMoney struct {
	Amount   jsonNumber `json:"amount"`
	Currency string     `json:"currency"`
}

// read is m as a decimal in major units and its currency; a nil m is no
// amount.
func (m *squareMoney) read() (Money, string, error) {
	if m == nil {
		return "", "", nil
	}
	cur, err := currencyCode(m.Currency)
	if err != nil {
		return "", "", err
	}
	// Square's amount is "in the smallest denomination of the currency":
	// ISO 4217's minor unit.
	amount, err := minorUnits(string(m.Amount), cur, iso4217Decimals(cur))
	return amount, cur, err
}

// squareTime reads a Square timestamp (RFC 3339); "" is the zero time.
func squareTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	// A year past 9999 in UTC ("9999-12-31T23:00:00-05:00") cannot be
	// written back as RFC 3339.
	if y := t.UTC().Year(); err != nil || y < 0 || y > 9999 {
		return time.Time{}, fmt.Errorf("%.40q is not an RFC 3339 time", s)
	}
	return t, nil
}

// squareTimes reads an object's created_at and updated_at as the model
// writes them.
func squareTimes(created, updated string) (string, string, error) {
	c, err := squareTime(created)
	if err != nil {
		return "", "", fmt.Errorf("created_at: %w", err)
	}
	u, err := squareTime(updated)
	if err != nil {
		return "", "", fmt.Errorf("updated_at: %w", err)
	}
	return rfc3339(c), rfc3339(u), nil
}

// squareOrder is the order summary of an order event.
type squareOrder struct {
	OrderID   platformid.ID `json:"order_id"`
	State     string        `json:"state"`
	CreatedAt string        `json:"created_at"`
	UpdatedAt string        `json:"updated_at"`
}

func mapSquareOrder(d squareDelivery, obj *squareObject) ([]Canonical, error) {
	s, key, action := obj.OrderCreated, "order_created", ActionCreated
	if d.typ == "order.updated" {
		s, key, action = obj.OrderUpdated, "order_updated", ActionUpdated
	}
	if s == nil {
		return nil, d.unusable("data.object.%s is not an object", key)
	}
	status, milestones, placed := squareOrderStatus(s.State)
	if !placed {
		return nil, nil
	}
	o := &Order{
		ID: cmp.Or(string(s.OrderID), d.id), Platform: "square", Source: d.source,
		Status: status, PlatformStatus: s.State,
	}
	if o.ID == "" {
		return nil, d.unusable("an order without an id")
	}
	var err error
	if o.CreatedAt, o.UpdatedAt, err = squareTimes(s.CreatedAt, s.UpdatedAt); err != nil {
		return nil, d.unusable("%s: %v", o.ID, err)
	}
	// The time of the change: the order's own, which a redelivery or a
	// second event of the same version repeats, so that a milestone is
	// published once.
	at := d.at
	if t, _ := squareTime(cmp.Or(s.UpdatedAt, s.CreatedAt)); !t.IsZero() {
		at = t
	}
	evs := make([]Canonical, 0, 1+len(milestones))
	for _, a := range append([]string{action}, milestones...) {
		evs = append(evs, Canonical{Entity: EntityOrder, Action: a, Subject: o.ID, Time: at, Data: o})
	}
	return evs, nil
}

// squareOrderStatus is the canonical status of a Square order state and
// the milestones it implies (see mapSquare); placed is false for a draft.
func squareOrderStatus(state string) (status string, milestones []string, placed bool) {
	switch state {
	case "DRAFT":
		return "", nil, false
	case "COMPLETED":
		return OrderFulfilled, []string{ActionPaid, ActionFulfilled}, true
	case "CANCELED":
		return OrderCancelled, []string{ActionCancelled}, true
	}
	return "", nil, true
}
