package inventory

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/hookbridge/hookbridge/consumers"
)

// The backorder event: published once per order and SKU when a reservation
// takes the SKU's availability below zero.
const (
	BackorderType   = "com.hookbridge.inventory.backorder"
	BackorderSource = "/hookbridge/inventory"
	// BackorderSubjectPrefix is followed by the SKU as one subject token
	// (bytes outside [-_A-Za-z0-9] escaped as =XX).
	BackorderSubjectPrefix = "inventory.backorder."
)

// Backorder is the data of a backorder event (application/json).
type Backorder struct {
	SKU      string `json:"sku"`
	Platform string `json:"platform"`
	// Source is the shop: the CloudEvent source of the order event.
	Source  string `json:"source"`
	OrderID string `json:"order_id"`
	// OrderKey is the order's key in the inventory bucket.
	OrderKey string `json:"order_key"`
	// Quantity is the order's quantity of the SKU, all of it reserved.
	Quantity int `json:"quantity"`
	// Backordered is the part of Quantity that was not available.
	Backordered int `json:"backordered"`
	// Available is the SKU's availability right after the reservation.
	Available int `json:"available"`
}

// backorderID is the event's id and so its Nats-Msg-Id: one per order and
// SKU, whichever run publishes it.
func backorderID(k, sku string) string { return "backorder." + k + "." + token(sku) }

// flushBackorder publishes the backorder recorded in the SKU's outbox for
// order k, then removes it from the outbox.
//
// The decision to backorder was written in the same compare-and-set as the
// reservation, so it cannot be lost or taken twice; publishing is the only
// step outside the store. A crash after the publish and before the removal
// makes the next run publish again, with the same id: the stream's duplicate
// window (Config.DuplicateWindow) drops it. After the removal no run publishes
// it again, however late a replay comes.
func (s *Service) flushBackorder(ctx context.Context, k string, rec orderRecord, sku string, b pendingBackorder) error {
	ev, err := s.backorderEvent(k, rec, sku, b)
	if err != nil {
		return err
	}
	ack, err := consumers.PublishEvent(ctx, s.js, BackorderSubjectPrefix+token(sku), ev)
	if err != nil {
		return fmt.Errorf("publishing backorder of %q: %w", sku, err)
	}
	if !ack.Duplicate {
		s.log.WarnContext(ctx, "backorder", "sku", sku, "order_key", k, "platform", rec.Platform, "source", rec.Source,
			"order_id", rec.OrderID, "backordered", b.Backordered, "available", b.Available, "seq", ack.Sequence)
	}
	_, err = s.updateSKU(ctx, sku, func(v *skuValue, _ bool) bool {
		if _, ok := v.Backorders[k]; !ok {
			return false
		}
		delete(v.Backorders, k)
		return true
	})
	return err
}

func (s *Service) backorderEvent(k string, rec orderRecord, sku string, b pendingBackorder) (event.Event, error) {
	ev := event.New()
	ev.SetID(backorderID(k, sku))
	ev.SetSource(BackorderSource)
	ev.SetType(BackorderType)
	ev.SetSubject(sku)
	ev.SetTime(s.now().UTC())
	data := Backorder{
		SKU: sku, Platform: rec.Platform, Source: rec.Source, OrderID: rec.OrderID, OrderKey: k,
		Quantity: b.Quantity, Backordered: b.Backordered, Available: b.Available,
	}
	err := ev.SetData(event.ApplicationJSON, data)
	return ev, err
}
