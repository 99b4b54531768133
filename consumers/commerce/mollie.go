package commerce

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/platformid"
)

// mapMollie maps Mollie's next-gen webhook events. Of the event types
// Mollie offers (payment-link.paid and the profile.* events), only
// payment-link.paid means a canonical event: a payment link is an amount
// the shop asks for, the nearest Mollie has to an order, and its event is
// an order.paid. The event names the link (entityId), not the payment that
// paid it, so there is no payment.succeeded; a reusable link is paid, and
// told as paid, once per customer. Mollie writes amounts as decimal
// strings ({"currency": "EUR", "value": "24.95"}), kept as written.
//
// A webhook with full payloads embeds a snapshot of the link under
// _embedded["payment-link"] (Mollie's Events API writes it under
// _embedded.entity, read too); one with simple payloads embeds nothing,
// and the order is then the link's id alone, paid at the event's time.
func mapMollie(raw Raw) ([]Canonical, error) {
	typ, ok := strings.CutPrefix(raw.Type, "com.mollie.")
	if !ok || typ != "payment-link.paid" {
		return nil, nil
	}
	var ev struct {
		EntityID  platformid.ID `json:"entityId"`
		CreatedAt rfc3339Time   `json:"createdAt"`
		Embedded  struct {
			Link   *mollieLink `json:"payment-link"`
			Entity *mollieLink `json:"entity"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal(raw.Data, &ev); err != nil {
		return nil, mollieUnusable(typ, "not a Mollie event: %s", jsonError(err))
	}
	if ev.EntityID == "" {
		return nil, mollieUnusable(typ, "no entityId")
	}
	link := ev.Embedded.Link
	if link == nil {
		link = ev.Embedded.Entity
	}
	o, err := link.order(string(ev.EntityID), raw.Source, ev.CreatedAt.Time)
	if err != nil {
		return nil, mollieUnusable(typ, "%v", err)
	}
	at := ev.CreatedAt.Time
	return []Canonical{{Entity: EntityOrder, Action: ActionPaid, Subject: o.ID, Time: at, Data: o}}, nil
}

func mollieUnusable(typ, format string, args ...any) error {
	return fmt.Errorf("mollie %s: %s: %w", typ, fmt.Sprintf(format, args...), ErrUnusable)
}

// mollieLink is the part of a payment link the mapping reads.
type mollieLink struct {
	ID        platformid.ID `json:"id"`
	Amount    *mollieAmount `json:"amount"`
	CreatedAt rfc3339Time   `json:"createdAt"`
	PaidAt    rfc3339Time   `json:"paidAt"`
}

// mollieAmount is Mollie's amount object.
type mollieAmount struct {
	Currency string  `json:"currency"`
	Value    decimal `json:"value"`
}

// order is the paid order the link with id id is; l is its snapshot, nil
// when the event carries none. at is the event's time, the time of the
// payment when the snapshot has no paidAt.
func (l *mollieLink) order(id, source string, at time.Time) (*Order, error) {
	o := &Order{ID: id, Platform: "mollie", Source: source, Status: OrderPaid, UpdatedAt: rfc3339(at)}
	if l == nil {
		return o, nil
	}
	if l.ID != "" && string(l.ID) != id {
		return nil, fmt.Errorf("the embedded link %s is not the event's %s", l.ID, id)
	}
	if a := l.Amount; a != nil {
		cur, err := currencyCode(a.Currency)
		if err != nil {
			return nil, fmt.Errorf("amount: %w", err)
		}
		if cur == "" && a.Value != "" {
			return nil, fmt.Errorf("amount %s has no currency", a.Value)
		}
		o.Currency, o.Total = cur, Money(a.Value)
	}
	o.CreatedAt, o.UpdatedAt = rfc3339(l.CreatedAt.Time), rfc3339(l.PaidAt.or(at))
	return o, nil
}
