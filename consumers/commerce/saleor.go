package commerce

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// saleorTypePrefix starts the CloudEvent type of every Saleor delivery;
// the rest is its Saleor-Event (order_fully_paid).
const saleorTypePrefix = "com.saleor."

// mapSaleor maps Saleor's asynchronous order events.
//
// Saleor sends what the webhook's subscription query asks for, so every
// field below is read when the query has it and is absent otherwise; only
// the order's id is required (README, "Saleor", gives the query). Legacy
// payloads (a webhook without a query, a JSON array) are unusable.
//
//	Saleor-Event          events
//	order_created         order.created
//	order_bulk_created    order.created for each of orders
//	order_confirmed,      order.updated
//	order_updated
//	order_paid            order.paid when the order is paid in full
//	                      (chargeStatus FULL or OVERCHARGED, or paymentStatus
//	                      FULLY_CHARGED), else order.updated: Saleor sends it
//	                      for a partial payment too
//	order_fully_paid      order.paid
//	order_cancelled,      order.cancelled (an expired order is an unpaid one
//	order_expired         Saleor cancelled)
//	order_fulfilled       order.fulfilled
//	order_refunded        order.refunded when paymentStatus is FULLY_REFUNDED,
//	                      else order.updated: Saleor sends it for a partial
//	                      refund too
//	order_fully_refunded  order.refunded
//	any other             none
//
// Saleor's payment and refund details live in the order's transactions,
// which every order event repeats whole; no event of Saleor's announces
// one payment or one refund (its transaction_*_requested events are
// synchronous requests to a payment app, not outcomes), so there are no
// payment.* or refund.* events.
//
// The order's status is what its status, chargeStatus and paymentStatus
// say (see saleorOrder.status), raised to the one the event states when
// that is further along (order_fully_paid of an order the payload still
// shows unpaid is paid). The time of the change is the order's updatedAt,
// else the event's issuedAt. Saleor writes money as GraphQL Floats,
// decimal numbers in major units, kept as written.
func mapSaleor(raw Raw) ([]Canonical, error) {
	event, ok := strings.CutPrefix(raw.Type, saleorTypePrefix)
	if !ok {
		return nil, nil
	}
	action, ok := saleorActions[event]
	if !ok {
		return nil, nil
	}
	var p struct {
		IssuedAt rfc3339Time   `json:"issuedAt"`
		Order    *saleorOrder  `json:"order"`
		Orders   []saleorOrder `json:"orders"`
	}
	if err := json.Unmarshal(raw.Data, &p); err != nil {
		return nil, saleorUnusable(event, "not a subscription payload: %s", jsonError(err))
	}
	orders := p.Orders
	if event != "order_bulk_created" {
		if p.Order == nil {
			return nil, saleorUnusable(event, "no order (the subscription query must ask for it)")
		}
		orders = []saleorOrder{*p.Order}
	}
	var evs []Canonical
	for i := range orders {
		o := &orders[i]
		order, err := o.canonical(raw.Source)
		if err != nil {
			return nil, saleorUnusable(event, "%v", err)
		}
		a, implied := action(order.Status, o.PaymentStatus)
		if saleorRank[implied] > saleorRank[order.Status] {
			order.Status = implied
		}
		evs = append(evs, Canonical{Entity: EntityOrder, Action: a, Subject: order.ID, Time: o.UpdatedAt.or(p.IssuedAt.Time).UTC(), Data: order})
	}
	return evs, nil
}

func saleorUnusable(event, format string, args ...any) error {
	return fmt.Errorf("saleor %s: %s: %w", event, fmt.Sprintf(format, args...), ErrUnusable)
}

// saleorActions is, per mapped event, its canonical action and the status
// it states, given the status the payload shows and its paymentStatus.
var saleorActions = map[string]func(status, payment string) (action, implied string){
	"order_created":      fixedAction(ActionCreated, ""),
	"order_bulk_created": fixedAction(ActionCreated, ""),
	"order_confirmed":    fixedAction(ActionUpdated, ""),
	"order_updated":      fixedAction(ActionUpdated, ""),
	"order_paid": func(status, _ string) (string, string) {
		if saleorRank[status] >= saleorRank[OrderPaid] {
			return ActionPaid, OrderPaid
		}
		return ActionUpdated, ""
	},
	"order_fully_paid": fixedAction(ActionPaid, OrderPaid),
	"order_cancelled":  fixedAction(ActionCancelled, OrderCancelled),
	"order_expired":    fixedAction(ActionCancelled, OrderCancelled),
	"order_fulfilled":  fixedAction(ActionFulfilled, OrderFulfilled),
	"order_refunded": func(_, payment string) (string, string) {
		if payment == "FULLY_REFUNDED" {
			return ActionRefunded, OrderRefunded
		}
		return ActionUpdated, ""
	},
	"order_fully_refunded": fixedAction(ActionRefunded, OrderRefunded),
}

