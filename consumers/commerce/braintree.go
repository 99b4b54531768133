package commerce

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// btDelivery is one Braintree notification as the mappings read it.
type btDelivery struct {
	kind    string    // the notification's kind: transaction_settled
	source  string    // hookbridge's source name
	at      time.Time // <timestamp>: when Braintree triggered the notification
	subject btSubject
}

// mapBraintree maps Braintree's webhook notifications. The raw event's data
// is the notification XML as the bridge decoded it from bt_payload:
// <notification> with <kind>, <timestamp> and <subject>, the subject
// holding the object the kind concerns, as it was then.
//
// Transactions: transaction_settled and transaction_settlement_declined
// (sent for ACH and SEPA Direct Debit sales and refunds; a settlement can
// be declined after it was told as settled) are the transaction's
// outcome: a sale (<type>sale</type>) is a payment.succeeded or
// payment.failed, a refund (<type>credit</type>) a refund.created that
// succeeded or failed; any other type is unusable, as a refund must not be
// told as a payment. refund_failed is a refund.created, failed, of the
// refund transaction it carries.
//
// Subscriptions: subscription_charged_successfully and
// subscription_charged_unsuccessfully are a payment.succeeded and a
// payment.failed of the charge, the subscription's latest transaction,
// which Braintree lists first. A subscription without a transaction is
// unusable: there is no charge to tell.
//
// Local payments (iDEAL, BLIK, ...): local_payment_completed (an instant
// payment the customer approved and paid) and local_payment_funded (a
// non-instant one the customer completed) are a payment.succeeded;
// local_payment_reversed (the money given back because the shop made no
// transaction of it in time) is a refund.created that succeeded, naming
// the reversed payment and carrying no amount, as the notification has
// none. Every local payment notification names its payment by
// <payment-id>, and only some carry a transaction, so the payment-id is
// the payment's id (and the reversal's, a payment being reversed once);
// the transaction, when there is one, gives the amount and the order.
// local_payment_expired is skipped: a payment that never happened has not
// failed.
//
// Every other kind is skipped: disputes (the model has no dispute or
// chargeback), transaction_disbursed (money paid out to the merchant),
// transaction_retried and transaction_reviewed (no outcome yet),
// subscription lifecycle and billing_skipped, payment methods, merchants.
//
// Braintree writes amounts as decimal strings in major units ("49.99"),
// kept as written, and the currency of a transaction in
// <currency-iso-code>; an amount whose transaction names no currency keeps
// its amount and has no currency. Every element the mapping reads must
// occur at most once where it reads it: XML readers differ on which of two
// they keep, so one sent twice makes the notification unusable.
func mapBraintree(raw Raw) ([]Canonical, error) {
	kind, ok := strings.CutPrefix(raw.Type, "com.braintree.")
	if !ok {
		return nil, nil
	}
	var m func(btDelivery) ([]Canonical, error)
	switch kind {
	case "transaction_settled", "transaction_settlement_declined":
		m = mapBraintreeTransaction
	case "refund_failed":
		m = mapBraintreeRefundFailed
	case "subscription_charged_successfully", "subscription_charged_unsuccessfully":
		m = mapBraintreeSubscription
	case "local_payment_completed", "local_payment_funded", "local_payment_reversed":
		m = mapBraintreeLocalPayment
	default:
		return nil, nil
	}
	d, err := readBraintree(raw, kind)
	if err != nil {
		return nil, err
	}
	return m(d)
}

// btNotification is the part of a notification the mappings read. Each
// element is a slice, so that one sent twice is seen (see btOne).
type btNotification struct {
	XMLName   xml.Name    `xml:"notification"`
	Timestamp []string    `xml:"timestamp"`
	Subject   []btSubject `xml:"subject"`
}

// btSubject is a notification's subject: the one object of its kind.
type btSubject struct {
	Transaction  []btTransaction  `xml:"transaction"`
	Subscription []btSubscription `xml:"subscription"`
	Completed    []btLocalPayment `xml:"local-payment"`
	Funded       []btLocalPayment `xml:"local-payment-funded"`
	Reversed     []btLocalPayment `xml:"local-payment-reversed"`
}

// btSubscription is the part of a subscription the mapping reads: its
// <transactions type="array">.
type btSubscription struct {
	Transactions []struct {
		Transaction []btTransaction `xml:"transaction"`
	} `xml:"transactions"`
}

// btLocalPayment is the part of a local payment notification's object the
// mapping reads.
type btLocalPayment struct {
	PaymentID   []string        `xml:"payment-id"`
	Transaction []btTransaction `xml:"transaction"`
}

