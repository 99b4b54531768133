package commerce

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// shopifyTypePrefix starts the type of every raw Shopify event: the bridge
// writes X-Shopify-Topic after it with '/' turned into '.'.
const shopifyTypePrefix = "com.shopify."

// mapShopify maps Shopify's webhook topics (their REST-shaped payloads):
//
//	orders/create, orders/updated, orders/paid,   order.created, order.updated, order.paid,
//	orders/cancelled, orders/fulfilled            order.cancelled, order.fulfilled
//	refunds/create                                refund.created
//	order_transactions/create                     payment.succeeded (a successful sale or
//	                                              capture), payment.failed (a failed sale,
//	                                              capture or authorization)
//
// One raw event is one canonical event: Shopify sends a topic per change
// (an order paid at checkout fires orders/create and orders/paid), so no
// topic implies another's event. Every other topic is skipped, among them:
//   - orders/partially_fulfilled: not the whole order shipped, so not
//     order.fulfilled; the change it reports also fires orders/updated,
//     which is already mapped, and a second order.updated would only repeat it.
//   - fulfillments/create: a fulfillment carries its own lines only, not the
//     order's fulfillment status nor its totals, so it can never tell that
//     the whole order is fulfilled; orders/fulfilled does.
//   - orders/edited and orders/delete: the first carries an order edit, not
//     the order (orders/updated follows it), the second only an id.
//   - authorizations that succeed, pending transactions, voids and refund
//     transactions: no money moved yet, or refunds/create reports it.
//
// No topic yields order.refunded: a refund's payload holds this refund
// only, never the order's financial status or total, so it cannot tell
// whether the order is now refunded in full; orders/updated then carries
// status "refunded".
//
// A mapped topic whose payload is not a JSON object of the documented
// kinds, or has no id, is an error wrapping ErrUnusable.
func mapShopify(raw Raw) ([]Canonical, error) {
	topic, ok := strings.CutPrefix(raw.Type, shopifyTypePrefix)
	if !ok {
		return nil, nil
	}
	var (
		out []Canonical
		err error
	)
	switch topic {
	case "orders.create":
		out, err = shopifyOrderEvent(raw, ActionCreated)
	case "orders.updated":
		out, err = shopifyOrderEvent(raw, ActionUpdated)
	case "orders.paid":
		out, err = shopifyOrderEvent(raw, ActionPaid)
	case "orders.cancelled":
		out, err = shopifyOrderEvent(raw, ActionCancelled)
	case "orders.fulfilled":
		out, err = shopifyOrderEvent(raw, ActionFulfilled)
	case "refunds.create":
		out, err = shopifyRefundEvent(raw)
	case "order_transactions.create":
		out, err = shopifyPaymentEvent(raw)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("shopify %s: %w: %w", topic, ErrUnusable, err)
	}
	return out, nil
}

// shopifyOrder is the part of Shopify's order payload the order data is
// read from. Money is read from the top-level fields, in the shop's
// currency ("currency"), not from the presentment_money twins.
type shopifyOrder struct {
	ID                platformid.ID `json:"id"`
	Name              string        `json:"name"`
	OrderNumber       platformid.ID `json:"order_number"`
	Email             string        `json:"email"`
	Phone             string        `json:"phone"`
	FinancialStatus   string        `json:"financial_status"`
	FulfillmentStatus string        `json:"fulfillment_status"`
	CancelledAt       shopifyTime   `json:"cancelled_at"`
	Currency          string        `json:"currency"`
	TotalPrice        decimal       `json:"total_price"`
	LineItemsPrice    decimal       `json:"total_line_items_price"`
	TotalTax          decimal       `json:"total_tax"`
	TotalDiscounts    decimal       `json:"total_discounts"`
	TotalShipping     struct {
		ShopMoney struct {
			Amount decimal `json:"amount"`
		} `json:"shop_money"`
	} `json:"total_shipping_price_set"`
	LineItems []struct {
		ID       platformid.ID   `json:"id"`
		SKU      string          `json:"sku"`
		Name     string          `json:"name"`
		Quantity shopifyQuantity `json:"quantity"`
		Price    decimal         `json:"price"`
		// RequiresShipping is false for gift cards and digital goods.
		RequiresShipping *bool `json:"requires_shipping"`
	} `json:"line_items"`
	Customer *struct {
		ID    platformid.ID `json:"id"`
		Email string        `json:"email"`
		Phone string        `json:"phone"`
	} `json:"customer"`
	ShippingAddress *shopifyAddress `json:"shipping_address"`
	Fulfillments    []struct {
		Status          string `json:"status"`
		TrackingCompany string `json:"tracking_company"`
		TrackingNumber  string `json:"tracking_number"`
		TrackingURL     string `json:"tracking_url"`
	} `json:"fulfillments"`
	CreatedAt shopifyTime `json:"created_at"`
	UpdatedAt shopifyTime `json:"updated_at"`
}

