package commerce

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// lsDelivery is one Lemon Squeezy event as the mappings read it: a JSON:API
// resource (an order, a subscription invoice) under "data", its event name
// in meta.event_name.
type lsDelivery struct {
	typ    string // the event: order_created
	source string // hookbridge's source name
	id     platformid.ID
	attrs  lsAttributes
	cur    string // attrs.Currency as ISO 4217 writes it
}

// mapLemonSqueezy maps Lemon Squeezy events.
//
// order_created is an order.created, and an order.paid as well when the
// order is paid (status paid; a pending or failed order is told only as
// created). order_refunded is sent on every refund of an order: when the
// whole order is refunded (status refunded) it is an order.refunded, and
// when part of it is (status partial_refund) an order.updated, its status
// partially_refunded. subscription_payment_success and
// subscription_payment_recovered (a failed renewal paid later) are a
// payment.succeeded and subscription_payment_failed a payment.failed, the
// payment being the subscription invoice. Every other event (subscription
// and license key changes) is skipped.
//
// Lemon Squeezy writes every amount as an integer in the currency's
// smallest unit (cents), with ISO 4217's decimals.
func mapLemonSqueezy(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.lemonsqueezy.")
	if !ok {
		return nil, nil
	}
	var m func(lsDelivery) ([]Canonical, error)
	switch typ {
	case "order_created", "order_refunded":
		m = mapLemonSqueezyOrder
	case "subscription_payment_success", "subscription_payment_recovered", "subscription_payment_failed":
		m = mapLemonSqueezyPayment
	default:
		return nil, nil
	}
	d, err := readLemonSqueezy(raw, typ)
	if err != nil {
		return nil, err
	}
	return m(d)
}

// lsAttributes is the part of an order's or an invoice's attributes the
// mappings read.
type lsAttributes struct {
	Identifier    string        `json:"identifier"`
	OrderNumber   platformid.ID `json:"order_number"`
	CustomerID    platformid.ID `json:"customer_id"`
	UserEmail     string        `json:"user_email"`
	Currency      string        `json:"currency"`
	Subtotal      jsonNumber    `json:"subtotal"`
	DiscountTotal jsonNumber    `json:"discount_total"`
	Tax           jsonNumber    `json:"tax"`
	Total         jsonNumber    `json:"total"`
	Status        string        `json:"status"`
	FirstItem     *lsOrderItem  `json:"first_order_item"`
	CreatedAt     rfc3339Time   `json:"created_at"`
	UpdatedAt     rfc3339Time   `json:"updated_at"`
}

// lsOrderItem is an order's first item, the only one an order event
// carries.
type lsOrderItem struct {
	ID          platformid.ID `json:"id"`
	ProductName string        `json:"product_name"`
	VariantName string        `json:"variant_name"`
	Price       jsonNumber    `json:"price"`
	Quantity    jsonNumber    `json:"quantity"`
}

