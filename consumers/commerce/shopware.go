package commerce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// shopwareTypePrefix starts the CloudEvent type of every Shopware
// delivery; the rest is its data.event.
const shopwareTypePrefix = "com.shopware."

// shopwareEvents are the Shopware 6 app webhook events that are mapped,
// and the lifecycle event each means. Each carries the order as Shopware
// serialises the entity (data.payload.order), with the associations the
// event loaded.
//
//	event                                         events (their time)
//	checkout.order.placed                         order.created (createdAt), and
//	                                              order.paid when its latest
//	                                              transaction is already paid
//	state_enter.order_transaction.state.paid      order.paid
//	state_enter.order_transaction.state.refunded  order.refunded
//	state_enter.order.state.cancelled             order.cancelled
//	state_enter.order_delivery.state.shipped      order.fulfilled
//	any other (entity-written events, partial     none
//	payments, partial refunds, ...)
//
// order.paid's time is the paid transaction's updatedAt, the same whether
// it comes from checkout.order.placed or the state change, so the two
// give one event (see ID); the other milestones take the webhook's
// timestamp, the time of the state change. Shopware's refund entity
// (order_transaction_capture_refund) is not in any webhook's payload, so
// there is no refund.created.
var shopwareEvents = map[string]string{
	"checkout.order.placed":                        ActionCreated,
	"state_enter.order_transaction.state.paid":     ActionPaid,
	"state_enter.order_transaction.state.refunded": ActionRefunded,
	"state_enter.order.state.cancelled":            ActionCancelled,
	"state_enter.order_delivery.state.shipped":     ActionFulfilled,
}

// mapShopware maps Shopware 6's order webhooks (see shopwareEvents).
func mapShopware(raw Raw) ([]Canonical, error) {
	name, ok := strings.CutPrefix(raw.Type, shopwareTypePrefix)
	action, mapped := shopwareEvents[name]
	if !ok || !mapped {
		return nil, nil
	}
	var body struct {
		Data struct {
			Payload struct {
				Order *shopwareOrder `json:"order"`
			} `json:"payload"`
		} `json:"data"`
	}
	if err := json.Unmarshal(raw.Data, &body); err != nil {
		return nil, fmt.Errorf("shopware %s: %w: %v", name, ErrUnusable, err)
	}
	o := body.Data.Payload.Order
	if o == nil || o.ID == "" {
		return nil, fmt.Errorf("shopware %s: %w: no data.payload.order.id", name, ErrUnusable)
	}
	order, err := o.canonical(raw.Source)
	if err != nil {
		return nil, fmt.Errorf("shopware %s: %w: %w", name, ErrUnusable, err)
	}
	event := func(action string, t time.Time) Canonical {
		return Canonical{Entity: EntityOrder, Action: action, Subject: order.ID, Time: t.UTC(), Data: order}
	}
	switch action {
	case ActionCreated:
		evs := []Canonical{event(ActionCreated, o.CreatedAt.or(raw.Time))}
		if tx := o.latestTransaction(); tx != nil && tx.State.name() == "paid" {
			evs = append(evs, event(ActionPaid, tx.UpdatedAt.or(raw.Time)))
		}
		return evs, nil
	case ActionPaid:
		t := raw.Time
		if tx := o.latestTransaction(); tx != nil && tx.State.name() == "paid" {
			t = tx.UpdatedAt.or(raw.Time)
		}
		return []Canonical{event(ActionPaid, t)}, nil
	}
	return []Canonical{event(action, raw.Time)}, nil
}

// shopwareOrder is the part of Shopware's order entity that is mapped.
// Amounts are JSON numbers, kept as their literal text (see decimal).
type shopwareOrder struct {
	ID          platformid.ID `json:"id"`
	OrderNumber string        `json:"orderNumber"`
	Currency    *struct {
		IsoCode string `json:"isoCode"`
	} `json:"currency"`
	AmountTotal   decimal `json:"amountTotal"`
	AmountNet     decimal `json:"amountNet"`
	ShippingTotal decimal `json:"shippingTotal"`
	OrderCustomer *struct {
		Email      string        `json:"email"`
		CustomerID platformid.ID `json:"customerId"`
	} `json:"orderCustomer"`
	LineItems    []shopwareLineItem    `json:"lineItems"`
	Deliveries   []shopwareDelivery    `json:"deliveries"`
	Transactions []shopwareTransaction `json:"transactions"`
	State        *shopwareState        `json:"stateMachineState"`
	CreatedAt    rfc3339Time           `json:"createdAt"`
	UpdatedAt    rfc3339Time           `json:"updatedAt"`
}

type shopwareLineItem struct {
	ID        platformid.ID   `json:"id"`
	Type      string          `json:"type"`
	Label     string          `json:"label"`
	Quantity  int64           `json:"quantity"`
	UnitPrice decimal         `json:"unitPrice"`
	Payload   json.RawMessage `json:"payload"` // an object, or [] when empty (PHP)
}

type shopwareDelivery struct {
	Address       *shopwareAddress `json:"shippingOrderAddress"`
	TrackingCodes []string         `json:"trackingCodes"`
	State         *shopwareState   `json:"stateMachineState"`
}

