package commerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// razorpayDelivery is one Razorpay event as the mappings read it.
type razorpayDelivery struct {
	typ     string    // the event: payment.captured
	source  string    // hookbridge's source name
	at      time.Time // created_at: when Razorpay raised the event
	payment *razorpayPayment
	order   *razorpayOrder
	refund  *razorpayRefund
}

// mapRazorpay maps Razorpay events. Each carries snapshots of the entities
// it concerns under payload.<entity>.entity, as they were at the event.
//
// payment.captured is a payment that succeeded and payment.failed one that
// failed; payment.authorized is skipped, as an authorised payment has not
// collected anything yet (it is captured or refunded later). order.paid is
// Razorpay's own order paid in full; its payment is the one
// payment.captured tells, so it is not told again, but the customer the
// order's event names is the payer in its payment (email, contact). Refund
// events (refund.created, refund.processed when the money is back,
// refund.failed) are one refund.created each with the refund's state at
// that event, for the model has no refund.updated; refund.speed_changed
// changes how fast, not whether, so it is skipped.
//
// Razorpay writes every amount as an integer in the currency's smallest
// sub-unit (paise for INR), with ISO 4217's decimals (none for JPY, three
// for KWD, BHD, OMR).
func mapRazorpay(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.razorpay.")
	if !ok {
		return nil, nil
	}
	var m func(razorpayDelivery) ([]Canonical, error)
	switch typ {
	case "payment.captured", "payment.failed":
		m = mapRazorpayPayment
	case "order.paid":
		m = mapRazorpayOrder
	case "refund.created", "refund.processed", "refund.failed":
		m = mapRazorpayRefund
	default:
		return nil, nil
	}
	d, err := readRazorpayDelivery(raw, typ)
	if err != nil {
		return nil, err
	}
	return m(d)
}