// shopifyAddress is Shopify's postal address.
type shopifyAddress struct {
	Name         string `json:"name"`
	Company      string `json:"company"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	Province     string `json:"province"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	Country      string `json:"country"`
	CountryCode  string `json:"country_code"`
	Phone        string `json:"phone"`
}

// shopifyOrderEvent is the one order event an orders/* topic means.
func shopifyOrderEvent(raw Raw, action string) ([]Canonical, error) {
	var o shopifyOrder
	if err := shopifyDecode(raw.Data, &o, &o.ID); err != nil {
		return nil, err
	}
	currency, err := currencyCode(o.Currency)
	if err != nil {
		return nil, err
	}
	order := &Order{
		ID: string(o.ID),
		// name ("#1001", with the shop's own prefix or suffix) is what the
		// shop and its emails show the customer; order_number lacks them.
		Number:         cmp.Or(o.Name, string(o.OrderNumber)),
		Platform:       "shopify",
		Source:         raw.Source,
		Status:         shopifyOrderStatus(o.FinancialStatus, o.FulfillmentStatus, !o.CancelledAt.IsZero()),
		PlatformStatus: o.FinancialStatus,
		Currency:       currency,
		Total:          Money(o.TotalPrice),
		Subtotal:       Money(o.LineItemsPrice),
		Tax:            Money(o.TotalTax),
		Shipping:       Money(o.TotalShipping.ShopMoney.Amount),
		Discount:       Money(o.TotalDiscounts),
		LineItems:      make([]LineItem, 0, len(o.LineItems)),
		ShippingAddr:   o.ShippingAddress.address(),
		CreatedAt:      o.CreatedAt.String(),
		UpdatedAt:      o.UpdatedAt.String(),
	}
	for _, li := range o.LineItems {
		if !li.Quantity.set {
			return nil, errors.New("a line item has no quantity")
		}
		order.LineItems = append(order.LineItems, LineItem{
			ID: string(li.ID), SKU: li.SKU, Name: li.Name, Quantity: li.Quantity.n, UnitPrice: Money(li.Price),
			RequiresShipping: li.RequiresShipping,
		})
	}
	// A fulfillment that failed, was cancelled or errored ships nothing.
	for _, f := range o.Fulfillments {
		if f.TrackingNumber != "" && (f.Status == "" || f.Status == "success") {
			order.Tracking = append(order.Tracking, Tracking{Company: f.TrackingCompany, Number: f.TrackingNumber, URL: f.TrackingURL})
		}
	}
	// The order's own email and phone are what this order was placed with
	// and is notified at; the customer's are the account's current ones.
	c := Customer{Email: o.Email, Phone: o.Phone}
	if o.Customer != nil {
		c.ID = string(o.Customer.ID)
		c.Email = cmp.Or(c.Email, o.Customer.Email)
		c.Phone = cmp.Or(c.Phone, o.Customer.Phone)
	}
	if c != (Customer{}) {
		order.Customer = &c
	}
	return []Canonical{{Entity: EntityOrder, Action: action, Subject: order.ID, Time: o.UpdatedAt.t, Data: order}}, nil
}

// shopifyOrderStatus is where an order stands, from Shopify's three
// separate words for it. Cancellation ends an order whatever its money did;
// then money given back outranks shipping, which outranks money received,
// so that each status says the latest thing that happened to the order.
// voided (an authorization released, which Shopify does on cancelling)
// reads as cancelled, expired (an authorization that lapsed) as failed. A
// financial status Shopify does not document gives no status.
func shopifyOrderStatus(financial, fulfillment string, cancelled bool) string {
	switch {
	case cancelled || financial == "voided":
		return OrderCancelled
	case financial == "refunded":
		return OrderRefunded
	case financial == "partially_refunded":
		return OrderPartiallyRefunded
	case financial == "expired":
		return OrderFailed
	case fulfillment == "fulfilled":
		return OrderFulfilled
	case financial == "paid":
		return OrderPaid
	case financial == "pending" || financial == "authorized" || financial == "partially_paid":
		return OrderPending
	}
	return ""
}

// address is a in the canonical shape (nil when Shopify sent none), with
// the region and country as codes where Shopify gives them (KY, US), else
// as the names it gives.
func (a *shopifyAddress) address() *Address {
	if a == nil {
		return nil
	}
	out := &Address{
		Name: a.Name, Company: a.Company, Line1: a.Address1, Line2: a.Address2, City: a.City,
		Region: cmp.Or(a.ProvinceCode, a.Province), PostalCode: a.Zip,
		Country: cmp.Or(a.CountryCode, a.Country), Phone: a.Phone,
	}
	if *out == (Address{}) {
		return nil
	}
	return out
}
