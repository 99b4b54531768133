package commerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// wooTypePrefix starts the CloudEvent type of every WooCommerce delivery;
// the rest is its X-WC-Webhook-Topic.
const wooTypePrefix = "com.woocommerce."

// mapWooCommerce maps WooCommerce's order webhooks.
//
// A WooCommerce order webhook says which topic fired, never what changed:
// its body is the order as the REST API (v3) returns it when the queued
// delivery runs, which may be later than the change that queued it. So an
// order's lifecycle is read from the status the body shows, the same way
// for every delivery, and one raw event gives the event of its topic
// followed by the lifecycle events that status implies:
//
//	topic                          events (their time)
//	order.created                  order.created (date_created_gmt) + the status's events
//	order.updated, order.restored  order.updated + the status's events
//	order.deleted                  none (the body is {"id": N}; not a cancel)
//	product.*, customer.*,         none
//	coupon.*, action.*
//
//	status                  Order.Status  lifecycle events (their time)
//	pending, on-hold        pending       -
//	processing              paid (*)      order.paid (date_paid_gmt)
//	completed               fulfilled (*) order.paid (date_paid_gmt),
//	                                      order.fulfilled (date_completed_gmt)
//	cancelled               cancelled     order.cancelled
//	refunded                refunded      order.refunded
//	failed                  failed        -
//	checkout-draft, draft,  no event at all: a cart, not an order yet
//	auto-draft, new
//	any other (trash, a     absent        -
//	plugin's own status)
//
// (*) partially_refunded when the order's refunds list is not empty: a
// partial refund leaves WooCommerce's status as it was, a full one makes
// it refunded.
//
// processing and completed are WooCommerce's own paid statuses
// (wc_get_is_paid_statuses), so an order that skips processing, as a
// virtual one does, or whose processing delivery was built after it was
// completed, is still reported paid. The lifecycle events are therefore
// statements of state, repeated by every later delivery that shows the
// same status: a consumer that acts once per order keys on the action and
// the order id (Canonical.Subject), and a paid or fulfilled event carries
// the time of the payment or completion, the same in every repetition. A
// time the body lacks is the order's (date_modified_gmt, else
// date_created_gmt), as for the other events. WooCommerce has no payment
// or refund object of its own (the order's refunds carry no time and are
// repeated by every delivery), so it gives no payment.* or refund.* event.
func mapWooCommerce(raw Raw) ([]Canonical, error) {
	topic, ok := strings.CutPrefix(raw.Type, wooTypePrefix)
	if !ok {
		return nil, nil
	}
	var action string
	switch topic {
	case "order.created":
		action = ActionCreated
	case "order.updated", "order.restored":
		action = ActionUpdated
	default:
		return nil, nil
	}
	var o wooOrder
	if err := json.Unmarshal(raw.Data, &o); err != nil {
		return nil, fmt.Errorf("woocommerce %s: %w: %v", topic, ErrUnusable, err)
	}
	if o.ID == "" || o.ID == "0" {
		return nil, fmt.Errorf("woocommerce %s: %w: no order id", topic, ErrUnusable)
	}
	status, lifecycle, placed := wooStatus(o.Status, len(o.Refunds) > 0)
	if !placed {
		return nil, nil
	}
	order := o.canonical(raw.Source, status)
	var evs []Canonical
	for _, a := range append([]string{action}, lifecycle...) {
		evs = append(evs, Canonical{Entity: EntityOrder, Action: a, Subject: order.ID, Time: o.timeOf(a), Data: order})
	}
	return evs, nil
}

// wooStatus is the canonical status of a WooCommerce status and the
// lifecycle events it implies (see mapWooCommerce); placed is false for
// the statuses of an order not placed yet.
func wooStatus(status string, refunded bool) (canonical string, lifecycle []string, placed bool) {
	partly := func(s string) string {
		if refunded {
			return OrderPartiallyRefunded
		}
		return s
	}
	switch status {
	case "checkout-draft", "draft", "auto-draft", "new":
		return "", nil, false
	case "pending", "on-hold":
		return OrderPending, nil, true
	case "processing":
		return partly(OrderPaid), []string{ActionPaid}, true
	case "completed":
		return partly(OrderFulfilled), []string{ActionPaid, ActionFulfilled}, true
	case "cancelled":
		return OrderCancelled, []string{ActionCancelled}, true
	case "refunded":
		return OrderRefunded, []string{ActionRefunded}, true
	case "failed":
		return OrderFailed, nil, true
	}
	return "", nil, true
}