func fixedAction(action, implied string) func(string, string) (string, string) {
	return func(string, string) (string, string) { return action, implied }
}

// saleorRank orders the statuses an order moves through, so that the one
// an event states replaces the payload's only when it is further along.
var saleorRank = map[string]int{
	"": 0, OrderPending: 1, OrderFailed: 2, OrderPaid: 3, OrderFulfilled: 4,
	OrderPartiallyRefunded: 5, OrderRefunded: 6, OrderCancelled: 7,
}

// saleorOrder is the part of Saleor's Order type the mapping reads.
type saleorOrder struct {
	ID                platformid.ID  `json:"id"`
	Number            string         `json:"number"`
	Status            string         `json:"status"`
	ChargeStatus      string         `json:"chargeStatus"`
	PaymentStatus     string         `json:"paymentStatus"`
	Created           rfc3339Time    `json:"created"`
	UpdatedAt         rfc3339Time    `json:"updatedAt"`
	UserEmail         string         `json:"userEmail"`
	User              *saleorUser    `json:"user"`
	Total             *saleorTaxed   `json:"total"`
	Subtotal          *saleorTaxed   `json:"subtotal"`
	ShippingPrice     *saleorTaxed   `json:"shippingPrice"`
	UndiscountedTotal *saleorTaxed   `json:"undiscountedTotal"`
	Lines             []saleorLine   `json:"lines"`
	ShippingAddress   *saleorAddress `json:"shippingAddress"`
	Fulfillments      []struct {
		TrackingNumber string `json:"trackingNumber"`
	} `json:"fulfillments"`
	Metadata []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"metadata"`
}

type saleorUser struct {
	ID    platformid.ID `json:"id"`
	Email string        `json:"email"`
}

// saleorMoney is Saleor's Money: a Float amount and a currency code.
type saleorMoney struct {
	Amount   decimal `json:"amount"`
	Currency string  `json:"currency"`
}

// saleorTaxed is Saleor's TaxedMoney.
type saleorTaxed struct {
	Gross *saleorMoney `json:"gross"`
	Tax   *saleorMoney `json:"tax"`
}

// gross is the gross amount, or "" when not queried.
func (t *saleorTaxed) gross() decimal {
	if t == nil || t.Gross == nil {
		return ""
	}
	return t.Gross.Amount
}

type saleorLine struct {
	ID                 platformid.ID `json:"id"`
	ProductSku         string        `json:"productSku"`
	ProductName        string        `json:"productName"`
	VariantName        string        `json:"variantName"`
	Quantity           *int64        `json:"quantity"`
	IsShippingRequired *bool         `json:"isShippingRequired"`
	UnitPrice          *saleorTaxed  `json:"unitPrice"`
}

type saleorAddress struct {
	FirstName      string `json:"firstName"`
	LastName       string `json:"lastName"`
	CompanyName    string `json:"companyName"`
	StreetAddress1 string `json:"streetAddress1"`
	StreetAddress2 string `json:"streetAddress2"`
	City           string `json:"city"`
	CountryArea    string `json:"countryArea"`
	PostalCode     string `json:"postalCode"`
	Phone          string `json:"phone"`
	Country        *struct {
		Code string `json:"code"`
	} `json:"country"`
}

// canonical is the order's data; its status is the payload's alone.
// Total, currency and tax are total's gross and tax; the subtotal is
// subtotal's gross (the lines' total, after their discounts); shipping is
// shippingPrice's gross; the discount is undiscountedTotal's gross less
// total's, in exact decimal arithmetic.
func (o *saleorOrder) canonical(source string) (*Order, error) {
	if o.ID == "" {
		return nil, fmt.Errorf("no order id")
	}
	order := &Order{
		ID: string(o.ID), Number: o.Number, Platform: "saleor", Source: source,
		Status: o.status(), PlatformStatus: o.Status,
		Subtotal: Money(o.Subtotal.gross()), Shipping: Money(o.ShippingPrice.gross()),
		CreatedAt: rfc3339(o.Created.Time), UpdatedAt: rfc3339(o.UpdatedAt.Time),
	}
	if t := o.Total; t != nil {
		if t.Gross != nil {
			cur, err := currencyCode(t.Gross.Currency)
			if err != nil {
				return nil, fmt.Errorf("total.gross.currency: %w", err)
			}
			if cur == "" && t.Gross.Amount != "" {
				return nil, fmt.Errorf("total %s has no currency", t.Gross.Amount)
			}
			order.Currency, order.Total = cur, Money(t.Gross.Amount)
		}
		if t.Tax != nil {
			order.Tax = Money(t.Tax.Amount)
		}
	}
	if before, after := o.UndiscountedTotal.gross(), o.Total.gross(); before != "" && after != "" {
		order.Discount = sumDecimals([]decimal{before, negate(after)})
	}
	c := Customer{Email: o.UserEmail}
	if u := o.User; u != nil {
		c.ID = string(u.ID)
		if c.Email == "" {
			c.Email = u.Email
		}
	}
	if c != (Customer{}) {
		order.Customer = &c
	}
	for i, l := range o.Lines {
		if l.Quantity == nil || *l.Quantity < 0 {
			return nil, fmt.Errorf("lines[%d].quantity is not a count", i)
		}
		name := l.ProductName
		if l.VariantName != "" && l.VariantName != l.ProductName {
			name = strings.TrimPrefix(name+" - "+l.VariantName, " - ")
		}
		order.LineItems = append(order.LineItems, LineItem{
			ID: string(l.ID), SKU: l.ProductSku, Name: name, Quantity: *l.Quantity,
			UnitPrice: Money(l.UnitPrice.gross()), RequiresShipping: l.IsShippingRequired,
		})
	}
	order.ShippingAddr = o.ShippingAddress.canonical()
	for _, f := range o.Fulfillments {
		if n := strings.TrimSpace(f.TrackingNumber); n != "" {
			order.Tracking = append(order.Tracking, Tracking{Number: n})
		}
	}
	for _, m := range o.Metadata {
		if order.Metadata == nil {
			order.Metadata = map[string]string{}
		}
		order.Metadata[m.Key] = m.Value
	}
	return order, nil
}

// status is the canonical status of Saleor's OrderStatus, its
// OrderChargeStatusEnum (chargeStatus) and its PaymentChargeStatusEnum
// (paymentStatus), "" when the payload has none of them. A returned
// order was fulfilled; an expired one is an unpaid order Saleor
// cancelled.
func (o *saleorOrder) status() string {
	switch {
	case o.Status == "CANCELED" || o.Status == "EXPIRED":
		return OrderCancelled
	case o.PaymentStatus == "FULLY_REFUNDED":
		return OrderRefunded
	case o.PaymentStatus == "PARTIALLY_REFUNDED":
		return OrderPartiallyRefunded
	case o.Status == "FULFILLED" || o.Status == "PARTIALLY_RETURNED" || o.Status == "RETURNED":
		return OrderFulfilled
	case o.ChargeStatus == "FULL" || o.ChargeStatus == "OVERCHARGED" || o.PaymentStatus == "FULLY_CHARGED":
		return OrderPaid
	case o.PaymentStatus == "REFUSED":
		return OrderFailed
	case o.Status != "" || o.ChargeStatus != "" || o.PaymentStatus != "":
		return OrderPending
	}
	return ""
}

// canonical is the address, nil when it is not queried or empty. Saleor
// keeps the recipient's names apart; they are joined as the name.
func (a *saleorAddress) canonical() *Address {
	if a == nil {
		return nil
	}
	out := Address{
		Name: strings.TrimSpace(a.FirstName + " " + a.LastName), Company: a.CompanyName,
		Line1: a.StreetAddress1, Line2: a.StreetAddress2, City: a.City,
		Region: a.CountryArea, PostalCode: a.PostalCode, Phone: a.Phone,
	}
	if a.Country != nil {
		out.Country = a.Country.Code
	}
	if out == (Address{}) {
		return nil
	}
	return &out
}
