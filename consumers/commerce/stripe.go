package commerce

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// stripeDelivery is one Stripe Event as the mappings read it.
type stripeDelivery struct {
	typ    string          // the event's type: payment_intent.succeeded
	source string          // hookbridge's source name
	at     time.Time       // the event's created: when Stripe recorded the change
	object json.RawMessage // data.object, the object as it was then
}

// stripeMapping maps one kind of Stripe event.
type stripeMapping func(stripeDelivery) ([]Canonical, error)

// mapStripe maps Stripe events. Stripe has no order object: a Checkout
// Session is what a customer buys through, so it is the order here (its id
// is the order id). A completed session is the order placed (order.created,
// and order.paid as well when it is already paid, so that "an order was
// paid" reads the same as on other platforms); its delayed payment's
// outcome arrives later as
// async_payment_succeeded (order.paid) or async_payment_failed
// (order.updated, status failed: the payment's own failure is the
// PaymentIntent's payment_intent.payment_failed, so it is not told twice).
// An expired session was never completed, so never an order: it is skipped,
// as are setup-mode sessions, which only save a payment method.
//
// Payments are PaymentIntents, and charges only where no PaymentIntent
// stands behind them (the legacy Charges API): a charge of a PaymentIntent
// is the same payment told again. A cancelled PaymentIntent is skipped: it
// is a payment that never happened, not one that failed.
//
// Refunds: every event that carries a Refund (refund.created, .updated,
// .failed, charge.refund.updated) is a refund.created with the refund's
// state at that event, for the model has no refund.updated; a consumer
// keeps the newest per subject (the refund id), by the event's time.
// charge.refunded carries its refunds only under API versions before
// 2022-11-15 (charge.refunds is no longer sent since); it is one
// refund.created per listed refund, and skipped without the list, as
// amount_refunded is a running total with no refund id to name.
//
// No Stripe payment or refund names a Checkout Session, so order_id is
// absent and order.refunded is never published. metadata.order_id is a
// merchant's convention, often naming an order of another system (shop
// plugins write their own order numbers there), not an order id of these
// events, so it is not read.
func mapStripe(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.stripe.")
	if !ok {
		return nil, nil
	}
	m := stripeMappingFor(typ)
	if m == nil {
		return nil, nil
	}
	d, err := readStripeDelivery(raw, typ)
	if err != nil {
		return nil, err
	}
	return m(d)
}

// stripeMappingFor is the mapping of a Stripe event type, or nil for a type
// that means no canonical event.
func stripeMappingFor(typ string) stripeMapping {
	switch typ {
	case "checkout.session.completed", "checkout.session.async_payment_succeeded",
		"checkout.session.async_payment_failed":
		return mapStripeSession
	case "payment_intent.succeeded", "payment_intent.payment_failed":
		return mapStripePaymentIntent
	case "charge.succeeded", "charge.failed":
		return mapStripeCharge
	case "charge.refunded":
		return mapStripeChargeRefunds
	case "refund.created", "refund.updated", "refund.failed", "charge.refund.updated":
		return mapStripeRefund
	}
	return nil
}