// btTransaction is the part of a transaction the mappings read.
type btTransaction struct {
	ID         []string `xml:"id"`
	Type       []string `xml:"type"`
	Amount     []string `xml:"amount"`
	Currency   []string `xml:"currency-iso-code"`
	OrderID    []string `xml:"order-id"`
	Refunded   []string `xml:"refunded-transaction-id"`
	Instrument []string `xml:"payment-instrument-type"`
	CreatedAt  []string `xml:"created-at"`
	UpdatedAt  []string `xml:"updated-at"`
}

// readBraintree reads the notification: one <notification> root and
// nothing after it but white space, comments and processing instructions,
// its one <timestamp> (RFC 3339, or none) and its one <subject>.
func readBraintree(raw Raw, kind string) (btDelivery, error) {
	d := btDelivery{kind: kind, source: raw.Source}
	var n btNotification
	dec := xml.NewDecoder(bytes.NewReader(raw.Data))
	if err := dec.Decode(&n); err != nil {
		// encoding/xml's errors quote the payload's element names.
		return d, d.unusable("not a notification XML document")
	}
	if err := btRest(dec); err != nil {
		return d, d.unusable("%v", err)
	}
	ts, err := btOne("timestamp", n.Timestamp)
	if err == nil {
		d.at, err = btTime("timestamp", ts)
	}
	if err != nil {
		return d, d.unusable("%v", err)
	}
	subject, err := btOne("subject", n.Subject)
	if err != nil {
		return d, d.unusable("%v", err)
	}
	d.subject = subject
	return d, nil
}

// btRest reads what follows the root element: a second element, or text,
// would be a second notification (or part of one) that encoding/xml
// leaves unread.
func btRest(dec *xml.Decoder) error {
	for {
		tok, err := dec.Token()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return errors.New("not a notification XML document")
		}
		switch t := tok.(type) {
		case xml.StartElement:
			return errors.New("more than one root element")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text after the root element")
			}
		}
	}
}

func (d btDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("braintree %s: %s: %w", d.kind, fmt.Sprintf(format, args...), ErrUnusable)
}

func (d btDelivery) canonical(entity, action, subject string, data any) Canonical {
	return Canonical{Entity: entity, Action: action, Subject: subject, Time: d.at, Data: data}
}

// btOne is the one value of an element, or the zero value when it is
// absent. One sent twice is an error: which of the two a reader keeps
// differs between XML readers (Braintree's SDKs, encoding/xml), so keeping
// either would be a guess.
func btOne[T any](name string, vs []T) (T, error) {
	var zero T
	switch len(vs) {
	case 0:
		return zero, nil
	case 1:
		return vs[0], nil
	}
	return zero, fmt.Errorf("<%s> occurs %d times", name, len(vs))
}

// btTime reads a time as Braintree writes it (RFC 3339, in UTC); "" is no
// time. A time whose year RFC 3339 cannot write in UTC is an error.
func btTime(name, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if t = t.UTC(); err != nil || t.Year() < 0 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("<%s> is not an RFC 3339 time", name)
	}
	return t, nil
}

// btTxn is a transaction's values as the model writes them.
type btTxn struct {
	id, typ, orderID, refunded, method string
	amount                             Money
	currency                           string
	created, updated                   time.Time
}

// read reads the transaction at path (which errors name it by:
// "transaction"), or says why it cannot be read. An id is required by the callers that
// name the transaction by it, not here.
func (t *btTransaction) read(path string) (btTxn, error) {
	var err error
	text := func(name string, vs []string) string {
		v, e := btOne(path+">"+name, vs)
		err = cmp.Or(err, e)
		return strings.TrimSpace(v)
	}
	x := btTxn{
		id: text("id", t.ID), typ: text("type", t.Type), orderID: text("order-id", t.OrderID),
		refunded: text("refunded-transaction-id", t.Refunded), method: text("payment-instrument-type", t.Instrument),
	}
	amount, currency := text("amount", t.Amount), text("currency-iso-code", t.Currency)
	created, updated := text("created-at", t.CreatedAt), text("updated-at", t.UpdatedAt)
	if err != nil {
		return x, err
	}
	if amount != "" && !isDecimal(amount) {
		return x, fmt.Errorf("%s>amount: %w", path, errMoney)
	}
	x.amount = Money(amount)
	if x.currency, err = currencyCode(currency); err != nil {
		return x, fmt.Errorf("%s>currency-iso-code: %w", path, err)
	}
	if x.created, err = btTime(path+">created-at", created); err != nil {
		return x, err
	}
	if x.updated, err = btTime(path+">updated-at", updated); err != nil {
		return x, err
	}
	return x, nil
}

// transaction reads the subject's one transaction, which must have an id.
func (d btDelivery) transaction() (btTxn, error) {
	t, err := btOne("subject>transaction", d.subject.Transaction)
	if err != nil {
		return btTxn{}, d.unusable("%v", err)
	}
	x, err := t.read("transaction")
	if err != nil {
		return x, d.unusable("%v", err)
	}
	if x.id == "" {
		return x, d.unusable("no transaction id")
	}
	return x, nil
}