type shopwareTransaction struct {
	State     *shopwareState `json:"stateMachineState"`
	CreatedAt rfc3339Time    `json:"createdAt"`
	UpdatedAt rfc3339Time    `json:"updatedAt"`
}

// shopwareState is a state machine state; technicalName is its stable
// name (name is translated).
type shopwareState struct {
	TechnicalName string `json:"technicalName"`
}

func (s *shopwareState) name() string {
	if s == nil {
		return ""
	}
	return s.TechnicalName
}

type shopwareAddress struct {
	FirstName    string `json:"firstName"`
	LastName     string `json:"lastName"`
	Company      string `json:"company"`
	Street       string `json:"street"`
	Additional   string `json:"additionalAddressLine1"`
	City         string `json:"city"`
	Zipcode      string `json:"zipcode"`
	PhoneNumber  string `json:"phoneNumber"`
	CountryState *struct {
		ShortCode string `json:"shortCode"`
	} `json:"countryState"`
	Country *struct {
		ISO string `json:"iso"`
	} `json:"country"`
}

// canonical is the order's data. Tax is amountTotal less amountNet, in
// exact decimal arithmetic; the subtotal and discounts are absent, as
// Shopware's positionPrice already includes its discount (promotion) lines.
func (o *shopwareOrder) canonical(source string) (*Order, error) {
	order := &Order{
		ID:             string(o.ID),
		Number:         o.OrderNumber,
		Platform:       "shopware",
		Source:         source,
		Status:         o.status(),
		PlatformStatus: o.State.name(),
		Total:          Money(o.AmountTotal),
		Shipping:       Money(o.ShippingTotal),
		CreatedAt:      rfc3339(o.CreatedAt.Time),
		UpdatedAt:      rfc3339(o.UpdatedAt.Time),
	}
	if o.AmountTotal != "" && o.AmountNet != "" {
		order.Tax = sumDecimals([]decimal{o.AmountTotal, negate(o.AmountNet)})
	}
	if o.Currency != nil {
		c, err := currencyCode(o.Currency.IsoCode)
		if err != nil {
			return nil, err
		}
		order.Currency = c
	}
	if c := o.OrderCustomer; c != nil && (c.Email != "" || c.CustomerID != "") {
		order.Customer = &Customer{ID: string(c.CustomerID), Email: c.Email}
	}
	for _, li := range o.LineItems {
		if li.Type == "promotion" { // a discount, not something bought
			continue
		}
		order.LineItems = append(order.LineItems, LineItem{
			ID: string(li.ID), SKU: productNumber(li.Payload), Name: li.Label,
			Quantity: li.Quantity, UnitPrice: Money(li.UnitPrice),
		})
	}
	for _, d := range o.Deliveries {
		if order.ShippingAddr == nil && d.Address != nil {
			order.ShippingAddr = d.Address.canonical()
		}
		for _, code := range d.TrackingCodes {
			if code = strings.TrimSpace(code); code != "" {
				order.Tracking = append(order.Tracking, Tracking{Number: code})
			}
		}
	}
	return order, nil
}

// status is the canonical status of the order's state, its latest
// transaction's and its deliveries'.
func (o *shopwareOrder) status() string {
	var tx string
	if t := o.latestTransaction(); t != nil {
		tx = t.State.name()
	}
	shipped := false
	for _, d := range o.Deliveries {
		shipped = shipped || d.State.name() == "shipped"
	}
	order := o.State.name()
	switch {
	case order == "cancelled":
		return OrderCancelled
	case tx == "refunded":
		return OrderRefunded
	case tx == "refunded_partially":
		return OrderPartiallyRefunded
	case order == "completed" || shipped:
		return OrderFulfilled
	case tx == "failed":
		return OrderFailed
	case tx == "paid":
		return OrderPaid
	case order == "open" || order == "in_progress":
		return OrderPending
	}
	return ""
}

// latestTransaction is the order's newest transaction, which Shopware
// treats as the order's payment, or nil.
func (o *shopwareOrder) latestTransaction() *shopwareTransaction {
	var latest *shopwareTransaction
	for i := range o.Transactions {
		t := &o.Transactions[i]
		if latest == nil || !t.CreatedAt.Before(latest.CreatedAt.Time) {
			latest = t
		}
	}
	return latest
}

func (a *shopwareAddress) canonical() *Address {
	addr := Address{
		Name:       strings.TrimSpace(strings.TrimSpace(a.FirstName) + " " + strings.TrimSpace(a.LastName)),
		Company:    a.Company,
		Line1:      a.Street,
		Line2:      a.Additional,
		City:       a.City,
		PostalCode: a.Zipcode,
		Phone:      a.PhoneNumber,
	}
	if a.CountryState != nil {
		addr.Region = a.CountryState.ShortCode
	}
	if a.Country != nil {
		addr.Country = a.Country.ISO
	}
	if addr == (Address{}) {
		return nil
	}
	return &addr
}

// productNumber is a line item payload's productNumber (the product's
// SKU), or "" when the payload is not an object or has none.
func productNumber(payload json.RawMessage) string {
	if !bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) {
		return ""
	}
	var p struct {
		ProductNumber string `json:"productNumber"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	return p.ProductNumber
}

// negate is -d, exactly.
func negate(d decimal) decimal {
	if s, ok := strings.CutPrefix(string(d), "-"); ok {
		return decimal(s)
	}
	return "-" + d
}
