package commerce

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// bigCommerceTypePrefix starts the CloudEvent type of every BigCommerce
// delivery; the rest is its scope with "/" as ".".
const bigCommerceTypePrefix = "com.bigcommerce."

// mapBigCommerce maps BigCommerce's order webhooks.
//
// BigCommerce sends no order details: a body names the order by its id
// (and a status change by its two status ids, a refund by its id, a
// transaction by its id, type and state), and a consumer that wants more
// fetches the order from BigCommerce's API. So every order event carries
// the id alone, plus a status where the scope states one, and never money,
// line items, a customer or an address:
//
//	scope                            events
//	store/order/created              order.created (id only)
//	store/order/updated              order.updated (id only)
//	store/order/statusUpdated        the lifecycle events the new status means and
//	                                 the previous one did not (see bigCommerceStatuses);
//	                                 none for another change, which store/order/updated
//	                                 reports too
//	store/order/refund/created       refund.created (refund id, order id)
//	store/order/transaction/created  payment.succeeded or payment.failed by the
//	store/order/transaction/updated  transaction's type and state, or none (see
//	                                 bigCommercePaymentAction); transaction id and
//	                                 order id only
//	store/order/archived             none: archiving removes an order from the
//	                                 list, it is not a cancellation
//	any other                        none
//
// Every event's time is the body's created_at (the bridge's CloudEvent
// time), when BigCommerce sent it.
func mapBigCommerce(raw Raw) ([]Canonical, error) {
	scope, ok := strings.CutPrefix(raw.Type, bigCommerceTypePrefix)
	if !ok {
		return nil, nil
	}
	switch scope {
	case "store.order.created", "store.order.updated", "store.order.statusUpdated", "store.order.refund.created":
	case "store.order.transaction.created", "store.order.transaction.updated":
		return bigCommerceTransactionEvent(raw, scope)
	default:
		return nil, nil
	}
	var b bigCommerceBody
	if err := json.Unmarshal(raw.Data, &b); err != nil {
		return nil, fmt.Errorf("bigcommerce %s: %w: %v", scope, ErrUnusable, err)
	}
	if b.Data.ID == "" || b.Data.ID == "0" {
		return nil, fmt.Errorf("bigcommerce %s: %w: no order id", scope, ErrUnusable)
	}
	order := &Order{ID: string(b.Data.ID), Platform: "bigcommerce", Source: raw.Source}
	event := func(action string) Canonical {
		return Canonical{Entity: EntityOrder, Action: action, Subject: order.ID, Time: raw.Time.UTC(), Data: order}
	}
	switch scope {
	case "store.order.created":
		return []Canonical{event(ActionCreated)}, nil
	case "store.order.updated":
		return []Canonical{event(ActionUpdated)}, nil
	case "store.order.refund.created":
		return b.refund(raw)
	}
	if b.Data.Status == nil || b.Data.Status.New == nil {
		return nil, fmt.Errorf("bigcommerce %s: %w: no data.status.new_status_id", scope, ErrUnusable)
	}
	next := bigCommerceStatusOf(*b.Data.Status.New)
	order.Status, order.PlatformStatus = next.status, next.name
	var evs []Canonical
	for _, a := range next.actions {
		if b.Data.Status.Previous == nil || !bigCommerceStatusOf(*b.Data.Status.Previous).means(a) {
			evs = append(evs, event(a))
		}
	}
	return evs, nil
}

// bigCommerceBody is a BigCommerce order webhook's body: all of it that
// names the order, its status change or its refund.
type bigCommerceBody struct {
	Data struct {
		ID     platformid.ID `json:"id"`
		Status *struct {
			Previous *int64 `json:"previous_status_id"`
			New      *int64 `json:"new_status_id"`
		} `json:"status"`
		Refund *struct {
			ID platformid.ID `json:"refund_id"`
		} `json:"refund"`
	} `json:"data"`
}

// refund is the refund.created event of a store/order/refund/created body.
// Its status is pending: BigCommerce creates a refund when it has checked
// the payment methods and "the refund payment request is scheduled. The
// payment request itself occurs asynchronously" (Orders API v3, "Create a
// Refund"), so whether the provider paid it back is not known yet.
func (b *bigCommerceBody) refund(raw Raw) ([]Canonical, error) {
	if b.Data.Refund == nil || b.Data.Refund.ID == "" || b.Data.Refund.ID == "0" {
		return nil, fmt.Errorf("bigcommerce refund: %w: no data.refund.refund_id", ErrUnusable)
	}
	r := &Refund{
		ID: string(b.Data.Refund.ID), OrderID: string(b.Data.ID),
		Platform: "bigcommerce", Source: raw.Source, Status: RefundPending,
		CreatedAt: rfc3339(raw.Time),
	}
	return []Canonical{{Entity: EntityRefund, Action: ActionCreated, Subject: r.ID, Time: raw.Time.UTC(), Data: r}}, nil
}

// bigCommerceStatus is what one of BigCommerce's order status ids means.
type bigCommerceStatus struct {
	name    string   // BigCommerce's name of the status
	status  string   // the canonical status, or "" when none fits
	actions []string // the lifecycle events entering it means
}

func (s bigCommerceStatus) means(action string) bool {
	for _, a := range s.actions {
		if a == action {
			return true
		}
	}
	return false
}

// bigCommerceStatuses are BigCommerce's order statuses (Orders API v2,
// "Get All Order Statuses"), by id, and what each means here. Only a
// status whose documented meaning is the milestone gives its event:
// Awaiting Fulfillment is "payment has been confirmed", Completed is "has
// paid for their digital product and their file(s) are available", Shipped
// is "seller has used the Ship Items action" (nothing about payment).
// Partially Shipped, Awaiting Pickup, Awaiting Shipment and Disputed fit
// no canonical status; a partial refund is not order.refunded.
var bigCommerceStatuses = map[int64]bigCommerceStatus{
	0:  {"Incomplete", OrderPending, nil},
	1:  {"Pending", OrderPending, nil},
	2:  {"Shipped", OrderFulfilled, []string{ActionFulfilled}},
	3:  {"Partially Shipped", "", nil},
	4:  {"Refunded", OrderRefunded, []string{ActionRefunded}},
	5:  {"Cancelled", OrderCancelled, []string{ActionCancelled}},
	6:  {"Declined", OrderFailed, nil},
	7:  {"Awaiting Payment", OrderPending, nil},
	8:  {"Awaiting Pickup", "", nil},
	9:  {"Awaiting Shipment", "", nil},
	10: {"Completed", OrderFulfilled, []string{ActionPaid, ActionFulfilled}},
	11: {"Awaiting Fulfillment", OrderPaid, []string{ActionPaid}},
	12: {"Manual Verification Required", OrderPending, nil},
	13: {"Disputed", "", nil},
	14: {"Partially Refunded", OrderPartiallyRefunded, nil},
}

// bigCommerceStatusOf is what status id means; an id BigCommerce does not
// document means nothing, and keeps its number as the platform's status.
func bigCommerceStatusOf(id int64) bigCommerceStatus {
	if s, ok := bigCommerceStatuses[id]; ok {
		return s
	}
	return bigCommerceStatus{name: fmt.Sprint(id)}
}
