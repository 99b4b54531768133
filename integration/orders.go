package integration

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hookbridge/hookbridge/internal/sample"
)

// Order is what a suite decides about one order; the rest of each delivery's
// body is the platform-shaped sample of internal/sample.
type Order struct {
	ID    string // the platform's order id: digits
	Lines []Line
}

// Line is one line item.
type Line struct {
	SKU      string
	Quantity int
}

// OrderDelivery builds the platform's signed delivery id about order o, of
// event type eventType (Shopify: orders/create, orders/paid,
// orders/cancelled; WooCommerce: order.created, order.updated). Its line
// items are o.Lines; wooStatus, when not empty, is the WooCommerce order's
// status (the sample's is processing). Like NewDelivery, the result is sent
// unchanged on every attempt.
func (p *Platform) OrderDelivery(id, eventType string, o Order, wooStatus string) (Delivery, error) {
	now := time.Now()
	body, h, err := sample.DeliveryForOrder(p.Kind, sample.Locators{}, eventType, id, o.ID, now)
	if err != nil {
		return Delivery{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // keep the order id's digits as they are
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return Delivery{}, fmt.Errorf("sample body: %w", err)
	}
	items := make([]any, len(o.Lines))
	for i, l := range o.Lines {
		items[i] = map[string]any{"sku": l.SKU, "quantity": l.Quantity, "price": "12.00", "name": l.SKU}
	}
	doc["line_items"] = items
	if wooStatus != "" {
		if p.Kind != WooKind {
			return Delivery{}, fmt.Errorf("a status for a %s order", p.Kind)
		}
		doc["status"] = wooStatus
	}
	if body, err = json.Marshal(doc); err != nil {
		return Delivery{}, err
	}
	if err := p.Provider.Sign(body, h, now); err != nil {
		return Delivery{}, err
	}
	return Delivery{ID: id, body: body, header: h}, nil
}

// EventID is the CloudEvent id the bridge must give d, computed here from the
// README's contract rather than read from the bridge: the delivery id for
// Shopify; for WooCommerce "<X-WC-Webhook-ID>-" and the first 32 hex digits
// of sha256(topic + "\n" + body).
func (d Delivery) EventID() string {
	if topic := d.header.Get("X-WC-Webhook-Topic"); topic != "" {
		sum := sha256.Sum256([]byte(topic + "\n" + string(d.body)))
		return d.header.Get("X-WC-Webhook-ID") + "-" + hex.EncodeToString(sum[:])[:32]
	}
	return d.header.Get("X-Shopify-Event-Id")
}

// EventType is the CloudEvent type the bridge must give d.
func (d Delivery) EventType() string {
	if topic := d.header.Get("X-WC-Webhook-Topic"); topic != "" {
		return "com.woocommerce." + topic
	}
	return "com.shopify." + strings.ReplaceAll(d.header.Get("X-Shopify-Topic"), "/", ".")
}
