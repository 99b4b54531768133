package commerce

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// adobeCommercePrefix starts the CloudEvent type of every Adobe Commerce
// event delivered through Adobe I/O Events.
const adobeCommercePrefix = "com.adobe.commerce."

// mapAdobe maps Adobe Commerce's sales events as Adobe I/O Events delivers
// them: a CloudEvent whose data.value is the saved entity, with the fields
// the event's subscription selected (all of them with "*"). By event
// (after com.adobe.commerce.observer.):
//
//	sales_order_save_after,            order.created when the order is new
//	sales_order_save_commit_after      (_isNew; without it, created_at equal
//	                                   to updated_at, as Adobe's integration
//	                                   starter kit tells a new order), else
//	                                   order.updated; then the milestones the
//	                                   save entered: order.paid (total_paid
//	                                   reached grand_total), order.fulfilled
//	                                   (state complete), order.cancelled
//	                                   (canceled), order.refunded (closed)
//	sales_order_invoice_save_after,    payment.succeeded when the invoice
//	sales_order_invoice_save_commit_after  entered state 2 (paid): an invoice
//	                                   is Commerce's record of a captured
//	                                   payment
//	sales_order_creditmemo_save_after, refund.created when the credit memo is
//	sales_order_creditmemo_save_commit_after  first saved in state 1 (open:
//	                                   pending) or 2 (refunded: succeeded)
//	any other                          none
//
// An app installed with App Management names its events
// com.adobe.commerce.<app id>.observer.<event>: mapped alike.
// sales_order_place_after, sales_order_invoice_pay and
// sales_order_creditmemo_refund are not mapped: Commerce dispatches them
// before it saves the entity, which then has no entity_id yet to name it
// by.
//
// "Entered" reads the entity's _origData, its values before the save, when
// the payload has it: a save that leaves the state as it was (Commerce
// saves an invoice again to record that its email went out) gives no
// second milestone, payment or refund. Without _origData every save in a
// state gives its event again (a milestone keyed by the save's
// updated_at): subscribe with all fields, or with _origData among them.
// Subscribing to both the save_after and the save_commit_after event of an
// entity tells each save twice (the milestones once).
//
// Amounts are decimals as Commerce writes them, numbers or strings
// ("200.0000"), in the order's currency (order_currency_code; the base_*
// amounts are the store's base currency). discount_amount, which Commerce
// writes negative, is the canonical positive discount. Times are Commerce's
// database times ("2023-04-06 18:36:18", UTC).
func mapAdobe(raw Raw) ([]Canonical, error) {
	name := adobeCommerceEvent(raw.Type)
	var kind string
	switch name {
	case "sales_order_save_after", "sales_order_save_commit_after":
		kind = EntityOrder
	case "sales_order_invoice_save_after", "sales_order_invoice_save_commit_after":
		kind = EntityPayment
	case "sales_order_creditmemo_save_after", "sales_order_creditmemo_save_commit_after":
		kind = EntityRefund
	default:
		return nil, nil
	}
	var env struct {
		Data struct {
			Value json.RawMessage `json:"value"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw.Data, &env); err != nil {
		return nil, adobeUnusable(name, "not an I/O Events CloudEvent: %s", jsonError(err))
	}
	value := bytes.TrimSpace(env.Data.Value)
	if len(value) == 0 || value[0] != '{' {
		return nil, adobeUnusable(name, "no data.value object")
	}
	var e adobeEntity
	if err := json.Unmarshal(value, &e); err != nil {
		return nil, adobeUnusable(name, "data.value: %s", jsonError(err))
	}
	id := string(cmp.Or(e.EntityID, e.ID))
	if id == "" {
		return nil, adobeUnusable(name, "data.value has no entity_id")
	}
	orig, err := e.orig()
	if err != nil {
		return nil, adobeUnusable(name, "%v", err)
	}
	d := adobeDelivery{raw: raw, name: name, id: id, e: &e, orig: orig}
	switch kind {
	case EntityOrder:
		return d.order()
	case EntityPayment:
		return d.payment()
	}
	return d.refund()
}

// adobeCommerceEvent is the Commerce observer event a raw event type names
// ("sales_order_save_after"), or "".
func adobeCommerceEvent(typ string) string {
	rest, ok := strings.CutPrefix(typ, adobeCommercePrefix)
	if !ok {
		return ""
	}
	if name, ok := strings.CutPrefix(rest, "observer."); ok {
		return name
	}
	if app, name, ok := strings.Cut(rest, ".observer."); ok && app != "" && !strings.Contains(app, ".") {
		return name
	}
	return ""
}

func adobeUnusable(name, format string, args ...any) error {
	return fmt.Errorf("adobe %s: %s: %w", name, fmt.Sprintf(format, args...), ErrUnusable)
}

// adobeEntity is the part of an order, invoice or credit memo (data.value)
// that is mapped; each reads the fields it has.
type adobeEntity struct {
	EntityID    platformid.ID `json:"entity_id"`
	ID          platformid.ID `json:"id"`
	IncrementID platformid.ID `json:"increment_id"`
	OrderID     platformid.ID `json:"order_id"`
	InvoiceID   platformid.ID `json:"invoice_id"`
	// State is an order's word ("processing") or an invoice's or credit
	// memo's number (2), read alike.
	State  platformid.ID `json:"state"`
	Status string        `json:"status"`

	Currency      string  `json:"order_currency_code"`
	GrandTotal    decimal `json:"grand_total"`
	Subtotal      decimal `json:"subtotal"`
	Tax           decimal `json:"tax_amount"`
	Shipping      decimal `json:"shipping_amount"`
	Discount      decimal `json:"discount_amount"`
	TotalPaid     decimal `json:"total_paid"`
	TotalRefunded decimal `json:"total_refunded"`

	CustomerID    platformid.ID   `json:"customer_id"`
	CustomerEmail string          `json:"customer_email"`
	Items         []adobeItem     `json:"items"`
	Addresses     []adobeAddress  `json:"addresses"`
	Extension     json.RawMessage `json:"extension_attributes"` // an object, or [] when empty (PHP)

	CreatedAt adobeTime       `json:"created_at"`
	UpdatedAt adobeTime       `json:"updated_at"`
	IsNew     *bool           `json:"_isNew"`
	OrigData  json.RawMessage `json:"_origData"`
}

// adobeItem is an order item. A child of a configurable or bundle product
// (parent_item_id set) repeats what its parent line bought and is left out.
type adobeItem struct {
	ItemID   platformid.ID `json:"item_id"`
	Parent   platformid.ID `json:"parent_item_id"`
	SKU      string        `json:"sku"`
	Name     string        `json:"name"`
	Quantity decimal       `json:"qty_ordered"`
	Price    decimal       `json:"price"`
}

type adobeAddress struct {
	Type      string          `json:"address_type"`
	FirstName string          `json:"firstname"`
	LastName  string          `json:"lastname"`
	Company   string          `json:"company"`
	Street    json.RawMessage `json:"street"` // an array of lines, or one string
	City      string          `json:"city"`
	Region    string          `json:"region"`
	RegionID  string          `json:"region_code"`
	Postcode  string          `json:"postcode"`
	Country   string          `json:"country_id"`
	Telephone string          `json:"telephone"`
}

// adobeExtension is where the REST API's order puts the shipping address
// (an event's order has it in addresses).
type adobeExtension struct {
	ShippingAssignments []struct {
		Shipping struct {
			Address *adobeAddress `json:"address"`
		} `json:"shipping"`
	} `json:"shipping_assignments"`
}

// adobeOrig is the entity's values before the save, as their JSON text;
// nil when the payload has no _origData object (a new entity's is []).
type adobeOrig map[string]json.RawMessage

func (e *adobeEntity) orig() (adobeOrig, error) {
	v := bytes.TrimSpace(e.OrigData)
	if len(v) == 0 || v[0] != '{' {
		return nil, nil
	}
	var o adobeOrig
	if err := json.Unmarshal(v, &o); err != nil {
		return nil, fmt.Errorf("_origData: %s", jsonError(err))
	}
	return o, nil
}

// text is the original value of field as the current one reads (a
// string's text, a number as written, "" for null), and whether the
// payload says what it was.
func (o adobeOrig) text(field string) (string, bool) {
	v, ok := o[field]
	if !ok {
		return "", false
	}
	var s string
	switch v = bytes.TrimSpace(v); {
	case len(v) > 0 && v[0] == '"':
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
	case string(v) != "null":
		s = string(v)
	}
	return strings.TrimSpace(s), true
}

// adobeDelivery is one event being mapped.
type adobeDelivery struct {
	raw  Raw
	name string
	id   string // the entity's entity_id
	e    *adobeEntity
	orig adobeOrig
}

// entered reports whether the save put field at now: its original value
// differed, or is not known.
func (d adobeDelivery) entered(field, now string) bool {
	before, known := d.orig.text(field)
	return !known || before != now
}

// at is the time of the save: updated_at, else created_at, else the
// event's.
func (d adobeDelivery) at() time.Time {
	return cmp.Or(d.e.UpdatedAt.Time, d.e.CreatedAt.Time, d.raw.Time).UTC()
}

// adobeOrderStates are an order's states, what each means, and the
// milestone entering it is.
var adobeOrderStates = map[string]struct{ status, milestone string }{
	"new":             {OrderPending, ""},
	"pending_payment": {OrderPending, ""},
	"payment_review":  {OrderPending, ""},
	"holded":          {OrderPending, ""},
	"processing":      {"", ""}, // invoiced or shipped: paid when total_paid says so
	"complete":        {OrderFulfilled, ActionFulfilled},
	"closed":          {OrderRefunded, ActionRefunded},
	"canceled":        {OrderCancelled, ActionCancelled},
}

func (d adobeDelivery) order() ([]Canonical, error) {
	e := d.e
	o := &Order{
		ID: d.id, Number: string(e.IncrementID), Platform: "adobe", Source: d.raw.Source,
		PlatformStatus: e.Status, Total: Money(e.GrandTotal), Subtotal: Money(e.Subtotal),
		Tax: Money(e.Tax), Shipping: Money(e.Shipping), Discount: Money(adobeAbs(e.Discount)),
		CreatedAt: rfc3339(e.CreatedAt.Time), UpdatedAt: rfc3339(e.UpdatedAt.Time),
	}
	var err error
	if o.Currency, err = currencyCode(e.Currency); err != nil {
		return nil, adobeUnusable(d.name, "order %s: %v", d.id, err)
	}
	if e.CustomerID != "" || e.CustomerEmail != "" {
		o.Customer = &Customer{ID: string(e.CustomerID), Email: e.CustomerEmail}
	}
	for _, it := range e.Items {
		if it.Parent != "" {
			continue
		}
		q, ok := adobeQuantity(it.Quantity)
		if !ok {
			return nil, adobeUnusable(d.name, "order %s: qty_ordered %q is not a whole quantity", d.id, it.Quantity)
		}
		o.LineItems = append(o.LineItems, LineItem{ID: string(it.ItemID), SKU: it.SKU, Name: it.Name, Quantity: q, UnitPrice: Money(it.Price)})
	}
	o.ShippingAddr = e.shippingAddress()

	state := string(e.State)
	paid := adobePaid(e.TotalPaid, e.GrandTotal)
	info := adobeOrderStates[state]
	o.Status = info.status
	switch {
	case state == "processing" && paid:
		o.Status = OrderPaid
	case state == "processing" && e.TotalPaid != "":
		o.Status = OrderPending
	}
	if adobeCmp(e.TotalRefunded, "0") > 0 && (o.Status == OrderPaid || o.Status == OrderFulfilled) {
		o.Status = OrderPartiallyRefunded
	}

	event := func(action string, t time.Time) Canonical {
		return Canonical{Entity: EntityOrder, Action: action, Subject: o.ID, Time: t.UTC(), Data: o}
	}
	created := e.IsNew != nil && *e.IsNew ||
		e.IsNew == nil && !e.CreatedAt.IsZero() && e.CreatedAt.Equal(e.UpdatedAt.Time)
	evs := []Canonical{event(ActionUpdated, d.at())}
	if created {
		evs[0] = event(ActionCreated, cmp.Or(e.CreatedAt.Time, d.raw.Time))
	}
	if paid && d.paidEntered() {
		evs = append(evs, event(ActionPaid, d.at()))
	}
	if info.milestone != "" && d.entered("state", state) {
		evs = append(evs, event(info.milestone, d.at()))
	}
	return evs, nil
}

// paidEntered reports whether the save made the order paid: before it,
// total_paid fell short of the grand total, or is not known.
func (d adobeDelivery) paidEntered() bool {
	before, known := d.orig.text("total_paid")
	if !known {
		return true
	}
	total := d.e.GrandTotal
	if t, ok := d.orig.text("grand_total"); ok && isDecimal(t) {
		total = decimal(t)
	}
	return !isDecimal(before) || !adobePaid(decimal(before), total)
}

// adobePaid reports whether paid covers a positive total.
func adobePaid(paid, total decimal) bool {
	return paid != "" && total != "" && adobeCmp(total, "0") > 0 && adobeCmp(paid, total) >= 0
}

// adobeCmp compares two decimals exactly (-1, 0, +1); "" is zero.
func adobeCmp(a, b decimal) int {
	x, xs := parseDecimal(cmp.Or(a, "0"))
	y, ys := parseDecimal(cmp.Or(b, "0"))
	switch {
	case xs < ys:
		x.Mul(x, pow10(ys-xs))
	case ys < xs:
		y.Mul(y, pow10(xs-ys))
	}
	return x.Cmp(y)
}

// adobeAbs is d without its sign: Commerce writes discounts negative.
func adobeAbs(d decimal) decimal {
	return decimal(strings.TrimPrefix(string(d), "-"))
}

// adobeQuantity is a quantity Commerce writes as a decimal ("3.000000",
// or 1) as a whole number; false for a fraction or a negative one. No
// quantity is 0.
func adobeQuantity(q decimal) (int64, bool) {
	if q == "" {
		return 0, true
	}
	v, scale := parseDecimal(q)
	whole, rest := new(big.Int).QuoRem(v, pow10(scale), new(big.Int))
	if rest.Sign() != 0 || whole.Sign() < 0 || !whole.IsInt64() {
		return 0, false
	}
	return whole.Int64(), true
}

// shippingAddress is the order's shipping address: the one of addresses
// typed shipping, as an event carries it, else the REST API's shipping
// assignment.
func (e *adobeEntity) shippingAddress() *Address {
	for i := range e.Addresses {
		if e.Addresses[i].Type == "shipping" {
			return e.Addresses[i].canonical()
		}
	}
	var x adobeExtension
	if v := bytes.TrimSpace(e.Extension); len(v) > 0 && v[0] == '{' && json.Unmarshal(v, &x) == nil {
		for _, a := range x.ShippingAssignments {
			if a.Shipping.Address != nil {
				return a.Shipping.Address.canonical()
			}
		}
	}
	return nil
}

func (a *adobeAddress) canonical() *Address {
	var lines []string
	if json.Unmarshal(a.Street, &lines) != nil {
		var one string
		if json.Unmarshal(a.Street, &one) == nil && one != "" {
			lines = []string{one}
		}
	}
	addr := Address{
		Name:       strings.TrimSpace(strings.TrimSpace(a.FirstName) + " " + strings.TrimSpace(a.LastName)),
		Company:    a.Company,
		City:       a.City,
		Region:     cmp.Or(a.RegionID, a.Region),
		PostalCode: a.Postcode,
		Country:    a.Country,
		Phone:      a.Telephone,
	}
	if len(lines) > 0 {
		addr.Line1 = lines[0]
		addr.Line2 = strings.Join(lines[1:], ", ")
	}
	if addr == (Address{}) {
		return nil
	}
	return &addr
}

// adobePaidInvoice is an invoice's state once its amount is captured
// (Magento\Sales\Model\Order\Invoice::STATE_PAID).
const adobePaidInvoice = "2"

func (d adobeDelivery) payment() ([]Canonical, error) {
	e := d.e
	state := string(e.State)
	if state != adobePaidInvoice || !d.entered("state", state) {
		return nil, nil
	}
	cur, err := currencyCode(e.Currency)
	if err != nil {
		return nil, adobeUnusable(d.name, "invoice %s: %v", d.id, err)
	}
	p := &Payment{
		ID: d.id, OrderID: string(e.OrderID), Platform: "adobe", Source: d.raw.Source,
		Amount: Money(e.GrandTotal), Currency: cur, Status: PaymentSucceeded,
		CreatedAt: rfc3339(e.CreatedAt.Time), UpdatedAt: rfc3339(e.UpdatedAt.Time),
	}
	return []Canonical{{Entity: EntityPayment, Action: ActionSucceeded, Subject: p.ID, Time: d.at(), Data: p}}, nil
}

// adobeRefundStates are a credit memo's states that mean a refund
// (Magento\Sales\Model\Order\Creditmemo: 1 open, 2 refunded; 3 is
// canceled).
var adobeRefundStates = map[string]string{"1": RefundPending, "2": RefundSucceeded}

func (d adobeDelivery) refund() ([]Canonical, error) {
	e := d.e
	status, ok := adobeRefundStates[string(e.State)]
	if !ok {
		return nil, nil
	}
	if before, known := d.orig.text("state"); known && adobeRefundStates[before] != "" {
		return nil, nil // saved again: the refund was told when it was first saved
	}
	cur, err := currencyCode(e.Currency)
	if err != nil {
		return nil, adobeUnusable(d.name, "credit memo %s: %v", d.id, err)
	}
	r := &Refund{
		ID: d.id, OrderID: string(e.OrderID), PaymentID: string(e.InvoiceID), Platform: "adobe", Source: d.raw.Source,
		Amount: Money(e.GrandTotal), Currency: cur, Status: status, CreatedAt: rfc3339(e.CreatedAt.Time),
	}
	at := cmp.Or(e.CreatedAt.Time, d.raw.Time).UTC()
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: r.ID, Time: at, Data: r}}, nil
}

// adobeTimeLayout is how Commerce writes a time: its database's, in UTC.
const adobeTimeLayout = "2006-01-02 15:04:05"

// adobeTime is a Commerce time; RFC 3339 is read too. null or "" is the
// zero time.
type adobeTime struct{ time.Time }

func (t *adobeTime) UnmarshalJSON(b []byte) (err error) {
	t.Time, err = jsonTime(b, "YYYY-MM-DD hh:mm:ss", func(s string) (time.Time, error) {
		if v, err := time.ParseInLocation(adobeTimeLayout, s, time.UTC); err == nil {
			return v, nil
		}
		return time.Parse(time.RFC3339Nano, s)
	})
	return err
}
