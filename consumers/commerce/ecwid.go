package commerce

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// mapEcwid maps Ecwid's order webhooks.
//
// Ecwid signs only a delivery's eventCreated and eventId, never its body
// (see bridge/provider/ecwid.go): the order id and the statuses below are
// read from bytes anybody who has seen one genuine delivery can rewrite.
// So an Ecwid order event carries what the body names and nothing more,
// the order's id and the statuses the change moved it between, and a
// consumer fetches the order from Ecwid's REST API before acting on it,
// as Ecwid itself tells apps to. The one signed value it carries is the
// time, eventCreated, which is the bridge's CloudEvent time: every event's
// time and the order's updated_at.
//
//	eventType       events
//	order.created   order.created, then the milestones its new statuses mean
//	order.updated   order.updated, then the milestones the new statuses mean
//	                and the old ones did not (see ecwidMilestones)
//	order.deleted   none: deleting an order is not cancelling it
//	any other       none (unfinished_order.* are abandoned carts, not orders)
//
// The order is data.orderId, the id Ecwid shows the merchant and the
// customer and the one its REST API reads an order by; a body without it
// (Ecwid's older deliveries) names the order by entityId, which then is
// the order number. Its status comes from newPaymentStatus and
// newFulfillmentStatus (see ecwidOrderStatus), its platform status is
// newPaymentStatus.
func mapEcwid(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.ecwid.")
	if !ok || typ != "order.created" && typ != "order.updated" {
		return nil, nil
	}
	var b ecwidBody
	if err := json.Unmarshal(raw.Data, &b); err != nil {
		return nil, ecwidUnusable(typ, "not an Ecwid webhook: %s", jsonError(err))
	}
	id := b.Data.OrderID
	if id == "" {
		var err error
		if id, err = platformid.Parse(b.EntityID); err != nil {
			return nil, ecwidUnusable(typ, "entityId: %v", err)
		}
	}
	if id == "" || id == "0" {
		return nil, ecwidUnusable(typ, "no data.orderId and no entityId")
	}
	d := b.Data
	order := &Order{
		ID: string(id), Platform: "ecwid", Source: raw.Source,
		Status:         ecwidOrderStatus(ecwidValue(d.NewPayment), ecwidValue(d.NewFulfillment)),
		PlatformStatus: ecwidValue(d.NewPayment),
		UpdatedAt:      rfc3339(raw.Time),
	}
	event := func(action string) Canonical {
		return Canonical{Entity: EntityOrder, Action: action, Subject: order.ID, Time: raw.Time.UTC(), Data: order}
	}
	evs := []Canonical{event(ActionUpdated)}
	if typ == "order.created" {
		evs[0] = event(ActionCreated)
	}
	created := typ == "order.created"
	for _, a := range ecwidMilestones(d.OldPayment, d.NewPayment, created, ecwidPaymentMeans) {
		evs = append(evs, event(a))
	}
	for _, a := range ecwidMilestones(d.OldFulfillment, d.NewFulfillment, created, ecwidFulfillmentMeans) {
		evs = append(evs, event(a))
	}
	return evs, nil
}

func ecwidUnusable(typ, format string, args ...any) error {
	return fmt.Errorf("ecwid %s: %s: %w", typ, fmt.Sprintf(format, args...), ErrUnusable)
}

// ecwidBody is the part of an Ecwid webhook's body the mapping reads.
// entityId is kept raw: it is read only when data.orderId is absent, and
// Ecwid writes -1 there for an order that has no number yet.
type ecwidBody struct {
	EntityID json.RawMessage `json:"entityId"`
	Data     struct {
		OrderID        platformid.ID `json:"orderId"`
		OldPayment     *string       `json:"oldPaymentStatus"` // nil: absent or null
		NewPayment     *string       `json:"newPaymentStatus"`
		OldFulfillment *string       `json:"oldFulfillmentStatus"`
		NewFulfillment *string       `json:"newFulfillmentStatus"`
	} `json:"data"`
}

// ecwidValue is a status field's value, "" when it is absent.
func ecwidValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ecwidOrderStatus is where an order stands, from Ecwid's payment and
// fulfillment statuses (the values of Ecwid's order statuses, "Search
// order statuses"), ranked as shopifyOrderStatus ranks Shopify's: a
// cancellation ends an order whatever else it says, money given back
// outranks shipping, which outranks money received. Ecwid's CANCELLED is
// also what a declined payment becomes. OUT_FOR_DELIVERY and
// READY_FOR_PICKUP are not fulfilled yet (DELIVERED follows them);
// WILL_NOT_DELIVER, RETURNED and the store's custom statuses fit no
// canonical status.
func ecwidOrderStatus(payment, fulfillment string) string {
	switch {
	case payment == "CANCELLED":
		return OrderCancelled
	case payment == "REFUNDED":
		return OrderRefunded
	case payment == "PARTIALLY_REFUNDED":
		return OrderPartiallyRefunded
	case fulfillment == "SHIPPED" || fulfillment == "DELIVERED":
		return OrderFulfilled
	case payment == "PAID":
		return OrderPaid
	case payment == "AWAITING_PAYMENT" || payment == "INCOMPLETE":
		return OrderPending
	}
	return ""
}

// ecwidPaymentMeans and ecwidFulfillmentMeans are the milestone a status
// means, "" for none. A partial refund is not order.refunded.
func ecwidPaymentMeans(s string) string {
	switch s {
	case "PAID":
		return ActionPaid
	case "CANCELLED":
		return ActionCancelled
	case "REFUNDED":
		return ActionRefunded
	}
	return ""
}

func ecwidFulfillmentMeans(s string) string {
	if s == "SHIPPED" || s == "DELIVERED" {
		return ActionFulfilled
	}
	return ""
}

// ecwidMilestones is the milestone a move from status old to status next
// means: the one next means when old does not mean it too (SHIPPED to
// DELIVERED is no second fulfilment). An order.created body has no old
// statuses, the order having none before; on order.updated an absent old
// status leaves the change unknown, and then nothing is told rather than
// the same milestone again with every update of the order.
func ecwidMilestones(old, next *string, created bool, means func(string) string) []string {
	if next == nil || old == nil && !created {
		return nil
	}
	a := means(*next)
	if a == "" || old != nil && means(*old) == a {
		return nil
	}
	return []string{a}
}
