package commerce

import (
	"cmp"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// paddleDelivery is one Paddle Billing notification as the mappings read it.
type paddleDelivery struct {
	typ    string          // the event's type: transaction.paid
	source string          // hookbridge's source name
	at     time.Time       // occurred_at: when the change happened
	data   json.RawMessage // the entity as it was then
}

// mapPaddle maps Paddle Billing notifications. Paddle has no order object:
// a transaction is what Paddle bills, one checkout or one renewal of a
// subscription with its items, totals, customer and payment attempts, so
// it is the order here (its id is the order id) and its number is the
// invoice number Paddle gives it once completed.
//
// transaction.paid is when Paddle captured the money: the order paid and
// the payment that paid it (payment.succeeded). transaction.completed
// follows once Paddle has processed the paid transaction (the invoice
// number, the subscription); it is an order.updated, as its payment and
// its being paid were told at transaction.paid. transaction.payment_failed
// is the newest attempt that failed (payment.failed); the transaction stays
// open for another attempt, so the order is not told to have failed.
//
// A payment is one attempt of transaction.payments, named by its
// payment_attempt_id; its order is the transaction. Refunds are
// adjustments whose action is refund (adjustment.created when asked for,
// adjustment.updated when Paddle approves or rejects it), one refund.created
// each with the state at that event, for the model has no refund.updated.
// Credits and chargebacks are adjustments too but not refunds, so skipped.
// An adjustment names its transaction, not the payment attempt, so a
// refund's payment_id is absent.
func mapPaddle(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.paddle.")
	if !ok {
		return nil, nil
	}
	var m func(paddleDelivery) ([]Canonical, error)
	switch typ {
	case "transaction.paid", "transaction.completed", "transaction.payment_failed":
		m = mapPaddleTransaction
	case "adjustment.created", "adjustment.updated":
		m = mapPaddleAdjustment
	default:
		return nil, nil
	}
	d, err := readPaddleDelivery(raw, typ)
	if err != nil {
		return nil, err
	}
	return m(d)
}

// readPaddleDelivery reads the notification's envelope around its data.
func readPaddleDelivery(raw Raw, typ string) (paddleDelivery, error) {
	d := paddleDelivery{typ: typ, source: raw.Source}
	var ev struct {
		OccurredAt string          `json:"occurred_at"`
		Data       json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return d, d.unusable("not a Paddle notification: %s", jsonError(err))
	}
	if len(ev.Data) == 0 || ev.Data[0] != '{' {
		return d, d.unusable("data is not an object")
	}
	at, err := paddleTime(ev.OccurredAt)
	if err != nil {
		return d, d.unusable("occurred_at: %v", err)
	}
	d.at, d.data = at, ev.Data
	return d, nil
}

func (d paddleDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("paddle %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

func (d paddleDelivery) canonical(entity, action, subject string, data any) Canonical {
	return Canonical{Entity: entity, Action: action, Subject: subject, Time: d.at, Data: data}
}

// decode reads data into v and checks that the entity has an id.
func (d paddleDelivery) decode(v any, id *platformid.ID) error {
	if err := json.Unmarshal(d.data, v); err != nil {
		return d.unusable("data: %s", jsonError(err))
	}
	if *id == "" {
		return d.unusable("an entity without an id")
	}
	return nil
}

// paddleTime reads a Paddle timestamp (RFC 3339, UTC). Absent, null and
// Paddle's zero time (0001-01-01T00:00:00Z, an adjustment never updated)
// are the zero time.
func paddleTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%.40q is not an RFC 3339 time", s)
	}
	return t.UTC(), nil
}

// paddleAmounts converts amounts of one currency, which Paddle writes as
// strings of an integer in the currency's lowest denomination ("1000" is
// 10.00 USD, "100" is 100 JPY), keeping the first error.
type paddleAmounts struct {
	currency string // upper case
	err      error
}

func (a *paddleAmounts) read(s string) Money {
	m, err := minorUnits(s, a.currency, iso4217Decimals(a.currency))
	if a.err == nil {
		a.err = err
	}
	return m
}

// paddleTimes reads RFC 3339 times, keeping the first error.
type paddleTimes struct{ err error }

func (p *paddleTimes) read(s string) string {
	t, err := paddleTime(s)
	if p.err == nil {
		p.err = err
	}
	return rfc3339(t)
}

// paddleTransaction is the part of a transaction the mapping reads.
type paddleTransaction struct {
	ID            platformid.ID `json:"id"`
	Status        string        `json:"status"`
	CurrencyCode  string        `json:"currency_code"`
	CustomerID    platformid.ID `json:"customer_id"`
	InvoiceNumber string        `json:"invoice_number"`
	CreatedAt     string        `json:"created_at"`
	UpdatedAt     string        `json:"updated_at"`
	Details       *struct {
		Totals *struct {
			Subtotal   string `json:"subtotal"`
			Discount   string `json:"discount"`
			Tax        string `json:"tax"`
			Total      string `json:"total"`
			GrandTotal string `json:"grand_total"`
		} `json:"totals"`
		LineItems []struct {
			ID       platformid.ID `json:"id"`
			Quantity int64         `json:"quantity"`
			Product  *struct {
				Name string `json:"name"`
			} `json:"product"`
			UnitTotals *struct {
				Subtotal string `json:"subtotal"`
			} `json:"unit_totals"`
		} `json:"line_items"`
	} `json:"details"`
	Payments []paddlePayment `json:"payments"`
}

// paddlePayment is one payment attempt of a transaction.
type paddlePayment struct {
	AttemptID     platformid.ID `json:"payment_attempt_id"`
	Amount        string        `json:"amount"`
	Status        string        `json:"status"`
	CreatedAt     string        `json:"created_at"`
	CapturedAt    string        `json:"captured_at"`
	MethodDetails *struct {
		Type string `json:"type"`
	} `json:"method_details"`
}

func mapPaddleTransaction(d paddleDelivery) ([]Canonical, error) {
	var tx paddleTransaction
	if err := d.decode(&tx, &tx.ID); err != nil {
		return nil, err
	}
	cur, err := currencyCode(tx.CurrencyCode)
	if err != nil {
		return nil, d.unusable("%s: %v", tx.ID, err)
	}
	switch d.typ {
	case "transaction.payment_failed":
		return d.payments(tx, cur, PaymentFailed)
	case "transaction.completed":
		o, err := d.order(tx, cur)
		if err != nil {
			return nil, err
		}
		return []Canonical{d.canonical(EntityOrder, ActionUpdated, o.ID, o)}, nil
	}
	o, err := d.order(tx, cur)
	if err != nil {
		return nil, err
	}
	pay, err := d.payments(tx, cur, PaymentSucceeded)
	if err != nil {
		return nil, err
	}
	return append([]Canonical{d.canonical(EntityOrder, ActionPaid, o.ID, o)}, pay...), nil
}

func (d paddleDelivery) order(tx paddleTransaction, cur string) (*Order, error) {
	var ts paddleTimes
	o := &Order{
		ID: string(tx.ID), Number: tx.InvoiceNumber, Platform: "paddle", Source: d.source,
		Status: paddleOrderStatus(tx.Status), PlatformStatus: tx.Status, Currency: cur,
		CreatedAt: ts.read(tx.CreatedAt), UpdatedAt: ts.read(tx.UpdatedAt),
	}
	if tx.CustomerID != "" {
		o.Customer = &Customer{ID: string(tx.CustomerID)}
	}
	a := paddleAmounts{currency: cur}
	if tx.Details != nil {
		if t := tx.Details.Totals; t != nil {
			// grand_total is what the customer pays: total less the credit
			// applied from their balance.
			o.Total = a.read(cmp.Or(t.GrandTotal, t.Total))
			o.Subtotal, o.Tax, o.Discount = a.read(t.Subtotal), a.read(t.Tax), a.read(t.Discount)
		}
		for _, li := range tx.Details.LineItems {
			item := LineItem{ID: string(li.ID), Quantity: li.Quantity}
			if li.Product != nil {
				item.Name = li.Product.Name
			}
			if li.UnitTotals != nil {
				item.UnitPrice = a.read(li.UnitTotals.Subtotal)
			}
			o.LineItems = append(o.LineItems, item)
		}
	}
	if a.err != nil {
		return nil, d.unusable("%s: %v", tx.ID, a.err)
	}
	if ts.err != nil {
		return nil, d.unusable("%s: %v", tx.ID, ts.err)
	}
	return o, nil
}

// paddleOrderStatus is where a transaction's order stands. paid and
// completed are paid; billed (an invoice issued, awaiting payment), ready,
// draft and past_due are not paid yet; canceled is cancelled.
func paddleOrderStatus(s string) string {
	switch s {
	case "paid", "completed":
		return OrderPaid
	case "canceled":
		return OrderCancelled
	}
	return OrderPending
}

// payments is the transaction's newest attempt with the outcome status
// (Paddle lists attempts newest first): a captured one for a paid
// transaction, a failed one for a failure. None is no event: a transaction
// with nothing to pay is paid without an attempt.
func (d paddleDelivery) payments(tx paddleTransaction, cur, status string) ([]Canonical, error) {
	for _, p := range tx.Payments {
		if paddlePaymentStatus(p.Status) != status {
			continue
		}
		if p.AttemptID == "" {
			return nil, d.unusable("%s: a payment attempt without an id", tx.ID)
		}
		c, err := d.payment(tx, p, cur, status)
		if err != nil {
			return nil, err
		}
		return []Canonical{c}, nil
	}
	return nil, nil
}

func (d paddleDelivery) payment(tx paddleTransaction, p paddlePayment, cur, status string) (Canonical, error) {
	var ts paddleTimes
	pay := &Payment{
		ID: string(p.AttemptID), OrderID: string(tx.ID), Platform: "paddle", Source: d.source,
		Currency: cur, Status: status, CreatedAt: ts.read(p.CreatedAt), UpdatedAt: rfc3339(d.at),
	}
	if p.MethodDetails != nil {
		pay.Method = p.MethodDetails.Type
	}
	a := paddleAmounts{currency: cur}
	pay.Amount = a.read(p.Amount)
	if a.err != nil || ts.err != nil {
		return Canonical{}, d.unusable("%s: payment %s: %v", tx.ID, p.AttemptID, cmp.Or(a.err, ts.err))
	}
	action := ActionSucceeded
	if status == PaymentFailed {
		action = ActionFailed
	}
	return d.canonical(EntityPayment, action, pay.ID, pay), nil
}

// paddlePaymentStatus is the model's status of a payment attempt: captured
// succeeded; error (declined), canceled and dropped failed; the others
// (authorized, action_required, created, ...) are not over.
func paddlePaymentStatus(s string) string {
	switch s {
	case "captured":
		return PaymentSucceeded
	case "error", "canceled", "dropped":
		return PaymentFailed
	}
	return PaymentPending
}

// paddleAdjustment is the part of an adjustment the mapping reads.
type paddleAdjustment struct {
	ID            platformid.ID `json:"id"`
	Action        string        `json:"action"`
	Status        string        `json:"status"`
	Reason        string        `json:"reason"`
	CurrencyCode  string        `json:"currency_code"`
	TransactionID platformid.ID `json:"transaction_id"`
	CreatedAt     string        `json:"created_at"`
	Totals        *struct {
		Total string `json:"total"`
	} `json:"totals"`
}

func mapPaddleAdjustment(d paddleDelivery) ([]Canonical, error) {
	var adj paddleAdjustment
	if err := d.decode(&adj, &adj.ID); err != nil {
		return nil, err
	}
	if adj.Action != "refund" {
		return nil, nil
	}
	cur, err := currencyCode(adj.CurrencyCode)
	if err != nil {
		return nil, d.unusable("%s: %v", adj.ID, err)
	}
	var ts paddleTimes
	r := &Refund{
		ID: string(adj.ID), OrderID: string(adj.TransactionID), Platform: "paddle", Source: d.source,
		Currency: cur, Status: paddleRefundStatus(adj.Status), Reason: adj.Reason,
		CreatedAt: ts.read(adj.CreatedAt),
	}
	a := paddleAmounts{currency: cur}
	if adj.Totals != nil {
		r.Amount = a.read(adj.Totals.Total)
	}
	if err := cmp.Or(a.err, ts.err); err != nil {
		return nil, d.unusable("%s: %v", adj.ID, err)
	}
	return []Canonical{d.canonical(EntityRefund, ActionCreated, r.ID, r)}, nil
}

// paddleRefundStatus maps an adjustment's status: approved is the refund
// made, pending_approval waits on Paddle's review, rejected gave nothing
// back, and reversed took it back again. A status this mapping does not
// know is not known to have given anything back, so it is pending.
func paddleRefundStatus(s string) string {
	switch s {
	case "approved":
		return RefundSucceeded
	case "rejected", "reversed":
		return RefundFailed
	}
	return RefundPending
}