// readLemonSqueezy reads the event's resource.
func readLemonSqueezy(raw Raw, typ string) (lsDelivery, error) {
	d := lsDelivery{typ: typ, source: raw.Source}
	var ev struct {
		Data *struct {
			ID         platformid.ID `json:"id"`
			Attributes *lsAttributes `json:"attributes"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return d, d.unusable("not a Lemon Squeezy event: %s", jsonError(err))
	}
	if ev.Data == nil || ev.Data.ID == "" || ev.Data.Attributes == nil {
		return d, d.unusable("no data.id or data.attributes")
	}
	d.id, d.attrs = ev.Data.ID, *ev.Data.Attributes
	cur, err := currencyCode(d.attrs.Currency)
	if err != nil {
		return d, d.unusable("currency: %v", err)
	}
	d.cur = cur
	return d, nil
}

func (d lsDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("lemonsqueezy %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

// at is the time of the change: the resource's updated_at, else its
// created_at.
func (d lsDelivery) at() time.Time {
	return d.attrs.UpdatedAt.or(d.attrs.CreatedAt.Time)
}

func (d lsDelivery) canonical(entity, action string, data any) Canonical {
	return Canonical{Entity: entity, Action: action, Subject: string(d.id), Time: d.at(), Data: data}
}

// lsMoney reads amounts of one currency, stopping at the first that
// cannot be read.
type lsMoney struct {
	cur string
	err error
}

func (m *lsMoney) read(n jsonNumber, what string) Money {
	if m.err != nil {
		return ""
	}
	v, err := minorUnits(string(n), m.cur, iso4217Decimals(m.cur))
	if err != nil {
		m.err = fmt.Errorf("%s: %w", what, err)
	}
	return v
}

func mapLemonSqueezyOrder(d lsDelivery) ([]Canonical, error) {
	a, m, cur := d.attrs, lsMoney{cur: d.cur}, d.cur
	o := &Order{
		ID: string(d.id), Number: string(a.OrderNumber), Platform: "lemonsqueezy", Source: d.source,
		Status: lsOrderStatus(a.Status), PlatformStatus: a.Status, Currency: cur,
		Total: m.read(a.Total, "total"), Subtotal: m.read(a.Subtotal, "subtotal"),
		Tax: m.read(a.Tax, "tax"), Discount: m.read(a.DiscountTotal, "discount_total"),
		Customer:  lsCustomer(a),
		CreatedAt: rfc3339(a.CreatedAt.Time), UpdatedAt: rfc3339(a.UpdatedAt.Time),
	}
	var err error
	if o.LineItems, err = a.FirstItem.lineItems(&m); err != nil || m.err != nil {
		return nil, d.unusable("%v", errors.Join(err, m.err))
	}
	return d.orderEvents(o), nil
}

// orderEvents is what the order's event means: see mapLemonSqueezy.
func (d lsDelivery) orderEvents(o *Order) []Canonical {
	if d.typ == "order_refunded" {
		switch o.Status {
		case OrderRefunded:
			return []Canonical{d.canonical(EntityOrder, ActionRefunded, o)}
		case OrderPartiallyRefunded:
			return []Canonical{d.canonical(EntityOrder, ActionUpdated, o)}
		}
		return nil // a refund that has not changed the order's status
	}
	evs := []Canonical{d.canonical(EntityOrder, ActionCreated, o)}
	if o.Status == OrderPaid {
		evs = append(evs, d.canonical(EntityOrder, ActionPaid, o))
	}
	return evs
}

// lsOrderStatus maps an order's status (Lemon Squeezy's order object:
// pending, failed, paid, refunded, partial_refund, fraudulent). A
// fraudulent order is one Lemon Squeezy blocked: its payment failed.
func lsOrderStatus(s string) string {
	switch s {
	case "paid":
		return OrderPaid
	case "refunded":
		return OrderRefunded
	case "partial_refund":
		return OrderPartiallyRefunded
	case "failed", "fraudulent":
		return OrderFailed
	}
	return OrderPending
}

// lsCustomer is the order's customer, nil when it names nobody.
func lsCustomer(a lsAttributes) *Customer {
	c := Customer{ID: string(a.CustomerID), Email: a.UserEmail}
	if c == (Customer{}) {
		return nil
	}
	return &c
}

// lineItems is the order's first item as its one line, when the event
// says how many were bought (first_order_item.quantity; older payloads
// lack it, and the line is then absent rather than a guessed quantity).
// Lemon Squeezy does not say whether price is per unit or for the line,
// so it is the unit price only of a line of one.
func (it *lsOrderItem) lineItems(m *lsMoney) ([]LineItem, error) {
	if it == nil || it.Quantity == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(string(it.Quantity), 10, 64)
	if err != nil || n < 0 {
		return nil, fmt.Errorf("first_order_item.quantity %.24q is not a count", string(it.Quantity))
	}
	line := LineItem{ID: string(it.ID), Name: it.ProductName, Quantity: n}
	if it.VariantName != "" && it.VariantName != "Default" {
		line.Name += " - " + it.VariantName
	}
	if line.Quantity == 1 {
		line.UnitPrice = m.read(it.Price, "first_order_item.price")
	}
	return []LineItem{line}, nil
}

// mapLemonSqueezyPayment maps a subscription invoice's payment: the
// invoice is the payment (its id, total and currency); Lemon Squeezy names
// no order for it.
func mapLemonSqueezyPayment(d lsDelivery) ([]Canonical, error) {
	a, m, cur := d.attrs, lsMoney{cur: d.cur}, d.cur
	status, action := PaymentSucceeded, ActionSucceeded
	if d.typ == "subscription_payment_failed" {
		status, action = PaymentFailed, ActionFailed
	}
	p := &Payment{
		ID: string(d.id), Platform: "lemonsqueezy", Source: d.source,
		Amount: m.read(a.Total, "total"), Currency: cur, Status: status,
		CreatedAt: rfc3339(a.CreatedAt.Time), UpdatedAt: rfc3339(a.UpdatedAt.Time),
	}
	if m.err != nil {
		return nil, d.unusable("%v", m.err)
	}
	return []Canonical{d.canonical(EntityPayment, action, p)}, nil
}
