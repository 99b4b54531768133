package commerce

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// mapPayPal maps PayPal's webhook events. Each carries the resource it
// concerns, as it was at the event, under "resource".
//
// Orders (Orders v2, resource a checkout order): CHECKOUT.ORDER.APPROVED
// is order.created (the buyer approved; nothing is captured yet, unless
// the order is already COMPLETED), CHECKOUT.ORDER.COMPLETED order.updated;
// either is order.paid as well once the order is COMPLETED and every one
// of its captures has completed (an order of intent AUTHORIZE completes
// when authorised: it is not paid by that). CHECKOUT.PAYMENT-APPROVAL
// .REVERSED, a payment that failed after the buyer approved it (the
// resource is only the order's id), is order.updated with status failed.
//
// Captures (Payments v2): PAYMENT.CAPTURE.COMPLETED is payment.succeeded,
// and, when the capture is the order's final one and names its order
// (supplementary_data.related_ids.order_id), order.paid: PayPal's guides
// tell a shop to fulfil on this event, and many never subscribe to
// CHECKOUT.ORDER.COMPLETED. The order.paid of a capture and of a
// completed order share their time, the capture's (its update_time),
// and so their id: one payment is one order.paid. PAYMENT.CAPTURE.DENIED
// and .DECLINED are payment.failed; PENDING is skipped (nothing collected
// yet). PAYMENT.CAPTURE.REFUNDED and .REVERSED (PayPal's reversal of a
// capture) carry a refund: refund.created, with the refund's status at
// that event; its capture is the refund's "up" link.
//
// Sales (Payments v1, which PayPal's subscriptions still send):
// PAYMENT.SALE.COMPLETED is payment.succeeded and PAYMENT.SALE.DENIED
// payment.failed; PAYMENT.SALE.REFUNDED and .REVERSED refund.created.
// A v1 payment (parent_payment, PAY-...) is the sale's order id.
//
// Every other type (authorizations, which collect nothing; disputes;
// subscriptions and plans; payouts; invoicing) is skipped.
//
// PayPal writes amounts as decimal strings ({"currency_code": "USD",
// "value": "24.00"}, v1: {"total": "24.00", "currency": "USD"}), kept as
// written; a v1 refund's total, which PayPal writes negative, is given
// as the positive amount given back.
func mapPayPal(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.paypal.")
	if !ok {
		return nil, nil
	}
	var m func(paypalDelivery, json.RawMessage) ([]Canonical, error)
	switch typ {
	case "CHECKOUT.ORDER.APPROVED", "CHECKOUT.ORDER.COMPLETED":
		m = mapPayPalOrder
	case "CHECKOUT.PAYMENT-APPROVAL.REVERSED":
		m = mapPayPalApprovalReversed
	case "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED", "PAYMENT.CAPTURE.DECLINED":
		m = mapPayPalCapture
	case "PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED":
		m = mapPayPalRefund
	case "PAYMENT.SALE.COMPLETED", "PAYMENT.SALE.DENIED":
		m = mapPayPalSale
	case "PAYMENT.SALE.REFUNDED", "PAYMENT.SALE.REVERSED":
		m = mapPayPalSaleRefund
	default:
		return nil, nil
	}
	d := paypalDelivery{typ: typ, source: raw.Source}
	var ev struct {
		CreateTime rfc3339Time     `json:"create_time"`
		Resource   json.RawMessage `json:"resource"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return nil, d.unusable("not a PayPal event: %s", jsonError(err))
	}
	if len(ev.Resource) == 0 || ev.Resource[0] != '{' {
		return nil, d.unusable("resource is not an object")
	}
	d.at = ev.CreateTime.Time
	return m(d, ev.Resource)
}

// paypalDelivery is what a mapping knows of the event around its resource.
type paypalDelivery struct {
	typ    string    // the event type: PAYMENT.CAPTURE.COMPLETED
	source string    // hookbridge's source name
	at     time.Time // the event's create_time
}

func (d paypalDelivery) unusable(format string, args ...any) error {
	return fmt.Errorf("paypal %s: %s: %w", d.typ, fmt.Sprintf(format, args...), ErrUnusable)
}

// decode reads the resource into v.
func (d paypalDelivery) decode(resource json.RawMessage, v any) error {
	if err := json.Unmarshal(resource, v); err != nil {
		return d.unusable("resource: %s", jsonError(err))
	}
	return nil
}

// paypalResource is a resource with an id and an amount: a capture, a
// refund, a sale.
type paypalResource interface {
	key() platformid.ID
	money() (decimal, string, error)
}

// read decodes the resource into r and reads its amount; a resource
// without an id is unusable.
func (d paypalDelivery) read(resource json.RawMessage, r paypalResource) (decimal, string, error) {
	if err := d.decode(resource, r); err != nil {
		return "", "", err
	}
	if r.key() == "" {
		return "", "", d.unusable("a resource without an id")
	}
	amount, cur, err := r.money()
	if err != nil {
		return "", "", d.unusable("%s: amount: %v", r.key(), err)
	}
	return amount, cur, nil
}

// paypalEntity is the id and amount of a Payments v2 resource.
type paypalEntity struct {
	ID     platformid.ID `json:"id"`
	Amount *paypalMoney  `json:"amount"`
}

func (e *paypalEntity) key() platformid.ID              { return e.ID }
func (e *paypalEntity) money() (decimal, string, error) { return e.Amount.read() }

// paypalMoney is PayPal's Money (v2).
type paypalMoney struct {
	CurrencyCode string  `json:"currency_code"`
	Value        decimal `json:"value"`
}

// read is m's amount and currency; a nil m is neither. An amount needs a
// currency.
func (m *paypalMoney) read() (decimal, string, error) {
	if m == nil {
		return "", "", nil
	}
	cur, err := currencyCode(m.CurrencyCode)
	if err != nil {
		return "", "", err
	}
	if cur == "" && m.Value != "" {
		return "", "", fmt.Errorf("amount %s has no currency", m.Value)
	}
	return m.Value, cur, nil
}

// paypalTimes writes a resource's create_time and update_time as the
// model does.
func paypalTimes(created, updated rfc3339Time) (string, string) {
	return rfc3339(created.Time), rfc3339(updated.Time)
}

// paypalOrder is the part of an Orders v2 order the mapping reads.
type paypalOrder struct {
	ID            platformid.ID `json:"id"`
	Status        string        `json:"status"`
	Intent        string        `json:"intent"`
	PurchaseUnits []paypalUnit  `json:"purchase_units"`
	Payer         *struct {
		PayerID      platformid.ID `json:"payer_id"`
		EmailAddress string        `json:"email_address"`
		Phone        *struct {
			PhoneNumber *struct {
				NationalNumber string `json:"national_number"`
			} `json:"phone_number"`
		} `json:"phone"`
	} `json:"payer"`
	CreateTime rfc3339Time `json:"create_time"`
	UpdateTime rfc3339Time `json:"update_time"`
}

// paypalUnit is one purchase unit of an order.
type paypalUnit struct {
	Amount    *paypalAmount `json:"amount"`
	InvoiceID string        `json:"invoice_id"`
	Items     []struct {
		Name       string       `json:"name"`
		SKU        string       `json:"sku"`
		Quantity   string       `json:"quantity"`
		UnitAmount *paypalMoney `json:"unit_amount"`
		Category   string       `json:"category"`
	} `json:"items"`
	Shipping *struct {
		Name *struct {
			FullName string `json:"full_name"`
		} `json:"name"`
		Address *struct {
			Line1       string `json:"address_line_1"`
			Line2       string `json:"address_line_2"`
			AdminArea2  string `json:"admin_area_2"`
			AdminArea1  string `json:"admin_area_1"`
			PostalCode  string `json:"postal_code"`
			CountryCode string `json:"country_code"`
		} `json:"address"`
	} `json:"shipping"`
	Payments *struct {
		Captures []paypalCapture `json:"captures"`
	} `json:"payments"`
}

// paypalAmount is a purchase unit's amount and what it is made of.
type paypalAmount struct {
	paypalMoney
	Breakdown *paypalBreakdown `json:"breakdown"`
}

type paypalBreakdown struct {
	ItemTotal        *paypalMoney `json:"item_total"`
	Shipping         *paypalMoney `json:"shipping"`
	TaxTotal         *paypalMoney `json:"tax_total"`
	Discount         *paypalMoney `json:"discount"`
	ShippingDiscount *paypalMoney `json:"shipping_discount"`
}

// paypalCapture is the part of a Payments v2 capture the mapping reads,
// in an order or as a capture event's resource.
type paypalCapture struct {
	paypalEntity
	Status            string `json:"status"`
	FinalCapture      bool   `json:"final_capture"`
	SupplementaryData *struct {
		RelatedIDs *struct {
			OrderID platformid.ID `json:"order_id"`
		} `json:"related_ids"`
	} `json:"supplementary_data"`
	CreateTime rfc3339Time `json:"create_time"`
	UpdateTime rfc3339Time `json:"update_time"`
}

// when is the capture's last change: its update_time, else its
// create_time.
func (c paypalCapture) when() time.Time { return c.UpdateTime.or(c.CreateTime.Time) }

// orderID is the order the capture names, or "".
func (c paypalCapture) orderID() string {
	if s := c.SupplementaryData; s != nil && s.RelatedIDs != nil {
		return string(s.RelatedIDs.OrderID)
	}
	return ""
}

// paypalCaptured are the capture statuses of money collected (a refund
// later changes COMPLETED to one of the others).
var paypalCaptured = map[string]bool{"COMPLETED": true, "PARTIALLY_REFUNDED": true, "REFUNDED": true}

func mapPayPalOrder(d paypalDelivery, resource json.RawMessage) ([]Canonical, error) {
	var o paypalOrder
	if err := d.decode(resource, &o); err != nil {
		return nil, err
	}
	if o.ID == "" {
		return nil, d.unusable("an order without an id")
	}
	out, err := o.order(d.source)
	if err != nil {
		return nil, d.unusable("%s: %v", o.ID, err)
	}
	action := ActionCreated
	if d.typ == "CHECKOUT.ORDER.COMPLETED" {
		action = ActionUpdated
	}
	evs := []Canonical{{Entity: EntityOrder, Action: action, Subject: out.ID, Time: o.UpdateTime.or(d.at), Data: out}}
	if paid, at := o.paid(); paid {
		out.Status = OrderPaid
		evs = append(evs, Canonical{Entity: EntityOrder, Action: ActionPaid, Subject: out.ID, Time: at, Data: out})
	}
	return evs, nil
}

// paid reports whether o is paid in full (COMPLETED, and every capture of
// it collected), and when: its newest capture's last change.
func (o paypalOrder) paid() (bool, time.Time) {
	if o.Status != "COMPLETED" {
		return false, time.Time{}
	}
	var at time.Time
	n := 0
	for _, u := range o.PurchaseUnits {
		if u.Payments == nil {
			continue
		}
		for _, c := range u.Payments.Captures {
			if !paypalCaptured[c.Status] {
				return false, time.Time{}
			}
			n++
			if t := c.when(); t.After(at) {
				at = t
			}
		}
	}
	return n > 0, at
}

// order is o in the model, pending until paid says otherwise.
func (o paypalOrder) order(source string) (*Order, error) {
	out := &Order{ID: string(o.ID), Platform: "paypal", Source: source, Status: OrderPending, PlatformStatus: o.Status}
	out.CreatedAt, out.UpdatedAt = paypalTimes(o.CreateTime, o.UpdateTime)
	if len(o.PurchaseUnits) == 1 {
		out.Number = o.PurchaseUnits[0].InvoiceID
	}
	var sums paypalSums
	for i, u := range o.PurchaseUnits {
		if err := sums.unit(u.Amount); err != nil {
			return nil, fmt.Errorf("purchase_units[%d].amount: %w", i, err)
		}
		for j, it := range u.Items {
			line, err := paypalLine(it.Name, it.SKU, it.Quantity, it.Category)
			if err != nil {
				return nil, fmt.Errorf("purchase_units[%d].items[%d]: %w", i, j, err)
			}
			price, err := sums.read(it.UnitAmount)
			if err != nil {
				return nil, fmt.Errorf("purchase_units[%d].items[%d].unit_amount: %w", i, j, err)
			}
			line.UnitPrice = Money(price)
			out.LineItems = append(out.LineItems, line)
		}
		if out.ShippingAddr == nil && u.Shipping != nil {
			out.ShippingAddr = paypalAddress(u)
		}
	}
	out.Currency = sums.currency
	out.Total, out.Subtotal, out.Tax = sumDecimals(sums.total), sumDecimals(sums.subtotal), sumDecimals(sums.tax)
	out.Shipping, out.Discount = sumDecimals(sums.shipping), sumDecimals(sums.discount)
	if p := o.Payer; p != nil {
		c := Customer{ID: string(p.PayerID), Email: p.EmailAddress}
		if p.Phone != nil && p.Phone.PhoneNumber != nil {
			c.Phone = p.Phone.PhoneNumber.NationalNumber
		}
		if c != (Customer{}) {
			out.Customer = &c
		}
	}
	return out, nil
}

// paypalSums adds up an order's purchase units: their amounts (the
// total), item totals (the subtotal), taxes, shipping and discounts
// (discount and shipping_discount), each summed over the units, and
// absent when one unit lacks it. An order has one currency, as PayPal
// requires: an amount in another is an error.
type paypalSums struct {
	currency                                 string
	total, subtotal, tax, shipping, discount []decimal
}

// read is m's amount, held to the order's currency.
func (s *paypalSums) read(m *paypalMoney) (decimal, error) {
	v, cur, err := m.read()
	if err != nil {
		return "", err
	}
	if cur != "" && s.currency != "" && cur != s.currency {
		return "", fmt.Errorf("amounts in %s and %s", s.currency, cur)
	}
	s.currency = cmp.Or(s.currency, cur)
	return v, nil
}

// unit adds one purchase unit's amount.
func (s *paypalSums) unit(a *paypalAmount) error {
	if a == nil {
		a = &paypalAmount{}
	}
	b := a.Breakdown
	if b == nil {
		b = &paypalBreakdown{}
	}
	var discounts []decimal
	for _, p := range []struct {
		to *[]decimal
		m  *paypalMoney
	}{{&s.total, &a.paypalMoney}, {&s.subtotal, b.ItemTotal}, {&s.tax, b.TaxTotal}, {&s.shipping, b.Shipping}} {
		v, err := s.read(p.m)
		if err != nil {
			return err
		}
		*p.to = append(*p.to, v)
	}
	for _, m := range []*paypalMoney{b.Discount, b.ShippingDiscount} {
		if m == nil {
			continue
		}
		v, err := s.read(m)
		if err != nil {
			return err
		}
		discounts = append(discounts, v)
	}
	s.discount = append(s.discount, decimal(sumDecimals(discounts)))
	return nil
}

// paypalLine is an item as a line: PayPal writes its quantity as a
// string of digits; PHYSICAL_GOODS are shipped, DIGITAL_GOODS and
// DONATION are not, and an item without a category does not say.
func paypalLine(name, sku, quantity, category string) (LineItem, error) {
	n, err := strconv.ParseInt(quantity, 10, 64)
	if err != nil || n < 0 || strings.Trim(quantity, "0123456789") != "" {
		return LineItem{}, fmt.Errorf("quantity %.24q is not a count", quantity)
	}
	line := LineItem{Name: name, SKU: sku, Quantity: n}
	switch category {
	case "PHYSICAL_GOODS":
		line.RequiresShipping = new(true)
	case "DIGITAL_GOODS", "DONATION":
		line.RequiresShipping = new(false)
	}
	return line, nil
}

// paypalAddress is a purchase unit's shipping address, nil when it has
// none.
func paypalAddress(u paypalUnit) *Address {
	var a Address
	if n := u.Shipping.Name; n != nil {
		a.Name = n.FullName
	}
	if s := u.Shipping.Address; s != nil {
		a.Line1, a.Line2, a.City, a.Region, a.PostalCode, a.Country = s.Line1, s.Line2, s.AdminArea2, s.AdminArea1, s.PostalCode, s.CountryCode
	}
	if a == (Address{}) {
		return nil
	}
	return &a
}

// mapPayPalApprovalReversed: the resource names the order (order_id)
// whose approved payment PayPal reversed before it was captured; the
// order failed.
func mapPayPalApprovalReversed(d paypalDelivery, resource json.RawMessage) ([]Canonical, error) {
	var r struct {
		OrderID platformid.ID `json:"order_id"`
	}
	if err := d.decode(resource, &r); err != nil {
		return nil, err
	}
	if r.OrderID == "" {
		return nil, d.unusable("no resource.order_id")
	}
	o := &Order{ID: string(r.OrderID), Platform: "paypal", Source: d.source, Status: OrderFailed, UpdatedAt: rfc3339(d.at)}
	return []Canonical{{Entity: EntityOrder, Action: ActionUpdated, Subject: o.ID, Time: d.at, Data: o}}, nil
}

func mapPayPalCapture(d paypalDelivery, resource json.RawMessage) ([]Canonical, error) {
	var c paypalCapture
	amount, cur, err := d.read(resource, &c)
	if err != nil {
		return nil, err
	}
	p := &Payment{
		ID: string(c.ID), OrderID: c.orderID(), Platform: "paypal", Source: d.source,
		Amount: Money(amount), Currency: cur, Status: PaymentFailed,
	}
	p.CreatedAt, p.UpdatedAt = paypalTimes(c.CreateTime, c.UpdateTime)
	if d.typ != "PAYMENT.CAPTURE.COMPLETED" {
		return []Canonical{{Entity: EntityPayment, Action: ActionFailed, Subject: p.ID, Time: d.at, Data: p}}, nil
	}
	p.Status = PaymentSucceeded
	evs := []Canonical{{Entity: EntityPayment, Action: ActionSucceeded, Subject: p.ID, Time: d.at, Data: p}}
	if p.OrderID != "" && c.FinalCapture {
		at := c.when()
		o := &Order{ID: p.OrderID, Platform: "paypal", Source: d.source, Status: OrderPaid, UpdatedAt: rfc3339(at)}
		evs = append(evs, Canonical{Entity: EntityOrder, Action: ActionPaid, Subject: o.ID, Time: at, Data: o})
	}
	return evs, nil
}

// paypalRefundStatus maps a refund's status (v2: COMPLETED, PENDING,
// FAILED, CANCELLED; v1: completed, pending, failed, cancelled); one this
// mapping does not know is not known to have given anything back.
func paypalRefundStatus(s string) string {
	switch strings.ToUpper(s) {
	case "COMPLETED":
		return RefundSucceeded
	case "FAILED", "CANCELLED":
		return RefundFailed
	}
	return RefundPending
}

func mapPayPalRefund(d paypalDelivery, resource json.RawMessage) ([]Canonical, error) {
	var r struct {
		paypalEntity
		Status      string      `json:"status"`
		NoteToPayer string      `json:"note_to_payer"`
		CreateTime  rfc3339Time `json:"create_time"`
		Links       []struct {
			Href string `json:"href"`
			Rel  string `json:"rel"`
		} `json:"links"`
	}
	amount, cur, err := d.read(resource, &r)
	if err != nil {
		return nil, err
	}
	ref := &Refund{
		ID: string(r.ID), Platform: "paypal", Source: d.source, Amount: Money(amount), Currency: cur,
		Status: paypalRefundStatus(r.Status), Reason: r.NoteToPayer, CreatedAt: rfc3339(r.CreateTime.Time),
	}
	// The capture refunded is the refund's "up" link (…/v2/payments/captures/<id>).
	for _, l := range r.Links {
		if u, err := url.Parse(l.Href); err == nil && l.Rel == "up" {
			if id, ok := strings.CutPrefix(u.Path, "/v2/payments/captures/"); ok && id != "" && !strings.Contains(id, "/") {
				ref.PaymentID = id
			}
		}
	}
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: ref.ID, Time: d.at, Data: ref}}, nil
}

// paypalAmountV1 is a Payments v1 amount.
type paypalAmountV1 struct {
	Total    decimal `json:"total"`
	Currency string  `json:"currency"`
}

// read is a's amount and currency, the amount without its sign (PayPal
// writes a v1 refund's negative); a nil a is neither.
func (a *paypalAmountV1) read() (decimal, string, error) {
	if a == nil {
		return "", "", nil
	}
	m := paypalMoney{CurrencyCode: a.Currency, Value: decimal(strings.TrimPrefix(string(a.Total), "-"))}
	return m.read()
}

// paypalSale is the part of a Payments v1 sale or refund the mappings read.
type paypalSale struct {
	ID            platformid.ID   `json:"id"`
	State         string          `json:"state"`
	Amount        *paypalAmountV1 `json:"amount"`
	ParentPayment platformid.ID   `json:"parent_payment"`
	SaleID        platformid.ID   `json:"sale_id"`
	CreateTime    rfc3339Time     `json:"create_time"`
	UpdateTime    rfc3339Time     `json:"update_time"`
}

func (s *paypalSale) key() platformid.ID              { return s.ID }
func (s *paypalSale) money() (decimal, string, error) { return s.Amount.read() }

func mapPayPalSale(d paypalDelivery, resource json.RawMessage) ([]Canonical, error) {
	var s paypalSale
	amount, cur, err := d.read(resource, &s)
	if err != nil {
		return nil, err
	}
	status, action := PaymentSucceeded, ActionSucceeded
	if d.typ == "PAYMENT.SALE.DENIED" {
		status, action = PaymentFailed, ActionFailed
	}
	p := &Payment{
		ID: string(s.ID), OrderID: string(s.ParentPayment), Platform: "paypal", Source: d.source,
		Amount: Money(amount), Currency: cur, Status: status,
	}
	p.CreatedAt, p.UpdatedAt = paypalTimes(s.CreateTime, s.UpdateTime)
	return []Canonical{{Entity: EntityPayment, Action: action, Subject: p.ID, Time: d.at, Data: p}}, nil
}

func mapPayPalSaleRefund(d paypalDelivery, resource json.RawMessage) ([]Canonical, error) {
	var s paypalSale
	amount, cur, err := d.read(resource, &s)
	if err != nil {
		return nil, err
	}
	ref := &Refund{
		ID: string(s.ID), PaymentID: string(s.SaleID), OrderID: string(s.ParentPayment), Platform: "paypal", Source: d.source,
		Amount: Money(amount), Currency: cur, Status: paypalRefundStatus(s.State), CreatedAt: rfc3339(s.CreateTime.Time),
	}
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: ref.ID, Time: d.at, Data: ref}}, nil
}