// readStripeDelivery reads the Event envelope around the object.
func readStripeDelivery(raw Raw, typ string) (stripeDelivery, error) {
	d := stripeDelivery{typ: typ, source: raw.Source}
	var ev struct {
		Created jsonNumber `json:"created"`
		Data    *struct {
			Object json.RawMessage `json:"object"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return d, d.unusable("not a Stripe event: %s", jsonError(err))
	}
	if ev.Data == nil || len(ev.Data.Object) == 0 || ev.Data.Object[0] != '{' {
		return d, d.unusable("data.object is not an object")
	}
	at, err := unixTime(ev.Created)
	if err != nil {
		return d, d.unusable("created: %v", err)
	}
	d.at, d.object = at, ev.Data.Object
	return d, nil
}

func (d stripeDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("stripe %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

// stripeObject is what every Stripe object has.
type stripeObject struct {
	ID      platformid.ID `json:"id"`
	Object  string        `json:"object"` // its kind: checkout.session, refund
	Created jsonNumber    `json:"created"`
}

// decode reads data.object into v, whose stripeObject is head, and checks
// that it is an object of the kind the event type promises, with an id.
func (d stripeDelivery) decode(v any, head *stripeObject, kind string) error {
	if err := json.Unmarshal(d.object, v); err != nil {
		return d.unusable("data.object: %s", jsonError(err))
	}
	return d.check(*head, kind)
}

func (d stripeDelivery) check(o stripeObject, kind string) error {
	if o.Object != "" && o.Object != kind {
		return d.unusable("%s is not a %s", o.ID, kind)
	}
	if o.ID == "" {
		return d.unusable("a %s without an id", kind)
	}
	return nil
}

// currencyAndCreated reads what every object with money has: its currency,
// upper-cased, and its created time, as RFC 3339.
func (o stripeObject) currencyAndCreated(currency string) (cur, created string, err error) {
	if cur, err = currencyCode(currency); err != nil {
		return "", "", fmt.Errorf("%s: %w", o.ID, err)
	}
	t, err := unixTime(o.Created)
	if err != nil {
		return "", "", fmt.Errorf("%s: created: %w", o.ID, err)
	}
	return cur, rfc3339(t), nil
}

func (d stripeDelivery) canonical(entity, action, subject string, data any) Canonical {
	return Canonical{Entity: entity, Action: action, Subject: subject, Time: d.at, Data: data}
}

// stripeAmounts converts the amounts of one currency, keeping the first
// error, so that an order's five amounts read as five lines.
type stripeAmounts struct {
	currency string // upper case
	err      error
}

func (a *stripeAmounts) read(n jsonNumber) Money {
	m, err := stripeMoney(n, a.currency)
	if a.err == nil {
		a.err = err
	}
	return m
}

// stripeSession is the part of a Checkout Session the mapping reads.
type stripeSession struct {
	stripeObject
	Mode           string     `json:"mode"`
	PaymentStatus  string     `json:"payment_status"`
	Currency       string     `json:"currency"`
	AmountTotal    jsonNumber `json:"amount_total"`
	AmountSubtotal jsonNumber `json:"amount_subtotal"`
	TotalDetails   *struct {
		AmountDiscount jsonNumber `json:"amount_discount"`
		AmountShipping jsonNumber `json:"amount_shipping"`
		AmountTax      jsonNumber `json:"amount_tax"`
	} `json:"total_details"`
	Customer        platformid.ID `json:"customer"`
	CustomerEmail   string        `json:"customer_email"`
	CustomerDetails *struct {
		Email string `json:"email"`
		Phone string `json:"phone"`
	} `json:"customer_details"`
	Metadata map[string]string `json:"metadata"`
	// Where the shipping address is: collected_information.shipping_details
	// since API version 2025-03-31, shipping_details before, and shipping
	// before 2022-08-01.
	Collected *struct {
		ShippingDetails *stripeShipping `json:"shipping_details"`
	} `json:"collected_information"`
	ShippingDetails *stripeShipping `json:"shipping_details"`
	Shipping        *stripeShipping `json:"shipping"`
}

type stripeShipping struct {
	Name    string `json:"name"`
	Address *struct {
		Line1      string `json:"line1"`
		Line2      string `json:"line2"`
		City       string `json:"city"`
		State      string `json:"state"`
		PostalCode string `json:"postal_code"`
		Country    string `json:"country"`
	} `json:"address"`
}

func mapStripeSession(d stripeDelivery) ([]Canonical, error) {
	var s stripeSession
	if err := d.decode(&s, &s.stripeObject, "checkout.session"); err != nil {
		return nil, err
	}
	if s.Mode == "setup" {
		return nil, nil
	}
	o, err := s.order(d)
	if err != nil {
		return nil, err
	}
	switch d.typ {
	case "checkout.session.completed":
		evs := []Canonical{d.canonical(EntityOrder, ActionCreated, o.ID, o)}
		if o.Status == OrderPaid {
			evs = append(evs, d.canonical(EntityOrder, ActionPaid, o.ID, o))
		}
		return evs, nil
	case "checkout.session.async_payment_succeeded":
		return []Canonical{d.canonical(EntityOrder, ActionPaid, o.ID, o)}, nil
	}
	return []Canonical{d.canonical(EntityOrder, ActionUpdated, o.ID, o)}, nil
}

func (s *stripeSession) order(d stripeDelivery) (*Order, error) {
	cur, created, err := s.currencyAndCreated(s.Currency)
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	o := &Order{
		ID: string(s.ID), Platform: "stripe", Source: d.source,
		Status: stripeOrderStatus(d.typ, s.PaymentStatus), PlatformStatus: s.PaymentStatus,
		Currency: cur, Customer: s.customer(), ShippingAddr: s.shippingAddress(),
		CreatedAt: created, UpdatedAt: rfc3339(d.at),
	}
	if len(s.Metadata) > 0 {
		o.Metadata = s.Metadata
	}
	a := stripeAmounts{currency: cur}
	o.Total, o.Subtotal = a.read(s.AmountTotal), a.read(s.AmountSubtotal)
	if t := s.TotalDetails; t != nil {
		o.Tax, o.Shipping, o.Discount = a.read(t.AmountTax), a.read(t.AmountShipping), a.read(t.AmountDiscount)
	}
	if a.err != nil {
		return nil, d.unusable("%s: %v", s.ID, a.err)
	}
	return o, nil
}

// stripeOrderStatus is where a session's order stands after an event.
// payment_status is paid, unpaid (a delayed payment method, such as a bank
// debit, not settled yet) or no_payment_required (nothing to pay, as with
// a full discount): Stripe documents it as what decides when to fulfil, and
// an order with nothing to pay is as ready to fulfil as a paid one.
func stripeOrderStatus(typ, paymentStatus string) string {
	switch {
	case typ == "checkout.session.async_payment_failed":
		return OrderFailed
	case typ == "checkout.session.async_payment_succeeded",
		paymentStatus == "paid", paymentStatus == "no_payment_required":
		return OrderPaid
	}
	return OrderPending
}

// customer is who the session says bought: the Customer object's id when
// there is one, and the email entered at checkout, else the one the session
// was created with.
func (s *stripeSession) customer() *Customer {
	c := Customer{ID: string(s.Customer), Email: s.CustomerEmail}
	if d := s.CustomerDetails; d != nil {
		c.Email = cmp.Or(d.Email, c.Email)
		c.Phone = d.Phone
	}
	if c == (Customer{}) {
		return nil
	}
	return &c
}

func (s *stripeSession) shippingAddress() *Address {
	sh := s.ShippingDetails
	if s.Collected != nil && s.Collected.ShippingDetails != nil {
		sh = s.Collected.ShippingDetails
	}
	if sh == nil {
		sh = s.Shipping
	}
	if sh == nil {
		return nil
	}
	a := Address{Name: sh.Name}
	if ad := sh.Address; ad != nil {
		a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country = ad.Line1, ad.Line2, ad.City, ad.State, ad.PostalCode, ad.Country
	}
	if a == (Address{}) {
		return nil
	}
	return &a
}
