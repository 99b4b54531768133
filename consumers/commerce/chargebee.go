package commerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// chargebeeDelivery is one Chargebee event as the mapping reads it.
type chargebeeDelivery struct {
	typ     string    // the event type: payment_succeeded
	source  string    // hookbridge's source name
	at      time.Time // occurred_at: when the change happened
	txn     *chargebeeTransaction
	invoice platformid.ID // content.invoice.id, when the event carries one
}

// mapChargebee maps Chargebee events. Each is {id, occurred_at, event_type,
// content: {<resource>: {...}}}, the resources as they were at the event.
//
// payment_succeeded and payment_failed are one payment each, read from
// content.transaction (a transaction of type payment). payment_refunded
// (the refund is done) and refund_initiated (a refund sent to a gateway
// that settles later) are one refund.created each, read from the refund
// transaction, with its state at that event, as the model has no
// refund.updated. Chargebee has no orders: an invoice is what a customer
// is billed, so order_id is the invoice the event carries. Every other
// type (invoice_generated, payment_initiated, subscription_*, ...) is
// skipped: an invoice is a bill, not an order placed.
//
// Chargebee writes every amount as an integer in the currency's minor unit
// (cents), with ISO 4217's decimals.
func mapChargebee(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.chargebee.")
	if !ok {
		return nil, nil
	}
	var m func(chargebeeDelivery) ([]Canonical, error)
	switch typ {
	case "payment_succeeded", "payment_failed":
		m = mapChargebeePayment
	case "payment_refunded", "refund_initiated":
		m = mapChargebeeRefund
	default:
		return nil, nil
	}
	d, err := readChargebeeDelivery(raw, typ)
	if err != nil {
		return nil, err
	}
	return m(d)
}

// readChargebeeDelivery reads the event's time and the resources the
// mapping needs from its content.
func readChargebeeDelivery(raw Raw, typ string) (chargebeeDelivery, error) {
	d := chargebeeDelivery{typ: typ, source: raw.Source}
	var ev struct {
		OccurredAt jsonNumber `json:"occurred_at"`
		Content    *struct {
			Transaction *chargebeeTransaction `json:"transaction"`
			Invoice     *struct {
				ID platformid.ID `json:"id"`
			} `json:"invoice"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return d, d.unusable("not a Chargebee event: %s", jsonError(err))
	}
	at, err := unixTime(ev.OccurredAt)
	if err != nil {
		return d, d.unusable("occurred_at: %v", err)
	}
	d.at = at
	if c := ev.Content; c != nil {
		d.txn = c.Transaction
		if c.Invoice != nil {
			d.invoice = c.Invoice.ID
		}
	}
	if d.txn == nil {
		return d, d.unusable("no content.transaction")
	}
	return d, nil
}

func (d chargebeeDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("chargebee %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

func (d chargebeeDelivery) canonical(entity, action, subject string, data any) Canonical {
	return Canonical{Entity: entity, Action: action, Subject: subject, Time: d.at, Data: data}
}

// chargebeeTransaction is the part of a transaction the mapping reads.
// Chargebee never quotes its numbers, so they are read as Stripe's.
type chargebeeTransaction struct {
	ID          platformid.ID `json:"id"`
	Amount      jsonNumber    `json:"amount"`
	Currency    string        `json:"currency_code"`
	Status      string        `json:"status"` // in_progress, success, voided, failure, timeout, needs_attention
	Method      string        `json:"payment_method"`
	Date        jsonNumber    `json:"date"`
	RefundedTxn platformid.ID `json:"refunded_txn_id"`
}

// money reads the transaction's currency, amount and date, or says why
// they cannot be read.
func (t *chargebeeTransaction) money() (cur string, amount Money, date string, err error) {
	if t.ID == "" {
		return "", "", "", fmt.Errorf("a transaction without an id")
	}
	if cur, err = currencyCode(t.Currency); err != nil {
		return "", "", "", fmt.Errorf("%s: %w", t.ID, err)
	}
	if amount, err = minorUnits(string(t.Amount), cur, iso4217Decimals(cur)); err != nil {
		return "", "", "", fmt.Errorf("%s: %w", t.ID, err)
	}
	at, err := unixTime(t.Date)
	if err != nil {
		return "", "", "", fmt.Errorf("%s: date: %w", t.ID, err)
	}
	return cur, amount, rfc3339(at), nil
}

func mapChargebeePayment(d chargebeeDelivery) ([]Canonical, error) {
	t := d.txn
	cur, amount, date, err := t.money()
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	status, action := PaymentSucceeded, ActionSucceeded
	if d.typ == "payment_failed" {
		status, action = PaymentFailed, ActionFailed
	}
	pay := &Payment{
		ID: string(t.ID), OrderID: string(d.invoice), Platform: "chargebee", Source: d.source,
		Amount: amount, Currency: cur, Status: status, Method: t.Method,
		CreatedAt: date, UpdatedAt: rfc3339(d.at),
	}
	return []Canonical{d.canonical(EntityPayment, action, pay.ID, pay)}, nil
}

func mapChargebeeRefund(d chargebeeDelivery) ([]Canonical, error) {
	t := d.txn
	cur, amount, date, err := t.money()
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	ref := &Refund{
		ID: string(t.ID), OrderID: string(d.invoice), PaymentID: string(t.RefundedTxn),
		Platform: "chargebee", Source: d.source, Amount: amount, Currency: cur,
		Status: chargebeeRefundStatus(t.Status), CreatedAt: date,
	}
	return []Canonical{d.canonical(EntityRefund, ActionCreated, ref.ID, ref)}, nil
}

// chargebeeRefundStatus maps a refund transaction's status: success is the
// money back; failure, voided and timeout are none given back; in_progress
// and needs_attention (or a status this mapping does not know) are not
// known to have given anything back.
func chargebeeRefundStatus(s string) string {
	switch s {
	case "success":
		return RefundSucceeded
	case "failure", "voided", "timeout":
		return RefundFailed
	}
	return RefundPending
}