// wooOrder is the part of WooCommerce's REST v3 order that is mapped.
// Only the _gmt times are read: the others are in the site's time zone,
// which the body does not name.
type wooOrder struct {
	ID            platformid.ID     `json:"id"`
	Number        platformid.ID     `json:"number"`
	Status        string            `json:"status"`
	Currency      string            `json:"currency"`
	Created       wooTime           `json:"date_created_gmt"`
	Modified      wooTime           `json:"date_modified_gmt"`
	Paid          wooTime           `json:"date_paid_gmt"`
	Completed     wooTime           `json:"date_completed_gmt"`
	Total         decimal           `json:"total"`
	TotalTax      decimal           `json:"total_tax"`
	ShippingTotal decimal           `json:"shipping_total"`
	DiscountTotal decimal           `json:"discount_total"`
	CustomerID    platformid.ID     `json:"customer_id"`
	Billing       wooBilling        `json:"billing"`
	Shipping      wooAddress        `json:"shipping"`
	LineItems     []wooLineItem     `json:"line_items"`
	Refunds       []json.RawMessage `json:"refunds"`
}

type wooBilling struct {
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type wooAddress struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Company   string `json:"company"`
	Address1  string `json:"address_1"`
	Address2  string `json:"address_2"`
	City      string `json:"city"`
	State     string `json:"state"`
	Postcode  string `json:"postcode"`
	Country   string `json:"country"`
	Phone     string `json:"phone"` // since WooCommerce 5.6
}

type wooLineItem struct {
	ID       platformid.ID `json:"id"`
	SKU      string        `json:"sku"`
	Name     string        `json:"name"`
	Quantity int64         `json:"quantity"`
	Subtotal decimal       `json:"subtotal"`
}

// canonical is the order's data. The order's subtotal and a line's unit
// price are not in the body: they are WooCommerce's own definitions
// computed exactly, or absent (see wooSubtotal and wooUnitPrice).
func (o *wooOrder) canonical(source, status string) *Order {
	order := &Order{
		ID:             string(o.ID),
		Number:         string(o.Number),
		Platform:       "woocommerce",
		Source:         source,
		Status:         status,
		PlatformStatus: o.Status,
		Currency:       strings.ToUpper(o.Currency),
		Total:          Money(o.Total),
		Subtotal:       wooSubtotal(o.LineItems),
		Tax:            Money(o.TotalTax),
		Shipping:       Money(o.ShippingTotal),
		Discount:       Money(o.DiscountTotal),
		LineItems:      make([]LineItem, 0, len(o.LineItems)),
		ShippingAddr:   o.Shipping.canonical(),
		CreatedAt:      o.Created.rfc3339(),
		UpdatedAt:      o.Modified.rfc3339(),
	}
	for _, li := range o.LineItems {
		order.LineItems = append(order.LineItems, LineItem{
			ID:        string(li.ID),
			SKU:       li.SKU,
			Name:      li.Name,
			Quantity:  li.Quantity,
			UnitPrice: wooUnitPrice(li.Subtotal, li.Quantity),
		})
	}
	// customer_id 0 is WooCommerce's guest: no customer id at all.
	c := Customer{Email: o.Billing.Email, Phone: o.Billing.Phone}
	if o.CustomerID != "0" {
		c.ID = string(o.CustomerID)
	}
	if c != (Customer{}) {
		order.Customer = &c
	}
	return order
}

func (a wooAddress) canonical() *Address {
	name := strings.TrimSpace(a.FirstName)
	if last := strings.TrimSpace(a.LastName); last != "" {
		name = strings.TrimSpace(name + " " + last)
	}
	addr := Address{
		Name:       name,
		Company:    a.Company,
		Line1:      a.Address1,
		Line2:      a.Address2,
		City:       a.City,
		Region:     a.State,
		PostalCode: a.Postcode,
		Country:    a.Country,
		Phone:      a.Phone,
	}
	if addr == (Address{}) {
		return nil
	}
	return &addr
}

// timeOf is the time of an event: the time the body gives the change
// the action names, else the time of the order's last change. A lifecycle
// event (paid, fulfilled) is sent again with every later delivery of the
// order, so without its own time it takes one that does not move from one
// delivery to the next: completion, else creation.
func (o *wooOrder) timeOf(action string) time.Time {
	switch {
	case action == ActionCreated && !o.Created.IsZero():
		return o.Created.Time
	case action == ActionPaid && !o.Paid.IsZero():
		return o.Paid.Time
	case action == ActionFulfilled && !o.Completed.IsZero():
		return o.Completed.Time
	case action == ActionPaid && !o.Completed.IsZero():
		return o.Completed.Time
	case (action == ActionPaid || action == ActionFulfilled) && !o.Created.IsZero():
		return o.Created.Time
	case !o.Modified.IsZero():
		return o.Modified.Time
	}
	return o.Created.Time
}

// wooTimeLayout is how the REST API writes a time (wc_rest_prepare_date_response):
// no zone, which for the _gmt fields is UTC.
const wooTimeLayout = "2006-01-02T15:04:05"

// wooTime is a _gmt time of the REST API; null or "" is the zero time.
type wooTime struct{ time.Time }

func (t *wooTime) UnmarshalJSON(b []byte) (err error) {
	t.Time, err = jsonTime(b, "YYYY-MM-DDThh:mm:ss", func(s string) (time.Time, error) {
		return time.ParseInLocation(wooTimeLayout, s, time.UTC)
	})
	return err
}

func (t wooTime) rfc3339() string { return rfc3339(t.Time) }