// readRazorpayDelivery reads the event and the entities in its payload.
func readRazorpayDelivery(raw Raw, typ string) (razorpayDelivery, error) {
	d := razorpayDelivery{typ: typ, source: raw.Source}
	var ev struct {
		CreatedAt jsonNumber `json:"created_at"`
		Payload   *struct {
			Payment *struct {
				Entity *razorpayPayment `json:"entity"`
			} `json:"payment"`
			Order *struct {
				Entity *razorpayOrder `json:"entity"`
			} `json:"order"`
			Refund *struct {
				Entity *razorpayRefund `json:"entity"`
			} `json:"refund"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return d, d.unusable("not a Razorpay event: %s", jsonError(err))
	}
	at, err := unixTime(ev.CreatedAt)
	if err != nil {
		return d, d.unusable("created_at: %v", err)
	}
	d.at = at
	if p := ev.Payload; p != nil {
		if p.Payment != nil {
			d.payment = p.Payment.Entity
		}
		if p.Order != nil {
			d.order = p.Order.Entity
		}
		if p.Refund != nil {
			d.refund = p.Refund.Entity
		}
	}
	return d, nil
}

func (d razorpayDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("razorpay %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

func (d razorpayDelivery) canonical(entity, action, subject string, data any) Canonical {
	return Canonical{Entity: entity, Action: action, Subject: subject, Time: d.at, Data: data}
}

// razorpayEntity is what every entity with money has. Razorpay never
// quotes its numbers, as Stripe does not, so they are read as Stripe's.
type razorpayEntity struct {
	ID        platformid.ID `json:"id"`
	Amount    jsonNumber    `json:"amount"`
	Currency  string        `json:"currency"`
	Status    string        `json:"status"`
	CreatedAt jsonNumber    `json:"created_at"`
}

// money reads the entity's currency, amount and created time, or says
// why they cannot be read.
func (e razorpayEntity) money() (cur string, amount Money, created string, err error) {
	if e.ID == "" {
		return "", "", "", fmt.Errorf("an entity without an id")
	}
	if cur, err = currencyCode(e.Currency); err != nil {
		return "", "", "", fmt.Errorf("%s: %w", e.ID, err)
	}
	if amount, err = minorUnits(string(e.Amount), cur, iso4217Decimals(cur)); err != nil {
		return "", "", "", fmt.Errorf("%s: %w", e.ID, err)
	}
	t, err := unixTime(e.CreatedAt)
	if err != nil {
		return "", "", "", fmt.Errorf("%s: created_at: %w", e.ID, err)
	}
	return cur, amount, rfc3339(t), nil
}

// razorpayPayment is the part of a payment the mapping reads.
type razorpayPayment struct {
	razorpayEntity
	OrderID    platformid.ID `json:"order_id"`
	Method     string        `json:"method"`
	CustomerID platformid.ID `json:"customer_id"`
	Email      string        `json:"email"`
	Contact    string        `json:"contact"`
}

func mapRazorpayPayment(d razorpayDelivery) ([]Canonical, error) {
	p := d.payment
	if p == nil {
		return nil, d.unusable("no payload.payment.entity")
	}
	cur, amount, created, err := p.money()
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	status, action := PaymentSucceeded, ActionSucceeded
	if d.typ == "payment.failed" {
		status, action = PaymentFailed, ActionFailed
	}
	pay := &Payment{
		ID: string(p.ID), OrderID: string(p.OrderID), Platform: "razorpay", Source: d.source,
		Amount: amount, Currency: cur, Status: status, Method: p.Method,
		CreatedAt: created, UpdatedAt: rfc3339(d.at),
	}
	return []Canonical{d.canonical(EntityPayment, action, pay.ID, pay)}, nil
}

// razorpayOrder is the part of an order the mapping reads.
type razorpayOrder struct {
	razorpayEntity
	Receipt string `json:"receipt"`
}

func mapRazorpayOrder(d razorpayDelivery) ([]Canonical, error) {
	o := d.order
	if o == nil {
		return nil, d.unusable("no payload.order.entity")
	}
	cur, total, created, err := o.money()
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	order := &Order{
		ID: string(o.ID), Number: o.Receipt, Platform: "razorpay", Source: d.source,
		Status: razorpayOrderStatus(o.Status), PlatformStatus: o.Status, Currency: cur, Total: total,
		Customer: d.payment.customer(), CreatedAt: created, UpdatedAt: rfc3339(d.at),
	}
	return []Canonical{d.canonical(EntityOrder, ActionPaid, order.ID, order)}, nil
}

// customer is the payer of p, nil when p is absent or names nobody.
func (p *razorpayPayment) customer() *Customer {
	if p == nil {
		return nil
	}
	c := Customer{ID: string(p.CustomerID), Email: p.Email, Phone: p.Contact}
	if c == (Customer{}) {
		return nil
	}
	return &c
}

// razorpayOrderStatus maps an order's status: created (no payment tried
// yet) and attempted (tried, not paid) are pending; paid is paid.
func razorpayOrderStatus(s string) string {
	if s == "paid" {
		return OrderPaid
	}
	return OrderPending
}

// razorpayRefund is the part of a refund the mapping reads.
type razorpayRefund struct {
	razorpayEntity
	PaymentID platformid.ID `json:"payment_id"`
}

func mapRazorpayRefund(d razorpayDelivery) ([]Canonical, error) {
	r := d.refund
	if r == nil {
		return nil, d.unusable("no payload.refund.entity")
	}
	cur, amount, created, err := r.money()
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	ref := &Refund{
		ID: string(r.ID), PaymentID: string(r.PaymentID), Platform: "razorpay", Source: d.source,
		Amount: amount, Currency: cur, Status: razorpayRefundStatus(r.Status), CreatedAt: created,
	}
	// The refund's payment, carried beside it, names the order it paid.
	if p := d.payment; p != nil && p.ID == r.PaymentID {
		ref.OrderID = string(p.OrderID)
	}
	return []Canonical{d.canonical(EntityRefund, ActionCreated, ref.ID, ref)}, nil
}

// razorpayRefundStatus maps a refund's status: processed is the money
// back, failed is none given back, and pending (or a status this mapping
// does not know) is not known to have given anything back.
func razorpayRefundStatus(s string) string {
	switch s {
	case "processed":
		return RefundSucceeded
	case "failed":
		return RefundFailed
	}
	return RefundPending
}