// payment is the payment named id, with what its transaction t says (the
// zero btTxn when the notification carries none).
func (d btDelivery) payment(id string, t btTxn, status string) *Payment {
	updated := t.updated
	if updated.IsZero() {
		updated = d.at
	}
	return &Payment{
		ID: id, OrderID: t.orderID, Platform: "braintree", Source: d.source,
		Amount: t.amount, Currency: t.currency, Status: status, Method: t.method,
		CreatedAt: rfc3339(t.created), UpdatedAt: rfc3339(updated),
	}
}

// refund is the refund transaction t.
func (d btDelivery) refund(t btTxn, status string) *Refund {
	return &Refund{
		ID: t.id, OrderID: t.orderID, PaymentID: t.refunded, Platform: "braintree", Source: d.source,
		Amount: t.amount, Currency: t.currency, Status: status, CreatedAt: rfc3339(t.created),
	}
}

func mapBraintreeTransaction(d btDelivery) ([]Canonical, error) {
	t, err := d.transaction()
	if err != nil {
		return nil, err
	}
	settled := d.kind == "transaction_settled"
	switch t.typ {
	case "sale":
		status, action := PaymentSucceeded, ActionSucceeded
		if !settled {
			status, action = PaymentFailed, ActionFailed
		}
		return []Canonical{d.canonical(EntityPayment, action, t.id, d.payment(t.id, t, status))}, nil
	case "credit":
		status := RefundSucceeded
		if !settled {
			status = RefundFailed
		}
		return []Canonical{d.canonical(EntityRefund, ActionCreated, t.id, d.refund(t, status))}, nil
	case "":
		return nil, d.unusable("transaction %.40q has no type", t.id)
	}
	return nil, d.unusable("transaction %.40q: type %.24q is neither sale nor credit", t.id, t.typ)
}

func mapBraintreeRefundFailed(d btDelivery) ([]Canonical, error) {
	t, err := d.transaction()
	if err != nil {
		return nil, err
	}
	return []Canonical{d.canonical(EntityRefund, ActionCreated, t.id, d.refund(t, RefundFailed))}, nil
}

func mapBraintreeSubscription(d btDelivery) ([]Canonical, error) {
	t, err := d.charge()
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	status, action := PaymentSucceeded, ActionSucceeded
	if d.kind == "subscription_charged_unsuccessfully" {
		status, action = PaymentFailed, ActionFailed
	}
	return []Canonical{d.canonical(EntityPayment, action, t.id, d.payment(t.id, t, status))}, nil
}

// charge reads the subscription's latest transaction, the first one
// listed: Braintree lists a subscription's transactions newest first.
func (d btDelivery) charge() (btTxn, error) {
	s, err := btOne("subject>subscription", d.subject.Subscription)
	if err != nil {
		return btTxn{}, err
	}
	txs, err := btOne("subscription>transactions", s.Transactions)
	if err != nil {
		return btTxn{}, err
	}
	if len(txs.Transaction) == 0 {
		return btTxn{}, errors.New("the subscription has no transaction")
	}
	t, err := txs.Transaction[0].read("transactions>transaction")
	if err == nil && t.id == "" {
		err = errors.New("no transaction id")
	}
	return t, err
}

func mapBraintreeLocalPayment(d btDelivery) ([]Canonical, error) {
	name, objs := "local-payment", d.subject.Completed
	switch d.kind {
	case "local_payment_funded":
		name, objs = "local-payment-funded", d.subject.Funded
	case "local_payment_reversed":
		name, objs = "local-payment-reversed", d.subject.Reversed
	}
	lp, err := btOne("subject>"+name, objs)
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	id, err := btOne(name+">payment-id", lp.PaymentID)
	if id = strings.TrimSpace(id); err == nil && id == "" {
		err = fmt.Errorf("no %s>payment-id", name)
	}
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	if d.kind == "local_payment_reversed" {
		r := &Refund{
			ID: id, PaymentID: id, Platform: "braintree", Source: d.source,
			Status: RefundSucceeded, CreatedAt: rfc3339(d.at),
		}
		return []Canonical{d.canonical(EntityRefund, ActionCreated, id, r)}, nil
	}
	var t btTxn
	tx, err := btOne(name+">transaction", lp.Transaction)
	if err == nil && len(lp.Transaction) == 1 {
		t, err = tx.read(name + ">transaction")
	}
	if err != nil {
		return nil, d.unusable("%v", err)
	}
	return []Canonical{d.canonical(EntityPayment, ActionSucceeded, id, d.payment(id, t, PaymentSucceeded))}, nil
}
